// Crash tests: a real child process writes the intermediate server's files and is killed with
// SIGKILL; the parent then restarts on those files. Acceptance line: "A process killed during a
// bulk import leaves no partial record, and the provision log still verifies after restart."
//
// The child is stopped (SIGSTOP) before it is killed, so the parent can check where it stands:
// inside an import transaction (it holds the store's write lock) or inside SealPending (a flag in
// memory shared with the parent). Only then is it killed, so each run proves the kill landed
// where the test says, not merely somewhere. The child creates every object it uses after the
// fork and leaves only through _exit(), never returning into GoogleTest.
//
// Unlike the other tests, these wait for a real process, which simulated time cannot stand in
// for: they poll with short sleeps, every wait bounded by kPatience so a stuck child fails the
// test instead of hanging it. Nothing asserts on durations.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "middleware/provision_log.h"
#include "middleware/replica_store.h"
#include "netsim/crypto.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/sqlite.h"

namespace renkei::middleware {
namespace {

namespace crypto = netsim::crypto;
namespace fs = std::filesystem;
namespace sql = netsim::sql;
using netsim::Duration;
using netsim::SimTime;

// Rows in the generated CSV: 30 batches, of which the parent waits for 2 before it stops the
// child, so the import is still running by a wide margin on any machine (the margin is counted
// in batches, not seconds); few enough that the parent's re-import of the rest stays quick.
constexpr size_t kRows = 150000;
constexpr size_t kBatchSize = 5000;
constexpr int64_t kSealEvery = 64;
constexpr uint64_t kPersonBase = 20'000'000'000'000ULL;
constexpr char kTm[] = "TM00000000000123";
constexpr char kDate[] = "2024-06-01";
// How long any wait for the child may take before the test fails (ASan on a busy 2-core box).
constexpr auto kPatience = std::chrono::seconds(120);
constexpr auto kPollInterval = std::chrono::milliseconds(5);

// Exit codes of a child that ended by itself; any of them fails the test.
constexpr int kChildError = 11;      // a call failed; the message is on stderr
constexpr int kImportFinished = 12;  // the import ended before the parent could kill it
constexpr int kChildThrew = 13;      // an exception escaped the child's body

// ---- data the child writes and the parent checks --------------------------------------------

std::string Lg(const std::string& first5) {
  return first5 + std::to_string(netsim::LgCodeCheckDigit(first5).value());
}

ReplicaStoreOptions StoreOptions() {
  ReplicaStoreOptions options;
  options.lgcode = Lg("14100");  // 横浜市
  options.master_key = std::vector<uint8_t>(32, 0x11);
  options.key_seed = std::vector<uint8_t>(32, 0x22);
  return options;
}

// Zero-padded, so that text order is row order (the parent pins the stored set by MIN and MAX).
std::string RecordId(size_t row) {
  char id[16];
  std::snprintf(id, sizeof id, "CR-%07zu", row);
  return id;
}

// Row `row` of the CSV: one person per row, so Lookup finds exactly this record.
ReplicaRecord Replica(size_t row) {
  static const std::string ward = Lg("14101");  // 鶴見区
  ReplicaRecord r;
  r.record_id = RecordId(row);
  r.integrated_number = netsim::MakeIntegratedNumber(kPersonBase + row);
  r.tm = kTm;
  r.dataset_item_code = "DS" + std::to_string(row % 97);
  r.record_key = "key-" + std::to_string(row);
  r.data_version = static_cast<int64_t>(row % 5);
  r.publish_from = "2024-04-01";
  r.publish_to = row % 3 == 0 ? "" : "2025-03-31";
  r.ward_code = ward;
  // A comma and doubled quotes, so every row goes through the quoted-field path.
  r.payload = R"({"row":)" + std::to_string(row) + R"(,"income":)" +
              std::to_string(2000000 + (row * 7919) % 5000000) + R"(,"note":"課税, \"確定\""})";
  return r;
}

