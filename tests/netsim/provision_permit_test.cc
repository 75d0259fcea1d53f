#include "netsim/provision_permit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

const std::string kRequester = InstitutionCodeForLgCode("131016");
const std::string kProvider = InstitutionCodeForLgCode("152021");
const std::string kOther = InstitutionCodeForLgCode("131041");
constexpr SimTime kIssued = SimTime::FromMicros(1'000'000'000);
constexpr SimTime kExpires = SimTime::FromMicros(1'000'000'000 + 600'000'000);

std::shared_ptr<const crypto::PrivateKey> SeededKey(uint8_t first) {
  crypto::Bytes seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
  auto key = crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, seed);
  EXPECT_TRUE(key.ok());
  return *key;
}

std::shared_ptr<const crypto::PublicKey> PublicOf(const crypto::PrivateKey& key) {
  auto pub = crypto::PublicKey::FromPrivate(key);
  EXPECT_TRUE(pub.ok());
  return *pub;
}

ProvisionPermit UnsignedPermit() {
  ProvisionPermit p;
  p.permit_id = "P-0000000001";
  p.processing_number = "131016-Q-0000000001";
  p.requester = kRequester;
  p.provider = kProvider;
  p.jm = "JM00000000001602";
  p.jt = "JT00000000001602";
  p.tm_items = {"TM00000000016021", "TM00000000016022"};
  p.provider_token = "v1:000102030405060708090a0b0c0d0e0f";
  p.issued_at = kIssued;
  p.expires_at = kExpires;
  return p;
}

class PermitTest : public ::testing::Test {
 protected:
  PermitTest() : signer_(1, SeededKey(1)), verifier_(kProvider, used_) {
    EXPECT_TRUE(verifier_.AddKey(1, PublicOf(*SeededKey(1))).ok());
  }

  ProvisionPermit Signed(ProvisionPermit p = UnsignedPermit()) {
    EXPECT_TRUE(signer_.Sign(p).ok());
    return p;
  }

  PermitVerdict CheckText(std::string_view text, SimTime now = kIssued) {
    auto v = verifier_.Check(text, now);
    EXPECT_TRUE(v.ok());
    return std::move(v).value();
  }
  PermitVerdict CheckPermit(const ProvisionPermit& p, SimTime now = kIssued) {
    auto v = verifier_.Check(p, now);
    EXPECT_TRUE(v.ok());
    return std::move(v).value();
  }
  // Signs a permit, applies `edit` to it, and expects the verifier to call it forged.
  void ExpectForgedAfter(const std::function<void(ProvisionPermit&)>& edit) {
    ProvisionPermit p = Signed();
    edit(p);
    ASSERT_TRUE(ValidatePermitFields(p).ok()) << "the edit must keep the permit well-formed";
    const PermitVerdict v = CheckText(SerializePermit(p));
    EXPECT_EQ(v.check, PermitCheck::kForged) << v.reason;
    EXPECT_EQ(used_.Count().value(), 0);
  }

  PermitSigner signer_;
  InMemoryUsedPermitStore used_;
  PermitVerifier verifier_;
};

// ---- encodings ----

TEST_F(PermitTest, TextRoundTrips) {
  const ProvisionPermit p = Signed();
  auto parsed = ParsePermit(SerializePermit(p));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, p);
}

TEST_F(PermitTest, TextHasDocumentedShape) {
  ProvisionPermit p = UnsignedPermit();
  p.key_id = 1;
  p.signature = {0xab, 0xcd};
  EXPECT_EQ(SerializePermit(p),
            "{\"v\":1,\"permit_id\":\"P-0000000001\",\"processing_number\":\"131016-Q-"
            "0000000001\",\"requester\":\"" +
                kRequester + "\",\"provider\":\"" + kProvider +
                "\",\"jm\":\"JM00000000001602\",\"jt\":\"JT00000000001602\",\"tm\":["
                "\"TM00000000016021\",\"TM00000000016022\"],\"provider_token\":\"v1:"
                "000102030405060708090a0b0c0d0e0f\",\"issued_at\":1000000000,\"expires_at\":"
                "1600000000,\"key_id\":1,\"signature\":\"abcd\"}");
}

TEST_F(PermitTest, CanonicalBytesStartWithMagicAndLengthPrefixes) {
  const crypto::Bytes bytes = CanonicalPermitBytes(UnsignedPermit());
  const std::string head(bytes.begin(), bytes.begin() + 20);
  EXPECT_EQ(head, std::string("renkei.permit.v1") + std::string("\0\0\0\x0c", 4));
}

