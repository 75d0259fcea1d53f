#include "addressing/addressing_server.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

#include "addressing/errors.h"
#include "addressing/normalize.h"
#include "netsim/identifiers.h"
#include "netsim/rng.h"

namespace renkei::addressing {

namespace sql = netsim::sql;
namespace crypto = netsim::crypto;
using netsim::SimTime;

namespace {

// Integrated-number bodies are 14 digits without a leading zero: 9 × 10^13 of them.
constexpr uint64_t kIntegratedDomain =
    netsim::kIntegratedNumberMaxBody - netsim::kIntegratedNumberMinBody + 1;

Error Storage(const Error& e) { return MakeError(Errc::kStorage, e.message); }

template <typename T>
Result<T> StorageResult(Result<T> r) {
  if (r.ok()) return r;
  return Storage(r.error());
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ValidSystemId(std::string_view id) {
  if (id.empty() || id.size() > 16) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A keyed permutation of [0, 9 × 10^13): a 4-round balanced Feistel network on 48 bits with
// cycle walking. Numbering runs a counter through it, so numbers are unique by construction
// and reveal neither the 個人番号 nor the registration order to someone without the key.
class NumberPermutation {
 public:
  explicit NumberPermutation(const crypto::Digest& key) {
    for (size_t i = 0; i < 4; ++i) {
      uint64_t k = 0;
      for (size_t j = 0; j < 8; ++j) k = (k << 8) | key[i * 8 + j];
      round_keys_[i] = k;
    }
  }
  uint64_t Apply(uint64_t x) const {
    do {
      x = Round(x);
    } while (x >= kIntegratedDomain);
    return x;
  }
  // The inverse: walking the same cycle backwards.
  uint64_t Invert(uint64_t y) const {
    do {
      y = InverseRound(y);
    } while (y >= kIntegratedDomain);
    return y;
  }

 private:
  uint64_t InverseRound(uint64_t y) const {
    constexpr uint64_t kMask = (1ULL << 24) - 1;
    uint64_t left = y >> 24, right = y & kMask;
    for (int i = 3; i >= 0; --i) {
      const uint64_t prev_right = left;
      const uint64_t prev_left = right ^ (Mix64(prev_right ^ round_keys_[i]) & kMask);
      left = prev_left;
      right = prev_right;
    }
    return (left << 24) | right;
  }
  uint64_t Round(uint64_t x) const {
    constexpr uint64_t kMask = (1ULL << 24) - 1;
    uint64_t left = x >> 24, right = x & kMask;
    for (const uint64_t k : round_keys_) {
      const uint64_t next = left ^ (Mix64(right ^ k) & kMask);
      left = right;
      right = next;
    }
    return (left << 24) | right;
  }
  uint64_t round_keys_[4] = {};
};

// Indexes that only searches need. A bulk load drops them and builds them once at the end:
// one sort beats a million random index inserts.
constexpr const char* kSearchIndexes = R"sql(
    CREATE INDEX IF NOT EXISTS persons_by_name ON persons(name_key);
    CREATE INDEX IF NOT EXISTS persons_by_kana ON persons(kana_key);
    CREATE INDEX IF NOT EXISTS persons_by_birth ON persons(birth_date);
)sql";
constexpr const char* kDropSearchIndexes = R"sql(
    DROP INDEX IF EXISTS persons_by_name;
    DROP INDEX IF EXISTS persons_by_kana;
    DROP INDEX IF EXISTS persons_by_birth;
    DROP INDEX IF EXISTS operations_by_person;
)sql";

// The stored lookup key: the first 128 bits of the HMAC. Half the index of the full digest,
// and a collision among even 10^9 persons has probability about 10^-21.
std::span<const uint8_t> IndexKey(const crypto::Digest& digest) { return {digest.data(), 16}; }

std::string FormatAcquisition(std::string_view lgcode, int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "-%010lld", static_cast<long long>(seq));
  return std::string(lgcode) + buf;
}

}  // namespace

std::string_view ResidentStatusName(ResidentStatus s) {
  switch (s) {
    case ResidentStatus::kResident:
      return "resident";
    case ResidentStatus::kMovedOut:
      return "moved-out";
    case ResidentStatus::kDeceased:
      return "deceased";
  }
  return "unknown";
}

Result<ResidentStatus> ParseResidentStatus(std::string_view name) {
  for (const auto s :
       {ResidentStatus::kResident, ResidentStatus::kMovedOut, ResidentStatus::kDeceased}) {
    if (ResidentStatusName(s) == name) return s;
  }
  return MakeError(Errc::kInvalidInput, "status: '" + std::string(name) +
                                            "' is not one of resident, moved-out, deceased");
}

std::string_view TokenStateName(TokenState s) {
  switch (s) {
    case TokenState::kPending:
      return "pending";
    case TokenState::kAcquired:
      return "acquired";
    case TokenState::kFailed:
      return "failed";
  }
  return "unknown";
}

class AddressingServer::Impl {
 public:
  Impl(sql::Database db, AddressingOptions options, const netsim::Clock& clock,
       TokenRequestSink* sink, const crypto::Digest& index_key, crypto::HmacSha256 index_mac,
       crypto::Aes256Gcm seal, const crypto::Digest& numbering_key)
      : index_key_(index_key),
        db_(std::move(db)),
        options_(std::move(options)),
        clock_(clock),
        sink_(sink),
        index_mac_(std::move(index_mac)),
        seal_(std::move(seal)),
        permutation_(numbering_key),
        staff_(db_, clock, options_.staff_policy, netsim::Rng(options_.seed, 0x57A4F),
               AddressingRoles(), RoleBit(Role::kAdministrator), RoleBit(Role::kAuditor)) {}

  Status Init();

  // The server's own preparer for Register, RegisterBatch and RegisterEach.
  RegistrationPreparer& Preparer() {
    if (!preparer_) {
      // The key was accepted by HmacSha256::Create at Open, so this cannot fail but for
      // memory exhaustion inside OpenSSL.
      auto mac = crypto::HmacSha256::Create(index_key_);
      if (!mac.ok()) {
        std::cerr << "renkei: " << mac.error().message << "\n";
        std::abort();
      }
      preparer_.emplace(RegistrationPreparer(std::move(mac).value()));
    }
    return *preparer_;
  }

  crypto::Digest index_key_;
  std::optional<RegistrationPreparer> preparer_;
  sql::Database db_;
  AddressingOptions options_;
  const netsim::Clock& clock_;
  TokenRequestSink* sink_;
  crypto::HmacSha256 index_mac_;
  crypto::Aes256Gcm seal_;
  NumberPermutation permutation_;
  StaffDirectory staff_;

