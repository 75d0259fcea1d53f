#include "netsim/core_records.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/token_service.h"

namespace renkei::netsim {
namespace {

const std::string kRequester = InstitutionCodeForLgCode("131016");
const std::string kProvider = InstitutionCodeForLgCode("152021");
constexpr std::string_view kMyNumber = "983205673214";

CoreRecord PermitRecord(int i) {
  CoreRecord r;
  r.time = SimTime::FromMicros(1'000'000 * i);
  r.kind = i % 2 == 0 ? CoreRecordKind::kPermitGrant : CoreRecordKind::kPermitDenial;
  r.processing_number = "131016-Q-" + std::to_string(1000000000 + i);
  r.requester = kRequester;
  r.provider = kProvider;
  r.jm = "JM00000000001602";
  r.jt = "JT00000000001602";
  r.tm_items = {"TM00000000016021", "TM00000000016022"};
  r.outcome = i % 2 == 0 ? "granted" : "not-permitted";
  r.reason = i % 2 == 0 ? "" : "指定された特定個人情報名の照会は許可されていません。";
  return r;
}

class CoreRecordsTest : public ::testing::Test {
 protected:
  CoreRecordsTest() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::path(::testing::TempDir()) /
             ("renkei-core-records-" + std::string(info->name()) + "-" + std::to_string(getpid()) +
              ".db"))
                .string();
    Remove();
  }
  ~CoreRecordsTest() override { Remove(); }

  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  CoreRecords OpenLog() {
    auto log = CoreRecords::Open(path_);
    EXPECT_TRUE(log.ok()) << log.error().message;
    return std::move(log).value();
  }

  void AppendRecords(CoreRecords& log, int n) {
    for (int i = 1; i <= n; ++i) {
      CoreRecord r = PermitRecord(i);
      ASSERT_TRUE(log.Append(r).ok());
    }
  }

  // Edits the file behind the log's back, as someone with file access would: the triggers
  // that make the table append-only are dropped first.
  void Tamper(std::string_view sql) {
    auto db = sql::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TRIGGER core_records_no_update;"
                         "DROP TRIGGER core_records_no_delete;")
                    .ok());
    auto s = db->Exec(sql);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  void ExpectFirstBad(CoreRecords& log, int64_t seq) {
    auto check = log.Check();
    ASSERT_TRUE(check.ok()) << check.error().message;
    EXPECT_FALSE(check->intact);
    EXPECT_EQ(check->first_bad_seq, seq) << check->reason;
    auto status = log.Verify();
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, make_error_code(Errc::kVerifyFailed));
    EXPECT_NE(status.error().message.find("core record " + std::to_string(seq)), std::string::npos)
        << status.error().message;
  }

  std::string path_;
};

TEST_F(CoreRecordsTest, AppendAssignsConsecutiveSequenceNumbers) {
  CoreRecords log = OpenLog();
  for (int i = 1; i <= 3; ++i) {
    CoreRecord r = PermitRecord(i);
    ASSERT_TRUE(log.Append(r).ok());
    EXPECT_EQ(r.seq, i);
  }
  EXPECT_EQ(log.Head().seq, 3);
}

TEST_F(CoreRecordsTest, ReadsBackWhatWasAppended) {
  CoreRecords log = OpenLog();
  std::vector<CoreRecord> written;
  for (int i = 1; i <= 5; ++i) {
    CoreRecord r = PermitRecord(i);
    ASSERT_TRUE(log.Append(r).ok());
    written.push_back(r);
  }
  auto read = log.Read(2, 4);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 3u);
  EXPECT_EQ((*read)[0], written[1]);
  EXPECT_EQ((*read)[2], written[3]);
}

TEST_F(CoreRecordsTest, EmptyLogVerifies) {
  CoreRecords log = OpenLog();
  EXPECT_TRUE(log.Verify().ok());
  EXPECT_EQ(log.Head().seq, 0);
}

TEST_F(CoreRecordsTest, IntactChainVerifies) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 50);
  auto check = log.Check();
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->intact) << check->reason;
  EXPECT_EQ(check->records, 50);
  EXPECT_TRUE(log.Verify().ok());
}

