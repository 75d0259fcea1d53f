// The discrete-event loop: a virtual clock and a queue of timed callbacks.
//
// Events run in time order; events scheduled for the same time run first-in first-out
// (ordered by a sequence number). Each scheduled event has an id that cancels it. Time only
// moves when the loop runs an event, so a simulation is as fast as its events and fully
// deterministic. There is no global loop: whoever builds a simulation owns one and passes it
// (as a Clock and as a scheduler) to the components.
//
// Thread safety: none. One loop belongs to one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "netsim/time.h"

namespace renkei::netsim {

struct EventId {
  uint64_t value = 0;
  friend bool operator==(EventId, EventId) = default;
};

class EventLoop final : public Clock {
 public:
  using Callback = std::function<void()>;

  explicit EventLoop(SimTime start = SimTime());

  SimTime Now() const override { return now_; }

  // Schedules `cb` at absolute time `at`; a time in the past is a caller bug and aborts.
  EventId ScheduleAt(SimTime at, Callback cb);
  EventId ScheduleAfter(Duration delay, Callback cb);
  // Cancels a pending event; returns false when it already ran or was cancelled.
  bool Cancel(EventId id);

  // Runs the next event; false when none is pending.
  bool Step();
  // Runs every event with time <= `until`, then sets the clock to `until`.
  void RunUntil(SimTime until);
  // Runs until no event is pending or `max_events` have run; returns the number run.
  uint64_t Run(uint64_t max_events = UINT64_MAX);

  size_t pending() const { return callbacks_.size(); }
  // Heap entries, live and cancelled-but-not-yet-dropped (bounded at about twice pending()).
  size_t queued_entries() const { return queue_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  struct Entry {
    SimTime at;
    uint64_t seq;
    // Min-heap on (time, sequence): earlier first, then first-scheduled first.
    bool operator>(const Entry& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  // Pending callbacks by sequence number; cancelling erases here and the heap entry is skipped
  // when it surfaces. Never iterated, so its order cannot leak into results.
  std::unordered_map<uint64_t, Callback> callbacks_;
  SimTime now_;
  uint64_t next_seq_ = 1;
  uint64_t events_run_ = 0;
};

}  // namespace renkei::netsim
