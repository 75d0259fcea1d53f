// Benchmarks of the intermediate server (中間サーバー): one section per subject.
//
// Every store here is real: a SQLite file in WAL mode under the system temp directory, with
// payloads sealed by AES-256-GCM.
// Run: build/release/benchmarks/bench_middleware --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "middleware/replica_store.h"
#include "middleware/server_state.h"
#include "netsim/identifiers.h"
#include "netsim/sqlite.h"

namespace renkei::middleware {
namespace {

namespace fs = std::filesystem;

std::string BenchPath(const std::string& stem) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("renkei-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / (stem + std::to_string(counter++))).string();
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);
  return path;
}

void RemoveDb(const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);
}

// ---------------------------------------------------------------------------------------------
// Replica store
// ---------------------------------------------------------------------------------------------

std::string Lg(const std::string& first5) {
  return first5 + std::to_string(netsim::LgCodeCheckDigit(first5).value());
}

ReplicaStoreOptions ReplicaOptions() {
  ReplicaStoreOptions o;
  o.lgcode = Lg("14100");
  o.master_key.assign(32, 0x11);
  o.key_seed.assign(32, 0x22);
  return o;
}

// Two records per person: row i belongs to person i / 2. Deterministic, so every run imports
// the same bytes.
constexpr char kReplicaHeader[] =
    "record_id,integrated_number,tm,dataset_item_code,record_key,data_version,publish_from,"
    "publish_to,ward_code,payload\n";

std::string ReplicaPerson(uint64_t i) {
  return netsim::MakeIntegratedNumber(netsim::kIntegratedNumberMinBody + i / 2);
}

void WriteReplicaCsv(std::ostream& out, size_t rows) {
  const std::string ward = Lg("14101");
  out << kReplicaHeader;
  for (size_t i = 0; i < rows; ++i) {
    out << 'R' << i << ',' << ReplicaPerson(i) << ",TM00000000000001,DS001,key-" << i << ','
        << i % 3 << ",2024-04-01,2025-03-31," << ward << ",\"{\"\"income\"\":" << 1000000 + i
        << ",\"\"tax\"\":" << i * 7 % 100000 << "}\"\n";
  }
}

