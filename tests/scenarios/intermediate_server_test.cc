// The intermediate server (中間サーバー) inside a world: the behaviours the end-to-end linkage
// test does not cover. Batch files end to end, data-exchange faults (a provider or the core
// down, a lost answer), staff roles and review decisions, the citizen view, a restart on the
// same files, system management (statistics, health, retention) and the rule that no 個人番号
// ever leaves the addressing server. Everything runs on simulated time with fixed seeds and
// fixed link latency, so every count and every duration asserted here is exact.
#include "middleware/intermediate_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "addressing/resident_generator.h"
#include "middleware/batch_file.h"
#include "middleware/errors.h"
#include "netsim/envelope.h"
#include "netsim/errors.h"
#include "scenarios/world.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;
using middleware::AnswerItem;
using middleware::BatchQueryRecord;
using middleware::ItemStatus;
using middleware::NumberingSystem;
using middleware::ProvisionEvent;
using middleware::ProvisionLogRecord;
using middleware::QueryPhase;
using middleware::QueryState;
using middleware::RecordStatus;
using middleware::ResultRow;
using middleware::ReviewState;
using netsim::Duration;
using netsim::SimTime;
using V = std::vector<std::string>;

constexpr const char* kNagaoka = "152021";                       // requester: the persons' new home
constexpr const char* kSendai = "041009";                        // provider: their former home
constexpr const char* kChiyodaInstitution = "1013101600000000";  // 千代田区, not in the world
constexpr const char* kJm = "JM00160200000000";
constexpr const char* kTransferIn = "JT00160200000001";    // 16の2-1, in force
constexpr const char* kCovidSpecial = "JT00160200000003";  // 16の2-4, ended 2024-03-31
constexpr const char* kVaccination = "TM00160200000001";
// 児童手当の認定 asks for two items: per-item suppression and partial approval need both.
constexpr const char* kChildJm = "JM10000100000000";
constexpr const char* kChildJt = "JT10000100000001";
constexpr const char* kTax = "TM00000100000001";
constexpr const char* kResidence = "TM00000200000001";
constexpr const char* kNotAnItem = "TM00000500000001";

const SimTime kStart = netsim::FromCivil({2024, 6, 3, 9, 0, 0, 0});

std::error_code Mw(middleware::Errc e) { return middleware::make_error_code(e); }
std::error_code Ns(netsim::Errc e) { return netsim::make_error_code(e); }

template <typename R>
std::optional<Error> ErrorOf(const R& r) {
  if (r.ok()) return std::nullopt;
  return r.error();
}
// The error's code, or an empty code when the call succeeded.
template <typename R>
std::error_code CodeOf(const R& r) {
  return r.ok() ? std::error_code() : r.error().code;
}
template <typename R>
std::string MessageOf(const R& r) {
  return r.ok() ? std::string("(succeeded)") : r.error().message;
}

std::string VaccinationPayload(size_t i) {
  return R"({"dose":3,"maker":"ファイザー","lot":"VAC-)" + std::to_string(i) + R"("})";
}

// "TM…:01:value" per item: readable when an assertion fails.
V Items(const std::vector<AnswerItem>& items) {
  V out;
  for (const AnswerItem& i : items) {
    out.push_back(i.tm + ":" + std::string(middleware::ItemStatusCode(i.status)) + ":" + i.value);
  }
  return out;
}

// "code|message|01=value|..." per row.
std::string Describe(const ResultRow& row) {
  std::string s = std::string(middleware::RecordStatusCode(row.status)) + "|" + row.message;
  for (const middleware::ResultItem& i : row.items) {
    s += '|';
    s += middleware::ItemStatusCode(i.status);
    s += '=';
    s += i.value;
  }
  return s;
}

std::string ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The 個人番号 written in full-width digits (UTF-8), as a form might carry it.
std::string FullWidth(const std::string& digits) {
  std::string out;
  for (char c : digits) {
    out += "\xEF\xBC";
    out += static_cast<char>(0x90 + (c - '0'));
  }
  return out;
}

class IntermediateServerFixture : public ::testing::Test {
 protected:
  void SetUp() override { Build(":memory:"); }

  static WorldOptions Options(const std::string& data_dir, SimTime start) {
    WorldOptions o;
    o.seed = 11;
    o.start = start;
    o.data_dir = data_dir;
    o.link.latency = netsim::LatencyModel::Fixed(Duration::Millis(4));
    o.server.review_escalate_after = Duration::Days(1);
    o.server.review_expire_after = Duration::Days(3);
    // Several cases run the loop for years (retention, the permit list's end): passwords must
    // outlive them, or every login after 90 simulated days would first need a change.
    o.server.staff_policy.password_lifetime = Duration::Days(365 * 10);
    o.record_trace = true;
    return o;
  }

  // A world with the two bodies and nothing else (a reopen on existing files stops here).
  void Open(const WorldOptions& o) {
    auto w = World::Create(o);
    ASSERT_TRUE(w.ok()) << w.error().message;
    world = std::move(w).value();
    for (const char* code : {kNagaoka, kSendai}) {
      auto added = world->AddBody(code);
      ASSERT_TRUE(added.ok()) << code << ": " << added.error().message;
    }
    a = world->FindBody(kNagaoka);
    b = world->FindBody(kSendai);
  }

  // Called between Open and the residents' registration (network hooks).
  virtual void BeforeResidents() {}

  void Build(const std::string& data_dir) {
    ASSERT_NO_FATAL_FAILURE(Open(Options(data_dir, kStart)));
    ASSERT_NO_FATAL_FAILURE(BeforeResidents());
    auto gen = addressing::ResidentGenerator::Create(11, kSendai);
    ASSERT_TRUE(gen.ok());
    // Each person lived in Sendai and has moved to Nagaoka: registered at both.
    for (int i = 0; i < 6; ++i) {
      addressing::Resident r = gen->Next();
      auto at_b = world->RegisterResident(*b, r);
      ASSERT_TRUE(at_b.ok()) << at_b.error().message;
      r.atena_number = std::string(kNagaoka) + r.atena_number.substr(6);
      auto at_a = world->RegisterResident(*a, r);
      ASSERT_TRUE(at_a.ok()) << at_a.error().message;
      people.push_back({at_a.value(), at_b.value(), r.atena_number, r.my_number});
    }
    // A resident of Nagaoka registered by a test itself: a query finds no token yet.
    newcomer = gen->Next();
    newcomer.atena_number = std::string(kNagaoka) + newcomer.atena_number.substr(6);
    world->Run();  // tokens through 住基ネット, J-LIS and the core
    ASSERT_FALSE(world->failure()) << world->failure()->message;
    const netsim::Session reg = Login(*b, "registrar");
    for (size_t i = 0; i < people.size(); ++i) {
      ASSERT_TRUE(b->server
                      ->RegisterReplica(reg, Replica("VAC-" + std::to_string(i), people[i].at_b,
                                                     kVaccination, VaccinationPayload(i)))
                      .ok());
      ASSERT_TRUE(b->server
                      ->RegisterReplica(reg, Replica("TAX-" + std::to_string(i), people[i].at_b,
                                                     kTax, "TAX-" + std::to_string(i)))
                      .ok());
      ASSERT_TRUE(b->server
                      ->RegisterReplica(reg, Replica("RES-" + std::to_string(i), people[i].at_b,
                                                     kResidence, "RES-" + std::to_string(i)))
                      .ok());
    }
  }

  static middleware::ReplicaRecord Replica(const std::string& id, const std::string& person,
                                           const std::string& tm, const std::string& payload,
                                           const std::string& from = "2023-04-01",
                                           const std::string& to = "", int64_t version = 1) {
    middleware::ReplicaRecord rec;
    rec.record_id = id;
    rec.integrated_number = person;
    rec.tm = tm;
    rec.dataset_item_code = "ITEM-" + tm.substr(2, 6);
    rec.record_key = "key-1";
    rec.data_version = version;
    rec.publish_from = from;
    rec.publish_to = to;
    rec.ward_code = kSendai;
    rec.payload = payload;
    return rec;
  }

  netsim::Session Login(World::Body& body, const char* account) {
    auto s = world->ServerSession(body, account);
    EXPECT_TRUE(s.ok()) << account << ": " << (s.ok() ? "" : s.error().message);
    return s.ok() ? s.value() : netsim::Session{};
  }

  std::string Submit(World::Body& from, const std::string& integrated, const char* jm = kJm,
                     const char* jt = kTransferIn, V tms = {kVaccination},
                     bool non_disclosure = false) {
    middleware::QueryRequest q;
    q.integrated_number = integrated;
    q.provider = (&from == a ? b : a)->institution;
    q.jm = jm;
    q.jt = jt;
    q.tm_items = std::move(tms);
    q.non_disclosure = non_disclosure;
    auto pn = from.server->SubmitQuery(q);
    EXPECT_TRUE(pn.ok()) << pn.error().message;
    return pn.ok() ? pn.value() : std::string();
  }

