#include "netsim/core_records.h"

#include <array>
#include <boost/json.hpp>
#include <utility>

#include "netsim/canonical.h"
#include "netsim/errors.h"

namespace renkei::netsim {
namespace {

namespace json = boost::json;

constexpr std::string_view kMagic = "renkei.core-record.v1";

constexpr std::array<std::string_view, 6> kKindNames = {
    "token-request",  "token-grant",  "token-denial",
    "permit-request", "permit-grant", "permit-denial",
};

using canonical::PutI64;
using canonical::PutStr;
using canonical::PutU32;

Status RefuseMyNumberShapes(const CoreRecord& r) {
  const std::string_view field =
      canonical::FirstTwelveDigitField({{"processing_number", r.processing_number},
                                        {"requester", r.requester},
                                        {"provider", r.provider},
                                        {"jm", r.jm},
                                        {"jt", r.jt},
                                        {"outcome", r.outcome},
                                        {"reason", r.reason}},
                                       r.tm_items);
  if (field.empty()) return OkStatus();
  return MakeError(Errc::kInvalidArgument, "core record field " + std::string(field) +
                                               " holds a 12-digit run (a 個人番号's shape)");
}

std::string TmToJson(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& item : items) a.emplace_back(item);
  return json::serialize(a);
}

Result<std::vector<std::string>> TmFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !v.is_array()) return MakeError(Errc::kParseError, "tm column is not a JSON array");
  std::vector<std::string> out;
  for (const auto& item : v.get_array()) {
    if (!item.is_string()) return MakeError(Errc::kParseError, "tm column holds a non-string");
    out.emplace_back(item.get_string());
  }
  return out;
}

crypto::Digest ChainHash(const crypto::Digest& prev, const CoreRecord& record) {
  crypto::Bytes buf(prev.begin(), prev.end());
  const crypto::Bytes body = CanonicalCoreRecordBytes(record);
  buf.insert(buf.end(), body.begin(), body.end());
  return crypto::Sha256(buf);
}

constexpr std::string_view kSelectColumns =
    "SELECT seq, time, kind, processing_number, requester, provider, jm, jt, tm, outcome, "
    "reason, hash FROM core_records";

// Reads one row into `out`; the stored hash into `hash`. A row whose kind or tm cannot be read
// is reported through the Result so Check can name it.
Result<CoreRecord> ReadRow(const sql::Statement& st, crypto::Bytes& hash) {
  CoreRecord r;
  r.seq = st.ColumnInt(0);
  r.time = SimTime::FromMicros(st.ColumnInt(1));
  RENKEI_TRY(r.kind, ParseCoreRecordKind(st.ColumnText(2)));
  r.processing_number = st.ColumnText(3);
  r.requester = st.ColumnText(4);
  r.provider = st.ColumnText(5);
  r.jm = st.ColumnText(6);
  r.jt = st.ColumnText(7);
  RENKEI_TRY(r.tm_items, TmFromJson(st.ColumnText(8)));
  r.outcome = st.ColumnText(9);
  r.reason = st.ColumnText(10);
  hash = st.ColumnBlob(11);
  return r;
}

}  // namespace

std::string_view CoreRecordKindName(CoreRecordKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

Result<CoreRecordKind> ParseCoreRecordKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<CoreRecordKind>(i);
  }
  return MakeError(Errc::kParseError, "unknown core record kind \"" + std::string(name) + "\"");
}

crypto::Bytes CanonicalCoreRecordBytes(const CoreRecord& r) {
  crypto::Bytes out;
  out.reserve(192);
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  PutI64(r.seq, out);
  PutI64(r.time.micros(), out);
  PutStr(CoreRecordKindName(r.kind), out);
  PutStr(r.processing_number, out);
  PutStr(r.requester, out);
  PutStr(r.provider, out);
  PutStr(r.jm, out);
  PutStr(r.jt, out);
  PutU32(static_cast<uint32_t>(r.tm_items.size()), out);
  for (const auto& tm : r.tm_items) PutStr(tm, out);
  PutStr(r.outcome, out);
  PutStr(r.reason, out);
  return out;
}

