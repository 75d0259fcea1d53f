#include "middleware/provision_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "middleware/errors.h"

namespace renkei::middleware {
namespace {

namespace crypto = netsim::crypto;
namespace fs = std::filesystem;
using netsim::Duration;
using netsim::SimTime;

std::shared_ptr<const crypto::PrivateKey> LogKey(uint8_t fill = 7) {
  const std::vector<uint8_t> seed(32, fill);
  auto key = crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, seed);
  EXPECT_TRUE(key.ok());
  return *key;
}

std::shared_ptr<const crypto::PublicKey> PublicOf(const crypto::PrivateKey& key) {
  auto pub = crypto::PublicKey::FromPrivate(key);
  EXPECT_TRUE(pub.ok());
  return *pub;
}

ProvisionLogRecord Sample(int64_t day, std::string person = "100000000000019") {
  ProvisionLogRecord r;
  r.at = SimTime::FromMicros(0) + Duration::Days(day);
  r.side = ProvisionSide::kProvider;
  r.event = ProvisionEvent::kAnswered;
  r.processing_number = "PN-" + std::to_string(day);
  r.requester = "1013101000000001";
  r.provider = "1013102000000002";
  r.jm = "JM00000000000001";
  r.jt = "JT00000000000001";
  r.tm_items = {"TM00000000000001", "TM00000000000002"};
  r.requested_at = r.at;
  r.provided_at = r.at + Duration::Seconds(2);
  r.outcome = "answered";
  r.integrated_number = std::move(person);
  return r;
}

class ProvisionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("provision_log_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "log.db").string();
    key_ = LogKey();
    pub_ = PublicOf(*key_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProvisionLog OpenLog(int64_t seal_every = 5) {
    ProvisionLogOptions options;
    options.seal_every = seal_every;
    auto log = ProvisionLog::Open(path_, key_, options);
    EXPECT_TRUE(log.ok()) << (log.ok() ? "" : log.error().Describe());
    return std::move(log).value();
  }

  // A log of `n` records (record k at day k), sealed in full batches of 5.
  ProvisionLog Filled(int n) {
    ProvisionLog log = OpenLog();
    for (int k = 1; k <= n; ++k) {
      auto r = Sample(k);
      EXPECT_TRUE(log.Append(r).ok());
    }
    EXPECT_TRUE(log.SealPending().ok());
    return log;
  }

  // Raw SQL against the file, as an attacker would: the triggers are dropped first.
  void Tamper(const std::string& sql) {
    auto db = netsim::sql::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TRIGGER IF EXISTS provision_records_no_update;"
                         "DROP TRIGGER IF EXISTS provision_records_no_delete;"
                         "DROP TRIGGER IF EXISTS provision_seals_no_update;"
                         "DROP TRIGGER IF EXISTS provision_seals_no_delete;"
                         "DROP TRIGGER IF EXISTS purge_anchor_forward;"
                         "DROP TRIGGER IF EXISTS purge_anchor_no_delete;")
                    .ok());
    auto status = db->Exec(sql);
    ASSERT_TRUE(status.ok()) << status.error().Describe();
  }

  LogCheck Verify() {
    auto check = VerifyLog(path_, *pub_);
    EXPECT_TRUE(check.ok()) << (check.ok() ? "" : check.error().Describe());
    return *check;
  }

  fs::path dir_;
  std::string path_;
  std::shared_ptr<const crypto::PrivateKey> key_;
  std::shared_ptr<const crypto::PublicKey> pub_;
};

TEST_F(ProvisionLogTest, AppendAssignsSeqAndReadsBackEveryField) {
  ProvisionLog log = OpenLog();
  auto a = Sample(1);
  a.event = ProvisionEvent::kStaffApprovedPartial;
  a.staff_id = "staff-042";
  a.non_disclosure = true;
  a.self_info_blocked = true;
  auto b = Sample(2);
  b.side = ProvisionSide::kRequester;
  b.event = ProvisionEvent::kPermitDenied;
  b.provided_at.reset();
  b.tm_items.clear();
  ASSERT_TRUE(log.Append(a).ok());
  ASSERT_TRUE(log.Append(b).ok());
  EXPECT_EQ(a.seq, 1);
  EXPECT_EQ(b.seq, 2);
  auto read = log.Read(1, 2);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0], a);
  EXPECT_EQ((*read)[1], b);
}

