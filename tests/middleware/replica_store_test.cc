#include "middleware/replica_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "middleware/errors.h"
#include "netsim/identifiers.h"
#include "netsim/sqlite.h"

namespace renkei::middleware {
namespace {

std::string Lg(const std::string& first5) {
  return first5 + std::to_string(netsim::LgCodeCheckDigit(first5).value());
}

std::vector<uint8_t> Key(uint8_t fill) { return std::vector<uint8_t>(32, fill); }

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class ReplicaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    path_ = ::testing::TempDir() + "replica_store_" + std::to_string(getpid()) + "_" +
            std::to_string(++counter) + ".db";
    options_.lgcode = Lg("14100");  // 横浜市
    options_.master_key = Key(0x11);
    options_.key_seed = Key(0x22);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  void Reopen() {
    store_.reset();
    auto s = ReplicaStore::Open(path_, options_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  static ReplicaRecord Record(const std::string& id, int64_t version = 1) {
    ReplicaRecord r;
    r.record_id = id;
    r.integrated_number = netsim::MakeIntegratedNumber(12345678901234);
    r.tm = "TM00000000000123";
    r.dataset_item_code = "DS001";
    r.record_key = "key-1";
    r.data_version = version;
    r.publish_from = "2024-04-01";
    r.publish_to = "2025-03-31";
    r.ward_code = Lg("14101");  // 鶴見区
    r.payload = R"({"income":3200000,"note":"課税"})";
    return r;
  }
  void ExpectInvalid(const ReplicaRecord& r, const std::string& field) {
    Status s = store_->Register(r);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, make_error_code(Errc::kInvalidInput));
    EXPECT_TRUE(s.error().message.starts_with(field + ":")) << s.error().message;
    EXPECT_EQ(store_->Count().value(), 0);
  }
  std::vector<ReplicaRecord> LookupOk(const std::string& date) {
    auto r = store_->Lookup(Record("x").integrated_number, "TM00000000000123", date);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<ReplicaRecord>{};
  }
  std::string ReadFile() {
    std::ifstream f(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }

  std::string path_;
  ReplicaStoreOptions options_;
  std::unique_ptr<ReplicaStore> store_;
};

constexpr char kHeader[] =
    "record_id,integrated_number,tm,dataset_item_code,record_key,data_version,publish_from,"
    "publish_to,ward_code,payload\n";

std::string CsvRow(const ReplicaRecord& r) {
  std::string payload = "\"";
  for (char c : r.payload) payload += c == '"' ? std::string("\"\"") : std::string(1, c);
  payload += "\"";
  return r.record_id + "," + r.integrated_number + "," + r.tm + "," + r.dataset_item_code + "," +
         r.record_key + "," + std::to_string(r.data_version) + "," + r.publish_from + "," +
         r.publish_to + "," + r.ward_code + "," + payload + "\n";
}

TEST_F(ReplicaStoreTest, RegistersAndLooksUpRecord) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], Record("R-001"));
}

TEST_F(ReplicaStoreTest, RefusesDuplicateRecordId) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  ReplicaRecord other = Record("R-001", 2);
  other.payload = "different";
  Status s = store_->Register(other);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kDuplicate));
  EXPECT_TRUE(s.error().message.starts_with("「レコード識別番号」が既に存在しています。"))
      << s.error().message;
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].data_version, 1);
}

TEST_F(ReplicaStoreTest, RefusesEmptyRecordId) { ExpectInvalid(Record(""), "record_id"); }

TEST_F(ReplicaStoreTest, RefusesRecordIdWithBadCharacter) {
  ExpectInvalid(Record("R 001"), "record_id");
}

TEST_F(ReplicaStoreTest, RefusesRecordIdLongerThan64) {
  ExpectInvalid(Record(std::string(65, 'a')), "record_id");
}

TEST_F(ReplicaStoreTest, RefusesMyNumberAsIntegratedNumber) {
  ReplicaRecord r = Record("R-001");
  r.integrated_number = "123456789018";  // 12 digits: a 個人番号 shape, never stored here
  ExpectInvalid(r, "integrated_number");
  Status s = store_->Register(r);
  EXPECT_FALSE(Contains(s.error().message, "123456789018"));
}