  // Statements on the registration path, prepared once: bulk registration runs them a
  // million times.
  std::optional<sql::Statement> find_by_digest_, insert_person_, insert_link_, find_link_,
      insert_operation_, get_meta_, set_meta_, check_system_;

  Result<int64_t> GetMeta(std::string_view key);
  Status SetMeta(std::string_view key, int64_t value);
  Status RecordOp(std::string_view staff_id, std::string_view action,
                  std::string_view integrated_number, std::string_view detail);
  Result<bool> SystemExists(std::string_view id);
  Result<crypto::Digest> MyNumberDigest(std::string_view my_number);
  // What one registration transaction carries from item to item: counters read once at the
  // start and written once before commit, systems already known to exist, requests to send.
  struct Batch {
    int64_t person_counter = 0;
    int64_t acquisition_seq = 0;
    std::vector<std::string> known_systems;
    std::vector<TokenRequest> emitted;
  };
  Result<Batch> BeginBatch();
  Status FinishBatch(const Batch& batch);
  Result<RegistrationOutcome> RegisterOne(const Session& s, const PreparedRegistration& p,
                                          Batch& batch);
  // Runs prepared items in one transaction; domain refusals per item, storage errors abort.
  Result<std::vector<Result<RegistrationOutcome>>> RegisterAll(
      const Session& s, std::span<PreparedRegistration> batch, bool all_or_nothing);
  Result<std::optional<int64_t>> PersonIdByNumber(std::string_view integrated_number);
  // PersonIdByNumber, with an unknown number as kNotFound.
  Result<int64_t> RequirePersonId(std::string_view integrated_number) {
    RENKEI_TRY(auto id, PersonIdByNumber(integrated_number));
    if (!id) {
      return MakeError(Errc::kNotFound, "integrated_number: " + std::string(integrated_number) +
                                            " is not registered");
    }
    return *id;
  }
  // "<lgcode>-<10 digits>" issued by this body → its sequence number.
  Result<int64_t> ParseAcquisition(std::string_view acquisition_number) const {
    const std::string prefix = options_.lgcode + "-";
    const std::string_view digits =
        acquisition_number.substr(std::min(prefix.size(), acquisition_number.size()));
    if (acquisition_number.substr(0, prefix.size()) != prefix || digits.size() != 10 ||
        !AllDigits(digits)) {
      return MakeError(Errc::kNotFound, "acquisition_number: '" + std::string(acquisition_number) +
                                            "' was not issued by this body (expected " + prefix +
                                            "<10 digits>)");
    }
    return std::stoll(std::string(digits));
  }
  Result<PersonRecord> LoadPerson(int64_t person_id);
  void Deliver(const std::vector<TokenRequest>& requests) {
    if (sink_ == nullptr) return;
    for (const auto& r : requests) sink_->OnTokenRequest(r);
  }
};

