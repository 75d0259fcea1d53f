// ProvisionLog: one body's 情報提供等記録 (provision log), append-only and tamper-evident.
//
// Every query, answer, refusal, suppression and staff action at a body's intermediate server is
// one ProvisionLogRecord, on the requester or the provider side (domain.md §8). Records live in
// the body's own SQLite file (WAL), tables provision_records, provision_seals, purge_anchor and
// log_meta; the format is fixed by the canonical bytes below so a verifier written elsewhere can
// check the file.
//
// Tamper evidence, two layers:
//  - Hash chain. Each row stores hash = SHA-256(previous hash ‖ CanonicalProvisionRecordBytes),
//    32 zero bytes before record 1 (or the purge anchor's chain hash after a purge). Canonical
//    bytes: "renkei.provision-record.v1", i64 seq, i64 at (µs), then side, event,
//    processing_number, requester, provider, jm, jt as str, u32 count of TM items and each as
//    str, i64 requested_at, u8 has_provided_at and (when 1) i64 provided_at, outcome as str,
//    u8 non_disclosure, u8 self_info_blocked, staff_id and integrated_number as str; integers
//    big-endian, str = u32 length ‖ bytes.
//  - Seals. A seal covers a batch of consecutive records [first_seq, last_seq] and stores the
//    Merkle root of their chain hashes, the chain hash of last_seq, SHA-256 of the previous
//    seal's signature (32 zero bytes for the first seal) and an Ed25519 signature by the body's
//    log key over SealMessage(): "renkei.provision-seal.v1", i64 seal_no, i64 first_seq,
//    i64 last_seq, root, last_hash, prev_sig_hash. The seals form their own chain through
//    prev_sig_hash, so a seal cannot be dropped from the middle either.
//    Merkle tree: leaf = SHA-256(0x00 ‖ record hash), node = SHA-256(0x01 ‖ left ‖ right)
//    (the prefixes keep a leaf from passing as a node, as in RFC 6962). A level with an odd
//    count promotes its last node unchanged to the next level; it is never paired with itself,
//    which would let [a, b, c] and [a, b, c, c] share a root (Bitcoin's CVE-2012-2459).
//
// Sealing never blocks the request path. Append only inserts one row and extends the chain; it
// never signs. SealPending() is a separate call the simulation schedules off the request path
// (an event every simulated minute, or when PendingCount() reaches seal_every). This is the
// X-Road lesson of domain.md §8: its message log froze request handling during batch
// timestamping. Unsealed records are still covered by the chain (and by the in-memory head).
//
// What verification detects. VerifyLog (file and public key only) names the first record that
// was edited, deleted, inserted or reordered anywhere in the chain, and any seal whose root,
// range, chain link or signature is wrong. A deleted tail is detected when it was sealed (the
// last seal names a last_seq that is no longer there). NOT detected from the file alone: the
// records after the last seal being cut off, or the last seals being deleted together with
// every record they cover; nor a chain recomputed after the last seal. An open ProvisionLog's
// Check() catches those too, by comparing the file with the head it holds in memory; across
// restarts, the newest seal's signature must be published elsewhere (the core, an auditor) to
// pin the tail. A whole sealed batch edited and its chain recomputed is caught by its seal,
// which is then named (first_bad_seal) since the seal does not say which leaf changed.
//
// Retention. Purge(cutoff) removes whole sealed batches whose records are all older than the
// cutoff (the caller passes now − 7 years), oldest first, and records the last purged seal in
// the purge anchor (its seq range, root, chain hash, previous-signature hash and signature).
// Verification starts from the anchor: the anchor's seal signature is checked, its chain hash
// seeds the chain and its signature seeds the seal chain. An anchor moved forward to a later
// genuine seal looks like a legitimate purge; VerifyLog reports the anchor so an auditor can
// compare it with the retention period.
//
// No record ever carries a 個人番号: Append refuses any field holding a run of exactly twelve
// digits (ASCII or full-width). Triggers refuse UPDATE, and DELETE except of purged rows, so
// history changes only by editing the file, which the verifier then reports.
//
// Thread safety: not thread-safe; one ProvisionLog per file, used from one thread. VerifyLog
// opens its own read-only connection and may run while the log is being appended to (WAL
// readers see a snapshot).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::middleware {

enum class ProvisionSide { kRequester, kProvider };

// Closed set of what a record reports. Names as stored: "query-sent", "permit-denied", ...
enum class ProvisionEvent {
  kQuerySent,             // requester: query sent with a permit
  kPermitDenied,          // requester: the core refused the permit
  kQueryFailed,           // requester: failed before sending (no token, bad input)
  kAnswerReceived,        // requester: an answer (or "pending manual") came back
  kAnswerRejected,        // requester: an answer failed verification and was discarded
  kAnswered,              // provider: answered automatically
  kRefused,               // provider: refused (bad permit, replay, wrong body)
  kSuppressed,            // provider: 自動応答不可, held for staff review (pending manual)
  kStaffApproved,         // provider: staff sent the answer
  kStaffApprovedPartial,  // provider: staff sent it with items removed
  kStaffRefused,          // provider: staff refused
  kEscalated,             // provider: the review deadline passed; a supervisor must decide
  kExpired,               // provider: the expiry deadline passed without a decision
};

std::string_view ProvisionSideName(ProvisionSide side);
std::string_view ProvisionEventName(ProvisionEvent event);
Result<ProvisionSide> ParseProvisionSide(std::string_view name);
Result<ProvisionEvent> ParseProvisionEvent(std::string_view name);