TEST_F(ReplicaStoreTest, RefusesNonDataItemCode) {
  ReplicaRecord r = Record("R-001");
  r.tm = "JM00000000000123";
  ExpectInvalid(r, "tm");
}

TEST_F(ReplicaStoreTest, RefusesEmptyDatasetItemCode) {
  ReplicaRecord r = Record("R-001");
  r.dataset_item_code = "";
  ExpectInvalid(r, "dataset_item_code");
}

TEST_F(ReplicaStoreTest, RefusesRecordKeyWithControlCharacter) {
  ReplicaRecord r = Record("R-001");
  r.record_key = "a\nb";
  ExpectInvalid(r, "record_key");
}

TEST_F(ReplicaStoreTest, RefusesNegativeDataVersion) {
  ExpectInvalid(Record("R-001", -1), "data_version");
}

TEST_F(ReplicaStoreTest, RefusesMalformedPublishFrom) {
  ReplicaRecord r = Record("R-001");
  r.publish_from = "2024/04/01";
  ExpectInvalid(r, "publish_from");
}

TEST_F(ReplicaStoreTest, RefusesImpossibleDate) {
  ReplicaRecord r = Record("R-001");
  r.publish_to = "2025-02-29";
  ExpectInvalid(r, "publish_to");
}

TEST_F(ReplicaStoreTest, RefusesInvertedDates) {
  ReplicaRecord r = Record("R-001");
  r.publish_from = "2025-04-01";
  r.publish_to = "2025-03-31";
  ExpectInvalid(r, "publish_to");
}

TEST_F(ReplicaStoreTest, RefusesWardCodeWithBadCheckDigit) {
  ReplicaRecord r = Record("R-001");
  r.ward_code[5] = r.ward_code[5] == '0' ? '1' : '0';
  ExpectInvalid(r, "ward_code");
}

TEST_F(ReplicaStoreTest, RefusesWardCodeOfAnotherPrefecture) {
  ReplicaRecord r = Record("R-001");
  r.ward_code = Lg("13101");  // 千代田区, 東京都
  ExpectInvalid(r, "ward_code");
}

TEST_F(ReplicaStoreTest, RefusesEmptyPayload) {
  ReplicaRecord r = Record("R-001");
  r.payload = "";
  ExpectInvalid(r, "payload");
}

TEST_F(ReplicaStoreTest, RefusesPayloadThatIsNotUtf8) {
  ReplicaRecord r = Record("R-001");
  r.payload = "\xff\xfe";
  ExpectInvalid(r, "payload");
}

TEST_F(ReplicaStoreTest, LookupHonoursInclusivePublicationWindow) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  EXPECT_TRUE(LookupOk("2024-03-31").empty());
  EXPECT_EQ(LookupOk("2024-04-01").size(), 1u);
  EXPECT_EQ(LookupOk("2025-03-31").size(), 1u);
  EXPECT_TRUE(LookupOk("2025-04-01").empty());
}

TEST_F(ReplicaStoreTest, EmptyPublishToIsOpenEnded) {
  ReplicaRecord r = Record("R-001");
  r.publish_to = "";
  ASSERT_TRUE(store_->Register(r).ok());
  EXPECT_TRUE(LookupOk("2024-03-31").empty());
  EXPECT_EQ(LookupOk("9999-12-31").size(), 1u);
}

TEST_F(ReplicaStoreTest, LookupReturnsLatestVersionFirst) {
  ASSERT_TRUE(store_->Register(Record("R-a", 1)).ok());
  ASSERT_TRUE(store_->Register(Record("R-b", 3)).ok());
  ASSERT_TRUE(store_->Register(Record("R-c", 2)).ok());
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].record_id, "R-b");
  EXPECT_EQ(found[1].record_id, "R-c");
  EXPECT_EQ(found[2].record_id, "R-a");
}

