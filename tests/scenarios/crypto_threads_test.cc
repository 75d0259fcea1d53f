// Linkages with their signatures and verifications on worker threads (WorldOptions::
// crypto_threads): the same seed gives byte-identical message traces, provision logs, core
// records and outcomes with 0, 1 and 2 threads, also when a verification fails (a forged
// permit at the provider, a tampered answer at the requester).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "addressing/resident_generator.h"
#include "middleware/exchange.h"
#include "middleware/provision_log.h"
#include "netsim/crypto.h"
#include "netsim/envelope.h"
#include "scenarios/world.h"
#include "world_test_support.h"

namespace renkei::scenarios {
namespace {

using netsim::Duration;
namespace crypto = netsim::crypto;

constexpr const char* kNagaoka = "152021";
constexpr const char* kSendai = "041009";
constexpr const char* kSanjo = "152048";
constexpr const char* kJm = "JM00160200000000";
constexpr const char* kTransferIn = "JT00160200000001";
constexpr const char* kCovidSpecial = "JT00160200000003";  // ended: refused by the core
constexpr const char* kVaccination = "TM00160200000001";
constexpr int kPeople = 12;
constexpr int kQueries = 48;

// Everything a run leaves behind, as text, so two runs compare byte for byte.
struct RunOutput {
  std::string trace;
  std::vector<std::string> logs;  // per body: every provision record's canonical bytes, hex
  std::string core_head;
  std::vector<std::string> outcomes;  // per query: status, message and items
  uint64_t forged_refusals = 0;
  uint64_t rejected_answers = 0;
  uint64_t bad_signature_records = 0;  // at the requester
  uint64_t normal = 0;

  bool operator==(const RunOutput&) const = default;
};

// Not part of RunOutput: they depend on the thread count by design.
uint64_t checks_prepared = 0;           // at the requester: grants and answers
uint64_t provider_checks_prepared = 0;  // at 仙台市: queries

std::string LogText(World& world, World::Body& body, uint64_t* bad_signature = nullptr) {
  auto viewer = world.ServerSession(body, "viewer");
  EXPECT_TRUE(viewer.ok());
  auto all = body.server->ReadLog(viewer.value(), 1, INT64_MAX);
  EXPECT_TRUE(all.ok()) << all.error().message;
  std::string out;
  for (const middleware::ProvisionLogRecord& r : all.value()) {
    out += std::to_string(r.seq) + " " +
           crypto::ToHex(middleware::CanonicalProvisionRecordBytes(r)) + "\n";
    if (bad_signature != nullptr && r.outcome == "bad-signature") ++*bad_signature;
  }
  return out;
}

RunOutput RunLinkages(size_t threads, netsim::LatencyModel latency) {
  RunOutput out;
  WorldOptions o;
  o.seed = 7;
  o.start = netsim::FromCivil({2024, 6, 3, 9, 0, 0, 0});
  o.link.latency = latency;
  o.record_trace = true;
  o.crypto_threads = threads;
  auto created = World::Create(o);
  EXPECT_TRUE(created.ok()) << created.error().message;
  if (!created.ok()) return out;
  World& world = *created.value();
  for (const char* code : {kNagaoka, kSendai, kSanjo}) EXPECT_TRUE(world.AddBody(code).ok());
  World::Body& a = *world.FindBody(kNagaoka);
  World::Body& b = *world.FindBody(kSendai);
  World::Body& c = *world.FindBody(kSanjo);
  auto gen = addressing::ResidentGenerator::Create(7, kSendai).value();
  std::vector<std::string> people;
  auto reg = world.ServerSession(b, "registrar");
  EXPECT_TRUE(reg.ok());
  for (int i = 0; i < kPeople; ++i) {
    addressing::Resident r = gen.Next();
    const std::string at_b = world.RegisterResident(b, r).value();
    r.atena_number = std::string(kNagaoka) + r.atena_number.substr(6);
    people.push_back(world.RegisterResident(a, r).value());
    if (i % 2 == 1) continue;  // odd people have no replica at Sendai: "no data"
    EXPECT_TRUE(b.server
                    ->RegisterReplica(reg.value(), testing::DoseThreeRecord(
                                                       "VAC-" + std::to_string(i), at_b, kSendai))
                    .ok());
  }
  world.Run();  // tokens

  // The first query and the first answer on the wire, for the attacks below.
  crypto::Bytes query_bytes, answer_bytes;
  auto capture = [](crypto::Bytes& into, netsim::MessageType type) {
    return [&into, type](const netsim::Outgoing& m) {
      auto e = netsim::Decode(m.bytes);
      if (into.empty() && e.ok() && e->type == type) into.assign(m.bytes.begin(), m.bytes.end());
      return false;
    };
  };
  EXPECT_TRUE(
      world.network()
          .DropIf(a.institution, "nws-interface", capture(query_bytes, netsim::MessageType::kQuery))
          .ok());
  EXPECT_TRUE(world.network()
                  .DropIf(b.institution, "nws-interface",
                          capture(answer_bytes, netsim::MessageType::kAnswer))
                  .ok());

  // Many linkages in flight at once: answered, no data, wrong municipality, refused.
  std::vector<std::string> pns;
  for (int i = 0; i < kQueries; ++i) {
    middleware::QueryRequest q;
    q.integrated_number = people[static_cast<size_t>(i % kPeople)];
    q.provider = i % 7 == 3 ? c.institution : b.institution;
    q.jm = kJm;
    q.jt = i % 5 == 4 ? kCovidSpecial : kTransferIn;
    q.tm_items = {kVaccination};
    auto pn = a.server->SubmitQuery(q);
    EXPECT_TRUE(pn.ok()) << pn.error().message;
    if (pn.ok()) pns.push_back(pn.value());
  }
  world.Run();
  EXPECT_FALSE(query_bytes.empty());
  EXPECT_FALSE(answer_bytes.empty());

  // A permit signed by a key the core never held: the provider's verification fails.
  auto e = netsim::Decode(query_bytes).value();
  auto body = middleware::DecodeQuery(e.body).value();
  auto permit = netsim::ParsePermit(body.permit).value();
  permit.permit_id = "PMT-FORGED";
  permit.processing_number = "QFORGED-1";
  const auto forger =
      crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, std::vector<uint8_t>(32, 9)).value();
  EXPECT_TRUE(netsim::PermitSigner(1, forger).Sign(permit).ok());
  body.permit = netsim::SerializePermit(permit);
  body.processing_number = permit.processing_number;
  e.body = middleware::EncodeQuery(body).value();
  e.message_id = "forged.q";
  e.reception_number = "QFORGED-1";
  EXPECT_TRUE(world.network().Send(a.institution, "nws-interface", netsim::Encode(e).value()).ok());
  // An answer whose signature was changed on the way: the requester's verification fails.
  auto answer = netsim::Decode(answer_bytes).value();
  answer.signature->value[0] ^= 0x01;
  EXPECT_TRUE(
      world.network().Send(b.institution, "nws-interface", netsim::Encode(answer).value()).ok());
  world.Run();
  EXPECT_FALSE(world.failure());