TEST_F(PermitTest, CanonicalBytesSeparateAdjacentFields) {
  ProvisionPermit a = UnsignedPermit();
  ProvisionPermit b = UnsignedPermit();
  a.permit_id = "AB";
  a.processing_number = "C";
  b.permit_id = "A";
  b.processing_number = "BC";
  EXPECT_NE(CanonicalPermitBytes(a), CanonicalPermitBytes(b));
}

TEST_F(PermitTest, SignatureIsDeterministic) {
  EXPECT_EQ(Signed().signature, Signed().signature);
  EXPECT_EQ(Signed().signature.size(), 64u);
}

TEST_F(PermitTest, SignRefusesMalformedFields) {
  ProvisionPermit p = UnsignedPermit();
  p.jm = "JT00000000001602";
  auto s = signer_.Sign(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("jm"), std::string::npos);
}

// ---- valid ----

TEST_F(PermitTest, AcceptsValidPermit) {
  const PermitVerdict v = CheckText(SerializePermit(Signed()));
  EXPECT_EQ(v.check, PermitCheck::kValid) << v.reason;
  ASSERT_TRUE(v.permit.has_value());
  EXPECT_EQ(v.permit->permit_id, "P-0000000001");
}

TEST_F(PermitTest, AcceptsPermitAtItsLastValidInstant) {
  EXPECT_EQ(CheckText(SerializePermit(Signed()), kExpires).check, PermitCheck::kValid);
}

TEST_F(PermitTest, AcceptsPermitSignedByAnyTrustedKey) {
  ASSERT_TRUE(verifier_.AddKey(2, PublicOf(*SeededKey(2))).ok());
  PermitSigner second(2, SeededKey(2));
  ProvisionPermit p = UnsignedPermit();
  ASSERT_TRUE(second.Sign(p).ok());
  EXPECT_EQ(CheckPermit(p).check, PermitCheck::kValid);
}

// ---- time window ----

TEST_F(PermitTest, RejectsPermitExpiredByOneMicrosecond) {
  const PermitVerdict v = CheckText(SerializePermit(Signed()), kExpires + Duration::Micros(1));
  EXPECT_EQ(v.check, PermitCheck::kExpired);
  EXPECT_FALSE(v.reason.empty());
}

TEST_F(PermitTest, RejectsPermitBeforeItsIssueTime) {
  const PermitVerdict v = CheckText(SerializePermit(Signed()), kIssued - Duration::Micros(1));
  EXPECT_EQ(v.check, PermitCheck::kNotYetValid);
}

// ---- single use ----

TEST_F(PermitTest, RejectsReusedPermit) {
  const std::string text = SerializePermit(Signed());
  EXPECT_EQ(CheckText(text).check, PermitCheck::kValid);
  const PermitVerdict again = CheckText(text, kIssued + Duration::Seconds(1));
  EXPECT_EQ(again.check, PermitCheck::kReused);
  EXPECT_NE(again.reason.find("P-0000000001"), std::string::npos);
}

TEST_F(PermitTest, RefusedPermitIsNotConsumed) {
  const std::string text = SerializePermit(Signed());
  EXPECT_EQ(CheckText(text, kIssued - Duration::Micros(1)).check, PermitCheck::kNotYetValid);
  EXPECT_EQ(used_.Count().value(), 0);
  EXPECT_EQ(CheckText(text).check, PermitCheck::kValid);
}

// ---- addressee ----

TEST_F(PermitTest, RejectsMisaddressedPermit) {
  ProvisionPermit p = UnsignedPermit();
  p.provider = kOther;
  const PermitVerdict v = CheckText(SerializePermit(Signed(p)));
  EXPECT_EQ(v.check, PermitCheck::kMisaddressed);
  EXPECT_NE(v.reason.find(kOther), std::string::npos);
  EXPECT_EQ(used_.Count().value(), 0);
}

// ---- forged ----

TEST_F(PermitTest, RejectsPermitSignedByUntrustedKeyUnderTrustedId) {
  PermitSigner forger(1, SeededKey(7));
  ProvisionPermit p = UnsignedPermit();
  ASSERT_TRUE(forger.Sign(p).ok());
  EXPECT_EQ(CheckText(SerializePermit(p)).check, PermitCheck::kForged);
}

