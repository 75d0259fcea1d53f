// End-to-end linkage in one process: a requester and a provider municipality with the NWS
// core and interface system (scenarios::World), zero-latency links. One iteration submits a
// batch of transfer-in queries and runs the loop until every answer is stored; the figure is
// linkages per wall-second. Each linkage does everything real: permit request and list check,
// token conversion, permit signature (core) and verification (provider), replica decryption,
// answer signature (provider) and verification (requester), provision-log appends at both
// bodies and core records, with SQLite in memory (first arg 0), in WAL files on disk (1), or
// in WAL files opened with locking_mode=EXCLUSIVE (2: WorldOptions::exclusive_files, as the
// national-day run uses; it saves the lock system calls of every transaction, not a sync).
// The second arg is WorldOptions::crypto_threads: workers that compute the signatures and
// verifications while the loop thread does the rest (0: all on the loop thread).
//
// Each run also reports floor_ratio: the crypto floor (2 Ed25519 signatures + 2 verifications
// over a permit-sized message, one thread, measured just before each run) divided by
// the wall time per linkage. BM_CryptoFloor is that floor as a benchmark of its own.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "addressing/resident_generator.h"
#include "netsim/crypto.h"
#include "scenarios/world.h"

namespace {

using renkei::netsim::Duration;
namespace scenarios = renkei::scenarios;
namespace middleware = renkei::middleware;

constexpr int kPeople = 200;
constexpr int kBatch = 200;

namespace crypto = renkei::netsim::crypto;

// About the size of a signed permit, as in bench_crypto.
crypto::Bytes FloorMessage() {
  crypto::Bytes b(512);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

struct FloorKeys {
  crypto::Signer signer;
  crypto::Verifier verifier;
  crypto::Bytes message;
  crypto::Bytes signature;
};

FloorKeys MakeFloorKeys() {
  auto key = crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, FloorMessage()).value();
  crypto::Signer signer(key);
  crypto::Verifier verifier(crypto::PublicKey::FromPrivate(*key).value());
  crypto::Bytes message = FloorMessage();
  crypto::Bytes signature = signer.Sign(message).value();
  return FloorKeys{std::move(signer), std::move(verifier), std::move(message),
                   std::move(signature)};
}

// The crypto work of one linkage at its minimum: 2 signatures + 2 verifications.
void FloorLinkage(const FloorKeys& k) {
  for (int i = 0; i < 2; ++i) {
    auto sig = k.signer.Sign(k.message);
    if (!sig.ok()) std::abort();
    benchmark::DoNotOptimize(sig);
    if (!k.verifier.Verify(k.message, k.signature).ok()) std::abort();
  }
}

// Microseconds per linkage for the floor: the median of five timings of 50 linkages, taken
// just before the run it is compared with, so both see the same machine load.
double FloorMicrosPerLinkage() {
  const FloorKeys k = MakeFloorKeys();
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) FloorLinkage(k);
    const std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - t0;
    runs.push_back(d.count() / 50);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

void BM_CryptoFloor(benchmark::State& state) {
  const FloorKeys k = MakeFloorKeys();
  for (auto _ : state) FloorLinkage(k);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_CryptoFloor)->Unit(benchmark::kMicrosecond);

struct Fixture {
  std::unique_ptr<scenarios::World> world;
  scenarios::World::Body* a = nullptr;
  scenarios::World::Body* b = nullptr;
  std::vector<std::string> people;  // integrated numbers at the requester
  std::string dir;

