#include "middleware/server_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "middleware/errors.h"
#include "netsim/identifiers.h"
#include "netsim/sqlite.h"

namespace renkei::middleware {
namespace {

namespace crypto = netsim::crypto;
namespace sql = netsim::sql;
using netsim::Duration;
using netsim::SimTime;

std::vector<uint8_t> Key(uint8_t fill, size_t size = 32) {
  return std::vector<uint8_t>(size, fill);
}

SimTime At(int day, int hour = 9) {
  netsim::CivilTime c;
  c.year = 2024;
  c.month = 6;
  c.day = day;
  c.hour = hour;
  return netsim::FromCivil(c);
}

const std::string& Requester() {
  static const std::string code = netsim::InstitutionCodeForLgCode("152021");  // 長岡市
  return code;
}
const std::string& Provider() {
  static const std::string code = netsim::InstitutionCodeForLgCode("131041");  // 新宿区
  return code;
}
std::string Person(uint64_t n = 0) { return netsim::MakeIntegratedNumber(12345678901234 + n); }

// "Q" + 16 digits + "-" + 10 digits. (Not std::regex: GCC 12 at -O2 with sanitizers warns
// maybe-uninitialized inside <regex>, which -Werror turns into a build failure.)
bool IsProcessingNumber(const std::string& pn) {
  if (pn.size() != 28 || pn[0] != 'Q' || pn[17] != '-') return false;
  for (size_t i = 1; i < pn.size(); ++i) {
    if (i != 17 && (pn[i] < '0' || pn[i] > '9')) return false;
  }
  return true;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

QueryState Query(const std::string& processing_number) {
  QueryState q;
  q.processing_number = processing_number;
  q.integrated_number = Person();
  q.requester = Requester();
  q.provider = Provider();
  q.jm = "JM00000000000001";
  q.jt = "JT00000000000002";
  q.tm_items = {"TM00000000000123", "TM00000000000124"};
  q.start_date = "2024-04-01";
  q.end_date = "2025-03-31";
  q.non_disclosure = true;
  q.submitted_at = At(1);
  q.phase = QueryPhase::kAwaitingAnswer;
  q.status = RecordStatus::kError;
  q.permit_id = "P-" + processing_number;
  q.attempts = 2;
  return q;
}

QueryState DoneQuery(const std::string& processing_number, SimTime completed) {
  QueryState q = Query(processing_number);
  q.phase = QueryPhase::kDone;
  q.status = RecordStatus::kNormal;
  q.completed_at = completed;
  q.items = {{"TM00000000000123", ItemStatus::kObtained, "3200000"},
             {"TM00000000000124", ItemStatus::kNoData, ""}};
  return q;
}

void ExpectSameQuery(const QueryState& got, const QueryState& want) {
  EXPECT_EQ(got.processing_number, want.processing_number);
  EXPECT_EQ(got.integrated_number, want.integrated_number);
  EXPECT_EQ(got.requester, want.requester);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.jm, want.jm);
  EXPECT_EQ(got.jt, want.jt);
  EXPECT_EQ(got.tm_items, want.tm_items);
  EXPECT_EQ(got.start_date, want.start_date);
  EXPECT_EQ(got.end_date, want.end_date);
  EXPECT_EQ(got.non_disclosure, want.non_disclosure);
  EXPECT_EQ(got.submitted_at.micros(), want.submitted_at.micros());
  EXPECT_EQ(got.completed_at.has_value(), want.completed_at.has_value());
  if (got.completed_at && want.completed_at) {
    EXPECT_EQ(got.completed_at->micros(), want.completed_at->micros());
  }
  EXPECT_EQ(got.phase, want.phase);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.message, want.message);
  EXPECT_EQ(got.items, want.items);
  EXPECT_EQ(got.permit_id, want.permit_id);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.batch_id, want.batch_id);
  EXPECT_EQ(got.batch_line, want.batch_line);
}

Review SampleReview(const std::string& permit_id) {
  Review r;
  r.permit_id = permit_id;
  r.processing_number = "Q" + Requester() + "-0000000001";
  r.requester = Requester();
  r.message_id = "M-" + permit_id;
  r.jm = "JM00000000000001";
  r.jt = "JT00000000000002";
  r.tm_items = {"TM00000000000123", "TM00000000000124"};
  r.integrated_number = Person();
  r.as_of = "2024-06-01";
  r.non_disclosure = true;
  r.received_at = At(1);
  r.escalate_at = At(2);
  r.expire_at = At(4);
  return r;
}

void ExpectSameReview(const Review& got, const Review& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.permit_id, want.permit_id);
  EXPECT_EQ(got.processing_number, want.processing_number);
  EXPECT_EQ(got.requester, want.requester);
  EXPECT_EQ(got.message_id, want.message_id);
  EXPECT_EQ(got.jm, want.jm);
  EXPECT_EQ(got.jt, want.jt);
  EXPECT_EQ(got.tm_items, want.tm_items);
  EXPECT_EQ(got.integrated_number, want.integrated_number);
  EXPECT_EQ(got.as_of, want.as_of);
  EXPECT_EQ(got.non_disclosure, want.non_disclosure);
  EXPECT_EQ(got.received_at.micros(), want.received_at.micros());
  EXPECT_EQ(got.escalate_at.micros(), want.escalate_at.micros());
  EXPECT_EQ(got.expire_at.micros(), want.expire_at.micros());
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.decided_by, want.decided_by);
  EXPECT_EQ(got.decided_at.has_value(), want.decided_at.has_value());
  if (got.decided_at && want.decided_at) {
    EXPECT_EQ(got.decided_at->micros(), want.decided_at->micros());
  }
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.removed_items, want.removed_items);
}

SentAnswer SampleSentAnswer(const std::string& permit_id, SimTime expires,
                            const std::string& body = "signed-answer-envelope") {
  SentAnswer a;
  a.permit_id = permit_id;
  a.requester = Requester();
  a.query_message_id = "M-" + permit_id;
  a.expires_at = expires;
  a.envelope = crypto::Bytes(body.begin(), body.end());
  return a;
}