TEST_F(ProvisionLogTest, EventAndSideNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(ProvisionEvent::kExpired); ++i) {
    const auto e = static_cast<ProvisionEvent>(i);
    auto parsed = ParseProvisionEvent(ProvisionEventName(e));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, e);
  }
  EXPECT_EQ(ProvisionEventName(ProvisionEvent::kSuppressed), "suppressed");
  EXPECT_EQ(ProvisionSideName(ProvisionSide::kRequester), "requester");
  EXPECT_FALSE(ParseProvisionEvent("deleted").ok());
}

TEST_F(ProvisionLogTest, RefusesTwelveDigitRunInAnyField) {
  ProvisionLog log = OpenLog();
  const std::string my_number = "123456789018";
  std::vector<ProvisionLogRecord> cases(5, Sample(1));
  cases[0].processing_number = "PN" + my_number;
  cases[1].outcome = "person " + my_number + " answered";
  cases[2].staff_id = my_number;
  cases[3].tm_items.push_back(my_number);
  // Full-width digits (U+FF11 ...) are the same number to a person.
  cases[4].integrated_number = "１２３４５６７８９０１８";
  for (auto& r : cases) {
    auto status = log.Append(r);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.error().code, make_error_code(Errc::kInvalidInput));
    EXPECT_EQ(status.error().message.find(my_number), std::string::npos);
  }
  EXPECT_EQ(log.head_seq(), 0);
}

TEST_F(ProvisionLogTest, AcceptsElevenAndThirteenDigitRuns) {
  ProvisionLog log = OpenLog();
  auto r = Sample(1);
  r.processing_number = "12345678901";
  r.outcome = "1234567890123";
  EXPECT_TRUE(log.Append(r).ok());
}

TEST_F(ProvisionLogTest, RefusesTmItemThatWouldNotReadBack) {
  ProvisionLog log = OpenLog();
  auto r = Sample(1);
  r.tm_items = {"TM1,TM2"};
  EXPECT_FALSE(log.Append(r).ok());
  r.tm_items = {""};
  EXPECT_FALSE(log.Append(r).ok());
}

TEST_F(ProvisionLogTest, RefusesKeyThatIsNotEd25519) {
  const std::vector<uint8_t> seed(32, 1);
  auto p256 = crypto::PrivateKey::FromSeed(crypto::KeyType::kEcdsaP256, seed);
  ASSERT_TRUE(p256.ok());
  auto log = ProvisionLog::Open(path_, *p256);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error().code, make_error_code(Errc::kInvalidInput));
}

TEST_F(ProvisionLogTest, TriggersRefuseUpdateAndDelete) {
  ProvisionLog log = Filled(3);
  auto db = netsim::sql::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE(db->Exec("UPDATE provision_records SET outcome = 'x' WHERE seq = 1").ok());
  EXPECT_FALSE(db->Exec("DELETE FROM provision_records WHERE seq = 1").ok());
}

TEST_F(ProvisionLogTest, AppendsSucceedWhileSealsPendingAndChainStillVerifies) {
  ProvisionLog log = OpenLog(5);
  for (int k = 1; k <= 12; ++k) {
    auto r = Sample(k);
    ASSERT_TRUE(log.Append(r).ok());
  }
  // Nothing sealed yet: Append never signs.
  EXPECT_EQ(log.PendingCount(), 12);
  EXPECT_EQ(log.sealed_through(), 0);
  LogCheck unsealed = Verify();
  EXPECT_TRUE(unsealed.intact) << unsealed.reason;
  EXPECT_EQ(unsealed.records, 12);
  EXPECT_EQ(unsealed.seals, 0);

  // Unsealed records are still covered by the chain.
  Tamper("UPDATE provision_records SET outcome = 'refused' WHERE seq = 11");
  LogCheck tampered = Verify();
  EXPECT_FALSE(tampered.intact);
  EXPECT_EQ(tampered.first_bad_seq, 11);
}

TEST_F(ProvisionLogTest, SealPendingSealsFullBatchesThenOnDemandTheRest) {
  ProvisionLog log = OpenLog(5);
  for (int k = 1; k <= 12; ++k) {
    auto r = Sample(k);
    ASSERT_TRUE(log.Append(r).ok());
  }
  auto full = log.SealPending(SealMode::kFullBatches);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, 2);
  EXPECT_EQ(log.PendingCount(), 2);
  EXPECT_EQ(log.sealed_through(), 10);
  auto rest = log.SealPending(SealMode::kAll);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, 1);
  EXPECT_EQ(log.PendingCount(), 0);
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.records, 12);
  EXPECT_EQ(check.seals, 3);
  EXPECT_EQ(check.sealed_through, 12);
}

