#include "netsim/provision_permit.h"

#include <boost/json.hpp>
#include <set>
#include <utility>

#include "netsim/canonical.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/token_service.h"

namespace renkei::netsim {
namespace {

namespace json = boost::json;

constexpr std::string_view kMagic = "renkei.permit.v1";
constexpr int64_t kFormatVersion = 1;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxTmItems = 64;
constexpr size_t kMaxSignatureBytes = 512;
// A permit with 64 items is about 4 KiB of text; anything far larger is not a permit.
constexpr size_t kMaxTextLength = 64 * 1024;

using canonical::PutI64;
using canonical::PutStr;
using canonical::PutU32;

Status FieldError(std::string_view field, std::string_view why) {
  return MakeError(Errc::kInvalidArgument,
                   "permit field " + std::string(field) + ": " + std::string(why));
}

Status CheckId(std::string_view field, std::string_view v) {
  if (v.empty() || v.size() > kMaxIdLength) return FieldError(field, "must be 1 to 64 characters");
  for (char c : v) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return FieldError(field, "may contain only [0-9A-Za-z._-]");
  }
  return OkStatus();
}

Status Prefixed(std::string_view field, const Status& s) {
  if (s.ok()) return s;
  return FieldError(field, s.error().message);
}

Error ParseError(std::string_view member, std::string_view why) {
  return MakeError(Errc::kParseError,
                   "permit member \"" + std::string(member) + "\" " + std::string(why));
}

Result<const json::value*> Member(const json::object& obj, std::string_view name) {
  const json::value* v = obj.if_contains(name);
  if (v == nullptr) return ParseError(name, "is missing");
  return v;
}

Result<std::string> StringMember(const json::object& obj, std::string_view name) {
  RENKEI_TRY(const json::value* v, Member(obj, name));
  if (!v->is_string()) return ParseError(name, "must be a string");
  return std::string(v->get_string());
}

Result<int64_t> IntMember(const json::object& obj, std::string_view name) {
  RENKEI_TRY(const json::value* v, Member(obj, name));
  if (!v->is_int64()) {
    // A uint64 member is a value beyond int64; doubles are never accepted.
    return ParseError(name, "must be an integer in the int64 range");
  }
  return v->get_int64();
}

constexpr std::string_view kMembers[] = {
    "v",  "permit_id",      "processing_number", "requester",  "provider", "jm",        "jt",
    "tm", "provider_token", "issued_at",         "expires_at", "key_id",   "signature",
};

}  // namespace

crypto::Bytes CanonicalPermitBytes(const ProvisionPermit& p) {
  crypto::Bytes out;
  out.reserve(256);
  out.insert(out.end(), kMagic.begin(), kMagic.end());
  PutStr(p.permit_id, out);
  PutStr(p.processing_number, out);
  PutStr(p.requester, out);
  PutStr(p.provider, out);
  PutStr(p.jm, out);
  PutStr(p.jt, out);
  PutU32(static_cast<uint32_t>(p.tm_items.size()), out);
  for (const auto& tm : p.tm_items) PutStr(tm, out);
  PutStr(p.provider_token, out);
  PutI64(p.issued_at.micros(), out);
  PutI64(p.expires_at.micros(), out);
  PutU32(p.key_id, out);
  return out;
}

