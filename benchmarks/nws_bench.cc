#include <benchmark/benchmark.h>

// ============================================================================================
// Permit list and institution registry (permit_list.h, institution_registry.h).
//
//   bench_nws --benchmark_filter=PermitList --benchmark_repetitions=3
//             --benchmark_report_aggregates_only=true
//
// RENKEI_BENCH_INJECT_SLOWDOWN_PCT=P slows the two permit-check benchmarks by about P % (a test
// hook for the regression gate; see InjectedSlowdownPct).
// ============================================================================================

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "netsim/identifiers.h"
#include "netsim/institution_registry.h"
#include "netsim/permit_list.h"
#include "netsim/rng.h"

namespace renkei::netsim::permit_list_bench {

// The 47 prefectures and a few national bodies, built in memory so the benchmark needs no
// data file; GenerateFull adds the 1,741 municipalities.
const InstitutionRegistry& FullRegistry() {
  static const InstitutionRegistry registry = [] {
    std::ostringstream csv;
    csv << "institution_code,kind,lg_code,name,endpoint\n";
    for (int p = 1; p <= 47; ++p) {
      char body[32];
      std::snprintf(body, sizeof body, "%02d000", p);
      const std::string lg = std::string(body) + std::to_string(LgCodeCheckDigit(body).value());
      csv << InstitutionCodeForLgCode(lg) << ",prefecture," << lg << ",県" << p << ",\n";
    }
    csv << NationalInstitutionCode(20, 1) << ",ministry,,厚生労働省,\n"
        << NationalInstitutionCode(21, 1) << ",jlis,,地方公共団体情報システム機構,\n"
        << NationalInstitutionCode(22, 1) << ",pension,,日本年金機構,\n"
        << NationalInstitutionCode(23, 1) << ",medical_insurer,,全国健康保険協会,\n"
        << NationalInstitutionCode(29, 1) << ",other_national,,日本学生支援機構,\n";
    std::istringstream in(csv.str());
    auto base = InstitutionRegistry::FromCsv(in, "bench");
    return InstitutionRegistry::GenerateFull(1, base.value()).value();
  }();
  return registry;
}

const PermitList& FullList() {
  static const PermitList list = PermitList::GenerateFull(1);
  return list;
}

// Requests drawn by row weight, as a load generator would: ~80 % hit the 30 busiest rows.
// `deny` makes every request fail: even ones ask for an item the row lacks
// (kItemNotPermitted), odd ones go to a provider of another kind (kNotPermitted).
std::vector<PermitRequest> MakeRequests(bool deny) {
  const InstitutionRegistry& registry = FullRegistry();
  const PermitList& list = FullList();
  std::map<InstitutionKind, std::vector<const Institution*>> by_kind;
  for (const Institution& b : registry) by_kind[b.kind].push_back(&b);
  std::vector<uint64_t> cumulative;
  uint64_t total = 0;
  for (const PermitRow& row : list.rows()) cumulative.push_back(total += row.weight);
  Rng rng(1, Rng::StreamId("bench/permit_list/requests"));
  auto pick = [&rng](const std::vector<const Institution*>& bodies) {
    return bodies[rng.Uniform(bodies.size())]->code;
  };
  std::vector<PermitRequest> requests;
  while (requests.size() < 4096) {
    const uint64_t draw = rng.Uniform(total);
    const size_t r = static_cast<size_t>(
        std::upper_bound(cumulative.begin(), cumulative.end(), draw) - cumulative.begin());
    const PermitRow& row = list.rows()[r];
    if (row.valid_from.micros() != list.valid_from().micros() ||
        row.valid_to.micros() != list.valid_to().micros()) {
      continue;  // keep every request decidable at one `now`
    }
    PermitRequest q;
    q.requester = pick(by_kind[row.requester.kind]);
    q.jm = row.jm;
    q.jt = row.jt;
    InstitutionKind provider_kind = row.provider.kind;
    if (deny && requests.size() % 2 == 1) {
      provider_kind = provider_kind == InstitutionKind::kOtherNational
                          ? InstitutionKind::kMunicipality
                          : InstitutionKind::kOtherNational;
    }
    q.provider = pick(by_kind[provider_kind]);
    q.tm_items = row.tm_items;
    if (deny && requests.size() % 2 == 0) q.tm_items.push_back("TM99999999999999");
    requests.push_back(std::move(q));
  }
  return requests;
}

const SimTime kNow = SimTime::FromMicros(800'000'000'000'000);  // 2025-05 JST

// A test hook of this benchmark only, never of the library: RENKEI_BENCH_INJECT_SLOWDOWN_PCT=P
// makes each permit check cost about (1 + P/100) checks, so the regression gate can be shown
// to catch a P % slowdown without editing the code under test (docs/performance.md,
// "Regression gate"). Returns P, or -1 after marking the run failed for a bad value.
int InjectedSlowdownPct(benchmark::State& state) {
  const char* text = std::getenv("RENKEI_BENCH_INJECT_SLOWDOWN_PCT");
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const long pct = std::strtol(text, &end, 10);
  if (*end != '\0' || pct < 0 || pct > 1000) {
    state.SkipWithError("RENKEI_BENCH_INJECT_SLOWDOWN_PCT must be a whole number 0-1000");
    return -1;
  }
  return static_cast<int>(pct);
}

void RunChecks(benchmark::State& state, const std::vector<PermitRequest>& requests,
               bool expect_permitted) {
  const InstitutionRegistry& registry = FullRegistry();
  const PermitList& list = FullList();
  for (const auto& q : requests) {
    if (list.Check(q, registry, kNow).permitted() != expect_permitted) {
      state.SkipWithError("request set does not decide as intended");
      return;
    }
  }
  const int slowdown_pct = InjectedSlowdownPct(state);
  if (slowdown_pct < 0) return;
  size_t i = 0;
  if (slowdown_pct == 0) {
    for (auto _ : state) {
      const PermitDecision d = list.Check(requests[i++ & 4095], registry, kNow);
      benchmark::DoNotOptimize(d);
    }
  } else {
    int owed = 0;
    for (auto _ : state) {
      const PermitDecision d = list.Check(requests[i++ & 4095], registry, kNow);
      benchmark::DoNotOptimize(d);
      // Exactly `slowdown_pct` extra checks per 100 iterations, spread evenly: the added cost is
      // the same in every repetition, so only the machine's noise varies.
      for (owed += slowdown_pct; owed >= 100; owed -= 100) {
        const PermitDecision extra = list.Check(requests[i++ & 4095], registry, kNow);
        benchmark::DoNotOptimize(extra);
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Weighted mix of granted requests against the 2,000-row list and the 1,788-body registry.
void BM_PermitListCheckPermitted(benchmark::State& state) {
  static const std::vector<PermitRequest> requests = MakeRequests(false);
  RunChecks(state, requests, true);
}
BENCHMARK(BM_PermitListCheckPermitted);

// Half kItemNotPermitted, half kNotPermitted.
void BM_PermitListCheckDenied(benchmark::State& state) {
  static const std::vector<PermitRequest> requests = MakeRequests(true);
  RunChecks(state, requests, false);
}
BENCHMARK(BM_PermitListCheckDenied);

// One registry lookup by 機関コード (the check does two).
void BM_PermitListRegistryFind(benchmark::State& state) {
  const InstitutionRegistry& registry = FullRegistry();
  std::vector<std::string> codes;
  for (const Institution& b : registry) codes.push_back(b.code);
  Rng rng(2, 0);
  std::vector<std::string> order;
  for (int i = 0; i < 4096; ++i) order.push_back(codes[rng.Uniform(codes.size())]);
  size_t i = 0;
  for (auto _ : state) {
    const Institution* b = registry.Find(order[i++ & 4095]);
    benchmark::DoNotOptimize(b);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermitListRegistryFind);

// Loading the generated list from text: what a body does when a new version arrives.
void BM_PermitListParseFull(benchmark::State& state) {
  std::ostringstream text;
  FullList().WriteCsv(text);
  const std::string csv = text.str();
  for (auto _ : state) {
    std::istringstream in(csv);
    auto list = PermitList::FromCsv(in, "bench");
    benchmark::DoNotOptimize(list);
  }
  state.SetItemsProcessed(state.iterations() * PermitList::kGeneratedRows);
}
BENCHMARK(BM_PermitListParseFull)->Unit(benchmark::kMillisecond);

}  // namespace renkei::netsim::permit_list_bench

// ============================================================================================
// NWS core: token issuing, provision permits, core records (token_service.h,
// provision_permit.h, core_records.h).
//
//   bench_nws --benchmark_filter='Token|PermitSign|PermitVerify|CoreRecord'
//             --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   (one command line)
// ============================================================================================

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "netsim/core_records.h"
#include "netsim/crypto.h"
#include "netsim/identifiers.h"
#include "netsim/provision_permit.h"
#include "netsim/token_service.h"

namespace renkei::netsim::nws_core_bench {

crypto::Bytes BenchKey(uint8_t first) {
  crypto::Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(first + 7 * i);
  return key;
}

const std::string& Nagaoka() {
  static const std::string code = InstitutionCodeForLgCode("152021");
  return code;
}
const std::string& Chiyoda() {
  static const std::string code = InstitutionCodeForLgCode("131016");
  return code;
}

bool AnyBody(std::string_view) { return true; }

// Fixed 32-byte keys cannot be refused: a failure here is a broken build, and value() aborts.
TokenService MakeTokenService() {
  return TokenService::Create(BenchKey(1), 1, BenchKey(2), AnyBody).value();
}

// One AES block from a known ID code: the core's per-body derivation.
void BM_TokenDerive(benchmark::State& state) {
  TokenService service = MakeTokenService();
  IdCode id = service.IdCodeFor(MakeJuminhyoCode(1234567890)).value();
  for (auto _ : state) {
    auto token = service.Derive(id, Nagaoka());
    benchmark::DoNotOptimize(token);
    ++id[7];
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenDerive);

// A whole acquisition: request checks, the Feistel ID code (4 AES blocks) and the token.
void BM_TokenIssue(benchmark::State& state) {
  TokenService service = MakeTokenService();
  std::vector<std::string> codes;
  for (uint64_t i = 0; i < 1024; ++i) codes.push_back(MakeJuminhyoCode(i * 9973));
  size_t i = 0;
  for (auto _ : state) {
    auto grant = service.Issue(codes[i++ & 1023], Nagaoka(), "152021-0000000001");
    benchmark::DoNotOptimize(grant);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenIssue);

// Decrypt, check the source body, re-encrypt for the target: once per permit.
void BM_TokenConvert(benchmark::State& state) {
  TokenService service = MakeTokenService();
  std::vector<Token> tokens;
  for (uint64_t i = 0; i < 1024; ++i) {
    tokens.push_back(service.Issue(MakeJuminhyoCode(i * 9973), Nagaoka(), "1")->token);
  }
  size_t i = 0;
  for (auto _ : state) {
    auto converted = service.Convert(tokens[i++ & 1023], Nagaoka(), Chiyoda());
    benchmark::DoNotOptimize(converted);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenConvert);

std::shared_ptr<const crypto::PrivateKey> PermitKey() {
  return crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, BenchKey(3)).value();
}

ProvisionPermit BenchPermit() {
  ProvisionPermit p;
  p.permit_id = "P-0000000001";
  p.processing_number = "131016-Q-0000000001";
  p.requester = Chiyoda();
  p.provider = Nagaoka();
  p.jm = "JM00000000001602";
  p.jt = "JT00000000001602";
  p.tm_items = {"TM00000000016021", "TM00000000016022"};
  p.provider_token = "v1:000102030405060708090a0b0c0d0e0f";
  p.issued_at = SimTime::FromMicros(1'000'000);
  p.expires_at = SimTime::FromMicros(601'000'000);
  return p;
}

// Field checks, canonical bytes and one Ed25519 signature.
void BM_PermitSign(benchmark::State& state) {
  const PermitSigner signer(1, PermitKey());
  ProvisionPermit p = BenchPermit();
  for (auto _ : state) {
    auto s = signer.Sign(p);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermitSign);

// Signing plus the JSON text form: what the core does per granted permit.
void BM_PermitSignSerialize(benchmark::State& state) {
  const PermitSigner signer(1, PermitKey());
  ProvisionPermit p = BenchPermit();
  for (auto _ : state) {
    auto s = signer.Sign(p);
    std::string text = SerializePermit(p);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermitSignSerialize);

// Accepts every id, so the loop measures parsing and verification, not a growing set.
class AcceptAllStore final : public UsedPermitStore {
 public:
  Result<bool> MarkUsed(std::string_view, SimTime) override { return true; }
  Result<int64_t> PurgeExpired(SimTime) override { return int64_t{0}; }
  Result<int64_t> Count() override { return int64_t{0}; }
};

// Strict JSON parse, field checks, canonical bytes and one Ed25519 verification.
void BM_PermitVerifyText(benchmark::State& state) {
  const PermitSigner signer(1, PermitKey());
  ProvisionPermit p = BenchPermit();
  if (!signer.Sign(p).ok()) {
    state.SkipWithError("sign failed");
    return;
  }
  const std::string text = SerializePermit(p);
  AcceptAllStore store;
  PermitVerifier verifier(Nagaoka(), store);
  if (!verifier.AddKey(1, crypto::PublicKey::FromPrivate(*PermitKey()).value()).ok()) {
    state.SkipWithError("add key failed");
    return;
  }
  for (auto _ : state) {
    auto v = verifier.Check(text, SimTime::FromMicros(2'000'000));
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PermitVerifyText);

// One core record per transaction in a WAL file (synchronous=NORMAL), hash chain included.
void BM_CoreRecordAppend(benchmark::State& state) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("renkei-bench-core-records-" + std::to_string(getpid()) + ".db"))
                               .string();
  auto remove = [&path] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  };
  remove();
  {
    auto log = CoreRecords::Open(path);
    if (!log.ok()) {
      state.SkipWithError(log.error().message.c_str());
      return;
    }
    CoreRecord r;
    r.kind = CoreRecordKind::kPermitGrant;
    r.processing_number = "131016-Q-0000000001";
    r.requester = Chiyoda();
    r.provider = Nagaoka();
    r.jm = "JM00000000001602";
    r.jt = "JT00000000001602";
    r.tm_items = {"TM00000000016021", "TM00000000016022"};
    r.outcome = "granted";
    int64_t t = 0;
    for (auto _ : state) {
      r.time = SimTime::FromMicros(++t);
      if (!log->Append(r).ok()) {
        state.SkipWithError("append failed");
        break;
      }
    }
    state.SetItemsProcessed(state.iterations());
  }
  remove();
}
BENCHMARK(BM_CoreRecordAppend);

// Walking the chain: records checked per second.
void BM_CoreRecordVerify(benchmark::State& state) {
  auto log = CoreRecords::Open(":memory:");
  if (!log.ok()) {
    state.SkipWithError(log.error().message.c_str());
    return;
  }
  CoreRecord r;
  r.kind = CoreRecordKind::kPermitDenial;
  r.processing_number = "131016-Q-0000000001";
  r.requester = Chiyoda();
  r.provider = Nagaoka();
  r.outcome = "not-permitted";
  for (int i = 0; i < 10000; ++i) {
    if (!log->Append(r).ok()) {
      state.SkipWithError("append failed");
      return;
    }
  }
  for (auto _ : state) {
    auto s = log->Verify();
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_CoreRecordVerify)->Unit(benchmark::kMillisecond);

}  // namespace renkei::netsim::nws_core_bench

// ============================================================================================
// Message envelope and simulated network (envelope.h, sim_network.h).
//
//   bench_nws --benchmark_filter='Envelope|SimNetwork' --benchmark_repetitions=3
//             --benchmark_report_aggregates_only=true
// ============================================================================================

#include <cstdlib>

#include "netsim/envelope.h"
#include "netsim/event_loop.h"
#include "netsim/sim_network.h"

namespace renkei::netsim::nws_net_bench {

// A query envelope of about 1 KiB encoded: a 700-byte JSON-like body (base64 grows it by 4/3)
// plus the header.
Envelope KibEnvelope() {
  Envelope e;
  e.message_id = "1015202100000002-000000000001";
  e.type = MessageType::kQuery;
  e.source = InstitutionCodeForLgCode("152021");
  e.destination = InstitutionCodeForLgCode("131016");
  e.reception_number = "R20240401-000001";
  std::string body = R"({"JM":"JM00000000000016","JT":"JT00000000000160","TM":[)";
  while (body.size() < 690) body += R"("TM00000000001601",)";
  body += R"("x"]})";
  e.body.assign(body.begin(), body.end());
  return e;
}

void BM_EnvelopeEncode(benchmark::State& state) {
  const Envelope e = KibEnvelope();
  size_t size = 0;
  for (auto _ : state) {
    auto bytes = Encode(e);
    size = bytes->size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(size));
  state.counters["message_bytes"] = static_cast<double>(size);
}
BENCHMARK(BM_EnvelopeEncode);

void BM_EnvelopeDecode(benchmark::State& state) {
  const crypto::Bytes bytes = Encode(KibEnvelope()).value();
  for (auto _ : state) {
    auto e = Decode(bytes);
    if (!e.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.counters["message_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_EnvelopeDecode);

// 10,000 messages of 1 KiB, one every 100 µs, over a log-normal (median 3 ms, sigma 0.6) link
// losing 5 %. Counts messages/s and loop events/s (one send event and, unless lost, one
// arrival event per message). Arg: 1 records the trace, 0 keeps counters only.
void BM_SimNetworkLossyLogNormal(benchmark::State& state) {
  constexpr int kMessages = 10000;
  const bool trace = state.range(0) != 0;
  uint64_t events = 0;
  uint64_t delivered = 0;
  for (auto _ : state) {
    EventLoop loop;
    SimNetworkConfig config;
    config.seed = 1;
    config.record_trace = trace;
    SimNetwork net(loop, config);
    LinkProfile p;
    p.latency = LatencyModel::LogNormal(Duration::Millis(3), 0.6);
    p.loss = LossModel::Bernoulli(0.05);
    if (!net.AddNode("a").ok() || !net.AddNode("b", [](const Delivery&) {}).ok() ||
        !net.AddLink("a", "b", p).ok()) {
      state.SkipWithError("setup failed");
      break;
    }
    const crypto::Bytes message(1024, 0x42);
    for (int i = 0; i < kMessages; ++i) {
      loop.ScheduleAt(SimTime::FromMicros(i * 100), [&net, &message] {
        if (!net.Send("a", "b", message).ok()) std::abort();
      });
    }
    events += loop.Run();
    delivered += net.Totals().delivered;
    benchmark::DoNotOptimize(net.trace().size());
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["delivered_share"] =
      static_cast<double>(delivered) / static_cast<double>(state.iterations() * kMessages);
}
BENCHMARK(BM_SimNetworkLossyLogNormal)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace renkei::netsim::nws_net_bench