Status AddressingServer::Impl::Init() {
  // Tuned on bulk registration of 1,000,000 residents (docs/performance.md): a page cache
  // and memory map that hold a large body's whole file (SQLite allocates both lazily),
  // checkpoints every 512 MiB of WAL rather than every 4 MiB, and two sorter threads for rebuilding
  // the search indexes after a bulk load.
  Status s = db_.Exec(R"sql(
    PRAGMA cache_size = -1048576;
    PRAGMA mmap_size = 2147483648;
    PRAGMA wal_autocheckpoint = 131072;
    PRAGMA threads = 2;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS business_systems (
      id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS persons (
      id INTEGER PRIMARY KEY,
      integrated_number INTEGER NOT NULL,
      mynumber_digest BLOB NOT NULL UNIQUE,
      mynumber_sealed BLOB NOT NULL,
      name TEXT NOT NULL, name_kana TEXT NOT NULL, sex INTEGER NOT NULL,
      birth_date TEXT NOT NULL, address TEXT NOT NULL,
      name_key TEXT NOT NULL, kana_key TEXT NOT NULL, address_key TEXT NOT NULL,
      status INTEGER NOT NULL DEFAULT 1, status_date TEXT NOT NULL DEFAULT '',
      acquisition_seq INTEGER NOT NULL UNIQUE,
      token_state INTEGER NOT NULL DEFAULT 1);
    CREATE INDEX IF NOT EXISTS persons_pending_token ON persons(id) WHERE token_state = 1;
    CREATE TABLE IF NOT EXISTS links (
      system_id TEXT NOT NULL REFERENCES business_systems(id),
      atena_number TEXT NOT NULL,
      person_id INTEGER NOT NULL REFERENCES persons(id),
      PRIMARY KEY (system_id, atena_number)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS links_by_person ON links(person_id);
    CREATE TABLE IF NOT EXISTS status_history (
      person_id INTEGER NOT NULL REFERENCES persons(id),
      status INTEGER NOT NULL, effective_date TEXT NOT NULL, recorded_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS status_history_by_person ON status_history(person_id);
  )sql");
  if (!s.ok()) return Storage(s.error());
  // Also restores search indexes that a bulk load dropped and did not get to rebuild.
  if (Status idx = db_.Exec(kSearchIndexes); !idx.ok()) return Storage(idx.error());
  RENKEI_CHECK_OK(staff_.Init());
  auto prep = [&](std::optional<sql::Statement>& slot, std::string_view text) -> Status {
    auto st = db_.Prepare(text);
    if (!st.ok()) return Storage(st.error());
    slot.emplace(std::move(st).value());
    return OkStatus();
  };
  RENKEI_CHECK_OK(prep(find_by_digest_,
                       "SELECT id, integrated_number, name_key, kana_key, sex, "
                       "birth_date, address_key FROM persons WHERE "
                       "mynumber_digest = ?"));
  RENKEI_CHECK_OK(prep(insert_person_,
                       "INSERT INTO persons(id, integrated_number, mynumber_digest, "
                       "mynumber_sealed, name, name_kana, sex, birth_date, address, name_key, "
                       "kana_key, address_key, acquisition_seq) "
                       "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  RENKEI_CHECK_OK(
      prep(insert_link_, "INSERT INTO links(system_id, atena_number, person_id) VALUES(?, ?, ?)"));
  RENKEI_CHECK_OK(prep(find_link_,
                       "SELECT person_id FROM links WHERE system_id = ? AND "
                       "atena_number = ?"));
  RENKEI_CHECK_OK(prep(insert_operation_,
                       "INSERT INTO operations(at, staff_id, action, integrated_number, detail, "
                       "allowed) VALUES(?, ?, ?, ?, ?, 1)"));
  RENKEI_CHECK_OK(prep(get_meta_, "SELECT value FROM meta WHERE key = ?"));
  RENKEI_CHECK_OK(prep(set_meta_,
                       "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) "
                       "DO UPDATE SET value = excluded.value"));
  RENKEI_CHECK_OK(prep(check_system_, "SELECT 1 FROM business_systems WHERE id = ?"));
  return OkStatus();
}

Result<int64_t> AddressingServer::Impl::GetMeta(std::string_view key) {
  RENKEI_CHECK_OK(get_meta_->Bind(1, key));
  auto row = get_meta_->Step();
  if (!row.ok()) return Storage(row.error());
  const int64_t v = row.value() ? get_meta_->ColumnInt(0) : 0;
  get_meta_->Reset();
  return v;
}

Status AddressingServer::Impl::SetMeta(std::string_view key, int64_t value) {
  RENKEI_CHECK_OK(set_meta_->BindAll(key, value));
  if (Status s = set_meta_->Run(); !s.ok()) return Storage(s.error());
  return OkStatus();
}

Status AddressingServer::Impl::RecordOp(std::string_view staff_id, std::string_view action,
                                        std::string_view integrated_number,
                                        std::string_view detail) {
  RENKEI_CHECK_OK(insert_operation_->BindAll(clock_.Now().micros(), staff_id, action,
                                             integrated_number, detail));
  if (Status s = insert_operation_->Run(); !s.ok()) return Storage(s.error());
  return OkStatus();
}

Result<bool> AddressingServer::Impl::SystemExists(std::string_view id) {
  RENKEI_CHECK_OK(check_system_->Bind(1, id));
  auto row = check_system_->Step();
  check_system_->Reset();
  if (!row.ok()) return Storage(row.error());
  return row.value();
}

Result<crypto::Digest> AddressingServer::Impl::MyNumberDigest(std::string_view my_number) {
  return index_mac_.Mac(crypto::AsBytes(my_number));
}

Result<std::optional<int64_t>> AddressingServer::Impl::PersonIdByNumber(
    std::string_view integrated_number) {
  // Numbers are the permutation of the person id, so the id is computed, not looked up: the
  // persons table needs no index on a random-valued column. The stored number is compared
  // too, which also catches a database opened with another body's key.
  if (!netsim::ValidateIntegratedNumber(integrated_number).ok()) return std::optional<int64_t>();
  const uint64_t body = std::stoull(std::string(integrated_number.substr(0, 14)));
  const int64_t id =
      static_cast<int64_t>(permutation_.Invert(body - netsim::kIntegratedNumberMinBody)) + 1;
  RENKEI_TRY(
      sql::StatementLease st,
      StorageResult(db_.Cached("SELECT id FROM persons WHERE id = ? AND integrated_number = ?")));
  RENKEI_CHECK_OK(st->Bind(1, id));
  RENKEI_CHECK_OK(st->Bind(2, integrated_number));
  auto row = st->Step();
  if (!row.ok()) return Storage(row.error());
  if (!row.value()) return std::optional<int64_t>();
  return std::optional<int64_t>(st->ColumnInt(0));
}

Result<PersonRecord> AddressingServer::Impl::LoadPerson(int64_t person_id) {
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(db_.Cached(
                 "SELECT integrated_number, name, name_kana, sex, birth_date, address, status, "
                 "status_date, token_state, acquisition_seq FROM persons WHERE id = ?")));
  RENKEI_CHECK_OK(st->Bind(1, person_id));
  auto row = st->Step();
  if (!row.ok()) return Storage(row.error());
  if (!row.value()) return MakeError(Errc::kNotFound, "person: no such record");
  PersonRecord p;
  p.integrated_number = st->ColumnText(0);
  p.four_info.name = st->ColumnText(1);
  p.four_info.name_kana = st->ColumnText(2);
  p.four_info.sex = static_cast<Sex>(st->ColumnInt(3));
  p.four_info.birth_date = st->ColumnText(4);
  p.four_info.address = st->ColumnText(5);
  p.status = static_cast<ResidentStatus>(st->ColumnInt(6));
  p.status_date = st->ColumnText(7);
  p.token_state = static_cast<TokenState>(st->ColumnInt(8));
  p.acquisition_number = FormatAcquisition(options_.lgcode, st->ColumnInt(9));

  RENKEI_TRY(sql::StatementLease links,
             StorageResult(db_.Cached("SELECT system_id, atena_number FROM links WHERE "
                                      "person_id = ? ORDER BY system_id, atena_number")));
  RENKEI_CHECK_OK(links->Bind(1, person_id));
  for (;;) {
    auto r = links->Step();
    if (!r.ok()) return Storage(r.error());
    if (!r.value()) break;
    p.links.push_back(Link{links->ColumnText(0), links->ColumnText(1)});
  }
  RENKEI_TRY(sql::StatementLease hist,
             StorageResult(db_.Cached("SELECT status, effective_date, recorded_at FROM "
                                      "status_history WHERE person_id = ? ORDER BY rowid")));
  RENKEI_CHECK_OK(hist->Bind(1, person_id));
  for (;;) {
    auto r = hist->Step();
    if (!r.ok()) return Storage(r.error());
    if (!r.value()) break;
    p.status_history.push_back(StatusChange{static_cast<ResidentStatus>(hist->ColumnInt(0)),
                                            hist->ColumnText(1),
                                            SimTime::FromMicros(hist->ColumnInt(2))});
  }
  return p;
}

Result<AddressingServer::Impl::Batch> AddressingServer::Impl::BeginBatch() {
  Batch b;
  RENKEI_TRY(b.person_counter, GetMeta("person_counter"));
  RENKEI_TRY(b.acquisition_seq, GetMeta("acquisition_seq"));
  return b;
}

Status AddressingServer::Impl::FinishBatch(const Batch& batch) {
  RENKEI_CHECK_OK(SetMeta("person_counter", batch.person_counter));
  return SetMeta("acquisition_seq", batch.acquisition_seq);
}

Result<RegistrationOutcome> AddressingServer::Impl::RegisterOne(const Session& s,
                                                                const PreparedRegistration& p,
                                                                Batch& batch) {
  const Registration& r = p.registration;
  const NormalizedFourInfo& norm = p.norm;
  const crypto::Digest& digest = p.digest;
  if (std::find(batch.known_systems.begin(), batch.known_systems.end(), r.system_id) ==
      batch.known_systems.end()) {
    RENKEI_TRY(bool system_known, SystemExists(r.system_id));
    if (!system_known) {
      return MakeError(Errc::kUnknownBusinessSystem,
                       "system_id: '" + r.system_id + "' is not a registered business system");
    }
    batch.known_systems.push_back(r.system_id);
  }

  // Is this 宛名番号 already linked?
  RENKEI_CHECK_OK(
      find_link_->BindAll(std::string_view(r.system_id), std::string_view(r.atena_number)));
  auto link_row = find_link_->Step();
  if (!link_row.ok()) return Storage(link_row.error());
  // A flag and a plain id, not std::optional: GCC 12 at -O2 falsely reports the optional's
  // payload as maybe-uninitialized where it is compared below.
  const bool linked = link_row.value();
  const int64_t linked_person = linked ? find_link_->ColumnInt(0) : 0;
  find_link_->Reset();

  RENKEI_CHECK_OK(find_by_digest_->BindBlob(1, IndexKey(digest)));
  auto row = find_by_digest_->Step();
  if (!row.ok()) return Storage(row.error());
  if (row.value()) {
    const int64_t person_id = find_by_digest_->ColumnInt(0);
    RegistrationOutcome out;
    out.integrated_number = find_by_digest_->ColumnText(1);
    NormalizedFourInfo stored;
    stored.name = find_by_digest_->ColumnText(2);
    stored.name_kana = find_by_digest_->ColumnText(3);
    stored.sex = static_cast<Sex>(find_by_digest_->ColumnInt(4));
    stored.birth_date = find_by_digest_->ColumnText(5);
    stored.address = find_by_digest_->ColumnText(6);
    find_by_digest_->Reset();
    // The same 個人番号 must describe the same person. Addresses change on moves and are
    // updated through UpdateFourInfo, so only name, kana, sex and birth date must agree.
    std::string differs;
    auto note = [&](bool same, const char* field) {
      if (!same) differs += differs.empty() ? field : std::string(", ") + field;
    };
    note(stored.name == norm.name, "name");
    note(stored.name_kana == norm.name_kana, "name_kana");
    note(stored.sex == norm.sex, "sex");
    note(stored.birth_date == norm.birth_date, "birth_date");
    if (!differs.empty()) {
      return MakeError(Errc::kConflict, "my_number: already registered (統合宛名番号 " +
                                            out.integrated_number +
                                            ") with different 4 information (" + differs + ")");
    }
    if (linked) {
      if (linked_person != person_id) {
        return MakeError(Errc::kDuplicateLink, "atena_number: " + r.system_id + " " +
                                                   r.atena_number +
                                                   " is already linked to another person");
      }
      return out;  // an exact repeat: nothing to do
    }
    RENKEI_CHECK_OK(insert_link_->BindAll(std::string_view(r.system_id),
                                          std::string_view(r.atena_number), person_id));
    if (Status st = insert_link_->Run(); !st.ok()) return Storage(st.error());
    RENKEI_CHECK_OK(RecordOp(s.staff_id, "link", out.integrated_number, r.system_id));
    out.link_added = true;
    return out;
  }
  find_by_digest_->Reset();
  if (linked) {
    return MakeError(Errc::kDuplicateLink, "atena_number: " + r.system_id + " " + r.atena_number +
                                               " is already linked to another person");
  }

  const int64_t counter = batch.person_counter;
  const int64_t acq_seq = batch.acquisition_seq;
  const int64_t person_id = counter + 1;
  const std::string integrated = netsim::MakeIntegratedNumber(
      netsim::kIntegratedNumberMinBody + permutation_.Apply(static_cast<uint64_t>(counter)));
  const std::string acquisition = FormatAcquisition(options_.lgcode, acq_seq + 1);
  // The nonce is the person id: each person is sealed once under this key, so it never
  // repeats, and the database stays byte-identical for a seed.
  std::array<uint8_t, crypto::Aes256Gcm::kNonceSize> nonce{};
  for (size_t i = 0; i < 8; ++i) nonce[11 - i] = static_cast<uint8_t>(person_id >> (8 * i));
  RENKEI_TRY(crypto::Bytes sealed,
             seal_.Seal(nonce, crypto::AsBytes(r.my_number), crypto::AsBytes(integrated)));

  sql::Statement& ins = *insert_person_;
  RENKEI_CHECK_OK(ins.Bind(1, person_id));
  RENKEI_CHECK_OK(ins.Bind(2, std::string_view(integrated)));
  RENKEI_CHECK_OK(ins.BindBlob(3, IndexKey(digest)));
  RENKEI_CHECK_OK(ins.BindBlob(4, sealed));
  RENKEI_CHECK_OK(ins.Bind(5, std::string_view(r.four_info.name)));
  RENKEI_CHECK_OK(ins.Bind(6, std::string_view(r.four_info.name_kana)));
  RENKEI_CHECK_OK(ins.Bind(7, static_cast<int64_t>(norm.sex)));
  RENKEI_CHECK_OK(ins.Bind(8, std::string_view(norm.birth_date)));
  RENKEI_CHECK_OK(ins.Bind(9, std::string_view(r.four_info.address)));
  RENKEI_CHECK_OK(ins.Bind(10, std::string_view(norm.name)));
  RENKEI_CHECK_OK(ins.Bind(11, std::string_view(norm.name_kana)));
  RENKEI_CHECK_OK(ins.Bind(12, std::string_view(norm.address)));
  RENKEI_CHECK_OK(ins.Bind(13, acq_seq + 1));
  if (Status st = ins.Run(); !st.ok()) return Storage(st.error());
  RENKEI_CHECK_OK(insert_link_->BindAll(std::string_view(r.system_id),
                                        std::string_view(r.atena_number), person_id));
  if (Status st = insert_link_->Run(); !st.ok()) return Storage(st.error());
  batch.person_counter = person_id;
  batch.acquisition_seq = acq_seq + 1;
  RENKEI_CHECK_OK(RecordOp(s.staff_id, "register", integrated, r.system_id));
  batch.emitted.push_back(TokenRequest{acquisition, integrated, options_.lgcode, clock_.Now()});
  return RegistrationOutcome{integrated, true, true};
}

// ---------------------------------------------------------------------------------------------

AddressingServer::AddressingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AddressingServer::~AddressingServer() = default;

StaffDirectory& AddressingServer::staff() { return impl_->staff_; }
const std::string& AddressingServer::lgcode() const { return impl_->options_.lgcode; }

Result<std::unique_ptr<AddressingServer>> AddressingServer::Open(const std::string& path,
                                                                 AddressingOptions options,
                                                                 const netsim::Clock& clock,
                                                                 TokenRequestSink* sink) {
  if (Status s = netsim::ValidateLgCode(options.lgcode); !s.ok()) {
    return MakeError(Errc::kInvalidInput, "lgcode: " + s.error().message);
  }
  if (options.master_key.size() != 32) {
    return MakeError(Errc::kInvalidInput, "master_key: must be 32 bytes, got " +
                                              std::to_string(options.master_key.size()));
  }
  RENKEI_TRY(crypto::HmacSha256 kdf, crypto::HmacSha256::Create(options.master_key));
  RENKEI_TRY(crypto::Digest index_key, kdf.Mac(crypto::AsBytes("renkei/addressing/index")));
  RENKEI_TRY(crypto::Digest seal_key, kdf.Mac(crypto::AsBytes("renkei/addressing/seal")));
  RENKEI_TRY(crypto::Digest numbering_key,
             kdf.Mac(crypto::AsBytes("renkei/addressing/numbering/" + options.lgcode)));
  RENKEI_TRY(crypto::HmacSha256 index_mac, crypto::HmacSha256::Create(index_key));
  RENKEI_TRY(crypto::Aes256Gcm seal, crypto::Aes256Gcm::Create(seal_key));
  auto db = sql::Database::Open(path, options.storage);
  if (!db.ok()) return Storage(db.error());
  auto impl =
      std::make_unique<Impl>(std::move(db).value(), std::move(options), clock, sink, index_key,
                             std::move(index_mac), std::move(seal), numbering_key);
  RENKEI_CHECK_OK(impl->Init());
  return std::unique_ptr<AddressingServer>(new AddressingServer(std::move(impl)));
}

Status AddressingServer::RegisterBusinessSystem(const Session& s, const BusinessSystem& system) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kAdministrator), "register-system"));
  if (!ValidSystemId(system.id)) {
    return MakeError(
        Errc::kInvalidInput,
        "system id: 1-16 characters of A-Z, 0-9 or '_' required, got '" + system.id + "'");
  }
  if (system.name.empty()) return MakeError(Errc::kInvalidInput, "system name: must not be empty");
  auto txn = impl_->db_.BeginImmediate();
  if (!txn.ok()) return Storage(txn.error());
  RENKEI_TRY(bool exists, impl_->SystemExists(system.id));
  if (exists) {
    return MakeError(Errc::kInvalidInput, "system id: '" + system.id + "' is already registered");
  }
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached("INSERT INTO business_systems VALUES(?, ?)")));
  RENKEI_CHECK_OK(st->BindAll(std::string_view(system.id), std::string_view(system.name)));
  if (Status r = st->Run(); !r.ok()) return Storage(r.error());
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "register-system", "", system.id));
  if (Status r = txn->Commit(); !r.ok()) return Storage(r.error());
  return OkStatus();
}

