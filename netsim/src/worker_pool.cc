#include "netsim/worker_pool.h"

#include <utility>

namespace renkei::netsim {

class WorkerPool::Job {
 public:
  explicit Job(std::function<void()> w) : work(std::move(w)) {}
  std::function<void()> work;
  // Both guarded by the pool's mutex.
  bool claimed = false;
  bool done = false;
};

WorkerPool::WorkerPool(size_t threads) {
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerMain(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

WorkerPool::JobPtr WorkerPool::Submit(std::function<void()> work) {
  auto job = std::make_shared<Job>(std::move(work));
  if (workers_.empty()) return job;  // nobody would take it from a queue: Wait runs it
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
  }
  work_ready_.notify_one();
  return job;
}

WorkerPool::JobPtr WorkerPool::ClaimLocked() {
  // Jobs the loop thread ran itself stay queued, marked claimed, until they reach the front.
  while (!queue_.empty()) {
    JobPtr job = std::move(queue_.front());
    queue_.pop_front();
    if (!job->claimed) {
      job->claimed = true;
      return job;
    }
  }
  return nullptr;
}

void WorkerPool::RunClaimed(const JobPtr& job, bool by_waiter) {
  job->work();
  job->work = nullptr;  // frees the captures on the thread that ran it, before the loop waits
  {
    std::lock_guard<std::mutex> lock(mu_);
    job->done = true;
    ++jobs_run_;
    if (by_waiter) ++jobs_run_by_waiters_;
  }
  job_done_.notify_all();
}

void WorkerPool::Wait(const JobPtr& job) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!job->done) {
    JobPtr next;
    if (!job->claimed) {
      // Nobody started it: running it here is cheaper than handing it to a worker.
      job->claimed = true;
      next = job;
    } else {
      next = ClaimLocked();
    }
    if (next) {
      lock.unlock();
      RunClaimed(next, /*by_waiter=*/true);
      lock.lock();
      continue;
    }
    job_done_.wait(lock);
  }
}

uint64_t WorkerPool::jobs_run_by_waiters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_run_by_waiters_;
}

uint64_t WorkerPool::jobs_run() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_run_;
}

void WorkerPool::WorkerMain() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    JobPtr job = ClaimLocked();
    if (job) {
      lock.unlock();
      RunClaimed(job, /*by_waiter=*/false);
      lock.lock();
      continue;
    }
    if (stopping_) return;
    work_ready_.wait(lock);
  }
}

}  // namespace renkei::netsim
