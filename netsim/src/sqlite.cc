#include "netsim/sqlite.h"

#include <sqlite3.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "netsim/errors.h"

namespace renkei::netsim::sql {

int64_t HeapHighwater() { return sqlite3_memory_highwater(0); }

void SetSoftHeapLimit(int64_t bytes) { sqlite3_soft_heap_limit64(bytes < 0 ? 0 : bytes); }
namespace {

// The statement's first words identify it in messages without leaking parameter values
// (values are always bound, never spliced into SQL text).
std::string Head(std::string_view sql) {
  std::string out;
  for (const char c : sql.substr(0, 60)) out += (c == '\n' || c == '\t') ? ' ' : c;
  if (sql.size() > 60) out += "...";
  return out;
}

Error MakeSqliteError(int rc, sqlite3* db, std::string_view what) {
  const int primary = rc & 0xff;
  Errc code = Errc::kStorageError;
  if (primary == SQLITE_CONSTRAINT) code = Errc::kConstraint;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = Errc::kBusy;
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return MakeError(code, std::move(message));
}

}  // namespace

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Database::Database(Database&& o) noexcept
    : db_(o.db_), path_(std::move(o.path_)), cache_(std::move(o.cache_)) {
  o.db_ = nullptr;
}

Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    cache_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    cache_ = std::move(o.cache_);
    o.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  cache_.clear();
  // close_v2 defers the close until outstanding statements are finalized, so destruction
  // order between a Database and its Statements cannot crash.
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Result<StatementLease> Database::Cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    RENKEI_TRY(Statement st, Prepare(sql));
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(st))).first;
  }
  return StatementLease(it->second.get());
}

Result<Database> Database::Open(const std::string& path, const OpenOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  // Connections are used by one thread at a time; skip SQLite's per-call mutexes.
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error e = MakeSqliteError(rc, raw, "open '" + path + "'");
    sqlite3_close_v2(raw);
    return e;
  }
  Database db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  if (const int brc = sqlite3_busy_timeout(raw, options.busy_timeout_ms); brc != SQLITE_OK) {
    return MakeSqliteError(brc, raw, "busy_timeout");
  }
  std::string pragmas;
  if (options.foreign_keys) pragmas += "PRAGMA foreign_keys=ON;";
  if (!options.read_only) {
    const char* sync = options.sync == OpenOptions::Sync::kOff      ? "OFF"
                       : options.sync == OpenOptions::Sync::kNormal ? "NORMAL"
                                                                    : "FULL";
    pragmas += std::string("PRAGMA synchronous=") + sync + ";";
  }
  // Before the first read: the WAL index goes to the heap only if the mode is set first.
  if (options.exclusive && !options.read_only) pragmas += "PRAGMA locking_mode=EXCLUSIVE;";
  RENKEI_CHECK_OK(db.Exec(pragmas));
  if (options.wal && !options.read_only && path != ":memory:") {
    RENKEI_TRY(std::string mode, [&]() -> Result<std::string> {
      RENKEI_TRY(Statement st, db.Prepare("PRAGMA journal_mode=WAL"));
      RENKEI_TRY(bool row, st.Step());
      if (!row) return MakeError(Errc::kStorageError, "sqlite: journal_mode returned no row");
      return st.ColumnText(0);
    }());
    if (mode != "wal") {
      return MakeError(Errc::kStorageError,
                       "sqlite: could not switch '" + path + "' to WAL (mode " + mode + ")");
    }
  }
  return db;
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    Error e = MakeSqliteError(rc, nullptr, "exec '" + Head(sql) + "'");
    e.message = "sqlite: exec '" + Head(sql) + "': " + detail;
    return e;
  }
  return OkStatus();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return MakeSqliteError(rc, db_, "prepare '" + Head(sql) + "'");
  if (stmt == nullptr) {
    return MakeError(Errc::kStorageError, "sqlite: prepare '" + Head(sql) + "': empty statement");
  }
  return Statement(stmt, db_);
}

