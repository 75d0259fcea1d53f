#include "middleware/server_state.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <optional>
#include <type_traits>
#include <utility>

#include "middleware/errors.h"
#include "netsim/json_body.h"

namespace renkei::middleware {

namespace sql = netsim::sql;
namespace crypto = netsim::crypto;
namespace json = boost::json;
using netsim::SimTime;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS acquisitions(
  acquisition_number TEXT PRIMARY KEY,
  integrated_number TEXT NOT NULL,
  state TEXT NOT NULL,                -- pending | acquired | failed
  requested_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS tokens(
  integrated_number TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  acquired_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS queries(
  processing_number TEXT PRIMARY KEY,
  integrated_number TEXT NOT NULL,
  requester TEXT NOT NULL,
  provider TEXT NOT NULL,
  jm TEXT NOT NULL,
  jt TEXT NOT NULL,
  tm_items TEXT NOT NULL,             -- comma-joined
  start_date TEXT NOT NULL,
  end_date TEXT NOT NULL,
  non_disclosure INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  completed_at INTEGER,
  phase TEXT NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL,
  items BLOB NOT NULL,                -- AES-256-GCM sealed JSON array of answer items
  revision INTEGER NOT NULL,
  permit_id TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  batch_id INTEGER NOT NULL,
  batch_line INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS queries_open ON queries(phase) WHERE phase <> 'done';
CREATE INDEX IF NOT EXISTS queries_by_batch ON queries(batch_id, batch_line) WHERE batch_id > 0;
CREATE TABLE IF NOT EXISTS reviews(
  id INTEGER PRIMARY KEY,
  permit_id TEXT NOT NULL UNIQUE,
  processing_number TEXT NOT NULL,
  requester TEXT NOT NULL,
  message_id TEXT NOT NULL,
  jm TEXT NOT NULL,
  jt TEXT NOT NULL,
  tm_items TEXT NOT NULL,
  integrated_number TEXT NOT NULL,
  as_of TEXT NOT NULL,
  non_disclosure INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  escalate_at INTEGER NOT NULL,
  expire_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at INTEGER,
  reason TEXT NOT NULL,
  removed_items TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS reviews_open ON reviews(state)
  WHERE state IN ('pending', 'escalated');
CREATE TABLE IF NOT EXISTS flags(
  integrated_number TEXT NOT NULL,
  tm TEXT NOT NULL,                   -- '' = every item
  kind TEXT NOT NULL,
  set_by TEXT NOT NULL,
  set_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(integrated_number, tm, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent_answers(
  permit_id TEXT PRIMARY KEY,
  requester TEXT NOT NULL,
  query_message_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  envelope BLOB NOT NULL,             -- sealed
  revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sent_queries(
  processing_number TEXT PRIMARY KEY,
  envelope BLOB NOT NULL,             -- sealed
  revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  rejected INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_rejections(
  batch_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY(batch_id, line)) WITHOUT ROWID;
)sql";

constexpr std::array<std::string_view, 4> kPhaseNames = {"awaiting-permit", "awaiting-answer",
                                                         "pending-manual", "done"};
constexpr std::array<std::string_view, 6> kReviewNames = {
    "pending", "escalated", "approved", "approved-partial", "refused", "expired"};
constexpr std::array<std::string_view, 2> kFlagNames = {"suppress-auto-reply", "self-info-blocked"};

template <typename E, size_t N>
Result<E> ParseName(const std::array<std::string_view, N>& names, std::string_view name,
                    std::string_view what) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return MakeError(Errc::kStorage, "server database: unknown " + std::string(what) + " '" +
                                       std::string(name) + "'");
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> Split(std::string_view joined) {
  std::vector<std::string> out;
  if (joined.empty()) return out;
  size_t start = 0;
  while (true) {
    const size_t comma = joined.find(',', start);
    out.emplace_back(joined.substr(start, comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Every row the statement yields, each read by `read` (a Result<T>(sql::Statement&)).
template <typename Read>
auto CollectRows(sql::Statement& st, Read read)
    -> Result<std::vector<typename std::invoke_result_t<Read, sql::Statement&>::value_type>> {
  std::vector<typename std::invoke_result_t<Read, sql::Statement&>::value_type> out;
  while (true) {
    RENKEI_TRY(bool row, StorageResult(st.Step()));
    if (!row) return out;
    RENKEI_TRY(auto value, read(st));
    out.push_back(std::move(value));
  }
}

std::string ItemsJson(const std::vector<AnswerItem>& items) {
  json::array a;
  for (const AnswerItem& item : items) {
    json::array row;
    row.emplace_back(item.tm);
    row.emplace_back(ItemStatusCode(item.status));
    row.emplace_back(item.value);
    a.push_back(std::move(row));
  }
  return json::serialize(a);
}

Result<std::vector<AnswerItem>> ItemsFromJson(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  auto bad = [] { return MakeError(Errc::kStorage, "server database: malformed answer items"); };
  if (ec || !v.is_array()) return bad();
  std::vector<AnswerItem> out;
  for (const json::value& row : v.as_array()) {
    if (!row.is_array() || row.as_array().size() != 3) return bad();
    const json::array& r = row.as_array();
    if (!r[0].is_string() || !r[1].is_string() || !r[2].is_string()) return bad();
    auto status = ParseItemStatus(std::string_view(r[1].as_string()));
    if (!status.ok()) return bad();
    out.push_back(
        AnswerItem{std::string(r[0].as_string()), status.value(), std::string(r[2].as_string())});
  }
  return out;
}

}  // namespace

std::string_view QueryPhaseName(QueryPhase phase) {
  return kPhaseNames[static_cast<size_t>(phase)];
}
std::string_view ReviewStateName(ReviewState state) {
  return kReviewNames[static_cast<size_t>(state)];
}
std::string_view FlagKindName(FlagKind kind) { return kFlagNames[static_cast<size_t>(kind)]; }

class ServerState::Impl {
 public:
  Impl(sql::Database& db, crypto::Aes256Gcm aead, crypto::HmacSha256 nonce_mac)
      : db_(db), aead_(std::move(aead)), nonce_mac_(std::move(nonce_mac)) {}

  // Nonce = first 12 bytes of HMAC(state key, table ‖ 0x1F ‖ row ‖ 0x1F ‖ revision). The
  // revision comes from one counter for the whole database that only grows, so no nonce is
  // used twice, not even for a row deleted and written again under the same key. Callers
  // advance it in the transaction that writes the sealed row.
  Result<int64_t> NextRevision() { return Advance("seal_revision", revision_); }
  Result<int64_t> NextProcessingNumber() {
    return Advance("processing_number", processing_number_);
  }

  // A write that is not part of an open ServerState::Writes gets a transaction of its own.
  Result<std::optional<sql::Transaction>> OwnTransaction() {
    if (writes_open_) return std::optional<sql::Transaction>();
    RENKEI_TRY(sql::Transaction txn, StorageResult(db_.BeginImmediate()));
    return std::optional<sql::Transaction>(std::move(txn));
  }
  static Status CommitOwn(std::optional<sql::Transaction>& txn) {
    if (!txn) return OkStatus();
    return StorageResult(txn->Commit());
  }

  bool writes_open_ = false;

  Result<crypto::Bytes> Seal(std::string_view table, std::string_view row, int64_t revision,
                             crypto::ByteView plain) {
    RENKEI_TRY(crypto::Bytes nonce, Nonce(table, row, revision));
    const std::string aad = std::string(table) + '\x1f' + std::string(row);
    return CryptoResult(aead_.Seal(nonce, plain, crypto::AsBytes(aad)), "server database");
  }
  Result<crypto::Bytes> Open(std::string_view table, std::string_view row, int64_t revision,
                             crypto::ByteView sealed) {
    RENKEI_TRY(crypto::Bytes nonce, Nonce(table, row, revision));
    const std::string aad = std::string(table) + '\x1f' + std::string(row);
    return CryptoResult(aead_.Open(nonce, sealed, crypto::AsBytes(aad)),
                        std::string(table) + " row " + std::string(row));
  }

  sql::Database& db_;

 private:
  Result<crypto::Bytes> Nonce(std::string_view table, std::string_view row, int64_t revision) {
    const std::string input =
        std::string(table) + '\x1f' + std::string(row) + '\x1f' + std::to_string(revision);
    RENKEI_TRY(crypto::Digest mac, CryptoResult(nonce_mac_.Mac(crypto::AsBytes(input)), "nonce"));
    return crypto::Bytes(mac.begin(), mac.begin() + crypto::Aes256Gcm::kNonceSize);
  }
  // A counter as this connection knows it: `stored` is the value it last read or wrote (0: no
  // row), `issued` the highest it handed out, which is ahead of `stored` after a transaction
  // that advanced it rolled back.
  struct Counter {
    std::optional<int64_t> stored;
    int64_t issued = 0;
  };

  // Counters are read once and then written with a compare-and-set: a plain upsert with
  // RETURNING cost about as much as the sealed row it numbered. When the row is not what
  // this connection last wrote (another connection advanced it, or a rollback undid it), it is
  // read again, and the next value is above both the row and anything handed out before, so
  // this process never hands out a value twice. Only a value whose transaction never
  // committed can come again after a restart: nothing numbered with it was kept.
  Result<int64_t> Advance(std::string_view name, Counter& c) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c.stored || attempt > 0) {
        RENKEI_TRY(auto st, StorageResult(db_.Cached("SELECT value FROM counters WHERE name = ?")));
        if (Status s = st->BindAll(name); !s.ok()) return Storage(s.error());
        RENKEI_TRY(bool row, StorageResult(st->Step()));
        c.stored = row ? st->ColumnInt(0) : 0;
      }
      const int64_t next = std::max(*c.stored, c.issued) + 1;
      if (*c.stored == 0) {
        RENKEI_TRY(auto st, StorageResult(db_.Cached(
                                "INSERT INTO counters VALUES(?, ?) ON CONFLICT(name) DO NOTHING")));
        if (Status s = st->BindAll(name, next); !s.ok()) return Storage(s.error());
        RENKEI_CHECK_OK(StorageResult(st->Run()));
      } else {
        RENKEI_TRY(auto st, StorageResult(db_.Cached(
                                "UPDATE counters SET value = ? WHERE name = ? AND value = ?")));
        if (Status s = st->BindAll(next, name, *c.stored); !s.ok()) return Storage(s.error());
        RENKEI_CHECK_OK(StorageResult(st->Run()));
      }
      if (db_.Changes() == 1) {
        c.stored = next;
        c.issued = next;
        return next;
      }
    }
    return MakeError(Errc::kStorage,
                     "server database: counter '" + std::string(name) + "' did not advance");
  }

  crypto::Aes256Gcm aead_;
  crypto::HmacSha256 nonce_mac_;
  Counter revision_;
  Counter processing_number_;
};

ServerState::ServerState(sql::Database& db, std::unique_ptr<Impl> impl)
    : db_(db), impl_(std::move(impl)) {}
ServerState::~ServerState() = default;

ServerState::Writes::Writes(Writes&& o) noexcept
    : txn_(std::move(o.txn_)), open_(std::exchange(o.open_, nullptr)) {}

ServerState::Writes::~Writes() {
  if (open_ != nullptr) *open_ = false;
}

Status ServerState::Writes::Commit() {
  if (open_ == nullptr)
    return MakeError(Errc::kInvalidInput, "server database: writes already ended");
  *std::exchange(open_, nullptr) = false;
  return StorageResult(txn_.Commit());
}

Result<ServerState::Writes> ServerState::BeginWrites() {
  if (impl_->writes_open_) {
    return MakeError(Errc::kInvalidInput, "server database: writes are already open");
  }
  RENKEI_TRY(sql::Transaction txn, StorageResult(db_.BeginImmediate()));
  impl_->writes_open_ = true;
  return Writes(std::move(txn), &impl_->writes_open_);
}

Result<std::unique_ptr<ServerState>> ServerState::Open(sql::Database& db,
                                                       const std::vector<uint8_t>& state_key) {
  if (state_key.size() != 32) return Invalid("server state key: 32 bytes required");
  if (Status s = db.Exec(kSchema); !s.ok()) return Storage(s.error());
  // Separate keys for encryption and nonce derivation, both from the one state key.
  RENKEI_TRY(crypto::HmacSha256 kdf, CryptoResult(crypto::HmacSha256::Create(state_key), "key"));
  RENKEI_TRY(crypto::Digest enc, CryptoResult(kdf.Mac(crypto::AsBytes("encrypt")), "key"));
  RENKEI_TRY(crypto::Digest non, CryptoResult(kdf.Mac(crypto::AsBytes("nonce")), "key"));
  RENKEI_TRY(crypto::Aes256Gcm aead, CryptoResult(crypto::Aes256Gcm::Create(enc), "key"));
  RENKEI_TRY(crypto::HmacSha256 mac, CryptoResult(crypto::HmacSha256::Create(non), "key"));
  return std::unique_ptr<ServerState>(
      new ServerState(db, std::make_unique<Impl>(db, std::move(aead), std::move(mac))));
}

// ---- tokens ----

Status ServerState::ExpectToken(std::string_view acquisition_number,
                                std::string_view integrated_number, SimTime at) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("INSERT INTO acquisitions(acquisition_number, "
                                      "integrated_number, state, requested_at) VALUES(?, ?, "
                                      "'pending', ?) ON CONFLICT(acquisition_number) DO NOTHING")));
  if (Status s = st->BindAll(acquisition_number, integrated_number, at.micros()); !s.ok()) {
    return Storage(s.error());
  }
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  if (db_.Changes() == 1) return OkStatus();
  // Known already: a repeat of the same request is fine, another person under it is not.
  RENKEI_TRY(auto known,
             StorageResult(db_.Cached(
                 "SELECT integrated_number FROM acquisitions WHERE acquisition_number = ?")));
  if (Status s = known->BindAll(acquisition_number); !s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(known->Step()));
  if (known->ColumnText(0) != integrated_number) {
    return Invalid("acquisition_number '" + std::string(acquisition_number) +
                   "' is already expected for another 団体内統合宛名番号");
  }
  return OkStatus();
}

Result<std::string> ServerState::StoreToken(std::string_view acquisition_number,
                                            std::string_view token, SimTime at) {
  RENKEI_TRY(auto txn, impl_->OwnTransaction());
  std::string integrated;
  {
    RENKEI_TRY(auto st,
               StorageResult(db_.Cached(
                   "SELECT integrated_number FROM acquisitions WHERE acquisition_number = ?")));
    if (Status s = st->BindAll(acquisition_number); !s.ok()) return Storage(s.error());
    RENKEI_TRY(bool row, StorageResult(st->Step()));
    if (!row) {
      return MakeError(Errc::kNotFound, "acquisition number '" + std::string(acquisition_number) +
                                            "' was not requested by this body");
    }
    integrated = st->ColumnText(0);
  }
  {
    RENKEI_TRY(auto st,
               StorageResult(db_.Cached("SELECT integrated_number FROM tokens WHERE token = ?")));
    if (Status s = st->BindAll(token); !s.ok()) return Storage(s.error());
    RENKEI_TRY(bool row, StorageResult(st->Step()));
    if (row && st->ColumnText(0) != integrated) {
      return Invalid("token: already held for another 団体内統合宛名番号");
    }
  }
  {
    RENKEI_TRY(auto st,
               StorageResult(db_.Cached(
                   "INSERT INTO tokens VALUES(?, ?, ?) ON CONFLICT(integrated_number) "
                   "DO UPDATE SET token = excluded.token, acquired_at = excluded.acquired_at")));
    if (Status s = st->BindAll(integrated, token, at.micros()); !s.ok()) return Storage(s.error());
    RENKEI_CHECK_OK(StorageResult(st->Run()));
  }
  {
    RENKEI_TRY(auto st,
               StorageResult(db_.Cached("UPDATE acquisitions SET state = 'acquired', reason = '' "
                                        "WHERE acquisition_number = ?")));
    if (Status s = st->BindAll(acquisition_number); !s.ok()) return Storage(s.error());
    RENKEI_CHECK_OK(StorageResult(st->Run()));
  }
  RENKEI_CHECK_OK(Impl::CommitOwn(txn));
  return integrated;
}

Status ServerState::FailToken(std::string_view acquisition_number, std::string_view reason) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("UPDATE acquisitions SET state = 'failed', reason = ? "
                                      "WHERE acquisition_number = ? AND state = 'pending'")));
  if (Status s = st->BindAll(reason, acquisition_number); !s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  if (db_.Changes() == 0) {
    return MakeError(Errc::kNotFound, "acquisition number '" + std::string(acquisition_number) +
                                          "' is not pending at this body");
  }
  return OkStatus();
}

Result<std::optional<std::string>> ServerState::TokenOf(std::string_view integrated_number) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("SELECT token FROM tokens WHERE integrated_number = ?")));
  if (Status s = st->BindAll(integrated_number); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st->ColumnText(0));
}

