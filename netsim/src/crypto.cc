#include "netsim/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <utility>

#include "netsim/errors.h"

namespace renkei::netsim::crypto {
namespace {

// Every OpenSSL object is owned by one of these, so no early return can leak it.
template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdPtr = std::unique_ptr<EVP_MD, Deleter<EVP_MD_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using MacPtr = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
// Private scalars are wiped on release.
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;

// OpenSSL rejects a null pointer even with length 0, and an empty span may hold one.
constexpr uint8_t kEmpty[1] = {0};
const uint8_t* DataOrEmpty(ByteView v) { return v.empty() ? kEmpty : v.data(); }

// Reads and clears the thread's OpenSSL error queue so a stale entry never shows up in the
// message of a later, unrelated failure.
std::string DrainErrors() {
  std::string out;
  char buf[256];
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

// A tag or signature mismatch often leaves the queue empty: then `what` is the whole story.
Error OpensslError(Errc code, std::string_view what) {
  const std::string detail = DrainErrors();
  return MakeError(code, detail.empty() ? std::string(what) : std::string(what) + ": " + detail);
}
Error CryptoError(std::string_view what) { return OpensslError(Errc::kCryptoError, what); }

// Sha256() has no error channel, and SHA-256 from the default provider cannot fail short of a
// broken installation or memory exhaustion: treat that as a broken invariant.
[[noreturn]] void Die(std::string_view what) {
  std::cerr << "renkei: " << what << ": " << DrainErrors() << "\n";
  std::abort();
}

// Fetched once: passing EVP_sha256() instead would make OpenSSL 3 repeat an implicit fetch (a
// locked lookup in the provider store) on every digest. The handle is immutable and
// thread-safe, so sharing it is not ambient state.
const EVP_MD* Sha256Md() {
  static const MdPtr md = [] {
    MdPtr m(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!m) Die("EVP_MD_fetch(SHA256) failed");
    return m;
  }();
  return md.get();
}

bool IsP256(EVP_PKEY* pkey) {
  char name[64];
  size_t len = 0;
  if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1) {
    ERR_clear_error();
    return false;
  }
  const std::string_view group(name, len);
  return group == "prime256v1" || group == "P-256";
}

Result<KeyType> DetectType(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) return KeyType::kEd25519;
  if (EVP_PKEY_is_a(pkey, "EC") && IsP256(pkey)) return KeyType::kEcdsaP256;
  return MakeError(Errc::kInvalidArgument, std::string("unsupported key type ") +
                                               EVP_PKEY_get0_type_name(pkey) +
                                               " (want ECDSA P-256 or Ed25519)");
}

Result<BioPtr> ReadBio(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT_MAX)) {
    return MakeError(Errc::kInvalidArgument, "PEM text larger than 2 GiB");
  }
  BioPtr bio(BIO_new_mem_buf(text.empty() ? "" : text.data(), static_cast<int>(text.size())));
  if (!bio) return CryptoError("BIO_new_mem_buf failed");
  return bio;
}

Result<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);
  if (len < 0 || (len > 0 && data == nullptr)) return CryptoError("reading memory BIO failed");
  return std::string(data, static_cast<size_t>(len));
}

Result<std::string> ReadSmallFile(const std::string& path) {
  // Key files are a few hundred bytes; the cap keeps a wrong path (a log, a device) from
  // being slurped into memory.
  constexpr std::streamsize kMaxKeyFile = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(Errc::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  }
  std::string text(static_cast<size_t>(kMaxKeyFile) + 1, '\0');
  in.read(text.data(), kMaxKeyFile + 1);
  if (in.bad()) return MakeError(Errc::kIoError, "cannot read " + path);
  if (in.gcount() > kMaxKeyFile) {
    return MakeError(Errc::kParseError, path + " is larger than 1 MiB; not a PEM key");
  }
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

Error IoError(const std::string& what) {
  return MakeError(Errc::kIoError, what + ": " + std::strerror(errno));
}

// The temporary sits in the target's directory so rename() stays on one file system and
// replaces the target atomically: a reader sees the old key or the new one, never half a key.
Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  std::string name = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return IoError("cannot create a temporary file beside " + path);
  auto fail = [&](const std::string& what) {
    Error e = IoError(what);
    ::close(fd);
    ::unlink(name.c_str());
    return e;
  };
  // mkstemp already uses 0600 on glibc; POSIX does not promise it.
  if (::fchmod(fd, mode) != 0) return fail("fchmod " + name);
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write " + name);
    }
    done += static_cast<size_t>(n);
  }
  // Without fsync a crash after the rename can leave an empty key file in place of the old.
  if (::fsync(fd) != 0) return fail("fsync " + name);
  if (::close(fd) != 0) {
    Error e = IoError("close " + name);
    ::unlink(name.c_str());
    return e;
  }
  if (::rename(name.c_str(), path.c_str()) != 0) {
    Error e = IoError("rename " + name + " to " + path);
    ::unlink(name.c_str());
    return e;
  }
  return OkStatus();
}