// BEGIN, COMMIT and ROLLBACK run as cached statements: a linkage opens about fifteen
// transactions, and sqlite3_exec would compile each of these texts again every time.
Status Database::RunCached(std::string_view sql) {
  RENKEI_TRY(StatementLease st, Cached(sql));
  return st->Run();
}

Result<Transaction> Database::BeginImmediate() {
  RENKEI_CHECK_OK(RunCached("BEGIN IMMEDIATE"));
  return Transaction(this);
}

Result<Transaction> Database::BeginRead() {
  RENKEI_CHECK_OK(RunCached("BEGIN DEFERRED"));
  return Transaction(this);
}

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Database::Changes() const { return sqlite3_changes64(db_); }

Result<std::string> Database::JournalMode() {
  RENKEI_TRY(Statement st, Prepare("PRAGMA journal_mode"));
  RENKEI_TRY(bool row, st.Step());
  if (!row) return MakeError(Errc::kStorageError, "sqlite: journal_mode returned no row");
  return st.ColumnText(0);
}

Status Database::IntegrityCheck() {
  RENKEI_TRY(Statement st, Prepare("PRAGMA integrity_check"));
  RENKEI_TRY(bool row, st.Step());
  if (!row) return MakeError(Errc::kStorageError, "sqlite: integrity_check returned no row");
  const std::string answer = st.ColumnText(0);
  if (answer != "ok") {
    return MakeError(Errc::kStorageError, "sqlite: integrity_check of '" + path_ + "': " + answer);
  }
  return OkStatus();
}

Statement::Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Status Statement::Check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK) return OkStatus();
  const char* sql = sqlite3_sql(stmt_);
  return MakeSqliteError(rc, db_,
                         std::string(what) + " in '" + Head(sql != nullptr ? sql : "") + "'");
}

Status Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind");
}
Status Statement::Bind(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), "bind");
}
Status Statement::Bind(int index, std::string_view text) {
  // A default-constructed string_view has a null data pointer, which SQLite would bind as
  // NULL; an empty string must stay an empty string.
  return Check(sqlite3_bind_text64(stmt_, index, text.data() != nullptr ? text.data() : "",
                                   text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               "bind");
}
Status Statement::BindBlob(int index, std::span<const uint8_t> blob) {
  // A zero-length blob must still be a blob, not NULL: SQLite treats a null pointer as NULL.
  static const uint8_t kEmpty = 0;
  return Check(sqlite3_bind_blob64(stmt_, index, blob.empty() ? &kEmpty : blob.data(), blob.size(),
                                   SQLITE_TRANSIENT),
               "bind");
}
Status Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index), "bind"); }

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = Check(rc, "step").error();
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::Run() {
  Result<bool> r = Step();
  while (r.ok() && r.value()) r = Step();
  Reset();
  if (!r.ok()) return r.error();
  return OkStatus();
}

void Statement::Reset() {
  // The step's error (if any) was already reported; reset's return code repeats it.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::ColumnText(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n))
                      : std::string();
}
std::vector<uint8_t> Statement::ColumnBlob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p != nullptr ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
}
std::optional<int64_t> Statement::ColumnOptionalInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnInt(column);
}
std::optional<std::string> Statement::ColumnOptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return ColumnText(column);
}

Transaction::Transaction(Transaction&& o) noexcept : db_(o.db_), done_(o.done_) { o.done_ = true; }

Transaction::~Transaction() {
  if (!done_) {
    // A failed rollback leaves the connection in an unknown state: that is a broken
    // invariant, not an expected failure.
    if (Status s = Rollback(); !s.ok()) {
      std::cerr << "renkei: rollback failed: " << s.error().message << "\n";
      std::abort();
    }
  }
}

Status Transaction::Commit() {
  RENKEI_CHECK_OK(db_->RunCached("COMMIT"));
  done_ = true;
  return OkStatus();
}

Status Transaction::Rollback() {
  done_ = true;
  if (!db_->InTransaction()) return OkStatus();
  return db_->RunCached("ROLLBACK");
}

}  // namespace renkei::netsim::sql
