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
  const uint64_t seq = next_seq_++;
  queue_.push(Entry{at, seq});
  callbacks_.emplace(seq, std::move(cb));
  return EventId{seq};
}

EventId EventLoop::ScheduleAfter(Duration delay, Callback cb) {
  return ScheduleAt(now_ + delay, std::move(cb));
}

bool EventLoop::Cancel(EventId id) {
  if (callbacks_.erase(id.value) == 0) return false;
  // Cancelled entries stay in the heap until they surface. Timeouts are mostly cancelled, so
  // without this a long simulation's heap would grow with dead entries; rebuilding when they
  // outnumber the live ones keeps memory bounded at amortised O(1) per cancel.
  if (queue_.size() > 1024 && queue_.size() > 2 * callbacks_.size()) {
    std::vector<Entry> live;
    live.reserve(callbacks_.size());
    while (!queue_.empty()) {
      if (callbacks_.contains(queue_.top().seq)) live.push_back(queue_.top());
      queue_.pop();
    }
    queue_ = decltype(queue_)(std::greater<>(), std::move(live));
  }
  return true;
}

bool EventLoop::Step() {
  while (!queue_.empty()) {
    const Entry e = queue_.top();
    queue_.pop();
    auto it = callbacks_.find(e.seq);
    if (it == callbacks_.end()) continue;  // cancelled
    Callback cb = std::move(it->second);
    callbacks_.erase(it);
    now_ = e.at;
    ++events_run_;
    cb();
    return true;
  }
  return false;
}

void EventLoop::RunUntil(SimTime until) {
  while (!queue_.empty()) {
    // Skip cancelled entries at the top so their times do not stop the loop early.
    if (!callbacks_.contains(queue_.top().seq)) {
      queue_.pop();
      continue;
    }
    if (queue_.top().at > until) break;
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