Status ValidatePermitFields(const ProvisionPermit& p) {
  RENKEI_CHECK_OK(CheckId("permit_id", p.permit_id));
  RENKEI_CHECK_OK(CheckId("processing_number", p.processing_number));
  RENKEI_CHECK_OK(Prefixed("requester", ValidateInstitutionCode(p.requester)));
  RENKEI_CHECK_OK(Prefixed("provider", ValidateInstitutionCode(p.provider)));
  RENKEI_CHECK_OK(Prefixed("jm", ValidateCode(p.jm, CodeKind::kBusiness)));
  RENKEI_CHECK_OK(Prefixed("jt", ValidateCode(p.jt, CodeKind::kProcedure)));
  if (p.tm_items.empty() || p.tm_items.size() > kMaxTmItems) {
    return FieldError("tm", "must hold 1 to 64 items");
  }
  std::set<std::string_view> seen;
  for (const auto& tm : p.tm_items) {
    RENKEI_CHECK_OK(Prefixed("tm", ValidateCode(tm, CodeKind::kDataItem)));
    if (!seen.insert(tm).second) return FieldError("tm", "item " + tm + " is repeated");
  }
  if (auto t = Token::Parse(p.provider_token); !t.ok()) {
    return FieldError("provider_token", t.error().message);
  }
  if (p.expires_at <= p.issued_at) return FieldError("expires_at", "must be after issued_at");
  if (p.key_id == 0) return FieldError("key_id", "must be at least 1");
  return OkStatus();
}

std::string SerializePermit(const ProvisionPermit& p) {
  json::object obj;
  obj["v"] = kFormatVersion;
  obj["permit_id"] = p.permit_id;
  obj["processing_number"] = p.processing_number;
  obj["requester"] = p.requester;
  obj["provider"] = p.provider;
  obj["jm"] = p.jm;
  obj["jt"] = p.jt;
  json::array tm;
  for (const auto& item : p.tm_items) tm.emplace_back(item);
  obj["tm"] = std::move(tm);
  obj["provider_token"] = p.provider_token;
  obj["issued_at"] = p.issued_at.micros();
  obj["expires_at"] = p.expires_at.micros();
  obj["key_id"] = static_cast<int64_t>(p.key_id);
  obj["signature"] = crypto::ToHex(p.signature);
  return json::serialize(obj);
}

Result<ProvisionPermit> ParsePermit(std::string_view text) {
  if (text.size() > kMaxTextLength) {
    return MakeError(Errc::kParseError, "permit text longer than 64 KiB");
  }
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return MakeError(Errc::kParseError, "permit text is not JSON: " + ec.message());
  if (!root.is_object()) return MakeError(Errc::kParseError, "permit text must be a JSON object");
  const json::object& obj = root.get_object();
  for (const auto& kv : obj) {
    bool known = false;
    for (auto m : kMembers) known = known || kv.key() == m;
    if (!known) return ParseError(std::string_view(kv.key()), "is not a permit member");
  }
  RENKEI_TRY(const int64_t version, IntMember(obj, "v"));
  if (version != kFormatVersion) return ParseError("v", "must be 1");

  ProvisionPermit p;
  RENKEI_TRY(p.permit_id, StringMember(obj, "permit_id"));
  RENKEI_TRY(p.processing_number, StringMember(obj, "processing_number"));
  RENKEI_TRY(p.requester, StringMember(obj, "requester"));
  RENKEI_TRY(p.provider, StringMember(obj, "provider"));
  RENKEI_TRY(p.jm, StringMember(obj, "jm"));
  RENKEI_TRY(p.jt, StringMember(obj, "jt"));
  RENKEI_TRY(const json::value* tm, Member(obj, "tm"));
  if (!tm->is_array()) return ParseError("tm", "must be an array of strings");
  for (const auto& item : tm->get_array()) {
    if (!item.is_string()) return ParseError("tm", "must be an array of strings");
    p.tm_items.emplace_back(item.get_string());
  }
  RENKEI_TRY(p.provider_token, StringMember(obj, "provider_token"));
  RENKEI_TRY(const int64_t issued, IntMember(obj, "issued_at"));
  RENKEI_TRY(const int64_t expires, IntMember(obj, "expires_at"));
  p.issued_at = SimTime::FromMicros(issued);
  p.expires_at = SimTime::FromMicros(expires);
  RENKEI_TRY(const int64_t key_id, IntMember(obj, "key_id"));
  if (key_id < 1 || key_id > int64_t{UINT32_MAX}) {
    return ParseError("key_id", "must be 1 to 4294967295");
  }
  p.key_id = static_cast<uint32_t>(key_id);
  RENKEI_TRY(const std::string sig_hex, StringMember(obj, "signature"));
  auto sig = crypto::FromHex(sig_hex);
  if (!sig.ok()) return ParseError("signature", "must be hex");
  if (sig->empty() || sig->size() > kMaxSignatureBytes) {
    return ParseError("signature", "must be 1 to 512 bytes");
  }
  p.signature = std::move(sig).value();

  if (auto s = ValidatePermitFields(p); !s.ok()) {
    return MakeError(Errc::kParseError, s.error().message);
  }
  // One permit, one spelling: whitespace, member order, duplicate members (which the JSON
  // parser would collapse) or upper-case hex would otherwise give a signed permit several
  // texts, and traces and logs would disagree about what was sent.
  if (SerializePermit(p) != text) {
    return MakeError(Errc::kParseError,
                     "permit text is not in canonical form (member order, spacing, "
                     "duplicates or hex case)");
  }
  return p;
}

