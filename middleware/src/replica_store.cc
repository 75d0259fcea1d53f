#include "middleware/replica_store.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <utility>

#include "middleware/errors.h"
#include "netsim/crypto.h"
#include "netsim/csv.h"
#include "netsim/identifiers.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::middleware {

namespace sql = netsim::sql;
namespace crypto = netsim::crypto;

namespace {

constexpr std::string_view kDuplicateMessage = "「レコード識別番号」が既に存在しています。";
constexpr size_t kMaxPayload = 1 << 20;
constexpr std::array<std::string_view, 10> kHeader = {
    "record_id",    "integrated_number", "tm",         "dataset_item_code", "record_key",
    "data_version", "publish_from",      "publish_to", "ward_code",         "payload"};

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS data_keys(
  key_id INTEGER PRIMARY KEY,
  wrap_generation INTEGER NOT NULL,  -- bumped by each Rewrap: part of the wrap nonce
  wrapped BLOB NOT NULL,             -- data key sealed by the master key
  next_counter INTEGER NOT NULL);    -- nonce counters below this may have been used: reserved
CREATE TABLE IF NOT EXISTS replicas(
  record_id TEXT PRIMARY KEY,
  integrated_number TEXT NOT NULL,
  tm TEXT NOT NULL,
  dataset_item_code TEXT NOT NULL,
  record_key TEXT NOT NULL,
  data_version INTEGER NOT NULL,
  publish_from TEXT NOT NULL,
  publish_to TEXT NOT NULL,          -- '' = open-ended
  ward_code TEXT NOT NULL,
  key_id INTEGER NOT NULL REFERENCES data_keys(key_id),
  nonce BLOB NOT NULL,
  payload BLOB NOT NULL)             -- AES-256-GCM ciphertext ‖ tag
  WITHOUT ROWID;                     -- one b-tree keyed by record_id, not a rowid table + index
CREATE INDEX IF NOT EXISTS replicas_by_person ON replicas(integrated_number, tm);
)sql";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool ValidRecordId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-'))
      return false;
  }
  return true;
}

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

