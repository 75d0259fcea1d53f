// WorkerPool and EventLoop::Offload: results are applied in the order the work was posted,
// whatever each computation costs and however many threads there are.
#include "netsim/worker_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/errors.h"
#include "netsim/event_loop.h"

namespace renkei::netsim {
namespace {

// Work whose cost grows with `rounds`, so that with several threads later posts finish first.
crypto::Digest Grind(int rounds) {
  crypto::Digest d{};
  for (int i = 0; i < rounds; ++i) d = crypto::Sha256(d);
  return d;
}

// Posts offloads with decreasing cost, interleaved with plain events at the same and at
// later times, and returns the order in which they took effect.
std::string OffloadOrder(WorkerPool* pool) {
  EventLoop loop;
  loop.SetWorkers(pool);
  std::string order;
  for (int i = 0; i < 8; ++i) {
    const int rounds = (8 - i) * 2000;
    loop.Offload(
        Duration(), [rounds, i] { return std::make_pair(i, Grind(rounds)); },
        [&order, rounds](std::pair<int, crypto::Digest> r) {
          EXPECT_EQ(r.second, Grind(rounds));
          order += static_cast<char>('a' + r.first);
        });
    loop.ScheduleAfter(Duration(), [&order, i] { order += static_cast<char>('0' + i); });
  }
  loop.Offload(
      Duration::Micros(5), [] { return 'z'; }, [&order](char c) { order += c; });
  loop.ScheduleAfter(Duration::Micros(5), [&order] { order += '!'; });
  loop.Run();
  return order;
}

TEST(OffloadTest, ResultsApplyInPostOrderWhateverTheirComputeCost) {
  const std::string want = "a0b1c2d3e4f5g6h7z!";
  EXPECT_EQ(OffloadOrder(nullptr), want);
  for (size_t threads : {0u, 1u, 2u, 4u}) {
    WorkerPool pool(threads);
    EXPECT_EQ(OffloadOrder(&pool), want) << threads << " threads";
  }
}

TEST(OffloadTest, WithoutWorkersComputeRunsInsideTheEventOnTheLoopThread) {
  EventLoop loop(SimTime::FromMicros(100));
  bool computed = false;
  std::thread::id ran_on;
  SimTime applied_at;
  loop.Offload(
      Duration::Micros(10),
      [&] {
        computed = true;
        ran_on = std::this_thread::get_id();
        return 1;
      },
      [&](int) { applied_at = loop.Now(); });
  EXPECT_FALSE(computed);
  loop.Run();
  EXPECT_TRUE(computed);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(applied_at.micros(), 110);
}

TEST(OffloadTest, ApplyTakesItsPlaceAmongEqualTimesWhenPosted) {
  WorkerPool pool(2);
  EventLoop loop;
  loop.SetWorkers(&pool);
  std::string order;
  loop.ScheduleAt(SimTime::FromMicros(7), [&] { order += "before "; });
  loop.Offload(
      Duration::Micros(7), [] { return std::string("offload "); },
      [&](std::string s) { order += s; });
  loop.ScheduleAt(SimTime::FromMicros(7), [&] { order += "after"; });
  loop.Run();
  EXPECT_EQ(order, "before offload after");
}

TEST(OffloadTest, ComputeErrorsReachApplyAsValues) {
  WorkerPool pool(1);
  EventLoop loop;
  loop.SetWorkers(&pool);
  std::optional<Error> seen;
  loop.Offload(
      Duration(),
      []() -> Result<int> { return MakeError(Errc::kVerifyFailed, "signature does not verify"); },
      [&](Result<int> r) {
        ASSERT_FALSE(r.ok());
        seen = r.error();
      });
  loop.Run();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->code, make_error_code(Errc::kVerifyFailed));
  EXPECT_EQ(seen->message, "signature does not verify");
}

TEST(OffloadTest, CancelledOffloadNeverApplies) {
  WorkerPool pool(2);
  EventLoop loop;
  loop.SetWorkers(&pool);
  int applied = 0;
  const EventId id = loop.Offload(
      Duration::Micros(1), [] { return Grind(100); }, [&](crypto::Digest) { ++applied; });
  loop.Offload(
      Duration::Micros(2), [] { return 2; }, [&](int v) { applied += v * 10; });
  EXPECT_TRUE(loop.Cancel(id));
  loop.Run();
  EXPECT_EQ(applied, 20);
}

// A result already at hand (a check prepared in flight) takes the place Offload would have
// given the computed one, and the compute is never called; without one it is a plain Offload.
std::string UnlessReadyOrder(WorkerPool* pool, bool ready) {
  EventLoop loop;
  loop.SetWorkers(pool);
  std::string order;
  int computed = 0;
  loop.ScheduleAt(SimTime::FromMicros(7), [&] { order += "before "; });
  loop.OffloadUnlessReady(
      Duration::Micros(7), ready ? std::optional<std::string>("ready ") : std::nullopt,
      [&computed] {
        ++computed;
        return std::string("computed ");
      },
      [&](std::string s) { order += s; });
  loop.ScheduleAt(SimTime::FromMicros(7), [&] { order += "after"; });
  loop.Run();
  return order + " computed=" + std::to_string(computed);
}

TEST(OffloadTest, AReadyResultTakesOffloadsPlaceAndSkipsTheCompute) {
  WorkerPool pool(1);
  for (WorkerPool* p : {static_cast<WorkerPool*>(nullptr), &pool}) {
    EXPECT_EQ(UnlessReadyOrder(p, true), "before ready after computed=0");
    EXPECT_EQ(UnlessReadyOrder(p, false), "before computed after computed=1");
  }
}

TEST(WorkerPoolTest, WaitRunsAJobNoWorkerCanClaimOnTheCallersThread) {
  WorkerPool pool(0);
  std::thread::id ran_on;
  auto job = pool.Submit([&] { ran_on = std::this_thread::get_id(); });
  pool.Wait(job);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(WorkerPoolTest, EveryJobRunsExactlyOnce) {
  WorkerPool pool(2);
  std::vector<int> runs(2000, 0);
  std::vector<WorkerPool::JobPtr> jobs;
  for (size_t i = 0; i < runs.size(); ++i) {
    jobs.push_back(pool.Submit([&runs, i] { ++runs[i]; }));
  }
  // Waiting out of order too: the waiter helps with whatever is queued.
  pool.Wait(jobs.back());
  for (const auto& job : jobs) pool.Wait(job);
  for (size_t i = 0; i < runs.size(); ++i) ASSERT_EQ(runs[i], 1) << "job " << i;
}

TEST(WorkerPoolTest, PoolWithJobsNobodyWaitsForShutsDown) {
  auto counter = std::make_shared<int>(0);
  {
    WorkerPool pool(2);
    for (int i = 0; i < 50; ++i) pool.Submit([counter] { (void)Grind(10); });
  }
  // Every job released its captures: only this reference is left.
  EXPECT_EQ(counter.use_count(), 1);
}

}  // namespace
}  // namespace renkei::netsim