TEST_F(ProvisionLogTest, MerkleRootPromotesOddNodeInsteadOfDuplicating) {
  const crypto::Digest a = crypto::Sha256(crypto::AsBytes("a"));
  const crypto::Digest b = crypto::Sha256(crypto::AsBytes("b"));
  const crypto::Digest c = crypto::Sha256(crypto::AsBytes("c"));
  auto leaf = [](const crypto::Digest& d) {
    crypto::Bytes buf{0x00};
    buf.insert(buf.end(), d.begin(), d.end());
    return crypto::Sha256(buf);
  };
  auto node = [](const crypto::Digest& l, const crypto::Digest& r) {
    crypto::Bytes buf{0x01};
    buf.insert(buf.end(), l.begin(), l.end());
    buf.insert(buf.end(), r.begin(), r.end());
    return crypto::Sha256(buf);
  };
  EXPECT_EQ(ProvisionMerkleRoot({a}), leaf(a));
  EXPECT_EQ(ProvisionMerkleRoot({a, b, c}), node(node(leaf(a), leaf(b)), leaf(c)));
  EXPECT_NE(ProvisionMerkleRoot({a, b, c}), ProvisionMerkleRoot({a, b, c, c}));
}

TEST_F(ProvisionLogTest, VerifyLogPassesOnIntactFile) {
  ProvisionLog log = Filled(23);
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.records, 23);
  EXPECT_EQ(check.seals, 4);
  EXPECT_EQ(check.sealed_through, 20);
  auto own = log.Check();
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->intact) << own->reason;
}

TEST_F(ProvisionLogTest, NamesEditedRecord) {
  ProvisionLog log = Filled(23);
  Tamper("UPDATE provision_records SET outcome = 'refused' WHERE seq = 7");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 7);
  EXPECT_NE(check.reason.find("provision record 7"), std::string::npos);
}

TEST_F(ProvisionLogTest, NamesDeletedRecord) {
  ProvisionLog log = Filled(23);
  Tamper("DELETE FROM provision_records WHERE seq = 7");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 7);
}

TEST_F(ProvisionLogTest, NamesInsertedRecord) {
  ProvisionLog log = Filled(23);
  // Shift 7.. up by one and put a copy of record 3 (hash and all) into the gap.
  Tamper(
      "UPDATE provision_records SET seq = -seq WHERE seq >= 7;"
      "UPDATE provision_records SET seq = 1 - seq WHERE seq < 0;"
      "INSERT INTO provision_records SELECT 7, at, side, event, processing_number, requester, "
      "provider, jm, jt, tm, requested_at, provided_at, outcome, non_disclosure, "
      "self_info_blocked, staff_id, integrated_number, hash FROM provision_records WHERE seq = 3");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 7);
}

TEST_F(ProvisionLogTest, NamesReorderedRecords) {
  ProvisionLog log = Filled(23);
  Tamper(
      "UPDATE provision_records SET seq = -1 WHERE seq = 8;"
      "UPDATE provision_records SET seq = 8 WHERE seq = 7;"
      "UPDATE provision_records SET seq = 7 WHERE seq = -1;");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 7);
}

TEST_F(ProvisionLogTest, NamesRecordAppendedBehindTheLogsBack) {
  ProvisionLog log = Filled(23);
  Tamper(
      "INSERT INTO provision_records SELECT 24, at, side, event, processing_number, requester, "
      "provider, jm, jt, tm, requested_at, provided_at, outcome, non_disclosure, "
      "self_info_blocked, staff_id, integrated_number, hash FROM provision_records WHERE seq = 23");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 24);
}

TEST_F(ProvisionLogTest, SealNamesBatchWhoseChainWasRecomputed) {
  ProvisionLog log = Filled(20);
  // Edit record 7 and recompute every later hash: the chain alone then fits again.
  auto records = log.Read(1, 20);
  ASSERT_TRUE(records.ok());
  (*records)[6].outcome = "refused";
  std::string sql = "UPDATE provision_records SET outcome = 'refused' WHERE seq = 7;";
  crypto::Digest prev{};
  for (const auto& r : *records) {
    crypto::Bytes buf(prev.begin(), prev.end());
    const crypto::Bytes body = CanonicalProvisionRecordBytes(r);
    buf.insert(buf.end(), body.begin(), body.end());
    prev = crypto::Sha256(buf);
    sql += "UPDATE provision_records SET hash = x'" + crypto::ToHex(prev) +
           "' WHERE seq = " + std::to_string(r.seq) + ";";
  }
  Tamper(sql);
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seal, 2);
  EXPECT_NE(check.reason.find("records 6-10"), std::string::npos) << check.reason;
}