  QueryState StateOf(World::Body& body, const std::string& pn) {
    auto q = body.server->QueryStatus(pn);
    EXPECT_TRUE(q.ok()) << pn << ": " << (q.ok() ? "" : q.error().message);
    return q.ok() ? q.value() : QueryState{};
  }

  void RunFor(Duration d) { world->RunUntil(world->loop().Now() + d); }

  std::vector<ProvisionLogRecord> RecordsOf(World::Body& body, const std::string& pn) {
    auto all = body.server->ReadLog(Login(body, "viewer"), 1, INT64_MAX);
    EXPECT_TRUE(all.ok()) << all.error().message;
    std::vector<ProvisionLogRecord> out;
    if (!all.ok()) return out;
    for (const ProvisionLogRecord& r : all.value()) {
      if (r.processing_number == pn) out.push_back(r);
    }
    return out;
  }

  // "side/event/outcome" of one 処理通番's records at a body.
  V LogOf(World::Body& body, const std::string& pn) {
    V out;
    for (const ProvisionLogRecord& r : RecordsOf(body, pn)) {
      out.push_back(std::string(middleware::ProvisionSideName(r.side)) + "/" +
                    std::string(middleware::ProvisionEventName(r.event)) + "/" + r.outcome);
    }
    return out;
  }

  int64_t OnlyReview(World::Body& body) {
    auto pending = body.server->PendingReviews(Login(body, "reviewer"));
    EXPECT_TRUE(pending.ok());
    if (!pending.ok()) return 0;
    EXPECT_EQ(pending->size(), 1u);
    return pending->empty() ? 0 : pending->front().id;
  }

  void Suppress(size_t person, const std::string& tm = "") {
    Status s =
        b->server->SetSuppression(Login(*b, "flagger"), people[person].at_b, tm, "DV支援措置");
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  struct Person {
    std::string at_a, at_b, atena_a, my_number;
  };
  std::unique_ptr<World> world;
  World::Body* a = nullptr;
  World::Body* b = nullptr;
  std::vector<Person> people;
  addressing::Resident newcomer;
};

// ======================================================================================
// 1. Batch files
// ======================================================================================

class IntermediateServerBatchTest : public IntermediateServerFixture {
 protected:
  BatchQueryRecord Record(const std::string& integrated) {
    BatchQueryRecord r;
    r.numbering = NumberingSystem::kIntegratedNumber;
    r.integrated_number = integrated;
    r.requested_at = world->loop().Now();
    r.requester_dept = "KENKO-SUISHIN";
    r.requester_user = "user01";
    r.requester_institution = a->institution;
    r.business_code = kJm;
    r.procedure_code = kTransferIn;
    r.provider_institution = b->institution;
    r.data_item_code = kVaccination;
    return r;
  }
  BatchQueryRecord AtenaRecord(const std::string& atena) {
    BatchQueryRecord r = Record("");
    r.numbering = NumberingSystem::kAtenaNumber;
    r.atena_number = atena;
    return r;
  }
  std::string Line(const BatchQueryRecord& r) {
    auto line = middleware::WriteBatchQueryLine(r);
    EXPECT_TRUE(line.ok()) << line.error().message;
    return line.ok() ? line.value() : std::string();
  }
  // The business system's 宛名番号 → 統合宛名番号, at the addressing server of the requester.
  middleware::IntermediateServer::AtenaResolver Resolver() {
    return [this](std::string_view atena) -> Result<std::string> {
      RENKEI_TRY(netsim::Session s, world->AddressingSession(*a));
      auto integrated = a->addressing->IntegratedNumberForAtena(s, a->business_system, atena);
      (void)a->addressing->staff().Logout(s);
      return integrated;
    };
  }
  std::vector<ResultRow> ResultRows(int64_t batch) {
    std::ostringstream out;
    Status written = a->server->WriteBatchResult(batch, out);
    EXPECT_TRUE(written.ok()) << written.error().message;
    std::istringstream in(out.str());
    auto rows = middleware::ParseResultFile(in, "result.csv");
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? rows.value() : std::vector<ResultRow>{};
  }
  V Rows(const std::vector<ResultRow>& rows) {
    V out;
    for (const ResultRow& r : rows) out.push_back(Describe(r));
    return out;
  }
};

TEST_F(IntermediateServerBatchTest, BatchFileIsAnsweredRowByRowInFileOrder) {
  auto fresh = world->RegisterResident(*a, newcomer);  // its token has not arrived yet
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  const std::string unknown_atena = std::string(kNagaoka) + "999999999";

  std::string file;
  file += Line(AtenaRecord(people[0].atena_a));  // 1: 宛名番号 through the addressing server
  file += Line(Record(people[1].at_a));          // 2: 統合宛名番号 directly
  {
    // 3: a malformed line (February 31st).
    std::string bad = Line(Record(people[2].at_a));
    size_t pos = 0;
    for (int i = 0; i < 3; ++i) pos = bad.find(',', pos) + 1;
    bad.replace(pos, 17, "20240231093015123");
    file += bad;
  }
  file += Line(AtenaRecord(unknown_atena));  // 4: nobody has that 宛名番号
  {
    BatchQueryRecord r = Record(people[2].at_a);  // 5: another body's query
    r.requester_institution = kChiyodaInstitution;
    file += Line(r);
  }
  {
    BatchQueryRecord r = Record(people[3].at_a);  // 6: a procedure that has ended
    r.procedure_code = kCovidSpecial;
    file += Line(r);
  }
  file += Line(Record(fresh.value()));  // 7: no token yet
  {
    BatchQueryRecord r = Record(people[4].at_a);  // 8: 不開示 requested
    r.non_disclosure = true;
    file += Line(r);
  }

  std::istringstream in(file);
  auto batch = a->server->SubmitBatch(in, "batch.txt", Resolver());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  EXPECT_EQ(batch.value(), 1);

  auto status = a->server->GetBatchStatus(batch.value());
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->lines, 8);
  EXPECT_EQ(status->rejected, 3);  // lines 3, 4, 5
  EXPECT_EQ(status->done, 1);      // line 7, decided at once
  EXPECT_EQ(status->in_flight, 4);
  EXPECT_EQ(status->pending_manual, 0);
  EXPECT_FALSE(status->complete());

  // Not complete: refused, and nothing is written.
  std::ostringstream early;
  Status refused = a->server->WriteBatchResult(batch.value(), early);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Mw(middleware::Errc::kInvalidInput));
  EXPECT_EQ(refused.error().message, "batch 1 is not complete: 4 in flight, 0 pending manual");
  EXPECT_TRUE(early.str().empty());

  world->Run();
  status = a->server->GetBatchStatus(batch.value());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->done, 5);
  EXPECT_EQ(status->in_flight, 0);
  EXPECT_TRUE(status->complete());

  // The resolver refuses the unknown 宛名番号; the row names the field, not the number.
  ASSERT_FALSE(Resolver()(unknown_atena).ok());
  const V expected = {
      "09||01=" + VaccinationPayload(0),
      "09||01=" + VaccinationPayload(1),
      "90|requested_at: not a calendar day",
      "90|atena_number: no person is linked to this 宛名番号 here",
      "90|requester_institution: 1013101600000000 is not this body (" + a->institution + ")",
      "10|指定された特定個人情報名「TM00160200000001」の照会は許可されていません。",
      "11|指定された団体内統合宛名番号「" + fresh.value() + "」は符号が未取得です。",
      "09||01=" + VaccinationPayload(4),
  };
  EXPECT_EQ(Rows(ResultRows(batch.value())), expected);

  // Each good line became one query carrying the line's number and 不開示 code.
  auto viewer = Login(*a, "viewer");
  auto log = a->server->ReadLog(viewer, 1, INT64_MAX);
  ASSERT_TRUE(log.ok());
  int non_disclosed = 0;
  for (const ProvisionLogRecord& r : log.value()) {
    if (r.non_disclosure) {
      ++non_disclosed;
      EXPECT_EQ(r.integrated_number, people[4].at_a);
    }
  }
  EXPECT_EQ(non_disclosed, 2);  // query-sent and answer-received of line 8
}

