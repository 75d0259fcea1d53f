// The end-to-end linkage: two municipalities' addressing and intermediate servers (and a third
// body for the wrong-municipality case) with the NWS core and interface system over simulated
// links. Each case asserts the outcome the requester's business system sees, and the exact
// records it leaves in both bodies' provision logs and in the core's records.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "addressing/resident_generator.h"
#include "cli_test_support.h"
#include "middleware/exchange.h"
#include "netsim/envelope.h"
#include "netsim/sqlite.h"
#include "scenarios/world.h"
#include "world_test_support.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;
using middleware::ItemStatus;
using middleware::ProvisionEvent;
using middleware::ProvisionLogRecord;
using middleware::QueryPhase;
using middleware::RecordStatus;
using netsim::Duration;

constexpr const char* kNagaoka = "152021";  // requester: the person's new home
constexpr const char* kSendai = "041009";   // provider: the former home
constexpr const char* kSanjo = "152048";    // a body the person never lived in
constexpr const char* kJm = "JM00160200000000";
constexpr const char* kTransferIn = "JT00160200000001";    // 16の2-1, in force
constexpr const char* kCovidSpecial = "JT00160200000003";  // 16の2-4, ended 2024-03-31
constexpr const char* kVaccination = "TM00160200000001";

struct Case {
  std::string pn;
  middleware::QueryState state;
};

class LinkageTest : public ::testing::Test {
 public:
  void SetUp() override { Build(":memory:"); }