Result<std::vector<BusinessSystem>> AddressingServer::BusinessSystems(const Session& s) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "list-systems"));
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached("SELECT id, name FROM business_systems ORDER BY id")));
  std::vector<BusinessSystem> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return Storage(row.error());
    if (!row.value()) break;
    out.push_back(BusinessSystem{st->ColumnText(0), st->ColumnText(1)});
  }
  return out;
}

Status AddressingServer::ValidateRegistration(const Registration& r) const {
  RENKEI_TRY(NormalizedFourInfo ignored, CheckRegistration(r));
  (void)ignored;
  return OkStatus();
}

Result<NormalizedFourInfo> AddressingServer::CheckRegistration(const Registration& r) {
  if (Status s = netsim::ValidateMyNumber(r.my_number); !s.ok()) {
    return MakeError(Errc::kInvalidInput, "my_number: " + s.error().message);
  }
  if (!ValidSystemId(r.system_id)) {
    return MakeError(Errc::kInvalidInput, "system_id: 1-16 characters of A-Z, 0-9 or '_' required");
  }
  if (!AllDigits(r.atena_number) || r.atena_number.size() > 15) {
    return MakeError(Errc::kInvalidInput,
                     "atena_number: 1-15 ASCII digits required, got '" + r.atena_number + "'");
  }
  if (r.four_info.name.empty()) return MakeError(Errc::kInvalidInput, "name: must not be empty");
  if (r.four_info.name_kana.empty()) {
    return MakeError(Errc::kInvalidInput, "name_kana: must not be empty");
  }
  if (r.four_info.sex == Sex::kNotKnown) {
    return MakeError(Errc::kInvalidInput, "sex: must be given on registration");
  }
  if (r.four_info.birth_date.empty()) {
    return MakeError(Errc::kInvalidInput, "birth_date: must not be empty");
  }
  if (r.four_info.address.empty()) {
    return MakeError(Errc::kInvalidInput, "address: must not be empty");
  }
  auto norm = NormalizeFourInfo(r.four_info);
  if (!norm.ok()) return MakeError(Errc::kInvalidInput, norm.error().message);
  return norm;
}