  // Without `latency`: zero-latency links and no processing delays. With it: links of that
  // latency and the components' default delays (core permit check, provider chain).
  Fixture(int64_t storage, size_t crypto_threads,
          std::optional<renkei::netsim::LatencyModel> latency = std::nullopt) {
    scenarios::WorldOptions o;
    o.seed = 11;
    o.crypto_threads = crypto_threads;
    o.start = renkei::netsim::FromCivil({2024, 6, 3, 9, 0, 0, 0});
    if (storage != 0) {
      o.exclusive_files = storage == 2;
      dir = (std::filesystem::temp_directory_path() / "renkei_bench_linkage").string();
      std::filesystem::remove_all(dir);
      o.data_dir = dir;
    }
    o.link.latency = latency.value_or(renkei::netsim::LatencyModel::Fixed(Duration()));
    if (!latency) {
      o.core.permit_check_delay = Duration();
      o.server.processing_delay = Duration();
    }
    world = scenarios::World::Create(o).value();
    a = world->AddBody("152021").value();
    b = world->AddBody("041009").value();
    auto gen = renkei::addressing::ResidentGenerator::Create(11, "041009").value();
    auto reg = world->ServerSession(*b, "registrar").value();
    for (int i = 0; i < kPeople; ++i) {
      renkei::addressing::Resident r = gen.Next();
      const std::string at_b = world->RegisterResident(*b, r).value();
      r.atena_number = "152021" + r.atena_number.substr(6);
      people.push_back(world->RegisterResident(*a, r).value());
      middleware::ReplicaRecord rec;
      rec.record_id = "VAC-" + std::to_string(i);
      rec.integrated_number = at_b;
      rec.tm = "TM00160200000001";
      rec.dataset_item_code = "VACC-RECORD";
      rec.record_key = "dose-3";
      rec.data_version = 1;
      rec.publish_from = "2023-04-01";
      rec.ward_code = "041009";
      rec.payload = R"({"dose":3,"date":"2023-10-12","maker":"ファイザー","lot":"HK1234"})";
      if (!b->server->RegisterReplica(reg, rec).ok()) std::abort();
    }
    world->Run();  // tokens
  }
  ~Fixture() {
    world.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

// The transfer-in query every linkage asks: 仙台市's vaccination record of a resident.
middleware::QueryRequest TransferInQuery(const Fixture& f) {
  middleware::QueryRequest q;
  q.provider = f.b->institution;
  q.jm = "JM00160200000000";
  q.jt = "JT00160200000001";
  q.tm_items = {"TM00160200000001"};
  return q;
}

// Fails the run if any linkage did not end normal.
void CheckAllNormal(benchmark::State& state, Fixture& f) {
  const auto stats = f.a->server->stats();
  if (stats.query_status.size() != 1 || !stats.query_status.contains("normal")) {
    state.SkipWithError("a linkage did not end normal");
  }
}

// Counters shared by both linkage benchmarks; fails the run if any linkage did not end normal.
void ReportLinkages(benchmark::State& state, Fixture& f, int64_t linkages,
                    std::chrono::duration<double, std::micro> wall, double floor_us) {
  CheckAllNormal(state, f);
  state.SetItemsProcessed(linkages);
  state.counters["linkages_per_s"] =
      benchmark::Counter(static_cast<double>(linkages), benchmark::Counter::kIsRate);
  state.counters["floor_us"] = floor_us;
  if (const renkei::netsim::WorkerPool* pool = f.world->loop().workers()) {
    // The share of crypto jobs the loop thread ran itself while waiting for a result.
    state.counters["loop_jobs"] = static_cast<double>(pool->jobs_run_by_waiters()) /
                                  static_cast<double>(std::max<uint64_t>(1, pool->jobs_run()));
    // Of the three checks per linkage (the requester's of the grant and the answer, the
    // provider's of the query), the share a worker finished while the message was in flight
    // (SimNetwork::Preparer).
    state.counters["in_flight"] = static_cast<double>(f.a->server->checks_prepared_in_flight() +
                                                      f.b->server->checks_prepared_in_flight()) /
                                  (3.0 * static_cast<double>(std::max<int64_t>(1, linkages)));
  }
  if (linkages > 0) {
    state.counters["floor_ratio"] = floor_us / (wall.count() / static_cast<double>(linkages));
  }
}

// One batch: kBatch queries submitted at one instant, the loop run until all are answered.
void RunBatch(benchmark::State& state, Fixture& f, middleware::QueryRequest& q) {
  for (int i = 0; i < kBatch; ++i) {
    q.integrated_number = f.people[static_cast<size_t>(i % kPeople)];
    if (!f.a->server->SubmitQuery(q).ok()) state.SkipWithError("submit failed");
  }
  f.world->Run();
}

void BM_Linkage(benchmark::State& state) {
  const double floor_us = FloorMicrosPerLinkage();
  Fixture f(state.range(0), static_cast<size_t>(state.range(1)));
  middleware::QueryRequest q = TransferInQuery(f);
  int64_t linkages = 0;
  std::chrono::duration<double, std::micro> wall{0};
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    RunBatch(state, f, q);
    wall += std::chrono::steady_clock::now() - t0;
    linkages += kBatch;
  }
  ReportLinkages(state, f, linkages, wall, floor_us);
}
BENCHMARK(BM_Linkage)
    ->ArgNames({"disk", "threads"})
    ->ArgsProduct({{0, 1, 2}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// BM_Linkage's work without its clocks, in memory and on the loop thread alone, at two fixed
// iteration counts: for benchmarks/ir_per_iteration.sh, instructions per batch of kBatch
// linkages under callgrind, a figure a noisy machine cannot move. The floor is not measured:
// its timing loop runs a different number of times in every run.
void BM_LinkageCounted(benchmark::State& state) {
  Fixture f(0, 0);
  middleware::QueryRequest q = TransferInQuery(f);
  for (auto _ : state) RunBatch(state, f, q);
  CheckAllNormal(state, f);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_LinkageCounted)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LinkageCounted)->Iterations(3)->Unit(benchmark::kMillisecond);

// The same linkage as BM_Linkage, but arriving as a stream: a query is submitted every
// kStreamGap of simulated time, links take a log-normal latency (median 4 ms, sigma 0.6, as in
// the shipped national-day and FY2022-year scenarios) and the core and the provider take their
// default delays (permit check 3 ms, provider chain 5 ms), so about a hundred linkages are in
// flight at once, each in its own phase, as in a load scenario. BM_Linkage submits its batch
// at one instant over zero-latency links with no delays, so its linkages move through the
// phases in lock-step and each phase's signatures or verifications are all posted before the
// first result is needed; here a job's result is needed as soon as the next event unless a
// modelled delay lies between posting and applying.
constexpr Duration kStreamGap = Duration::Micros(200);
constexpr int kStreamBatch = 1000;

void BM_LinkageStream(benchmark::State& state) {
  const double floor_us = FloorMicrosPerLinkage();
  Fixture f(state.range(0), static_cast<size_t>(state.range(1)),
            renkei::netsim::LatencyModel::LogNormal(Duration::Millis(4), 0.6));
  middleware::QueryRequest q = TransferInQuery(f);
  bool submit_failed = false;
  int64_t linkages = 0;
  std::chrono::duration<double, std::micro> wall{0};
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kStreamBatch; ++i) {
      f.world->loop().ScheduleAfter(kStreamGap * i, [&f, &q, &submit_failed, i] {
        q.integrated_number = f.people[static_cast<size_t>(i % kPeople)];
        if (!f.a->server->SubmitQuery(q).ok()) submit_failed = true;
      });
    }
    f.world->Run();
    wall += std::chrono::steady_clock::now() - t0;
    linkages += kStreamBatch;
  }
  if (submit_failed) state.SkipWithError("submit failed");
  ReportLinkages(state, f, linkages, wall, floor_us);
}
BENCHMARK(BM_LinkageStream)
    ->ArgNames({"disk", "threads"})
    ->ArgsProduct({{0, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