std::string CsvRow(const ReplicaRecord& r) {
  std::string row;
  row.reserve(256);
  for (const std::string* field :
       {&r.record_id, &r.integrated_number, &r.tm, &r.dataset_item_code, &r.record_key}) {
    row += *field;
    row += ',';
  }
  row += std::to_string(r.data_version);
  for (const std::string* field : {&r.publish_from, &r.publish_to, &r.ward_code}) {
    row += ',';
    row += *field;
  }
  row += ",\"";
  for (char c : r.payload) {
    if (c == '"') row += '"';  // RFC 4180: a quote inside quotes is doubled
    row += c;
  }
  row += "\"\n";
  return row;
}

void WriteCsv(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << "record_id,integrated_number,tm,dataset_item_code,record_key,data_version,publish_from,"
         "publish_to,ward_code,payload\n";
  for (size_t row = 0; row < kRows; ++row) out << CsvRow(Replica(row));
  out.close();
  ASSERT_TRUE(out) << "cannot write " << path;
}

Result<std::shared_ptr<const crypto::PrivateKey>> LogKey() {
  const std::vector<uint8_t> seed(32, 7);
  return crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, seed);
}

// The record the writer appends as number `n` (it gets seq n), so the parent can compare.
ProvisionLogRecord LogRecord(int64_t n) {
  static constexpr ProvisionEvent kEvents[] = {
      ProvisionEvent::kAnswered, ProvisionEvent::kStaffRefused, ProvisionEvent::kSuppressed,
      ProvisionEvent::kStaffApproved, ProvisionEvent::kRefused};
  ProvisionLogRecord r;
  r.at = SimTime::FromMicros(0) + Duration::Days(20000) + Duration::Seconds(n);
  r.side = ProvisionSide::kProvider;
  r.event = kEvents[n % 5];
  r.processing_number = "PN-" + std::to_string(n);
  r.requester = "1013101000000001";
  r.provider = "1014100000000002";
  r.jm = "JM00000000000001";
  r.jt = "JT00000000000001";
  r.tm_items = {kTm};
  if (n % 2 == 0) r.tm_items.push_back("TM00000000000124");
  r.requested_at = r.at;
  if (n % 5 != 2) r.provided_at = r.at + Duration::Seconds(1);
  r.outcome = n % 5 == 4 ? "refused" : "ok";
  r.non_disclosure = n % 7 == 0;
  r.staff_id = n % 5 == 3 ? "staff-042" : "";
  r.integrated_number = netsim::MakeIntegratedNumber(kPersonBase + static_cast<uint64_t>(n) % 1000);
  return r;
}

// ---- the child process ----------------------------------------------------------------------

// Memory shared by parent and child (MAP_SHARED before the fork): the child's own report of
// where it is, read by the parent only while the child is stopped.
struct Shared {
  std::atomic<int> ready{0};    // the child has opened its files
  std::atomic<int> sealing{0};  // the child is inside SealPending
};
static_assert(std::atomic<int>::is_always_lock_free);

[[noreturn]] void ChildFail(const std::string& what) {
  std::fprintf(stderr, "crash child: %s\n", what.c_str());
  _exit(kChildError);
}
[[noreturn]] void ChildFail(const std::string& what, const Error& error) {
  ChildFail(what + ": " + error.Describe());
}