TEST_F(PermitTest, RejectsPermitNamingUnknownKey) {
  PermitSigner forger(9, SeededKey(7));
  ProvisionPermit p = UnsignedPermit();
  ASSERT_TRUE(forger.Sign(p).ok());
  const PermitVerdict v = CheckText(SerializePermit(p));
  EXPECT_EQ(v.check, PermitCheck::kForged);
  EXPECT_NE(v.reason.find("9"), std::string::npos);
}

TEST_F(PermitTest, RejectsEditedPermitId) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.permit_id = "P-0000000002"; });
}

TEST_F(PermitTest, RejectsEditedProcessingNumber) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.processing_number[0] = '2'; });
}

TEST_F(PermitTest, RejectsEditedRequester) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.requester = kOther; });
}

TEST_F(PermitTest, RejectsPermitRedirectedToThisProvider) {
  ProvisionPermit p = UnsignedPermit();
  p.provider = kOther;
  p = Signed(p);
  p.provider = kProvider;
  EXPECT_EQ(CheckPermit(p).check, PermitCheck::kForged);
}

TEST_F(PermitTest, RejectsEditedJm) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.jm = "JM00000000001603"; });
}

TEST_F(PermitTest, RejectsEditedJt) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.jt = "JT00000000001603"; });
}

TEST_F(PermitTest, RejectsEditedTmItem) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.tm_items[1] = "TM00000000016023"; });
}

TEST_F(PermitTest, RejectsAddedTmItem) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.tm_items.push_back("TM00000000016029"); });
}

TEST_F(PermitTest, RejectsRemovedTmItem) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.tm_items.pop_back(); });
}

TEST_F(PermitTest, RejectsReorderedTmItems) {
  ExpectForgedAfter([](ProvisionPermit& p) { std::swap(p.tm_items[0], p.tm_items[1]); });
}

TEST_F(PermitTest, RejectsEditedProviderToken) {
  ExpectForgedAfter(
      [](ProvisionPermit& p) { p.provider_token = "v1:000102030405060708090a0b0c0d0e0e"; });
}

TEST_F(PermitTest, RejectsEditedIssueTime) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.issued_at = p.issued_at - Duration::Micros(1); });
}

TEST_F(PermitTest, RejectsExtendedExpiry) {
  ExpectForgedAfter([](ProvisionPermit& p) { p.expires_at = p.expires_at + Duration::Hours(1); });
}

TEST_F(PermitTest, RejectsEditedKeyId) {
  ASSERT_TRUE(verifier_.AddKey(2, PublicOf(*SeededKey(2))).ok());
  ExpectForgedAfter([](ProvisionPermit& p) { p.key_id = 2; });
}

TEST_F(PermitTest, RejectsFlippedSignatureByte) {
  for (size_t i = 0; i < 64; ++i) {
    ProvisionPermit p = Signed();
    p.signature[i] ^= 0x01;
    EXPECT_EQ(CheckPermit(p).check, PermitCheck::kForged) << "byte " << i;
  }
}

TEST_F(PermitTest, RejectsTruncatedSignature) {
  ProvisionPermit p = Signed();
  p.signature.pop_back();
  EXPECT_EQ(CheckPermit(p).check, PermitCheck::kForged);
}

// Every single-byte change of the text either breaks its form or its signature: none yields
// a permit the provider would answer.
TEST_F(PermitTest, NoFlippedByteOfTheTextIsValid) {
  const std::string text = SerializePermit(Signed());
  for (size_t i = 0; i < text.size(); ++i) {
    for (uint8_t mask : {0x01, 0x02, 0x20, 0x80}) {
      std::string edited = text;
      edited[i] = static_cast<char>(static_cast<uint8_t>(edited[i]) ^ mask);
      auto v = verifier_.Check(edited, kIssued);
      ASSERT_TRUE(v.ok());
      EXPECT_NE(v->check, PermitCheck::kValid) << "byte " << i << " mask " << int{mask};
    }
  }
  EXPECT_EQ(used_.Count().value(), 0);
}

// ---- malformed ----

TEST_F(PermitTest, RejectsEveryTruncationOfTheText) {
  const std::string text = SerializePermit(Signed());
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_EQ(CheckText(text.substr(0, n)).check, PermitCheck::kMalformed) << "length " << n;
  }
}

TEST_F(PermitTest, RejectsEmptyText) { EXPECT_EQ(CheckText("").check, PermitCheck::kMalformed); }

