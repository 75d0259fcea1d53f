// A fixed set of threads that compute pure jobs for the event loop, so that while one
// linkage's signature is computed the loop thread carries on with other linkages' storage and
// message work.
//
// A job is a closure over bytes and immutable keys it owns: it reads no state another thread
// may change and changes none. Jobs are claimed first-in first-out by the workers; the loop
// thread collects a job with Wait, which runs the job itself when no worker has claimed it yet
// and otherwise helps with other queued jobs until it is done, so a pool of N workers keeps
// N + 1 cores busy. Which thread ran a job is never visible in a result: the loop decides when
// a result is used (EventLoop::Offload), so outcomes and their order do not depend on thread
// timing or on the number of threads.
//
// Thread safety: Submit and Wait are called by the owning (loop) thread only; jobs run on any
// thread. The destructor drops jobs nobody waits for and joins the workers.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace renkei::netsim {

class WorkerPool {
 public:
  class Job;
  using JobPtr = std::shared_ptr<Job>;

  // `threads` workers; 0 is allowed (every job then runs inside Wait on the caller's thread).
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t threads() const { return workers_.size(); }

  // Queues `work`; it runs at most once, on some thread, before the matching Wait returns.
  JobPtr Submit(std::function<void()> work);
  // Returns once `job` has run (its effects are then visible to the caller).
  void Wait(const JobPtr& job);

  // Jobs run so far by the threads calling Wait instead of by the workers: a measure of how
  // far the workers fell behind (benchmarks report it). Thread count changes it, never a
  // result.
  uint64_t jobs_run_by_waiters() const;
  uint64_t jobs_run() const;

 private:
  void WorkerMain();
  // Claims the oldest unclaimed job; null when none is queued. Requires mu_.
  JobPtr ClaimLocked();
  // Runs a claimed job outside the lock and marks it done.
  void RunClaimed(const JobPtr& job, bool by_waiter);

  mutable std::mutex mu_;
  std::condition_variable work_ready_;  // a job was queued, or the pool stops
  std::condition_variable job_done_;    // some job finished
  std::deque<JobPtr> queue_;
  bool stopping_ = false;
  uint64_t jobs_run_ = 0;             // guarded by mu_
  uint64_t jobs_run_by_waiters_ = 0;  // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace renkei::netsim
