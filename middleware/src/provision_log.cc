#include "middleware/provision_log.h"

#include <algorithm>
#include <array>
#include <utility>

#include "middleware/errors.h"
#include "netsim/canonical.h"

namespace renkei::middleware {
namespace {

namespace crypto = netsim::crypto;
namespace sql = netsim::sql;
using netsim::SimTime;

constexpr std::string_view kFormat = "renkei.provision-log.v1";
constexpr std::string_view kRecordMagic = "renkei.provision-record.v1";
constexpr std::string_view kSealMagic = "renkei.provision-seal.v1";

constexpr std::array<std::string_view, 2> kSideNames = {"requester", "provider"};
constexpr std::array<std::string_view, 13> kEventNames = {
    "query-sent",    "permit-denied", "query-failed", "answer-received", "answer-rejected",
    "answered",      "refused",       "suppressed",   "staff-approved",  "staff-approved-partial",
    "staff-refused", "escalated",     "expired",
};

void PutU8(bool v, crypto::Bytes& out) { netsim::canonical::PutU8(v ? 1 : 0, out); }
void PutDigest(const crypto::Digest& d, crypto::Bytes& out) {
  out.insert(out.end(), d.begin(), d.end());
}
using netsim::canonical::PutI64;
using netsim::canonical::PutStr;
using netsim::canonical::PutU32;

Status ValidateRecord(const ProvisionLogRecord& r) {
  const std::string_view field =
      netsim::canonical::FirstTwelveDigitField({{"processing_number", r.processing_number},
                                                {"requester", r.requester},
                                                {"provider", r.provider},
                                                {"jm", r.jm},
                                                {"jt", r.jt},
                                                {"outcome", r.outcome},
                                                {"staff_id", r.staff_id},
                                                {"integrated_number", r.integrated_number}},
                                               r.tm_items);
  if (!field.empty()) {
    return MakeError(Errc::kInvalidInput, "provision record field " + std::string(field) +
                                              " holds a 12-digit run (a 個人番号's shape)");
  }
  for (const auto& tm : r.tm_items) {
    // Stored comma-joined: an empty item or one with a comma would not read back the same.
    if (tm.empty() || tm.find(',') != std::string::npos) {
      return MakeError(Errc::kInvalidInput, "provision record field tm has an empty item or a ','");
    }
  }
  return OkStatus();
}

std::string JoinTm(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += items[i];
  }
  return out;
}

std::vector<std::string> SplitTm(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.emplace_back(text.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

crypto::Digest ChainHash(const crypto::Digest& prev, const ProvisionLogRecord& record) {
  crypto::Bytes buf(prev.begin(), prev.end());
  const crypto::Bytes body = CanonicalProvisionRecordBytes(record);
  buf.insert(buf.end(), body.begin(), body.end());
  return crypto::Sha256(buf);
}

bool ToDigest(const crypto::Bytes& bytes, crypto::Digest& out) {
  if (bytes.size() != out.size()) return false;
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return true;
}

struct SealFields {
  int64_t seal_no = 0;
  int64_t first_seq = 0;
  int64_t last_seq = 0;
  crypto::Digest root{};
  crypto::Digest last_hash{};
  crypto::Digest prev_sig_hash{};
  crypto::Bytes signature;
};

crypto::Bytes SealMessage(const SealFields& s) {
  crypto::Bytes out;
  out.reserve(kSealMagic.size() + 24 + 96);
  out.insert(out.end(), kSealMagic.begin(), kSealMagic.end());
  PutI64(s.seal_no, out);
  PutI64(s.first_seq, out);
  PutI64(s.last_seq, out);
  PutDigest(s.root, out);
  PutDigest(s.last_hash, out);
  PutDigest(s.prev_sig_hash, out);
  return out;
}

// Reads columns [col, col+6] as seal_no, first_seq, last_seq, root, last_hash, prev_sig_hash,
// signature; false when a digest column has the wrong size.
bool ReadSeal(const sql::Statement& st, int col, SealFields& s) {
  s.seal_no = st.ColumnInt(col);
  s.first_seq = st.ColumnInt(col + 1);
  s.last_seq = st.ColumnInt(col + 2);
  s.signature = st.ColumnBlob(col + 6);
  return ToDigest(st.ColumnBlob(col + 3), s.root) &&
         ToDigest(st.ColumnBlob(col + 4), s.last_hash) &&
         ToDigest(st.ColumnBlob(col + 5), s.prev_sig_hash);
}

constexpr std::string_view kSealColumns =
    "seal_no, first_seq, last_seq, root, last_hash, prev_sig_hash, signature";
constexpr std::string_view kAnchorColumns =
    "seal_no, first_seq, last_seq, root, last_hash, prev_sig_hash, signature";

constexpr std::string_view kSelectColumns =
    "SELECT seq, at, side, event, processing_number, requester, provider, jm, jt, tm, "
    "requested_at, provided_at, outcome, non_disclosure, self_info_blocked, staff_id, "
    "integrated_number, hash FROM provision_records";

Result<ProvisionLogRecord> ReadRow(const sql::Statement& st, crypto::Bytes& hash) {
  ProvisionLogRecord r;
  r.seq = st.ColumnInt(0);
  r.at = SimTime::FromMicros(st.ColumnInt(1));
  RENKEI_TRY(r.side, ParseProvisionSide(st.ColumnText(2)));
  RENKEI_TRY(r.event, ParseProvisionEvent(st.ColumnText(3)));
  r.processing_number = st.ColumnText(4);
  r.requester = st.ColumnText(5);
  r.provider = st.ColumnText(6);
  r.jm = st.ColumnText(7);
  r.jt = st.ColumnText(8);
  r.tm_items = SplitTm(st.ColumnText(9));
  r.requested_at = SimTime::FromMicros(st.ColumnInt(10));
  if (const auto p = st.ColumnOptionalInt(11)) r.provided_at = SimTime::FromMicros(*p);
  r.outcome = st.ColumnText(12);
  r.non_disclosure = st.ColumnInt(13) != 0;
  r.self_info_blocked = st.ColumnInt(14) != 0;
  r.staff_id = st.ColumnText(15);
  r.integrated_number = st.ColumnText(16);
  hash = st.ColumnBlob(17);
  return r;
}

Result<std::vector<ProvisionLogRecord>> ReadAll(sql::Statement& st) {
  std::vector<ProvisionLogRecord> out;
  for (;;) {
    RENKEI_TRY(const bool row, st.Step());
    if (!row) break;
    crypto::Bytes hash;
    RENKEI_TRY(auto record, ReadRow(st, hash));
    out.push_back(std::move(record));
  }
  return out;
}

// The verifier proper, on an open connection, inside one read snapshot.
Result<LogCheck> VerifyDatabase(sql::Database& db, const crypto::Verifier& verifier) {
  {
    auto st = db.Prepare("SELECT value FROM log_meta WHERE key = 'format'");
    if (!st.ok()) return MakeError(Errc::kInvalidInput, "not a provision log (no log_meta)");
    RENKEI_TRY(const bool row, st->Step());
    if (!row || st->ColumnText(0) != kFormat) {
      return MakeError(Errc::kInvalidInput,
                       "not a provision log (format is not " + std::string(kFormat) + ")");
    }
  }
  LogCheck check;
  auto bad_record = [&check](int64_t seq, const std::string& why) {
    check.intact = false;
    check.first_bad_seq = seq;
    check.reason = "provision record " + std::to_string(seq) + ": " + why;
    return check;
  };
  auto bad_seal = [&check](int64_t seal_no, int64_t seq, const std::string& why) {
    check.intact = false;
    check.first_bad_seal = seal_no;
    check.first_bad_seq = seq;
    check.reason = "seal " + std::to_string(seal_no) + ": " + why;
    return check;
  };

  RENKEI_TRY(auto txn, db.BeginRead());
  crypto::Digest prev{};
  crypto::Digest prev_sig_hash{};
  int64_t next_seal_no = 1;
  {
    RENKEI_TRY(auto st, db.Prepare("SELECT " + std::string(kAnchorColumns) +
                                   " FROM purge_anchor WHERE id = 1"));
    RENKEI_TRY(const bool row, st.Step());
    if (row) {
      SealFields anchor;
      if (!ReadSeal(st, 0, anchor) ||
          !verifier.Verify(SealMessage(anchor), anchor.signature).ok()) {
        check.intact = false;
        check.first_bad_seal = -1;
        check.reason = "purge anchor: its seal signature does not verify";
        return check;
      }
      check.anchor_seq = anchor.last_seq;
      check.sealed_through = anchor.last_seq;
      prev = anchor.last_hash;
      prev_sig_hash = crypto::Sha256(anchor.signature);
      next_seal_no = anchor.seal_no + 1;
    }
  }

  // The seals first: their shape (numbering, digest sizes, consecutive ranges) does not depend
  // on the records, and knowing the ranges lets the record walk below check each seal as soon as
  // its batch is read, holding one batch of hashes (seal_every digests), never the whole log.
  std::vector<SealFields> seals;
  {
    RENKEI_TRY(auto st, db.Prepare("SELECT " + std::string(kSealColumns) +
                                   " FROM provision_seals ORDER BY seal_no"));
    int64_t covered = check.anchor_seq;
    for (;;) {
      RENKEI_TRY(const bool row, st.Step());
      if (!row) break;
      SealFields seal;
      const bool sizes_ok = ReadSeal(st, 0, seal);
      const int64_t want = next_seal_no + static_cast<int64_t>(seals.size());
      if (seal.seal_no != want) {
        return bad_seal(want, 0,
                        "is missing (the next seal is " + std::to_string(seal.seal_no) + ")");
      }
      if (!sizes_ok) return bad_seal(seal.seal_no, 0, "a digest has the wrong size");
      if (seal.first_seq != covered + 1 || seal.last_seq < seal.first_seq) {
        return bad_seal(seal.seal_no, 0, "its range does not follow the previous seal");
      }
      covered = seal.last_seq;
      seals.push_back(std::move(seal));
    }
  }

  // The chain, checking seal i when the walk reaches its last record.
  size_t next = 0;
  std::vector<crypto::Digest> batch;
  const int64_t first = check.anchor_seq + 1;
  int64_t expected = first;
  RENKEI_TRY(auto st, db.Prepare(std::string(kSelectColumns) + " ORDER BY seq"));
  for (;;) {
    RENKEI_TRY(const bool row, st.Step());
    if (!row) break;
    const int64_t seq = st.ColumnInt(0);
    if (seq < first) return bad_record(seq, "lies before the purge anchor");
    if (seq > expected) {
      return bad_record(expected, "is missing (the next record is " + std::to_string(seq) + ")");
    }
    crypto::Bytes stored;
    auto record = ReadRow(st, stored);
    if (!record.ok()) return bad_record(seq, record.error().Describe());
    const crypto::Digest hash = ChainHash(prev, *record);
    if (!crypto::ConstantTimeEqual(hash, stored)) {
      return bad_record(seq, "hash does not match its contents and predecessor");
    }
    prev = hash;
    ++expected;
    ++check.records;
    if (next == seals.size()) continue;  // after the last seal: the chain alone covers it
    batch.push_back(hash);
    const SealFields& seal = seals[next];
    if (seq < seal.last_seq) continue;
    if (!crypto::ConstantTimeEqual(seal.prev_sig_hash, prev_sig_hash)) {
      return bad_seal(seal.seal_no, 0, "does not link to the previous seal's signature");
    }
    if (!verifier.Verify(SealMessage(seal), seal.signature).ok()) {
      return bad_seal(seal.seal_no, 0, "signature does not verify");
    }
    if (!crypto::ConstantTimeEqual(ProvisionMerkleRoot(batch), seal.root) ||
        !crypto::ConstantTimeEqual(batch.back(), seal.last_hash)) {
      return bad_seal(seal.seal_no, 0,
                      "records " + std::to_string(seal.first_seq) + "-" +
                          std::to_string(seal.last_seq) +
                          " do not match its Merkle root (the batch was rewritten)");
    }
    prev_sig_hash = crypto::Sha256(seal.signature);
    check.sealed_through = seal.last_seq;
    ++check.seals;
    ++next;
    batch.clear();
  }
  if (next < seals.size()) {
    // A seal whose range runs past the last record: its tail was cut off.
    const int64_t last = expected - 1;
    const SealFields& seal = seals[next];
    return bad_seal(seal.seal_no, last + 1,
                    "covers records up to " + std::to_string(seal.last_seq) +
                        ", but the log ends at " + std::to_string(last) + ": records from " +
                        std::to_string(last + 1) + " were deleted");
  }
  return check;
}

}  // namespace

std::string_view ProvisionSideName(ProvisionSide side) {
  return kSideNames[static_cast<size_t>(side)];
}
std::string_view ProvisionEventName(ProvisionEvent event) {
  return kEventNames[static_cast<size_t>(event)];
}
Result<ProvisionSide> ParseProvisionSide(std::string_view name) {
  for (size_t i = 0; i < kSideNames.size(); ++i) {
    if (kSideNames[i] == name) return static_cast<ProvisionSide>(i);
  }
  return MakeError(Errc::kInvalidInput, "unknown provision side");
}
Result<ProvisionEvent> ParseProvisionEvent(std::string_view name) {
  for (size_t i = 0; i < kEventNames.size(); ++i) {
    if (kEventNames[i] == name) return static_cast<ProvisionEvent>(i);
  }
  return MakeError(Errc::kInvalidInput, "unknown provision event");
}

crypto::Bytes CanonicalProvisionRecordBytes(const ProvisionLogRecord& r) {
  crypto::Bytes out;
  out.reserve(256);
  out.insert(out.end(), kRecordMagic.begin(), kRecordMagic.end());
  PutI64(r.seq, out);
  PutI64(r.at.micros(), out);
  PutStr(ProvisionSideName(r.side), out);
  PutStr(ProvisionEventName(r.event), out);
  PutStr(r.processing_number, out);
  PutStr(r.requester, out);
  PutStr(r.provider, out);
  PutStr(r.jm, out);
  PutStr(r.jt, out);
  PutU32(static_cast<uint32_t>(r.tm_items.size()), out);
  for (const auto& tm : r.tm_items) PutStr(tm, out);
  PutI64(r.requested_at.micros(), out);
  PutU8(r.provided_at.has_value(), out);
  if (r.provided_at) PutI64(r.provided_at->micros(), out);
  PutStr(r.outcome, out);
  PutU8(r.non_disclosure, out);
  PutU8(r.self_info_blocked, out);
  PutStr(r.staff_id, out);
  PutStr(r.integrated_number, out);
  return out;
}

crypto::Digest ProvisionMerkleRoot(const std::vector<crypto::Digest>& hashes) {
  std::vector<crypto::Digest> level;
  level.reserve(hashes.size());
  crypto::Bytes buf;
  for (const auto& h : hashes) {
    buf.assign(1, 0x00);
    buf.insert(buf.end(), h.begin(), h.end());
    level.push_back(crypto::Sha256(buf));
  }
  while (level.size() > 1) {
    std::vector<crypto::Digest> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      buf.assign(1, 0x01);
      buf.insert(buf.end(), level[i].begin(), level[i].end());
      buf.insert(buf.end(), level[i + 1].begin(), level[i + 1].end());
      next.push_back(crypto::Sha256(buf));
    }
    if (level.size() % 2 == 1) next.push_back(level.back());  // promoted, not duplicated
    level = std::move(next);
  }
  return level.empty() ? crypto::Digest{} : level.front();
}

ProvisionLog::ProvisionLog(sql::Database db, std::shared_ptr<const crypto::PrivateKey> key,
                           ProvisionLogOptions options)
    : db_(std::move(db)), signer_(std::move(key)), options_(std::move(options)) {}

Result<ProvisionLog> ProvisionLog::Open(const std::string& path,
                                        std::shared_ptr<const crypto::PrivateKey> log_key,
                                        const ProvisionLogOptions& options) {
  if (!log_key || log_key->type() != crypto::KeyType::kEd25519) {
    return MakeError(Errc::kInvalidInput, "the provision log key must be Ed25519");
  }
  if (options.seal_every < 1) {
    return MakeError(Errc::kInvalidInput, "seal_every must be at least 1");
  }
  RENKEI_TRY(auto public_key, crypto::PublicKey::FromPrivate(*log_key));
  RENKEI_TRY(auto db, sql::Database::Open(path, options.open));
  RENKEI_CHECK_OK(db.Exec(
      "CREATE TABLE IF NOT EXISTS log_meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
      "INSERT OR IGNORE INTO log_meta(key, value) VALUES('format', 'renkei.provision-log.v1');"
      "CREATE TABLE IF NOT EXISTS purge_anchor("
      " id INTEGER PRIMARY KEY CHECK(id = 1),"
      " seal_no INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
      " root BLOB NOT NULL, last_hash BLOB NOT NULL, prev_sig_hash BLOB NOT NULL,"
      " signature BLOB NOT NULL, cutoff INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS provision_records("
      " seq INTEGER PRIMARY KEY NOT NULL,"
      " at INTEGER NOT NULL,"
      " side TEXT NOT NULL,"
      " event TEXT NOT NULL,"
      " processing_number TEXT NOT NULL,"
      " requester TEXT NOT NULL,"
      " provider TEXT NOT NULL,"
      " jm TEXT NOT NULL,"
      " jt TEXT NOT NULL,"
      " tm TEXT NOT NULL,"
      " requested_at INTEGER NOT NULL,"
      " provided_at INTEGER,"
      " outcome TEXT NOT NULL,"
      " non_disclosure INTEGER NOT NULL,"
      " self_info_blocked INTEGER NOT NULL,"
      " staff_id TEXT NOT NULL,"
      " integrated_number TEXT NOT NULL,"
      " hash BLOB NOT NULL);"
      "CREATE INDEX IF NOT EXISTS provision_records_person"
      " ON provision_records(integrated_number, seq);"
      "CREATE TABLE IF NOT EXISTS provision_seals("
      " seal_no INTEGER PRIMARY KEY NOT NULL,"
      " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,"
      " root BLOB NOT NULL, last_hash BLOB NOT NULL, prev_sig_hash BLOB NOT NULL,"
      " signature BLOB NOT NULL);"
      // Append-only: no UPDATE ever, DELETE only of what the purge anchor already covers (Purge
      // moves the anchor first, in the same transaction).
      "CREATE TRIGGER IF NOT EXISTS provision_records_no_update BEFORE UPDATE ON provision_records"
      " BEGIN SELECT RAISE(ABORT, 'provision records are append-only'); END;"
      "CREATE TRIGGER IF NOT EXISTS provision_records_no_delete BEFORE DELETE ON provision_records"
      " WHEN OLD.seq > COALESCE((SELECT last_seq FROM purge_anchor WHERE id = 1), 0)"
      " BEGIN SELECT RAISE(ABORT, 'provision records are append-only'); END;"
      "CREATE TRIGGER IF NOT EXISTS provision_seals_no_update BEFORE UPDATE ON provision_seals"
      " BEGIN SELECT RAISE(ABORT, 'provision seals are append-only'); END;"
      "CREATE TRIGGER IF NOT EXISTS provision_seals_no_delete BEFORE DELETE ON provision_seals"
      " WHEN OLD.last_seq > COALESCE((SELECT last_seq FROM purge_anchor WHERE id = 1), 0)"
      " BEGIN SELECT RAISE(ABORT, 'provision seals are append-only'); END;"
      "CREATE TRIGGER IF NOT EXISTS purge_anchor_forward BEFORE UPDATE ON purge_anchor"
      " WHEN NEW.last_seq <= OLD.last_seq"
      " BEGIN SELECT RAISE(ABORT, 'the purge anchor only moves forward'); END;"
      "CREATE TRIGGER IF NOT EXISTS purge_anchor_no_delete BEFORE DELETE ON purge_anchor"
      " BEGIN SELECT RAISE(ABORT, 'the purge anchor is never deleted'); END;"));
  ProvisionLog log(std::move(db), std::move(log_key), options);
  log.public_key_ = std::move(public_key);

  // State as found in the file: anchor, then the last seal, then the records after it. A file
  // tampered with is still opened; Check() reports what is wrong.
  {
    RENKEI_TRY(auto st, log.db_.Prepare("SELECT " + std::string(kAnchorColumns) +
                                        " FROM purge_anchor WHERE id = 1"));
    RENKEI_TRY(const bool row, st.Step());
    if (row) {
      SealFields anchor;
      if (!ReadSeal(st, 0, anchor)) {
        return MakeError(Errc::kStorage, "the purge anchor has a digest of the wrong size");
      }
      log.sealed_through_ = log.head_seq_ = anchor.last_seq;
      log.head_hash_ = anchor.last_hash;
      log.last_sig_hash_ = crypto::Sha256(anchor.signature);
      log.next_seal_no_ = anchor.seal_no + 1;
    }
  }
  {
    RENKEI_TRY(auto st, log.db_.Prepare("SELECT " + std::string(kSealColumns) +
                                        " FROM provision_seals ORDER BY seal_no DESC LIMIT 1"));
    RENKEI_TRY(const bool row, st.Step());
    if (row) {
      SealFields seal;
      if (!ReadSeal(st, 0, seal)) {
        return MakeError(Errc::kStorage, "the last seal has a digest of the wrong size");
      }
      log.sealed_through_ = seal.last_seq;
      log.last_sig_hash_ = crypto::Sha256(seal.signature);
      log.next_seal_no_ = seal.seal_no + 1;
    }
  }
  {
    RENKEI_TRY(auto st, log.db_.Prepare("SELECT seq, hash FROM provision_records WHERE seq > ?1 "
                                        "ORDER BY seq"));
    RENKEI_CHECK_OK(st.BindAll(log.sealed_through_));
    for (;;) {
      RENKEI_TRY(const bool row, st.Step());
      if (!row) break;
      crypto::Digest hash{};
      if (!ToDigest(st.ColumnBlob(1), hash)) {
        return MakeError(Errc::kStorage, "provision record " + std::to_string(st.ColumnInt(0)) +
                                             " has a hash of the wrong size");
      }
      log.pending_.push_back(hash);
    }
  }
  {
    RENKEI_TRY(auto st, log.db_.Prepare(
                            "SELECT seq, hash FROM provision_records ORDER BY seq DESC LIMIT 1"));
    RENKEI_TRY(const bool row, st.Step());
    if (row) {
      log.head_seq_ = st.ColumnInt(0);
      if (!ToDigest(st.ColumnBlob(1), log.head_hash_)) {
        return MakeError(Errc::kStorage, "provision record " + std::to_string(log.head_seq_) +
                                             " has a hash of the wrong size");
      }
    }
  }
  return log;
}

Status ProvisionLog::Append(ProvisionLogRecord& record) {
  RENKEI_CHECK_OK(ValidateRecord(record));
  record.seq = head_seq_ + 1;
  const crypto::Digest hash = ChainHash(head_hash_, record);
  {
    RENKEI_TRY(auto st,
               db_.Cached("INSERT INTO provision_records(seq, at, side, event, processing_number, "
                          "requester, provider, jm, jt, tm, requested_at, provided_at, outcome, "
                          "non_disclosure, self_info_blocked, staff_id, integrated_number, hash) "
                          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                          "?15, ?16, ?17, ?18)"));
    std::optional<int64_t> provided;
    if (record.provided_at) provided = record.provided_at->micros();
    RENKEI_CHECK_OK(st->BindAll(record.seq, record.at.micros(), ProvisionSideName(record.side),
                                ProvisionEventName(record.event), record.processing_number,
                                record.requester, record.provider, record.jm, record.jt,
                                JoinTm(record.tm_items), record.requested_at.micros(), provided,
                                record.outcome, static_cast<int64_t>(record.non_disclosure),
                                static_cast<int64_t>(record.self_info_blocked), record.staff_id,
                                record.integrated_number));
    RENKEI_CHECK_OK(st->BindBlob(18, hash));
    // One autocommit statement is its own transaction; nothing here signs or waits on a seal.
    RENKEI_CHECK_OK(st->Run());
  }
  head_seq_ = record.seq;
  head_hash_ = hash;
  pending_.push_back(hash);
  return OkStatus();
}

Status ProvisionLog::SealBatch(size_t count) {
  const std::vector<crypto::Digest> batch(pending_.begin(),
                                          pending_.begin() + static_cast<std::ptrdiff_t>(count));
  SealFields seal;
  seal.seal_no = next_seal_no_;
  seal.first_seq = sealed_through_ + 1;
  seal.last_seq = sealed_through_ + static_cast<int64_t>(count);
  seal.root = ProvisionMerkleRoot(batch);
  seal.last_hash = batch.back();
  seal.prev_sig_hash = last_sig_hash_;
  RENKEI_TRY(seal.signature, signer_.Sign(SealMessage(seal)));
  {
    RENKEI_TRY(auto st, db_.Cached("INSERT INTO provision_seals(seal_no, first_seq, last_seq, "
                                   "root, last_hash, prev_sig_hash, signature) "
                                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    RENKEI_CHECK_OK(st->BindAll(seal.seal_no, seal.first_seq, seal.last_seq));
    RENKEI_CHECK_OK(st->BindBlob(4, seal.root));
    RENKEI_CHECK_OK(st->BindBlob(5, seal.last_hash));
    RENKEI_CHECK_OK(st->BindBlob(6, seal.prev_sig_hash));
    RENKEI_CHECK_OK(st->BindBlob(7, seal.signature));
    RENKEI_CHECK_OK(st->Run());
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
  sealed_through_ = seal.last_seq;
  last_sig_hash_ = crypto::Sha256(seal.signature);
  ++next_seal_no_;
  return OkStatus();
}

Result<int64_t> ProvisionLog::SealPending(SealMode mode) {
  const auto n = static_cast<size_t>(options_.seal_every);
  int64_t seals = 0;
  while (pending_.size() >= n || (mode == SealMode::kAll && !pending_.empty())) {
    RENKEI_CHECK_OK(SealBatch(std::min(n, pending_.size())));
    ++seals;
  }
  return seals;
}

Result<int64_t> ProvisionLog::Purge(SimTime cutoff) {
  // The batches that qualify, oldest first, up to the first that does not.
  std::vector<SealFields> purge;
  {
    RENKEI_TRY(auto st,
               db_.Prepare("SELECT " + std::string(kSealColumns) +
                           ", (SELECT MAX(at) FROM provision_records r WHERE r.seq BETWEEN "
                           "s.first_seq AND s.last_seq) FROM provision_seals s ORDER BY seal_no"));
    for (;;) {
      RENKEI_TRY(const bool row, st.Step());
      if (!row) break;
      if (st.IsNull(7) || st.ColumnInt(7) >= cutoff.micros()) break;
      SealFields seal;
      if (!ReadSeal(st, 0, seal)) {
        return MakeError(Errc::kStorage, "seal " + std::to_string(seal.seal_no) +
                                             " has a digest of the wrong size");
      }
      purge.push_back(std::move(seal));
    }
  }
  if (purge.empty()) return int64_t{0};
  const SealFields& last = purge.back();
  RENKEI_TRY(auto txn, db_.BeginImmediate());
  {
    RENKEI_TRY(auto st,
               db_.Prepare("INSERT INTO purge_anchor(id, seal_no, first_seq, last_seq, root, "
                           "last_hash, prev_sig_hash, signature, cutoff) "
                           "VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE "
                           "SET seal_no = excluded.seal_no, first_seq = excluded.first_seq, "
                           "last_seq = excluded.last_seq, root = excluded.root, "
                           "last_hash = excluded.last_hash, prev_sig_hash = "
                           "excluded.prev_sig_hash, signature = excluded.signature, "
                           "cutoff = excluded.cutoff"));
    RENKEI_CHECK_OK(st.BindAll(last.seal_no, last.first_seq, last.last_seq));
    RENKEI_CHECK_OK(st.BindBlob(4, last.root));
    RENKEI_CHECK_OK(st.BindBlob(5, last.last_hash));
    RENKEI_CHECK_OK(st.BindBlob(6, last.prev_sig_hash));
    RENKEI_CHECK_OK(st.BindBlob(7, last.signature));
    RENKEI_CHECK_OK(st.Bind(8, cutoff.micros()));
    RENKEI_CHECK_OK(st.Run());
  }
  int64_t removed = 0;
  {
    RENKEI_TRY(auto st, db_.Prepare("DELETE FROM provision_records WHERE seq <= ?1"));
    RENKEI_CHECK_OK(st.BindAll(last.last_seq));
    RENKEI_CHECK_OK(st.Run());
    removed = db_.Changes();
  }
  {
    RENKEI_TRY(auto st, db_.Prepare("DELETE FROM provision_seals WHERE seal_no <= ?1"));
    RENKEI_CHECK_OK(st.BindAll(last.seal_no));
    RENKEI_CHECK_OK(st.Run());
  }
  RENKEI_CHECK_OK(txn.Commit());
  return removed;
}

Result<std::vector<ProvisionLogRecord>> ProvisionLog::Read(int64_t from, int64_t to) {
  RENKEI_TRY(auto st,
             db_.Cached(std::string(kSelectColumns) + " WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"));
  RENKEI_CHECK_OK(st->BindAll(from, to));
  return ReadAll(*st);
}

Result<std::vector<ProvisionLogRecord>> ProvisionLog::ForPerson(
    std::string_view integrated_number) {
  RENKEI_TRY(auto st, db_.Cached(std::string(kSelectColumns) +
                                 " WHERE integrated_number = ?1 ORDER BY seq"));
  RENKEI_CHECK_OK(st->BindAll(integrated_number));
  return ReadAll(*st);
}

Result<LogCheck> ProvisionLog::Check() {
  const crypto::Verifier verifier(public_key_);
  RENKEI_TRY(LogCheck check, VerifyDatabase(db_, verifier));
  if (!check.intact) return check;
  const int64_t last = check.anchor_seq + check.records;
  auto bad = [&check](int64_t seq, const std::string& why) {
    check.intact = false;
    check.first_bad_seq = seq;
    check.reason = "provision record " + std::to_string(seq) + ": " + why;
    return check;
  };
  if (last < head_seq_) {
    return bad(last + 1, "is missing: the log's head is record " + std::to_string(head_seq_));
  }
  if (last > head_seq_) return bad(head_seq_ + 1, "was added behind the log's head");
  RENKEI_TRY(auto st, db_.Prepare("SELECT hash FROM provision_records WHERE seq = ?1"));
  RENKEI_CHECK_OK(st.BindAll(last));
  RENKEI_TRY(const bool row, st.Step());
  if (row && !crypto::ConstantTimeEqual(st.ColumnBlob(0), head_hash_)) {
    return bad(last, "the chain was rewritten: its hash differs from the log's head");
  }
  return check;
}

Result<LogCheck> VerifyLog(const std::string& db_path, const crypto::PublicKey& key) {
  sql::OpenOptions options;
  options.create = false;
  options.read_only = true;
  auto db = sql::Database::Open(db_path, options);
  if (!db.ok()) {
    return MakeError(Errc::kStorage, "cannot open " + db_path + ": " + db.error().Describe());
  }
  // A non-owning pointer for the Verifier: `key` outlives this call.
  const crypto::Verifier verifier(
      std::shared_ptr<const crypto::PublicKey>(std::shared_ptr<const crypto::PublicKey>(), &key));
  return VerifyDatabase(*db, verifier);
}

}  // namespace renkei::middleware