  void Build(const std::string& data_dir) {
    WorldOptions o;
    o.seed = 7;
    o.start = netsim::FromCivil({2024, 6, 3, 9, 0, 0, 0});
    o.data_dir = data_dir;
    o.link.latency = netsim::LatencyModel::Fixed(Duration::Millis(4));
    o.server.review_escalate_after = Duration::Days(1);
    o.server.review_expire_after = Duration::Days(3);
    auto w = World::Create(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    world = std::move(w).value();
    for (const char* code : {kNagaoka, kSendai, kSanjo}) {
      auto added = world->AddBody(code);
      ASSERT_TRUE(added.ok()) << added.error().message;
    }
    a = world->FindBody(kNagaoka);
    b = world->FindBody(kSendai);
    c = world->FindBody(kSanjo);
    auto gen = addressing::ResidentGenerator::Create(7, kSendai);
    ASSERT_TRUE(gen.ok());
    // Each person lived in Sendai and has moved to Nagaoka: registered at both.
    for (int i = 0; i < 6; ++i) {
      addressing::Resident r = gen->Next();
      auto at_b = world->RegisterResident(*b, r);
      ASSERT_TRUE(at_b.ok()) << at_b.error().message;
      r.atena_number = std::string(kNagaoka) + r.atena_number.substr(6);
      auto at_a = world->RegisterResident(*a, r);
      ASSERT_TRUE(at_a.ok()) << at_a.error().message;
      people.push_back({at_a.value(), at_b.value(), r.atena_number});
    }
    // A resident of Nagaoka only, registered later so that a query finds no token yet.
    newcomer = gen->Next();
    world->Run();  // tokens are acquired through 住基ネット, J-LIS and the core
    ASSERT_FALSE(world->failure()) << world->failure()->message;
    // Sendai's vaccination replicas for every person.
    auto reg = world->ServerSession(*b, "registrar");
    ASSERT_TRUE(reg.ok()) << reg.error().message;
    for (size_t i = 0; i < people.size(); ++i) {
      ASSERT_TRUE(
          b->server
              ->RegisterReplica(reg.value(), testing::DoseThreeRecord("VAC-" + std::to_string(i),
                                                                      people[i].at_b, kSendai))
              .ok());
    }
  }

  // Submits and runs the world for `run_for`: by default an hour, long enough for any answer
  // and far shorter than a review deadline.
  Case Query(World::Body& from, const std::string& integrated, const std::string& provider,
             const char* jt = kTransferIn, const char* tm = kVaccination,
             Duration run_for = Duration::Hours(1)) {
    middleware::QueryRequest q;
    q.integrated_number = integrated;
    q.provider = provider;
    q.jm = kJm;
    q.jt = jt;
    q.tm_items = {tm};
    auto pn = from.server->SubmitQuery(q);
    EXPECT_TRUE(pn.ok()) << pn.error().message;
    world->RunUntil(world->loop().Now() + run_for);
    auto state = from.server->QueryStatus(pn.value());
    EXPECT_TRUE(state.ok());
    return Case{pn.value(), state.value()};
  }

  // The provision-log records of one 処理通番 at a body, as "side/event/outcome" strings.
  std::vector<std::string> LogOf(World::Body& body, const std::string& pn) {
    auto viewer = world->ServerSession(body, "viewer");
    EXPECT_TRUE(viewer.ok());
    auto all = body.server->ReadLog(viewer.value(), 1, INT64_MAX);
    EXPECT_TRUE(all.ok()) << all.error().message;
    std::vector<std::string> out;
    for (const ProvisionLogRecord& r : all.value()) {
      if (r.processing_number != pn) continue;
      out.push_back(std::string(middleware::ProvisionSideName(r.side)) + "/" +
                    std::string(middleware::ProvisionEventName(r.event)) + "/" + r.outcome);
    }
    return out;
  }

  std::vector<std::string> CoreOf(const std::string& pn) {
    auto all = world->core_records().Read(1, INT64_MAX);
    EXPECT_TRUE(all.ok());
    std::vector<std::string> out;
    for (const netsim::CoreRecord& r : all.value()) {
      if (r.processing_number != pn) continue;
      out.push_back(std::string(netsim::CoreRecordKindName(r.kind)) + "/" + r.outcome);
    }
    return out;
  }

  struct Person {
    std::string at_a, at_b, atena_a;
  };
  std::unique_ptr<World> world;
  World::Body* a = nullptr;
  World::Body* b = nullptr;
  World::Body* c = nullptr;
  std::vector<Person> people;
  addressing::Resident newcomer;
};

using V = std::vector<std::string>;

TEST_F(LinkageTest, TransferInQueryIsAnsweredWithTheFormerHomesRecord) {
  const Case k = Query(*a, people[0].at_a, b->institution);
  EXPECT_EQ(k.state.phase, QueryPhase::kDone);
  EXPECT_EQ(k.state.status, RecordStatus::kNormal) << k.state.message;
  EXPECT_EQ(middleware::RecordStatusCode(k.state.status), "09");
  ASSERT_EQ(k.state.items.size(), 1u);
  EXPECT_EQ(k.state.items[0].status, ItemStatus::kObtained);
  EXPECT_EQ(middleware::ItemStatusCode(k.state.items[0].status), "01");
  EXPECT_NE(k.state.items[0].value.find("HK1234"), std::string::npos);
  EXPECT_EQ(LogOf(*a, k.pn),
            (V{"requester/query-sent/" + k.state.permit_id, "requester/answer-received/normal"}));
  EXPECT_EQ(LogOf(*b, k.pn), (V{"provider/answered/normal"}));
  EXPECT_EQ(CoreOf(k.pn), (V{"permit-request/", "permit-grant/issued"}));
  EXPECT_EQ(b->server->stats().provide_outcome.at("answered"), 1u);
}

TEST_F(LinkageTest, QueryAboutAPersonWithoutATokenFailsWithThePublicMessage) {
  auto fresh = world->RegisterResident(*a, newcomer);
  ASSERT_TRUE(fresh.ok());
  // Submitted before the loop runs: the token request has not even left the body.
  middleware::QueryRequest q;
  q.integrated_number = fresh.value();
  q.provider = b->institution;
  q.jm = kJm;
  q.jt = kTransferIn;
  q.tm_items = {kVaccination};
  auto pn = a->server->SubmitQuery(q);
  ASSERT_TRUE(pn.ok());
  auto state = a->server->QueryStatus(pn.value());
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, RecordStatus::kNoToken);
  EXPECT_EQ(state->message,
            "指定された団体内統合宛名番号「" + fresh.value() + "」は符号が未取得です。");
  world->Run();
  EXPECT_EQ(LogOf(*a, pn.value()), (V{"requester/query-failed/no-token"}));
  EXPECT_TRUE(LogOf(*b, pn.value()).empty());
  EXPECT_TRUE(CoreOf(pn.value()).empty());
  // Once the token has arrived the same person can be queried (no data at Sendai: never
  // registered there, so the core's token names nobody).
  const Case later = Query(*a, fresh.value(), b->institution);
  EXPECT_EQ(later.state.status, RecordStatus::kNoData);
}

