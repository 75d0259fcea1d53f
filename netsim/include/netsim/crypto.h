// Cryptography for renkei, as small interfaces over OpenSSL 3 EVP.
//
// This header and crypto.cc are the only places that may call OpenSSL; the rest of the code
// sees byte vectors, keys as opaque objects and Result values. Every OpenSSL return code is
// checked and turned into an Error (Errc::kCryptoError, or Errc::kVerifyFailed when a
// signature, tag or MAC does not verify) whose message names the operation.
//
// What is here, and who uses it:
//  - Signer / Verifier with ECDSA P-256 (SHA-256) and Ed25519: permits and answers are signed
//    by the core and the intermediate servers; provision-log batches are sealed.
//  - Aes256Gcm: stored replica payloads and sealed 個人番号 columns.
//  - Aes256Block: single-block AES, the core's token permutation.
//  - HmacSha256 and Sha256: lookup digests, hash chains, Merkle roots.
//  - Password hashing (PBKDF2-HMAC-SHA-256): staff passwords.
//  - Random bytes from OpenSSL's CSPRNG, only for real key material. Simulation randomness
//    comes from netsim::Rng; key generation accepts a seed so a simulation stays reproducible.
//
// Thread safety: key objects are immutable after creation and may be shared between threads;
// the context-holding classes (HmacSha256, Aes256Gcm, Aes256Block) are not thread-safe: one per
// thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"

namespace renkei::netsim::crypto {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;
using Digest = std::array<uint8_t, 32>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
std::string ToHex(ByteView bytes);
// Lower- or upper-case hex; an odd length or a non-hex character is Errc::kParseError.
Result<Bytes> FromHex(std::string_view hex);

// Digests.
Digest Sha256(ByteView data);

// Keyed MAC with a reusable context (cheap per call once created).
class HmacSha256 {
 public:
  // An empty key is kInvalidArgument: RFC 2104 allows it, but here it is always a missing
  // configuration value.
  static Result<HmacSha256> Create(ByteView key);
  HmacSha256(HmacSha256&&) noexcept;
  HmacSha256& operator=(HmacSha256&&) noexcept;
  ~HmacSha256();
  Result<Digest> Mac(ByteView data);

