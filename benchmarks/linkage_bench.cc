// End-to-end linkage in one process: a requester and a provider municipality with the NWS
// core and interface system (scenarios::World), zero-latency links. One iteration submits a
// batch of transfer-in queries and runs the loop until every answer is stored; the figure is
// linkages per wall-second. Each linkage does everything real: permit request and list check,
// token conversion, permit signature (core) and verification (provider), replica decryption,
// answer signature (provider) and verification (requester), provision-log appends at both
// bodies and core records, with SQLite in memory (Arg 0) or in WAL files on disk (Arg 1).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "addressing/resident_generator.h"
#include "scenarios/world.h"

namespace {

using renkei::netsim::Duration;
namespace scenarios = renkei::scenarios;
namespace middleware = renkei::middleware;

constexpr int kPeople = 200;
constexpr int kBatch = 200;

struct Fixture {
  std::unique_ptr<scenarios::World> world;
  scenarios::World::Body* a = nullptr;
  scenarios::World::Body* b = nullptr;
  std::vector<std::string> people;  // integrated numbers at the requester
  std::string dir;

  explicit Fixture(bool on_disk) {
    scenarios::WorldOptions o;
    o.seed = 11;
    o.start = renkei::netsim::FromCivil({2024, 6, 3, 9, 0, 0, 0});
    if (on_disk) {
      dir = (std::filesystem::temp_directory_path() / "renkei_bench_linkage").string();
      std::filesystem::remove_all(dir);
      o.data_dir = dir;
    }
    o.link.latency = renkei::netsim::LatencyModel::Fixed(Duration());
    o.core.permit_check_delay = Duration();
    o.server.processing_delay = Duration();
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

void BM_Linkage(benchmark::State& state) {
  Fixture f(state.range(0) == 1);
  middleware::QueryRequest q;
  q.provider = f.b->institution;
  q.jm = "JM00160200000000";
  q.jt = "JT00160200000001";
  q.tm_items = {"TM00160200000001"};
  int64_t linkages = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      q.integrated_number = f.people[static_cast<size_t>(i % kPeople)];
      if (!f.a->server->SubmitQuery(q).ok()) state.SkipWithError("submit failed");
    }
    f.world->Run();
    linkages += kBatch;
  }
  const auto stats = f.a->server->stats();
  if (stats.query_status.size() != 1 || !stats.query_status.contains("normal")) {
    state.SkipWithError("a linkage did not end normal");
  }
  state.SetItemsProcessed(linkages);
  state.counters["linkages_per_s"] =
      benchmark::Counter(static_cast<double>(linkages), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Linkage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