TEST_F(ReplicaStoreTest, LookupRefusesMalformedDate) {
  auto r = store_->Lookup(Record("x").integrated_number, "TM00000000000123", "20240401");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().message.starts_with("date:"));
}

TEST_F(ReplicaStoreTest, RemoveDeletesAndReportsMissing) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  ASSERT_TRUE(store_->Remove("R-001").ok());
  EXPECT_TRUE(LookupOk("2024-06-01").empty());
  Status s = store_->Remove("R-001");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kNotFound));
}

TEST_F(ReplicaStoreTest, PersistsAcrossReopen) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  Reopen();
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], Record("R-001"));
  // The nonce counter survived too: a new record after reopen still seals and opens.
  ASSERT_TRUE(store_->Register(Record("R-002")).ok());
  EXPECT_EQ(LookupOk("2024-06-01").size(), 2u);
}

TEST_F(ReplicaStoreTest, PayloadNeverAppearsInClearInFile) {
  ReplicaRecord r = Record("R-001");
  r.payload = "SECRET-PAYLOAD-MARKER-7f3a";
  ASSERT_TRUE(store_->Register(r).ok());
  ASSERT_TRUE(store_->RotateDataKey().ok());
  r.record_id = "R-002";
  ASSERT_TRUE(store_->Register(r).ok());
  store_.reset();  // close: checkpoints the WAL into the main file
  std::string bytes = ReadFile();
  ASSERT_FALSE(bytes.empty());
  EXPECT_FALSE(Contains(bytes, "SECRET-PAYLOAD-MARKER"));
  EXPECT_TRUE(Contains(bytes, "R-001"));  // the scan sees the file's contents
  for (const char* suffix : {"-wal", "-shm"}) {
    std::ifstream f(path_ + suffix, std::ios::binary);
    std::string side((std::istreambuf_iterator<char>(f)), {});
    EXPECT_FALSE(Contains(side, "SECRET-PAYLOAD-MARKER"));
  }
}

TEST_F(ReplicaStoreTest, RotationKeepsOldRecordsReadable) {
  EXPECT_EQ(store_->current_key_id(), 1u);
  ASSERT_TRUE(store_->Register(Record("R-old")).ok());
  auto id = store_->RotateDataKey();
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(*id, 2u);
  ASSERT_TRUE(store_->Register(Record("R-new", 2)).ok());
  Reopen();
  EXPECT_EQ(store_->current_key_id(), 2u);
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].record_id, "R-new");
  EXPECT_EQ(found[1].payload, Record("R-old").payload);
  auto keys = netsim::sql::Database::Open(path_);
  ASSERT_TRUE(keys.ok());
  auto st = keys->Prepare("SELECT key_id FROM replicas ORDER BY record_id");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->ColumnInt(0), 2);  // R-new
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->ColumnInt(0), 1);  // R-old
}

TEST_F(ReplicaStoreTest, RefusesWrongMasterKeyAtOpen) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  store_.reset();
  ReplicaStoreOptions wrong = options_;
  wrong.master_key = Key(0x33);
  auto s = ReplicaStore::Open(path_, wrong);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kCrypto));
  EXPECT_TRUE(s.error().message.starts_with("master_key:")) << s.error().message;
}

TEST_F(ReplicaStoreTest, RefusesShortMasterKey) {
  ReplicaStoreOptions bad = options_;
  bad.master_key.resize(16);
  auto s = ReplicaStore::Open(path_, bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kInvalidInput));
}

TEST_F(ReplicaStoreTest, RefusesReopenAsAnotherBody) {
  store_.reset();
  ReplicaStoreOptions other = options_;
  other.lgcode = Lg("13101");
  auto s = ReplicaStore::Open(path_, other);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().message.starts_with("lgcode:"));
}

TEST_F(ReplicaStoreTest, RewrapMovesStoreToNewMasterKey) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  ASSERT_TRUE(store_->RotateDataKey().ok());
  ASSERT_TRUE(store_->Rewrap(Key(0x44)).ok());
  store_.reset();
  EXPECT_FALSE(ReplicaStore::Open(path_, options_).ok());
  options_.master_key = Key(0x44);
  Reopen();
  EXPECT_EQ(LookupOk("2024-06-01").size(), 1u);
}