Result<RegistrationOutcome> AddressingServer::Register(const Session& s, const Registration& r) {
  RENKEI_TRY(auto outcomes, RegisterBatch(s, std::span<const Registration>(&r, 1)));
  return outcomes.front();
}

Result<RegistrationPreparer> AddressingServer::NewPreparer() const {
  RENKEI_TRY(crypto::HmacSha256 mac, crypto::HmacSha256::Create(impl_->index_key_));
  return RegistrationPreparer(std::move(mac));
}

Result<PreparedRegistration> RegistrationPreparer::Prepare(Registration r) {
  RENKEI_TRY(NormalizedFourInfo norm, AddressingServer::CheckRegistration(r));
  RENKEI_TRY(crypto::Digest digest, mac_.Mac(crypto::AsBytes(r.my_number)));
  return PreparedRegistration{std::move(r), std::move(norm), digest};
}

Result<std::vector<Result<RegistrationOutcome>>> AddressingServer::Impl::RegisterAll(
    const Session& s, std::span<PreparedRegistration> batch, bool all_or_nothing) {
  auto txn = db_.BeginImmediate();
  if (!txn.ok()) return Storage(txn.error());
  std::vector<Result<RegistrationOutcome>> out;
  out.reserve(batch.size());
  RENKEI_TRY(Batch state, BeginBatch());
  for (size_t i = 0; i < batch.size(); ++i) {
    // RegisterOne makes every domain check before its first write, so a refused item has
    // written nothing and the transaction can go on with the next.
    auto one = RegisterOne(s, batch[i], state);
    const bool storage_failure =
        !one.ok() && (one.error().code == make_error_code(Errc::kStorage) ||
                      one.error().code.category() != ErrorCategory());
    if (storage_failure || (!one.ok() && all_or_nothing)) {
      if (batch.size() == 1) return one.error();
      return Error{one.error().code, "item " + std::to_string(i) + ": " + one.error().message};
    }
    out.push_back(std::move(one));
  }
  RENKEI_CHECK_OK(FinishBatch(state));
  if (Status c = txn->Commit(); !c.ok()) return Storage(c.error());
  Deliver(state.emitted);
  return out;
}