// Refuses encrypted PEM. With a null callback OpenSSL would prompt on the terminal instead.
int NoPassphrase(char*, int, int, void*) { return -1; }

Result<std::string> PublicPemOf(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return CryptoError("BIO_new failed");
  if (PEM_write_bio_PUBKEY(bio.get(), pkey) != 1) return CryptoError("PEM_write_bio_PUBKEY failed");
  return BioContents(bio.get());
}

Result<Bytes> PublicDerOf(EVP_PKEY* pkey) {
  const int len = i2d_PUBKEY(pkey, nullptr);
  if (len <= 0) return CryptoError("i2d_PUBKEY failed");
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  if (i2d_PUBKEY(pkey, &p) != len) return CryptoError("i2d_PUBKEY failed");
  return der;
}

// A context initialised once per key. Each Sign/Verify copies it, which skips the provider
// lookups that EVP_DigestSignInit repeats on every call, and leaves the template untouched so
// a key stays shareable between threads.
Result<MdCtxPtr> MakeTemplate(EVP_PKEY* pkey, KeyType type, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return CryptoError("EVP_MD_CTX_new failed");
  // Ed25519 hashes internally ("pure"), so it takes no digest.
  const EVP_MD* md = type == KeyType::kEcdsaP256 ? Sha256Md() : nullptr;
  const int rc = sign ? EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, pkey)
                      : EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey);
  if (rc != 1)
    return CryptoError(sign ? "EVP_DigestSignInit failed" : "EVP_DigestVerifyInit failed");
  // Each copy is finalised exactly once; without the flag the final call duplicates the
  // context again so it could be continued.
  EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);
  return ctx;
}

Result<MdCtxPtr> CopyTemplate(const EVP_MD_CTX* tmpl) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return CryptoError("EVP_MD_CTX_new failed");
  if (EVP_MD_CTX_copy_ex(ctx.get(), tmpl) != 1) return CryptoError("EVP_MD_CTX_copy_ex failed");
  return ctx;
}

Result<PkeyPtr> P256FromScalar(const BIGNUM* scalar) {
  uint8_t priv[32];
  if (BN_bn2binpad(scalar, priv, sizeof(priv)) != static_cast<int>(sizeof(priv))) {
    return CryptoError("BN_bn2binpad failed");
  }
  // RFC 5915 ECPrivateKey {version 1, privateKey, [0] prime256v1} without the public key.
  // Decoding it makes OpenSSL compute the public point, which avoids the EC_POINT API that
  // OpenSSL 3 deprecates.
  uint8_t der[51] = {0x30, 0x31, 0x02, 0x01, 0x01, 0x04, 0x20};
  constexpr uint8_t kCurve[] = {0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  std::memcpy(der + 7, priv, sizeof(priv));
  std::memcpy(der + 39, kCurve, sizeof(kCurve));
  const unsigned char* p = der;
  PkeyPtr decoded(d2i_PrivateKey(EVP_PKEY_EC, nullptr, &p, sizeof(der)));
  OPENSSL_cleanse(der, sizeof(der));
  OPENSSL_cleanse(priv, sizeof(priv));
  if (!decoded) return CryptoError("decoding the P-256 private scalar failed");

  uint8_t pub[65];
  size_t pub_len = 0;
  if (EVP_PKEY_get_octet_string_param(decoded.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub),
                                      &pub_len) != 1) {
    return CryptoError("reading the derived P-256 public point failed");
  }
  // Rebuilt with both halves: a key decoded without its public point remembers that and
  // would write PEM without it, unlike a generated key.
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) return CryptoError("OSSL_PARAM_BLD_new failed");
  if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) != 1) {
    return CryptoError("building P-256 key parameters failed");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return CryptoError("OSSL_PARAM_BLD_to_param failed");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx) return CryptoError("EVP_PKEY_CTX_new_from_name(EC) failed");
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) return CryptoError("EVP_PKEY_fromdata_init failed");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return CryptoError("EVP_PKEY_fromdata(P-256) failed");
  }
  return PkeyPtr(raw);
}

