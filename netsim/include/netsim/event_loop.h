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

  size_t pending() const { return live_; }
  // Heap entries, live and cancelled-but-not-yet-dropped (bounded at about twice pending()).
  size_t queued_entries() const { return heap_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  // A heap entry names its callback's slot and the slot's generation when scheduled; a slot
  // whose generation moved on (its event ran or was cancelled) makes the entry stale.
  struct Entry {
    int64_t at;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
  };
  struct Slot {
    Callback cb;
    uint32_t generation = 1;
    bool live = false;
  };
  // Earlier first, then first-scheduled first: FIFO at equal times.
  static bool Before(const Entry& a, const Entry& b) {
    return a.at != b.at ? a.at < b.at : a.seq < b.seq;
  }
  bool IsLive(const Entry& e) const {
    const Slot& s = slots_[e.slot];
    return s.live && s.generation == e.generation;
  }
  void Push(const Entry& e);
  void PopTop();
  void SiftDown(size_t i);
  void Release(uint32_t slot);
  void DropStaleEntries();

  // A 4-ary min-heap: half the levels of a binary heap, and a node's children share a cache
  // line, which matters once a simulation holds hundreds of thousands of pending events.
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;
  SimTime now_;
  uint64_t next_seq_ = 1;
  uint64_t events_run_ = 0;
};

}  // namespace renkei::netsim