TEST_F(LinkageTest, ProcedureOffThePermitListIsRefusedByTheCore) {
  const Case k = Query(*a, people[1].at_a, b->institution, kCovidSpecial);
  EXPECT_EQ(k.state.status, RecordStatus::kNotPermitted);
  EXPECT_EQ(k.state.message,
            "指定された特定個人情報名「TM00160200000001」の照会は許可されていません。");
  EXPECT_EQ(LogOf(*a, k.pn), (V{"requester/permit-denied/not-permitted"}));
  EXPECT_TRUE(LogOf(*b, k.pn).empty());
  EXPECT_EQ(CoreOf(k.pn), (V{"permit-request/", "permit-denial/not_permitted"}));
}

TEST_F(LinkageTest, WrongMunicipalityAnswersNoDataAndDisclosesNothing) {
  const Case k = Query(*a, people[2].at_a, c->institution);
  EXPECT_EQ(k.state.status, RecordStatus::kNoData);
  ASSERT_EQ(k.state.items.size(), 1u);
  EXPECT_EQ(k.state.items[0].status, ItemStatus::kNoData);
  EXPECT_TRUE(k.state.items[0].value.empty());
  EXPECT_EQ(LogOf(*a, k.pn),
            (V{"requester/query-sent/" + k.state.permit_id, "requester/answer-received/no-data"}));
  EXPECT_EQ(LogOf(*c, k.pn), (V{"provider/answered/no-data"}));
  EXPECT_EQ(CoreOf(k.pn), (V{"permit-request/", "permit-grant/issued"}));
}

class SuppressedLinkageTest : public LinkageTest {
 protected:
  void Flag(size_t person) {
    auto flagger = world->ServerSession(*b, "flagger");
    ASSERT_TRUE(flagger.ok());
    ASSERT_TRUE(
        b->server->SetSuppression(flagger.value(), people[person].at_b, "", "DV支援措置").ok());
  }
  int64_t OnlyReview() {
    auto reviewer = world->ServerSession(*b, "reviewer");
    EXPECT_TRUE(reviewer.ok());
    auto pending = b->server->PendingReviews(reviewer.value());
    EXPECT_TRUE(pending.ok());
    EXPECT_EQ(pending->size(), 1u);
    return pending->empty() ? 0 : pending->front().id;
  }
};

TEST_F(SuppressedLinkageTest, ApprovedByStaffReachesTheRequesterAfterPendingManual) {
  Flag(3);
  const Case k = Query(*a, people[3].at_a, b->institution);
  EXPECT_EQ(k.state.phase, QueryPhase::kPendingManual);
  EXPECT_EQ(middleware::RecordStatusCode(k.state.status), "20");
  const int64_t id = OnlyReview();
  auto reviewer = world->ServerSession(*b, "reviewer");
  ASSERT_TRUE(b->server->Approve(reviewer.value(), id, "本人確認済み").ok());
  world->Run();
  auto done = a->server->QueryStatus(k.pn);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, RecordStatus::kNormal);
  ASSERT_EQ(done->items.size(), 1u);
  EXPECT_EQ(done->items[0].status, ItemStatus::kObtained);
  EXPECT_EQ(LogOf(*a, k.pn),
            (V{"requester/query-sent/" + k.state.permit_id,
               "requester/answer-received/pending-manual", "requester/answer-received/normal"}));
  EXPECT_EQ(LogOf(*b, k.pn), (V{"provider/suppressed/review-" + std::to_string(id),
                                "provider/staff-approved/normal"}));
  // A second decision on the same request is refused and changes nothing.
  Status again = b->server->Refuse(reviewer.value(), id, "取り消し");
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("not pending"), std::string::npos);
  EXPECT_EQ(LogOf(*b, k.pn).size(), 2u);
}