Flag MakeFlag(const std::string& person, const std::string& tm, FlagKind kind,
              const std::string& reason = "DV support measure") {
  Flag f;
  f.integrated_number = person;
  f.tm = tm;
  f.kind = kind;
  f.set_by = "staff-001";
  f.set_at = At(1);
  f.reason = reason;
  return f;
}

// The call failed with `code`, and its message names `named` (when given).
template <typename T>
void ExpectError(const Result<T>& r, Errc code, const std::string& named = "") {
  ASSERT_FALSE(r.ok()) << "expected " << make_error_code(code).message();
  EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message;
  EXPECT_TRUE(Contains(r.error().message, named))
      << "message '" << r.error().message << "' does not name " << named;
}

// Opens the state over an in-memory database or a temporary file.
class StateFixture : public ::testing::Test {
 protected:
  void Start(bool in_memory) {
    static int counter = 0;
    path_ = in_memory ? std::string(":memory:")
                      : ::testing::TempDir() + "server_state_" + std::to_string(getpid()) + "_" +
                            std::to_string(++counter) + ".db";
    Reopen();
  }
  void TearDown() override {
    state_.reset();
    db_.reset();
    if (path_ != ":memory:") {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    }
  }
  // Closes and reopens database and state (a restart, for a file).
  void Reopen(const std::vector<uint8_t>& key = Key(0x5A)) {
    state_.reset();
    db_.reset();
    auto db = sql::Database::Open(path_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_.emplace(std::move(db).value());
    auto state = ServerState::Open(*db_, key);
    ASSERT_TRUE(state.ok()) << state.error().message;
    state_ = std::move(state).value();
  }
  int64_t QueryInt(const std::string& sql_text) {
    auto st = db_->Prepare(sql_text);
    EXPECT_TRUE(st.ok()) << st.error().message;
    if (!st.ok()) return -1;
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row) << sql_text;
    return st->ColumnInt(0);
  }
  std::string RawFileBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream f(path_ + suffix, std::ios::binary);
      all.append(std::istreambuf_iterator<char>(f), {});
    }
    return all;
  }
  QueryState GetQueryOk(const std::string& processing_number) {
    auto q = state_->GetQuery(processing_number);
    EXPECT_TRUE(q.ok()) << q.error().message;
    EXPECT_TRUE(q.ok() && q->has_value()) << processing_number;
    return q.ok() && q->has_value() ? **q : QueryState{};
  }
  std::vector<std::string> Numbers(const Result<std::vector<QueryState>>& queries) {
    EXPECT_TRUE(queries.ok()) << queries.error().message;
    std::vector<std::string> out;
    if (queries.ok()) {
      for (const auto& q : *queries) out.push_back(q.processing_number);
    }
    return out;
  }

  std::string path_;
  std::optional<sql::Database> db_;
  std::unique_ptr<ServerState> state_;
};

class ServerStateTest : public StateFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { Start(GetParam() == "Memory"); }
};

INSTANTIATE_TEST_SUITE_P(Storage, ServerStateTest, ::testing::Values("Memory", "File"),
                         [](const auto& param_info) { return param_info.param; });

class ServerStateFileTest : public StateFixture {
 protected:
  void SetUp() override { Start(false); }
};

// ---- opening ----

TEST(ServerStateOpenTest, RefusesStateKeyOfWrongSize) {
  auto db = sql::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  for (size_t size : {0, 16, 31, 33, 64}) {
    auto state = ServerState::Open(*db, Key(0x5A, size));
    ExpectError(state, Errc::kInvalidInput, "32");
  }
}

// ---- tokens ----

TEST_P(ServerStateTest, StoreTokenReturnsPersonOfExpectedAcquisition) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  auto person = state_->StoreToken("ACQ-1", "TOKEN-A", At(1, 10));
  ASSERT_TRUE(person.ok()) << person.error().message;
  EXPECT_EQ(*person, Person());
  EXPECT_EQ(state_->TokenOf(Person()).value(), std::optional<std::string>("TOKEN-A"));
  EXPECT_EQ(state_->PersonOfToken("TOKEN-A").value(), std::optional<std::string>(Person()));
  EXPECT_EQ(state_->TokenCount().value(), 1);
}

TEST_P(ServerStateTest, ExpectTokenAcceptsARepeatButRefusesAnotherPersonUnderTheSameNumber) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(0), At(1)).ok());
  EXPECT_TRUE(state_->ExpectToken("ACQ-1", Person(0), At(2)).ok());
  Status other = state_->ExpectToken("ACQ-1", Person(1), At(3));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_NE(other.error().message.find("ACQ-1"), std::string::npos);
  auto stored = state_->StoreToken("ACQ-1", "v1:00112233445566778899aabbccddeeff", At(4));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored.value(), Person(0));
}

TEST_P(ServerStateTest, StoreTokenRefusesUnknownAcquisitionNumber) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  auto person = state_->StoreToken("ACQ-9", "TOKEN-A", At(1, 10));
  ExpectError(person, Errc::kNotFound, "ACQ-9");
  EXPECT_EQ(state_->TokenCount().value(), 0);
  EXPECT_FALSE(state_->PersonOfToken("TOKEN-A").value().has_value());
}

TEST_P(ServerStateTest, StoreTokenRefusesTokenHeldForAnotherPersonAndStoresNothing) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(0), At(1)).ok());
  ASSERT_TRUE(state_->StoreToken("ACQ-1", "TOKEN-A", At(1)).ok());
  ASSERT_TRUE(state_->ExpectToken("ACQ-2", Person(1), At(2)).ok());
  ExpectError(state_->StoreToken("ACQ-2", "TOKEN-A", At(2)), Errc::kInvalidInput);
  EXPECT_EQ(state_->TokenCount().value(), 1);
  EXPECT_FALSE(state_->TokenOf(Person(1)).value().has_value());
  EXPECT_EQ(state_->PersonOfToken("TOKEN-A").value(), std::optional<std::string>(Person(0)));
  // The refused acquisition is still pending: the transaction left it as it was.
  EXPECT_TRUE(state_->FailToken("ACQ-2", "token conflict").ok());
}