Result<std::optional<std::string>> ServerState::PersonOfToken(std::string_view token) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("SELECT integrated_number FROM tokens WHERE token = ?")));
  if (Status s = st->BindAll(token); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st->ColumnText(0));
}

Result<int64_t> ServerState::TokenCount() {
  RENKEI_TRY(auto st, StorageResult(db_.Cached("SELECT COUNT(*) FROM tokens")));
  RENKEI_CHECK_OK(StorageResult(st->Step()));
  return st->ColumnInt(0);
}

// ---- queries ----

Result<std::string> ServerState::NextProcessingNumber(std::string_view institution) {
  RENKEI_TRY(auto txn, impl_->OwnTransaction());
  RENKEI_TRY(const int64_t n, impl_->NextProcessingNumber());
  RENKEI_CHECK_OK(Impl::CommitOwn(txn));
  if (n > 9'999'999'999) {
    return MakeError(Errc::kStorage, "処理通番: the 10-digit sequence is exhausted");
  }
  std::string digits = std::to_string(n);
  if (digits.size() < 10) digits.insert(0, 10 - digits.size(), '0');
  return "Q" + std::string(institution) + "-" + digits;
}

namespace {

// The queries columns, in the order PutQuery binds them and ReadQuery reads them.
constexpr const char* kQueryColumns =
    "processing_number, integrated_number, requester, provider, jm, jt, tm_items, start_date, "
    "end_date, non_disclosure, submitted_at, completed_at, phase, status, message, items, "
    "revision, permit_id, attempts, batch_id, batch_line";

// An upsert changes the row in place; INSERT OR REPLACE deleted it and inserted it again,
// with both index entries, on each of a linkage's rewrites. Every column but the key is set
// from the new values.
std::string QueryUpsertSql() {
  std::string sql = std::string("INSERT INTO queries(") + kQueryColumns + ") VALUES(?";
  std::string set;
  std::string_view rest = kQueryColumns;
  rest.remove_prefix(rest.find(", ") + 2);  // the key, processing_number
  while (!rest.empty()) {
    const size_t comma = rest.find(", ");
    const std::string_view column = rest.substr(0, comma);
    sql += ", ?";
    set += (set.empty() ? "" : ", ") + std::string(column) + " = excluded." + std::string(column);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 2);
  }
  return sql + ") ON CONFLICT(processing_number) DO UPDATE SET " + set;
}

}  // namespace

