// Event loop throughput: schedule-and-run of many events, and cancellation.
// Run: build/release/benchmarks/bench_event_loop --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include "netsim/event_loop.h"
#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

// N events at random times within a simulated hour, then run them all.
void BM_ScheduleAndRun(benchmark::State& state) {
  const int64_t n = state.range(0);
  Rng rng(1, 0);
  uint64_t sink = 0;
  for (auto _ : state) {
    EventLoop loop;
    for (int64_t i = 0; i < n; ++i) {
      loop.ScheduleAt(SimTime::FromMicros(rng.UniformRange(0, 3600000000LL)), [&sink] { ++sink; });
    }
    loop.Run();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ScheduleAndRun)->Arg(1000)->Arg(100000)->Arg(1000000);

// The classic "hold" model of event-queue benchmarks: N events stay pending; each one that
// runs schedules its successor an exponential delay later. This is what a simulation does in
// steady state (each in-flight message or timer is one pending event), so events/s here is
// the figure the target (>= 5 million events/s) is about.
void BM_HoldModel(benchmark::State& state) {
  const int64_t pending = state.range(0);
  EventLoop loop;
  Rng rng(7, 0);
  std::function<void()> hop;
  hop = [&] {
    loop.ScheduleAfter(Duration::Micros(1 + static_cast<int64_t>(rng.Exponential(1000.0))), hop);
  };
  for (int64_t i = 0; i < pending; ++i) {
    loop.ScheduleAt(SimTime::FromMicros(rng.UniformRange(0, 1000)), hop);
  }
  for (auto _ : state) loop.Step();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HoldModel)->Arg(100)->Arg(10000)->Arg(1000000);

// Timers that are usually cancelled before they fire (request timeouts).
void BM_ScheduleCancel(benchmark::State& state) {
  EventLoop loop;
  for (auto _ : state) {
    const EventId id = loop.ScheduleAfter(Duration::Seconds(30), [] {});
    benchmark::DoNotOptimize(loop.Cancel(id));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScheduleCancel);

void BM_RngNext(benchmark::State& state) {
  Rng rng(1, 2);
  for (auto _ : state) benchmark::DoNotOptimize(rng.Next());
}
BENCHMARK(BM_RngNext);

}  // namespace
}  // namespace renkei::netsim