 private:
  struct Impl;
  explicit HmacSha256(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Constant-time equality for MACs and digests.
bool ConstantTimeEqual(ByteView a, ByteView b);

// AES-256-GCM. Seal returns ciphertext ‖ 16-byte tag; Open checks the tag (kVerifyFailed when
// the data, the tag, the nonce or the associated data were changed).
class Aes256Gcm {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;

  // A key that is not kKeySize bytes, or a nonce that is not kNonceSize bytes, is
  // kInvalidArgument; sealed data shorter than the tag is kVerifyFailed.
  static Result<Aes256Gcm> Create(ByteView key);
  Aes256Gcm(Aes256Gcm&&) noexcept;
  Aes256Gcm& operator=(Aes256Gcm&&) noexcept;
  ~Aes256Gcm();

  Result<Bytes> Seal(ByteView nonce, ByteView plaintext, ByteView aad);
  Result<Bytes> Open(ByteView nonce, ByteView sealed, ByteView aad);

 private:
  struct Impl;
  explicit Aes256Gcm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// AES-256 on single 16-byte blocks (ECB, no padding): a keyed pseudo-random permutation of
// 128-bit values, the building block of the core's tokens. Not an encryption mode for data
// longer than one block. The key schedules are computed once in Create, so a call is one EVP
// update. Not thread-safe (holds cipher contexts): one per thread.
class Aes256Block {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kBlockSize = 16;
  using Block = std::array<uint8_t, kBlockSize>;

  // A key that is not kKeySize bytes is kInvalidArgument.
  static Result<Aes256Block> Create(ByteView key);
  Aes256Block(Aes256Block&&) noexcept;
  Aes256Block& operator=(Aes256Block&&) noexcept;
  ~Aes256Block();

  // `in` and `out` may be the same block.
  Status Encrypt(const Block& in, Block& out);
  Status Decrypt(const Block& in, Block& out);

 private:
  struct Impl;
  explicit Aes256Block(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Cryptographically secure random bytes (OpenSSL RAND_bytes).
Result<Bytes> RandomBytes(size_t n);

enum class KeyType { kEcdsaP256, kEd25519 };
std::string_view KeyTypeName(KeyType type);

// A private key (which also yields its public half). Immutable; share by shared_ptr.
class PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static Result<std::shared_ptr<const PrivateKey>> Generate(KeyType type);
  // A key derived deterministically from `seed` (at least 32 bytes), so a simulation with a
  // fixed seed has the same keys every run. Ed25519 takes the seed's SHA-256 as its private
  // key; P-256 reduces it to a valid scalar.
  static Result<std::shared_ptr<const PrivateKey>> FromSeed(KeyType type, ByteView seed);
  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), unencrypted. Malformed or encrypted PEM is
  // kParseError; a well-formed key of another type or curve is kInvalidArgument. A missing
  // file is kIoError.
  static Result<std::shared_ptr<const PrivateKey>> FromPem(std::string_view pem);
  static Result<std::shared_ptr<const PrivateKey>> LoadPemFile(const std::string& path);

  ~PrivateKey();
  KeyType type() const { return type_; }
  Result<std::string> ToPem() const;
  // Writes the PEM with mode 0600; an existing file is replaced atomically.
  Status SavePemFile(const std::string& path) const;
  // SubjectPublicKeyInfo PEM of the public half.
  Result<std::string> PublicPem() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  PrivateKey(KeyType type, std::unique_ptr<Impl> impl);
  KeyType type_;
  std::unique_ptr<Impl> impl_;
};

class PublicKey {
 public:
  static Result<std::shared_ptr<const PublicKey>> FromPrivate(const PrivateKey& key);
  // SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  static Result<std::shared_ptr<const PublicKey>> FromPem(std::string_view pem);
  static Result<std::shared_ptr<const PublicKey>> LoadPemFile(const std::string& path);

  ~PublicKey();
  KeyType type() const { return type_; }
  Result<std::string> ToPem() const;
  // Same atomic replacement and mode 0600 as PrivateKey::SavePemFile.
  Status SavePemFile(const std::string& path) const;
  // SHA-256 of the DER encoding, hex: a key's stable id in messages and logs.
  std::string Fingerprint() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  PublicKey(KeyType type, std::unique_ptr<Impl> impl);
  KeyType type_;
  std::unique_ptr<Impl> impl_;
};

// Signs messages. ECDSA P-256 signatures are DER-encoded over SHA-256; Ed25519 is pure.
class Signer {
 public:
  explicit Signer(std::shared_ptr<const PrivateKey> key);
  Result<Bytes> Sign(ByteView message) const;
  KeyType type() const { return key_->type(); }

 private:
  std::shared_ptr<const PrivateKey> key_;
};

class Verifier {
 public:
  explicit Verifier(std::shared_ptr<const PublicKey> key);
  // Ok when `signature` is a valid signature of `message`; kVerifyFailed otherwise (including
  // a malformed signature).
  Status Verify(ByteView message, ByteView signature) const;
  const PublicKey& key() const { return *key_; }

 private:
  std::shared_ptr<const PublicKey> key_;
};

// PBKDF2-HMAC-SHA-256 password hashes in a self-describing text form:
//   "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>"
struct PasswordHashParams {
  // OWASP's 2023 guidance for PBKDF2-HMAC-SHA-256 is 600,000; tests and simulations with
  // thousands of staff logins may lower it through this struct.
  uint32_t iterations = 600000;
  size_t salt_size = 16;
  size_t hash_size = 32;
};
// `salt` empty: drawn from RandomBytes. A given salt makes the hash reproducible (tests).
// kInvalidArgument unless iterations >= 1, the salt is 8 to 1024 bytes (RFC 8018 asks for at
// least 64 bits) and hash_size is 8 to 64 bytes.
Result<std::string> HashPassword(std::string_view password, const PasswordHashParams& params,
                                 ByteView salt = {});
// Ok on a match; kVerifyFailed on a mismatch; kParseError when `encoded` is not a hash of the
// form above. Constant-time comparison.
Status VerifyPassword(std::string_view password, std::string_view encoded);

}  // namespace renkei::netsim::crypto