TEST_P(ServerStateTest, StoreTokenAcceptsRedeliveryForSamePerson) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  ASSERT_TRUE(state_->StoreToken("ACQ-1", "TOKEN-A", At(1)).ok());
  auto again = state_->StoreToken("ACQ-1", "TOKEN-A", At(1, 11));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, Person());
  EXPECT_EQ(state_->TokenCount().value(), 1);
}

TEST_P(ServerStateTest, TokenLookupsAreEmptyForUnknownPersonAndToken) {
  EXPECT_FALSE(state_->TokenOf(Person()).value().has_value());
  EXPECT_FALSE(state_->PersonOfToken("TOKEN-X").value().has_value());
  EXPECT_EQ(state_->TokenCount().value(), 0);
}

TEST_P(ServerStateTest, FailTokenEndsPendingAcquisitionOnce) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  ASSERT_TRUE(state_->FailToken("ACQ-1", "core refused").ok());
  ExpectError(state_->FailToken("ACQ-1", "again"), Errc::kNotFound);
  EXPECT_FALSE(state_->TokenOf(Person()).value().has_value());
}

TEST_P(ServerStateTest, FailTokenOfUnknownAcquisitionIsNotFound) {
  Status s = state_->FailToken("ACQ-404", "why");
  ExpectError(s, Errc::kNotFound, "ACQ-404");
}

TEST_P(ServerStateTest, FailTokenOfAcquiredAcquisitionIsNotFound) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  ASSERT_TRUE(state_->StoreToken("ACQ-1", "TOKEN-A", At(1)).ok());
  ExpectError(state_->FailToken("ACQ-1", "late failure"), Errc::kNotFound);
  EXPECT_EQ(state_->TokenOf(Person()).value(), std::optional<std::string>("TOKEN-A"));
}

// ---- processing numbers ----

TEST_P(ServerStateTest, ProcessingNumberIsQInstitutionDashTenDigits) {
  auto pn = state_->NextProcessingNumber(Requester());
  ASSERT_TRUE(pn.ok()) << pn.error().message;
  EXPECT_TRUE(IsProcessingNumber(*pn)) << *pn;
  EXPECT_TRUE(pn->starts_with("Q" + Requester() + "-")) << *pn;
}

TEST_P(ServerStateTest, ProcessingNumbersStrictlyIncrease) {
  std::string previous;
  int64_t previous_serial = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string pn = state_->NextProcessingNumber(Requester()).value();
    const int64_t serial = std::stoll(pn.substr(pn.size() - 10));
    EXPECT_GT(serial, previous_serial) << pn;
    EXPECT_GT(pn, previous) << "text order must follow issue order";
    previous = pn;
    previous_serial = serial;
  }
}

TEST_F(ServerStateFileTest, ProcessingNumbersAreNeverReusedAcrossReopen) {
  std::set<std::string> issued;
  std::string last;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) {
      const std::string pn = state_->NextProcessingNumber(Requester()).value();
      EXPECT_GT(pn, last) << "round " << round;
      EXPECT_TRUE(issued.insert(pn).second) << pn << " issued twice";
      last = pn;
    }
    Reopen();
  }
  EXPECT_EQ(issued.size(), 15u);
}

TEST_F(ServerStateFileTest, CountersWrittenByAnotherConnectionAreNeverHandedOutAgain) {
  // A second process (a console, a repair tool) may open the same file: the state keeps its
  // counters in memory, so it must notice that the stored value moved on.
  auto other_db = sql::Database::Open(path_);
  ASSERT_TRUE(other_db.ok()) << other_db.error().message;
  auto other = ServerState::Open(*other_db, Key(0x5A));
  ASSERT_TRUE(other.ok()) << other.error().message;
  std::set<std::string> issued;
  for (int i = 0; i < 10; ++i) {
    ServerState& next = i % 3 == 0 ? **other : *state_;
    const auto pn = next.NextProcessingNumber(Requester());
    ASSERT_TRUE(pn.ok()) << pn.error().message;
    EXPECT_TRUE(issued.insert(*pn).second) << *pn << " issued twice";
  }
  // Rows sealed through both connections still open: no revision (nonce) was used twice.
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0001", At(2))).ok());
  ASSERT_TRUE((*other)->PutQuery(DoneQuery("Q-0002", At(2))).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0003", At(2))).ok());
  for (const char* pn : {"Q-0001", "Q-0002", "Q-0003"}) {
    ExpectSameQuery(GetQueryOk(pn), DoneQuery(pn, At(2)));
  }
  EXPECT_EQ(QueryInt("SELECT COUNT(DISTINCT revision) FROM queries"), 3);
}

// ---- writes grouped in one transaction ----

TEST_P(ServerStateTest, GroupedWritesLandTogetherWhenCommitted) {
  auto writes = state_->BeginWrites();
  ASSERT_TRUE(writes.ok()) << writes.error().message;
  const std::string pn = state_->NextProcessingNumber(Requester()).value();
  ASSERT_TRUE(state_->PutQuery(Query(pn)).ok());
  ASSERT_TRUE(state_->PutSentQuery(pn, crypto::Bytes{1, 2, 3}).ok());
  ASSERT_TRUE(db_->InTransaction()) << "the writes joined the open transaction";
  ASSERT_TRUE(writes->Commit().ok());
  EXPECT_FALSE(db_->InTransaction());
  ExpectSameQuery(GetQueryOk(pn), Query(pn));
  auto sent = state_->GetSentQuery(pn);
  ASSERT_TRUE(sent.ok() && sent->has_value());
  EXPECT_EQ(**sent, (crypto::Bytes{1, 2, 3}));
}

TEST_P(ServerStateTest, GroupedWritesDroppedUncommittedLeaveNothingAndSkipTheirNumbers) {
  std::string dropped;
  {
    auto writes = state_->BeginWrites();
    ASSERT_TRUE(writes.ok()) << writes.error().message;
    dropped = state_->NextProcessingNumber(Requester()).value();
    ASSERT_TRUE(state_->PutQuery(Query(dropped)).ok());
    ASSERT_TRUE(state_->PutSentQuery(dropped, crypto::Bytes{1}).ok());
  }
  EXPECT_FALSE(db_->InTransaction());
  auto q = state_->GetQuery(dropped);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_FALSE(q->has_value());
  auto sent = state_->GetSentQuery(dropped);
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(sent->has_value());
  // A number handed out inside rolled-back writes is skipped, never issued again.
  const std::string next = state_->NextProcessingNumber(Requester()).value();
  EXPECT_GT(next, dropped);
  // Writes after the rollback commit on their own again.
  ASSERT_TRUE(state_->PutQuery(Query(next)).ok());
  EXPECT_FALSE(db_->InTransaction());
  ExpectSameQuery(GetQueryOk(next), Query(next));
}

TEST_P(ServerStateTest, OnlyOneGroupOfWritesIsOpenAtATime) {
  auto first = state_->BeginWrites();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ExpectError(state_->BeginWrites(), Errc::kInvalidInput, "already open");
  ASSERT_TRUE(first->Commit().ok());
  EXPECT_FALSE(first->Commit().ok()) << "a second commit of the same writes";
  auto second = state_->BeginWrites();
  EXPECT_TRUE(second.ok()) << "a committed group no longer counts as open";
}

// ---- queries ----

TEST_P(ServerStateTest, PutQueryAndGetQueryRoundTripEveryField) {
  QueryState q = DoneQuery("Q-0001", At(2));
  q.message = "「課税」 with \"quotes\", commas and 改行\n";
  q.items.push_back({"TM00000000000125", ItemStatus::kWithheld, ""});
  q.items.push_back({"TM00000000000126", ItemStatus::kNotPermitted, ""});
  q.items[0].value = R"({"income":3200000,"note":"課税, \"A\""})";
  q.batch_id = 7;
  q.batch_line = 12;
  q.attempts = 0;
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ExpectSameQuery(GetQueryOk("Q-0001"), q);
}