TEST_F(ProvisionLogTest, NamesSealWithTamperedSignature) {
  ProvisionLog log = Filled(20);
  Tamper("UPDATE provision_seals SET signature = zeroblob(64) WHERE seal_no = 3");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seal, 3);
}

TEST_F(ProvisionLogTest, NamesSealWithTamperedRoot) {
  ProvisionLog log = Filled(20);
  Tamper("UPDATE provision_seals SET root = zeroblob(32) WHERE seal_no = 2");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seal, 2);
}

TEST_F(ProvisionLogTest, NamesDeletedSeal) {
  ProvisionLog log = Filled(20);
  Tamper("DELETE FROM provision_seals WHERE seal_no = 2");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seal, 2);
}

TEST_F(ProvisionLogTest, RejectsSealsUnderAnotherKey) {
  ProvisionLog log = Filled(10);
  auto other = PublicOf(*LogKey(9));
  auto check = VerifyLog(path_, *other);
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->intact);
  EXPECT_EQ(check->first_bad_seal, 1);
}

TEST_F(ProvisionLogTest, DetectsDeletedTailBeforeTheLastSeal) {
  ProvisionLog log = Filled(23);  // seal 4 covers 16-20
  Tamper("DELETE FROM provision_records WHERE seq >= 18");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 18);
  EXPECT_EQ(check.first_bad_seal, 4);
}

// Documented limit: a tail after the last seal cut off leaves a file that verifies on its own;
// the open log's in-memory head catches it.
TEST_F(ProvisionLogTest, TailAfterLastSealIsCaughtOnlyByTheOpenLogsHead) {
  ProvisionLog log = Filled(23);  // 21-23 unsealed
  Tamper("DELETE FROM provision_records WHERE seq >= 21");
  LogCheck file_only = Verify();
  EXPECT_TRUE(file_only.intact);
  EXPECT_EQ(file_only.records, 20);
  auto own = log.Check();
  ASSERT_TRUE(own.ok());
  EXPECT_FALSE(own->intact);
  EXPECT_EQ(own->first_bad_seq, 21);
}

TEST_F(ProvisionLogTest, ReopenContinuesChainAndSeals) {
  {
    ProvisionLog log = Filled(7);
    EXPECT_EQ(log.PendingCount(), 2);
  }
  ProvisionLog log = OpenLog();
  EXPECT_EQ(log.head_seq(), 7);
  EXPECT_EQ(log.PendingCount(), 2);
  for (int k = 8; k <= 11; ++k) {
    auto r = Sample(k);
    ASSERT_TRUE(log.Append(r).ok());
    EXPECT_EQ(r.seq, k);
  }
  auto sealed = log.SealPending(SealMode::kAll);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*sealed, 2);  // 6-10 and 11
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.seals, 3);
  EXPECT_EQ(check.sealed_through, 11);
}

TEST_F(ProvisionLogTest, PurgeRemovesWholeSealedBatchesAndStaysVerifiable) {
  ProvisionLog log = Filled(23);
  // Batches 1 (days 1-5) and 2 (6-10) are older than day 11; batch 3 holds day 11.
  auto removed = log.Purge(SimTime::FromMicros(0) + Duration::Days(11));
  ASSERT_TRUE(removed.ok()) << removed.error().Describe();
  EXPECT_EQ(*removed, 10);
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.anchor_seq, 10);
  EXPECT_EQ(check.records, 13);
  EXPECT_EQ(check.seals, 2);
  auto rest = log.Read(1, 100);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 13u);
  EXPECT_EQ(rest->front().seq, 11);
  auto again = log.Purge(SimTime::FromMicros(0) + Duration::Days(11));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto own = log.Check();
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->intact) << own->reason;
}

TEST_F(ProvisionLogTest, PurgeNeverTakesUnsealedRecords) {
  ProvisionLog log = Filled(23);
  auto removed = log.Purge(SimTime::FromMicros(0) + Duration::Days(1000));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 20);
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.records, 3);
  EXPECT_EQ(check.anchor_seq, 20);
}

TEST_F(ProvisionLogTest, TamperAfterPurgeIsStillNamed) {
  ProvisionLog log = Filled(23);
  ASSERT_TRUE(log.Purge(SimTime::FromMicros(0) + Duration::Days(11)).ok());
  Tamper("UPDATE provision_records SET staff_id = 'x' WHERE seq = 12");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seq, 12);
}

