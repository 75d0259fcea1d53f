// Benchmarks of the integrated addressing server: number assignment, the three lookups,
// 4-information search, and bulk registration of 1,000,000 generated residents.
//
// Every server here is real: a SQLite file in WAL mode under the system temp directory,
// HMAC digests and AES-GCM seals of each 個人番号, operation records for every call.
// Run: build/release/benchmarks/bench_addressing --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>

#include "addressing/addressing_server.h"
#include "addressing/bulk_import.h"
#include "addressing/resident_generator.h"

namespace renkei::addressing {
namespace {

namespace fs = std::filesystem;

std::string FreshPath(const std::string& stem) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("renkei-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / (stem + std::to_string(counter++) + ".db")).string();
  for (const char* s : {"", "-wal", "-shm"}) fs::remove(path + s);
  return path;
}

struct Fixture {
  ~Fixture() {
    server.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  }
  netsim::ManualClock clock{netsim::FromCivil({2024, 4, 1, 9})};
  std::string path = FreshPath("fixture");
  std::unique_ptr<AddressingServer> server;
  Session registrar, viewer;
  std::vector<Resident> residents;

  explicit Fixture(int64_t preload) {
    AddressingOptions o;
    o.lgcode = "152021";
    o.master_key.assign(32, 7);
    o.staff_policy.hash.iterations = 1000;
    server = std::move(AddressingServer::Open(path, o, clock).value());
    auto& staff = server->staff();
    const char* pw = "Bench-pass-2024";
    if (!staff.Bootstrap("admin", "admin", pw).ok()) std::abort();
    const Session admin = staff.Login("admin", pw).value();
    if (!staff.CreateStaff(admin, "reg", "reg", RoleBit(Role::kRegistrar), pw).ok() ||
        !staff.CreateStaff(admin, "view", "view", RoleBit(Role::kViewer), pw).ok() ||
        !server->RegisterBusinessSystem(admin, {"JUKI", "住基"}).ok()) {
      std::abort();
    }
    registrar = staff.Login("reg", pw).value();
    viewer = staff.Login("view", pw).value();
    auto gen = ResidentGenerator::Create(1, "152021").value();
    std::vector<Registration> batch;
    for (int64_t i = 0; i < preload; ++i) {
      residents.push_back(gen.Next());
      const Resident& r = residents.back();
      batch.push_back(
          Registration{r.my_number, "JUKI", r.atena_number,
                       FourInfo{r.name, r.name_kana, r.sex, FormatDate(r.birth_date), r.address}});
      if (batch.size() == 10000 || i + 1 == preload) {
        if (!server->RegisterBatch(registrar, batch).ok()) std::abort();
        batch.clear();
      }
    }
  }
};

// One registration per call, each its own transaction: the online path.
void BM_AssignNumber(benchmark::State& state) {
  Fixture f(0);
  auto gen = ResidentGenerator::Create(2, "152021").value();
  for (auto _ : state) {
    state.PauseTiming();
    const Resident r = gen.Next();
    Registration reg{r.my_number, "JUKI", r.atena_number,
                     FourInfo{r.name, r.name_kana, r.sex, FormatDate(r.birth_date), r.address}};
    state.ResumeTiming();
    auto out = f.server->Register(f.registrar, reg);
    if (!out.ok()) state.SkipWithError(out.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AssignNumber)->Unit(benchmark::kMicrosecond);

Fixture& Preloaded() {
  static Fixture f(100000);
  return f;
}

void BM_LookupByMyNumber(benchmark::State& state) {
  Fixture& f = Preloaded();
  size_t i = 0;
  for (auto _ : state) {
    auto p = f.server->LookupByMyNumber(f.viewer, f.residents[i++ % f.residents.size()].my_number);
    if (!p.ok()) state.SkipWithError(p.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupByMyNumber)->Unit(benchmark::kMicrosecond);

void BM_LookupByAtena(benchmark::State& state) {
  Fixture& f = Preloaded();
  size_t i = 0;
  for (auto _ : state) {
    auto p = f.server->LookupByAtena(f.viewer, "JUKI",
                                     f.residents[i++ % f.residents.size()].atena_number);
    if (!p.ok()) state.SkipWithError(p.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupByAtena)->Unit(benchmark::kMicrosecond);

void BM_LookupByIntegratedNumber(benchmark::State& state) {
  Fixture& f = Preloaded();
  std::vector<std::string> numbers;
  for (size_t i = 0; i < 1000; ++i) {
    numbers.push_back(
        f.server->IntegratedNumberForAtena(f.viewer, "JUKI", f.residents[i * 97].atena_number)
            .value());
  }
  size_t i = 0;
  for (auto _ : state) {
    auto p = f.server->LookupByIntegratedNumber(f.viewer, numbers[i++ % numbers.size()]);
    if (!p.ok()) state.SkipWithError(p.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupByIntegratedNumber)->Unit(benchmark::kMicrosecond);

// Name, kana, sex, birth date and address of a known resident, as typed at the counter.
void BM_FourInfoSearch(benchmark::State& state) {
  Fixture& f = Preloaded();
  size_t i = 0;
  for (auto _ : state) {
    const Resident& r = f.residents[(i++ * 7919) % f.residents.size()];
    auto found = f.server->Search(
        f.viewer, FourInfo{r.name, r.name_kana, r.sex, FormatDate(r.birth_date), r.address});
    if (!found.ok() || found->empty()) state.SkipWithError("search found nothing");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FourInfoSearch)->Unit(benchmark::kMicrosecond);

// The target: 1,000,000 generated residents from CSV in under 10 s on 2 cores.
// CSV generation happens before timing; parsing, validation, normalisation, digests, seals,
// inserts, operation records and commits are timed.
void BM_BulkRegisterCsv(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::ostringstream csv;
  WriteResidentsCsvHeader(csv);
  auto gen = ResidentGenerator::Create(3, "152021").value();
  for (int64_t i = 0; i < n; ++i) WriteResidentCsvRow(csv, gen.Next());
  const std::string text = csv.str();
  for (auto _ : state) {
    state.PauseTiming();
    auto f = std::make_unique<Fixture>(0);
    std::istringstream in(text);
    state.ResumeTiming();
    ImportOptions options;
    options.batch_size = static_cast<size_t>(state.range(1));
    auto summary = ImportResidentsCsv(*f->server, f->registrar, in, "bench.csv", options);
    if (!summary.ok() || summary->numbered != n) {
      state.SkipWithError(summary.ok() ? "rows rejected" : summary.error().message.c_str());
    }
    state.PauseTiming();
    f.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
// Arguments: rows, rows per transaction.
BENCHMARK(BM_BulkRegisterCsv)
    ->Args({100000, 50000})
    ->Args({1000000, 50000})
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace renkei::addressing