Status ServerState::PutQuery(const QueryState& q) {
  RENKEI_TRY(auto txn, impl_->OwnTransaction());
  // A query without answer items (every phase before the answer) has nothing to hide: it is
  // stored with revision 0 and an empty blob, so two of a linkage's three writes of the row
  // advance no counter and seal nothing, and reading it back opens nothing.
  int64_t revision = 0;
  crypto::Bytes sealed;
  if (!q.items.empty()) {
    RENKEI_TRY(revision, impl_->NextRevision());
    const std::string items = ItemsJson(q.items);
    RENKEI_TRY(sealed,
               impl_->Seal("queries", q.processing_number, revision, crypto::AsBytes(items)));
  }
  static const std::string kUpsert = QueryUpsertSql();
  RENKEI_TRY(auto st, StorageResult(db_.Cached(kUpsert)));
  std::optional<int64_t> completed;
  if (q.completed_at) completed = q.completed_at->micros();
  Status s = st->BindAll(q.processing_number, q.integrated_number, q.requester, q.provider, q.jm,
                         q.jt, Join(q.tm_items), q.start_date, q.end_date,
                         static_cast<int64_t>(q.non_disclosure), q.submitted_at.micros(), completed,
                         QueryPhaseName(q.phase), RecordStatusCode(q.status), q.message);
  if (s.ok()) s = st->BindBlob(16, sealed);
  if (s.ok()) {
    s = st->Bind(17, revision);
  }
  if (s.ok()) s = st->Bind(18, std::string_view(q.permit_id));
  if (s.ok()) s = st->Bind(19, static_cast<int64_t>(q.attempts));
  if (s.ok()) s = st->Bind(20, q.batch_id);
  if (s.ok()) s = st->Bind(21, static_cast<int64_t>(q.batch_line));
  if (!s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return Impl::CommitOwn(txn);
}

namespace {

Result<QueryState> ReadQuery(ServerState::Impl& impl, sql::Statement& st) {
  QueryState q;
  q.processing_number = st.ColumnText(0);
  q.integrated_number = st.ColumnText(1);
  q.requester = st.ColumnText(2);
  q.provider = st.ColumnText(3);
  q.jm = st.ColumnText(4);
  q.jt = st.ColumnText(5);
  q.tm_items = Split(st.ColumnText(6));
  q.start_date = st.ColumnText(7);
  q.end_date = st.ColumnText(8);
  q.non_disclosure = st.ColumnInt(9) != 0;
  q.submitted_at = SimTime::FromMicros(st.ColumnInt(10));
  if (auto c = st.ColumnOptionalInt(11)) q.completed_at = SimTime::FromMicros(*c);
  RENKEI_TRY(q.phase, ParseName<QueryPhase>(kPhaseNames, st.ColumnText(12), "query phase"));
  auto status = ParseRecordStatus(st.ColumnText(13));
  if (!status.ok()) return MakeError(Errc::kStorage, "server database: " + status.error().message);
  q.status = status.value();
  q.message = st.ColumnText(14);
  if (const int64_t revision = st.ColumnInt(16); revision != 0) {
    RENKEI_TRY(crypto::Bytes items,
               impl.Open("queries", q.processing_number, revision, st.ColumnBlob(15)));
    RENKEI_TRY(q.items, ItemsFromJson(std::string_view(reinterpret_cast<const char*>(items.data()),
                                                       items.size())));
  } else if (!st.ColumnBlob(15).empty()) {
    return MakeError(Errc::kStorage, "server database: queries row " + q.processing_number +
                                         " has items but no revision to open them with");
  }
  q.permit_id = st.ColumnText(17);
  q.attempts = static_cast<int>(st.ColumnInt(18));
  q.batch_id = st.ColumnInt(19);
  q.batch_line = static_cast<int>(st.ColumnInt(20));
  return q;
}

}  // namespace

Result<std::optional<QueryState>> ServerState::GetQuery(std::string_view processing_number) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(std::string("SELECT ") + kQueryColumns +
                                               " FROM queries WHERE processing_number = ?")));
  if (Status s = st->BindAll(processing_number); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<QueryState>();
  RENKEI_TRY(QueryState q, ReadQuery(*impl_, *st));
  return std::optional<QueryState>(std::move(q));
}