Result<std::vector<RegistrationOutcome>> AddressingServer::RegisterBatch(
    const Session& s, std::span<const Registration> batch) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "register"));
  RegistrationPreparer& preparer = impl_->Preparer();
  std::vector<PreparedRegistration> prepared;
  prepared.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto p = preparer.Prepare(batch[i]);
    if (!p.ok()) {
      if (batch.size() == 1) return p.error();
      return MakeError(Errc::kInvalidInput, "item " + std::to_string(i) + ": " + p.error().message);
    }
    prepared.push_back(std::move(p).value());
  }
  RENKEI_TRY(auto results, impl_->RegisterAll(s, prepared, /*all_or_nothing=*/true));
  std::vector<RegistrationOutcome> out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(r).value());
  return out;
}

Result<std::vector<Result<RegistrationOutcome>>> AddressingServer::RegisterEach(
    const Session& s, std::span<const Registration> batch) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "register"));
  RegistrationPreparer& preparer = impl_->Preparer();
  // Items that fail preparation keep their place in the answer.
  std::vector<PreparedRegistration> prepared;
  std::vector<std::optional<Error>> refused(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    auto p = preparer.Prepare(batch[i]);
    if (p.ok()) {
      prepared.push_back(std::move(p).value());
    } else {
      refused[i] = p.error();
    }
  }
  RENKEI_TRY(auto results, impl_->RegisterAll(s, prepared, /*all_or_nothing=*/false));
  std::vector<Result<RegistrationOutcome>> out;
  out.reserve(batch.size());
  size_t next = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (refused[i]) {
      out.emplace_back(*refused[i]);
    } else {
      out.push_back(std::move(results[next++]));
    }
  }
  return out;
}

Result<std::vector<Result<RegistrationOutcome>>> AddressingServer::RegisterPrepared(
    const Session& s, std::span<PreparedRegistration> batch) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "register"));
  return impl_->RegisterAll(s, batch, /*all_or_nothing=*/false);
}

Status AddressingServer::SuspendSearchIndexes(const Session& s) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "bulk-load"));
  if (Status r = impl_->db_.Exec(kDropSearchIndexes); !r.ok()) return Storage(r.error());
  return OkStatus();
}

Status AddressingServer::RestoreSearchIndexes() {
  if (Status r = impl_->db_.Exec(kSearchIndexes); !r.ok()) return Storage(r.error());
  return impl_->staff_.Init();
}

Status AddressingServer::UpdateFourInfo(const Session& s, std::string_view integrated_number,
                                        const FourInfo& four_info) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "update-four-info"));
  RENKEI_TRY(NormalizedFourInfo norm, [&]() -> Result<NormalizedFourInfo> {
    auto n = NormalizeFourInfo(four_info);
    if (!n.ok()) return MakeError(Errc::kInvalidInput, n.error().message);
    return n;
  }());
  if (four_info.name.empty() || four_info.name_kana.empty() || four_info.birth_date.empty() ||
      four_info.address.empty() || four_info.sex == Sex::kNotKnown) {
    return MakeError(Errc::kInvalidInput,
                     "four_info: name, name_kana, sex, birth_date and address are all required");
  }
  auto txn = impl_->db_.BeginImmediate();
  if (!txn.ok()) return Storage(txn.error());
  RENKEI_TRY(int64_t id, impl_->RequirePersonId(integrated_number));
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached(
                 "UPDATE persons SET name = ?, name_kana = ?, sex = ?, birth_date = ?, "
                 "address = ?, name_key = ?, kana_key = ?, address_key = ? WHERE id = ?")));
  RENKEI_CHECK_OK(
      st->BindAll(std::string_view(four_info.name), std::string_view(four_info.name_kana),
                  static_cast<int64_t>(norm.sex), std::string_view(norm.birth_date),
                  std::string_view(four_info.address), std::string_view(norm.name),
                  std::string_view(norm.name_kana), std::string_view(norm.address), id));
  if (Status r = st->Run(); !r.ok()) return Storage(r.error());
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "update-four-info", integrated_number, ""));
  if (Status r = txn->Commit(); !r.ok()) return Storage(r.error());
  return OkStatus();
}

Status AddressingServer::SetStatus(const Session& s, std::string_view integrated_number,
                                   ResidentStatus status, std::string_view effective_date) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "set-status"));
  auto date = NormalizeBirthDate(effective_date);  // the same date forms as birth dates
  if (!date.ok()) {
    return MakeError(Errc::kInvalidInput, "effective_date: " + date.error().message);
  }
  auto txn = impl_->db_.BeginImmediate();
  if (!txn.ok()) return Storage(txn.error());
  RENKEI_TRY(int64_t id, impl_->RequirePersonId(integrated_number));
  RENKEI_TRY(sql::StatementLease cur,
             StorageResult(impl_->db_.Cached("SELECT status FROM persons WHERE id = ?")));
  RENKEI_CHECK_OK(cur->Bind(1, id));
  if (auto r = cur->Step(); !r.ok()) return Storage(r.error());
  const auto current = static_cast<ResidentStatus>(cur->ColumnInt(0));
  cur->Reset();
  if (current == ResidentStatus::kDeceased) {
    return MakeError(Errc::kInvalidInput,
                     "status: the person is recorded as deceased; the "
                     "status can no longer change");
  }
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(
                 impl_->db_.Cached("UPDATE persons SET status = ?, status_date = ? WHERE id = ?")));
  const std::string stored_date = status == ResidentStatus::kResident ? "" : date.value();
  RENKEI_CHECK_OK(st->BindAll(static_cast<int64_t>(status), std::string_view(stored_date), id));
  if (Status r = st->Run(); !r.ok()) return Storage(r.error());
  RENKEI_TRY(sql::StatementLease hist,
             StorageResult(impl_->db_.Cached("INSERT INTO status_history VALUES(?, ?, ?, ?)")));
  RENKEI_CHECK_OK(hist->BindAll(id, static_cast<int64_t>(status), std::string_view(date.value()),
                                impl_->clock_.Now().micros()));
  if (Status r = hist->Run(); !r.ok()) return Storage(r.error());
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "set-status", integrated_number,
                                  std::string(ResidentStatusName(status)) + " " + date.value()));
  if (Status r = txn->Commit(); !r.ok()) return Storage(r.error());
  return OkStatus();
}

