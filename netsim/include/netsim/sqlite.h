// A thin RAII wrapper over SQLite: connections, prepared statements, transactions.
//
// This header and sqlite.cc are the only places that call sqlite3_*. Every return code is
// checked; failures become Error values (Errc::kConstraint for constraint violations,
// Errc::kBusy when the database stayed locked past the busy timeout, Errc::kStorageError
// otherwise) whose message carries SQLite's own text and the statement's first words, never
// bound parameter values (they may be personal data).
//
// Files are opened in WAL mode with synchronous=NORMAL by default: durable across process
// crashes, one fsync per checkpoint rather than per transaction, and readers never block the
// writer. Transactions roll back unless committed, so an early return on error leaves the
// database as it was.
//
// Thread safety: a Database (connection) and its Statements belong to one thread at a time.
// Use one connection per thread; SQLite serialises writers across connections.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace renkei::netsim::sql {

struct OpenOptions {
  bool create = true;      // create the file when missing
  bool read_only = false;  // open for reading only
  bool wal = true;         // journal_mode=WAL (ignored for in-memory databases)
  // NORMAL is durable in WAL mode against application crashes; FULL also survives power loss
  // on the last transaction. OFF is for benchmarks that say so.
  enum class Sync { kOff, kNormal, kFull } sync = Sync::kNormal;
  int busy_timeout_ms = 5000;
  bool foreign_keys = true;
  // locking_mode=EXCLUSIVE: the connection keeps its lock until closed and, in WAL mode, the
  // WAL index lives in its heap instead of a -shm file, one file descriptor fewer. For a
  // process that owns its files alone (a simulation's data directory): a world of 1,788
  // bodies holds five databases each and would otherwise need about 27,000 descriptors.
  bool exclusive = false;
};

// The most heap SQLite has held at once in this process (sqlite3_memory_highwater): page
// caches, schemas and statements of every connection. For reports of what a run's memory is.
int64_t HeapHighwater();
// Sets SQLite's soft heap limit for the whole process (sqlite3_soft_heap_limit64; 0: none):
// past it, page caches recycle their least recently used pages instead of growing, so many
// connections (a world of 1,788 bodies holds about 9,000) share one memory budget instead of
// each growing to its own cache_size. Advisory: SQLite exceeds it rather than fail.
void SetSoftHeapLimit(int64_t bytes);

class Statement;
class StatementLease;
class Transaction;

class Database {
 public:
  // `path` ":memory:" opens a private in-memory database (tests).
  static Result<Database> Open(const std::string& path, const OpenOptions& options = {});

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // A statement prepared once per connection and kept: the same SQL text returns the same
  // statement with its bindings cleared. The lease resets it when dropped, so a half-read
  // SELECT never keeps a read snapshot open. Do not hold two leases of the same text.
  Result<StatementLease> Cached(std::string_view sql);

  // Runs one or more statements without parameters (schema, pragmas).
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);

  // BEGIN IMMEDIATE: takes the write lock up front, so a transaction never fails half-way
  // with SQLITE_BUSY on its first write.
  Result<Transaction> BeginImmediate();
  // BEGIN DEFERRED: for read-only snapshots.
  Result<Transaction> BeginRead();

  // False once SQLite has ended a transaction, including one it rolled back by itself after
  // an I/O or disk-full error.
  bool InTransaction() const;
  int64_t LastInsertRowId() const;
  int64_t Changes() const;
  // The journal mode SQLite reports ("wal", "memory", "delete").
  Result<std::string> JournalMode();
  // PRAGMA integrity_check; ok when SQLite answers "ok".
  Status IntegrityCheck();
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path);
  Status RunCached(std::string_view sql);
  sqlite3* db_ = nullptr;
  std::string path_;
  // Ordered map: never iterated for output, but keeps destruction order reproducible.
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
  friend class Statement;
  friend class Transaction;
};

// A prepared statement. Parameters are 1-based as in SQLite; columns 0-based.
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  Status Bind(int index, int64_t value);
  Status Bind(int index, double value);
  Status Bind(int index, std::string_view text);
  Status Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Status BindBlob(int index, std::span<const uint8_t> blob);
  Status BindNull(int index);
  template <typename T>
  Status Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : BindNull(index);
  }
  // Binds the arguments to parameters 1..N in order.
  template <typename... Args>
  Status BindAll(const Args&... args) {
    int index = 0;
    Status status = OkStatus();
    ((status.ok() ? (status = Bind(++index, args), 0) : 0), ...);
    return status;
  }

  // Advances: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows; then resets.
  Status Run();
  // Resets for re-execution and clears bindings.
  void Reset();

  bool IsNull(int column) const;
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::vector<uint8_t> ColumnBlob(int column) const;
  std::optional<int64_t> ColumnOptionalInt(int column) const;
  std::optional<std::string> ColumnOptionalText(int column) const;

 private:
  Statement(sqlite3_stmt* stmt, sqlite3* db);
  Status Check(int rc, std::string_view what) const;
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  friend class Database;
};

// Borrowed use of a cached statement (Database::Cached); resets it on destruction.
class StatementLease {
 public:
  explicit StatementLease(Statement* st) : st_(st) {}
  StatementLease(StatementLease&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  StatementLease& operator=(StatementLease&&) = delete;
  ~StatementLease() {
    if (st_ != nullptr) st_->Reset();
  }
  Statement* operator->() const { return st_; }
  Statement& operator*() const { return *st_; }

 private:
  Statement* st_;
};

// Rolls back on destruction unless Commit() succeeded.
class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();
  Status Rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
  bool done_ = false;
  friend class Database;
};

}  // namespace renkei::netsim::sql