Result<PkeyPtr> P256FromSeed(const Digest& hash) {
  BnCtxPtr bn_ctx(BN_CTX_secure_new());
  BnPtr h(BN_secure_new());
  BnPtr n_minus_1(BN_new());
  BnPtr scalar(BN_secure_new());
  if (!bn_ctx || !h || !n_minus_1 || !scalar) return CryptoError("BN allocation failed");
  // The order n of P-256 (SEC 2, section 2.4.2). Reducing mod n-1 and adding one lands in
  // [1, n-1], the valid private scalars, with negligible bias.
  BIGNUM* order = n_minus_1.get();
  if (BN_hex2bn(&order, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551") == 0 ||
      BN_sub_word(n_minus_1.get(), 1) != 1) {
    return CryptoError("loading the P-256 order failed");
  }
  if (BN_bin2bn(hash.data(), static_cast<int>(hash.size()), h.get()) == nullptr ||
      BN_mod(scalar.get(), h.get(), n_minus_1.get(), bn_ctx.get()) != 1 ||
      BN_add_word(scalar.get(), 1) != 1) {
    return CryptoError("reducing the seed to a P-256 scalar failed");
  }
  return P256FromScalar(scalar.get());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Hex and digests.

std::string ToHex(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return MakeError(Errc::kParseError, "hex string has odd length " + std::to_string(hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      const size_t at = hi < 0 ? 2 * i : 2 * i + 1;
      return MakeError(Errc::kParseError,
                       "non-hex character at offset " + std::to_string(at) + " of hex string");
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

Digest Sha256(ByteView data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(DataOrEmpty(data), data.size(), out.data(), &len, Sha256Md(), nullptr) != 1 ||
      len != out.size()) {
    Die("EVP_Digest(SHA256) failed");
  }
  return out;
}

bool ConstantTimeEqual(ByteView a, ByteView b) {
  // Lengths of MACs and digests are public; only the contents must not leak through timing.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Bytes> RandomBytes(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) {
    return MakeError(Errc::kInvalidArgument, "RandomBytes: request larger than 2 GiB");
  }
  Bytes out(n);
  if (n == 0) return out;
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) return CryptoError("RAND_bytes failed");
  return out;
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA-256.

struct HmacSha256::Impl {
  MacPtr mac;
  MacCtxPtr ctx;
};

HmacSha256::HmacSha256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HmacSha256::HmacSha256(HmacSha256&&) noexcept = default;
HmacSha256& HmacSha256::operator=(HmacSha256&&) noexcept = default;
HmacSha256::~HmacSha256() = default;

Result<HmacSha256> HmacSha256::Create(ByteView key) {
  // RFC 2104 allows it, but an empty key here is always a missing configuration value.
  if (key.empty()) return MakeError(Errc::kInvalidArgument, "HMAC-SHA-256 key is empty");
  auto impl = std::make_unique<Impl>();
  impl->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!impl->mac) return CryptoError("EVP_MAC_fetch(HMAC) failed");
  impl->ctx.reset(EVP_MAC_CTX_new(impl->mac.get()));
  if (!impl->ctx) return CryptoError("EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(impl->ctx.get(), key.data(), key.size(), params) != 1) {
    return CryptoError("EVP_MAC_init(HMAC-SHA-256) failed");
  }
  return HmacSha256(std::move(impl));
}

Result<Digest> HmacSha256::Mac(ByteView data) {
  if (!impl_) Die("HmacSha256 used after move");
  // A null key re-initialises with the key schedule computed in Create.
  if (EVP_MAC_init(impl_->ctx.get(), nullptr, 0, nullptr) != 1) {
    return CryptoError("EVP_MAC_init(reinit) failed");
  }
  if (!data.empty() && EVP_MAC_update(impl_->ctx.get(), data.data(), data.size()) != 1) {
    return CryptoError("EVP_MAC_update failed");
  }
  Digest out{};
  size_t len = 0;
  if (EVP_MAC_final(impl_->ctx.get(), out.data(), &len, out.size()) != 1) {
    return CryptoError("EVP_MAC_final failed");
  }
  if (len != out.size()) {
    return MakeError(Errc::kCryptoError,
                     "EVP_MAC_final returned " + std::to_string(len) + " bytes, want 32");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AES-256-GCM.

struct Aes256Gcm::Impl {
  // The context does not hold a reference to an explicitly fetched cipher: keep it alive and
  // destroy it after the context (members are destroyed in reverse order).
  CipherPtr cipher;
  CipherCtxPtr ctx;
};

Aes256Gcm::Aes256Gcm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Aes256Gcm::Aes256Gcm(Aes256Gcm&&) noexcept = default;
Aes256Gcm& Aes256Gcm::operator=(Aes256Gcm&&) noexcept = default;
Aes256Gcm::~Aes256Gcm() = default;

Result<Aes256Gcm> Aes256Gcm::Create(ByteView key) {
  if (key.size() != kKeySize) {
    return MakeError(Errc::kInvalidArgument,
                     "AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->cipher.reset(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
  if (!impl->cipher) return CryptoError("EVP_CIPHER_fetch(AES-256-GCM) failed");
  impl->ctx.reset(EVP_CIPHER_CTX_new());
  if (!impl->ctx) return CryptoError("EVP_CIPHER_CTX_new failed");
  // The key schedule is computed once here; Seal and Open only set the nonce and direction.
  if (EVP_CipherInit_ex2(impl->ctx.get(), impl->cipher.get(), key.data(), nullptr, 1, nullptr) !=
      1) {
    return CryptoError("EVP_CipherInit_ex2(AES-256-GCM key) failed");
  }
  return Aes256Gcm(std::move(impl));
}

namespace {
Status CheckNonce(ByteView nonce) {
  if (nonce.size() != Aes256Gcm::kNonceSize) {
    return MakeError(Errc::kInvalidArgument,
                     "AES-256-GCM nonce must be 12 bytes, got " + std::to_string(nonce.size()));
  }
  return OkStatus();
}

Status CheckLength(size_t n, std::string_view what) {
  if (n > static_cast<size_t>(INT_MAX)) {
    return MakeError(Errc::kInvalidArgument,
                     "AES-256-GCM " + std::string(what) + " larger than 2 GiB");
  }
  return OkStatus();
}

Status StartGcm(EVP_CIPHER_CTX* ctx, ByteView nonce, ByteView aad, int enc) {
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, nonce.data(), enc, nullptr) != 1) {
    return CryptoError("EVP_CipherInit_ex2(AES-256-GCM nonce) failed");
  }
  int outl = 0;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &outl, aad.data(), static_cast<int>(aad.size())) != 1) {
    return CryptoError("EVP_CipherUpdate(AES-256-GCM aad) failed");
  }
  return OkStatus();
}
}  // namespace

Result<Bytes> Aes256Gcm::Seal(ByteView nonce, ByteView plaintext, ByteView aad) {
  if (!impl_) Die("Aes256Gcm used after move");
  RENKEI_CHECK_OK(CheckNonce(nonce));
  RENKEI_CHECK_OK(CheckLength(plaintext.size(), "plaintext"));
  RENKEI_CHECK_OK(CheckLength(aad.size(), "associated data"));
  EVP_CIPHER_CTX* ctx = impl_->ctx.get();
  RENKEI_CHECK_OK(StartGcm(ctx, nonce, aad, 1));
  Bytes out(plaintext.size() + kTagSize);
  int outl = 0;
  if (!plaintext.empty() && (EVP_CipherUpdate(ctx, out.data(), &outl, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1 ||
                             static_cast<size_t>(outl) != plaintext.size())) {
    return CryptoError("EVP_CipherUpdate(AES-256-GCM seal) failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx, out.data() + plaintext.size(), &final_len) != 1 || final_len != 0) {
    return CryptoError("EVP_CipherFinal_ex(AES-256-GCM seal) failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                          out.data() + plaintext.size()) != 1) {
    return CryptoError("reading the AES-256-GCM tag failed");
  }
  return out;
}

Result<Bytes> Aes256Gcm::Open(ByteView nonce, ByteView sealed, ByteView aad) {
  if (!impl_) Die("Aes256Gcm used after move");
  RENKEI_CHECK_OK(CheckNonce(nonce));
  RENKEI_CHECK_OK(CheckLength(sealed.size(), "ciphertext"));
  RENKEI_CHECK_OK(CheckLength(aad.size(), "associated data"));
  if (sealed.size() < kTagSize) {
    return MakeError(Errc::kVerifyFailed, "AES-256-GCM sealed data is " +
                                              std::to_string(sealed.size()) +
                                              " bytes, shorter than the 16-byte tag");
  }
  EVP_CIPHER_CTX* ctx = impl_->ctx.get();
  RENKEI_CHECK_OK(StartGcm(ctx, nonce, aad, 0));
  const size_t text_len = sealed.size() - kTagSize;
  Bytes out(text_len);
  int outl = 0;
  if (text_len > 0 &&
      (EVP_CipherUpdate(ctx, out.data(), &outl, sealed.data(), static_cast<int>(text_len)) != 1 ||
       static_cast<size_t>(outl) != text_len)) {
    return CryptoError("EVP_CipherUpdate(AES-256-GCM open) failed");
  }
  // The ctrl takes a non-const pointer but only copies the tag.
  uint8_t tag[kTagSize];
  std::memcpy(tag, sealed.data() + text_len, kTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag) != 1) {
    return CryptoError("setting the AES-256-GCM tag failed");
  }
  int final_len = 0;
  if (EVP_CipherFinal_ex(ctx, out.data() + text_len, &final_len) != 1) {
    // Unauthenticated plaintext must not outlive the failed check.
    OPENSSL_cleanse(out.data(), out.size());
    return OpensslError(Errc::kVerifyFailed,
                        "AES-256-GCM tag mismatch (ciphertext, tag, nonce or aad changed)");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AES-256 single blocks.

struct Aes256Block::Impl {
  // Destroyed after the contexts, which do not own the explicitly fetched cipher.
  CipherPtr cipher;
  CipherCtxPtr enc;
  CipherCtxPtr dec;
};

Aes256Block::Aes256Block(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Aes256Block::Aes256Block(Aes256Block&&) noexcept = default;
Aes256Block& Aes256Block::operator=(Aes256Block&&) noexcept = default;
Aes256Block::~Aes256Block() = default;

Result<Aes256Block> Aes256Block::Create(ByteView key) {
  if (key.size() != kKeySize) {
    return MakeError(Errc::kInvalidArgument,
                     "AES-256 key must be 32 bytes, got " + std::to_string(key.size()));
  }
  auto impl = std::make_unique<Impl>();
  impl->cipher.reset(EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr));
  if (!impl->cipher) return CryptoError("EVP_CIPHER_fetch(AES-256-ECB) failed");
  impl->enc.reset(EVP_CIPHER_CTX_new());
  impl->dec.reset(EVP_CIPHER_CTX_new());
  if (!impl->enc || !impl->dec) return CryptoError("EVP_CIPHER_CTX_new failed");
  // One context per direction so each call is a bare update: with padding off and whole
  // blocks, ECB keeps no state between updates and never needs a final.
  if (EVP_CipherInit_ex2(impl->enc.get(), impl->cipher.get(), key.data(), nullptr, 1, nullptr) !=
          1 ||
      EVP_CipherInit_ex2(impl->dec.get(), impl->cipher.get(), key.data(), nullptr, 0, nullptr) !=
          1) {
    return CryptoError("EVP_CipherInit_ex2(AES-256-ECB key) failed");
  }
  if (EVP_CIPHER_CTX_set_padding(impl->enc.get(), 0) != 1 ||
      EVP_CIPHER_CTX_set_padding(impl->dec.get(), 0) != 1) {
    return CryptoError("EVP_CIPHER_CTX_set_padding(AES-256-ECB) failed");
  }
  return Aes256Block(std::move(impl));
}

namespace {
Status OneBlock(EVP_CIPHER_CTX* ctx, const Aes256Block::Block& in, Aes256Block::Block& out,
                std::string_view what) {
  int outl = 0;
  if (EVP_CipherUpdate(ctx, out.data(), &outl, in.data(), static_cast<int>(in.size())) != 1 ||
      outl != static_cast<int>(out.size())) {
    return CryptoError(what);
  }
  return OkStatus();
}
}  // namespace

Status Aes256Block::Encrypt(const Block& in, Block& out) {
  if (!impl_) Die("Aes256Block used after move");
  return OneBlock(impl_->enc.get(), in, out, "EVP_CipherUpdate(AES-256 encrypt block) failed");
}

Status Aes256Block::Decrypt(const Block& in, Block& out) {
  if (!impl_) Die("Aes256Block used after move");
  return OneBlock(impl_->dec.get(), in, out, "EVP_CipherUpdate(AES-256 decrypt block) failed");
}

// ---------------------------------------------------------------------------------------------
// Keys.

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP256:
      return "ecdsa-p256";
    case KeyType::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

struct PrivateKey::Impl {
  PkeyPtr pkey;
  MdCtxPtr sign_template;
};

struct PublicKey::Impl {
  PkeyPtr pkey;
  MdCtxPtr verify_template;
  std::string fingerprint;
};

namespace {
Result<std::unique_ptr<PrivateKey::Impl>> MakePrivateImpl(PkeyPtr pkey, KeyType type) {
  auto impl = std::make_unique<PrivateKey::Impl>();
  RENKEI_TRY(impl->sign_template, MakeTemplate(pkey.get(), type, /*sign=*/true));
  impl->pkey = std::move(pkey);
  return impl;
}

Result<std::unique_ptr<PublicKey::Impl>> MakePublicImpl(PkeyPtr pkey, KeyType type) {
  auto impl = std::make_unique<PublicKey::Impl>();
  RENKEI_TRY(const Bytes der, PublicDerOf(pkey.get()));
  const Digest fp = Sha256(der);
  impl->fingerprint = ToHex(fp);
  RENKEI_TRY(impl->verify_template, MakeTemplate(pkey.get(), type, /*sign=*/false));
  impl->pkey = std::move(pkey);
  return impl;
}
}  // namespace

PrivateKey::PrivateKey(KeyType type, std::unique_ptr<Impl> impl)
    : type_(type), impl_(std::move(impl)) {}
PrivateKey::~PrivateKey() = default;

Result<std::shared_ptr<const PrivateKey>> PrivateKey::Generate(KeyType type) {
  PkeyPtr pkey(type == KeyType::kEcdsaP256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                           : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!pkey) return CryptoError("generating " + std::string(KeyTypeName(type)) + " key failed");
  RENKEI_TRY(auto impl, MakePrivateImpl(std::move(pkey), type));
  return std::shared_ptr<const PrivateKey>(new PrivateKey(type, std::move(impl)));
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::FromSeed(KeyType type, ByteView seed) {
  if (seed.size() < 32) {
    return MakeError(Errc::kInvalidArgument,
                     "key seed must be at least 32 bytes, got " + std::to_string(seed.size()));
  }
  Digest hash = Sha256(seed);
  PkeyPtr pkey;
  if (type == KeyType::kEd25519) {
    pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, hash.data(), hash.size()));
    if (!pkey) {
      OPENSSL_cleanse(hash.data(), hash.size());
      return CryptoError("EVP_PKEY_new_raw_private_key(Ed25519) failed");
    }
  } else {
    auto made = P256FromSeed(hash);
    if (!made.ok()) {
      OPENSSL_cleanse(hash.data(), hash.size());
      return made.error();
    }
    pkey = std::move(made).value();
  }
  OPENSSL_cleanse(hash.data(), hash.size());
  RENKEI_TRY(auto impl, MakePrivateImpl(std::move(pkey), type));
  return std::shared_ptr<const PrivateKey>(new PrivateKey(type, std::move(impl)));
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::FromPem(std::string_view pem) {
  RENKEI_TRY(BioPtr bio, ReadBio(pem));
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return OpensslError(Errc::kParseError, "not an unencrypted PEM private key");
  RENKEI_TRY(const KeyType type, DetectType(pkey.get()));
  RENKEI_TRY(auto impl, MakePrivateImpl(std::move(pkey), type));
  return std::shared_ptr<const PrivateKey>(new PrivateKey(type, std::move(impl)));
}

Result<std::shared_ptr<const PrivateKey>> PrivateKey::LoadPemFile(const std::string& path) {
  RENKEI_TRY(std::string text, ReadSmallFile(path));
  auto key = FromPem(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key.ok()) return Error{key.error().code, path + ": " + key.error().message};
  return key;
}

Result<std::string> PrivateKey::ToPem() const {
  // Secure-heap BIO: the PEM holds the private key in the clear.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return CryptoError("BIO_new failed");
  if (PEM_write_bio_PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return CryptoError("PEM_write_bio_PrivateKey failed");
  }
  return BioContents(bio.get());
}

Status PrivateKey::SavePemFile(const std::string& path) const {
  RENKEI_TRY(std::string pem, ToPem());
  Status saved = WriteFileAtomically(path, pem, 0600);
  OPENSSL_cleanse(pem.data(), pem.size());
  return saved;
}

Result<std::string> PrivateKey::PublicPem() const { return PublicPemOf(impl_->pkey.get()); }

PublicKey::PublicKey(KeyType type, std::unique_ptr<Impl> impl)
    : type_(type), impl_(std::move(impl)) {}
PublicKey::~PublicKey() = default;

Result<std::shared_ptr<const PublicKey>> PublicKey::FromPrivate(const PrivateKey& key) {
  // Through DER so the public key object never holds the private half.
  RENKEI_TRY(const Bytes der, PublicDerOf(key.impl().pkey.get()));
  const unsigned char* p = der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey) return CryptoError("d2i_PUBKEY failed");
  RENKEI_TRY(auto impl, MakePublicImpl(std::move(pkey), key.type()));
  return std::shared_ptr<const PublicKey>(new PublicKey(key.type(), std::move(impl)));
}

Result<std::shared_ptr<const PublicKey>> PublicKey::FromPem(std::string_view pem) {
  RENKEI_TRY(BioPtr bio, ReadBio(pem));
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return OpensslError(Errc::kParseError, "not a PEM public key");
  RENKEI_TRY(const KeyType type, DetectType(pkey.get()));
  RENKEI_TRY(auto impl, MakePublicImpl(std::move(pkey), type));
  return std::shared_ptr<const PublicKey>(new PublicKey(type, std::move(impl)));
}

Result<std::shared_ptr<const PublicKey>> PublicKey::LoadPemFile(const std::string& path) {
  RENKEI_TRY(const std::string text, ReadSmallFile(path));
  auto key = FromPem(text);
  if (!key.ok()) return Error{key.error().code, path + ": " + key.error().message};
  return key;
}

Result<std::string> PublicKey::ToPem() const { return PublicPemOf(impl_->pkey.get()); }

Status PublicKey::SavePemFile(const std::string& path) const {
  RENKEI_TRY(const std::string pem, ToPem());
  return WriteFileAtomically(path, pem, 0600);
}

std::string PublicKey::Fingerprint() const { return impl_->fingerprint; }

// ---------------------------------------------------------------------------------------------
// Signing.

Signer::Signer(std::shared_ptr<const PrivateKey> key) : key_(std::move(key)) {
  if (!key_) {
    std::cerr << "renkei: Signer constructed without a key\n";
    std::abort();
  }
}

Result<Bytes> Signer::Sign(ByteView message) const {
  const PrivateKey::Impl& impl = key_->impl();
  RENKEI_TRY(MdCtxPtr ctx, CopyTemplate(impl.sign_template.get()));
  const int max_len = EVP_PKEY_get_size(impl.pkey.get());
  if (max_len <= 0) return CryptoError("EVP_PKEY_get_size failed");
  Bytes sig(static_cast<size_t>(max_len));
  size_t sig_len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len, DataOrEmpty(message), message.size()) != 1) {
    return CryptoError(std::string("EVP_DigestSign(") + std::string(KeyTypeName(key_->type())) +
                       ") failed");
  }
  sig.resize(sig_len);
  return sig;
}

Verifier::Verifier(std::shared_ptr<const PublicKey> key) : key_(std::move(key)) {
  if (!key_) {
    std::cerr << "renkei: Verifier constructed without a key\n";
    std::abort();
  }
}

Status Verifier::Verify(ByteView message, ByteView signature) const {
  const PublicKey::Impl& impl = key_->impl();
  RENKEI_TRY(MdCtxPtr ctx, CopyTemplate(impl.verify_template.get()));
  // 0 is a mismatch and a negative value a malformed signature (bad DER, wrong length): to
  // the caller both mean the signature does not vouch for the message.
  const int rc = EVP_DigestVerify(ctx.get(), DataOrEmpty(signature), signature.size(),
                                  DataOrEmpty(message), message.size());
  if (rc != 1) {
    return OpensslError(Errc::kVerifyFailed,
                        std::string(KeyTypeName(key_->type())) + " signature does not verify");
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Passwords.

namespace {
constexpr std::string_view kPasswordScheme = "pbkdf2-sha256";

Result<Bytes> Pbkdf2(std::string_view password, ByteView salt, uint32_t iterations,
                     size_t hash_size) {
  if (password.size() > static_cast<size_t>(INT_MAX) ||
      salt.size() > static_cast<size_t>(INT_MAX)) {
    return MakeError(Errc::kInvalidArgument, "password or salt larger than 2 GiB");
  }
  Bytes out(hash_size);
  if (PKCS5_PBKDF2_HMAC(password.empty() ? "" : password.data(), static_cast<int>(password.size()),
                        DataOrEmpty(salt), static_cast<int>(salt.size()),
                        static_cast<int>(iterations), Sha256Md(), static_cast<int>(hash_size),
                        out.data()) != 1) {
    return CryptoError("PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

// Bounds shared by hashing and parsing: salt and output at least 64 bits (RFC 8018 §4.1),
// output at most two SHA-256 blocks, which is already more than the hash can add.
constexpr size_t kMinSalt = 8;
constexpr size_t kMaxSalt = 1024;
constexpr size_t kMinHash = 8;
constexpr size_t kMaxHash = 64;

Status CheckPasswordParams(uint32_t iterations, size_t salt_size, size_t hash_size, Errc code) {
  if (iterations < 1 || iterations > static_cast<uint32_t>(INT_MAX)) {
    return MakeError(code,
                     "PBKDF2 iterations must be in [1, 2^31-1], got " + std::to_string(iterations));
  }
  if (salt_size < kMinSalt || salt_size > kMaxSalt) {
    return MakeError(code, "PBKDF2 salt must be 8 to 1024 bytes, got " + std::to_string(salt_size));
  }
  if (hash_size < kMinHash || hash_size > kMaxHash) {
    return MakeError(code, "PBKDF2 hash must be 8 to 64 bytes, got " + std::to_string(hash_size));
  }
  return OkStatus();
}
}  // namespace

Result<std::string> HashPassword(std::string_view password, const PasswordHashParams& params,
                                 ByteView salt) {
  Bytes drawn;
  if (salt.empty()) {
    RENKEI_CHECK_OK(CheckPasswordParams(params.iterations, params.salt_size, params.hash_size,
                                        Errc::kInvalidArgument));
    RENKEI_TRY(drawn, RandomBytes(params.salt_size));
    salt = drawn;
  }
  RENKEI_CHECK_OK(CheckPasswordParams(params.iterations, salt.size(), params.hash_size,
                                      Errc::kInvalidArgument));
  RENKEI_TRY(Bytes hash, Pbkdf2(password, salt, params.iterations, params.hash_size));
  std::string out(kPasswordScheme);
  out += '$';
  out += std::to_string(params.iterations);
  out += '$';
  out += ToHex(salt);
  out += '$';
  out += ToHex(hash);
  OPENSSL_cleanse(hash.data(), hash.size());
  return out;
}

Status VerifyPassword(std::string_view password, std::string_view encoded) {
  auto parse_error = [](const std::string& why) {
    return MakeError(Errc::kParseError, "malformed password hash: " + why);
  };
  std::string_view fields[4];
  std::string_view rest = encoded;
  for (int i = 0; i < 3; ++i) {
    const size_t dollar = rest.find('$');
    if (dollar == std::string_view::npos) return parse_error("want 4 '$'-separated fields");
    fields[i] = rest.substr(0, dollar);
    rest.remove_prefix(dollar + 1);
  }
  if (rest.find('$') != std::string_view::npos) return parse_error("want 4 '$'-separated fields");
  fields[3] = rest;
  if (fields[0] != kPasswordScheme) return parse_error("scheme is not pbkdf2-sha256");

  uint32_t iterations = 0;
  const std::string_view iter_text = fields[1];
  const auto [end, ec] =
      std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
  if (iter_text.empty() || ec != std::errc() || end != iter_text.data() + iter_text.size()) {
    return parse_error("iteration count is not a decimal number");
  }
  auto salt = FromHex(fields[2]);
  if (!salt.ok()) return parse_error("salt: " + salt.error().message);
  auto want = FromHex(fields[3]);
  if (!want.ok()) return parse_error("hash: " + want.error().message);
  RENKEI_CHECK_OK(CheckPasswordParams(iterations, salt->size(), want->size(), Errc::kParseError));

  RENKEI_TRY(Bytes got, Pbkdf2(password, *salt, iterations, want->size()));
  const bool match = ConstantTimeEqual(got, *want);
  OPENSSL_cleanse(got.data(), got.size());
  if (!match) return MakeError(Errc::kVerifyFailed, "password does not match");
  return OkStatus();
}

}  // namespace renkei::netsim::crypto
