#include "netsim/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "netsim/errors.h"

namespace renkei::netsim::crypto {
namespace {

// --- helpers -------------------------------------------------------------------------------

std::string HexOf(const Digest& d) { return ToHex(d); }

template <typename T>
void ExpectErrc(const Result<T>& r, Errc want) {
  ASSERT_FALSE(r.ok()) << "expected error " << make_error_code(want).message();
  EXPECT_EQ(r.error().code, make_error_code(want)) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

Bytes Seed(uint8_t first) {
  Bytes seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  return seed;
}

std::shared_ptr<const PrivateKey> SeededKey(KeyType type, uint8_t first = 0) {
  auto key = PrivateKey::FromSeed(type, Seed(first));
  EXPECT_TRUE(key.ok()) << key.error().message;
  return *key;
}

std::shared_ptr<const PublicKey> PublicOf(const PrivateKey& key) {
  auto pub = PublicKey::FromPrivate(key);
  EXPECT_TRUE(pub.ok()) << pub.error().message;
  return *pub;
}

// About the size of a signed permit.
Bytes PermitLikeMessage() {
  Bytes msg(512);
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i * 31 + 7);
  return msg;
}

Bytes SignOrDie(const std::shared_ptr<const PrivateKey>& key, ByteView msg) {
  auto sig = Signer(key).Sign(msg);
  EXPECT_TRUE(sig.ok()) << sig.error().message;
  return sig.ok() ? *sig : Bytes{};
}

// A fresh directory per test under GoogleTest's temp dir, so parallel runs never collide.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("renkei_crypto_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  size_t EntryCount() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path_)) ++n;
    return n;
  }

 private:
  std::filesystem::path path_;
};

mode_t FileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Generated with `openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret`.
constexpr std::string_view kEncryptedEd25519Pem = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAid9IJys//woQICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEArLtqoucimjbOs+Wm5o4zMEQLxx
yXDSOx5mB26s/WCoRUL6cYpSNJ9ll7QdMVE3y4xg5CKxkFwdrPswJqWKTDeT5CM7
3o6+jMf/77HLrM1Z6po=
-----END ENCRYPTED PRIVATE KEY-----
)";

// Generated with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`.
constexpr std::string_view kP384Pem = R"(-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBqCAYafSo9eM3VrdJL
0k50hk/qKVlc3DAWSZuh+aqfK/gnR6hvtCyllbWdL0TZvsqhZANiAARjn61HKFgc
HwemYgFJ96rSlmqXuvlL2psNwrpgEOAhOa9l8Og66QTeGsVLg9FufKh7/dwesYCS
RmK/qg6nI0zBVZ22JFUGvjnOEd2a+oYRUZBIkmvOCjei99EGt1jkTcY=
-----END PRIVATE KEY-----
)";

// --- hex -------------------------------------------------------------------------------------

TEST(CryptoTest, ToHexIsLowerCase) {
  EXPECT_EQ(ToHex(Bytes{0x00, 0x0f, 0xa5, 0xff}), "000fa5ff");
  EXPECT_EQ(ToHex(Bytes{}), "");
}

TEST(CryptoTest, FromHexAcceptsUpperAndLowerCase) {
  auto bytes = FromHex("00aBcDeF");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, (Bytes{0x00, 0xab, 0xcd, 0xef}));
}

TEST(CryptoTest, FromHexOfEmptyIsEmpty) {
  auto bytes = FromHex("");
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());
}

TEST(CryptoTest, RejectsOddLengthHex) { ExpectErrc(FromHex("abc"), Errc::kParseError); }

TEST(CryptoTest, RejectsNonHexCharacter) {
  auto bytes = FromHex("00zz");
  ExpectErrc(bytes, Errc::kParseError);
  EXPECT_NE(bytes.error().message.find("offset 2"), std::string::npos) << bytes.error().message;
}

TEST(CryptoTest, RejectsHexWithSpaces) { ExpectErrc(FromHex("00 1"), Errc::kParseError); }

// --- digests and MACs ------------------------------------------------------------------------