TEST_F(ReplicaStoreTest, DetectsPayloadsSwappedBetweenRows) {
  ASSERT_TRUE(store_->Register(Record("R-a")).ok());
  ReplicaRecord b = Record("R-b", 2);
  b.payload = "other";
  ASSERT_TRUE(store_->Register(b).ok());
  store_.reset();
  {
    auto db = netsim::sql::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TEMP TABLE t AS SELECT record_id, nonce, payload FROM replicas;"
                         "UPDATE replicas SET (nonce, payload) = (SELECT nonce, payload FROM t "
                         "WHERE t.record_id = CASE replicas.record_id WHEN 'R-a' THEN 'R-b' "
                         "ELSE 'R-a' END);")
                    .ok());
  }
  Reopen();
  auto r = store_->Lookup(b.integrated_number, b.tm, "2024-06-01");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kCrypto));
  EXPECT_TRUE(Contains(r.error().message, "R-b")) << r.error().message;
  EXPECT_TRUE(Contains(r.error().message, "tampered")) << r.error().message;
}

TEST_F(ReplicaStoreTest, SameSeedWritesSameCiphertext) {
  ASSERT_TRUE(store_->Register(Record("R-001")).ok());
  store_.reset();
  auto read_blob = [](const std::string& p) {
    auto db = netsim::sql::Database::Open(p);
    auto st = db->Prepare("SELECT nonce || payload FROM replicas");
    EXPECT_TRUE(st->Step().value());
    return st->ColumnBlob(0);
  };
  const auto first = read_blob(path_);
  const std::string other = path_ + ".second";
  {
    auto s = ReplicaStore::Open(other, options_);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Register(Record("R-001")).ok());
  }
  EXPECT_EQ(read_blob(other), first);
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((other + suffix).c_str());
}

TEST_F(ReplicaStoreTest, ImportsGoodRowsAndRejectsBadOnesWithLineNumbers) {
  ReplicaRecord quoted = Record("R-3");
  quoted.payload = "line one,\n\"two\"";
  ReplicaRecord inverted = Record("R-5");
  inverted.publish_from = "2026-01-01";
  ReplicaRecord bad_tm = Record("R-6");
  bad_tm.tm = "TM123";
  std::string csv = std::string(kHeader) + CsvRow(Record("R-1")) +  // line 2
                    "R-2,too,few\n" +                               // line 3
                    CsvRow(quoted) +                                // lines 4-5
                    CsvRow(Record("R-1", 9)) +                      // line 6: duplicate in file
                    CsvRow(inverted) +                              // line 7
                    CsvRow(bad_tm) +                                // line 8
                    "R-7,a\"b,c,d,e,f,g,h,i,j\n" +                  // line 9
                    "\r\n" +                                        // line 10: empty
                    CsvRow(Record("R-8"));                          // line 11
  std::istringstream in(csv);
  auto summary = store_->ImportCsv(in, "test.csv", 2);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->accepted, 3u);
  EXPECT_EQ(summary->rejected, 5u);
  ASSERT_EQ(summary->rejections.size(), 5u);
  EXPECT_EQ(summary->rejections[0].line, 3u);
  EXPECT_TRUE(Contains(summary->rejections[0].reason, "expected 10 columns, got 3"));
  EXPECT_EQ(summary->rejections[1].line, 6u);
  EXPECT_TRUE(
      summary->rejections[1].reason.starts_with("「レコード識別番号」が既に存在しています。"));
  EXPECT_EQ(summary->rejections[2].line, 7u);
  EXPECT_TRUE(summary->rejections[2].reason.starts_with("publish_to:"));
  EXPECT_EQ(summary->rejections[3].line, 8u);
  EXPECT_TRUE(summary->rejections[3].reason.starts_with("tm:"));
  EXPECT_EQ(summary->rejections[4].line, 9u);
  EXPECT_TRUE(Contains(summary->rejections[4].reason, "quote inside an unquoted field"));
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[1], quoted);
}