TEST_P(ServerStateTest, QueryWithoutItemsPeriodOrCompletionRoundTrips) {
  QueryState q = Query("Q-0002");
  q.tm_items = {"TM00000000000123"};
  q.start_date.clear();
  q.end_date.clear();
  q.non_disclosure = false;
  q.phase = QueryPhase::kAwaitingPermit;
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ExpectSameQuery(GetQueryOk("Q-0002"), q);
}

TEST_P(ServerStateTest, EveryQueryPhaseRoundTrips) {
  for (QueryPhase phase : {QueryPhase::kAwaitingPermit, QueryPhase::kAwaitingAnswer,
                           QueryPhase::kPendingManual, QueryPhase::kDone}) {
    QueryState q = Query("Q-" + std::string(QueryPhaseName(phase)));
    q.phase = phase;
    ASSERT_TRUE(state_->PutQuery(q).ok());
    EXPECT_EQ(GetQueryOk(q.processing_number).phase, phase) << QueryPhaseName(phase);
  }
}

TEST_P(ServerStateTest, GetQueryOfUnknownNumberIsEmpty) {
  auto q = state_->GetQuery("Q-404");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_FALSE(q->has_value());
}

TEST_P(ServerStateTest, PutQueryReplacesAndResealsUnderNextRevision) {
  QueryState q = DoneQuery("Q-0003", At(2));
  ASSERT_TRUE(state_->PutQuery(q).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM queries WHERE processing_number = 'Q-0003'"), 1);
  q = DoneQuery("Q-0003", At(3));
  q.items[1].value = "12";
  ASSERT_TRUE(state_->PutQuery(q).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM queries WHERE processing_number = 'Q-0003'"), 2);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM queries"), 1);
  ExpectSameQuery(GetQueryOk("Q-0003"), q);
}