TEST_F(IntermediateServerBatchTest, BatchWaitsForAReviewBeforeItsResultCanBeWritten) {
  Suppress(1);
  std::istringstream in(Line(Record(people[0].at_a)) + Line(Record(people[1].at_a)));
  auto batch = a->server->SubmitBatch(in, "held.txt", Resolver());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  RunFor(Duration::Minutes(1));
  auto status = a->server->GetBatchStatus(batch.value());
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->done, 1);
  EXPECT_EQ(status->pending_manual, 1);
  EXPECT_EQ(status->in_flight, 0);
  std::ostringstream early;
  Status refused = a->server->WriteBatchResult(batch.value(), early);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Mw(middleware::Errc::kInvalidInput));
  EXPECT_EQ(refused.error().message, "batch 1 is not complete: 0 in flight, 1 pending manual");
  EXPECT_TRUE(early.str().empty());

  ASSERT_TRUE(b->server->Refuse(Login(*b, "reviewer"), OnlyReview(*b), "DV加害者からの照会").ok());
  world->Run();
  EXPECT_EQ(Rows(ResultRows(batch.value())),
            (V{"09||01=" + VaccinationPayload(0),
               "21|" + middleware::StandardMessage(RecordStatus::kRefused)}));
}

TEST_F(IntermediateServerBatchTest, FiscalYearConditionReadsTheReplicaValidAtTheEndOfTheYear) {
  // Person 5's vaccination record in three versions across two 年度.
  const netsim::Session reg = Login(*b, "registrar");
  ASSERT_TRUE(b->server->RemoveReplica(reg, "VAC-5").ok());
  const std::string who = people[5].at_b;
  ASSERT_TRUE(b->server
                  ->RegisterReplica(reg, Replica("VAC-5-A", who, kVaccination, "FY2023-early",
                                                 "2023-04-01", "2023-12-31", 1))
                  .ok());
  ASSERT_TRUE(b->server
                  ->RegisterReplica(reg, Replica("VAC-5-B", who, kVaccination, "FY2023-late",
                                                 "2024-01-01", "2024-03-31", 2))
                  .ok());
  ASSERT_TRUE(b->server
                  ->RegisterReplica(
                      reg, Replica("VAC-5-C", who, kVaccination, "FY2024", "2024-04-01", "", 3))
                  .ok());

  BatchQueryRecord fiscal = Record(people[5].at_a);
  fiscal.condition_type = '1';
  fiscal.fiscal_year_type = '1';  // 2023-06-01 names 年度 2023: April 2023 to March 2024
  fiscal.start_date = "20230601";
  fiscal.end_date = "20230601";
  BatchQueryRecord calendar = fiscal;
  calendar.fiscal_year_type = '0';  // the same dates as calendar days
  const BatchQueryRecord latest = Record(people[5].at_a);
  std::istringstream in(Line(fiscal) + Line(calendar) + Line(latest));
  auto batch = a->server->SubmitBatch(in, "fiscal.txt", Resolver());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  world->Run();

  EXPECT_EQ(Rows(ResultRows(batch.value())),
            (V{"09||01=FY2023-late", "09||01=FY2023-early", "09||01=FY2024"}));
  auto queries = a->server->GetBatchStatus(batch.value());
  ASSERT_TRUE(queries.ok());
  EXPECT_EQ(queries->done, 3);
}

TEST_F(IntermediateServerBatchTest, FileWithLfLineEndsIsRefusedWholeAndCreatesNoBatch) {
  std::string file = Line(Record(people[0].at_a)) + Line(Record(people[1].at_a));
  for (size_t at = file.find("\r\n"); at != std::string::npos; at = file.find("\r\n", at)) {
    file.erase(at, 1);
  }
  std::istringstream in(file);
  auto batch = a->server->SubmitBatch(in, "lf.txt", Resolver());
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, Mw(middleware::Errc::kInvalidInput));
  EXPECT_EQ(batch.error().message,
            "lf.txt:1: the file's lines end in LF; batch query files need CRLF");
  auto status = a->server->GetBatchStatus(1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Mw(middleware::Errc::kNotFound));
  world->Run();
  EXPECT_TRUE(a->server->stats().query_status.empty());
  EXPECT_EQ(world->core().stats().permit_requests, 0u);
  // No 処理通番 was drawn either: the next query gets the first one.
  EXPECT_EQ(Submit(*a, people[0].at_a), "Q" + a->institution + "-0000000001");
}

// docs/batch_files.md: batch messages never quote a field's value, the 宛名番号 being personal
// data. The row answering an unknown 宛名番号 is such a message.
TEST_F(IntermediateServerBatchTest, UnknownAtenaNumberRowDoesNotQuoteTheAtenaNumber) {
  const std::string unknown_atena = std::string(kNagaoka) + "999999999";
  std::istringstream in(Line(AtenaRecord(unknown_atena)));
  auto batch = a->server->SubmitBatch(in, "one.txt", Resolver());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  const std::vector<ResultRow> rows = ResultRows(batch.value());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, RecordStatus::kError);
  EXPECT_EQ(rows[0].message.rfind("atena_number: ", 0), 0u) << rows[0].message;
  EXPECT_EQ(rows[0].message.find(unknown_atena), std::string::npos) << rows[0].message;
  EXPECT_EQ(rows[0].message.find("atena_number: atena_number:"), std::string::npos)
      << rows[0].message;
}

// ======================================================================================
// 2. Data exchange faults
// ======================================================================================

class IntermediateServerFaultTest : public IntermediateServerFixture {
 protected:
  const std::string& Relay() { return world->core().config().interface_node; }
};

TEST_F(IntermediateServerFaultTest, ProviderDownTimesOutAfterMaxAttempts) {
  ASSERT_TRUE(world->network().NodeDown(b->institution, world->loop().Now()).ok());
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(10));
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(q.phase, QueryPhase::kDone);
  EXPECT_EQ(middleware::RecordStatusCode(q.status), "30");
  EXPECT_EQ(q.message, middleware::StandardMessage(RecordStatus::kTimeout));
  EXPECT_TRUE(q.items.empty());
  EXPECT_EQ(q.attempts, 3);
  const middleware::ServerStats stats = a->server->stats();
  EXPECT_EQ(stats.permit_retries, 0u);
  EXPECT_EQ(stats.query_retries, 2u);
  EXPECT_EQ(stats.query_status, (std::map<std::string, uint64_t, std::less<>>{{"timeout", 1}}));
  const std::vector<ProvisionLogRecord> records = RecordsOf(*a, pn);
  EXPECT_EQ(LogOf(*a, pn),
            (V{"requester/query-sent/" + q.permit_id, "requester/query-failed/timeout"}));
  ASSERT_EQ(records.size(), 2u);
  // Three sends, each waited for in full.
  EXPECT_EQ(*q.completed_at - records[0].at, Duration::Seconds(180));
  EXPECT_TRUE(LogOf(*b, pn).empty());
  EXPECT_TRUE(b->server->stats().provide_outcome.empty());
  auto to_b = world->network().Counters(Relay(), b->institution);
  ASSERT_TRUE(to_b.ok());
  EXPECT_EQ(to_b->dropped_node_down, 3u);

  // Back up: the next query goes through.
  ASSERT_TRUE(world->network().NodeUp(b->institution, world->loop().Now()).ok());
  const std::string next = Submit(*a, people[1].at_a);
  RunFor(Duration::Minutes(1));
  EXPECT_EQ(StateOf(*a, next).status, RecordStatus::kNormal);
}

TEST_F(IntermediateServerFaultTest, ProviderBackBeforeTheLastAttemptAnswersOnce) {
  const SimTime now = world->loop().Now();
  ASSERT_TRUE(world->network().NodeDown(b->institution, now).ok());
  ASSERT_TRUE(world->network().NodeUp(b->institution, now + Duration::Seconds(90)).ok());
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(10));
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(q.status, RecordStatus::kNormal);
  EXPECT_EQ(Items(q.items), (V{std::string(kVaccination) + ":01:" + VaccinationPayload(0)}));
  EXPECT_EQ(a->server->stats().query_retries, 2u);
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/answered/normal"}));
  EXPECT_EQ(b->server->stats().provide_outcome,
            (std::map<std::string, uint64_t, std::less<>>{{"answered", 1}}));
  auto to_b = world->network().Counters(Relay(), b->institution);
  ASSERT_TRUE(to_b.ok());
  EXPECT_EQ(to_b->dropped_node_down, 2u);
}