Result<std::vector<QueryState>> ServerState::OpenQueries() {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(std::string("SELECT ") + kQueryColumns +
                                               " FROM queries WHERE phase <> 'done' "
                                               "ORDER BY processing_number")));
  return CollectRows(*st, [this](sql::Statement& row) { return ReadQuery(*impl_, row); });
}

Result<std::vector<QueryState>> ServerState::BatchQueries(int64_t batch_id) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(std::string("SELECT ") + kQueryColumns +
                                               " FROM queries WHERE batch_id = ? AND "
                                               "batch_id > 0 ORDER BY batch_line")));
  if (Status s = st->BindAll(batch_id); !s.ok()) return Storage(s.error());
  return CollectRows(*st, [this](sql::Statement& row) { return ReadQuery(*impl_, row); });
}

Result<int64_t> ServerState::PurgeQueries(SimTime cutoff) {
  RENKEI_TRY(
      auto st,
      StorageResult(db_.Cached("DELETE FROM queries WHERE phase = 'done' AND completed_at < ?")));
  if (Status s = st->BindAll(cutoff.micros()); !s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return db_.Changes();
}

// ---- reviews ----

namespace {

Status BindReview(sql::Statement& st, const Review& r) {
  std::optional<int64_t> decided;
  if (r.decided_at) decided = r.decided_at->micros();
  return st.BindAll(r.permit_id, r.processing_number, r.requester, r.message_id, r.jm, r.jt,
                    Join(r.tm_items), r.integrated_number, r.as_of,
                    static_cast<int64_t>(r.non_disclosure), r.received_at.micros(),
                    r.escalate_at.micros(), r.expire_at.micros(), ReviewStateName(r.state),
                    r.decided_by, decided, r.reason, Join(r.removed_items));
}

constexpr const char* kReviewColumns =
    "permit_id, processing_number, requester, message_id, jm, jt, tm_items, integrated_number, "
    "as_of, non_disclosure, received_at, escalate_at, expire_at, state, decided_by, decided_at, "
    "reason, removed_items, id";

Result<Review> ReadReview(sql::Statement& st) {
  Review r;
  r.permit_id = st.ColumnText(0);
  r.processing_number = st.ColumnText(1);
  r.requester = st.ColumnText(2);
  r.message_id = st.ColumnText(3);
  r.jm = st.ColumnText(4);
  r.jt = st.ColumnText(5);
  r.tm_items = Split(st.ColumnText(6));
  r.integrated_number = st.ColumnText(7);
  r.as_of = st.ColumnText(8);
  r.non_disclosure = st.ColumnInt(9) != 0;
  r.received_at = SimTime::FromMicros(st.ColumnInt(10));
  r.escalate_at = SimTime::FromMicros(st.ColumnInt(11));
  r.expire_at = SimTime::FromMicros(st.ColumnInt(12));
  RENKEI_TRY(r.state, ParseName<ReviewState>(kReviewNames, st.ColumnText(13), "review state"));
  r.decided_by = st.ColumnText(14);
  if (auto d = st.ColumnOptionalInt(15)) r.decided_at = SimTime::FromMicros(*d);
  r.reason = st.ColumnText(16);
  r.removed_items = Split(st.ColumnText(17));
  r.id = st.ColumnInt(18);
  return r;
}

}  // namespace

Result<int64_t> ServerState::AddReview(const Review& review) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          std::string("INSERT INTO reviews(") + kReviewColumns +
                          ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)")));
  if (Status s = BindReview(*st, review); !s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return db_.LastInsertRowId();
}