TEST_P(ServerStateTest, QueryWithoutItemsIsStoredUnsealedAndUsesNoRevision) {
  // Before its answer a query has no items: nothing to seal, so no nonce is spent on it.
  QueryState q = Query("Q-0010");
  ASSERT_TRUE(q.items.empty());
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ASSERT_TRUE(state_->PutQuery(q).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM queries WHERE processing_number = 'Q-0010'"), 0);
  EXPECT_EQ(QueryInt("SELECT length(items) FROM queries WHERE processing_number = 'Q-0010'"), 0);
  ExpectSameQuery(GetQueryOk("Q-0010"), q);
  // Its answer seals under the first revision the database hands out.
  q = DoneQuery("Q-0010", At(3));
  ASSERT_TRUE(state_->PutQuery(q).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM queries WHERE processing_number = 'Q-0010'"), 1);
  ExpectSameQuery(GetQueryOk("Q-0010"), q);
}

TEST_P(ServerStateTest, ItemsStoredWithoutARevisionAreRefusedNamingTheRow) {
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0011", At(2))).ok());
  ASSERT_TRUE(db_->Exec("UPDATE queries SET revision = 0 WHERE processing_number = 'Q-0011'").ok());
  auto q = state_->GetQuery("Q-0011");
  ExpectError(q, Errc::kStorage, "Q-0011");
}

TEST_P(ServerStateTest, SameItemsWrittenTwiceGiveDifferentCiphertext) {
  const QueryState q = DoneQuery("Q-0004", At(2));
  ASSERT_TRUE(state_->PutQuery(q).ok());
  auto first = db_->Prepare("SELECT items FROM queries");
  ASSERT_TRUE(first.ok() && first->Step().value());
  const std::vector<uint8_t> blob1 = first->ColumnBlob(0);
  first->Reset();
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ASSERT_TRUE(first->Step().value());
  EXPECT_NE(first->ColumnBlob(0), blob1) << "nonce reused for the same row";
}

TEST_P(ServerStateTest, ItemsSwappedBetweenRowsFailToOpenNamingTheRow) {
  QueryState a = DoneQuery("Q-000A", At(2));
  a.phase = QueryPhase::kPendingManual;  // open, so OpenQueries reads it too
  QueryState b = DoneQuery("Q-000B", At(2));
  b.items[0].value = "1800000";
  ASSERT_TRUE(state_->PutQuery(a).ok());
  ASSERT_TRUE(state_->PutQuery(b).ok());
  ASSERT_TRUE(db_->Exec("CREATE TEMP TABLE t AS SELECT processing_number, items, revision "
                        "FROM queries;"
                        "UPDATE queries SET (items, revision) = (SELECT items, revision FROM t "
                        "WHERE t.processing_number = CASE queries.processing_number "
                        "WHEN 'Q-000A' THEN 'Q-000B' ELSE 'Q-000A' END);")
                  .ok());
  for (const char* pn : {"Q-000A", "Q-000B"}) {
    auto q = state_->GetQuery(pn);
    ExpectError(q, Errc::kCrypto, pn);
  }
  ExpectError(state_->OpenQueries(), Errc::kCrypto, "Q-000A");
}

TEST_P(ServerStateTest, RevisionRewrittenBySqlFailsToOpen) {
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0005", At(2))).ok());
  ASSERT_TRUE(db_->Exec("UPDATE queries SET revision = 2").ok());
  auto q = state_->GetQuery("Q-0005");
  ExpectError(q, Errc::kCrypto);
}

TEST_P(ServerStateTest, WrongStateKeyCannotOpenItemsOrAnswers) {
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0006", At(2))).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-1", At(9))).ok());
  auto other = ServerState::Open(*db_, Key(0x33));
  ASSERT_TRUE(other.ok()) << other.error().message;
  ExpectError((*other)->GetQuery("Q-0006"), Errc::kCrypto);
  ExpectError((*other)->GetSentAnswer("P-1"), Errc::kCrypto);
  // The right key still opens them.
  EXPECT_EQ(GetQueryOk("Q-0006").items, DoneQuery("Q-0006", At(2)).items);
}

TEST_F(ServerStateFileTest, AnswerItemsAndEnvelopesAreNotInTheFileInClear) {
  QueryState q = DoneQuery("Q-CLEAR-0001", At(2));
  q.items[0].value = "SECRET-ITEM-VALUE-5c1e";
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ASSERT_TRUE(
      state_->PutSentAnswer(SampleSentAnswer("P-CLEAR-1", At(9), "SECRET-ENVELOPE-BODY-9b2d"))
          .ok());
  const std::string with_db_open = RawFileBytes();
  state_.reset();
  db_.reset();
  const std::string after_close = RawFileBytes();
  for (const std::string& bytes : {with_db_open, after_close}) {
    EXPECT_TRUE(Contains(bytes, "Q-CLEAR-0001")) << "the scan must see the clear columns";
    EXPECT_TRUE(Contains(bytes, "P-CLEAR-1"));
    EXPECT_FALSE(Contains(bytes, "SECRET-ITEM-VALUE-5c1e"));
    EXPECT_FALSE(Contains(bytes, "SECRET-ENVELOPE-BODY-9b2d"));
    EXPECT_FALSE(Contains(bytes, "3200000"));
  }
}

TEST_F(ServerStateFileTest, WrongStateKeyAfterReopenCannotOpenItems) {
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0007", At(2))).ok());
  Reopen(Key(0x33));
  auto q = state_->GetQuery("Q-0007");
  ExpectError(q, Errc::kCrypto, "Q-0007");
}

TEST_F(ServerStateFileTest, StatePersistsAcrossReopen) {
  ASSERT_TRUE(state_->ExpectToken("ACQ-1", Person(), At(1)).ok());
  ASSERT_TRUE(state_->StoreToken("ACQ-1", "TOKEN-A", At(1)).ok());
  const QueryState q = DoneQuery("Q-0008", At(2));
  ASSERT_TRUE(state_->PutQuery(q).ok());
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSuppressAutoReply)).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-1", At(9))).ok());
  Reopen();
  EXPECT_EQ(state_->PersonOfToken("TOKEN-A").value(), std::optional<std::string>(Person()));
  ExpectSameQuery(GetQueryOk("Q-0008"), q);
  EXPECT_TRUE(state_->HasFlag(Person(), {}, FlagKind::kSuppressAutoReply).value());
  auto a = state_->GetSentAnswer("P-1");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->envelope, SampleSentAnswer("P-1", At(9)).envelope);
}

TEST_P(ServerStateTest, OpenQueriesListsUnfinishedInProcessingNumberOrder) {
  for (const char* pn : {"Q-0030", "Q-0010", "Q-0020"}) {
    ASSERT_TRUE(state_->PutQuery(Query(pn)).ok());
  }
  QueryState pending = Query("Q-0015");
  pending.phase = QueryPhase::kPendingManual;
  pending.status = RecordStatus::kPendingManual;
  ASSERT_TRUE(state_->PutQuery(pending).ok());
  QueryState permit = Query("Q-0025");
  permit.phase = QueryPhase::kAwaitingPermit;
  ASSERT_TRUE(state_->PutQuery(permit).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0005", At(2))).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-0040", At(2))).ok());
  EXPECT_EQ(Numbers(state_->OpenQueries()),
            (std::vector<std::string>{"Q-0010", "Q-0015", "Q-0020", "Q-0025", "Q-0030"}));
}

TEST_P(ServerStateTest, OpenQueriesFollowIssueOrderOfProcessingNumbers) {
  std::vector<std::string> issued;
  for (int i = 0; i < 12; ++i) issued.push_back(state_->NextProcessingNumber(Requester()).value());
  for (auto it = issued.rbegin(); it != issued.rend(); ++it) {
    ASSERT_TRUE(state_->PutQuery(Query(*it)).ok());
  }
  EXPECT_EQ(Numbers(state_->OpenQueries()), issued);
}