TEST_F(IntermediateServerFaultTest, LostAnswerIsRetransmittedFromTheStoredAnswerNotProvidedTwice) {
  auto before = world->network().Counters(b->institution, Relay());
  ASSERT_TRUE(before.ok());
  // The next message Sendai sends is its answer: lost on the wire.
  ASSERT_TRUE(world->network().DropNth(b->institution, Relay(), before->sent + 1).ok());
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(5));
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(middleware::RecordStatusCode(q.status), "09");
  EXPECT_EQ(Items(q.items), (V{std::string(kVaccination) + ":01:" + VaccinationPayload(0)}));
  EXPECT_EQ(a->server->stats().query_retries, 1u);
  EXPECT_EQ(a->server->stats().permit_retries, 0u);
  EXPECT_EQ(a->server->stats().late_answers, 0u);
  EXPECT_EQ(b->server->stats().provide_outcome,
            (std::map<std::string, uint64_t, std::less<>>{{"answered", 1}, {"retransmitted", 1}}));
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/answered/normal"}));
  EXPECT_EQ(LogOf(*a, pn),
            (V{"requester/query-sent/" + q.permit_id, "requester/answer-received/normal"}));
  auto after = world->network().Counters(b->institution, Relay());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->dropped_drop_list, 1u);
  EXPECT_EQ(after->sent - before->sent, 2u);  // the answer, then the stored answer again
}

// After the interim "pending manual" answer the requester stops retransmitting (the provider
// holds the query). If the final answer sent after the staff decision is then lost, nothing
// recovers it: the query must still end, by a retry or a timeout, not stay open forever.
TEST_F(IntermediateServerFaultTest, LostFinalAnswerAfterAReviewDoesNotLeaveTheQueryOpenForever) {
  Suppress(0);
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(1));
  ASSERT_EQ(StateOf(*a, pn).phase, QueryPhase::kPendingManual);
  auto before = world->network().Counters(b->institution, Relay());
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(world->network().DropNth(b->institution, Relay(), before->sent + 1).ok());
  ASSERT_TRUE(b->server->Approve(Login(*b, "reviewer"), OnlyReview(*b), "本人確認済み").ok());
  world->RunUntil(world->loop().Now() + Duration::Days(30));
  auto after = world->network().Counters(b->institution, Relay());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->dropped_drop_list, 1u);  // the final answer was the message lost
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(q.phase, QueryPhase::kDone) << "status " << middleware::RecordStatusCode(q.status);
  auto health = a->server->CheckHealth();
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->open_queries, 0);
}

TEST_F(IntermediateServerFaultTest, CoreDownTimesOutWaitingForThePermit) {
  const std::string& core = world->core().config().node;
  ASSERT_TRUE(world->network().NodeDown(core, world->loop().Now()).ok());
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(10));
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(middleware::RecordStatusCode(q.status), "30");
  EXPECT_EQ(q.message, middleware::StandardMessage(RecordStatus::kTimeout));
  EXPECT_TRUE(q.permit_id.empty());
  EXPECT_EQ(*q.completed_at - q.submitted_at, Duration::Seconds(90));  // 3 × permit_timeout
  EXPECT_EQ(a->server->stats().permit_retries, 2u);
  EXPECT_EQ(a->server->stats().query_retries, 0u);
  EXPECT_EQ(LogOf(*a, pn), (V{"requester/query-failed/timeout"}));
  EXPECT_TRUE(LogOf(*b, pn).empty());
  auto core_records = world->core_records().Read(1, INT64_MAX);
  ASSERT_TRUE(core_records.ok());
  for (const netsim::CoreRecord& r : core_records.value()) EXPECT_NE(r.processing_number, pn);
  auto to_core = world->network().Counters(Relay(), core);
  ASSERT_TRUE(to_core.ok());
  EXPECT_EQ(to_core->dropped_node_down, 3u);
}

// ======================================================================================
// 3. Staff and roles
// ======================================================================================

class IntermediateServerStaffTest : public IntermediateServerFixture {};

TEST_F(IntermediateServerStaffTest, EveryRoleGatedCallRefusesASessionWithoutTheRole) {
  Suppress(3);  // an open review to decide on
  const std::string held = Submit(*a, people[3].at_a);
  RunFor(Duration::Minutes(1));
  const int64_t review = OnlyReview(*b);
  ASSERT_GT(review, 0);
  Suppress(4);  // a flag to clear
  const std::string csv =
      "record_id,integrated_number,tm,dataset_item_code,record_key,data_version,publish_from,"
      "publish_to,ward_code,payload\nDENIED-2," +
      people[0].at_b + "," + kVaccination + ",VACC,k,1,2023-04-01,," + kSendai + ",x\n";

  struct Gate {
    const char* account;
    const char* action;
    const char* role;
    std::function<std::optional<Error>(const netsim::Session&)> call;
  };
  middleware::IntermediateServer& s = *b->server;
  const std::vector<Gate> gates = {
      {"flagger", "replica-register", "replica-registrar",
       [&](const netsim::Session& x) {
         return ErrorOf(
             s.RegisterReplica(x, Replica("DENIED-1", people[0].at_b, kVaccination, "x")));
       }},
      {"viewer", "replica-import", "replica-registrar",
       [&](const netsim::Session& x) {
         std::istringstream in(csv);
         return ErrorOf(s.ImportReplicas(x, in, "denied.csv"));
       }},
      {"registrar", "flag-suppress-set", "flag-setter",
       [&](const netsim::Session& x) {
         return ErrorOf(s.SetSuppression(x, people[0].at_b, "", "理由"));
       }},
      {"reviewer", "flag-suppress-clear", "flag-setter",
       [&](const netsim::Session& x) {
         return ErrorOf(s.ClearSuppression(x, people[4].at_b, "", "理由"));
       }},
      {"viewer", "flag-self-info", "flag-setter",
       [&](const netsim::Session& x) {
         return ErrorOf(s.SetSelfInfoBlocked(x, people[1].at_b, true, "理由"));
       }},
      {"flagger", "review-list", "reviewer",
       [&](const netsim::Session& x) { return ErrorOf(s.PendingReviews(x)); }},
      {"operator", "review-approve", "reviewer",
       [&](const netsim::Session& x) { return ErrorOf(s.Approve(x, review, "理由")); }},
      {"viewer", "review-approve-partial", "reviewer",
       [&](const netsim::Session& x) {
         return ErrorOf(s.ApprovePartial(x, review, {kVaccination}, "理由"));
       }},
      {"flagger", "review-refuse", "reviewer",
       [&](const netsim::Session& x) { return ErrorOf(s.Refuse(x, review, "理由")); }},
      {"reviewer", "log-read", "log-viewer",
       [&](const netsim::Session& x) { return ErrorOf(s.ReadLog(x, 1, INT64_MAX)); }},
      {"auditor", "log-person", "log-viewer",
       [&](const netsim::Session& x) { return ErrorOf(s.PersonLog(x, people[0].at_b)); }},
      {"registrar", "purge", "operator",
       [&](const netsim::Session& x) { return ErrorOf(s.Purge(x)); }},
      {"reviewer", "replica-key-rotate", "operator",
       [&](const netsim::Session& x) { return ErrorOf(s.RotateReplicaKey(x)); }},
  };
  V expected_records;
  for (const Gate& g : gates) {
    std::optional<Error> e = g.call(Login(*b, g.account));
    ASSERT_TRUE(e.has_value()) << g.action << " was allowed for " << g.account;
    EXPECT_EQ(e->code, Ns(netsim::Errc::kPermissionDenied)) << g.action;
    EXPECT_EQ(e->message, std::string("staff id '") + g.account + "' lacks the role '" + g.role +
                              "' needed for " + g.action);
    expected_records.push_back(std::string(g.account) + "/" + g.action + "/missing role " + g.role);
  }

  // Every refusal is in the operation record, in order, and nothing else was refused.
  auto ops = s.staff().Operations(Login(*b, "auditor"));
  ASSERT_TRUE(ops.ok()) << ops.error().message;
  V refused;
  for (const netsim::OperationRecord& r : ops.value()) {
    if (!r.allowed) refused.push_back(r.staff_id + "/" + r.action + "/" + r.detail);
  }
  EXPECT_EQ(refused, expected_records);

  // Nothing changed.
  const netsim::Session reg = Login(*b, "registrar");
  EXPECT_EQ(CodeOf(s.RemoveReplica(reg, "DENIED-1")), Mw(middleware::Errc::kNotFound));
  EXPECT_EQ(CodeOf(s.RemoveReplica(reg, "DENIED-2")), Mw(middleware::Errc::kNotFound));
  const netsim::Session flagger = Login(*b, "flagger");
  EXPECT_EQ(CodeOf(s.ClearSuppression(flagger, people[0].at_b, "", "確認")),
            Mw(middleware::Errc::kNotFound));
  EXPECT_TRUE(s.ClearSuppression(flagger, people[4].at_b, "", "確認").ok());
  auto view = s.CitizenHistory(people[1].at_b);
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view->self_info_blocked);
  auto pending = s.PendingReviews(Login(*b, "reviewer"));
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().state, ReviewState::kPending);
  EXPECT_EQ(StateOf(*a, held).phase, QueryPhase::kPendingManual);
  EXPECT_EQ(LogOf(*b, held), (V{"provider/suppressed/review-" + std::to_string(review)}));
  auto rotated = s.RotateReplicaKey(Login(*b, "operator"));
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(rotated.value(), 2u);  // the refused rotation made no key
}