Status ServerState::UpdateReview(const Review& review) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          "UPDATE reviews SET permit_id = ?, processing_number = ?, requester = ?, "
                          "message_id = ?, jm = ?, jt = ?, tm_items = ?, integrated_number = ?, "
                          "as_of = ?, non_disclosure = ?, received_at = ?, escalate_at = ?, "
                          "expire_at = ?, state = ?, decided_by = ?, decided_at = ?, reason = ?, "
                          "removed_items = ? WHERE id = ?")));
  Status s = BindReview(*st, review);
  if (s.ok()) s = st->Bind(19, review.id);
  if (!s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  if (db_.Changes() == 0) {
    return MakeError(Errc::kNotFound, "review " + std::to_string(review.id) + " does not exist");
  }
  return OkStatus();
}

Result<std::optional<Review>> ServerState::GetReview(int64_t id) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(std::string("SELECT ") + kReviewColumns +
                                               " FROM reviews WHERE id = ?")));
  if (Status s = st->BindAll(id); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<Review>();
  RENKEI_TRY(Review r, ReadReview(*st));
  return std::optional<Review>(std::move(r));
}

Result<std::vector<Review>> ServerState::OpenReviews() {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(std::string("SELECT ") + kReviewColumns +
                                               " FROM reviews WHERE state IN ('pending', "
                                               "'escalated') ORDER BY id")));
  return CollectRows(*st, ReadReview);
}