TEST_P(ServerStateTest, BatchQueriesListsOneBatchInLineOrder) {
  auto add = [&](const std::string& pn, int64_t batch, int line) {
    QueryState q = Query(pn);
    q.batch_id = batch;
    q.batch_line = line;
    ASSERT_TRUE(state_->PutQuery(q).ok());
  };
  add("Q-0001", 1, 3);
  add("Q-0002", 1, 1);
  add("Q-0003", 2, 1);
  add("Q-0004", 1, 2);
  add("Q-0005", 0, 0);  // an online query
  add("Q-0006", 1, 10);
  EXPECT_EQ(Numbers(state_->BatchQueries(1)),
            (std::vector<std::string>{"Q-0002", "Q-0004", "Q-0001", "Q-0006"}));
  EXPECT_EQ(Numbers(state_->BatchQueries(2)), (std::vector<std::string>{"Q-0003"}));
  EXPECT_TRUE(Numbers(state_->BatchQueries(0)).empty()) << "online queries are no batch";
  EXPECT_TRUE(Numbers(state_->BatchQueries(99)).empty());
}

TEST_P(ServerStateTest, PurgeQueriesRemovesOnlyDoneQueriesCompletedBeforeCutoff) {
  const SimTime cutoff = At(10);
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-old", cutoff - Duration::Micros(1))).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-very-old", At(1))).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-at-cutoff", cutoff)).ok());
  ASSERT_TRUE(state_->PutQuery(DoneQuery("Q-recent", At(11))).ok());
  QueryState open = Query("Q-open-old");  // submitted long ago, never finished
  open.submitted_at = At(1);
  ASSERT_TRUE(state_->PutQuery(open).ok());
  QueryState pending = Query("Q-pending-old");
  pending.phase = QueryPhase::kPendingManual;
  pending.completed_at = At(1);  // even with a stale completion time
  ASSERT_TRUE(state_->PutQuery(pending).ok());

  auto purged = state_->PurgeQueries(cutoff);
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(*purged, 2);
  for (const char* gone : {"Q-old", "Q-very-old"}) {
    EXPECT_FALSE(state_->GetQuery(gone).value().has_value()) << gone;
  }
  for (const char* kept : {"Q-at-cutoff", "Q-recent", "Q-open-old", "Q-pending-old"}) {
    EXPECT_TRUE(state_->GetQuery(kept).value().has_value()) << kept;
  }
  EXPECT_EQ(state_->PurgeQueries(cutoff).value(), 0);
}

// ---- reviews ----

TEST_P(ServerStateTest, AddReviewAssignsIdsAndGetReviewRoundTrips) {
  Review a = SampleReview("P-1");
  Review b = SampleReview("P-2");
  b.tm_items = {"TM00000000000123"};
  b.non_disclosure = false;
  auto id_a = state_->AddReview(a);
  auto id_b = state_->AddReview(b);
  ASSERT_TRUE(id_a.ok()) << id_a.error().message;
  ASSERT_TRUE(id_b.ok()) << id_b.error().message;
  EXPECT_GT(*id_a, 0);
  EXPECT_GT(*id_b, *id_a);
  a.id = *id_a;
  b.id = *id_b;
  auto got_a = state_->GetReview(a.id);
  auto got_b = state_->GetReview(b.id);
  ASSERT_TRUE(got_a.ok() && got_a->has_value());
  ASSERT_TRUE(got_b.ok() && got_b->has_value());
  ExpectSameReview(**got_a, a);
  ExpectSameReview(**got_b, b);
  EXPECT_TRUE((*got_a)->open());
}

TEST_P(ServerStateTest, GetReviewOfUnknownIdIsEmpty) {
  auto r = state_->GetReview(404);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value());
}

TEST_P(ServerStateTest, UpdateReviewRecordsTheDecision) {
  Review r = SampleReview("P-1");
  r.id = state_->AddReview(r).value();
  r.state = ReviewState::kApprovedPartial;
  r.decided_by = "supervisor-7";
  r.decided_at = At(2, 15);
  r.reason = "DV: 住所 withheld";
  r.removed_items = {"TM00000000000124"};
  ASSERT_TRUE(state_->UpdateReview(r).ok());
  auto got = state_->GetReview(r.id);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSameReview(**got, r);
  EXPECT_FALSE((*got)->open());
}

TEST_P(ServerStateTest, EveryReviewStateRoundTrips) {
  for (ReviewState s :
       {ReviewState::kPending, ReviewState::kEscalated, ReviewState::kApproved,
        ReviewState::kApprovedPartial, ReviewState::kRefused, ReviewState::kExpired}) {
    Review r = SampleReview("P-" + std::string(ReviewStateName(s)));
    r.state = s;
    const int64_t id = state_->AddReview(r).value();
    EXPECT_EQ(state_->GetReview(id).value()->state, s) << ReviewStateName(s);
  }
}

TEST_P(ServerStateTest, UpdateReviewOfUnknownIdIsNotFound) {
  Review r = SampleReview("P-1");
  r.id = 404;
  Status s = state_->UpdateReview(r);
  ExpectError(s, Errc::kNotFound, "404");
  EXPECT_TRUE(state_->OpenReviews().value().empty());
}

TEST_P(ServerStateTest, OpenReviewsListsPendingAndEscalatedInIdOrder) {
  std::vector<int64_t> ids;
  for (ReviewState s : {ReviewState::kPending, ReviewState::kApproved, ReviewState::kEscalated,
                        ReviewState::kRefused, ReviewState::kPending, ReviewState::kExpired,
                        ReviewState::kApprovedPartial}) {
    Review r = SampleReview("P-" + std::to_string(ids.size()));
    r.state = s;
    ids.push_back(state_->AddReview(r).value());
  }
  // The first pending review is decided later; it leaves the queue.
  Review decided = *state_->GetReview(ids[0]).value();
  decided.state = ReviewState::kRefused;
  ASSERT_TRUE(state_->UpdateReview(decided).ok());

  auto open = state_->OpenReviews();
  ASSERT_TRUE(open.ok()) << open.error().message;
  std::vector<int64_t> open_ids;
  for (const Review& r : *open) open_ids.push_back(r.id);
  EXPECT_EQ(open_ids, (std::vector<int64_t>{ids[2], ids[4]}));
}