void BM_ReplicaLookup(benchmark::State& state) {
  static const std::string path = [] {
    const std::string p = BenchPath("replica-lookup");
    auto store = ReplicaStore::Open(p, ReplicaOptions());
    if (!store.ok()) std::abort();
    std::stringstream csv;
    WriteReplicaCsv(csv, 100000);
    auto summary = (*store)->ImportCsv(csv, "lookup.csv");
    if (!summary.ok() || summary->accepted != 100000) std::abort();
    return p;
  }();
  auto store = ReplicaStore::Open(path, ReplicaOptions());
  if (!store.ok()) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  uint64_t x = 12345;
  size_t found = 0;
  for (auto _ : state) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG: a spread of persons
    auto r = (*store)->Lookup(ReplicaPerson((x >> 33) % 100000), "TM00000000000001", "2024-06-01");
    if (!r.ok()) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    found += r->size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["records_per_lookup"] =
      benchmark::Counter(static_cast<double>(found) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplicaLookup);

// Imports 1,000,000 generated rows from a CSV file; args are (rows, batch_size): the default
// batch of 50,000 rows per transaction, and the whole file in one transaction. Set
// RENKEI_BENCH_CSV=<path> to keep a copy of the file for comparing with `sqlite3 db ".mode csv"
// ".import <path> t"`.
void BM_ReplicaImportCsv(benchmark::State& state) {
  const size_t rows = static_cast<size_t>(state.range(0));
  const std::string csv_path = BenchPath("replicas.csv");
  {
    std::ofstream out(csv_path, std::ios::binary);
    WriteReplicaCsv(out, rows);
  }
  if (const char* keep = std::getenv("RENKEI_BENCH_CSV"); keep != nullptr) {
    fs::copy_file(csv_path, keep, fs::copy_options::overwrite_existing);
  }
  for (auto _ : state) {
    state.PauseTiming();
    const std::string db_path = BenchPath("replica-import");
    auto store = ReplicaStore::Open(db_path, ReplicaOptions());
    std::ifstream in(csv_path, std::ios::binary);
    state.ResumeTiming();
    if (!store.ok()) {
      state.SkipWithError(store.error().message.c_str());
      return;
    }
    auto summary = (*store)->ImportCsv(in, "replicas.csv", static_cast<size_t>(state.range(1)));
    if (!summary.ok() || summary->accepted != rows) {
      state.SkipWithError(summary.ok() ? "rows rejected" : summary.error().message.c_str());
      return;
    }
    state.PauseTiming();
    store->reset();
    RemoveDb(db_path);
    state.ResumeTiming();
  }
  fs::remove(csv_path);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows));
}
BENCHMARK(BM_ReplicaImportCsv)
    ->Args({1000000, 50000})
    ->Args({1000000, 1000000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace renkei::middleware

// Provision log
//
// Append rate (the request path: one INSERT, no signing), sealing a batch of 1000 records
// (Merkle root + one Ed25519 signature, off the request path), and VerifyLog's rate over a
// sealed file. Included here, not at the top, so this section stays self-contained.
#include "middleware/provision_log.h"

namespace renkei::middleware {
namespace {

std::string ProvisionLogBenchPath(const std::string& stem) {
  static int counter = 0;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("renkei-bench-plog-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (stem + std::to_string(counter++))).string();
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return path;
}

void RemoveProvisionLogDb(const std::string& path) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
}

std::shared_ptr<const netsim::crypto::PrivateKey> ProvisionLogBenchKey() {
  const std::vector<uint8_t> seed(32, 11);
  return netsim::crypto::PrivateKey::FromSeed(netsim::crypto::KeyType::kEd25519, seed).value();
}

ProvisionLogRecord ProvisionLogBenchRecord(int64_t k) {
  ProvisionLogRecord r;
  r.at = netsim::SimTime::FromMicros(k * 1000);
  r.side = ProvisionSide::kProvider;
  r.event = ProvisionEvent::kAnswered;
  r.processing_number = "PN-" + std::to_string(k);
  r.requester = "1013101000000001";
  r.provider = "1013102000000002";
  r.jm = "JM00000000000001";
  r.jt = "JT00000000000001";
  r.tm_items = {"TM00000000000001", "TM00000000000002"};
  r.requested_at = r.at;
  r.provided_at = r.at;
  r.outcome = "answered";
  r.integrated_number = "100000000000019";
  return r;
}

void BM_ProvisionLogAppend(benchmark::State& state) {
  const std::string path = ProvisionLogBenchPath("plog-append");
  ProvisionLogOptions options;
  options.seal_every = int64_t{1} << 40;  // never seal: the request path alone
  auto log = ProvisionLog::Open(path, ProvisionLogBenchKey(), options);
  if (!log.ok()) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  int64_t k = 0;
  for (auto _ : state) {
    auto r = ProvisionLogBenchRecord(++k);
    if (!log->Append(r).ok()) {
      state.SkipWithError("append failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
  RemoveProvisionLogDb(path);
}
BENCHMARK(BM_ProvisionLogAppend)->Unit(benchmark::kMicrosecond);

void BM_ProvisionLogSeal1000(benchmark::State& state) {
  const std::string path = ProvisionLogBenchPath("plog-seal");
  ProvisionLogOptions options;
  options.seal_every = 1000;
  auto log = ProvisionLog::Open(path, ProvisionLogBenchKey(), options);
  if (!log.ok()) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  int64_t k = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 1000; ++i) {
      auto r = ProvisionLogBenchRecord(++k);
      if (!log->Append(r).ok()) {
        state.SkipWithError("append failed");
        return;
      }
    }
    state.ResumeTiming();
    auto seals = log->SealPending();
    if (!seals.ok() || *seals != 1) {
      state.SkipWithError("seal failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  RemoveProvisionLogDb(path);
}
// Fixed iterations: each one first appends 1000 records with the timer paused.
BENCHMARK(BM_ProvisionLogSeal1000)->Iterations(50)->Unit(benchmark::kMicrosecond);

void BM_ProvisionLogVerify(benchmark::State& state) {
  const std::string path = ProvisionLogBenchPath("plog-verify");
  const auto key = ProvisionLogBenchKey();
  const auto records = state.range(0);
  {
    ProvisionLogOptions options;
    options.seal_every = 1000;
    auto log = ProvisionLog::Open(path, key, options);
    if (!log.ok()) {
      state.SkipWithError(log.error().message.c_str());
      return;
    }
    for (int64_t k = 1; k <= records; ++k) {
      auto r = ProvisionLogBenchRecord(k);
      if (!log->Append(r).ok()) {
        state.SkipWithError("append failed");
        return;
      }
    }
    if (!log->SealPending(SealMode::kAll).ok()) {
      state.SkipWithError("seal failed");
      return;
    }
  }
  const auto pub = netsim::crypto::PublicKey::FromPrivate(*key).value();
  for (auto _ : state) {
    auto check = VerifyLog(path, *pub);
    if (!check.ok() || !check->intact) {
      state.SkipWithError("verify failed");
      return;
    }
    benchmark::DoNotOptimize(check->records);
  }
  state.SetItemsProcessed(state.iterations() * records);
  RemoveProvisionLogDb(path);
}
BENCHMARK(BM_ProvisionLogVerify)->Arg(50000)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------
// Server state: one query's rows on the requester, as a linkage writes and reads them
// ---------------------------------------------------------------------------------------------

// Per iteration the three events of one query: submit (処理通番 and the row), the granted
// permit (row read, new phase, the signed query kept for resending) and the answer (row read,
// two answer items, the kept query dropped), each in one transaction as the intermediate
// server commits them. Arg 0: SQLite in memory; 1: a WAL file.
void BM_QueryLifecycle(benchmark::State& state) {
  const bool file = state.range(0) == 1;
  const std::string path = file ? BenchPath("server-state") : ":memory:";
  auto db = netsim::sql::Database::Open(path);
  if (!db.ok()) {
    state.SkipWithError(db.error().message.c_str());
    return;
  }
  auto server = ServerState::Open(*db, std::vector<uint8_t>(32, 0x5A));
  if (!server.ok()) {
    state.SkipWithError(server.error().message.c_str());
    return;
  }
  ServerState& st = **server;
  const netsim::crypto::Bytes sent_query(1'400, 0x42);  // about a signed query envelope
  const std::string person = netsim::MakeIntegratedNumber(netsim::kIntegratedNumberMinBody);
  bool ok = true;
  auto check = [&ok](const auto& r) { ok = ok && r.ok(); };
  // The granted permit and the answer: the row read, changed (with the event's other writes)
  // and written back in one transaction.
  auto next_event = [&](const std::string& pn, const auto& change) {
    auto got = st.GetQuery(pn);
    auto writes = st.BeginWrites();
    if (!got.ok() || !*got || !writes.ok()) {
      ok = false;
      return;
    }
    QueryState q = std::move(**got);
    change(q);
    check(st.PutQuery(q));
    check(writes->Commit());
  };
  for (auto _ : state) {
    std::string pn;
    {
      auto writes = st.BeginWrites();
      auto got = st.NextProcessingNumber(Lg("15202"));
      if (!writes.ok() || !got.ok()) break;
      pn = *got;
      QueryState q;
      q.processing_number = pn;
      q.integrated_number = person;
      q.requester = Lg("15202");
      q.provider = Lg("04100");
      q.jm = "JM00000000000001";
      q.jt = "JT00000000000001";
      q.tm_items = {"TM00000000000001", "TM00000000000002"};
      q.start_date = "2024-04-01";
      q.end_date = "2025-03-31";
      q.phase = QueryPhase::kAwaitingPermit;
      q.attempts = 1;
      check(st.PutQuery(q));
      check(writes->Commit());
    }
    next_event(pn, [&](QueryState& q) {
      q.phase = QueryPhase::kAwaitingAnswer;
      q.permit_id = "P" + pn;
      check(st.PutSentQuery(pn, sent_query));
    });
    next_event(pn, [&](QueryState& q) {
      q.phase = QueryPhase::kDone;
      q.status = RecordStatus::kNormal;
      q.items = {{"TM00000000000001", ItemStatus::kObtained, "3200000"},
                 {"TM00000000000002", ItemStatus::kNoData, ""}};
      check(st.DeleteSentQuery(pn));
    });
    if (!ok) break;
  }
  if (!ok || state.iterations() == 0) state.SkipWithError("a state write or read failed");
  state.SetItemsProcessed(state.iterations());
  server->reset();
  db = netsim::sql::Database::Open(":memory:");  // closes the file before it is removed
  if (file) RemoveDb(path);
}
BENCHMARK(BM_QueryLifecycle)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
// The same at fixed iteration counts, for benchmarks/ir_per_iteration.sh: instructions per
// query under callgrind, which a noisy machine cannot move (the table grows alike in both).
const bool kQueryLifecycleCounted = [] {
  for (benchmark::IterationCount n : {400, 1600}) {
    benchmark::RegisterBenchmark("BM_QueryLifecycleCounted", BM_QueryLifecycle)
        ->Arg(0)
        ->Iterations(n)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

}  // namespace
}  // namespace renkei::middleware