TEST_F(SuppressedLinkageTest, RefusedByStaffTellsTheRequesterWithoutTheReason) {
  Flag(4);
  const Case k = Query(*a, people[4].at_a, b->institution);
  const int64_t id = OnlyReview();
  auto reviewer = world->ServerSession(*b, "reviewer");
  ASSERT_TRUE(b->server->Refuse(reviewer.value(), id, "DV加害者からの照会の疑い").ok());
  world->Run();
  auto done = a->server->QueryStatus(k.pn);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(middleware::RecordStatusCode(done->status), "21");
  EXPECT_TRUE(done->items.empty());
  EXPECT_EQ(done->message.find("DV"), std::string::npos);
  EXPECT_EQ(LogOf(*b, k.pn), (V{"provider/suppressed/review-" + std::to_string(id),
                                "provider/staff-refused/refused"}));
  EXPECT_EQ(LogOf(*a, k.pn).back(), "requester/answer-received/refused");
}

TEST_F(SuppressedLinkageTest, UndecidedRequestEscalatesThenExpires) {
  Flag(5);
  const Case k = Query(*a, people[5].at_a, b->institution);
  EXPECT_EQ(k.state.phase, QueryPhase::kPendingManual);
  world->Run();  // nobody decides: the deadlines pass
  auto done = a->server->QueryStatus(k.pn);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(middleware::RecordStatusCode(done->status), "22");
  EXPECT_EQ(LogOf(*b, k.pn), (V{"provider/suppressed/review-1", "provider/escalated/escalated",
                                "provider/expired/expired"}));
  EXPECT_EQ(LogOf(*a, k.pn).back(), "requester/answer-received/expired");
  auto reviewer = world->ServerSession(*b, "reviewer");
  EXPECT_FALSE(b->server->Approve(reviewer.value(), 1, "遅れて承認").ok());
}

// An attacker on the network (here: bytes sent in the requester's name) presents permits.
class PermitAttackTest : public LinkageTest {
 protected:
  void SetUp() override {
    LinkageTest::SetUp();
    // Capture the genuine query envelope on its way out of Nagaoka.
    ASSERT_TRUE(world->network()
                    .DropIf(a->institution, "nws-interface",
                            [this](const netsim::Outgoing& o) {
                              auto e = netsim::Decode(o.bytes);
                              if (e.ok() && e->type == netsim::MessageType::kQuery) {
                                captured.assign(o.bytes.begin(), o.bytes.end());
                              }
                              return false;
                            })
                    .ok());
  }
  void Inject(const netsim::crypto::Bytes& bytes) {
    ASSERT_TRUE(world->network().Send(a->institution, "nws-interface", bytes).ok());
    world->Run();
  }
  netsim::crypto::Bytes captured;
};

TEST_F(PermitAttackTest, ForgedPermitIsRefusedAndLogged) {
  const Case genuine = Query(*a, people[0].at_a, b->institution);
  ASSERT_EQ(genuine.state.status, RecordStatus::kNormal);
  auto e = netsim::Decode(captured).value();
  auto body = middleware::DecodeQuery(e.body).value();
  auto permit = netsim::ParsePermit(body.permit).value();
  // Same fields under a new id, signed with a key the core never held.
  permit.permit_id = "PMT-FORGED";
  permit.processing_number = "QFORGED-1";
  const auto forger = netsim::crypto::PrivateKey::FromSeed(netsim::crypto::KeyType::kEd25519,
                                                           std::vector<uint8_t>(32, 9))
                          .value();
  ASSERT_TRUE(netsim::PermitSigner(1, forger).Sign(permit).ok());
  body.permit = netsim::SerializePermit(permit);
  body.processing_number = permit.processing_number;
  e.body = middleware::EncodeQuery(body).value();
  e.message_id = "forged.q";
  e.reception_number = "QFORGED-1";
  Inject(netsim::Encode(e).value());
  EXPECT_EQ(LogOf(*b, "QFORGED-1"), (V{"provider/refused/permit-forged"}));
  EXPECT_EQ(b->server->stats().provide_outcome.at("permit-forged"), 1u);
  EXPECT_EQ(b->server->stats().provide_outcome.at("answered"), 1u);
}