TEST_P(ServerStateTest, AddReviewRefusesSecondReviewOfSamePermit) {
  ASSERT_TRUE(state_->AddReview(SampleReview("P-1")).ok());
  EXPECT_FALSE(state_->AddReview(SampleReview("P-1")).ok());
  EXPECT_EQ(state_->OpenReviews().value().size(), 1u);
}

// ---- flags ----

TEST_P(ServerStateTest, WholePersonFlagCoversEveryItem) {
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSuppressAutoReply)).ok());
  EXPECT_TRUE(
      state_->HasFlag(Person(), {"TM00000000000123"}, FlagKind::kSuppressAutoReply).value());
  EXPECT_TRUE(state_->HasFlag(Person(), {}, FlagKind::kSuppressAutoReply).value());
  EXPECT_FALSE(state_->HasFlag(Person(), {"TM00000000000123"}, FlagKind::kSelfInfoBlocked).value());
  EXPECT_FALSE(
      state_->HasFlag(Person(1), {"TM00000000000123"}, FlagKind::kSuppressAutoReply).value());
}

TEST_P(ServerStateTest, ItemFlagCoversOnlyThatItem) {
  ASSERT_TRUE(
      state_->SetFlag(MakeFlag(Person(), "TM00000000000123", FlagKind::kSelfInfoBlocked)).ok());
  EXPECT_TRUE(state_->HasFlag(Person(), {"TM00000000000123"}, FlagKind::kSelfInfoBlocked).value());
  EXPECT_TRUE(
      state_
          ->HasFlag(Person(), {"TM00000000000999", "TM00000000000123"}, FlagKind::kSelfInfoBlocked)
          .value());
  EXPECT_FALSE(state_->HasFlag(Person(), {"TM00000000000124"}, FlagKind::kSelfInfoBlocked).value());
  EXPECT_FALSE(state_->HasFlag(Person(), {}, FlagKind::kSelfInfoBlocked).value());
  EXPECT_FALSE(
      state_->HasFlag(Person(), {"TM00000000000123"}, FlagKind::kSuppressAutoReply).value());
}

TEST_P(ServerStateTest, ClearFlagRemovesOnlyTheNamedFlag) {
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSuppressAutoReply)).ok());
  ASSERT_TRUE(
      state_->SetFlag(MakeFlag(Person(), "TM00000000000123", FlagKind::kSuppressAutoReply)).ok());
  ASSERT_TRUE(state_->ClearFlag(Person(), "", FlagKind::kSuppressAutoReply).ok());
  EXPECT_FALSE(
      state_->HasFlag(Person(), {"TM00000000000124"}, FlagKind::kSuppressAutoReply).value());
  EXPECT_TRUE(
      state_->HasFlag(Person(), {"TM00000000000123"}, FlagKind::kSuppressAutoReply).value());
  ASSERT_TRUE(state_->ClearFlag(Person(), "TM00000000000123", FlagKind::kSuppressAutoReply).ok());
  EXPECT_TRUE(state_->FlagsOf(Person()).value().empty());
}

TEST_P(ServerStateTest, ClearFlagThatIsNotSetIsNotFound) {
  ASSERT_TRUE(
      state_->SetFlag(MakeFlag(Person(), "TM00000000000123", FlagKind::kSuppressAutoReply)).ok());
  // Another kind, the whole person, another item, another person: none of them is set.
  ExpectError(state_->ClearFlag(Person(), "TM00000000000123", FlagKind::kSelfInfoBlocked),
              Errc::kNotFound);
  ExpectError(state_->ClearFlag(Person(), "", FlagKind::kSuppressAutoReply), Errc::kNotFound);
  ExpectError(state_->ClearFlag(Person(), "TM00000000000124", FlagKind::kSuppressAutoReply),
              Errc::kNotFound);
  ExpectError(state_->ClearFlag(Person(1), "TM00000000000123", FlagKind::kSuppressAutoReply),
              Errc::kNotFound);
  EXPECT_EQ(state_->FlagsOf(Person()).value().size(), 1u);
}

TEST_P(ServerStateTest, FlagsOfListsByKindNameThenItem) {
  ASSERT_TRUE(
      state_->SetFlag(MakeFlag(Person(), "TM00000000000124", FlagKind::kSuppressAutoReply)).ok());
  ASSERT_TRUE(
      state_->SetFlag(MakeFlag(Person(), "TM00000000000123", FlagKind::kSelfInfoBlocked)).ok());
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSuppressAutoReply)).ok());
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSelfInfoBlocked)).ok());
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(1), "", FlagKind::kSelfInfoBlocked)).ok());
  auto flags = state_->FlagsOf(Person());
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  std::vector<std::pair<FlagKind, std::string>> got;
  for (const Flag& f : *flags) got.emplace_back(f.kind, f.tm);
  // "self-info-blocked" sorts before "suppress-auto-reply"; the whole-person flag ('') first.
  EXPECT_EQ(got, (std::vector<std::pair<FlagKind, std::string>>{
                     {FlagKind::kSelfInfoBlocked, ""},
                     {FlagKind::kSelfInfoBlocked, "TM00000000000123"},
                     {FlagKind::kSuppressAutoReply, ""},
                     {FlagKind::kSuppressAutoReply, "TM00000000000124"}}));
  for (const Flag& f : *flags) {
    EXPECT_EQ(f.integrated_number, Person());
    EXPECT_EQ(f.set_by, "staff-001");
    EXPECT_EQ(f.set_at.micros(), At(1).micros());
    EXPECT_EQ(f.reason, "DV support measure");
  }
}