// A forked child process. Its destructor kills and reaps the child if a test assertion left it
// running, so no child outlives its test.
class Child {
 public:
  // Forks; the child runs `body` and ends with _exit(its result), never returning into gtest.
  static Child Start(const std::function<int()>& body) {
    std::fflush(nullptr);  // nothing buffered before the fork is written twice
    const pid_t pid = fork();
    if (pid == 0) {
      int code = kChildThrew;
      try {
        code = body();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "crash child: exception: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "crash child: unknown exception\n");
      }
      _exit(code);
    }
    return Child(pid);
  }
  Child(Child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  bool started() const { return pid_ > 0; }

  // True once the child has ended by itself; `how` then says how.
  bool Ended(std::string& how) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r != pid_) return false;
    pid_ = -1;
    how = Describe(status);
    return true;
  }

  // SIGSTOP, and waits until the whole process has stopped. False (and `how`) if it had ended.
  bool Stop(std::string& how) {
    kill(pid_, SIGSTOP);
    int status = 0;
    if (waitpid(pid_, &status, WUNTRACED) != pid_) {
      how = std::string("waitpid: ") + std::strerror(errno);
      return false;
    }
    if (WIFSTOPPED(status)) return true;
    pid_ = -1;
    how = Describe(status);
    return false;
  }
  void Continue() { kill(pid_, SIGCONT); }

  // SIGKILL and reap; returns the wait status.
  int Kill() {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  static std::string Describe(int status) {
    if (WIFSIGNALED(status)) {
      return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
             strsignal(WTERMSIG(status)) + ")";
    }
    if (!WIFEXITED(status)) return "ended with wait status " + std::to_string(status);
    const int code = WEXITSTATUS(status);
    std::string why = code == kChildError       ? "a call failed (see stderr)"
                      : code == kImportFinished ? "the import of all " + std::to_string(kRows) +
                                                      " rows finished before the kill: raise kRows"
                      : code == kChildThrew ? "an exception escaped (see stderr)"
                                            : "unexpected";
    return "exited with code " + std::to_string(code) + ": " + why;
  }

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

// The body of the import child: a live intermediate server that keeps appending to its provision
// log (sealing now and then) on a second thread while the main thread bulk-imports the CSV.
int ImportChild(const std::string& store_path, const std::string& log_path,
                const std::string& csv_path, Shared& shared) {
  auto store = ReplicaStore::Open(store_path, StoreOptions());
  if (!store.ok()) ChildFail("open the replica store", store.error());
  auto key = LogKey();
  if (!key.ok()) ChildFail("log key", key.error());
  ProvisionLogOptions options;
  options.seal_every = kSealEvery;
  auto log = ProvisionLog::Open(log_path, *key, options);
  if (!log.ok()) ChildFail("open the provision log", log.error());
  std::ifstream csv(csv_path, std::ios::binary);
  if (!csv) ChildFail("cannot open " + csv_path);

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int64_t n = log->head_seq() + 1; !stop.load(); ++n) {
      ProvisionLogRecord record = LogRecord(n);
      if (Status s = log->Append(record); !s.ok()) ChildFail("append", s.error());
      if (record.seq != n) ChildFail("append: got seq " + std::to_string(record.seq));
      // Full batches as the simulation's seal event would; now and then the partial batch too,
      // as an on-demand seal does.
      auto sealed = log->SealPending(n % 301 == 0 ? SealMode::kAll : SealMode::kFullBatches);
      if (!sealed.ok()) ChildFail("seal", sealed.error());
    }
  });
  shared.ready = 1;
  auto summary = (*store)->ImportCsv(csv, "crash.csv", kBatchSize);
  stop = true;
  writer.join();
  if (!summary.ok()) ChildFail("import", summary.error());
  return kImportFinished;
}

// The body of the sealing child: appends a few records, then seals them all, in a loop, with
// small seals, so most of its time is spent in SealPending.
int SealingChild(const std::string& log_path, Shared& shared) {
  auto key = LogKey();
  if (!key.ok()) ChildFail("log key", key.error());
  ProvisionLogOptions options;
  options.seal_every = 2;
  auto log = ProvisionLog::Open(log_path, *key, options);
  if (!log.ok()) ChildFail("open the provision log", log.error());
  shared.ready = 1;
  for (int64_t n = log->head_seq() + 1;; ++n) {
    ProvisionLogRecord record = LogRecord(n);
    if (Status s = log->Append(record); !s.ok()) ChildFail("append", s.error());
    if (n % 7 != 0) continue;
    shared.sealing = 1;
    auto sealed = log->SealPending(SealMode::kAll);
    shared.sealing = 0;
    if (!sealed.ok()) ChildFail("seal", sealed.error());
  }
}

// ---- the parent's view ----------------------------------------------------------------------