Result<CoreRecords> CoreRecords::Open(const std::string& path, const sql::OpenOptions& options) {
  RENKEI_TRY(auto db, sql::Database::Open(path, options));
  RENKEI_CHECK_OK(
      db.Exec("CREATE TABLE IF NOT EXISTS core_records("
              " seq INTEGER PRIMARY KEY NOT NULL,"
              " time INTEGER NOT NULL,"
              " kind TEXT NOT NULL,"
              " processing_number TEXT NOT NULL,"
              " requester TEXT NOT NULL,"
              " provider TEXT NOT NULL,"
              " jm TEXT NOT NULL,"
              " jt TEXT NOT NULL,"
              " tm TEXT NOT NULL,"
              " outcome TEXT NOT NULL,"
              " reason TEXT NOT NULL,"
              " hash BLOB NOT NULL);"
              "CREATE TRIGGER IF NOT EXISTS core_records_no_update BEFORE UPDATE ON core_records"
              " BEGIN SELECT RAISE(ABORT, 'core records are append-only'); END;"
              "CREATE TRIGGER IF NOT EXISTS core_records_no_delete BEFORE DELETE ON core_records"
              " BEGIN SELECT RAISE(ABORT, 'core records are append-only'); END;"));
  CoreRecords log(std::move(db));
  // The head of an existing file is taken as found: the file is all there is after a restart.
  // Check() still walks the chain up to it.
  {
    RENKEI_TRY(auto st,
               log.db_.Cached("SELECT seq, hash FROM core_records ORDER BY seq DESC LIMIT 1"));
    RENKEI_TRY(const bool row, st->Step());
    if (row) {
      log.head_.seq = st->ColumnInt(0);
      const crypto::Bytes hash = st->ColumnBlob(1);
      if (hash.size() != log.head_.hash.size()) {
        return MakeError(Errc::kStorageError, "core record " + std::to_string(log.head_.seq) +
                                                  " has a hash of the wrong size");
      }
      for (size_t i = 0; i < hash.size(); ++i) log.head_.hash[i] = hash[i];
    }
  }
  return log;
}

Status CoreRecords::Append(CoreRecord& record) {
  RENKEI_CHECK_OK(RefuseMyNumberShapes(record));
  record.seq = head_.seq + 1;
  const crypto::Digest hash = ChainHash(head_.hash, record);
  {
    RENKEI_TRY(auto st, db_.Cached("INSERT INTO core_records(seq, time, kind, processing_number, "
                                   "requester, provider, jm, jt, tm, outcome, reason, hash) "
                                   "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
    RENKEI_CHECK_OK(st->BindAll(record.seq, record.time.micros(), CoreRecordKindName(record.kind),
                                record.processing_number, record.requester, record.provider,
                                record.jm, record.jt, TmToJson(record.tm_items), record.outcome,
                                record.reason));
    RENKEI_CHECK_OK(st->BindBlob(12, hash));
    // One autocommit statement is its own transaction.
    RENKEI_CHECK_OK(st->Run());
  }
  head_.seq = record.seq;
  head_.hash = hash;
  return OkStatus();
}

Result<std::vector<CoreRecord>> CoreRecords::Read(int64_t from, int64_t to) {
  RENKEI_TRY(auto st,
             db_.Cached(std::string(kSelectColumns) + " WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq"));
  RENKEI_CHECK_OK(st->BindAll(from, to));
  std::vector<CoreRecord> out;
  for (;;) {
    RENKEI_TRY(const bool row, st->Step());
    if (!row) break;
    crypto::Bytes hash;
    RENKEI_TRY(auto record, ReadRow(*st, hash));
    out.push_back(std::move(record));
  }
  return out;
}

Result<ChainCheck> CoreRecords::Check() {
  ChainCheck check;
  auto bad = [&check](int64_t seq, std::string reason) {
    check.intact = false;
    check.first_bad_seq = seq;
    check.reason = "core record " + std::to_string(seq) + ": " + std::move(reason);
    return check;
  };
  // A read transaction gives one snapshot of the whole file for the walk.
  RENKEI_TRY(auto txn, db_.BeginRead());
  RENKEI_TRY(auto st, db_.Prepare(std::string(kSelectColumns) + " ORDER BY seq"));
  crypto::Digest prev{};
  int64_t expected = 1;
  for (;;) {
    RENKEI_TRY(const bool row, st.Step());
    if (!row) break;
    ++check.records;
    const int64_t seq = st.ColumnInt(0);
    if (seq < expected) return bad(seq, "sequence number out of order");
    if (seq > expected)
      return bad(expected, "is missing (the next record is " + std::to_string(seq) + ")");
    crypto::Bytes stored;
    auto record = ReadRow(st, stored);
    if (!record.ok()) return bad(seq, record.error().message);
    const crypto::Digest hash = ChainHash(prev, *record);
    if (!crypto::ConstantTimeEqual(hash, stored)) {
      return bad(seq, "hash does not match its contents and predecessor");
    }
    prev = hash;
    ++expected;
  }
  const int64_t last = expected - 1;
  if (last < head_.seq) {
    return bad(last + 1, "is missing: the log's head is record " + std::to_string(head_.seq));
  }
  if (last > head_.seq) {
    return bad(head_.seq + 1, "was added behind the log's head");
  }
  if (last > 0 && !crypto::ConstantTimeEqual(prev, head_.hash)) {
    return bad(last, "the chain was rewritten: its hash differs from the log's head");
  }
  return check;
}

Status CoreRecords::Verify() {
  RENKEI_TRY(const ChainCheck check, Check());
  if (!check.intact) return MakeError(Errc::kVerifyFailed, check.reason);
  return OkStatus();
}

}  // namespace renkei::netsim
