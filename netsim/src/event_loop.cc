#include "netsim/event_loop.h"

#include <cstdlib>
#include <iostream>

namespace renkei::netsim {

EventLoop::EventLoop(SimTime start) : now_(start) {}

EventId EventLoop::ScheduleAt(SimTime at, Callback cb) {
  if (at < now_) {
    std::cerr << "renkei: event scheduled in the past (" << FormatIso(at) << " < "
              << FormatIso(now_) << ")\n";
    std::abort();
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.cb = std::move(cb);
  s.live = true;
  ++live_;
  Push(Entry{at.micros(), next_seq_++, slot, s.generation});
  return EventId{(static_cast<uint64_t>(s.generation) << 32) | slot};
}

EventId EventLoop::ScheduleAfter(Duration delay, Callback cb) {
  return ScheduleAt(now_ + delay, std::move(cb));
}

void EventLoop::Release(uint32_t slot) {
  Slot& s = slots_[slot];
  s.cb = nullptr;  // frees the captures now, not when the slot is reused
  s.live = false;
  ++s.generation;
  --live_;
  free_slots_.push_back(slot);
}

bool EventLoop::Cancel(EventId id) {
  const auto slot = static_cast<uint32_t>(id.value & 0xFFFFFFFFu);
  const auto generation = static_cast<uint32_t>(id.value >> 32);
  if (slot >= slots_.size()) return false;
  const Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return false;
  Release(slot);
  // Cancelled entries stay in the heap until they surface. Timeouts are mostly cancelled, so
  // without this a long simulation's heap would grow with dead entries; rebuilding when they
  // outnumber the live ones keeps memory bounded at amortised O(1) per cancel.
  if (heap_.size() > 1024 && heap_.size() > 2 * live_) DropStaleEntries();
  return true;
}

void EventLoop::DropStaleEntries() {
  size_t kept = 0;
  for (const Entry& e : heap_) {
    if (IsLive(e)) heap_[kept++] = e;
  }
  heap_.resize(kept);
  if (heap_.size() < 2) return;
  for (size_t i = (heap_.size() - 2) / 4 + 1; i-- > 0;) SiftDown(i);
}

void EventLoop::Push(const Entry& e) {
  size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const size_t parent = (i - 1) / 4;
    if (!Before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void EventLoop::SiftDown(size_t i) {
  const size_t n = heap_.size();
  const Entry e = heap_[i];
  for (;;) {
    const size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    const size_t last = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < last; ++c) {
      if (Before(heap_[c], heap_[best])) best = c;
    }
    if (!Before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

void EventLoop::PopTop() {
  heap_.front() = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0);
}

bool EventLoop::Step() {
  while (!heap_.empty()) {
    const Entry e = heap_.front();
    PopTop();
    if (!IsLive(e)) continue;  // cancelled
    Callback cb = std::move(slots_[e.slot].cb);
    Release(e.slot);
    now_ = SimTime::FromMicros(e.at);
    ++events_run_;
    cb();
    return true;
  }
  return false;
}

void EventLoop::RunUntil(SimTime until) {
  while (!heap_.empty()) {
    // Skip cancelled entries at the top so their times do not stop the loop early.
    if (!IsLive(heap_.front())) {
      PopTop();
      continue;
    }
    if (heap_.front().at > until.micros()) break;
    Step();
  }
  if (until > now_) now_ = until;
}

uint64_t EventLoop::Run(uint64_t max_events) {
  uint64_t n = 0;
  while (n < max_events && Step()) ++n;
  return n;
}

}  // namespace renkei::netsim