TEST_F(ProvisionLogTest, TamperedPurgeAnchorIsNamed) {
  ProvisionLog log = Filled(23);
  ASSERT_TRUE(log.Purge(SimTime::FromMicros(0) + Duration::Days(11)).ok());
  // Moving the anchor forward over records that were not purged needs a signature it lacks.
  Tamper("UPDATE purge_anchor SET last_seq = 12");
  LogCheck check = Verify();
  EXPECT_FALSE(check.intact);
  EXPECT_EQ(check.first_bad_seal, -1);
}

TEST_F(ProvisionLogTest, ReopenAfterPurgeAppendsAndSeals) {
  {
    ProvisionLog log = Filled(12);
    ASSERT_TRUE(log.Purge(SimTime::FromMicros(0) + Duration::Days(100)).ok());
  }
  ProvisionLog log = OpenLog();
  EXPECT_EQ(log.head_seq(), 12);
  EXPECT_EQ(log.PendingCount(), 2);
  for (int k = 13; k <= 15; ++k) {
    auto r = Sample(k);
    ASSERT_TRUE(log.Append(r).ok());
  }
  ASSERT_TRUE(log.SealPending().ok());
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.anchor_seq, 10);
  EXPECT_EQ(check.records, 5);
  EXPECT_EQ(check.seals, 1);
}

TEST_F(ProvisionLogTest, SecondPurgeMovesTheAnchorForward) {
  ProvisionLog log = Filled(23);
  auto first = log.Purge(SimTime::FromMicros(0) + Duration::Days(6));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 5);
  auto second = log.Purge(SimTime::FromMicros(0) + Duration::Days(16));
  ASSERT_TRUE(second.ok()) << second.error().Describe();
  EXPECT_EQ(*second, 10);
  LogCheck check = Verify();
  EXPECT_TRUE(check.intact) << check.reason;
  EXPECT_EQ(check.anchor_seq, 15);
  EXPECT_EQ(check.records, 8);
  EXPECT_EQ(check.seals, 1);
}

// Ed25519 is deterministic and nothing else in a seal depends on the run: the same records give
// byte-identical files' seals, so two runs of a scenario can be compared seal by seal.
TEST_F(ProvisionLogTest, SameRecordsGiveIdenticalSeals) {
  auto seal_bytes = [this](const std::string& path) {
    {
      ProvisionLogOptions options;
      options.seal_every = 4;
      auto log = ProvisionLog::Open(path, key_, options);
      EXPECT_TRUE(log.ok());
      for (int k = 1; k <= 9; ++k) {
        auto r = Sample(k);
        EXPECT_TRUE(log->Append(r).ok());
      }
      EXPECT_TRUE(log->SealPending(SealMode::kAll).ok());
    }
    auto db = netsim::sql::Database::Open(path);
    EXPECT_TRUE(db.ok());
    auto st = db->Prepare("SELECT root, signature FROM provision_seals ORDER BY seal_no");
    EXPECT_TRUE(st.ok());
    std::string out;
    while (st->Step().value()) {
      out += crypto::ToHex(st->ColumnBlob(0)) + crypto::ToHex(st->ColumnBlob(1)) + ";";
    }
    return out;
  };
  const std::string a = seal_bytes((dir_ / "a.db").string());
  const std::string b = seal_bytes((dir_ / "b.db").string());
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST_F(ProvisionLogTest, ForPersonIncludesNonDisclosureRecords) {
  ProvisionLog log = OpenLog();
  auto a = Sample(1, "100000000000019");
  auto b = Sample(2, "100000000000027");
  auto c = Sample(3, "100000000000019");
  c.non_disclosure = true;
  ASSERT_TRUE(log.Append(a).ok());
  ASSERT_TRUE(log.Append(b).ok());
  ASSERT_TRUE(log.Append(c).ok());
  auto mine = log.ForPerson("100000000000019");
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].seq, 1);
  EXPECT_EQ((*mine)[1].seq, 3);
  EXPECT_TRUE((*mine)[1].non_disclosure);
}

TEST_F(ProvisionLogTest, VerifyLogRefusesFileThatIsNotAProvisionLog) {
  {
    auto db = netsim::sql::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE other(x INTEGER)").ok());
  }
  auto check = VerifyLog(path_, *pub_);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, make_error_code(Errc::kInvalidInput));
}

TEST_F(ProvisionLogTest, VerifyLogRefusesMissingFile) {
  auto check = VerifyLog((dir_ / "missing.db").string(), *pub_);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, make_error_code(Errc::kStorage));
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));
}

}  // namespace
}  // namespace renkei::middleware
