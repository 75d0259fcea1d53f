// Core records: the NWS core's own append-only, tamper-evident log of every token request,
// permit request, grant and denial.
//
// Records live in one SQLite file (WAL) in table core_records, one row per record, each row
// holding hash = SHA-256(previous record's hash ‖ canonical bytes of this record), with 32 zero
// bytes before the first record. Canonical bytes (docs/nws.md):
//   "renkei.core-record.v1" (21 ASCII bytes), u64 seq, i64 time (µs), then kind,
//   processing_number, requester, provider, jm, jt as str, u32 count of TM items and each as
//   str, then outcome and reason as str; integers big-endian, str = u32 length ‖ bytes.
// Triggers refuse UPDATE and DELETE, so only someone who drops them (or edits the file) can
// change history, and Check() then names the first record that no longer fits the chain.
//
// A hash chain cannot by itself reveal that its newest records were cut off or that the whole
// chain was recomputed: the log keeps its head (last seq and hash) in memory, Check() compares
// the file with it, and Head() is what a later sealing step signs and publishes.
//
// No record ever carries a 個人番号: Append refuses any field holding a run of exactly twelve
// digits that is a valid 個人番号.
//
// Thread safety: not thread-safe; one CoreRecords per file, used from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::netsim {

enum class CoreRecordKind {
  kTokenRequest,
  kTokenGrant,
  kTokenDenial,
  kPermitRequest,
  kPermitGrant,
  kPermitDenial,
};
// "token-request", "token-grant", ... as stored.
std::string_view CoreRecordKindName(CoreRecordKind kind);
Result<CoreRecordKind> ParseCoreRecordKind(std::string_view name);

struct CoreRecord {
  int64_t seq = 0;  // assigned by Append, from 1
  SimTime time;
  CoreRecordKind kind = CoreRecordKind::kPermitRequest;
  // 処理通番 for permit records; the acquisition number (取得番号) for token records.
  std::string processing_number;
  std::string requester;  // 機関コード
  std::string provider;   // 機関コード; empty for token records
  std::string jm;
  std::string jt;
  std::vector<std::string> tm_items;
  std::string outcome;  // short code of the decision ("issued", "not-permitted"), or empty
  std::string reason;   // for people

  bool operator==(const CoreRecord&) const = default;
};

crypto::Bytes CanonicalCoreRecordBytes(const CoreRecord& record);

struct ChainHead {
  int64_t seq = 0;        // 0: empty log
  crypto::Digest hash{};  // all zero for an empty log
};

// The result of walking the chain.
struct ChainCheck {
  bool intact = true;
  int64_t records = 0;        // rows read
  int64_t first_bad_seq = 0;  // when !intact: the first record that does not fit
  std::string reason;
};

class CoreRecords {
 public:
  // Opens or creates the log at `path` (":memory:" for tests) and reads its head.
  static Result<CoreRecords> Open(const std::string& path, const sql::OpenOptions& options = {});

  // Appends one record in its own transaction; sets record.seq. kInvalidArgument when a field
  // holds a 個人番号 (the message names the field, never the value).
  Status Append(CoreRecord& record);
  // The records with seq in [from, to], in order.
  Result<std::vector<CoreRecord>> Read(int64_t from, int64_t to);
  const ChainHead& Head() const { return head_; }

  // Walks the whole chain: seq continuity from 1, each hash, and the head held in memory.
  Result<ChainCheck> Check();
  // Check() as a Status: kVerifyFailed naming the first bad record.
  Status Verify();

 private:
  explicit CoreRecords(sql::Database db) : db_(std::move(db)) {}
  sql::Database db_;
  ChainHead head_;
};

}  // namespace renkei::netsim