TEST_P(ServerStateTest, SettingAFlagAgainReplacesIt) {
  ASSERT_TRUE(state_->SetFlag(MakeFlag(Person(), "", FlagKind::kSuppressAutoReply, "first")).ok());
  Flag again = MakeFlag(Person(), "", FlagKind::kSuppressAutoReply, "second");
  again.set_at = At(3);
  ASSERT_TRUE(state_->SetFlag(again).ok());
  auto flags = state_->FlagsOf(Person()).value();
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].reason, "second");
  EXPECT_EQ(flags[0].set_at.micros(), At(3).micros());
}

// ---- sent answers ----

TEST_P(ServerStateTest, SentAnswerRoundTrips) {
  const SentAnswer a = SampleSentAnswer("P-1", At(9), std::string("\x00\x01\xff binary", 10));
  ASSERT_TRUE(state_->PutSentAnswer(a).ok());
  auto got = state_->GetSentAnswer("P-1");
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->permit_id, a.permit_id);
  EXPECT_EQ((*got)->requester, a.requester);
  EXPECT_EQ((*got)->query_message_id, a.query_message_id);
  EXPECT_EQ((*got)->expires_at.micros(), a.expires_at.micros());
  EXPECT_EQ((*got)->envelope, a.envelope);
  EXPECT_FALSE(state_->GetSentAnswer("P-2").value().has_value());
}

TEST_P(ServerStateTest, OverwritingSentAnswerBumpsRevision) {
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-1", At(9), "first")).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM sent_answers WHERE permit_id = 'P-1'"), 1);
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-1", At(9), "second")).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM sent_answers WHERE permit_id = 'P-1'"), 2);
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-1", At(9), "second")).ok());
  EXPECT_EQ(QueryInt("SELECT revision FROM sent_answers WHERE permit_id = 'P-1'"), 3);
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM sent_answers"), 1);
  auto got = state_->GetSentAnswer("P-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->envelope, SampleSentAnswer("P-1", At(9), "second").envelope);
}

TEST_P(ServerStateTest, SentAnswersSwappedBetweenRowsFailToOpenNamingTheRow) {
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-A", At(9), "answer a")).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-B", At(9), "answer b")).ok());
  ASSERT_TRUE(db_->Exec("CREATE TEMP TABLE s AS SELECT permit_id, envelope FROM sent_answers;"
                        "UPDATE sent_answers SET envelope = (SELECT envelope FROM s WHERE "
                        "s.permit_id = CASE sent_answers.permit_id WHEN 'P-A' THEN 'P-B' "
                        "ELSE 'P-A' END);")
                  .ok());
  auto got = state_->GetSentAnswer("P-B");
  ExpectError(got, Errc::kCrypto, "P-B");
}

TEST_P(ServerStateTest, PurgeSentAnswersForgetsOnlyAnswersExpiredBeforeCutoff) {
  const SimTime cutoff = At(10);
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-old", At(1))).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-just", cutoff - Duration::Micros(1))).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-at", cutoff)).ok());
  ASSERT_TRUE(state_->PutSentAnswer(SampleSentAnswer("P-live", At(20))).ok());
  auto purged = state_->PurgeSentAnswers(cutoff);
  ASSERT_TRUE(purged.ok()) << purged.error().message;
  EXPECT_EQ(*purged, 2);
  EXPECT_FALSE(state_->GetSentAnswer("P-old").value().has_value());
  EXPECT_FALSE(state_->GetSentAnswer("P-just").value().has_value());
  EXPECT_TRUE(state_->GetSentAnswer("P-at").value().has_value());
  EXPECT_TRUE(state_->GetSentAnswer("P-live").value().has_value());
}

// ---- batches ----

TEST_P(ServerStateTest, AddBatchAndGetBatchRoundTrip) {
  auto first = state_->AddBatch(BatchJob{0, "health/2024-06-01.txt", At(1), 120, 3});
  auto second = state_->AddBatch(BatchJob{0, "tax/2024-06-02.txt", At(2), 5, 0});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_GT(*first, 0);
  EXPECT_GT(*second, *first);
  auto got = state_->GetBatch(*first);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->id, *first);
  EXPECT_EQ((*got)->source, "health/2024-06-01.txt");
  EXPECT_EQ((*got)->submitted_at.micros(), At(1).micros());
  EXPECT_EQ((*got)->lines, 120);
  EXPECT_EQ((*got)->rejected, 3);
  EXPECT_FALSE(state_->GetBatch(*second + 1).value().has_value());
}

TEST_P(ServerStateTest, BatchRejectionsAreListedInLineOrderPerBatch) {
  const int64_t batch = state_->AddBatch(BatchJob{0, "a.txt", At(1), 10, 3}).value();
  const int64_t other = state_->AddBatch(BatchJob{0, "b.txt", At(1), 10, 1}).value();
  ASSERT_TRUE(state_->AddBatchRejection(batch, 7, "a.txt:7: end_date: before start_date").ok());
  ASSERT_TRUE(state_->AddBatchRejection(batch, 2, "a.txt:2: line: 236 characters").ok());
  ASSERT_TRUE(state_->AddBatchRejection(other, 1, "b.txt:1: line: not CRLF").ok());
  ASSERT_TRUE(state_->AddBatchRejection(batch, 10, "a.txt:10: jm: bad code").ok());
  auto rejections = state_->BatchRejections(batch);
  ASSERT_TRUE(rejections.ok()) << rejections.error().message;
  EXPECT_EQ(*rejections,
            (std::vector<std::pair<int, std::string>>{{2, "a.txt:2: line: 236 characters"},
                                                      {7, "a.txt:7: end_date: before start_date"},
                                                      {10, "a.txt:10: jm: bad code"}}));
  EXPECT_EQ(state_->BatchRejections(other).value().size(), 1u);
  EXPECT_TRUE(state_->BatchRejections(other + 1).value().empty());
}

}  // namespace
}  // namespace renkei::middleware