TEST_F(CoreRecordsTest, ReopenedLogContinuesTheChain) {
  crypto::Digest head{};
  {
    CoreRecords log = OpenLog();
    AppendRecords(log, 4);
    head = log.Head().hash;
  }
  CoreRecords log = OpenLog();
  EXPECT_EQ(log.Head().seq, 4);
  EXPECT_EQ(log.Head().hash, head);
  CoreRecord r = PermitRecord(5);
  ASSERT_TRUE(log.Append(r).ok());
  EXPECT_EQ(r.seq, 5);
  EXPECT_TRUE(log.Verify().ok());
}

TEST_F(CoreRecordsTest, HashChainIsDeterministic) {
  crypto::Digest first{};
  {
    CoreRecords log = OpenLog();
    AppendRecords(log, 10);
    first = log.Head().hash;
  }
  Remove();
  CoreRecords log = OpenLog();
  AppendRecords(log, 10);
  EXPECT_EQ(log.Head().hash, first);
}

TEST_F(CoreRecordsTest, TableRefusesUpdates) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 2);
  auto db = sql::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE(db->Exec("UPDATE core_records SET reason = 'x' WHERE seq = 1").ok());
}

TEST_F(CoreRecordsTest, TableRefusesDeletes) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 2);
  auto db = sql::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE(db->Exec("DELETE FROM core_records WHERE seq = 1").ok());
}

TEST_F(CoreRecordsTest, DetectsEditedRecord) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  Tamper("UPDATE core_records SET outcome = 'granted' WHERE seq = 3");
  ExpectFirstBad(log, 3);
}

TEST_F(CoreRecordsTest, DetectsEditedTime) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  Tamper("UPDATE core_records SET time = time + 1 WHERE seq = 5");
  ExpectFirstBad(log, 5);
}

TEST_F(CoreRecordsTest, DetectsDeletedRecord) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  Tamper("DELETE FROM core_records WHERE seq = 3");
  ExpectFirstBad(log, 3);
}

TEST_F(CoreRecordsTest, DetectsDeletedNewestRecord) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  Tamper("DELETE FROM core_records WHERE seq = 6");
  ExpectFirstBad(log, 6);
}

// The forger recomputes the inserted record's hash, so it fits its predecessor; the record
// moved after it no longer does.
TEST_F(CoreRecordsTest, DetectsInsertedRecord) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  auto two = log.Read(2, 2);
  ASSERT_TRUE(two.ok());
  CoreRecord forged = PermitRecord(2);
  forged.seq = 3;
  forged.outcome = "granted";
  auto db = sql::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  crypto::Bytes prev;
  {
    auto st = db->Prepare("SELECT hash FROM core_records WHERE seq = 2");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Step().value());
    prev = st->ColumnBlob(0);
  }
  crypto::Bytes chained = prev;
  const crypto::Bytes body = CanonicalCoreRecordBytes(forged);
  chained.insert(chained.end(), body.begin(), body.end());
  const std::string hash_hex = crypto::ToHex(crypto::Sha256(chained));
  Tamper(
      "UPDATE core_records SET seq = -seq WHERE seq >= 3;"
      "UPDATE core_records SET seq = 1 - seq WHERE seq < 0;"
      "INSERT INTO core_records SELECT 3, time, kind, processing_number, requester, provider, "
      "jm, jt, tm, 'granted', reason, X'" +
      hash_hex + "' FROM core_records WHERE seq = 2;");
  ExpectFirstBad(log, 4);
}

TEST_F(CoreRecordsTest, DetectsRecordAddedBehindTheHead) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 4);
  Tamper(
      "INSERT INTO core_records SELECT 5, time, kind, processing_number, requester, provider, "
      "jm, jt, tm, outcome, reason, hash FROM core_records WHERE seq = 4;");
  ExpectFirstBad(log, 5);
}

TEST_F(CoreRecordsTest, DetectsReorderedRecords) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 6);
  Tamper(
      "UPDATE core_records SET seq = -1 WHERE seq = 2;"
      "UPDATE core_records SET seq = 2 WHERE seq = 3;"
      "UPDATE core_records SET seq = 3 WHERE seq = -1;");
  ExpectFirstBad(log, 2);
}

