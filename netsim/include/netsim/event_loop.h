// The discrete-event loop: a virtual clock and a queue of timed callbacks.
//
// Events run in time order; events scheduled for the same time run first-in first-out
// (ordered by a sequence number). Each scheduled event has an id that cancels it. Time only
// moves when the loop runs an event, so a simulation is as fast as its events and fully
// deterministic. There is no global loop: whoever builds a simulation owns one and passes it
// (as a Clock and as a scheduler) to the components.
//
// Offload hands pure work (signatures, verifications) to an attached WorkerPool and runs its
// continuation as an ordinary event whose place in the order is fixed when the work is
// posted, so a run's outcomes and their order are the same with 0, 1 or N threads.
//
// Thread safety: none. One loop belongs to one thread; only Offload's compute runs elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "netsim/time.h"
#include "netsim/worker_pool.h"

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

  // Attaches the pool Offload computes on; null (the default) computes inside the event. The
  // pool outlives the loop's pending events.
  void SetWorkers(WorkerPool* pool) { workers_ = pool; }
  WorkerPool* workers() const { return workers_; }

  // Schedules `apply(compute())` at now + `delay`, like ScheduleAfter, and starts `compute` on
  // the worker pool now. `compute` must be pure: it owns (by value or shared const) everything
  // it reads and writes nothing shared, since it may run on another thread while the loop runs
  // other events. `apply` runs on the loop thread, in the event's fixed place, after waiting
  // for the result; with no pool it is `apply(compute())` inside the event. Cancelling the
  // returned id drops the result.
  template <typename Compute, typename Apply>
  EventId Offload(Duration delay, Compute compute, Apply apply) {
    using R = std::invoke_result_t<Compute&>;
    if (workers_ == nullptr) {
      return ScheduleAfter(delay, [compute = std::move(compute),
                                   apply = std::move(apply)]() mutable { apply(compute()); });
    }
    auto result = std::make_shared<std::optional<R>>();
    WorkerPool* pool = workers_;
    WorkerPool::JobPtr job = pool->Submit(
        [result, compute = std::move(compute)]() mutable { result->emplace(compute()); });
    return ScheduleAfter(delay,
                         [pool, job = std::move(job), result, apply = std::move(apply)]() mutable {
                           pool->Wait(job);
                           apply(std::move(**result));
                         });
  }

  // Offload for work that may already be done: with `ready` set, `apply(*ready)` is posted at
  // now + `delay`, the place Offload would give it, and `compute` never runs. Work prepared
  // while a message was in flight (SimNetwork::SetPreparer) goes through here, so whether it
  // was prepared changes neither an outcome nor the order of events.
  template <typename R, typename Compute, typename Apply>
  EventId OffloadUnlessReady(Duration delay, std::optional<R> ready, Compute compute, Apply apply) {
    if (!ready) return Offload(delay, std::move(compute), std::move(apply));
    return ScheduleAfter(delay, [r = std::move(*ready), apply = std::move(apply)]() mutable {
      apply(std::move(r));
    });
  }

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
  WorkerPool* workers_ = nullptr;
};

}  // namespace renkei::netsim