struct ProvisionLogRecord {
  int64_t seq = 0;  // assigned by Append, from 1
  netsim::SimTime at;
  ProvisionSide side = ProvisionSide::kRequester;
  ProvisionEvent event = ProvisionEvent::kQuerySent;
  std::string processing_number;  // 処理通番
  std::string requester;          // 機関コード
  std::string provider;           // 機関コード
  std::string jm;
  std::string jt;
  std::vector<std::string> tm_items;  // none may be empty or hold a ','
  netsim::SimTime requested_at;
  std::optional<netsim::SimTime> provided_at;
  std::string outcome;             // short code of the result, or empty
  bool non_disclosure = false;     // 不開示
  bool self_info_blocked = false;  // 自己情報提供不可
  std::string staff_id;            // where a person acted
  std::string integrated_number;   // 団体内統合宛名番号 of the person at this body

  bool operator==(const ProvisionLogRecord&) const = default;
};

netsim::crypto::Bytes CanonicalProvisionRecordBytes(const ProvisionLogRecord& record);

// Merkle root of a batch's record hashes (see the header comment); `hashes` must not be empty.
netsim::crypto::Digest ProvisionMerkleRoot(const std::vector<netsim::crypto::Digest>& hashes);

struct ProvisionLogOptions {
  // Records per seal. SealPending(kFullBatches) seals only batches of exactly this size.
  int64_t seal_every = 1000;
  netsim::sql::OpenOptions open;
};

enum class SealMode {
  kFullBatches,  // only complete batches of seal_every records
  kAll,          // also the remaining partial batch (on demand, shutdown, tests)
};

// The result of verifying a log. Tampering is a value here, not an Error: an Error means the
// file could not be checked at all (missing, unreadable, not a provision log).
struct LogCheck {
  bool intact = true;
  int64_t records = 0;         // records present after the purge anchor
  int64_t seals = 0;           // seals present after the purge anchor
  int64_t anchor_seq = 0;      // last purged seq (0: nothing purged)
  int64_t sealed_through = 0;  // last seq covered by a verified seal (or the anchor)
  int64_t first_bad_seq = 0;   // when !intact and a record can be named
  int64_t first_bad_seal = 0;  // when !intact and a seal (or the anchor, -1) is at fault
  std::string reason;
};

class ProvisionLog {
 public:
  // Opens or creates the log at `path` (":memory:" for tests). `log_key` must be Ed25519
  // (kInvalidInput otherwise). Reads the head, the last seal and the pending records.
  static Result<ProvisionLog> Open(const std::string& path,
                                   std::shared_ptr<const netsim::crypto::PrivateKey> log_key,
                                   const ProvisionLogOptions& options = {});

  // Appends one record in its own transaction and sets record.seq. Never signs. kInvalidInput
  // when a field holds a 12-digit run (the message names the field, never the value) or a TM
  // item is empty or holds a ','.
  Status Append(ProvisionLogRecord& record);

  // Seals pending records (see SealMode); returns the number of seals written, each in its own
  // transaction. Call it off the request path.
  Result<int64_t> SealPending(SealMode mode = SealMode::kFullBatches);
  int64_t PendingCount() const { return static_cast<int64_t>(pending_.size()); }

  // Removes whole sealed batches whose records all have `at` < cutoff, oldest first, stopping
  // at the first batch that does not qualify; moves the purge anchor. Returns records removed.
  Result<int64_t> Purge(netsim::SimTime cutoff);

  // Records with seq in [from, to], in order.
  Result<std::vector<ProvisionLogRecord>> Read(int64_t from, int64_t to);
  // Every record about one person, in order, for the citizen view (やりとり履歴). Records with
  // non_disclosure or self_info_blocked are included: the citizen view leaves out the
  // non-disclosure records (自己情報提供不可 hides the person's own data, not the history), so
  // that staff and auditors reading through this call still see the full history.
  Result<std::vector<ProvisionLogRecord>> ForPerson(std::string_view integrated_number);

  // VerifyLog on this connection, plus a comparison with the head held in memory (catches a cut
  // or recomputed tail after the last seal).
  Result<LogCheck> Check();

  int64_t head_seq() const { return head_seq_; }
  int64_t sealed_through() const { return sealed_through_; }

 private:
  ProvisionLog(netsim::sql::Database db, std::shared_ptr<const netsim::crypto::PrivateKey> key,
               ProvisionLogOptions options);
  Status SealBatch(size_t count);

  netsim::sql::Database db_;
  netsim::crypto::Signer signer_;
  std::shared_ptr<const netsim::crypto::PublicKey> public_key_;
  ProvisionLogOptions options_;
  int64_t head_seq_ = 0;
  netsim::crypto::Digest head_hash_{};
  int64_t sealed_through_ = 0;
  int64_t next_seal_no_ = 1;
  netsim::crypto::Digest last_sig_hash_{};
  std::vector<netsim::crypto::Digest> pending_;  // chain hashes of records after sealed_through_
};

// Opens `db_path` read-only and verifies the chain from the purge anchor, every seal (root,
// range, seal chain, signature by `key`) and the anchor's own seal signature. Errors: the file
// is missing or unreadable (storage), or is not a provision log (kInvalidInput).
// Streams the records: memory is one batch of hashes (seal_every digests) plus the seal rows.
Result<LogCheck> VerifyLog(const std::string& db_path, const netsim::crypto::PublicKey& key);

}  // namespace renkei::middleware