TEST_F(IntermediateServerStaffTest, ApprovePartialRefusesEmptyAllOrUnknownItems) {
  Suppress(2);
  const std::string pn = Submit(*a, people[2].at_a, kChildJm, kChildJt, {kTax, kResidence});
  RunFor(Duration::Minutes(1));
  const int64_t id = OnlyReview(*b);
  const netsim::Session reviewer = Login(*b, "reviewer");
  struct Bad {
    V removed;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {{}, "removed_items: name at least one item and leave at least one"},
      {{kTax, kResidence}, "removed_items: name at least one item and leave at least one"},
      {{kNotAnItem},
       std::string("removed_items: ") + kNotAnItem + " is not an item of this request"},
  };
  for (const Bad& c : cases) {
    Status s = b->server->ApprovePartial(reviewer, id, c.removed, "一部のみ提供");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Mw(middleware::Errc::kInvalidInput));
    EXPECT_EQ(s.error().message, c.message);
  }
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/suppressed/review-" + std::to_string(id)}));
  EXPECT_EQ(StateOf(*a, pn).phase, QueryPhase::kPendingManual);
}

TEST_F(IntermediateServerStaffTest, DecisionWithoutAReasonIsRefused) {
  Suppress(2);
  const std::string pn = Submit(*a, people[2].at_a, kChildJm, kChildJt, {kTax, kResidence});
  RunFor(Duration::Minutes(1));
  const int64_t id = OnlyReview(*b);
  const netsim::Session reviewer = Login(*b, "reviewer");
  for (const Status& s :
       {b->server->Approve(reviewer, id, ""), b->server->ApprovePartial(reviewer, id, {kTax}, ""),
        b->server->Refuse(reviewer, id, "")}) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Mw(middleware::Errc::kInvalidInput));
    EXPECT_EQ(s.error().message, "reason: a decision needs a reason");
  }
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/suppressed/review-" + std::to_string(id)}));
  EXPECT_EQ(OnlyReview(*b), id);
}

TEST_F(IntermediateServerStaffTest, DecisionOnAnUnknownReviewIsNotFound) {
  const netsim::Session reviewer = Login(*b, "reviewer");
  for (const Status& s : {b->server->Approve(reviewer, 999, "承認"),
                          b->server->ApprovePartial(reviewer, 999, {kTax}, "一部"),
                          b->server->Refuse(reviewer, 999, "拒否")}) {
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Mw(middleware::Errc::kNotFound));
    EXPECT_EQ(s.error().message, "review 999 does not exist");
  }
}

TEST_F(IntermediateServerStaffTest, ApprovePartialWithholdsTheRemovedItems) {
  Suppress(2);
  const std::string pn = Submit(*a, people[2].at_a, kChildJm, kChildJt, {kTax, kResidence});
  RunFor(Duration::Minutes(1));
  EXPECT_EQ(StateOf(*a, pn).status, RecordStatus::kPendingManual);
  const int64_t id = OnlyReview(*b);
  const netsim::Session reviewer = Login(*b, "reviewer");
  ASSERT_TRUE(b->server->ApprovePartial(reviewer, id, {kTax}, "税情報は提供しない").ok());
  world->Run();
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(q.phase, QueryPhase::kDone);
  EXPECT_EQ(middleware::RecordStatusCode(q.status), "09");
  EXPECT_EQ(Items(q.items), (V{std::string(kTax) + ":03:", std::string(kResidence) + ":01:RES-2"}));
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/suppressed/review-" + std::to_string(id),
                              "provider/staff-approved-partial/normal"}));
  const std::vector<ProvisionLogRecord> records = RecordsOf(*b, pn);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].staff_id, "reviewer");
  auto pending = b->server->PendingReviews(reviewer);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // The decision and its reason are in the operation record, about the person.
  auto ops = b->server->staff().Operations(Login(*b, "auditor"), people[2].at_b);
  ASSERT_TRUE(ops.ok());
  V decisions;
  for (const netsim::OperationRecord& r : ops.value()) {
    if (r.action.rfind("review-", 0) == 0) decisions.push_back(r.action + "/" + r.detail);
  }
  EXPECT_EQ(decisions,
            (V{"review-approve-partial/review " + std::to_string(id) + ": 税情報は提供しない"}));
}

TEST_F(IntermediateServerStaffTest, PerItemSuppressionHoldsOnlyQueriesForThatItem) {
  Suppress(0, kTax);
  const std::string tax = Submit(*a, people[0].at_a, kChildJm, kChildJt, {kTax});
  const std::string residence = Submit(*a, people[0].at_a, kChildJm, kChildJt, {kResidence});
  const std::string vaccination = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(1));
  EXPECT_EQ(StateOf(*a, tax).phase, QueryPhase::kPendingManual);
  const QueryState r = StateOf(*a, residence);
  EXPECT_EQ(r.status, RecordStatus::kNormal);
  EXPECT_EQ(Items(r.items), (V{std::string(kResidence) + ":01:RES-0"}));
  const QueryState v = StateOf(*a, vaccination);
  EXPECT_EQ(v.status, RecordStatus::kNormal);
  auto pending = b->server->PendingReviews(Login(*b, "reviewer"));
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().processing_number, tax);
  EXPECT_EQ(pending->front().tm_items, (V{kTax}));
  EXPECT_EQ(b->server->stats().provide_outcome,
            (std::map<std::string, uint64_t, std::less<>>{{"answered", 2}, {"suppressed", 1}}));
}

TEST_F(IntermediateServerStaffTest, ClearingAnUnsetSuppressionIsNotFound) {
  const netsim::Session flagger = Login(*b, "flagger");
  Status whole = b->server->ClearSuppression(flagger, people[0].at_b, "", "解除");
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.error().code, Mw(middleware::Errc::kNotFound));
  EXPECT_EQ(whole.error().message,
            std::string(middleware::FlagKindName(middleware::FlagKind::kSuppressAutoReply)) +
                " flag is not set for " + people[0].at_b);
  // A flag on one item is not a flag on another.
  Suppress(0, kTax);
  Status other = b->server->ClearSuppression(flagger, people[0].at_b, kResidence, "解除");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Mw(middleware::Errc::kNotFound));
  EXPECT_TRUE(b->server->ClearSuppression(flagger, people[0].at_b, kTax, "解除").ok());
}

// ======================================================================================
// 4. Citizen view
// ======================================================================================

class IntermediateServerCitizenTest : public IntermediateServerFixture {};

TEST_F(IntermediateServerCitizenTest, HistoryNamesTheOtherBodyOnBothSides) {
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(1));
  ASSERT_EQ(StateOf(*a, pn).status, RecordStatus::kNormal);

  auto provider = b->server->CitizenHistory(people[0].at_b);
  ASSERT_TRUE(provider.ok()) << provider.error().message;
  ASSERT_EQ(provider->history.size(), 1u);
  const middleware::HistoryEntry& given = provider->history[0];
  EXPECT_EQ(given.direction, "provided-to");
  EXPECT_EQ(given.other_body, a->institution);
  EXPECT_EQ(given.other_body_name, "長岡市");
  EXPECT_EQ(given.jm, kJm);
  EXPECT_EQ(given.jt, kTransferIn);
  EXPECT_EQ(given.tm_items, (V{kVaccination}));
  EXPECT_EQ(given.outcome, "normal");
  EXPECT_FALSE(provider->self_info_blocked);
  V own;
  for (const middleware::ReplicaRecord& r : provider->own_data) own.push_back(r.record_id);
  EXPECT_EQ(own, (V{"TAX-0", "RES-0", "VAC-0"}));

  auto requester = a->server->CitizenHistory(people[0].at_a);
  ASSERT_TRUE(requester.ok()) << requester.error().message;
  ASSERT_EQ(requester->history.size(), 1u);
  const middleware::HistoryEntry& got = requester->history[0];
  EXPECT_EQ(got.direction, "received-from");
  EXPECT_EQ(got.other_body, b->institution);
  EXPECT_EQ(got.other_body_name, "仙台市");
  EXPECT_EQ(got.outcome, "normal");
  EXPECT_GT(got.at, given.at);
  EXPECT_TRUE(requester->own_data.empty());
}

