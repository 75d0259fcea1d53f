#include "netsim/event_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

TEST(EventLoopTest, RunsEventsInTimeOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.ScheduleAt(SimTime::FromMicros(30), [&] { order.push_back(3); });
  loop.ScheduleAt(SimTime::FromMicros(10), [&] { order.push_back(1); });
  loop.ScheduleAt(SimTime::FromMicros(20), [&] { order.push_back(2); });
  EXPECT_EQ(loop.Run(), 3u);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop.Now().micros(), 30);
}

TEST(EventLoopTest, EqualTimesRunFirstInFirstOut) {
  EventLoop loop;
  std::string order;
  for (char c = 'a'; c <= 'j'; ++c) {
    loop.ScheduleAt(SimTime::FromMicros(5), [&order, c] { order += c; });
  }
  loop.Run();
  EXPECT_EQ(order, "abcdefghij");
}

TEST(EventLoopTest, CancelledEventNeverRuns) {
  EventLoop loop;
  int ran = 0;
  const EventId id = loop.ScheduleAfter(Duration::Seconds(1), [&] { ++ran; });
  loop.ScheduleAfter(Duration::Seconds(2), [&] { ran += 10; });
  EXPECT_TRUE(loop.Cancel(id));
  EXPECT_FALSE(loop.Cancel(id));
  loop.Run();
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(loop.events_run(), 1u);
}

TEST(EventLoopTest, CancelAfterRunReturnsFalse) {
  EventLoop loop;
  const EventId id = loop.ScheduleAfter(Duration::Micros(1), [] {});
  loop.Run();
  EXPECT_FALSE(loop.Cancel(id));
}

TEST(EventLoopTest, EventsScheduleFurtherEvents) {
  EventLoop loop;
  std::vector<int64_t> times;
  std::function<void()> tick = [&] {
    times.push_back(loop.Now().micros());
    if (times.size() < 3) loop.ScheduleAfter(Duration::Micros(100), tick);
  };
  loop.ScheduleAfter(Duration::Micros(100), tick);
  loop.Run();
  EXPECT_EQ(times, (std::vector<int64_t>{100, 200, 300}));
}

TEST(EventLoopTest, RunUntilStopsAtTheLimitAndAdvancesTheClock) {
  EventLoop loop;
  int ran = 0;
  loop.ScheduleAt(SimTime::FromMicros(10), [&] { ++ran; });
  loop.ScheduleAt(SimTime::FromMicros(50), [&] { ++ran; });
  loop.RunUntil(SimTime::FromMicros(20));
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(loop.Now().micros(), 20);
  EXPECT_EQ(loop.pending(), 1u);
}

TEST(EventLoopTest, RunUntilSkipsCancelledHeadEvent) {
  EventLoop loop;
  int ran = 0;
  const EventId early = loop.ScheduleAt(SimTime::FromMicros(5), [&] { ran += 100; });
  loop.ScheduleAt(SimTime::FromMicros(8), [&] { ++ran; });
  loop.Cancel(early);
  loop.RunUntil(SimTime::FromMicros(10));
  EXPECT_EQ(ran, 1);
}

TEST(EventLoopTest, RunHonoursMaxEvents) {
  EventLoop loop;
  for (int i = 0; i < 5; ++i) loop.ScheduleAfter(Duration::Micros(i), [] {});
  EXPECT_EQ(loop.Run(2), 2u);
  EXPECT_EQ(loop.pending(), 3u);
}

TEST(EventLoopDeathTest, SchedulingInThePastAborts) {
  EventLoop loop(SimTime::FromMicros(100));
  EXPECT_DEATH(loop.ScheduleAt(SimTime::FromMicros(50), [] {}), "in the past");
}

}  // namespace
}  // namespace renkei::netsim

namespace renkei::netsim {
namespace {

TEST(EventLoopTest, CancelledTimersDoNotAccumulate) {
  EventLoop loop;
  loop.ScheduleAfter(Duration::Hours(1), [] {});
  for (int i = 0; i < 100000; ++i) {
    loop.Cancel(loop.ScheduleAfter(Duration::Seconds(30), [] {}));
  }
  EXPECT_EQ(loop.pending(), 1u);
  EXPECT_LT(loop.queued_entries(), 2100u);
  EXPECT_EQ(loop.Run(), 1u);
}

}  // namespace
}  // namespace renkei::netsim

namespace renkei::netsim {
namespace {

TEST(EventLoopTest, CancelOfARunEventDoesNotCancelItsSlotsNextOwner) {
  EventLoop loop;
  int first = 0, second = 0;
  const EventId a = loop.ScheduleAfter(Duration::Micros(1), [&] { ++first; });
  loop.Run();
  // The freed slot is reused by the next event; the old id must not reach it.
  const EventId b = loop.ScheduleAfter(Duration::Micros(1), [&] { ++second; });
  EXPECT_FALSE(loop.Cancel(a));
  EXPECT_FALSE(a == b);
  loop.Run();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST(EventLoopTest, ManyRandomEventsRunInTimeThenFifoOrder) {
  EventLoop loop;
  Rng rng(3, 3);
  std::vector<std::pair<int64_t, int>> ran;
  std::vector<std::pair<int64_t, int>> expected;
  std::vector<EventId> ids;
  for (int i = 0; i < 5000; ++i) {
    const int64_t at = rng.UniformRange(0, 200);  // many equal times
    ids.push_back(loop.ScheduleAt(SimTime::FromMicros(at),
                                  [&ran, &loop, i] { ran.emplace_back(loop.Now().micros(), i); }));
    expected.emplace_back(at, i);
  }
  // Cancel every third event; the rest must still come out sorted by (time, schedule order).
  std::vector<std::pair<int64_t, int>> kept;
  for (int i = 0; i < 5000; ++i) {
    if (i % 3 == 0) {
      EXPECT_TRUE(loop.Cancel(ids[static_cast<size_t>(i)]));
    } else {
      kept.push_back(expected[static_cast<size_t>(i)]);
    }
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  loop.Run();
  EXPECT_EQ(ran, kept);
}

TEST(EventLoopTest, CancelledCallbacksReleaseTheirCapturesAtOnce) {
  EventLoop loop;
  auto token = std::make_shared<int>(7);
  const EventId id = loop.ScheduleAfter(Duration::Seconds(1), [token] { (void)*token; });
  EXPECT_EQ(token.use_count(), 2);
  loop.Cancel(id);
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace renkei::netsim