// ---- flags ----

Status ServerState::SetFlag(const Flag& f) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("INSERT OR REPLACE INTO flags VALUES(?, ?, ?, ?, ?, ?)")));
  if (Status s = st->BindAll(f.integrated_number, f.tm, FlagKindName(f.kind), f.set_by,
                             f.set_at.micros(), f.reason);
      !s.ok()) {
    return Storage(s.error());
  }
  return StorageResult(st->Run());
}

Status ServerState::ClearFlag(std::string_view integrated_number, std::string_view tm,
                              FlagKind kind) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached(
                 "DELETE FROM flags WHERE integrated_number = ? AND tm = ? AND kind = ?")));
  if (Status s = st->BindAll(integrated_number, tm, FlagKindName(kind)); !s.ok()) {
    return Storage(s.error());
  }
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  if (db_.Changes() == 0) {
    return MakeError(Errc::kNotFound, std::string(FlagKindName(kind)) + " flag is not set for " +
                                          std::string(integrated_number) +
                                          (tm.empty() ? "" : " item " + std::string(tm)));
  }
  return OkStatus();
}

Result<bool> ServerState::HasFlag(std::string_view integrated_number,
                                  const std::vector<std::string>& tm_items, FlagKind kind) {
  RENKEI_TRY(
      auto st,
      StorageResult(db_.Cached("SELECT tm FROM flags WHERE integrated_number = ? AND kind = ?")));
  if (Status s = st->BindAll(integrated_number, FlagKindName(kind)); !s.ok()) {
    return Storage(s.error());
  }
  while (true) {
    RENKEI_TRY(bool row, StorageResult(st->Step()));
    if (!row) return false;
    const std::string tm = st->ColumnText(0);
    if (tm.empty()) return true;
    for (const auto& item : tm_items) {
      if (item == tm) return true;
    }
  }
}