TEST_F(PermitAttackTest, ReplayedPermitIsRefusedButARetransmissionGetsTheSameAnswer) {
  // Thirty seconds: the replay below comes well inside the permit's ten-minute lifetime.
  const Case genuine =
      Query(*a, people[0].at_a, b->institution, kTransferIn, kVaccination, Duration::Seconds(30));
  ASSERT_EQ(genuine.state.status, RecordStatus::kNormal);
  ASSERT_FALSE(captured.empty());
  // The same bytes again: a retransmission, answered from the stored answer, not provided
  // a second time.
  Inject(captured);
  EXPECT_EQ(b->server->stats().provide_outcome.at("retransmitted"), 1u);
  EXPECT_EQ(LogOf(*b, genuine.pn), (V{"provider/answered/normal"}));
  // The permit under a new message: a replay, refused.
  auto e = netsim::Decode(captured).value();
  e.message_id = genuine.pn + ".replay";
  Inject(netsim::Encode(e).value());
  EXPECT_EQ(LogOf(*b, genuine.pn),
            (V{"provider/answered/normal", "provider/refused/permit-reused"}));
  // After the permit's lifetime the same replay is refused as expired.
  world->RunUntil(world->loop().Now() + Duration::Minutes(11));
  e.message_id = genuine.pn + ".replay2";
  Inject(netsim::Encode(e).value());
  EXPECT_EQ(LogOf(*b, genuine.pn).back(), "provider/refused/permit-expired");
  // The requester's state did not move: the late copies are not applied.
  auto state = a->server->QueryStatus(genuine.pn);
  EXPECT_EQ(state->status, RecordStatus::kNormal);
  EXPECT_EQ(a->server->stats().late_answers, 3u);
}