// ---- signer ----

PermitSigner::PermitSigner(uint32_t key_id, std::shared_ptr<const crypto::PrivateKey> key)
    : key_id_(key_id), signer_(std::move(key)) {}

Status PermitSigner::Sign(ProvisionPermit& permit) const {
  permit.key_id = key_id_;
  RENKEI_CHECK_OK(ValidatePermitFields(permit));
  RENKEI_TRY(permit.signature, signer_.Sign(CanonicalPermitBytes(permit)));
  return OkStatus();
}

// ---- used-permit stores ----

Result<bool> InMemoryUsedPermitStore::MarkUsed(std::string_view permit_id, SimTime expires_at) {
  return used_.emplace(std::string(permit_id), expires_at).second;
}

Result<int64_t> InMemoryUsedPermitStore::PurgeExpired(SimTime now) {
  int64_t purged = 0;
  for (auto it = used_.begin(); it != used_.end();) {
    if (it->second < now) {
      it = used_.erase(it);
      ++purged;
    } else {
      ++it;
    }
  }
  return purged;
}

Result<int64_t> InMemoryUsedPermitStore::Count() { return static_cast<int64_t>(used_.size()); }

Result<std::unique_ptr<SqliteUsedPermitStore>> SqliteUsedPermitStore::Open(
    const std::string& path, const sql::OpenOptions& options) {
  RENKEI_TRY(auto db, sql::Database::Open(path, options));
  RENKEI_CHECK_OK(
      db.Exec("CREATE TABLE IF NOT EXISTS used_permits("
              " permit_id TEXT PRIMARY KEY NOT NULL,"
              " expires_at INTEGER NOT NULL) WITHOUT ROWID;"
              "CREATE INDEX IF NOT EXISTS used_permits_expiry ON used_permits(expires_at);"));
  return std::unique_ptr<SqliteUsedPermitStore>(new SqliteUsedPermitStore(std::move(db)));
}

Result<bool> SqliteUsedPermitStore::MarkUsed(std::string_view permit_id, SimTime expires_at) {
  {
    RENKEI_TRY(auto st, db_.Cached("INSERT OR IGNORE INTO used_permits(permit_id, expires_at) "
                                   "VALUES(?1, ?2)"));
    RENKEI_CHECK_OK(st->BindAll(permit_id, expires_at.micros()));
    RENKEI_CHECK_OK(st->Run());
  }
  return db_.Changes() == 1;
}

Result<int64_t> SqliteUsedPermitStore::PurgeExpired(SimTime now) {
  {
    RENKEI_TRY(auto st, db_.Cached("DELETE FROM used_permits WHERE expires_at < ?1"));
    RENKEI_CHECK_OK(st->Bind(1, now.micros()));
    RENKEI_CHECK_OK(st->Run());
  }
  return db_.Changes();
}

