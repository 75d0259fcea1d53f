#include "netsim/sqlite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "netsim/errors.h"

namespace renkei::netsim::sql {
namespace {

std::string TempPath(const std::string& name) {
  const auto dir =
      std::filesystem::path(::testing::TempDir()) / ("renkei-sqlite-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return path.string();
}

Database OpenMemory() {
  auto db = Database::Open(":memory:");
  EXPECT_TRUE(db.ok());
  return std::move(db).value();
}

TEST(SqliteTest, OpensFilesInWalMode) {
  auto db = Database::Open(TempPath("wal.db"));
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto mode = db->JournalMode();
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(mode.value(), "wal");
  EXPECT_TRUE(db->IntegrityCheck().ok());
}

TEST(SqliteTest, ExclusiveWalKeepsItsIndexInMemoryAndLocksOutOthers) {
  const std::string path = TempPath("exclusive.db");
  OpenOptions options;
  options.exclusive = true;
  {
    auto db = Database::Open(path, options);
    ASSERT_TRUE(db.ok()) << db.error().message;
    EXPECT_EQ(db->JournalMode().value(), "wal");
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x); INSERT INTO t VALUES (1)").ok());
    EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
    EXPECT_FALSE(std::filesystem::exists(path + "-shm"));  // one descriptor fewer
    OpenOptions quick;
    quick.busy_timeout_ms = 0;
    auto other = Database::Open(path, quick);
    // The second connection may open, but cannot read while the first holds its lock.
    if (other.ok()) {
      EXPECT_FALSE(other->Exec("SELECT * FROM t").ok());
    }
  }
  // Closed: the data is all there for the next one.
  auto again = Database::Open(path);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto st = again->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->ColumnInt(0), 1);
}

TEST(SqliteTest, BindsAndReadsEveryType) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)").ok());
  auto ins = db.Prepare("INSERT INTO t VALUES(?, ?, ?, ?, ?)");
  ASSERT_TRUE(ins.ok());
  const std::vector<uint8_t> blob = {0, 1, 2, 255};
  ASSERT_TRUE(ins->Bind(1, int64_t{1} << 40).ok());
  ASSERT_TRUE(ins->Bind(2, 2.5).ok());
  ASSERT_TRUE(ins->Bind(3, std::string_view("統合宛名")).ok());
  ASSERT_TRUE(ins->BindBlob(4, blob).ok());
  ASSERT_TRUE(ins->BindNull(5).ok());
  ASSERT_TRUE(ins->Run().ok());

  auto sel = db.Prepare("SELECT i, r, s, b, n FROM t");
  ASSERT_TRUE(sel.ok());
  auto row = sel->Step();
  ASSERT_TRUE(row.ok() && row.value());
  EXPECT_EQ(sel->ColumnInt(0), int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(sel->ColumnDouble(1), 2.5);
  EXPECT_EQ(sel->ColumnText(2), "統合宛名");
  EXPECT_EQ(sel->ColumnBlob(3), blob);
  EXPECT_TRUE(sel->IsNull(4));
  EXPECT_FALSE(sel->ColumnOptionalText(4).has_value());
  auto done = sel->Step();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done.value());
}

TEST(SqliteTest, BindAllBindsInOrder) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(a INTEGER, b TEXT)").ok());
  auto ins = db.Prepare("INSERT INTO t VALUES(?, ?)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->BindAll(int64_t{7}, std::string_view("seven")).ok());
  ASSERT_TRUE(ins->Run().ok());
  auto sel = db.Prepare("SELECT b FROM t WHERE a = 7");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(sel->Step().value());
  EXPECT_EQ(sel->ColumnText(0), "seven");
}

TEST(SqliteTest, EmptyBlobIsNotNull) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(b BLOB)").ok());
  auto ins = db.Prepare("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins->BindBlob(1, {}).ok());
  ASSERT_TRUE(ins->Run().ok());
  auto sel = db.Prepare("SELECT b IS NULL, length(b) FROM t");
  ASSERT_TRUE(sel->Step().value());
  EXPECT_EQ(sel->ColumnInt(0), 0);
  EXPECT_EQ(sel->ColumnInt(1), 0);
}

TEST(SqliteTest, ReportsSyntaxErrorsWithTheStatement) {
  Database db = OpenMemory();
  auto st = db.Prepare("SELEC nonsense");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, make_error_code(Errc::kStorageError));
  EXPECT_NE(st.error().message.find("SELEC nonsense"), std::string::npos);
  EXPECT_NE(st.error().message.find("syntax error"), std::string::npos);
}