Status AddressingServer::AddLink(const Session& s, std::string_view integrated_number,
                                 const Link& link) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kRegistrar), "add-link"));
  if (!AllDigits(link.atena_number) || link.atena_number.size() > 15) {
    return MakeError(Errc::kInvalidInput,
                     "atena_number: 1-15 ASCII digits required, got '" + link.atena_number + "'");
  }
  auto txn = impl_->db_.BeginImmediate();
  if (!txn.ok()) return Storage(txn.error());
  RENKEI_TRY(bool known, impl_->SystemExists(link.system_id));
  if (!known) {
    return MakeError(Errc::kUnknownBusinessSystem,
                     "system_id: '" + link.system_id + "' is not a registered business system");
  }
  RENKEI_TRY(int64_t id, impl_->RequirePersonId(integrated_number));
  RENKEI_CHECK_OK(impl_->find_link_->BindAll(std::string_view(link.system_id),
                                             std::string_view(link.atena_number)));
  auto row = impl_->find_link_->Step();
  impl_->find_link_->Reset();
  if (!row.ok()) return Storage(row.error());
  if (row.value()) {
    return MakeError(Errc::kDuplicateLink, "atena_number: " + link.system_id + " " +
                                               link.atena_number + " is already linked");
  }
  RENKEI_CHECK_OK(impl_->insert_link_->BindAll(std::string_view(link.system_id),
                                               std::string_view(link.atena_number), id));
  if (Status r = impl_->insert_link_->Run(); !r.ok()) return Storage(r.error());
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "link", integrated_number, link.system_id));
  if (Status r = txn->Commit(); !r.ok()) return Storage(r.error());
  return OkStatus();
}

Result<PersonRecord> AddressingServer::LookupByIntegratedNumber(
    const Session& s, std::string_view integrated_number) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "lookup"));
  if (Status v = netsim::ValidateIntegratedNumber(integrated_number); !v.ok()) {
    return MakeError(Errc::kInvalidInput, "integrated_number: " + v.error().message);
  }
  RENKEI_TRY(auto id, impl_->PersonIdByNumber(integrated_number));
  if (!id) {
    RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", "", "integrated number not found"));
    return MakeError(Errc::kNotFound,
                     "integrated_number: " + std::string(integrated_number) + " is not registered");
  }
  RENKEI_TRY(PersonRecord p, impl_->LoadPerson(*id));
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", p.integrated_number, "by integrated"));
  return p;
}

Result<PersonRecord> AddressingServer::LookupByAtena(const Session& s, std::string_view system_id,
                                                     std::string_view atena_number) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "lookup"));
  RENKEI_CHECK_OK(impl_->find_link_->BindAll(system_id, atena_number));
  auto row = impl_->find_link_->Step();
  if (!row.ok()) return Storage(row.error());
  const std::optional<int64_t> id =
      row.value() ? std::optional<int64_t>(impl_->find_link_->ColumnInt(0)) : std::nullopt;
  impl_->find_link_->Reset();
  if (!id) {
    RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", "", "宛名番号 not found"));
    return MakeError(Errc::kNotFound, "atena_number: " + std::string(system_id) + " " +
                                          std::string(atena_number) + " is not linked");
  }
  RENKEI_TRY(PersonRecord p, impl_->LoadPerson(*id));
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", p.integrated_number, "by atena"));
  return p;
}

Result<PersonRecord> AddressingServer::LookupByMyNumber(const Session& s,
                                                        std::string_view my_number) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "lookup"));
  if (Status v = netsim::ValidateMyNumber(my_number); !v.ok()) {
    return MakeError(Errc::kInvalidInput, "my_number: " + v.error().message);
  }
  RENKEI_TRY(crypto::Digest digest, impl_->MyNumberDigest(my_number));
  RENKEI_CHECK_OK(impl_->find_by_digest_->BindBlob(1, IndexKey(digest)));
  auto row = impl_->find_by_digest_->Step();
  if (!row.ok()) return Storage(row.error());
  const std::optional<int64_t> id =
      row.value() ? std::optional<int64_t>(impl_->find_by_digest_->ColumnInt(0)) : std::nullopt;
  impl_->find_by_digest_->Reset();
  if (!id) {
    RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", "", "個人番号 not registered"));
    return MakeError(Errc::kNotFound, "my_number: not registered at this body");
  }
  RENKEI_TRY(PersonRecord p, impl_->LoadPerson(*id));
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "lookup", p.integrated_number, "by 個人番号"));
  return p;
}

Result<std::string> AddressingServer::IntegratedNumberForAtena(const Session& s,
                                                               std::string_view system_id,
                                                               std::string_view atena_number) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "resolve-atena"));
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached(
                 "SELECT p.integrated_number FROM links l JOIN persons p ON p.id = l.person_id "
                 "WHERE l.system_id = ? AND l.atena_number = ?")));
  RENKEI_CHECK_OK(st->BindAll(system_id, atena_number));
  auto row = st->Step();
  if (!row.ok()) return Storage(row.error());
  if (!row.value()) {
    RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "resolve-atena", "", "宛名番号 not found"));
    return MakeError(Errc::kNotFound, "atena_number: " + std::string(system_id) + " " +
                                          std::string(atena_number) + " is not linked");
  }
  std::string integrated = st->ColumnText(0);
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "resolve-atena", integrated, system_id));
  return integrated;
}