Result<std::vector<Flag>> ServerState::FlagsOf(std::string_view integrated_number) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          "SELECT integrated_number, tm, kind, set_by, set_at, reason FROM flags "
                          "WHERE integrated_number = ? ORDER BY kind, tm")));
  if (Status s = st->BindAll(integrated_number); !s.ok()) return Storage(s.error());
  std::vector<Flag> out;
  while (true) {
    RENKEI_TRY(bool row, StorageResult(st->Step()));
    if (!row) break;
    Flag f;
    f.integrated_number = st->ColumnText(0);
    f.tm = st->ColumnText(1);
    RENKEI_TRY(f.kind, ParseName<FlagKind>(kFlagNames, st->ColumnText(2), "flag kind"));
    f.set_by = st->ColumnText(3);
    f.set_at = SimTime::FromMicros(st->ColumnInt(4));
    f.reason = st->ColumnText(5);
    out.push_back(std::move(f));
  }
  return out;
}

// ---- sent answers ----

Status ServerState::PutSentAnswer(const SentAnswer& a) {
  RENKEI_TRY(auto txn, impl_->OwnTransaction());
  RENKEI_TRY(const int64_t revision, impl_->NextRevision());
  RENKEI_TRY(crypto::Bytes sealed, impl_->Seal("sent_answers", a.permit_id, revision, a.envelope));
  RENKEI_TRY(
      auto st,
      StorageResult(db_.Cached("INSERT OR REPLACE INTO sent_answers VALUES(?, ?, ?, ?, ?, ?)")));
  Status s = st->BindAll(a.permit_id, a.requester, a.query_message_id, a.expires_at.micros());
  if (s.ok()) s = st->BindBlob(5, sealed);
  if (s.ok()) s = st->Bind(6, revision);
  if (!s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return Impl::CommitOwn(txn);
}

Result<std::optional<SentAnswer>> ServerState::GetSentAnswer(std::string_view permit_id) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          "SELECT permit_id, requester, query_message_id, expires_at, envelope, "
                          "revision FROM sent_answers WHERE permit_id = ?")));
  if (Status s = st->BindAll(permit_id); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<SentAnswer>();
  SentAnswer a;
  a.permit_id = st->ColumnText(0);
  a.requester = st->ColumnText(1);
  a.query_message_id = st->ColumnText(2);
  a.expires_at = SimTime::FromMicros(st->ColumnInt(3));
  RENKEI_TRY(a.envelope,
             impl_->Open("sent_answers", a.permit_id, st->ColumnInt(5), st->ColumnBlob(4)));
  return std::optional<SentAnswer>(std::move(a));
}