TEST(SqliteTest, ReportsConstraintViolationsWithoutBoundValues) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(k TEXT PRIMARY KEY)").ok());
  auto ins = db.Prepare("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins->Bind(1, std::string_view("secret-value")).ok());
  ASSERT_TRUE(ins->Run().ok());
  ASSERT_TRUE(ins->Bind(1, std::string_view("secret-value")).ok());
  Status again = ins->Run();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, make_error_code(Errc::kConstraint));
  EXPECT_EQ(again.error().message.find("secret-value"), std::string::npos);
}

TEST(SqliteTest, UncommittedTransactionRollsBack) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(a INTEGER)").ok());
  {
    auto txn = db.BeginImmediate();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db.Exec("INSERT INTO t VALUES(1)").ok());
    EXPECT_TRUE(db.InTransaction());
  }
  EXPECT_FALSE(db.InTransaction());
  auto sel = db.Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(sel->Step().value());
  EXPECT_EQ(sel->ColumnInt(0), 0);
}

TEST(SqliteTest, CommittedTransactionPersistsAcrossReopen) {
  const std::string path = TempPath("commit.db");
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(a INTEGER)").ok());
    auto txn = db->BeginImmediate();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(42)").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok());
  auto sel = db->Prepare("SELECT a FROM t");
  ASSERT_TRUE(sel->Step().value());
  EXPECT_EQ(sel->ColumnInt(0), 42);
}

TEST(SqliteTest, SecondWriterGetsBusyAfterTimeout) {
  const std::string path = TempPath("busy.db");
  OpenOptions fast;
  fast.busy_timeout_ms = 10;
  auto a = Database::Open(path, fast);
  auto b = Database::Open(path, fast);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->Exec("CREATE TABLE t(a INTEGER)").ok());
  auto txn = a->BeginImmediate();
  ASSERT_TRUE(txn.ok());
  auto other = b->BeginImmediate();
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, make_error_code(Errc::kBusy));
}

TEST(SqliteTest, ReadOnlyOpenOfMissingFileFails) {
  OpenOptions ro;
  ro.read_only = true;
  auto db = Database::Open(TempPath("missing.db"), ro);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("missing.db"), std::string::npos);
}

TEST(SqliteTest, OpenInMissingDirectoryFailsWithPath) {
  auto db = Database::Open("/nonexistent-renkei-dir/x.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("/nonexistent-renkei-dir/x.db"), std::string::npos);
}

TEST(SqliteTest, StepErrorLeavesStatementReusable) {
  Database db = OpenMemory();
  ASSERT_TRUE(db.Exec("CREATE TABLE t(a INTEGER NOT NULL)").ok());
  auto ins = db.Prepare("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins->BindNull(1).ok());
  EXPECT_FALSE(ins->Run().ok());
  ASSERT_TRUE(ins->Bind(1, int64_t{3}).ok());
  EXPECT_TRUE(ins->Run().ok());
}

}  // namespace
}  // namespace renkei::netsim::sql

namespace renkei::netsim::sql {
namespace {

TEST(SqliteTest, DefaultStringViewBindsAsEmptyTextNotNull) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto st = db->Prepare("SELECT ?1 IS NULL, ?1 = ''");
  ASSERT_TRUE(st->Bind(1, std::string_view()).ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->ColumnInt(0), 0);
  EXPECT_EQ(st->ColumnInt(1), 1);
}

}  // namespace
}  // namespace renkei::netsim::sql

namespace renkei::netsim::sql {
namespace {

TEST(SqliteTest, CachedStatementIsPreparedOnceAndResetBetweenLeases) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (1), (2), (3);").ok());
  const Statement* first = nullptr;
  {
    auto lease = db->Cached("SELECT a FROM t ORDER BY a");
    ASSERT_TRUE(lease.ok());
    first = &**lease;
    ASSERT_TRUE((*lease)->Step().value());
    EXPECT_EQ((*lease)->ColumnInt(0), 1);
    // Dropped after one row of three.
  }
  auto again = db->Cached("SELECT a FROM t ORDER BY a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(&**again, first);
  ASSERT_TRUE((*again)->Step().value());
  EXPECT_EQ((*again)->ColumnInt(0), 1);
}

TEST(SqliteTest, CachedStatementBindingsDoNotCarryOver) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  {
    auto lease = db->Cached("SELECT ?1 IS NULL");
    ASSERT_TRUE((*lease)->Bind(1, int64_t{5}).ok());
    ASSERT_TRUE((*lease)->Step().value());
    EXPECT_EQ((*lease)->ColumnInt(0), 0);
  }
  auto lease = db->Cached("SELECT ?1 IS NULL");
  ASSERT_TRUE((*lease)->Step().value());
  EXPECT_EQ((*lease)->ColumnInt(0), 1);
}

TEST(SqliteTest, CachedReportsBadSql) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  auto lease = db->Cached("SELEC 1");
  ASSERT_FALSE(lease.ok());
  EXPECT_NE(lease.error().message.find("SELEC 1"), std::string::npos);
}

}  // namespace
}  // namespace renkei::netsim::sql