TEST_F(PermitTest, RejectsNonObjectJson) {
  EXPECT_EQ(CheckText("[1,2]").check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsTrailingData) {
  EXPECT_EQ(CheckText(SerializePermit(Signed()) + "x").check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsEachMissingMember) {
  for (const char* member :
       {"v", "permit_id", "processing_number", "requester", "provider", "jm", "jt", "tm",
        "provider_token", "issued_at", "expires_at", "key_id", "signature"}) {
    boost::json::object obj = boost::json::parse(SerializePermit(Signed())).as_object();
    obj.erase(member);
    auto parsed = ParsePermit(boost::json::serialize(obj));
    ASSERT_FALSE(parsed.ok()) << member;
    EXPECT_EQ(parsed.error().code, make_error_code(Errc::kParseError));
    EXPECT_NE(parsed.error().message.find(member), std::string::npos) << parsed.error().message;
  }
}

// Replaces one member of a signed permit's text and returns the parse error.
Error ParseWith(const std::string& text, std::string_view member, boost::json::value v) {
  boost::json::object obj = boost::json::parse(text).as_object();
  obj[member] = std::move(v);
  auto parsed = ParsePermit(boost::json::serialize(obj));
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? Error{} : parsed.error();
}

void ExpectParseErrorNaming(const Error& e, std::string_view member) {
  EXPECT_EQ(e.code, make_error_code(Errc::kParseError)) << e.message;
  EXPECT_NE(e.message.find(member), std::string::npos) << e.message;
}

TEST_F(PermitTest, RejectsUnknownMember) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "extra", 1), "extra");
}

TEST_F(PermitTest, RejectsOtherFormatVersion) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "v", 2), "\"v\"");
}

TEST_F(PermitTest, RejectsStringIssueTime) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "issued_at", "1000000000"),
                         "issued_at");
}

TEST_F(PermitTest, RejectsFractionalExpiry) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "expires_at", 1.5), "expires_at");
}

TEST_F(PermitTest, RejectsExpiryBeyondInt64) {
  ExpectParseErrorNaming(
      ParseWith(SerializePermit(Signed()), "expires_at", uint64_t{18446744073709551615ULL}),
      "expires_at");
}

TEST_F(PermitTest, RejectsNumericPermitId) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "permit_id", 12), "permit_id");
}

TEST_F(PermitTest, RejectsTmThatIsNotAnArray) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "tm", "TM00000000016021"), "tm");
}

TEST_F(PermitTest, RejectsTmHoldingANumber) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "tm", boost::json::array{1}), "tm");
}

TEST_F(PermitTest, RejectsEmptyTm) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "tm", boost::json::array{}), "tm");
}

TEST_F(PermitTest, RejectsRepeatedTmItem) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "tm",
                                   boost::json::array{"TM00000000016021", "TM00000000016021"}),
                         "tm");
}

TEST_F(PermitTest, RejectsNegativeKeyId) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "key_id", -1), "key_id");
}

TEST_F(PermitTest, RejectsKeyIdZero) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "key_id", 0), "key_id");
}

TEST_F(PermitTest, RejectsNonHexSignature) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "signature", "zz"), "signature");
}

TEST_F(PermitTest, RejectsEmptySignature) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "signature", ""), "signature");
}

TEST_F(PermitTest, RejectsMalformedRequesterCode) {
  std::string bad = kRequester;
  bad.back() = bad.back() == '9' ? '0' : static_cast<char>(bad.back() + 1);
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "requester", bad.c_str()),
                         "requester");
}

TEST_F(PermitTest, RejectsJtInTheJmMember) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "jm", "JT00000000001602"), "jm");
}

TEST_F(PermitTest, RejectsMalformedProviderToken) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "provider_token", "v1:00"),
                         "provider_token");
}

TEST_F(PermitTest, RejectsPermitIdWithSpaces) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "permit_id", "P 1"), "permit_id");
}

TEST_F(PermitTest, RejectsExpiryNotAfterIssue) {
  ExpectParseErrorNaming(ParseWith(SerializePermit(Signed()), "expires_at", 1000000000),
                         "expires_at");
}