  out.trace = world.network().TraceText();
  out.logs.push_back(LogText(world, a, &out.bad_signature_records));
  out.logs.push_back(LogText(world, b));
  out.logs.push_back(LogText(world, c));
  const netsim::ChainHead head = world.core_records().Head();
  out.core_head = std::to_string(head.seq) + " " + crypto::ToHex(head.hash);
  for (const std::string& pn : pns) {
    auto state = a.server->QueryStatus(pn);
    EXPECT_TRUE(state.ok());
    if (!state.ok()) continue;
    std::string line =
        pn + " " + std::string(middleware::RecordStatusName(state->status)) + " " + state->message;
    for (const middleware::AnswerItem& item : state->items)
      line += " " + item.tm + "=" + item.value;
    out.outcomes.push_back(line);
    if (state->status == middleware::RecordStatus::kNormal) ++out.normal;
  }
  const auto& outcomes = b.server->stats().provide_outcome;
  if (auto it = outcomes.find("permit-forged"); it != outcomes.end())
    out.forged_refusals = it->second;
  out.rejected_answers = a.server->stats().rejected_answers;
  checks_prepared = a.server->checks_prepared_in_flight();
  provider_checks_prepared = b.server->checks_prepared_in_flight();
  return out;
}

// `in_flight`: links take time, so with workers the checks are done while messages travel
// (SimNetwork::Preparer); with zero-latency links they are posted on arrival instead.
void ExpectSameForEveryThreadCount(const netsim::LatencyModel& latency, bool in_flight) {
  const RunOutput inline_run = RunLinkages(0, latency);
  // The run is not vacuous: answers, refusals and both failed verifications happened.
  EXPECT_GT(inline_run.normal, 0u);
  EXPECT_LT(inline_run.normal, static_cast<uint64_t>(kQueries));
  EXPECT_EQ(inline_run.forged_refusals, 1u);
  // The tampered answer, and the provider's refusal of the forged query (which names no
  // query of the requester's).
  EXPECT_EQ(inline_run.rejected_answers, 2u);
  EXPECT_EQ(inline_run.bad_signature_records, 1u);
  EXPECT_NE(inline_run.logs[0].find('\n'), std::string::npos);
  EXPECT_EQ(checks_prepared, 0u);
  EXPECT_EQ(provider_checks_prepared, 0u);
  for (size_t threads : {1u, 2u}) {
    const RunOutput run = RunLinkages(threads, latency);
    // Grants and answers were checked while in flight (SimNetwork::Preparer), and that
    // changed nothing below.
    EXPECT_EQ(checks_prepared > 0, in_flight) << threads << " threads";
    EXPECT_EQ(provider_checks_prepared > 0, in_flight) << threads << " threads";
    EXPECT_EQ(run.trace, inline_run.trace) << threads << " threads";
    EXPECT_EQ(run.logs, inline_run.logs) << threads << " threads";
    EXPECT_EQ(run.core_head, inline_run.core_head) << threads << " threads";
    EXPECT_EQ(run.outcomes, inline_run.outcomes) << threads << " threads";
    EXPECT_TRUE(run == inline_run) << threads << " threads";
  }
}

TEST(CryptoThreadsTest, SimultaneousLinkagesLeaveTheSameBytesWithZeroOneAndTwoThreads) {
  ExpectSameForEveryThreadCount(netsim::LatencyModel::Fixed(Duration()), /*in_flight=*/false);
}

TEST(CryptoThreadsTest, JitteredLinkagesLeaveTheSameBytesWithZeroOneAndTwoThreads) {
  ExpectSameForEveryThreadCount(
      netsim::LatencyModel::Uniform(Duration::Micros(100), Duration::Millis(3)),
      /*in_flight=*/true);
}

}  // namespace
}  // namespace renkei::scenarios