// All cases on disk, then `renkei verify-logs` on each body's log, then each kind of
// tampering on a copy of the provider's log: the verifier fails and names the record.
TEST(LinkageOnDiskTest, LogsVerifyAfterEveryCaseAndNameTheTamperedRecord) {
  const fs::path dir = fs::path(::testing::TempDir()) / "linkage_on_disk";
  fs::remove_all(dir);
  struct Fixture : LinkageTest {
    void TestBody() override {}
  } f;
  f.Build(dir.string());
  ASSERT_NE(f.world, nullptr);
  f.Query(*f.a, f.people[0].at_a, f.b->institution);
  f.Query(*f.a, f.people[1].at_a, f.b->institution, kCovidSpecial);
  f.Query(*f.a, f.people[2].at_a, f.c->institution);
  f.Query(*f.a, f.people[3].at_a, f.b->institution);
  f.Query(*f.a, f.people[4].at_a, f.b->institution);
  std::map<std::string, std::string> logs, keys;
  for (World::Body* body : {f.a, f.b, f.c}) {
    ASSERT_TRUE(body->server->SealLog().ok());
    logs[body->lgcode] = body->server->log_path();
    keys[body->lgcode] = (dir / (body->lgcode + ".pub.pem")).string();
    ASSERT_TRUE(body->server->answer_key()->SavePemFile(keys[body->lgcode]).ok());
  }
  f.world.reset();  // closes every file: what is verified is what a restart would find
  for (const auto& [code, log] : logs) {
    auto ok = testing::RunRenkei({"verify-logs", log, "--key", keys[code]});
    EXPECT_EQ(ok.code, 0) << code << ": " << ok.out << ok.err;
    EXPECT_TRUE(testing::Contains(ok.out, "intact")) << ok.out;
  }
  const std::string columns =
      "at, side, event, processing_number, requester, provider, jm, jt, tm, requested_at, "
      "provided_at, outcome, non_disclosure, self_info_blocked, staff_id, integrated_number, hash";
  const std::map<std::string, std::string> tampering = {
      {"edit", "UPDATE provision_records SET outcome = 'no-data' WHERE seq = 2"},
      {"delete", "DELETE FROM provision_records WHERE seq = 2"},
      {"insert",
       "UPDATE provision_records SET seq = -seq WHERE seq >= 2;"
       "UPDATE provision_records SET seq = 1 - seq WHERE seq < 0;"
       "INSERT INTO provision_records SELECT 2, " +
           columns + " FROM provision_records WHERE seq = 1"},
      {"reorder",
       "UPDATE provision_records SET seq = -1 WHERE seq = 3;"
       "UPDATE provision_records SET seq = 3 WHERE seq = 2;"
       "UPDATE provision_records SET seq = 2 WHERE seq = -1"},
  };
  for (const auto& [kind, sql] : tampering) {
    const std::string copy = (dir / ("tampered-" + kind + ".db")).string();
    fs::copy_file(logs[kSendai], copy, fs::copy_options::overwrite_existing);
    {
      auto db = netsim::sql::Database::Open(copy);
      ASSERT_TRUE(db.ok());
      ASSERT_TRUE(db->Exec("DROP TRIGGER provision_records_no_update;"
                           "DROP TRIGGER provision_records_no_delete;" +
                           sql)
                      .ok())
          << kind;
    }
    auto bad = testing::RunRenkei({"verify-logs", copy, "--key", keys[kSendai]});
    EXPECT_EQ(bad.code, 1) << kind << ": " << bad.out << bad.err;
    EXPECT_TRUE(testing::Contains(bad.out + bad.err, "provision record 2"))
        << kind << ": " << bad.out << bad.err;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace renkei::scenarios

namespace renkei::scenarios {
namespace {

TEST_F(LinkageTest, StaffPasswordsThatExpireDuringALongRunAreRenewed) {
  world->RunUntil(world->loop().Now() + Duration::Days(100));  // past the 90-day lifetime
  auto first = world->ServerSession(*b, "reviewer");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = world->ServerSession(*b, "reviewer");  // the renewed password is found
  ASSERT_TRUE(again.ok()) << again.error().message;
  world->RunUntil(world->loop().Now() + Duration::Days(100));  // and renewed once more
  EXPECT_TRUE(world->ServerSession(*b, "reviewer").ok());
  EXPECT_TRUE(world->AddressingSession(*a).ok());
}

}  // namespace
}  // namespace renkei::scenarios

namespace renkei::scenarios {
namespace {

TEST(LinkageOnDiskTest, OperationRecordsArchiveAfterThreeMonthsAndArchivesGoAfterSevenYears) {
  const fs::path dir = fs::path(::testing::TempDir()) / "linkage_archive";
  fs::remove_all(dir);
  struct Fixture : LinkageTest {
    void TestBody() override {}
  } f;
  f.Build(dir.string());
  ASSERT_NE(f.world, nullptr);
  f.Query(*f.a, f.people[0].at_a, f.b->institution);
  World& w = *f.world;
  w.RunUntil(w.loop().Now() + Duration::Days(100));
  auto auditor = w.ServerSession(*f.b, "auditor");
  ASSERT_TRUE(auditor.ok()) << auditor.error().message;
  auto archived = f.b->server->ArchiveOperations(auditor.value());
  ASSERT_TRUE(archived.ok()) << archived.error().message;
  EXPECT_GT(archived.value(), 0);
  const fs::path archive_dir = dir / kSendai / "middleware" / "archive";
  ASSERT_EQ(std::distance(fs::directory_iterator(archive_dir), fs::directory_iterator()), 1);
  // A viewer may not archive.
  auto viewer = w.ServerSession(*f.b, "viewer");
  EXPECT_FALSE(f.b->server->ArchiveOperations(viewer.value()).ok());

  w.RunUntil(w.loop().Now() + Duration::Days(7 * 365 + 10));
  auto op = w.ServerSession(*f.b, "operator");
  ASSERT_TRUE(op.ok()) << op.error().message;
  auto purged = f.b->server->Purge(op.value());
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(purged->archive_files, 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(archive_dir), fs::directory_iterator()), 0);
  auto check = f.b->server->CheckLog();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->intact) << check->reason;
  f.world.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace renkei::scenarios