Result<int64_t> ServerState::PurgeSentAnswers(SimTime cutoff) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached("DELETE FROM sent_answers WHERE expires_at < ?")));
  if (Status s = st->BindAll(cutoff.micros()); !s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return db_.Changes();
}

// ---- sent queries ----

Status ServerState::PutSentQuery(std::string_view processing_number,
                                 const crypto::Bytes& envelope) {
  RENKEI_TRY(auto txn, impl_->OwnTransaction());
  RENKEI_TRY(const int64_t revision, impl_->NextRevision());
  RENKEI_TRY(crypto::Bytes sealed,
             impl_->Seal("sent_queries", processing_number, revision, envelope));
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("INSERT OR REPLACE INTO sent_queries VALUES(?, ?, ?)")));
  Status s = st->Bind(1, processing_number);
  if (s.ok()) s = st->BindBlob(2, sealed);
  if (s.ok()) s = st->Bind(3, revision);
  if (!s.ok()) return Storage(s.error());
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return Impl::CommitOwn(txn);
}

Result<std::optional<crypto::Bytes>> ServerState::GetSentQuery(std::string_view processing_number) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached(
                 "SELECT envelope, revision FROM sent_queries WHERE processing_number = ?")));
  if (Status s = st->BindAll(processing_number); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<crypto::Bytes>();
  RENKEI_TRY(crypto::Bytes plain,
             impl_->Open("sent_queries", processing_number, st->ColumnInt(1), st->ColumnBlob(0)));
  return std::optional<crypto::Bytes>(std::move(plain));
}

Status ServerState::DeleteSentQuery(std::string_view processing_number) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("DELETE FROM sent_queries WHERE processing_number = ?")));
  if (Status s = st->BindAll(processing_number); !s.ok()) return Storage(s.error());
  return StorageResult(st->Run());
}

// ---- batches ----

Result<int64_t> ServerState::AddBatch(const BatchJob& job) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("INSERT INTO batches(source, submitted_at, lines, rejected) "
                                      "VALUES(?, ?, ?, ?)")));
  if (Status s = st->BindAll(job.source, job.submitted_at.micros(), static_cast<int64_t>(job.lines),
                             static_cast<int64_t>(job.rejected));
      !s.ok()) {
    return Storage(s.error());
  }
  RENKEI_CHECK_OK(StorageResult(st->Run()));
  return db_.LastInsertRowId();
}

Result<std::optional<BatchJob>> ServerState::GetBatch(int64_t id) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          "SELECT id, source, submitted_at, lines, rejected FROM batches "
                          "WHERE id = ?")));
  if (Status s = st->BindAll(id); !s.ok()) return Storage(s.error());
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return std::optional<BatchJob>();
  return std::optional<BatchJob>(
      BatchJob{st->ColumnInt(0), st->ColumnText(1), SimTime::FromMicros(st->ColumnInt(2)),
               static_cast<int>(st->ColumnInt(3)), static_cast<int>(st->ColumnInt(4))});
}

Status ServerState::AddBatchRejection(int64_t batch_id, int line, std::string_view message) {
  RENKEI_TRY(auto st,
             StorageResult(db_.Cached("INSERT OR REPLACE INTO batch_rejections VALUES(?, ?, ?)")));
  if (Status s = st->BindAll(batch_id, static_cast<int64_t>(line), message); !s.ok()) {
    return Storage(s.error());
  }
  return StorageResult(st->Run());
}

Result<std::vector<std::pair<int, std::string>>> ServerState::BatchRejections(int64_t batch_id) {
  RENKEI_TRY(auto st, StorageResult(db_.Cached(
                          "SELECT line, message FROM batch_rejections WHERE batch_id = ? "
                          "ORDER BY line")));
  if (Status s = st->BindAll(batch_id); !s.ok()) return Storage(s.error());
  return CollectRows(*st, [](sql::Statement& row) -> Result<std::pair<int, std::string>> {
    return std::pair<int, std::string>(static_cast<int>(row.ColumnInt(0)), row.ColumnText(1));
  });
}

}  // namespace renkei::middleware