TEST_F(ReplicaStoreTest, ImportRejectsDuplicateOfStoredRecord) {
  ASSERT_TRUE(store_->Register(Record("R-1")).ok());
  std::istringstream in(std::string(kHeader) + CsvRow(Record("R-1", 5)));
  auto summary = store_->ImportCsv(in, "dup.csv");
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->accepted, 0u);
  ASSERT_EQ(summary->rejections.size(), 1u);
  EXPECT_EQ(summary->rejections[0].line, 2u);
}

TEST_F(ReplicaStoreTest, ImportRejectsNonNumericDataVersion) {
  ReplicaRecord r = Record("R-1");
  std::string row = CsvRow(r);
  row.replace(row.find(",1,2024"), 3, ",1x,");
  std::istringstream in(std::string(kHeader) + row);
  auto summary = store_->ImportCsv(in, "v.csv");
  ASSERT_TRUE(summary.ok());
  ASSERT_EQ(summary->rejections.size(), 1u);
  EXPECT_TRUE(summary->rejections[0].reason.starts_with("data_version:"));
}

TEST_F(ReplicaStoreTest, ImportRejectsUnclosedQuote) {
  std::istringstream in(std::string(kHeader) + "R-1,\"unclosed\n");
  auto summary = store_->ImportCsv(in, "q.csv");
  ASSERT_TRUE(summary.ok());
  ASSERT_EQ(summary->rejections.size(), 1u);
  EXPECT_EQ(summary->rejections[0].line, 2u);
  EXPECT_TRUE(Contains(summary->rejections[0].reason, "not closed"));
}

TEST_F(ReplicaStoreTest, ImportRefusesWrongHeader) {
  std::istringstream in("record_id,tm\n");
  auto summary = store_->ImportCsv(in, "h.csv");
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_TRUE(summary.error().message.starts_with("h.csv: line 1: header"))
      << summary.error().message;
}

TEST_F(ReplicaStoreTest, ImportRefusesEmptyFile) {
  std::istringstream in("");
  EXPECT_FALSE(store_->ImportCsv(in, "e.csv").ok());
}

TEST_F(ReplicaStoreTest, ImportedRecordsSurviveReopen) {
  std::string csv = kHeader;
  for (int i = 0; i < 25; ++i) csv += CsvRow(Record("R-" + std::to_string(i), i));
  std::istringstream in(csv);
  auto summary = store_->ImportCsv(in, "many.csv", 10);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->accepted, 25u);
  Reopen();
  EXPECT_EQ(store_->Count().value(), 25);
  auto found = LookupOk("2024-06-01");
  ASSERT_EQ(found.size(), 25u);
  EXPECT_EQ(found[0].record_id, "R-24");
}

TEST_F(ReplicaStoreTest, NeverReusesNonceAcrossReopenAndRotation) {
  ASSERT_TRUE(store_->Register(Record("R-1")).ok());
  ASSERT_FALSE(store_->Register(Record("R-1")).ok());  // a refused row skips a counter value
  Reopen();
  ASSERT_TRUE(store_->Register(Record("R-2")).ok());
  ASSERT_TRUE(store_->RotateDataKey().ok());
  ASSERT_TRUE(store_->Register(Record("R-3")).ok());
  Reopen();
  ASSERT_TRUE(store_->Register(Record("R-4")).ok());
  store_.reset();
  auto db = netsim::sql::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  auto st =
      db->Prepare("SELECT COUNT(*), COUNT(DISTINCT key_id || ':' || hex(nonce)) FROM replicas");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->ColumnInt(0), 4);
  EXPECT_EQ(st->ColumnInt(1), 4);
}

TEST_F(ReplicaStoreTest, LookupIgnoresOtherPersonAndDataItem) {
  ASSERT_TRUE(store_->Register(Record("R-1")).ok());
  auto other_tm = store_->Lookup(Record("x").integrated_number, "TM00000000000999", "2024-06-01");
  ASSERT_TRUE(other_tm.ok());
  EXPECT_TRUE(other_tm->empty());
  auto other_person = store_->Lookup(netsim::MakeIntegratedNumber(12345678901235),
                                     "TM00000000000123", "2024-06-01");
  ASSERT_TRUE(other_person.ok());
  EXPECT_TRUE(other_person->empty());
}