Result<std::vector<SearchCandidate>> AddressingServer::Search(const Session& s,
                                                              const FourInfo& query) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kViewer), "search"));
  auto norm = NormalizeFourInfo(query);
  if (!norm.ok()) return MakeError(Errc::kInvalidInput, norm.error().message);
  const NormalizedFourInfo& q = norm.value();
  if (q.name.empty() && q.name_kana.empty() && q.birth_date.empty()) {
    return MakeError(Errc::kInvalidInput,
                     "search: give at least one of name, name_kana or birth_date");
  }
  // Candidates come from the three indexed keys; scoring then looks at all four items.
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached(
                 "SELECT id, integrated_number, name, name_kana, sex, birth_date, address, "
                 "status, name_key, kana_key, address_key FROM persons WHERE id IN ("
                 "SELECT id FROM persons WHERE name_key = ?1 UNION "
                 "SELECT id FROM persons WHERE kana_key = ?2 UNION "
                 "SELECT id FROM persons WHERE birth_date = ?3 LIMIT 5000) ORDER BY id")));
  // Empty query fields bind a value no stored key has, so they select nothing.
  auto key = [](const std::string& v) { return v.empty() ? std::string("\x01") : v; };
  RENKEI_CHECK_OK(st->BindAll(std::string_view(key(q.name)), std::string_view(key(q.name_kana)),
                              std::string_view(key(q.birth_date))));
  std::vector<SearchCandidate> found;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return Storage(row.error());
    if (!row.value()) break;
    NormalizedFourInfo c;
    c.name = st->ColumnText(8);
    c.name_kana = st->ColumnText(9);
    c.sex = static_cast<Sex>(st->ColumnInt(4));
    c.birth_date = st->ColumnText(5);
    c.address = st->ColumnText(10);
    SearchCandidate cand;
    cand.matched = MatchFourInfo(q, c);
    cand.integrated_number = st->ColumnText(1);
    cand.four_info =
        FourInfo{st->ColumnText(2), st->ColumnText(3), c.sex, c.birth_date, st->ColumnText(6)};
    cand.status = static_cast<ResidentStatus>(st->ColumnInt(7));
    found.push_back(std::move(cand));
  }
  std::sort(found.begin(), found.end(), [](const SearchCandidate& a, const SearchCandidate& b) {
    if (a.matched.score() != b.matched.score()) return a.matched.score() > b.matched.score();
    return a.integrated_number < b.integrated_number;
  });
  if (found.size() > impl_->options_.max_search_candidates) {
    found.resize(impl_->options_.max_search_candidates);
  }
  RENKEI_CHECK_OK(
      impl_->RecordOp(s.staff_id, "search", "", std::to_string(found.size()) + " candidates"));
  return found;
}

Result<std::string> AddressingServer::RevealMyNumber(const Session& s,
                                                     std::string_view integrated_number) {
  RENKEI_CHECK_OK(impl_->staff_.Authorize(s, RoleBit(Role::kMyNumberOfficer), "reveal-mynumber"));
  RENKEI_TRY(auto found, impl_->PersonIdByNumber(integrated_number));
  RENKEI_TRY(
      sql::StatementLease st,
      StorageResult(impl_->db_.Cached("SELECT id, mynumber_sealed FROM persons WHERE id = ?")));
  RENKEI_CHECK_OK(st->Bind(1, found.value_or(0)));
  auto row = st->Step();
  if (!row.ok()) return Storage(row.error());
  if (!row.value()) {
    return MakeError(Errc::kNotFound,
                     "integrated_number: " + std::string(integrated_number) + " is not registered");
  }
  const int64_t person_id = st->ColumnInt(0);
  const crypto::Bytes sealed = st->ColumnBlob(1);
  std::array<uint8_t, crypto::Aes256Gcm::kNonceSize> nonce{};
  for (size_t i = 0; i < 8; ++i) nonce[11 - i] = static_cast<uint8_t>(person_id >> (8 * i));
  auto opened = impl_->seal_.Open(nonce, sealed, crypto::AsBytes(integrated_number));
  if (!opened.ok()) {
    return MakeError(Errc::kStorage, "my_number: the sealed value of " +
                                         std::string(integrated_number) +
                                         " does not decrypt (wrong key or tampered row)");
  }
  RENKEI_CHECK_OK(impl_->RecordOp(s.staff_id, "reveal-mynumber", integrated_number, ""));
  return std::string(opened->begin(), opened->end());
}

Status AddressingServer::MarkTokenAcquired(std::string_view acquisition_number) {
  RENKEI_TRY(int64_t seq, impl_->ParseAcquisition(acquisition_number));
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached("UPDATE persons SET token_state = 2 WHERE "
                                             "acquisition_seq = ? AND token_state != 2")));
  RENKEI_CHECK_OK(st->Bind(1, seq));
  if (Status r = st->Run(); !r.ok()) return Storage(r.error());
  if (impl_->db_.Changes() == 0) {
    return MakeError(Errc::kNotFound, "acquisition_number: " + std::string(acquisition_number) +
                                          " is unknown or already acquired");
  }
  return OkStatus();
}

Status AddressingServer::MarkTokenFailed(std::string_view acquisition_number,
                                         std::string_view reason) {
  RENKEI_TRY(int64_t seq, impl_->ParseAcquisition(acquisition_number));
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(impl_->db_.Cached("UPDATE persons SET token_state = 3 WHERE "
                                             "acquisition_seq = ? AND token_state = 1")));
  RENKEI_CHECK_OK(st->Bind(1, seq));
  if (Status r = st->Run(); !r.ok()) return Storage(r.error());
  if (impl_->db_.Changes() == 0) {
    return MakeError(Errc::kNotFound,
                     "acquisition_number: " + std::string(acquisition_number) + " is not pending");
  }
  return impl_->RecordOp("(core)", "token-failed", "", std::string(reason));
}

Result<std::vector<TokenRequest>> AddressingServer::PendingTokenRequests() {
  RENKEI_TRY(sql::StatementLease st,
             StorageResult(
                 impl_->db_.Cached("SELECT acquisition_seq, integrated_number FROM persons WHERE "
                                   "token_state = 1 ORDER BY id")));
  std::vector<TokenRequest> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return Storage(row.error());
    if (!row.value()) break;
    out.push_back(TokenRequest{FormatAcquisition(impl_->options_.lgcode, st->ColumnInt(0)),
                               st->ColumnText(1), impl_->options_.lgcode, impl_->clock_.Now()});
  }
  return out;
}

Result<int64_t> AddressingServer::ResendPendingTokenRequests() {
  RENKEI_TRY(auto pending, PendingTokenRequests());
  impl_->Deliver(pending);
  return static_cast<int64_t>(pending.size());
}

Result<AddressingServer::Counts> AddressingServer::Count() {
  Counts c;
  const std::pair<const char*, int64_t*> queries[] = {
      {"SELECT count(*) FROM persons", &c.persons},
      {"SELECT count(*) FROM links", &c.links},
      {"SELECT count(*) FROM persons WHERE token_state = 1", &c.pending_tokens},
      {"SELECT count(*) FROM operations", &c.operations},
  };
  for (const auto& [text, slot] : queries) {
    RENKEI_TRY(sql::StatementLease st, StorageResult(impl_->db_.Cached(text)));
    auto row = st->Step();
    if (!row.ok()) return Storage(row.error());
    *slot = st->ColumnInt(0);
  }
  return c;
}

}  // namespace renkei::addressing