TEST(CryptoTest, Sha256MatchesFips180AbcVector) {
  EXPECT_EQ(HexOf(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Sha256MatchesFips180TwoBlockVector) {
  EXPECT_EQ(HexOf(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoTest, Sha256OfEmptyInputMatchesKnownDigest) {
  EXPECT_EQ(HexOf(Sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231Case1) {
  auto hmac = HmacSha256::Create(Bytes(20, 0x0b));
  ASSERT_TRUE(hmac.ok()) << hmac.error().message;
  auto mac = hmac->Mac(AsBytes("Hi There"));
  ASSERT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(HexOf(*mac), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231Case2) {
  auto hmac = HmacSha256::Create(AsBytes("Jefe"));
  ASSERT_TRUE(hmac.ok()) << hmac.error().message;
  auto mac = hmac->Mac(AsBytes("what do ya want for nothing?"));
  ASSERT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(HexOf(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacSha256MatchesRfc4231Case6WithKeyLongerThanBlock) {
  auto hmac = HmacSha256::Create(Bytes(131, 0xaa));
  ASSERT_TRUE(hmac.ok()) << hmac.error().message;
  auto mac = hmac->Mac(AsBytes("Test Using Larger Than Block-Size Key - Hash Key First"));
  ASSERT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(HexOf(*mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

// The context is re-initialised per call: an earlier message must not leak into a later MAC.
TEST(CryptoTest, HmacSha256ReusedContextGivesIndependentMacs) {
  auto hmac = HmacSha256::Create(AsBytes("Jefe"));
  ASSERT_TRUE(hmac.ok());
  ASSERT_TRUE(hmac->Mac(AsBytes("something else first")).ok());
  ASSERT_TRUE(hmac->Mac({}).ok());
  for (int i = 0; i < 3; ++i) {
    auto mac = hmac->Mac(AsBytes("what do ya want for nothing?"));
    ASSERT_TRUE(mac.ok());
    EXPECT_EQ(HexOf(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }
}

TEST(CryptoTest, HmacSha256WorksAfterMove) {
  auto created = HmacSha256::Create(AsBytes("Jefe"));
  ASSERT_TRUE(created.ok());
  HmacSha256 moved = std::move(created).value();
  auto mac = moved.Mac(AsBytes("what do ya want for nothing?"));
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(HexOf(*mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, RejectsEmptyHmacKey) {
  ExpectErrc(HmacSha256::Create({}), Errc::kInvalidArgument);
}

TEST(CryptoTest, ConstantTimeEqualComparesContents) {
  EXPECT_TRUE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{0, 2, 3}, Bytes{1, 2, 3}));
}

TEST(CryptoTest, ConstantTimeEqualRejectsDifferentLengths) {
  EXPECT_FALSE(ConstantTimeEqual(Bytes{1, 2, 3}, Bytes{1, 2}));
  EXPECT_FALSE(ConstantTimeEqual(Bytes{}, Bytes{0}));
}

TEST(CryptoTest, ConstantTimeEqualOfTwoEmptyViewsIsTrue) {
  EXPECT_TRUE(ConstantTimeEqual(ByteView{}, ByteView{}));
}

TEST(CryptoTest, RandomBytesHaveRequestedLengthAndDiffer) {
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
}

TEST(CryptoTest, RandomBytesOfZeroIsEmpty) {
  auto r = RandomBytes(0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

// --- AES-256-GCM -----------------------------------------------------------------------------

class CryptoAesGcmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Aes256Gcm::Create(key_);
    ASSERT_TRUE(created.ok()) << created.error().message;
    aead_ = std::make_unique<Aes256Gcm>(std::move(created).value());
    auto sealed = aead_->Seal(nonce_, AsBytes(kText), AsBytes(kAad));
    ASSERT_TRUE(sealed.ok()) << sealed.error().message;
    sealed_ = *sealed;
  }

  static constexpr std::string_view kText = "replica payload: 基本4情報";
  static constexpr std::string_view kAad = "table=replica;row=42";
  Bytes key_ = Seed(100);
  Bytes nonce_ = Bytes(Aes256Gcm::kNonceSize, 0x24);
  std::unique_ptr<Aes256Gcm> aead_;
  Bytes sealed_;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14.
TEST(CryptoTest, AesGcmMatchesGcmSpecTestCase14) {
  auto aead = Aes256Gcm::Create(Bytes(32, 0));
  ASSERT_TRUE(aead.ok());
  auto sealed = aead->Seal(Bytes(12, 0), Bytes(16, 0), {});
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(ToHex(*sealed), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

// Test case 13: no plaintext, so the output is the tag alone.
TEST(CryptoTest, AesGcmSealsEmptyPlaintextToTagOnly) {
  auto aead = Aes256Gcm::Create(Bytes(32, 0));
  ASSERT_TRUE(aead.ok());
  auto sealed = aead->Seal(Bytes(12, 0), {}, {});
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(ToHex(*sealed), "530f8afbc74536b9a963b4f1c4cb738b");
  auto opened = aead->Open(Bytes(12, 0), *sealed, {});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_TRUE(opened->empty());
}

TEST_F(CryptoAesGcmTest, RoundTripsPlaintextOfManySizes) {
  for (const size_t size : {0, 1, 15, 16, 17, 1024, 4099}) {
    Bytes text(size);
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<uint8_t>(i);
    for (const std::string_view aad : {std::string_view(), kAad}) {
      auto sealed = aead_->Seal(nonce_, text, AsBytes(aad));
      ASSERT_TRUE(sealed.ok()) << sealed.error().message;
      ASSERT_EQ(sealed->size(), size + Aes256Gcm::kTagSize);
      auto opened = aead_->Open(nonce_, *sealed, AsBytes(aad));
      ASSERT_TRUE(opened.ok()) << "size " << size << ": " << opened.error().message;
      EXPECT_EQ(*opened, text);
    }
  }
}

TEST_F(CryptoAesGcmTest, OpensWithSeparateContextForSameKey) {
  auto other = Aes256Gcm::Create(key_);
  ASSERT_TRUE(other.ok());
  auto opened = other->Open(nonce_, sealed_, AsBytes(kAad));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, Bytes(kText.begin(), kText.end()));
}

TEST_F(CryptoAesGcmTest, RejectsTamperedAesGcmCiphertext) {
  Bytes tampered = sealed_;
  tampered[0] ^= 0x01;
  ExpectErrc(aead_->Open(nonce_, tampered, AsBytes(kAad)), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsTamperedAesGcmTag) {
  Bytes tampered = sealed_;
  tampered.back() ^= 0x80;
  ExpectErrc(aead_->Open(nonce_, tampered, AsBytes(kAad)), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsTamperedAesGcmAad) {
  ExpectErrc(aead_->Open(nonce_, sealed_, AsBytes("table=replica;row=43")), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsMissingAesGcmAad) {
  ExpectErrc(aead_->Open(nonce_, sealed_, {}), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmOpenWithDifferentNonce) {
  Bytes other = nonce_;
  other[11] ^= 0x01;
  ExpectErrc(aead_->Open(other, sealed_, AsBytes(kAad)), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmOpenWithDifferentKey) {
  auto other = Aes256Gcm::Create(Seed(101));
  ASSERT_TRUE(other.ok());
  ExpectErrc(other->Open(nonce_, sealed_, AsBytes(kAad)), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsTruncatedAesGcmSealedData) {
  const Bytes truncated(sealed_.begin(), sealed_.end() - 1);
  ExpectErrc(aead_->Open(nonce_, truncated, AsBytes(kAad)), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmSealedDataShorterThanTag) {
  ExpectErrc(aead_->Open(nonce_, Bytes(Aes256Gcm::kTagSize - 1, 0), {}), Errc::kVerifyFailed);
}

TEST_F(CryptoAesGcmTest, KeepsWorkingAfterFailedOpen) {
  Bytes tampered = sealed_;
  tampered[3] ^= 0x10;
  ASSERT_FALSE(aead_->Open(nonce_, tampered, AsBytes(kAad)).ok());
  auto opened = aead_->Open(nonce_, sealed_, AsBytes(kAad));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, Bytes(kText.begin(), kText.end()));
}

TEST(CryptoTest, RejectsAesGcmKeyOf16Bytes) {
  auto aead = Aes256Gcm::Create(Bytes(16, 1));
  ExpectErrc(aead, Errc::kInvalidArgument);
  EXPECT_NE(aead.error().message.find("32 bytes, got 16"), std::string::npos)
      << aead.error().message;
}

TEST(CryptoTest, RejectsAesGcmKeyOf33Bytes) {
  ExpectErrc(Aes256Gcm::Create(Bytes(33, 1)), Errc::kInvalidArgument);
}

TEST(CryptoTest, RejectsEmptyAesGcmKey) {
  ExpectErrc(Aes256Gcm::Create({}), Errc::kInvalidArgument);
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmSealWithLongNonce) {
  auto sealed = aead_->Seal(Bytes(16, 0), AsBytes(kText), {});
  ExpectErrc(sealed, Errc::kInvalidArgument);
  EXPECT_NE(sealed.error().message.find("12 bytes, got 16"), std::string::npos)
      << sealed.error().message;
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmSealWithEmptyNonce) {
  ExpectErrc(aead_->Seal({}, AsBytes(kText), {}), Errc::kInvalidArgument);
}

TEST_F(CryptoAesGcmTest, RejectsAesGcmOpenWithShortNonce) {
  ExpectErrc(aead_->Open(Bytes(8, 0x24), sealed_, AsBytes(kAad)), Errc::kInvalidArgument);
}

// --- signatures ------------------------------------------------------------------------------

class CryptoSignatureTest : public ::testing::TestWithParam<KeyType> {
 protected:
  void SetUp() override {
    auto key = PrivateKey::Generate(GetParam());
    ASSERT_TRUE(key.ok()) << key.error().message;
    key_ = *key;
    pub_ = PublicOf(*key_);
    sig_ = SignOrDie(key_, msg_);
  }
  Status Verify(ByteView msg, ByteView sig) const { return Verifier(pub_).Verify(msg, sig); }

  Bytes msg_ = PermitLikeMessage();
  std::shared_ptr<const PrivateKey> key_;
  std::shared_ptr<const PublicKey> pub_;
  Bytes sig_;
};

INSTANTIATE_TEST_SUITE_P(Crypto, CryptoSignatureTest,
                         ::testing::Values(KeyType::kEcdsaP256, KeyType::kEd25519),
                         [](const auto& param_info) {
                           return param_info.param == KeyType::kEcdsaP256 ? std::string("EcdsaP256")
                                                                          : std::string("Ed25519");
                         });

TEST_P(CryptoSignatureTest, SignatureVerifies) {
  EXPECT_EQ(key_->type(), GetParam());
  EXPECT_EQ(pub_->type(), GetParam());
  const Status ok = Verify(msg_, sig_);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST_P(CryptoSignatureTest, SignsAndVerifiesEmptyMessage) {
  const Bytes sig = SignOrDie(key_, {});
  EXPECT_TRUE(Verify({}, sig).ok());
}

TEST_P(CryptoSignatureTest, SignatureHasAlgorithmsEncoding) {
  if (GetParam() == KeyType::kEd25519) {
    EXPECT_EQ(sig_.size(), 64u);
  } else {
    // DER SEQUENCE of two INTEGERs of at most 33 bytes each.
    ASSERT_GE(sig_.size(), 8u);
    EXPECT_LE(sig_.size(), 72u);
    EXPECT_EQ(sig_[0], 0x30);
    EXPECT_EQ(sig_[1], sig_.size() - 2);
  }
}

TEST_P(CryptoSignatureTest, RejectsAlteredMessage) {
  Bytes altered = msg_;
  altered[100] ^= 0x01;
  ExpectErrc(Verify(altered, sig_), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsTruncatedMessage) {
  const Bytes truncated(msg_.begin(), msg_.end() - 1);
  ExpectErrc(Verify(truncated, sig_), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsAlteredSignature) {
  Bytes altered = sig_;
  altered[altered.size() - 5] ^= 0x01;
  ExpectErrc(Verify(msg_, altered), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsTruncatedSignature) {
  const Bytes truncated(sig_.begin(), sig_.end() - 1);
  ExpectErrc(Verify(msg_, truncated), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsGarbageSignature) {
  ExpectErrc(Verify(msg_, Bytes(64, 0xab)), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsEmptySignature) {
  ExpectErrc(Verify(msg_, {}), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsOversizedSignature) {
  ExpectErrc(Verify(msg_, Bytes(4096, 0x30)), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsSignatureFromAnotherKeyOfSameType) {
  auto other = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(other.ok());
  ExpectErrc(Verify(msg_, SignOrDie(*other, msg_)), Errc::kVerifyFailed);
}

TEST_P(CryptoSignatureTest, RejectsSignatureMadeWithKeyOfOtherType) {
  const KeyType other_type =
      GetParam() == KeyType::kEd25519 ? KeyType::kEcdsaP256 : KeyType::kEd25519;
  auto other = PrivateKey::Generate(other_type);
  ASSERT_TRUE(other.ok());
  ExpectErrc(Verify(msg_, SignOrDie(*other, msg_)), Errc::kVerifyFailed);
}

// Keys are documented as shareable between threads; signing copies a per-key template context.
TEST_P(CryptoSignatureTest, SharedKeySignsAndVerifiesFromSeveralThreads) {
  const Signer signer(key_);
  const Verifier verifier(pub_);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Bytes msg = msg_;
      for (int i = 0; i < 50; ++i) {
        msg[0] = static_cast<uint8_t>(t * 50 + i);
        auto sig = signer.Sign(msg);
        if (!sig.ok() || !verifier.Verify(msg, *sig).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(CryptoTest, Ed25519SignatureIsDeterministic) {
  const auto key = SeededKey(KeyType::kEd25519);
  const Bytes msg = PermitLikeMessage();
  EXPECT_EQ(SignOrDie(key, msg), SignOrDie(key, msg));
}

// --- keys ------------------------------------------------------------------------------------

TEST(CryptoTest, KeyTypeNamesAreStable) {
  EXPECT_EQ(KeyTypeName(KeyType::kEcdsaP256), "ecdsa-p256");
  EXPECT_EQ(KeyTypeName(KeyType::kEd25519), "ed25519");
}

TEST(CryptoTest, SeededEd25519KeyIsDeterministic) {
  auto a = SeededKey(KeyType::kEd25519)->PublicPem();
  auto b = SeededKey(KeyType::kEd25519)->PublicPem();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(CryptoTest, SeededEcdsaKeyIsDeterministic) {
  auto a = SeededKey(KeyType::kEcdsaP256)->PublicPem();
  auto b = SeededKey(KeyType::kEcdsaP256)->PublicPem();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(CryptoTest, DifferentSeedsGiveDifferentEd25519Keys) {
  auto a = SeededKey(KeyType::kEd25519, 0)->PublicPem();
  auto b = SeededKey(KeyType::kEd25519, 1)->PublicPem();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(CryptoTest, DifferentSeedsGiveDifferentEcdsaKeys) {
  auto a = SeededKey(KeyType::kEcdsaP256, 0)->PublicPem();
  auto b = SeededKey(KeyType::kEcdsaP256, 1)->PublicPem();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(CryptoTest, SeededKeysSignAndVerify) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    const auto key = SeededKey(type, 9);
    const Bytes msg = PermitLikeMessage();
    const Status ok = Verifier(PublicOf(*key)).Verify(msg, SignOrDie(key, msg));
    EXPECT_TRUE(ok.ok()) << KeyTypeName(type) << ": " << ok.error().message;
  }
}

// Golden public keys for seed 00 01 .. 1f, computed outside renkei (Python for SHA-256 and the
// P-256 reduction, the openssl CLI for the public point). A change here changes every seeded
// simulation's keys and fingerprints.
TEST(CryptoTest, SeededEcdsaKeyMatchesIndependentDerivation) {
  auto pem = SeededKey(KeyType::kEcdsaP256, 0)->PublicPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(*pem,
            "-----BEGIN PUBLIC KEY-----\n"
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAECPZsjN16YyMk2MKu0/F8rQLEj/OW\n"
            "V1XNAHqpZ1T51LXCN9r2d4OZxQ8lqwjHcGL+Ozkw4tDMXQeCl3xGa3fVDw==\n"
            "-----END PUBLIC KEY-----\n");
  EXPECT_EQ(PublicOf(*SeededKey(KeyType::kEcdsaP256, 0))->Fingerprint(),
            "b6acbee2ea71abaab1e5a3c55bb2f4036b4e852eae7db97fd06e99cab28382a4");
}

TEST(CryptoTest, SeededEd25519KeyMatchesIndependentDerivation) {
  auto pem = SeededKey(KeyType::kEd25519, 0)->PublicPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(*pem,
            "-----BEGIN PUBLIC KEY-----\n"
            "MCowBQYDK2VwAyEAW/LiQjZmwl/yKaKRxBH4dabQWCpy4WxeM0p0tgAzwtM=\n"
            "-----END PUBLIC KEY-----\n");
  EXPECT_EQ(PublicOf(*SeededKey(KeyType::kEd25519, 0))->Fingerprint(),
            "6a28650ede82afecf508fab732537b76ed55cc353e78e8ab3fe95b582ce0bf47");
}

TEST(CryptoTest, RejectsSeedShorterThan32Bytes) {
  ExpectErrc(PrivateKey::FromSeed(KeyType::kEd25519, Bytes(31, 1)), Errc::kInvalidArgument);
  ExpectErrc(PrivateKey::FromSeed(KeyType::kEcdsaP256, Bytes(31, 1)), Errc::kInvalidArgument);
}

TEST(CryptoTest, GeneratedKeysDiffer) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    auto a = PrivateKey::Generate(type);
    auto b = PrivateKey::Generate(type);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(PublicOf(**a)->Fingerprint(), PublicOf(**b)->Fingerprint());
  }
}

TEST(CryptoTest, PrivateKeyPemRoundTrips) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    auto key = PrivateKey::Generate(type);
    ASSERT_TRUE(key.ok());
    auto pem = (*key)->ToPem();
    ASSERT_TRUE(pem.ok()) << pem.error().message;
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << *pem;
    auto loaded = PrivateKey::FromPem(*pem);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ((*loaded)->type(), type);
    EXPECT_EQ(*(*loaded)->ToPem(), *pem);
    // The reloaded key signs for the original public key.
    const Bytes msg = PermitLikeMessage();
    EXPECT_TRUE(Verifier(PublicOf(**key)).Verify(msg, SignOrDie(*loaded, msg)).ok());
  }
}

TEST(CryptoTest, SeededEcdsaPrivatePemRoundTrips) {
  const auto key = SeededKey(KeyType::kEcdsaP256, 3);
  auto pem = key->ToPem();
  ASSERT_TRUE(pem.ok());
  auto loaded = PrivateKey::FromPem(*pem);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*(*loaded)->PublicPem(), *key->PublicPem());
}

TEST(CryptoTest, PublicKeyPemRoundTrips) {
  for (const KeyType type : {KeyType::kEcdsaP256, KeyType::kEd25519}) {
    const auto key = SeededKey(type, 5);
    const auto pub = PublicOf(*key);
    auto pem = pub->ToPem();
    ASSERT_TRUE(pem.ok());
    EXPECT_EQ(*pem, *key->PublicPem());
    auto loaded = PublicKey::FromPem(*pem);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ((*loaded)->type(), type);
    EXPECT_EQ((*loaded)->Fingerprint(), pub->Fingerprint());
    const Bytes msg = PermitLikeMessage();
    EXPECT_TRUE(Verifier(*loaded).Verify(msg, SignOrDie(key, msg)).ok());
  }
}

TEST(CryptoTest, FingerprintIsHexSha256AndDiffersBetweenKeys) {
  const auto a = PublicOf(*SeededKey(KeyType::kEd25519, 0));
  const auto b = PublicOf(*SeededKey(KeyType::kEd25519, 1));
  EXPECT_EQ(a->Fingerprint().size(), 64u);
  EXPECT_NE(a->Fingerprint(), b->Fingerprint());
}

TEST(CryptoTest, RejectsGarbagePrivatePem) {
  ExpectErrc(PrivateKey::FromPem("not a key at all"), Errc::kParseError);
}

TEST(CryptoTest, RejectsEmptyPrivatePem) { ExpectErrc(PrivateKey::FromPem(""), Errc::kParseError); }

TEST(CryptoTest, RejectsPrivatePemWithCorruptBase64) {
  ExpectErrc(PrivateKey::FromPem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsTruncatedPrivatePem) {
  const std::string pem = *SeededKey(KeyType::kEcdsaP256)->ToPem();
  ExpectErrc(PrivateKey::FromPem(pem.substr(0, pem.size() / 2)), Errc::kParseError);
}

TEST(CryptoTest, RejectsPublicPemAsPrivateKey) {
  ExpectErrc(PrivateKey::FromPem(*SeededKey(KeyType::kEd25519)->PublicPem()), Errc::kParseError);
}

// Without a passphrase callback OpenSSL would prompt on the terminal and hang a batch job.
TEST(CryptoTest, RejectsEncryptedPrivatePemWithoutPrompting) {
  ExpectErrc(PrivateKey::FromPem(kEncryptedEd25519Pem), Errc::kParseError);
}

TEST(CryptoTest, RejectsUnsupportedCurve) {
  auto key = PrivateKey::FromPem(kP384Pem);
  ExpectErrc(key, Errc::kInvalidArgument);
  EXPECT_NE(key.error().message.find("unsupported key type"), std::string::npos)
      << key.error().message;
}

TEST(CryptoTest, RejectsGarbagePublicPem) {
  ExpectErrc(PublicKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsEmptyPublicPem) { ExpectErrc(PublicKey::FromPem(""), Errc::kParseError); }

TEST(CryptoTest, RejectsPrivatePemAsPublicKey) {
  ExpectErrc(PublicKey::FromPem(*SeededKey(KeyType::kEd25519)->ToPem()), Errc::kParseError);
}

// The error queue is per thread; a failure must not leave entries that end up in the message
// of a later, unrelated failure.
TEST(CryptoTest, FailureDoesNotLeakOpensslErrorsIntoLaterMessages) {
  ASSERT_FALSE(PrivateKey::FromPem("garbage").ok());
  auto aead = Aes256Gcm::Create(Bytes(32, 0));
  ASSERT_TRUE(aead.ok());
  auto opened = aead->Open(Bytes(12, 0), Bytes(32, 0), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().message.find("PEM"), std::string::npos) << opened.error().message;
}

// --- key files -------------------------------------------------------------------------------

TEST(CryptoTest, SavePemFileCreatesOwnerOnlyPrivateKeyFile) {
  TempDir dir;
  const std::string path = dir.File("core.key.pem");
  const Status saved = SeededKey(KeyType::kEd25519)->SavePemFile(path);
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  EXPECT_EQ(FileMode(path), 0600u);
  EXPECT_EQ(dir.EntryCount(), 1u) << "temporary file left behind";
}

TEST(CryptoTest, SavePemFileReplacesExistingFileAndItsMode) {
  TempDir dir;
  const std::string path = dir.File("core.key.pem");
  { std::ofstream(path) << "old contents\n"; }
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const auto key = SeededKey(KeyType::kEcdsaP256);
  ASSERT_TRUE(key->SavePemFile(path).ok());
  EXPECT_EQ(FileMode(path), 0600u);
  EXPECT_EQ(dir.EntryCount(), 1u);
  auto loaded = PrivateKey::LoadPemFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*(*loaded)->PublicPem(), *key->PublicPem());
}

TEST(CryptoTest, PublicKeyFileRoundTrips) {
  TempDir dir;
  const std::string path = dir.File("core.pub.pem");
  const auto pub = PublicOf(*SeededKey(KeyType::kEcdsaP256));
  ASSERT_TRUE(pub->SavePemFile(path).ok());
  EXPECT_EQ(FileMode(path), 0600u);
  auto loaded = PublicKey::LoadPemFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->Fingerprint(), pub->Fingerprint());
}

TEST(CryptoTest, RejectsLoadingMissingKeyFile) {
  TempDir dir;
  ExpectErrc(PrivateKey::LoadPemFile(dir.File("absent.pem")), Errc::kIoError);
  ExpectErrc(PublicKey::LoadPemFile(dir.File("absent.pem")), Errc::kIoError);
}

TEST(CryptoTest, RejectsLoadingKeyFileWithGarbage) {
  TempDir dir;
  const std::string path = dir.File("garbage.pem");
  { std::ofstream(path) << "this is not PEM\n"; }
  auto key = PrivateKey::LoadPemFile(path);
  ExpectErrc(key, Errc::kParseError);
  EXPECT_NE(key.error().message.find(path), std::string::npos) << key.error().message;
}

TEST(CryptoTest, RejectsSavingIntoMissingDirectory) {
  TempDir dir;
  ExpectErrc(SeededKey(KeyType::kEd25519)->SavePemFile(dir.File("no/such/dir/key.pem")),
             Errc::kIoError);
}

// --- passwords -------------------------------------------------------------------------------

PasswordHashParams FastParams() {
  PasswordHashParams params;
  params.iterations = 1000;
  return params;
}

TEST(CryptoTest, PasswordHashVerifies) {
  auto encoded = HashPassword("correct horse battery staple", FastParams());
  ASSERT_TRUE(encoded.ok()) << encoded.error().message;
  const Status ok = VerifyPassword("correct horse battery staple", *encoded);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

// Expected hash from Python's hashlib.pbkdf2_hmac('sha256', password, bytes(range(16)), 1000).
TEST(CryptoTest, PasswordHashWithGivenSaltMatchesPbkdf2Reference) {
  Bytes salt(16);
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(i);
  auto encoded = HashPassword("correct horse battery staple", FastParams(), salt);
  ASSERT_TRUE(encoded.ok()) << encoded.error().message;
  EXPECT_EQ(*encoded,
            "pbkdf2-sha256$1000$000102030405060708090a0b0c0d0e0f$"
            "a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719e");
}

TEST(CryptoTest, PasswordHashesWithDrawnSaltsDiffer) {
  auto a = HashPassword("pw", FastParams());
  auto b = HashPassword("pw", FastParams());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST(CryptoTest, EmptyPasswordHashesAndVerifies) {
  auto encoded = HashPassword("", FastParams());
  ASSERT_TRUE(encoded.ok());
  EXPECT_TRUE(VerifyPassword("", *encoded).ok());
  ExpectErrc(VerifyPassword("x", *encoded), Errc::kVerifyFailed);
}

TEST(CryptoTest, RejectsWrongPassword) {
  auto encoded = HashPassword("correct horse battery staple", FastParams());
  ASSERT_TRUE(encoded.ok());
  ExpectErrc(VerifyPassword("correct horse battery stapler", *encoded), Errc::kVerifyFailed);
}

TEST(CryptoTest, RejectsHashPasswordWithZeroIterations) {
  PasswordHashParams params = FastParams();
  params.iterations = 0;
  ExpectErrc(HashPassword("pw", params), Errc::kInvalidArgument);
}

TEST(CryptoTest, RejectsHashPasswordWithShortSalt) {
  ExpectErrc(HashPassword("pw", FastParams(), Bytes(4, 1)), Errc::kInvalidArgument);
}

TEST(CryptoTest, RejectsHashPasswordWithOversizedHash) {
  PasswordHashParams params = FastParams();
  params.hash_size = 65;
  ExpectErrc(HashPassword("pw", params), Errc::kInvalidArgument);
}

constexpr std::string_view kSalt = "000102030405060708090a0b0c0d0e0f";
constexpr std::string_view kHash =
    "a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719e";

std::string Encoded(std::string_view scheme, std::string_view iterations, std::string_view salt,
                    std::string_view hash) {
  return std::string(scheme) + "$" + std::string(iterations) + "$" + std::string(salt) + "$" +
         std::string(hash);
}

TEST(CryptoTest, VerifiesHandWrittenReferenceHash) {
  EXPECT_TRUE(
      VerifyPassword("correct horse battery staple", Encoded("pbkdf2-sha256", "1000", kSalt, kHash))
          .ok());
}

TEST(CryptoTest, RejectsPasswordHashWithUnknownScheme) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha1", "1000", kSalt, kHash)), Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithMissingField) {
  ExpectErrc(VerifyPassword("pw", "pbkdf2-sha256$1000$" + std::string(kSalt)), Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithExtraField) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "1000", kSalt, kHash) + "$00"),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsEmptyPasswordHash) {
  ExpectErrc(VerifyPassword("pw", ""), Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithNonNumericIterations) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "1e3", kSalt, kHash)),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithNegativeIterations) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "-1000", kSalt, kHash)),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithZeroIterations) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "0", kSalt, kHash)), Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithIterationsBeyondRange) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "99999999999", kSalt, kHash)),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithBadSaltHex) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "1000", "0g0102030405060708", kHash)),
             Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithEmptySalt) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "1000", "", kHash)), Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithOddLengthHash) {
  ExpectErrc(
      VerifyPassword("pw", Encoded("pbkdf2-sha256", "1000", kSalt, std::string(kHash) + "0")),
      Errc::kParseError);
}

TEST(CryptoTest, RejectsPasswordHashWithEmptyHash) {
  ExpectErrc(VerifyPassword("pw", Encoded("pbkdf2-sha256", "1000", kSalt, "")), Errc::kParseError);
}

// --- Aes256Block -----------------------------------------------------------------------------

Aes256Block::Block BlockFromHex(std::string_view hex) {
  auto bytes = FromHex(hex);
  EXPECT_TRUE(bytes.ok());
  Aes256Block::Block b{};
  EXPECT_EQ(bytes->size(), b.size());
  for (size_t i = 0; i < b.size() && i < bytes->size(); ++i) b[i] = (*bytes)[i];
  return b;
}

TEST(CryptoTest, AesBlockMatchesFips197Vector) {
  // FIPS-197 appendix C.3 (AES-256).
  auto key = FromHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  ASSERT_TRUE(key.ok());
  auto aes = Aes256Block::Create(*key);
  ASSERT_TRUE(aes.ok()) << aes.error().message;
  Aes256Block::Block out{};
  ASSERT_TRUE(aes->Encrypt(BlockFromHex("00112233445566778899aabbccddeeff"), out).ok());
  EXPECT_EQ(ToHex(out), "8ea2b7ca516745bfeafc49904b496089");
}

TEST(CryptoTest, AesBlockDecryptInvertsEncryptInPlace) {
  auto aes = Aes256Block::Create(Seed(9));
  ASSERT_TRUE(aes.ok());
  Aes256Block::Block b{};
  for (int i = 0; i < 1000; ++i) {
    b[static_cast<size_t>(i) % b.size()] = static_cast<uint8_t>(i);
    const Aes256Block::Block original = b;
    ASSERT_TRUE(aes->Encrypt(b, b).ok());
    EXPECT_NE(b, original);
    ASSERT_TRUE(aes->Decrypt(b, b).ok());
    EXPECT_EQ(b, original);
  }
}

TEST(CryptoTest, AesBlockRejectsShortKey) {
  ExpectErrc(Aes256Block::Create(Bytes(31, 1)), Errc::kInvalidArgument);
}

TEST(CryptoTest, AesBlockRejectsLongKey) {
  ExpectErrc(Aes256Block::Create(Bytes(33, 1)), Errc::kInvalidArgument);
}

}  // namespace
}  // namespace renkei::netsim::crypto