TEST_F(IntermediateServerCitizenTest, NonDisclosureQueryIsHiddenFromTheCitizenButNotFromStaff) {
  const std::string hidden = Submit(*a, people[1].at_a, kJm, kTransferIn, {kVaccination}, true);
  const std::string shown = Submit(*a, people[1].at_a);
  RunFor(Duration::Minutes(1));
  ASSERT_EQ(StateOf(*a, hidden).status, RecordStatus::kNormal);
  ASSERT_EQ(StateOf(*a, shown).status, RecordStatus::kNormal);

  for (World::Body* body : {a, b}) {
    const std::string& person = body == a ? people[1].at_a : people[1].at_b;
    auto view = body->server->CitizenHistory(person);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->history.size(), 1u) << body->name;
    auto log = body->server->PersonLog(Login(*body, "viewer"), person);
    ASSERT_TRUE(log.ok());
    V seen;
    for (const ProvisionLogRecord& r : log.value()) {
      seen.push_back(r.processing_number + "/" +
                     std::string(middleware::ProvisionEventName(r.event)) +
                     (r.non_disclosure ? "/non-disclosure" : ""));
    }
    if (body == a) {
      EXPECT_EQ(seen, (V{hidden + "/query-sent/non-disclosure", shown + "/query-sent",
                         hidden + "/answer-received/non-disclosure", shown + "/answer-received"}));
    } else {
      EXPECT_EQ(seen, (V{hidden + "/answered/non-disclosure", shown + "/answered"}));
    }
  }
  const std::vector<ProvisionLogRecord> at_b = RecordsOf(*b, hidden);
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_TRUE(at_b[0].non_disclosure);
}

TEST_F(IntermediateServerCitizenTest, SelfInfoBlockingHidesOwnDataAndMarksLaterProvisions) {
  const std::string before = Submit(*a, people[2].at_a);
  RunFor(Duration::Minutes(1));
  const netsim::Session flagger = Login(*b, "flagger");
  ASSERT_TRUE(b->server->SetSelfInfoBlocked(flagger, people[2].at_b, true, "本人の申出").ok());
  auto view = b->server->CitizenHistory(people[2].at_b);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->self_info_blocked);
  EXPECT_TRUE(view->own_data.empty());
  EXPECT_EQ(view->history.size(), 1u);

  const std::string after = Submit(*a, people[2].at_a);
  RunFor(Duration::Minutes(1));
  EXPECT_EQ(StateOf(*a, after).status, RecordStatus::kNormal);  // provision itself goes on
  const std::vector<ProvisionLogRecord> first = RecordsOf(*b, before);
  const std::vector<ProvisionLogRecord> second = RecordsOf(*b, after);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(first[0].self_info_blocked);
  EXPECT_TRUE(second[0].self_info_blocked);

  ASSERT_TRUE(b->server->SetSelfInfoBlocked(flagger, people[2].at_b, false, "申出の撤回").ok());
  view = b->server->CitizenHistory(people[2].at_b);
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view->self_info_blocked);
  EXPECT_EQ(view->own_data.size(), 3u);
  auto ops = b->server->staff().Operations(Login(*b, "auditor"), people[2].at_b);
  ASSERT_TRUE(ops.ok());
  V flags;
  for (const netsim::OperationRecord& r : ops.value()) {
    if (r.action.rfind("flag-", 0) == 0) flags.push_back(r.action + "/" + r.detail);
  }
  EXPECT_EQ(flags, (V{"flag-self-info-set/本人の申出", "flag-self-info-clear/申出の撤回"}));
}

// ======================================================================================
// 5. Restart on the same files
// ======================================================================================

class IntermediateServerRestartTest : public IntermediateServerFixture {
 protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          (std::string("ims_restart_") +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    Build(dir.string());
  }
  void TearDown() override {
    world.reset();
    fs::remove_all(dir);
  }
  // Destroys the world and builds a second one on the same files with the same seed, `later`
  // on: AddBody opens the bodies' existing files.
  void Restart(Duration later) {
    const SimTime at = world->loop().Now() + later;
    world.reset();
    a = b = nullptr;
    ASSERT_NO_FATAL_FAILURE(Open(Options(dir.string(), at)));
  }
  fs::path dir;
};

TEST_F(IntermediateServerRestartTest, PendingReviewSurvivesARestartAndItsExpiryStillFires) {
  Suppress(0);
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Hours(1));
  const int64_t id = OnlyReview(*b);
  auto held = b->server->PendingReviews(Login(*b, "reviewer"));
  ASSERT_TRUE(held.ok() && held->size() == 1u);
  const middleware::Review before = held->front();

  ASSERT_NO_FATAL_FAILURE(Restart(Duration::Hours(1)));
  auto pending = b->server->PendingReviews(Login(*b, "reviewer"));
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, id);
  EXPECT_EQ(pending->front().state, ReviewState::kPending);
  EXPECT_EQ(pending->front().processing_number, pn);
  EXPECT_EQ(pending->front().expire_at, before.expire_at);
  EXPECT_EQ(StateOf(*a, pn).phase, QueryPhase::kPendingManual);

  world->Run();  // nobody decides
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(middleware::RecordStatusCode(q.status), "22");
  EXPECT_EQ(*q.completed_at - before.expire_at, Duration::Millis(8));  // the answer's two hops
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/suppressed/review-" + std::to_string(id),
                              "provider/escalated/escalated", "provider/expired/expired"}));
  EXPECT_EQ(LogOf(*a, pn).back(), "requester/answer-received/expired");
  for (World::Body* body : {a, b}) {
    auto check = body->server->CheckLog();
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->intact) << body->name << ": " << check->reason;
  }
}

TEST_F(IntermediateServerRestartTest, ReviewDecidedAfterARestartReachesTheRequester) {
  Suppress(1);
  const std::string pn = Submit(*a, people[1].at_a);
  RunFor(Duration::Hours(1));
  const int64_t id = OnlyReview(*b);
  ASSERT_NO_FATAL_FAILURE(Restart(Duration::Hours(2)));
  ASSERT_TRUE(b->server->Approve(Login(*b, "reviewer"), id, "本人確認済み").ok());
  world->Run();
  const QueryState q = StateOf(*a, pn);
  EXPECT_EQ(q.status, RecordStatus::kNormal);
  EXPECT_EQ(Items(q.items), (V{std::string(kVaccination) + ":01:" + VaccinationPayload(1)}));
  EXPECT_EQ(LogOf(*b, pn), (V{"provider/suppressed/review-" + std::to_string(id),
                              "provider/staff-approved/normal"}));
}

// The core of the second world numbers its permits afresh; the provider remembers the permits
// the first world's core issued. A new query after the restart must still be answered.
TEST_F(IntermediateServerRestartTest, QueryAfterARestartIsAnsweredNormally) {
  const std::string first = Submit(*a, people[2].at_a);
  RunFor(Duration::Minutes(1));
  ASSERT_EQ(StateOf(*a, first).status, RecordStatus::kNormal);
  ASSERT_NO_FATAL_FAILURE(Restart(Duration::Minutes(1)));
  const std::string second = Submit(*a, people[3].at_a);
  EXPECT_NE(second, first);
  RunFor(Duration::Minutes(1));
  const QueryState q = StateOf(*a, second);
  EXPECT_EQ(q.status, RecordStatus::kNormal) << q.message;
  EXPECT_EQ(LogOf(*b, second), (V{"provider/answered/normal"}));
}

// ======================================================================================
// 6. System management
// ======================================================================================

class IntermediateServerManagementTest : public IntermediateServerFixture {};