TEST_F(ReplicaStoreTest, ImportAcceptsByteOrderMarkBeforeHeader) {
  std::istringstream in("\xEF\xBB\xBF" + std::string(kHeader) + CsvRow(Record("R-1")));
  auto summary = store_->ImportCsv(in, "bom.csv");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->accepted, 1u);
}

TEST_F(ReplicaStoreTest, ImportRefusesZeroBatchSize) {
  std::istringstream in(std::string(kHeader) + CsvRow(Record("R-1")));
  auto summary = store_->ImportCsv(in, "z.csv", 0);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(store_->Count().value(), 0);
}

// ---- LookupPerson: the citizen's own-data view ----

TEST_F(ReplicaStoreTest, LookupPersonReturnsEveryItemByItemThenLatestVersion) {
  auto rec = [](const std::string& id, const std::string& tm, int64_t version) {
    ReplicaRecord r = Record(id, version);
    r.tm = tm;
    r.payload = id + " payload";
    return r;
  };
  const std::vector<ReplicaRecord> records = {
      rec("R-123-v1", "TM00000000000123", 1), rec("R-045-v2", "TM00000000000045", 2),
      rec("R-123-v3", "TM00000000000123", 3), rec("R-200-v1", "TM00000000000200", 1),
      rec("R-045-v7", "TM00000000000045", 7), rec("R-123-v2", "TM00000000000123", 2)};
  // Registered in an order that is neither item nor version order.
  for (const auto& r : records) ASSERT_TRUE(store_->Register(r).ok()) << r.record_id;
  auto found = store_->LookupPerson(Record("x").integrated_number, "2024-06-01");
  ASSERT_TRUE(found.ok()) << found.error().message;
  std::vector<std::string> ids;
  for (const auto& r : *found) ids.push_back(r.record_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"R-045-v7", "R-045-v2", "R-123-v3", "R-123-v2",
                                           "R-123-v1", "R-200-v1"}));
  for (const auto& r : *found) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const ReplicaRecord& x) { return x.record_id == r.record_id; });
    ASSERT_NE(it, records.end());
    EXPECT_EQ(r, *it) << "every field, payload in clear, comes back for " << r.record_id;
  }
}

TEST_F(ReplicaStoreTest, LookupPersonOrdersEqualVersionsByRecordId) {
  ASSERT_TRUE(store_->Register(Record("R-b", 1)).ok());
  ASSERT_TRUE(store_->Register(Record("R-a", 1)).ok());
  auto found = store_->LookupPerson(Record("x").integrated_number, "2024-06-01");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].record_id, "R-a");
  EXPECT_EQ((*found)[1].record_id, "R-b");
}

TEST_F(ReplicaStoreTest, LookupPersonHonoursEachRecordsPublicationWindow) {
  ReplicaRecord early = Record("R-early");
  early.tm = "TM00000000000001";
  early.publish_from = "2023-04-01";
  early.publish_to = "2024-03-31";
  ReplicaRecord current = Record("R-current");  // 2024-04-01 .. 2025-03-31
  ReplicaRecord open = Record("R-open");
  open.tm = "TM00000000000300";
  open.publish_from = "2024-10-01";
  open.publish_to = "";
  for (const auto& r : {early, current, open}) ASSERT_TRUE(store_->Register(r).ok());
  auto ids_at = [&](const std::string& date) {
    auto found = store_->LookupPerson(early.integrated_number, date);
    EXPECT_TRUE(found.ok()) << found.error().message;
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const auto& r : *found) ids.push_back(r.record_id);
    }
    return ids;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids_at("2023-03-31"), Ids{});
  EXPECT_EQ(ids_at("2023-04-01"), Ids{"R-early"});
  EXPECT_EQ(ids_at("2024-03-31"), Ids{"R-early"});
  EXPECT_EQ(ids_at("2024-04-01"), Ids{"R-current"});
  EXPECT_EQ(ids_at("2024-09-30"), Ids{"R-current"});
  EXPECT_EQ(ids_at("2024-10-01"), (Ids{"R-current", "R-open"}));
  EXPECT_EQ(ids_at("2025-03-31"), (Ids{"R-current", "R-open"}));
  EXPECT_EQ(ids_at("2025-04-01"), Ids{"R-open"});
  EXPECT_EQ(ids_at("9999-12-31"), Ids{"R-open"});
}