Result<int64_t> SqliteUsedPermitStore::Count() {
  RENKEI_TRY(auto st, db_.Cached("SELECT count(*) FROM used_permits"));
  RENKEI_TRY(const bool row, st->Step());
  if (!row) return MakeError(Errc::kStorageError, "count(*) returned no row");
  return st->ColumnInt(0);
}

// ---- verifier ----

std::string_view PermitCheckName(PermitCheck check) {
  switch (check) {
    case PermitCheck::kValid:
      return "valid";
    case PermitCheck::kForged:
      return "forged";
    case PermitCheck::kExpired:
      return "expired";
    case PermitCheck::kNotYetValid:
      return "not-yet-valid";
    case PermitCheck::kReused:
      return "reused";
    case PermitCheck::kMisaddressed:
      return "misaddressed";
    case PermitCheck::kMalformed:
      return "malformed";
  }
  return "unknown";
}

PermitVerifier::PermitVerifier(std::string self, UsedPermitStore& used)
    : self_(std::move(self)), used_(used) {}

Status PermitVerifier::AddKey(uint32_t key_id, std::shared_ptr<const crypto::PublicKey> key) {
  if (!key) return MakeError(Errc::kInvalidArgument, "permit key is null");
  if (keys_.count(key_id) != 0) {
    return MakeError(Errc::kInvalidArgument,
                     "permit key " + std::to_string(key_id) + " is already installed");
  }
  keys_.emplace(key_id, crypto::Verifier(std::move(key)));
  return OkStatus();
}

Result<PermitVerdict> PermitVerifier::Check(std::string_view text, SimTime now) {
  auto parsed = ParsePermit(text);
  if (!parsed.ok()) return PermitVerdict{PermitCheck::kMalformed, parsed.error().message, {}};
  return Check(*parsed, now);
}

Result<PermitVerdict> PermitVerifier::Check(const ProvisionPermit& permit, SimTime now) {
  return Check(permit, now, std::nullopt);
}

Result<PermitVerdict> PermitVerifier::Check(const ProvisionPermit& permit, SimTime now,
                                            std::optional<bool> signature_valid) {
  PermitVerdict verdict;
  verdict.permit = permit;
  auto refuse = [&verdict](PermitCheck check, std::string reason) {
    verdict.check = check;
    verdict.reason = std::move(reason);
    return verdict;
  };
  if (auto s = ValidatePermitFields(permit); !s.ok()) {
    return refuse(PermitCheck::kMalformed, s.error().message);
  }
  auto key = keys_.find(permit.key_id);
  if (key == keys_.end()) {
    return refuse(PermitCheck::kForged,
                  "permit names key " + std::to_string(permit.key_id) + ", which is not trusted");
  }
  if (!signature_valid) {
    signature_valid = key->second.Verify(CanonicalPermitBytes(permit), permit.signature).ok();
  }
  if (!*signature_valid) {
    return refuse(PermitCheck::kForged, "signature does not verify under key " +
                                            std::to_string(permit.key_id) +
                                            " (forged, or a field was changed after signing)");
  }
  if (permit.provider != self_) {
    return refuse(PermitCheck::kMisaddressed,
                  "permit is addressed to " + permit.provider + ", not to " + self_);
  }
  if (now < permit.issued_at) {
    return refuse(PermitCheck::kNotYetValid, "permit is valid from " + FormatIso(permit.issued_at));
  }
  if (now > permit.expires_at) {
    return refuse(PermitCheck::kExpired, "permit expired at " + FormatIso(permit.expires_at));
  }
  RENKEI_TRY(const bool first_use, used_.MarkUsed(permit.permit_id, permit.expires_at));
  if (!first_use) {
    return refuse(PermitCheck::kReused, "permit " + permit.permit_id + " was already used");
  }
  verdict.check = PermitCheck::kValid;
  return verdict;
}

}  // namespace renkei::netsim