TEST_F(IntermediateServerManagementTest, StatsCountOutcomesAndLatencyPercentiles) {
  auto fresh = world->RegisterResident(*a, newcomer);
  ASSERT_TRUE(fresh.ok());
  const std::string no_token = Submit(*a, fresh.value());  // decided at once: latency 0
  std::vector<std::string> normal;
  for (size_t i = 0; i < 3; ++i) {
    normal.push_back(Submit(*a, people[i].at_a));
    RunFor(Duration::Minutes(1));
  }
  auto sent = world->network().Counters(b->institution, world->core().config().interface_node);
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(world->network()
                  .DropNth(b->institution, world->core().config().interface_node, sent->sent + 1)
                  .ok());
  const std::string lossy = Submit(*a, people[3].at_a);
  RunFor(Duration::Minutes(5));

  const QueryState first = StateOf(*a, normal[0]);
  const Duration latency = *first.completed_at - first.submitted_at;
  for (const std::string& pn : normal) {
    const QueryState q = StateOf(*a, pn);
    ASSERT_EQ(q.status, RecordStatus::kNormal);
    EXPECT_EQ(*q.completed_at - q.submitted_at, latency);
  }
  const QueryState slow = StateOf(*a, lossy);
  ASSERT_EQ(slow.status, RecordStatus::kNormal);
  EXPECT_EQ(*slow.completed_at - slow.submitted_at, latency + Duration::Seconds(60));

  const middleware::ServerStats s = a->server->stats();
  EXPECT_EQ(s.query_status,
            (std::map<std::string, uint64_t, std::less<>>{{"no-token", 1}, {"normal", 4}}));
  uint64_t completed = 0;
  for (const auto& [name, n] : s.query_status) completed += n;
  EXPECT_EQ(s.query_latency.count, completed);
  // Samples [0, L, L, L, L + 60 s], nearest rank, within the histogram's 1/128 below the
  // sample (netsim::LatencyHistogram); the maximum is exact.
  const auto near = [](Duration got, Duration want) {
    return got <= want && got.micros() >= want.micros() - want.micros() / 128;
  };
  EXPECT_TRUE(near(s.query_latency.p50, latency));
  EXPECT_TRUE(near(s.query_latency.p95, latency + Duration::Seconds(60)));
  EXPECT_TRUE(near(s.query_latency.p99, latency + Duration::Seconds(60)));
  EXPECT_EQ(s.query_latency.max, latency + Duration::Seconds(60));
  EXPECT_LE(s.query_latency.p50, s.query_latency.p95);
  EXPECT_LE(s.query_latency.p95, s.query_latency.p99);
  EXPECT_LE(s.query_latency.p99, s.query_latency.max);
  EXPECT_EQ(s.query_retries, 1u);
  EXPECT_EQ(s.permit_retries, 0u);
  EXPECT_TRUE(s.provide_outcome.empty());

  const middleware::ServerStats p = b->server->stats();
  EXPECT_EQ(p.provide_outcome,
            (std::map<std::string, uint64_t, std::less<>>{{"answered", 4}, {"retransmitted", 1}}));
  EXPECT_EQ(p.provide_latency.count, 4u);  // a retransmission is not a provision
  EXPECT_EQ(p.provide_latency.p50, Duration::Millis(5));
  EXPECT_EQ(p.provide_latency.max, Duration::Millis(5));
  EXPECT_EQ(p.query_latency.count, 0u);
  EXPECT_EQ(StateOf(*a, no_token).status, RecordStatus::kNoToken);
}

TEST_F(IntermediateServerManagementTest, HealthReportsEscalatedReviews) {
  Suppress(0);
  const std::string pn = Submit(*a, people[0].at_a);
  RunFor(Duration::Minutes(1));
  auto h = b->server->CheckHealth();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->open_reviews, 1);
  EXPECT_EQ(h->escalated_reviews, 0);
  EXPECT_TRUE(h->notices.empty());
  EXPECT_EQ(h->permit_list_version, "2023.04");

  RunFor(Duration::Days(1));  // past review_escalate_after, before review_expire_after
  h = b->server->CheckHealth();
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->ok);
  EXPECT_EQ(h->open_reviews, 1);
  EXPECT_EQ(h->escalated_reviews, 1);
  EXPECT_EQ(h->notices, (V{"1 suppressed request(s) escalated past their review deadline"}));
  auto requester = a->server->CheckHealth();
  ASSERT_TRUE(requester.ok());
  EXPECT_EQ(requester->open_queries, 1);  // pending manual
  EXPECT_TRUE(requester->notices.empty());
  EXPECT_EQ(StateOf(*a, pn).phase, QueryPhase::kPendingManual);
}

TEST_F(IntermediateServerManagementTest, HealthReportsTheEndedThenStalePermitList) {
  // The list is in force through 2027-03-31; the staleness window is one day more.
  world->RunUntil(netsim::FromCivil({2027, 4, 1, 12, 0, 0, 0}));
  for (World::Body* body : {a, b}) {
    auto h = body->server->CheckHealth();
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(h->ok) << body->name;
    EXPECT_EQ(h->notices, (V{"the permit list copy 2023.04 has ended; relying on the staleness "
                             "window"}));
  }
  world->RunUntil(netsim::FromCivil({2027, 4, 2, 12, 0, 0, 0}));
  for (World::Body* body : {a, b}) {
    auto h = body->server->CheckHealth();
    ASSERT_TRUE(h.ok());
    EXPECT_FALSE(h->ok) << body->name;
    EXPECT_EQ(h->notices, (V{"the permit list copy 2023.04 is outside its validity and staleness "
                             "window: every query is refused"}));
  }
}

TEST_F(IntermediateServerManagementTest, PurgeAfterSevenYearsRemovesSealedLogBatches) {
  const std::string q0 = Submit(*a, people[0].at_a);
  const std::string q1 = Submit(*a, people[1].at_a);
  RunFor(Duration::Hours(1));  // answered, and the seal timer sealed both logs
  ASSERT_EQ(StateOf(*a, q0).status, RecordStatus::kNormal);
  ASSERT_EQ(StateOf(*a, q1).status, RecordStatus::kNormal);

  // Just under seven years: permits, answers and queries go, the log stays.
  world->RunUntil(kStart + Duration::Days(7 * 365));
  auto at_a = a->server->Purge(Login(*a, "operator"));
  ASSERT_TRUE(at_a.ok()) << at_a.error().message;
  EXPECT_EQ(at_a->log_records, 0);
  EXPECT_EQ(at_a->used_permits, 0);
  EXPECT_EQ(at_a->sent_answers, 0);
  EXPECT_EQ(at_a->queries, 2);
  auto at_b = b->server->Purge(Login(*b, "operator"));
  ASSERT_TRUE(at_b.ok()) << at_b.error().message;
  EXPECT_EQ(at_b->log_records, 0);
  EXPECT_EQ(at_b->used_permits, 2);
  EXPECT_EQ(at_b->sent_answers, 2);
  EXPECT_EQ(at_b->queries, 0);
  EXPECT_EQ(CodeOf(a->server->QueryStatus(q0)), Mw(middleware::Errc::kNotFound));

  // Past seven years: the sealed batches go too.
  world->RunUntil(kStart + Duration::Days(7 * 365 + 3));
  at_a = a->server->Purge(Login(*a, "operator"));
  ASSERT_TRUE(at_a.ok());
  EXPECT_EQ(at_a->log_records, 4);  // query-sent and answer-received, twice
  at_b = b->server->Purge(Login(*b, "operator"));
  ASSERT_TRUE(at_b.ok());
  EXPECT_EQ(at_b->log_records, 2);
  for (World::Body* body : {a, b}) {
    auto check = body->server->CheckLog();
    ASSERT_TRUE(check.ok()) << check.error().message;
    EXPECT_TRUE(check->intact) << body->name << ": " << check->reason;
    EXPECT_EQ(check->records, 0);
    EXPECT_EQ(check->anchor_seq, body == a ? 4 : 2);
    auto rest = body->server->ReadLog(Login(*body, "viewer"), 1, INT64_MAX);
    ASSERT_TRUE(rest.ok());
    EXPECT_TRUE(rest->empty());
  }
  // The chain goes on from the purge anchor.
  const std::string late = Submit(*a, people[2].at_a);
  RunFor(Duration::Hours(1));
  EXPECT_EQ(LogOf(*a, late).size(), 1u);
  ASSERT_TRUE(a->server->SealLog().ok());
  auto check = a->server->CheckLog();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->intact) << check->reason;
  EXPECT_EQ(check->records, 1);
  EXPECT_EQ(check->sealed_through, 5);
  auto ops = a->server->staff().Operations(Login(*a, "auditor"));
  ASSERT_TRUE(ops.ok());
  V purges;
  for (const netsim::OperationRecord& r : ops.value()) {
    if (r.action == "purge" && r.allowed) purges.push_back(r.detail);
  }
  EXPECT_EQ(purges, (V{"0 log records, 0 used permits, 0 sent answers, 2 queries",
                       "4 log records, 0 used permits, 0 sent answers, 0 queries"}));
}

// ======================================================================================
// 7. The 個人番号 never leaves the addressing server
// ======================================================================================