TEST_F(ReplicaStoreTest, LookupPersonIgnoresOtherPersons) {
  ASSERT_TRUE(store_->Register(Record("R-mine")).ok());
  ReplicaRecord other = Record("R-other");
  other.integrated_number = netsim::MakeIntegratedNumber(12345678901235);
  ASSERT_TRUE(store_->Register(other).ok());
  auto mine = store_->LookupPerson(Record("x").integrated_number, "2024-06-01");
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].record_id, "R-mine");
  auto theirs = store_->LookupPerson(other.integrated_number, "2024-06-01");
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ((*theirs)[0].record_id, "R-other");
  EXPECT_EQ((*theirs)[0].integrated_number, other.integrated_number);
}

TEST_F(ReplicaStoreTest, LookupPersonOfPersonWithoutRecordsIsEmpty) {
  ASSERT_TRUE(store_->Register(Record("R-1")).ok());
  auto found = store_->LookupPerson(netsim::MakeIntegratedNumber(22222222222222), "2024-06-01");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(found->empty());
}

TEST_F(ReplicaStoreTest, LookupPersonRefusesMyNumberAsPerson) {
  auto found = store_->LookupPerson("123456789018", "2024-06-01");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_TRUE(found.error().message.starts_with("integrated_number:")) << found.error().message;
  EXPECT_FALSE(Contains(found.error().message, "123456789018")) << found.error().message;
}

TEST_F(ReplicaStoreTest, LookupPersonRefusesIntegratedNumberWithBadCheckDigit) {
  std::string person = Record("x").integrated_number;
  person.back() = person.back() == '9' ? '0' : static_cast<char>(person.back() + 1);
  auto found = store_->LookupPerson(person, "2024-06-01");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_TRUE(found.error().message.starts_with("integrated_number:")) << found.error().message;
}

TEST_F(ReplicaStoreTest, LookupPersonRefusesEmptyPerson) {
  auto found = store_->LookupPerson("", "2024-06-01");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_TRUE(found.error().message.starts_with("integrated_number:")) << found.error().message;
}

TEST_F(ReplicaStoreTest, LookupPersonRefusesMalformedDate) {
  for (const char* date : {"20240601", "2024-02-30", "2024-6-01", "", "2024-06-01T00:00"}) {
    auto found = store_->LookupPerson(Record("x").integrated_number, date);
    ASSERT_FALSE(found.ok()) << date;
    EXPECT_EQ(found.error().code, make_error_code(Errc::kInvalidInput)) << date;
    EXPECT_TRUE(found.error().message.starts_with("date:")) << found.error().message;
  }
}

TEST_F(ReplicaStoreTest, LookupPersonReportsPayloadMovedFromAnotherRow) {
  ASSERT_TRUE(store_->Register(Record("R-a")).ok());
  ReplicaRecord b = Record("R-b", 2);
  b.tm = "TM00000000000456";
  b.payload = "other";
  ASSERT_TRUE(store_->Register(b).ok());
  store_.reset();
  {
    auto db = netsim::sql::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE replicas SET (nonce, payload) = (SELECT nonce, payload FROM "
                         "replicas AS src WHERE src.record_id = 'R-a') WHERE record_id = 'R-b';")
                    .ok());
  }
  Reopen();
  auto found = store_->LookupPerson(b.integrated_number, "2024-06-01");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, make_error_code(Errc::kCrypto));
  EXPECT_TRUE(Contains(found.error().message, "R-b")) << found.error().message;
}

}  // namespace
}  // namespace renkei::middleware
