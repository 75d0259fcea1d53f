// The provision permit (情報提供許可証): the NWS core's signed statement that one query may be
// answered by one provider, once, within a time window.
//
// The core signs a permit with PermitSigner (Ed25519: deterministic signatures keep traces
// byte-identical for a seed); the provider's intermediate server checks it with
// PermitVerifier, which answers with a closed PermitCheck and a reason, and consumes the
// permit id in a UsedPermitStore so a permit is answered at most once, across restarts when
// the store is SQLite.
//
// Canonical bytes (what is signed; docs/nws.md has the table):
//   "renkei.permit.v1" (16 ASCII bytes), then in this order
//   permit_id, processing_number, requester, provider, jm, jt   each as str
//   u32 count of TM items, then each item as str
//   provider_token as str
//   issued_at, expires_at   i64 big-endian microseconds
//   key_id                  u32 big-endian
// where str = u32 big-endian byte length ‖ bytes. Every variable field is length-prefixed,
// so no two distinct permits encode alike. The signature covers the key id, so a permit
// cannot be moved to another key.
//
// Text form (messages): one JSON object with exactly these members, in this order when
// written: "v" (1), "permit_id", "processing_number", "requester", "provider", "jm", "jt",
// "tm" (array of strings), "provider_token", "issued_at", "expires_at" (integers, µs),
// "key_id" (integer), "signature" (lower-case hex). ParsePermit is strict: unknown, missing
// or mistyped members, malformed codes and trailing data are kParseError naming the member.
//
// Thread safety: ProvisionPermit is a value. PermitSigner is immutable and may be shared.
// PermitVerifier and the stores are not thread-safe: one per thread (the SQLite store may
// be opened once per thread on the same file).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::netsim {

struct ProvisionPermit {
  std::string permit_id;              // unique per core; 1-64 chars of [0-9A-Za-z._-]
  std::string processing_number;      // 処理通番; same character rule
  std::string requester;              // 機関コード of the querying body
  std::string provider;               // 機関コード of the answering body
  std::string jm;                     // 事務コード
  std::string jt;                     // 事務手続コード
  std::vector<std::string> tm_items;  // 特定個人情報名コード, at least one
  std::string provider_token;         // the person's token at the provider (Token text)
  SimTime issued_at;
  SimTime expires_at;  // valid through this instant, inclusive
  uint32_t key_id = 0;
  crypto::Bytes signature;

  bool operator==(const ProvisionPermit&) const = default;
};

// The bytes that are signed (everything but the signature).
crypto::Bytes CanonicalPermitBytes(const ProvisionPermit& permit);
// Checks every field's form (codes, token text, ids, times ordered); kInvalidArgument naming
// the field.
Status ValidatePermitFields(const ProvisionPermit& permit);
// The JSON text form.
std::string SerializePermit(const ProvisionPermit& permit);
// Strict inverse of SerializePermit (also validates the fields); kParseError naming the member.
Result<ProvisionPermit> ParsePermit(std::string_view text);

// The core's side.
class PermitSigner {
 public:
  PermitSigner(uint32_t key_id, std::shared_ptr<const crypto::PrivateKey> key);
  // Validates the fields, sets permit.key_id and permit.signature.
  Status Sign(ProvisionPermit& permit) const;
  uint32_t key_id() const { return key_id_; }

 private:
  uint32_t key_id_;
  crypto::Signer signer_;
};

// Single use: permit ids the provider has answered, kept until their permit expires.
class UsedPermitStore {
 public:
  virtual ~UsedPermitStore() = default;
  // Records the id; true on its first use, false when it was recorded before.
  virtual Result<bool> MarkUsed(std::string_view permit_id, SimTime expires_at) = 0;
  // Forgets ids whose permit expired before `now` (they fail the expiry check anyway);
  // returns how many were forgotten.
  virtual Result<int64_t> PurgeExpired(SimTime now) = 0;
  virtual Result<int64_t> Count() = 0;
};

class InMemoryUsedPermitStore final : public UsedPermitStore {
 public:
  Result<bool> MarkUsed(std::string_view permit_id, SimTime expires_at) override;
  Result<int64_t> PurgeExpired(SimTime now) override;
  Result<int64_t> Count() override;

 private:
  std::map<std::string, SimTime, std::less<>> used_;
};

// Table used_permits(permit_id TEXT PRIMARY KEY, expires_at INTEGER) in its own file (WAL).
class SqliteUsedPermitStore final : public UsedPermitStore {
 public:
  static Result<std::unique_ptr<SqliteUsedPermitStore>> Open(const std::string& path,
                                                             const sql::OpenOptions& options = {});
  Result<bool> MarkUsed(std::string_view permit_id, SimTime expires_at) override;
  Result<int64_t> PurgeExpired(SimTime now) override;
  Result<int64_t> Count() override;

 private:
  explicit SqliteUsedPermitStore(sql::Database db) : db_(std::move(db)) {}
  sql::Database db_;
};

// Closed set of verdicts on a presented permit.
enum class PermitCheck {
  kValid,
  // The signature does not verify under the named key, or the key id is unknown. An edit of
  // any field after signing lands here too: a verifier cannot tell an edited permit from one
  // signed by a forger, so there is no separate "tampered" verdict; the reason says which
  // check failed.
  kForged,
  kExpired,       // now > expires_at
  kNotYetValid,   // now < issued_at
  kReused,        // the permit id was answered before
  kMisaddressed,  // provider is not this body
  kMalformed,     // the text does not parse, or a field breaks its form
};
std::string_view PermitCheckName(PermitCheck check);

struct PermitVerdict {
  PermitCheck check = PermitCheck::kMalformed;
  std::string reason;  // empty when valid
  // The parsed permit when the text parsed (also for refusals after parsing).
  std::optional<ProvisionPermit> permit;
};

// The provider's side. Checks run in this order, and a permit is consumed only when all the
// others pass: form, key and signature, addressee, time window, single use.
class PermitVerifier {
 public:
  // `self` is the provider's own 機関コード; `used` outlives the verifier.
  PermitVerifier(std::string self, UsedPermitStore& used);
  // Trusts `key` for permits naming `key_id`. Installing an id twice is kInvalidArgument.
  Status AddKey(uint32_t key_id, std::shared_ptr<const crypto::PublicKey> key);

  // Errors are only the store's failures; every verdict on the permit is a PermitCheck.
  Result<PermitVerdict> Check(std::string_view text, SimTime now);
  Result<PermitVerdict> Check(const ProvisionPermit& permit, SimTime now);
  // Check with the signature's verdict computed beforehand (on a worker thread, say):
  // `signature_valid` must be the result of verifying CanonicalPermitBytes(permit) and
  // permit.signature under the key trusted for permit.key_id (installed keys are never
  // replaced, so one computed when that key was trusted stays right). nullopt verifies here.
  Result<PermitVerdict> Check(const ProvisionPermit& permit, SimTime now,
                              std::optional<bool> signature_valid);

 private:
  std::string self_;
  UsedPermitStore& used_;
  std::map<uint32_t, crypto::Verifier> keys_;
};

}  // namespace renkei::netsim