class IntermediateServerMyNumberTest : public IntermediateServerFixture {
 protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) / "ims_my_number";
    fs::remove_all(dir);
    Build(dir.string());
  }
  void TearDown() override {
    world.reset();
    fs::remove_all(dir);
  }
  // Every message on every link, as sent.
  void BeforeResidents() override {
    const std::string relay = world->core().config().interface_node;
    const std::string core = world->core().config().node;
    const std::vector<std::pair<std::string, std::string>> links = {{a->institution, relay},
                                                                    {relay, a->institution},
                                                                    {b->institution, relay},
                                                                    {relay, b->institution},
                                                                    {relay, core},
                                                                    {core, relay},
                                                                    {World::kJukinetNode, core},
                                                                    {core, World::kJukinetNode}};
    for (const auto& [from, to] : links) {
      ASSERT_TRUE(world->network()
                      .DropIf(from, to,
                              [this](const netsim::Outgoing& o) {
                                // The bytes as sent, then the body they carry in base64.
                                std::string seen(o.bytes.begin(), o.bytes.end());
                                auto e = netsim::Decode(o.bytes);
                                if (e.ok()) {
                                  seen += "\n";
                                  seen.append(e->body.begin(), e->body.end());
                                } else {
                                  ++undecodable;
                                }
                                wire.push_back(std::move(seen));
                                return false;
                              })
                      .ok())
          << from << " -> " << to;
    }
  }
  // Each registered resident's 個人番号 found in `text`, labelled with `where`.
  V Leaks(const std::string& text, const std::string& where) {
    V found;
    for (const std::string& n : numbers) {
      if (text.find(n) != std::string::npos || text.find(FullWidth(n)) != std::string::npos) {
        found.push_back(where);
      }
    }
    return found;
  }
  V ScanFiles() {
    V found;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      ++files_scanned;
      const std::string bytes = ReadFileBytes(entry.path());
      // A probe that the scan reads real content: 統合宛名番号 are stored in clear.
      if (bytes.find(people[0].at_b) != std::string::npos) ++files_naming_a_person;
      for (const std::string& hit : Leaks(bytes, entry.path().string())) {
        found.push_back(hit);
      }
    }
    return found;
  }
  fs::path dir;
  std::vector<std::string> numbers;
  std::vector<std::string> wire;  // each message as sent, then its decoded body
  int undecodable = 0;
  int files_scanned = 0;
  int files_naming_a_person = 0;
};

TEST_F(IntermediateServerMyNumberTest, NoMyNumberInAnyFileMessageOrTrace) {
  auto fresh = world->RegisterResident(*a, newcomer);
  ASSERT_TRUE(fresh.ok());
  for (const Person& p : people) numbers.push_back(p.my_number);
  numbers.push_back(newcomer.my_number);
  std::string texts;  // every message and status text the run shows anyone

  std::vector<std::string> pns;
  pns.push_back(Submit(*a, fresh.value()));                       // no token
  pns.push_back(Submit(*a, people[0].at_a));                      // normal
  pns.push_back(Submit(*a, people[1].at_a, kJm, kCovidSpecial));  // not permitted
  pns.push_back(Submit(*a, people[1].at_a, kJm, kTransferIn, {kVaccination}, true));
  Suppress(2);
  Suppress(3);
  Suppress(4);
  pns.push_back(Submit(*a, people[2].at_a));
  pns.push_back(Submit(*a, people[3].at_a));
  pns.push_back(Submit(*a, people[4].at_a, kChildJm, kChildJt, {kTax, kResidence}));
  RunFor(Duration::Minutes(1));
  const netsim::Session reviewer = Login(*b, "reviewer");
  auto reviews = b->server->PendingReviews(reviewer);
  ASSERT_TRUE(reviews.ok());
  ASSERT_EQ(reviews->size(), 3u);
  ASSERT_TRUE(b->server->Approve(reviewer, (*reviews)[0].id, "確認済み").ok());
  ASSERT_TRUE(b->server->Refuse(reviewer, (*reviews)[1].id, "拒否").ok());
  ASSERT_TRUE(b->server->ApprovePartial(reviewer, (*reviews)[2].id, {kTax}, "一部").ok());
  // A timeout: Sendai is down for one query.
  ASSERT_TRUE(world->network().NodeDown(b->institution, world->loop().Now()).ok());
  pns.push_back(Submit(*a, people[5].at_a));
  RunFor(Duration::Minutes(10));
  ASSERT_TRUE(world->network().NodeUp(b->institution, world->loop().Now()).ok());

  // A batch by 宛名番号 and by 統合宛名番号, with a bad line.
  std::string file;
  for (size_t i = 0; i < 3; ++i) {
    BatchQueryRecord r;
    r.numbering = i == 1 ? NumberingSystem::kIntegratedNumber : NumberingSystem::kAtenaNumber;
    if (i == 1) {
      r.integrated_number = people[i].at_a;
    } else {
      r.atena_number = i == 0 ? people[i].atena_a : std::string(kNagaoka) + "999999999";
    }
    r.requested_at = world->loop().Now();
    r.requester_dept = "KENKO";
    r.requester_user = "user01";
    r.requester_institution = a->institution;
    r.business_code = kJm;
    r.procedure_code = kTransferIn;
    r.provider_institution = b->institution;
    r.data_item_code = kVaccination;
    auto line = middleware::WriteBatchQueryLine(r);
    ASSERT_TRUE(line.ok());
    file += line.value();
  }
  file += "01,garbage\r\n";
  std::istringstream in(file);
  auto batch = a->server->SubmitBatch(in, "batch.txt", [this](std::string_view atena) {
    auto s = world->AddressingSession(*a);
    if (!s.ok()) return Result<std::string>(s.error());
    auto integrated = a->addressing->IntegratedNumberForAtena(s.value(), "KENKO", atena);
    (void)a->addressing->staff().Logout(s.value());
    return integrated;
  });
  ASSERT_TRUE(batch.ok());
  world->Run();
  std::ostringstream result;
  ASSERT_TRUE(a->server->WriteBatchResult(batch.value(), result).ok());
  texts += result.str();

  // Refusals, views, logs, health and the operation records, at both bodies.
  texts += MessageOf(b->server->RegisterReplica(Login(*b, "viewer"),
                                                Replica("X", people[0].at_b, kVaccination, "x")));
  texts += MessageOf(b->server->ClearSuppression(Login(*b, "flagger"), people[0].at_b, "", "x"));
  texts += MessageOf(b->server->Approve(reviewer, 999, "x"));
  for (const std::string& pn : pns) {
    const QueryState q = StateOf(*a, pn);
    texts += q.message;
    for (const AnswerItem& i : q.items) texts += i.value;
  }
  for (World::Body* body : {a, b}) {
    ASSERT_TRUE(body->server->SealLog().ok());
    for (const Person& p : people) {
      const std::string& person = body == a ? p.at_a : p.at_b;
      auto view = body->server->CitizenHistory(person);
      ASSERT_TRUE(view.ok());
      for (const middleware::HistoryEntry& h : view->history) {
        texts += h.other_body_name + h.outcome;
      }
      auto log = body->server->PersonLog(Login(*body, "viewer"), person);
      ASSERT_TRUE(log.ok());
    }
    auto log = body->server->ReadLog(Login(*body, "viewer"), 1, INT64_MAX);
    ASSERT_TRUE(log.ok());
    for (const ProvisionLogRecord& r : log.value()) {
      texts += r.processing_number + r.outcome + r.staff_id + r.integrated_number;
    }
    auto health = body->server->CheckHealth();
    ASSERT_TRUE(health.ok());
    for (const std::string& n : health->notices) texts += n;
    auto ops = body->server->staff().Operations(Login(*body, "auditor"));
    ASSERT_TRUE(ops.ok());
    for (const netsim::OperationRecord& r : ops.value()) texts += r.detail + r.integrated_number;
  }
  EXPECT_EQ(StateOf(*a, pns.back()).status, RecordStatus::kTimeout);
  ASSERT_FALSE(world->failure());

  // The probes can see: a planted number is found, and the capture holds the 住基ネット
  // path's 住民票コード (which does travel, J-LIS to the core).
  ASSERT_EQ(Leaks("x" + FullWidth(numbers[0]) + "x", "probe"), V{"probe"});
  EXPECT_TRUE(std::any_of(wire.begin(), wire.end(), [this](const std::string& m) {
    return m.find(newcomer.juminhyo_code) != std::string::npos;
  }));

  EXPECT_EQ(Leaks(texts, "messages"), V{});
  EXPECT_EQ(Leaks(world->network().TraceText(), "trace"), V{});
  EXPECT_FALSE(world->network().trace().empty());
  ASSERT_FALSE(wire.empty());
  EXPECT_EQ(undecodable, 0);
  for (size_t i = 0; i < wire.size(); ++i) {
    EXPECT_EQ(Leaks(wire[i], "wire message " + std::to_string(i)), V{});
  }
  // With the world running (WAL files present), then after it closed its files.
  EXPECT_EQ(ScanFiles(), V{});
  bool saw_wal = false;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().string().ends_with("-wal")) saw_wal = true;
  }
  EXPECT_TRUE(saw_wal);
  world.reset();
  EXPECT_EQ(ScanFiles(), V{});
  EXPECT_GT(files_scanned, 10);
  EXPECT_GT(files_naming_a_person, 0);
}

}  // namespace
}  // namespace renkei::scenarios