TEST_F(PermitTest, RejectsNonCanonicalSpacing) {
  std::string text = SerializePermit(Signed());
  text.insert(1, " ");
  EXPECT_EQ(CheckText(text).check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsDuplicateMember) {
  std::string text = SerializePermit(Signed());
  text.insert(1, "\"permit_id\":\"P-0000000009\",");
  EXPECT_EQ(CheckText(text).check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsUpperCaseSignatureHex) {
  std::string text = SerializePermit(Signed());
  const size_t at = text.find("\"signature\":\"") + 13;
  for (size_t i = at; text[i] != '"'; ++i) {
    if (text[i] >= 'a' && text[i] <= 'f') text[i] = static_cast<char>(text[i] - 'a' + 'A');
  }
  EXPECT_EQ(CheckText(text).check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsOversizedText) {
  EXPECT_EQ(CheckText(std::string(70000, ' ')).check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, RejectsMalformedPermitStruct) {
  ProvisionPermit p = Signed();
  p.tm_items.clear();
  EXPECT_EQ(CheckPermit(p).check, PermitCheck::kMalformed);
}

TEST_F(PermitTest, AddKeyRefusesSecondKeyUnderOneId) {
  EXPECT_FALSE(verifier_.AddKey(1, PublicOf(*SeededKey(3))).ok());
}

TEST_F(PermitTest, CheckNamesAreDistinct) {
  std::set<std::string_view> names;
  for (auto c :
       {PermitCheck::kValid, PermitCheck::kForged, PermitCheck::kExpired, PermitCheck::kNotYetValid,
        PermitCheck::kReused, PermitCheck::kMisaddressed, PermitCheck::kMalformed}) {
    names.insert(PermitCheckName(c));
  }
  EXPECT_EQ(names.size(), 7u);
}

// ---- stores ----

std::string TempPath(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return (std::filesystem::path(::testing::TempDir()) /
          ("renkei-" + std::string(info->name()) + "-" + std::to_string(getpid()) + "-" + name))
      .string();
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(UsedPermitStoreTest, InMemoryRecordsFirstUseOnly) {
  InMemoryUsedPermitStore store;
  EXPECT_TRUE(store.MarkUsed("a", kExpires).value());
  EXPECT_FALSE(store.MarkUsed("a", kExpires).value());
  EXPECT_TRUE(store.MarkUsed("b", kExpires).value());
  EXPECT_EQ(store.Count().value(), 2);
}

TEST(UsedPermitStoreTest, InMemoryPurgesOnlyExpiredIds) {
  InMemoryUsedPermitStore store;
  ASSERT_TRUE(store.MarkUsed("old", kIssued).ok());
  ASSERT_TRUE(store.MarkUsed("new", kExpires).ok());
  EXPECT_EQ(store.PurgeExpired(kIssued).value(), 0);
  EXPECT_EQ(store.PurgeExpired(kIssued + Duration::Micros(1)).value(), 1);
  EXPECT_EQ(store.Count().value(), 1);
  EXPECT_FALSE(store.MarkUsed("new", kExpires).value());
}

TEST(UsedPermitStoreTest, SqliteRecordsFirstUseOnly) {
  auto store = SqliteUsedPermitStore::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE((*store)->MarkUsed("a", kExpires).value());
  EXPECT_FALSE((*store)->MarkUsed("a", kExpires).value());
  EXPECT_EQ((*store)->Count().value(), 1);
}

TEST(UsedPermitStoreTest, SqlitePurgesOnlyExpiredIds) {
  auto store = SqliteUsedPermitStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->MarkUsed("old", kIssued).ok());
  ASSERT_TRUE((*store)->MarkUsed("new", kExpires).ok());
  EXPECT_EQ((*store)->PurgeExpired(kIssued + Duration::Micros(1)).value(), 1);
  EXPECT_EQ((*store)->Count().value(), 1);
}

TEST(UsedPermitStoreTest, SqliteRejectsReuseAcrossRestart) {
  const std::string path = TempPath("used.db");
  RemoveDb(path);
  const std::string text = [] {
    PermitSigner signer(1, SeededKey(1));
    ProvisionPermit p = UnsignedPermit();
    EXPECT_TRUE(signer.Sign(p).ok());
    return SerializePermit(p);
  }();
  {
    auto store = SqliteUsedPermitStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.error().message;
    PermitVerifier verifier(kProvider, **store);
    ASSERT_TRUE(verifier.AddKey(1, PublicOf(*SeededKey(1))).ok());
    EXPECT_EQ(verifier.Check(text, kIssued)->check, PermitCheck::kValid);
  }
  {
    auto store = SqliteUsedPermitStore::Open(path);
    ASSERT_TRUE(store.ok());
    PermitVerifier verifier(kProvider, **store);
    ASSERT_TRUE(verifier.AddKey(1, PublicOf(*SeededKey(1))).ok());
    EXPECT_EQ(verifier.Check(text, kIssued)->check, PermitCheck::kReused);
  }
  RemoveDb(path);
}

}  // namespace
}  // namespace renkei::netsim