Status ValidateFieldsButPerson(const ReplicaRecord& r, std::string_view body_lgcode) {
  if (!ValidRecordId(r.record_id)) {
    return Invalid("record_id: 1-64 characters of 0-9, A-Z, a-z, '_' or '-' required");
  }
  if (Status s = netsim::ValidateCode(r.tm, netsim::CodeKind::kDataItem); !s.ok()) {
    return Invalid("tm: " + s.error().message);
  }
  if (r.dataset_item_code.empty() || r.dataset_item_code.size() > 64 ||
      !std::all_of(r.dataset_item_code.begin(), r.dataset_item_code.end(),
                   [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Invalid("dataset_item_code: 1-64 printable ASCII characters without spaces required");
  }
  if (r.record_key.empty() || r.record_key.size() > 256 ||
      std::any_of(r.record_key.begin(), r.record_key.end(),
                  [](char c) { return static_cast<uint8_t>(c) < 0x20 || c == 0x7F; }) ||
      !ValidUtf8(r.record_key)) {
    return Invalid("record_key: 1-256 bytes of UTF-8 without control characters required");
  }
  if (r.data_version < 0) {
    return Invalid("data_version: must be >= 0, got " + std::to_string(r.data_version));
  }
  if (!netsim::IsIsoDate(r.publish_from)) {
    return Invalid("publish_from: a real date as YYYY-MM-DD required, got '" + r.publish_from +
                   "'");
  }
  if (!r.publish_to.empty()) {
    if (!netsim::IsIsoDate(r.publish_to)) {
      return Invalid("publish_to: a real date as YYYY-MM-DD (or empty) required, got '" +
                     r.publish_to + "'");
    }
    if (r.publish_to < r.publish_from) {
      return Invalid("publish_to: " + r.publish_to + " is before publish_from " + r.publish_from);
    }
  }
  if (Status s = netsim::ValidateLgCode(r.ward_code); !s.ok()) {
    return Invalid("ward_code: " + s.error().message);
  }
  // A ward (区) of a designated city carries its own code; it is always in the body's
  // prefecture. A code from another prefecture is a mis-addressed file.
  if (netsim::LgCodePrefecture(r.ward_code) != netsim::LgCodePrefecture(body_lgcode)) {
    return Invalid("ward_code: " + r.ward_code + " is not in the prefecture of body " +
                   std::string(body_lgcode));
  }
  if (r.payload.empty() || r.payload.size() > kMaxPayload) {
    return Invalid("payload: 1 byte to 1 MiB required, got " + std::to_string(r.payload.size()));
  }
  if (!ValidUtf8(r.payload)) return Invalid("payload: not valid UTF-8");
  return OkStatus();
}

Status ValidateRecord(const ReplicaRecord& r, std::string_view body_lgcode) {
  RENKEI_CHECK_OK(ValidateFieldsButPerson(r, body_lgcode));
  if (Status s = netsim::ValidateIntegratedNumber(r.integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  return OkStatus();
}

void PutBe(crypto::Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

crypto::Bytes PayloadNonce(uint32_t key_id, uint64_t counter) {
  crypto::Bytes n;
  n.reserve(crypto::Aes256Gcm::kNonceSize);
  PutBe(n, key_id, 4);
  PutBe(n, counter, 8);
  return n;
}

// "WRAP" ‖ key id ‖ wrap generation: distinct from every payload nonce shape and unique per
// (key, generation), so a master key never sees a nonce twice.
crypto::Bytes WrapNonce(uint32_t key_id, uint32_t generation) {
  crypto::Bytes n = {'W', 'R', 'A', 'P'};
  PutBe(n, key_id, 4);
  PutBe(n, generation, 4);
  return n;
}

std::string PayloadAad(const ReplicaRecord& r) {
  std::string aad;
  aad.reserve(r.record_id.size() + r.integrated_number.size() + r.tm.size() + 2);
  aad.append(r.record_id).push_back('\x1f');
  aad.append(r.integrated_number).push_back('\x1f');
  aad.append(r.tm);
  return aad;
}

}  // namespace

Status ValidateReplicaFields(const ReplicaRecord& record, std::string_view body_lgcode) {
  return ValidateFieldsButPerson(record, body_lgcode);
}

class ReplicaStore::Impl {
 public:
  Impl(sql::Database db, ReplicaStoreOptions options)
      : db_(std::move(db)), options_(std::move(options)) {}

  // Decodes and opens the rows a lookup statement yields (columns as in Lookup).
  Result<std::vector<ReplicaRecord>> ReadRows(sql::Statement& st,
                                              std::string_view integrated_number);

  // Creates or checks the schema and body, and unwraps every data key.
  Status Init() {
    // 64 MiB of page cache (SQLite's default is 2 MiB): bulk imports insert into two b-trees
    // in key order that is not insertion order, and a small cache turns that into page reads.
    if (Status s = db_.Exec("PRAGMA cache_size = -65536"); !s.ok()) return Storage(s.error());
    if (Status s = db_.Exec(kSchema); !s.ok()) return Storage(s.error());
    RENKEI_TRY(sql::Transaction txn, StorageResult(db_.BeginImmediate()));
    {
      RENKEI_TRY(auto st, StorageResult(db_.Cached("SELECT value FROM meta WHERE key = 'lgcode'")));
      RENKEI_TRY(bool row, StorageResult(st->Step()));
      if (row) {
        const std::string stored = st->ColumnText(0);
        if (stored != options_.lgcode) {
          return Invalid("lgcode: the store belongs to body " + stored + ", not " +
                         options_.lgcode);
        }
      } else {
        RENKEI_TRY(auto ins, StorageResult(db_.Cached("INSERT INTO meta VALUES('lgcode', ?)")));
        if (Status s = ins->BindAll(options_.lgcode); !s.ok()) return Storage(s.error());
        if (Status s = ins->Run(); !s.ok()) return Storage(s.error());
        RENKEI_CHECK_OK(AddKey(1));
      }
    }
    RENKEI_TRY(auto st, StorageResult(db_.Cached(
                            "SELECT key_id, wrap_generation, wrapped, next_counter FROM data_keys "
                            "ORDER BY key_id")));
    RENKEI_TRY(auto master,
               CryptoResult(crypto::Aes256Gcm::Create(options_.master_key), "master_key"));
    for (;;) {
      RENKEI_TRY(bool row, StorageResult(st->Step()));
      if (!row) break;
      const auto id = static_cast<uint32_t>(st->ColumnInt(0));
      const auto generation = static_cast<uint32_t>(st->ColumnInt(1));
      auto key =
          master.Open(WrapNonce(id, generation), st->ColumnBlob(2), crypto::AsBytes(WrapAad(id)));
      if (!key.ok()) {
        return MakeError(Errc::kCrypto, "master_key: does not unwrap data key " +
                                            std::to_string(id) +
                                            " (wrong master key, or the key row was altered)");
      }
      RENKEI_TRY(auto cipher, CryptoResult(crypto::Aes256Gcm::Create(*key), "data key"));
      ciphers_.insert_or_assign(id, std::move(cipher));
      current_id_ = id;
      // Everything below the stored value may have sealed a payload that reached the WAL in a
      // transaction a crash cut short: start above it, never reuse.
      next_counter_ = static_cast<uint64_t>(st->ColumnInt(3));
      reserved_until_ = next_counter_;
    }
    if (ciphers_.empty()) return MakeError(Errc::kStorage, "data_keys: the store has no data key");
    return StorageResult(txn.Commit());
  }

  std::string WrapAad(uint32_t id) const {
    return "renkei/replica/data-key/" + options_.lgcode + "/" + std::to_string(id);
  }

  // Inside a transaction: creates data key `id`, stores it wrapped and makes it current.
  Status AddKey(uint32_t id) {
    crypto::Bytes key;
    if (options_.key_seed.empty()) {
      RENKEI_TRY(key, CryptoResult(crypto::RandomBytes(crypto::Aes256Gcm::kKeySize), "data key"));
    } else {
      RENKEI_TRY(auto kdf, CryptoResult(crypto::HmacSha256::Create(options_.key_seed), "key_seed"));
      RENKEI_TRY(crypto::Digest d, CryptoResult(kdf.Mac(crypto::AsBytes(WrapAad(id))), "key_seed"));
      key.assign(d.begin(), d.end());
    }
    RENKEI_TRY(auto master,
               CryptoResult(crypto::Aes256Gcm::Create(options_.master_key), "master_key"));
    RENKEI_TRY(auto wrapped,
               CryptoResult(master.Seal(WrapNonce(id, 0), key, crypto::AsBytes(WrapAad(id))),
                            "wrap data key"));
    RENKEI_TRY(auto st, StorageResult(db_.Cached("INSERT INTO data_keys VALUES(?, 0, ?, 0)")));
    if (Status s = st->Bind(1, static_cast<int64_t>(id)); !s.ok()) return Storage(s.error());
    if (Status s = st->BindBlob(2, wrapped); !s.ok()) return Storage(s.error());
    if (Status s = st->Run(); !s.ok()) return Storage(s.error());
    RENKEI_TRY(auto cipher, CryptoResult(crypto::Aes256Gcm::Create(key), "data key"));
    ciphers_.insert_or_assign(id, std::move(cipher));
    current_id_ = id;
    next_counter_ = 0;
    reserved_until_ = 0;
    return OkStatus();
  }

  // Outside any transaction: makes sure `n` nonce counters are reserved, committing the new
  // reservation in its own transaction before any of them seals a payload. A crash can then
  // only skip counter values (the next Open starts at the reservation), never hand one out
  // twice, even when an uncommitted batch's ciphertexts had already spilled into the WAL.
  Status Reserve(uint64_t n) {
    if (next_counter_ + n <= reserved_until_) return OkStatus();
    const uint64_t until = next_counter_ + std::max<uint64_t>(n, kReserveChunk);
    RENKEI_TRY(sql::Transaction txn, StorageResult(db_.BeginImmediate()));
    {
      RENKEI_TRY(
          auto st,
          StorageResult(db_.Cached("UPDATE data_keys SET next_counter = ? WHERE key_id = ?")));
      if (Status s = st->BindAll(static_cast<int64_t>(until), static_cast<int64_t>(current_id_));
          !s.ok()) {
        return Storage(s.error());
      }
      RENKEI_CHECK_OK(StorageResult(st->Run()));
    }
    RENKEI_CHECK_OK(StorageResult(txn.Commit()));
    reserved_until_ = until;
    return OkStatus();
  }
  static constexpr uint64_t kReserveChunk = 4096;

  // Inside a transaction: validates, seals and inserts one record. kDuplicate / kInvalidInput
  // are row-level refusals; anything else fails the caller's transaction.
  Status Insert(const ReplicaRecord& r) {
    RENKEI_CHECK_OK(ValidateRecord(r, options_.lgcode));
    // The counter moves forward even if this row is refused later: a skipped value is harmless,
    // a reused one is not. Callers reserve before their transaction.
    if (next_counter_ >= reserved_until_) {
      return MakeError(Errc::kStorage, "replica " + r.record_id + ": no nonce counter reserved");
    }
    const crypto::Bytes nonce = PayloadNonce(current_id_, next_counter_++);
    RENKEI_TRY(auto sealed, CryptoResult(ciphers_.at(current_id_)
                                             .Seal(nonce, crypto::AsBytes(r.payload),
                                                   crypto::AsBytes(PayloadAad(r))),
                                         "replica " + r.record_id + ": seal payload"));
    RENKEI_TRY(auto st, StorageResult(db_.Cached(
                            "INSERT INTO replicas VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT(record_id) DO NOTHING")));
    Status bound = st->BindAll(r.record_id, r.integrated_number, r.tm, r.dataset_item_code,
                               r.record_key, r.data_version, r.publish_from, r.publish_to,
                               r.ward_code, static_cast<int64_t>(current_id_));
    if (bound.ok()) bound = st->BindBlob(11, nonce);
    if (bound.ok()) bound = st->BindBlob(12, sealed);
    if (!bound.ok()) return Storage(bound.error());
    if (Status s = st->Run(); !s.ok()) return Storage(s.error());
    if (db_.Changes() == 0) {
      return MakeError(Errc::kDuplicate, std::string(kDuplicateMessage) + " " + r.record_id);
    }
    return OkStatus();
  }

  // Inside a transaction: persists the current key's reservation (rotation keeps it).
  Status SaveCounter() {
    RENKEI_TRY(auto st,
               StorageResult(db_.Cached("UPDATE data_keys SET next_counter = ? WHERE key_id = ?")));
    if (Status s =
            st->BindAll(static_cast<int64_t>(reserved_until_), static_cast<int64_t>(current_id_));
        !s.ok()) {
      return Storage(s.error());
    }
    return StorageResult(st->Run());
  }

  sql::Database db_;
  ReplicaStoreOptions options_;
  std::map<uint32_t, crypto::Aes256Gcm> ciphers_;
  uint32_t current_id_ = 0;
  uint64_t next_counter_ = 0;
  uint64_t reserved_until_ = 0;  // as stored: counters below it may have been used
};

ReplicaStore::ReplicaStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReplicaStore::~ReplicaStore() = default;

Result<std::unique_ptr<ReplicaStore>> ReplicaStore::Open(const std::string& path,
                                                         const ReplicaStoreOptions& options) {
  if (Status s = netsim::ValidateLgCode(options.lgcode); !s.ok()) {
    return Invalid("lgcode: " + s.error().message);
  }
  if (options.master_key.size() != crypto::Aes256Gcm::kKeySize) {
    return Invalid("master_key: must be 32 bytes, got " +
                   std::to_string(options.master_key.size()));
  }
  if (!options.key_seed.empty() && options.key_seed.size() < 32) {
    return Invalid("key_seed: must be empty or at least 32 bytes, got " +
                   std::to_string(options.key_seed.size()));
  }
  auto db = sql::Database::Open(path, options.storage);
  if (!db.ok()) return Storage(db.error());
  auto impl = std::make_unique<Impl>(std::move(db).value(), options);
  RENKEI_CHECK_OK(impl->Init());
  return std::unique_ptr<ReplicaStore>(new ReplicaStore(std::move(impl)));
}

Status ReplicaStore::Register(const ReplicaRecord& record) {
  RENKEI_CHECK_OK(impl_->Reserve(1));
  RENKEI_TRY(sql::Transaction txn, StorageResult(impl_->db_.BeginImmediate()));
  RENKEI_CHECK_OK(impl_->Insert(record));
  return StorageResult(txn.Commit());
}

namespace {

// The columns Impl::ReadRows reads, in its order.
constexpr std::string_view kLookupColumns =
    "SELECT record_id, dataset_item_code, record_key, data_version, publish_from, publish_to, "
    "ward_code, key_id, nonce, payload, tm FROM replicas ";

Status CheckPersonAndDate(std::string_view integrated_number, std::string_view date) {
  if (Status s = netsim::ValidateIntegratedNumber(integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  if (!netsim::IsIsoDate(date)) {
    return Invalid("date: a real date as YYYY-MM-DD required, got '" + std::string(date) + "'");
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<ReplicaRecord>> ReplicaStore::Lookup(std::string_view integrated_number,
                                                        std::string_view tm,
                                                        std::string_view date) {
  if (Status s = netsim::ValidateCode(tm, netsim::CodeKind::kDataItem); !s.ok()) {
    return Invalid("tm: " + s.error().message);
  }
  RENKEI_CHECK_OK(CheckPersonAndDate(integrated_number, date));
  RENKEI_TRY(auto st, StorageResult(impl_->db_.Cached(
                          std::string(kLookupColumns) +
                          "WHERE integrated_number = ?1 AND tm = ?2 AND publish_from <= ?3 "
                          "AND (publish_to = '' OR publish_to >= ?3) "
                          "ORDER BY data_version DESC, record_id")));
  if (Status s = st->BindAll(integrated_number, tm, date); !s.ok()) return Storage(s.error());
  return impl_->ReadRows(*st, integrated_number);
}

Result<std::vector<ReplicaRecord>> ReplicaStore::LookupPerson(std::string_view integrated_number,
                                                              std::string_view date) {
  RENKEI_CHECK_OK(CheckPersonAndDate(integrated_number, date));
  RENKEI_TRY(auto st,
             StorageResult(impl_->db_.Cached(std::string(kLookupColumns) +
                                             "WHERE integrated_number = ?1 AND publish_from <= ?2 "
                                             "AND (publish_to = '' OR publish_to >= ?2) "
                                             "ORDER BY tm, data_version DESC, record_id")));
  if (Status s = st->BindAll(integrated_number, date); !s.ok()) return Storage(s.error());
  return impl_->ReadRows(*st, integrated_number);
}

Result<std::vector<ReplicaRecord>> ReplicaStore::Impl::ReadRows(
    sql::Statement& st, std::string_view integrated_number) {
  std::vector<ReplicaRecord> out;
  for (;;) {
    RENKEI_TRY(bool row, StorageResult(st.Step()));
    if (!row) break;
    ReplicaRecord r;
    r.record_id = st.ColumnText(0);
    r.integrated_number = std::string(integrated_number);
    r.tm = st.ColumnText(10);
    r.dataset_item_code = st.ColumnText(1);
    r.record_key = st.ColumnText(2);
    r.data_version = st.ColumnInt(3);
    r.publish_from = st.ColumnText(4);
    r.publish_to = st.ColumnText(5);
    r.ward_code = st.ColumnText(6);
    const auto key_id = static_cast<uint32_t>(st.ColumnInt(7));
    auto cipher = ciphers_.find(key_id);
    if (cipher == ciphers_.end()) {
      return MakeError(Errc::kCrypto, "replica " + r.record_id +
                                          ": sealed under unknown data key " +
                                          std::to_string(key_id) + " (tampered)");
    }
    auto plain =
        cipher->second.Open(st.ColumnBlob(8), st.ColumnBlob(9), crypto::AsBytes(PayloadAad(r)));
    if (!plain.ok()) {
      return MakeError(Errc::kCrypto,
                       "replica " + r.record_id + ": payload does not open (tampered or moved)");
    }
    r.payload.assign(plain->begin(), plain->end());
    out.push_back(std::move(r));
  }
  return out;
}

Status ReplicaStore::Remove(std::string_view record_id) {
  RENKEI_TRY(sql::Transaction txn, StorageResult(impl_->db_.BeginImmediate()));
  {
    RENKEI_TRY(auto st,
               StorageResult(impl_->db_.Cached("DELETE FROM replicas WHERE record_id = ?")));
    if (Status s = st->BindAll(record_id); !s.ok()) return Storage(s.error());
    if (Status s = st->Run(); !s.ok()) return Storage(s.error());
  }
  if (impl_->db_.Changes() == 0) {
    return MakeError(Errc::kNotFound, "record_id: no record " + std::string(record_id));
  }
  return StorageResult(txn.Commit());
}

Result<uint32_t> ReplicaStore::RotateDataKey() {
  const uint32_t old_id = impl_->current_id_;
  const uint64_t old_counter = impl_->next_counter_;
  const uint64_t old_reserved = impl_->reserved_until_;
  RENKEI_TRY(sql::Transaction txn, StorageResult(impl_->db_.BeginImmediate()));
  Status s = impl_->SaveCounter();
  if (s.ok()) s = impl_->AddKey(old_id + 1);
  if (s.ok()) s = StorageResult(txn.Commit());
  if (!s.ok()) {
    // The new key never reached the file: keep sealing with the old one.
    impl_->ciphers_.erase(old_id + 1);
    impl_->current_id_ = old_id;
    impl_->next_counter_ = old_counter;
    impl_->reserved_until_ = old_reserved;
    return s.error();
  }
  return impl_->current_id_;
}

Status ReplicaStore::Rewrap(const std::vector<uint8_t>& new_master) {
  if (new_master.size() != crypto::Aes256Gcm::kKeySize) {
    return Invalid("master_key: must be 32 bytes, got " + std::to_string(new_master.size()));
  }
  RENKEI_TRY(auto old_master,
             CryptoResult(crypto::Aes256Gcm::Create(impl_->options_.master_key), "master_key"));
  RENKEI_TRY(auto master, CryptoResult(crypto::Aes256Gcm::Create(new_master), "master_key"));
  RENKEI_TRY(sql::Transaction txn, StorageResult(impl_->db_.BeginImmediate()));
  struct Row {
    uint32_t id;
    uint32_t generation;
    crypto::Bytes wrapped;
  };
  std::vector<Row> rows;
  {
    RENKEI_TRY(
        auto st,
        StorageResult(impl_->db_.Cached("SELECT key_id, wrap_generation, wrapped FROM data_keys")));
    for (;;) {
      RENKEI_TRY(bool row, StorageResult(st->Step()));
      if (!row) break;
      rows.push_back({static_cast<uint32_t>(st->ColumnInt(0)),
                      static_cast<uint32_t>(st->ColumnInt(1)), st->ColumnBlob(2)});
    }
  }
  for (const Row& row : rows) {
    const std::string aad = impl_->WrapAad(row.id);
    RENKEI_TRY(auto key, CryptoResult(old_master.Open(WrapNonce(row.id, row.generation),
                                                      row.wrapped, crypto::AsBytes(aad)),
                                      "unwrap data key " + std::to_string(row.id)));
    RENKEI_TRY(auto wrapped, CryptoResult(master.Seal(WrapNonce(row.id, row.generation + 1), key,
                                                      crypto::AsBytes(aad)),
                                          "wrap data key " + std::to_string(row.id)));
    RENKEI_TRY(auto st,
               StorageResult(impl_->db_.Cached(
                   "UPDATE data_keys SET wrap_generation = ?, wrapped = ? WHERE key_id = ?")));
    Status s = st->Bind(1, static_cast<int64_t>(row.generation) + 1);
    if (s.ok()) s = st->BindBlob(2, wrapped);
    if (s.ok()) s = st->Bind(3, static_cast<int64_t>(row.id));
    if (s.ok()) s = st->Run();
    if (!s.ok()) return Storage(s.error());
  }
  RENKEI_CHECK_OK(StorageResult(txn.Commit()));
  impl_->options_.master_key = new_master;
  return OkStatus();
}

uint32_t ReplicaStore::current_key_id() const { return impl_->current_id_; }

Result<int64_t> ReplicaStore::Count() {
  RENKEI_TRY(auto st, StorageResult(impl_->db_.Cached("SELECT COUNT(*) FROM replicas")));
  RENKEI_TRY(bool row, StorageResult(st->Step()));
  if (!row) return MakeError(Errc::kStorage, "count: no row");
  return st->ColumnInt(0);
}

Result<ImportSummary> ReplicaStore::ImportCsv(std::istream& in, std::string_view source_name,
                                              size_t batch_size) {
  const std::string source(source_name);
  if (batch_size == 0) return Invalid(source + ": batch_size must be at least 1");
  netsim::CsvReader reader(in);
  netsim::CsvRecord record;
  std::vector<std::string>& fields = record.fields;
  const Result<bool> header = reader.Next(record);
  if (header.ok() && !*header) return Invalid(source + ": empty file (no header row)");
  if (!header.ok() || !std::ranges::equal(fields, kHeader)) {
    std::string want;
    for (std::string_view h : kHeader) want += (want.empty() ? "" : ",") + std::string(h);
    return Invalid(source + ": line " + std::to_string(record.line) + ": header must be " + want);
  }

  // WAL auto-checkpoints copy the log into the database every ~1,000 pages, so a long import
  // rewrites the same index pages many times. Off for the import, one checkpoint at the end:
  // the WAL grows to about the imported size meanwhile, and readers are unaffected.
  if (Status s = impl_->db_.Exec("PRAGMA wal_autocheckpoint = 0"); !s.ok()) {
    return Storage(s.error());
  }
  struct CheckpointAtEnd {
    sql::Database& db;
    ~CheckpointAtEnd() {
      (void)db.Exec("PRAGMA wal_autocheckpoint = 1000");
      (void)db.Exec("PRAGMA wal_checkpoint(PASSIVE)");
    }
  } checkpoint{impl_->db_};

  ImportSummary summary;
  auto refuse = [&](size_t at, std::string reason) {
    ++summary.rejected;
    summary.rejections.push_back({at, std::move(reason)});
  };
  bool more = true;
  while (more) {
    RENKEI_CHECK_OK(impl_->Reserve(batch_size));
    RENKEI_TRY(sql::Transaction txn, StorageResult(impl_->db_.BeginImmediate()));
    size_t in_batch = 0;
    size_t accepted = 0;
    while (in_batch < batch_size) {
      const Result<bool> read = reader.Next(record);
      if (read.ok() && !*read) {
        more = false;
        break;
      }
      ++in_batch;
      const auto line = static_cast<size_t>(record.line);
      if (!read.ok()) {
        refuse(line, read.error().message);
        continue;
      }
      if (fields.size() != kHeader.size()) {
        refuse(line, "expected " + std::to_string(kHeader.size()) + " columns, got " +
                         std::to_string(fields.size()));
        continue;
      }
      ReplicaRecord r;
      r.record_id = std::move(fields[0]);
      r.integrated_number = std::move(fields[1]);
      r.tm = std::move(fields[2]);
      r.dataset_item_code = std::move(fields[3]);
      r.record_key = std::move(fields[4]);
      const std::string& version = fields[5];
      auto [end, ec] =
          std::from_chars(version.data(), version.data() + version.size(), r.data_version);
      if (version.empty() || ec != std::errc() || end != version.data() + version.size()) {
        refuse(line, "data_version: a decimal integer required, got '" + version + "'");
        continue;
      }
      r.publish_from = std::move(fields[6]);
      r.publish_to = std::move(fields[7]);
      r.ward_code = std::move(fields[8]);
      r.payload = std::move(fields[9]);
      Status s = impl_->Insert(r);
      if (s.ok()) {
        ++accepted;
      } else if (s.error().code == make_error_code(Errc::kInvalidInput) ||
                 s.error().code == make_error_code(Errc::kDuplicate)) {
        refuse(line, s.error().message);
      } else {
        return Error{s.error().code,
                     source + ": line " + std::to_string(line) + ": " + s.error().message};
      }
    }
    RENKEI_CHECK_OK(StorageResult(txn.Commit()));
    summary.accepted += accepted;
  }
  return summary;
}

}  // namespace renkei::middleware