TEST_F(CoreRecordsTest, DetectsUnreadableKind) {
  CoreRecords log = OpenLog();
  AppendRecords(log, 3);
  Tamper("UPDATE core_records SET kind = 'bogus' WHERE seq = 2");
  ExpectFirstBad(log, 2);
}

TEST_F(CoreRecordsTest, RefusesMyNumberInReason) {
  CoreRecords log = OpenLog();
  CoreRecord r = PermitRecord(1);
  r.reason = "person " + std::string(kMyNumber) + " not found";
  auto s = log.Append(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(s.error().message.find(kMyNumber), std::string::npos);
  EXPECT_EQ(log.Head().seq, 0);
}

TEST_F(CoreRecordsTest, RefusesMyNumberAsProcessingNumber) {
  CoreRecords log = OpenLog();
  CoreRecord r = PermitRecord(1);
  r.processing_number = std::string(kMyNumber);
  EXPECT_FALSE(log.Append(r).ok());
}

TEST_F(CoreRecordsTest, RefusesMyNumberInTmItems) {
  CoreRecords log = OpenLog();
  CoreRecord r = PermitRecord(1);
  r.tm_items.push_back(std::string(kMyNumber));
  EXPECT_FALSE(log.Append(r).ok());
}

TEST_F(CoreRecordsTest, RefusesFullWidthMyNumber) {
  CoreRecords log = OpenLog();
  CoreRecord r = PermitRecord(1);
  r.reason = "９８３２０５６７３２１４";
  EXPECT_FALSE(log.Append(r).ok());
}

TEST_F(CoreRecordsTest, AcceptsLongerDigitRunsOfCodes) {
  CoreRecords log = OpenLog();
  CoreRecord r = PermitRecord(1);
  r.reason = "requester " + kRequester + " acquisition 152021-0000000001";
  EXPECT_TRUE(log.Append(r).ok());
}

// The full token path: J-LIS sees the 個人番号, the core records the acquisition, and not a
// byte of the file holds the number.
TEST_F(CoreRecordsTest, FileNeverHoldsTheMyNumber) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(1234)).ok());
  auto service = TokenService::Create(crypto::Bytes(32, 1), 1, crypto::Bytes(32, 2),
                                      [](std::string_view) { return true; });
  ASSERT_TRUE(service.ok());
  {
    CoreRecords log = OpenLog();
    const TokenAcquisition req = ForwardToCore(jlis, kMyNumber, "152021-0000000001", kProvider);
    CoreRecord request;
    request.kind = CoreRecordKind::kTokenRequest;
    request.processing_number = req.acquisition_number;
    request.requester = req.institution_code;
    ASSERT_TRUE(log.Append(request).ok());
    auto grant = service->Acquire(req);
    ASSERT_TRUE(grant.ok());
    CoreRecord decision;
    decision.kind = CoreRecordKind::kTokenGrant;
    decision.processing_number = grant->acquisition_number;
    decision.requester = grant->institution_code;
    decision.outcome = std::string(TokenOutcomeName(grant->outcome));
    decision.reason = grant->reason;
    ASSERT_TRUE(log.Append(decision).ok());
    ASSERT_TRUE(log.Verify().ok());
  }
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(path_ + suffix, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(kMyNumber), std::string::npos) << suffix;
  }
}

TEST(CoreRecordKindTest, NamesRoundTrip) {
  for (auto kind : {CoreRecordKind::kTokenRequest, CoreRecordKind::kTokenGrant,
                    CoreRecordKind::kTokenDenial, CoreRecordKind::kPermitRequest,
                    CoreRecordKind::kPermitGrant, CoreRecordKind::kPermitDenial}) {
    auto parsed = ParseCoreRecordKind(CoreRecordKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
}

TEST(CoreRecordKindTest, ParseRejectsUnknownName) {
  EXPECT_FALSE(ParseCoreRecordKind("token").ok());
}

}  // namespace
}  // namespace renkei::netsim