// Rows of `table`, over a fresh read-only connection (a committed snapshot).
Result<int64_t> CountRows(const std::string& path, const std::string& table) {
  sql::OpenOptions options;
  options.create = false;
  options.read_only = true;
  RENKEI_TRY(auto db, sql::Database::Open(path, options));
  RENKEI_TRY(auto st, db.Prepare("SELECT COUNT(*) FROM " + table));
  RENKEI_TRY(const bool row, st.Step());
  if (!row) return MakeError(netsim::Errc::kStorageError, "COUNT(*) returned no row");
  return st.ColumnInt(0);
}

// True when another connection holds the write lock of `path` (the stopped child is inside a
// write transaction).
Result<bool> WriteLocked(const std::string& path) {
  sql::OpenOptions options;
  options.create = false;
  options.busy_timeout_ms = 0;
  RENKEI_TRY(auto db, sql::Database::Open(path, options));
  auto txn = db.BeginImmediate();
  if (txn.ok()) return false;  // rolled back unused
  if (txn.error().code == make_error_code(netsim::Errc::kBusy)) return true;
  return txn.error();
}

struct LogCounts {
  int64_t records = 0;
  int64_t seals = 0;
};

// Records and seals, in one snapshot over a fresh read-only connection.
Result<LogCounts> CountLog(const std::string& path) {
  sql::OpenOptions options;
  options.create = false;
  options.read_only = true;
  RENKEI_TRY(auto db, sql::Database::Open(path, options));
  RENKEI_TRY(auto st, db.Prepare("SELECT (SELECT COUNT(*) FROM provision_records), "
                                 "(SELECT COUNT(*) FROM provision_seals)"));
  RENKEI_TRY(const bool row, st.Step());
  if (!row) return MakeError(netsim::Errc::kStorageError, "COUNT(*) returned no row");
  return LogCounts{st.ColumnInt(0), st.ColumnInt(1)};
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("renkei_crash_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_path_ = (dir_ / "replicas.db").string();
    log_path_ = (dir_ / "provision_log.db").string();
    csv_path_ = (dir_ / "replicas.csv").string();
    void* memory =
        mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(memory, MAP_FAILED) << std::strerror(errno);
    shared_ = new (memory) Shared;
  }
  void TearDown() override {
    if (shared_ != nullptr) {
      shared_->~Shared();
      munmap(shared_, sizeof(Shared));
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Polls until `done` holds. False when `done` reported a failure, the child ended or
  // kPatience ran out (each adds a failure saying which).
  bool WaitFor(Child& child, const std::string& what, const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    for (;;) {
      if (done()) return true;
      if (HasFailure()) return false;
      if (std::string how; child.Ended(how)) {
        ADD_FAILURE() << "waiting for " << what << ", the child " << how;
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "gave up waiting for " << what << " after " << kPatience.count() << " s";
        return false;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }

  // Stops the child whenever `ready` holds, keeps it stopped if `at_the_spot` then holds too
  // (and returns true), and lets it run on otherwise.
  bool StopWhen(Child& child, const std::string& what, const std::function<bool()>& ready,
                const std::function<bool()>& at_the_spot) {
    return WaitFor(child, what, [&] {
      if (!ready()) return false;
      std::string how;
      if (!child.Stop(how)) {
        ADD_FAILURE() << "stopping the child: it " << how;
        return false;
      }
      if (at_the_spot()) return true;
      child.Continue();
      return false;
    });
  }

  // Kills the (stopped) child and asserts that SIGKILL is what ended it.
  void KillAndExpectSigkill(Child& child) {
    const int status = child.Kill();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child " << Child::Describe(status);
  }

  void LoadKeys() {
    auto key = LogKey();
    ASSERT_TRUE(key.ok()) << key.error().Describe();
    key_ = *key;
    auto pub = crypto::PublicKey::FromPrivate(*key_);
    ASSERT_TRUE(pub.ok()) << pub.error().Describe();
    pub_ = *pub;
  }

  // The checks after a restart that every crashed provision log must pass: the file verifies
  // cold (read-only, before anything reopens it), holding the records and seals the stopped
  // child had visibly committed, or one write more (the write it was stopped in may have
  // reached the WAL whole); the log reopens with that head, Check() agrees, and every record
  // reads back exactly as the child wrote it. `verified` receives the cold check.
  void ExpectLogSurvived(const LogCounts& seen, LogCheck& verified) {
    ASSERT_NO_FATAL_FAILURE(LoadKeys());
    auto cold = VerifyLog(log_path_, *pub_);
    ASSERT_TRUE(cold.ok()) << cold.error().Describe();
    EXPECT_TRUE(cold->intact) << cold->reason;
    EXPECT_GE(cold->records, seen.records);
    EXPECT_LE(cold->records, seen.records + 1);
    EXPECT_GE(cold->seals, seen.seals);
    EXPECT_LE(cold->seals, seen.seals + 1);
    EXPECT_LE(cold->sealed_through, cold->records);
    verified = *cold;

    auto log = ProvisionLog::Open(log_path_, key_);
    ASSERT_TRUE(log.ok()) << log.error().Describe();
    EXPECT_EQ(log->head_seq(), cold->records);
    EXPECT_EQ(log->sealed_through(), cold->sealed_through);
    EXPECT_EQ(log->PendingCount(), cold->records - cold->sealed_through);
    auto check = log->Check();
    ASSERT_TRUE(check.ok()) << check.error().Describe();
    EXPECT_TRUE(check->intact) << check->reason;
    auto read = log->Read(1, cold->records);
    ASSERT_TRUE(read.ok()) << read.error().Describe();
    ASSERT_EQ(static_cast<int64_t>(read->size()), cold->records);
    for (const ProvisionLogRecord& r : *read) {
      ProvisionLogRecord want = LogRecord(r.seq);
      want.seq = r.seq;
      ASSERT_EQ(r, want) << "provision record " << r.seq << " does not read back as written";
    }
  }

  // After the checks above: seals the remainder, verifies, and appends, verifying again.
  void ExpectLogKeepsWorking() {
    ASSERT_NO_FATAL_FAILURE(LoadKeys());
    ProvisionLogOptions options;
    options.seal_every = kSealEvery;
    auto log = ProvisionLog::Open(log_path_, key_, options);
    ASSERT_TRUE(log.ok()) << log.error().Describe();
    const int64_t head = log->head_seq();
    auto sealed = log->SealPending(SealMode::kAll);
    ASSERT_TRUE(sealed.ok()) << sealed.error().Describe();
    auto after_seal = VerifyLog(log_path_, *pub_);
    ASSERT_TRUE(after_seal.ok()) << after_seal.error().Describe();
    EXPECT_TRUE(after_seal->intact) << after_seal->reason;
    EXPECT_EQ(after_seal->records, head);
    EXPECT_EQ(after_seal->sealed_through, head);

    ProvisionLogRecord next = LogRecord(head + 1);
    ASSERT_TRUE(log->Append(next).ok());
    EXPECT_EQ(next.seq, head + 1);
    auto check = log->Check();
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->intact) << check->reason;
    EXPECT_EQ(check->records, head + 1);
    ASSERT_TRUE(log->SealPending(SealMode::kAll).ok());
    auto final_check = VerifyLog(log_path_, *pub_);
    ASSERT_TRUE(final_check.ok());
    EXPECT_TRUE(final_check->intact) << final_check->reason;
    EXPECT_EQ(final_check->sealed_through, head + 1);
  }

  fs::path dir_;
  std::string store_path_;
  std::string log_path_;
  std::string csv_path_;
  Shared* shared_ = nullptr;
  std::shared_ptr<const crypto::PrivateKey> key_;
  std::shared_ptr<const crypto::PublicKey> pub_;
};

TEST_F(CrashTest, KilledBulkImportLeavesWholeBatchesAndVerifiableLog) {
  ASSERT_NO_FATAL_FAILURE(WriteCsv(csv_path_));
  Child child =
      Child::Start([&] { return ImportChild(store_path_, log_path_, csv_path_, *shared_); });
  ASSERT_TRUE(child.started()) << "fork: " << std::strerror(errno);
  ASSERT_TRUE(WaitFor(child, "the child to open its files", [&] { return shared_->ready == 1; }));

  // Wait for two committed batches and some sealed log records, then stop the child; kill it
  // only if it is stopped inside an import transaction (holding the store's write lock), so the
  // kill certainly cuts a batch in the middle.
  int64_t committed_seen = 0;
  LogCounts log_seen;
  const bool stopped = StopWhen(
      child, "two committed batches and a sealed log",
      [&] {
        auto rows = CountRows(store_path_, "replicas");
        auto log = CountLog(log_path_);
        if (!rows.ok() || !log.ok()) {
          ADD_FAILURE() << "polling: "
                        << (rows.ok() ? log.error().Describe() : rows.error().Describe());
          return false;
        }
        return *rows >= static_cast<int64_t>(2 * kBatchSize) && log->seals >= 1 &&
               log->records >= 2 * kSealEvery;
      },
      [&] {
        auto locked = WriteLocked(store_path_);
        if (!locked.ok()) {
          ADD_FAILURE() << "probing the write lock: " << locked.error().Describe();
          return false;
        }
        if (!*locked) return false;
        // The child is stopped, so these are the last commits it made visible.
        auto rows = CountRows(store_path_, "replicas");
        auto log = CountLog(log_path_);
        if (!rows.ok() || !log.ok()) {
          ADD_FAILURE() << "counting: "
                        << (rows.ok() ? log.error().Describe() : rows.error().Describe());
          return false;
        }
        committed_seen = *rows;
        log_seen = *log;
        return true;
      });
  ASSERT_TRUE(stopped);
  ASSERT_NO_FATAL_FAILURE(KillAndExpectSigkill(child));

  // The replicas: whole batches only. The batch the child was stopped in is either absent or,
  // if its commit record had reached the WAL just before the stop, whole.
  {
    auto db = sql::Database::Open(store_path_);
    ASSERT_TRUE(db.ok()) << db.error().Describe();
    Status integrity = db->IntegrityCheck();
    EXPECT_TRUE(integrity.ok()) << integrity.error().Describe();
  }
  auto store = ReplicaStore::Open(store_path_, StoreOptions());
  ASSERT_TRUE(store.ok()) << store.error().Describe();
  const int64_t committed = (*store)->Count().value();
  ASSERT_EQ(committed % static_cast<int64_t>(kBatchSize), 0) << committed << " rows";
  ASSERT_GE(committed, committed_seen);
  ASSERT_LE(committed, committed_seen + static_cast<int64_t>(kBatchSize));
  ASSERT_LT(committed, static_cast<int64_t>(kRows));
  {
    // Record ids are unique and come only from this file, in text order = row order: the count
    // and both ends pin the stored set to exactly rows [0, committed).
    auto db = sql::Database::Open(store_path_);
    ASSERT_TRUE(db.ok());
    auto st = db->Prepare("SELECT COUNT(*), MIN(record_id), MAX(record_id) FROM replicas");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Step().value());
    EXPECT_EQ(st->ColumnInt(0), committed);
    EXPECT_EQ(st->ColumnText(1), RecordId(0));
    EXPECT_EQ(st->ColumnText(2), RecordId(static_cast<size_t>(committed) - 1));
  }
  // Every committed row decrypts and reads back field for field; the cut batch left nothing.
  for (size_t row = 0; row < static_cast<size_t>(committed); ++row) {
    const ReplicaRecord want = Replica(row);
    auto found = (*store)->Lookup(want.integrated_number, kTm, kDate);
    ASSERT_TRUE(found.ok()) << RecordId(row) << ": " << found.error().Describe();
    ASSERT_EQ(found->size(), 1u) << RecordId(row);
    ASSERT_EQ(found->front(), want) << RecordId(row);
  }
  for (size_t row : {static_cast<size_t>(committed), static_cast<size_t>(committed) + 1,
                     static_cast<size_t>(committed) + kBatchSize - 1}) {
    auto found = (*store)->Lookup(Replica(row).integrated_number, kTm, kDate);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->empty()) << RecordId(row) << " of the cut batch was stored";
  }

  // Restart the import: the committed rows come back as duplicates, the rest is stored.
  std::ifstream csv(csv_path_, std::ios::binary);
  auto again = (*store)->ImportCsv(csv, "crash.csv", kBatchSize);
  ASSERT_TRUE(again.ok()) << again.error().Describe();
  EXPECT_EQ(again->accepted, kRows - static_cast<size_t>(committed));
  EXPECT_EQ(again->rejected, static_cast<size_t>(committed));
  ASSERT_EQ(again->rejections.size(), static_cast<size_t>(committed));
  EXPECT_EQ(again->rejections.front().line, 2u);
  EXPECT_EQ(again->rejections.back().line, static_cast<size_t>(committed) + 1);
  for (const ImportRejection& rejection : again->rejections) {
    if (!rejection.reason.starts_with("「レコード識別番号」が既に存在しています。")) {
      ADD_FAILURE() << "line " << rejection.line << ": " << rejection.reason;
      break;
    }
  }
  EXPECT_EQ((*store)->Count().value(), static_cast<int64_t>(kRows));
  for (size_t row : {size_t{0}, static_cast<size_t>(committed) - 1, static_cast<size_t>(committed),
                     kRows / 2, kRows - 1}) {
    auto found = (*store)->Lookup(Replica(row).integrated_number, kTm, kDate);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u) << RecordId(row);
    EXPECT_EQ(found->front(), Replica(row));
  }
  store->reset();
  {
    // No payload nonce was handed out twice across the crash.
    auto db = sql::Database::Open(store_path_);
    ASSERT_TRUE(db.ok());
    auto st =
        db->Prepare("SELECT COUNT(*), COUNT(DISTINCT key_id || ':' || hex(nonce)) FROM replicas");
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->Step().value());
    EXPECT_EQ(st->ColumnInt(0), static_cast<int64_t>(kRows));
    EXPECT_EQ(st->ColumnInt(1), static_cast<int64_t>(kRows));
  }

  // The provision log written alongside.
  LogCheck verified;
  ASSERT_NO_FATAL_FAILURE(ExpectLogSurvived(log_seen, verified));
  ASSERT_NO_FATAL_FAILURE(ExpectLogKeepsWorking());
}

TEST_F(CrashTest, KilledWhileSealingLeavesVerifiableLog) {
  // Three lives: each child reopens what the previous one left (unsealed records included) and
  // goes on appending and sealing until it is killed inside SealPending.
  LogCounts before;
  for (int life = 1; life <= 3; ++life) {
    SCOPED_TRACE("life " + std::to_string(life));
    shared_->ready = 0;
    shared_->sealing = 0;
    Child child = Child::Start([&] { return SealingChild(log_path_, *shared_); });
    ASSERT_TRUE(child.started()) << "fork: " << std::strerror(errno);
    ASSERT_TRUE(WaitFor(child, "the child to open its log", [&] { return shared_->ready == 1; }));
    LogCounts seen;
    const bool stopped = StopWhen(
        child, "records and seals from this life",
        [&] {
          auto counts = CountLog(log_path_);
          if (!counts.ok()) {
            ADD_FAILURE() << "polling: " << counts.error().Describe();
            return false;
          }
          return counts->records >= before.records + 200 && counts->seals >= before.seals + 50;
        },
        [&] {
          if (shared_->sealing != 1) return false;
          auto counts = CountLog(log_path_);
          if (!counts.ok()) {
            ADD_FAILURE() << "counting: " << counts.error().Describe();
            return false;
          }
          seen = *counts;
          return true;
        });
    ASSERT_TRUE(stopped);
    ASSERT_NO_FATAL_FAILURE(KillAndExpectSigkill(child));

    LogCheck verified;
    ASSERT_NO_FATAL_FAILURE(ExpectLogSurvived(seen, verified));
    ASSERT_FALSE(HasFailure());
    before.records = verified.records;
    before.seals = verified.seals;
  }
  ASSERT_NO_FATAL_FAILURE(ExpectLogKeepsWorking());
}

}  // namespace
}  // namespace renkei::middleware
