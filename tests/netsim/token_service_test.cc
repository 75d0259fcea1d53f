#include "netsim/token_service.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

constexpr std::string_view kMyNumber = "983205673214";

template <typename T>
void ExpectErrc(const Result<T>& r, Errc want) {
  ASSERT_FALSE(r.ok()) << "expected error " << make_error_code(want).message();
  EXPECT_EQ(r.error().code, make_error_code(want)) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

crypto::Bytes Key(uint8_t first) {
  crypto::Bytes key(32);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(first + 3 * i);
  return key;
}

const std::string kNagaoka = InstitutionCodeForLgCode("152021");
const std::string kChiyoda = InstitutionCodeForLgCode("131016");
const std::string kShinjuku = InstitutionCodeForLgCode("131041");
const std::string kSapporo = InstitutionCodeForLgCode("011002");  // valid, never registered

bool Registered(std::string_view code) {
  return code == kNagaoka || code == kChiyoda || code == kShinjuku;
}

TokenService MakeService(uint8_t token_key = 10, uint32_t key_id = 1) {
  auto service = TokenService::Create(Key(1), key_id, Key(token_key), Registered);
  EXPECT_TRUE(service.ok()) << service.error().message;
  return std::move(service).value();
}

Token Issue(TokenService& service, const std::string& juminhyo, const std::string& body) {
  auto grant = service.Issue(juminhyo, body, "152021-0000000001");
  EXPECT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kIssued) << grant->reason;
  return grant->token;
}

// ---- J-LIS ----

TEST(JlisDirectoryTest, ResolvesRegisteredResident) {
  JlisDirectory jlis;
  const std::string code = MakeJuminhyoCode(1234567890);
  ASSERT_TRUE(jlis.Register(kMyNumber, code).ok());
  auto resolved = jlis.Resolve(kMyNumber);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(*resolved, code);
  EXPECT_EQ(jlis.size(), 1u);
}

TEST(JlisDirectoryTest, RefusesUnknownPersonWithoutQuotingTheNumber) {
  JlisDirectory jlis;
  auto resolved = jlis.Resolve(kMyNumber);
  ExpectErrc(resolved, Errc::kNotFound);
  EXPECT_EQ(resolved.error().message.find(kMyNumber), std::string::npos);
}

TEST(JlisDirectoryTest, RefusesInvalidMyNumberWithoutQuotingIt) {
  JlisDirectory jlis;
  auto s = jlis.Register("983205673215", MakeJuminhyoCode(1));
  ExpectErrc(s, Errc::kInvalidArgument);
  EXPECT_EQ(s.error().message.find("98320567321"), std::string::npos);
}

TEST(JlisDirectoryTest, RefusesInvalidJuminhyoCode) {
  JlisDirectory jlis;
  std::string bad = MakeJuminhyoCode(1);
  bad.back() = bad.back() == '0' ? '1' : '0';
  ExpectErrc(jlis.Register(kMyNumber, bad), Errc::kInvalidArgument);
}

TEST(JlisDirectoryTest, RefusesSecondJuminhyoCodeForOnePerson) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(1)).ok());
  auto s = jlis.Register(kMyNumber, MakeJuminhyoCode(2));
  ExpectErrc(s, Errc::kInvalidArgument);
  EXPECT_EQ(s.error().message.find(kMyNumber), std::string::npos);
}

TEST(JlisDirectoryTest, AcceptsRepeatedIdenticalRegistration) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(1)).ok());
  EXPECT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(1)).ok());
  EXPECT_EQ(jlis.size(), 1u);
}

TEST(JlisDirectoryTest, ForwardReplacesMyNumberWithJuminhyoCode) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(77)).ok());
  const TokenAcquisition req = ForwardToCore(jlis, kMyNumber, "152021-0000000001", kNagaoka);
  EXPECT_EQ(req.juminhyo_code, MakeJuminhyoCode(77));
  EXPECT_EQ(req.acquisition_number, "152021-0000000001");
  EXPECT_EQ(req.institution_code, kNagaoka);
}

TEST(JlisDirectoryTest, ForwardOfUnknownPersonCarriesNoCode) {
  JlisDirectory jlis;
  const TokenAcquisition req = ForwardToCore(jlis, kMyNumber, "152021-0000000001", kNagaoka);
  EXPECT_TRUE(req.juminhyo_code.empty());
}

// ---- Token text ----

TEST(TokenTest, TextRoundTrips) {
  Token t;
  t.key_id = 42;
  for (size_t i = 0; i < t.block.size(); ++i) t.block[i] = static_cast<uint8_t>(0xf0 + i);
  EXPECT_EQ(t.ToText(), "v42:f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  auto parsed = Token::Parse(t.ToText());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, t);
}

TEST(TokenTest, ParseAcceptsLargestKeyId) {
  auto t = Token::Parse("v4294967295:000102030405060708090a0b0c0d0e0f");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->key_id, 4294967295u);
}

TEST(TokenTest, ParseRejectsEmptyText) { ExpectErrc(Token::Parse(""), Errc::kParseError); }

TEST(TokenTest, ParseRejectsMissingVersionPrefix) {
  ExpectErrc(Token::Parse("1:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsMissingColon) {
  ExpectErrc(Token::Parse("v1000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsEmptyKeyId) {
  ExpectErrc(Token::Parse("v:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsKeyIdZero) {
  ExpectErrc(Token::Parse("v0:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsKeyIdWithLeadingZero) {
  ExpectErrc(Token::Parse("v01:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsKeyIdBeyondUint32) {
  ExpectErrc(Token::Parse("v4294967296:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsNonDigitKeyId) {
  ExpectErrc(Token::Parse("v1a:000102030405060708090a0b0c0d0e0f"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsShortValue) {
  ExpectErrc(Token::Parse("v1:000102030405060708090a0b0c0d0e"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsLongValue) {
  ExpectErrc(Token::Parse("v1:000102030405060708090a0b0c0d0e0f00"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsUpperCaseHex) {
  ExpectErrc(Token::Parse("v1:000102030405060708090A0B0C0D0E0F"), Errc::kParseError);
}

TEST(TokenTest, ParseRejectsNonHexValue) {
  ExpectErrc(Token::Parse("v1:000102030405060708090a0b0c0d0e0g"), Errc::kParseError);
}

// ---- creation and keys ----

TEST(TokenServiceTest, CreateRejectsShortIdKey) {
  ExpectErrc(TokenService::Create(crypto::Bytes(31, 1), 1, Key(2), Registered),
             Errc::kInvalidArgument);
}

TEST(TokenServiceTest, CreateRejectsShortTokenKey) {
  ExpectErrc(TokenService::Create(Key(1), 1, crypto::Bytes(16, 1), Registered),
             Errc::kInvalidArgument);
}

TEST(TokenServiceTest, CreateRejectsKeyIdZero) {
  ExpectErrc(TokenService::Create(Key(1), 0, Key(2), Registered), Errc::kInvalidArgument);
}

TEST(TokenServiceTest, CreateRejectsMissingBodyPredicate) {
  ExpectErrc(TokenService::Create(Key(1), 1, Key(2), nullptr), Errc::kInvalidArgument);
}

TEST(TokenServiceTest, AddKeyRejectsKeyIdNotAboveCurrent) {
  TokenService service = MakeService(10, 5);
  ExpectErrc(service.AddKey(5, Key(20)), Errc::kInvalidArgument);
  ExpectErrc(service.AddKey(4, Key(20)), Errc::kInvalidArgument);
  EXPECT_EQ(service.current_key_id(), 5u);
}

TEST(TokenServiceTest, AddKeyRejectsShortKey) {
  TokenService service = MakeService();
  ExpectErrc(service.AddKey(2, crypto::Bytes(8, 1)), Errc::kInvalidArgument);
  EXPECT_EQ(service.current_key_id(), 1u);
}

// ---- ID codes and derivation ----

TEST(TokenServiceTest, IdCodesAreDistinctForDistinctResidents) {
  TokenService service = MakeService();
  std::set<IdCode> seen;
  for (uint64_t body = 0; body < 20000; ++body) {
    auto id = service.IdCodeFor(MakeJuminhyoCode(body * 7919));
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(seen.insert(*id).second) << "collision at body " << body;
  }
}

TEST(TokenServiceTest, IdCodeRejectsMalformedJuminhyoCode) {
  TokenService service = MakeService();
  ExpectErrc(service.IdCodeFor("1234"), Errc::kInvalidArgument);
}

TEST(TokenServiceTest, TokenIsDeterministicForKeys) {
  TokenService a = MakeService();
  TokenService b = MakeService();
  const std::string code = MakeJuminhyoCode(1234567890);
  EXPECT_EQ(Issue(a, code, kNagaoka), Issue(b, code, kNagaoka));
  EXPECT_EQ(Issue(a, code, kNagaoka), Issue(a, code, kNagaoka));
}

// Pins the construction (Feistel ID code, block layout, AES) so a change to any of them is
// seen: stored tokens would silently stop matching. Checked independently with
// `openssl enc -d -aes-256-ecb -nopad`: the block decrypts to the ID code followed by
// 0x00039b52288bb502, 長岡市's 機関コード 1015202100000002 as a big-endian integer.
TEST(TokenServiceTest, TokenMatchesGoldenValue) {
  TokenService service = MakeService();
  EXPECT_EQ(Issue(service, MakeJuminhyoCode(1234567890), kNagaoka).ToText(),
            "v1:1c846b1daf0627b89effde3ed9b78fb3");
}

TEST(TokenServiceTest, OnePersonHasADifferentTokenAtEveryBody) {
  TokenService service = MakeService();
  std::set<std::array<uint8_t, 16>> all;
  for (uint64_t body = 1; body <= 2000; ++body) {
    const std::string code = MakeJuminhyoCode(body * 104729);
    const Token a = Issue(service, code, kNagaoka);
    const Token b = Issue(service, code, kChiyoda);
    const Token c = Issue(service, code, kShinjuku);
    EXPECT_NE(a.block, b.block);
    EXPECT_NE(b.block, c.block);
    EXPECT_NE(a.block, c.block);
    all.insert(a.block);
    all.insert(b.block);
    all.insert(c.block);
  }
  EXPECT_EQ(all.size(), 6000u);
}

TEST(TokenServiceTest, DeriveRejectsMalformedInstitutionCode) {
  TokenService service = MakeService();
  auto id = service.IdCodeFor(MakeJuminhyoCode(5));
  ASSERT_TRUE(id.ok());
  ExpectErrc(service.Derive(*id, "1015202100000003"), Errc::kInvalidArgument);
}

// ---- conversion ----

TEST(TokenServiceTest, ConvertGivesTheOtherBodysToken) {
  TokenService service = MakeService();
  for (uint64_t body = 1; body <= 500; ++body) {
    const std::string code = MakeJuminhyoCode(body * 31337);
    const Token at_a = Issue(service, code, kNagaoka);
    const Token at_b = Issue(service, code, kChiyoda);
    auto converted = service.Convert(at_a, kNagaoka, kChiyoda);
    ASSERT_TRUE(converted.ok()) << converted.error().message;
    EXPECT_EQ(*converted, at_b);
  }
}

TEST(TokenServiceTest, ConvertRefusesTokenPresentedAsAnotherBodys) {
  TokenService service = MakeService();
  const Token at_a = Issue(service, MakeJuminhyoCode(99), kNagaoka);
  ExpectErrc(service.Convert(at_a, kShinjuku, kChiyoda), Errc::kVerifyFailed);
}

TEST(TokenServiceTest, ConvertRefusesArbitraryBlock) {
  TokenService service = MakeService();
  Token forged = Issue(service, MakeJuminhyoCode(99), kNagaoka);
  forged.block[15] ^= 0x01;
  ExpectErrc(service.Convert(forged, kNagaoka, kChiyoda), Errc::kVerifyFailed);
}

TEST(TokenServiceTest, ConvertFailsWithAnotherCoresKey) {
  TokenService issuer = MakeService(10);
  TokenService other = MakeService(11);
  int failures = 0;
  for (uint64_t body = 1; body <= 200; ++body) {
    const Token t = Issue(issuer, MakeJuminhyoCode(body), kNagaoka);
    auto converted = other.Convert(t, kNagaoka, kChiyoda);
    if (!converted.ok()) {
      EXPECT_EQ(converted.error().code, make_error_code(Errc::kVerifyFailed));
      ++failures;
    }
  }
  EXPECT_EQ(failures, 200);
}

TEST(TokenServiceTest, ConvertRefusesUninstalledKeyId) {
  TokenService service = MakeService();
  Token t = Issue(service, MakeJuminhyoCode(3), kNagaoka);
  t.key_id = 9;
  ExpectErrc(service.Convert(t, kNagaoka, kChiyoda), Errc::kNotFound);
}

TEST(TokenServiceTest, ConvertRefusesMalformedTargetCode) {
  TokenService service = MakeService();
  const Token t = Issue(service, MakeJuminhyoCode(3), kNagaoka);
  ExpectErrc(service.Convert(t, kNagaoka, "10152021000000"), Errc::kInvalidArgument);
}

// ---- rotation ----

TEST(TokenServiceTest, RotationIssuesUnderTheNewKey) {
  TokenService service = MakeService();
  const std::string code = MakeJuminhyoCode(4242);
  const Token before = Issue(service, code, kNagaoka);
  ASSERT_TRUE(service.AddKey(2, Key(50)).ok());
  const Token after = Issue(service, code, kNagaoka);
  EXPECT_EQ(before.key_id, 1u);
  EXPECT_EQ(after.key_id, 2u);
  EXPECT_NE(before.block, after.block);
}

TEST(TokenServiceTest, RotationKeepsOldTokensConvertible) {
  TokenService service = MakeService();
  const std::string code = MakeJuminhyoCode(4242);
  const Token old_at_a = Issue(service, code, kNagaoka);
  ASSERT_TRUE(service.AddKey(2, Key(50)).ok());
  ASSERT_TRUE(service.AddKey(3, Key(90)).ok());
  auto converted = service.Convert(old_at_a, kNagaoka, kChiyoda);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  EXPECT_EQ(converted->key_id, 3u);
  EXPECT_EQ(*converted, Issue(service, code, kChiyoda));
}

TEST(TokenServiceTest, RekeyGivesTheSameBodysTokenUnderTheCurrentKey) {
  TokenService service = MakeService();
  const std::string code = MakeJuminhyoCode(4242);
  const Token old_token = Issue(service, code, kNagaoka);
  ASSERT_TRUE(service.AddKey(2, Key(50)).ok());
  auto rekeyed = service.Rekey(old_token, kNagaoka);
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_EQ(*rekeyed, Issue(service, code, kNagaoka));
}

// ---- acquisition ----

TEST(TokenServiceTest, AcquireIssuesTokenForRegisteredPerson) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(8)).ok());
  TokenService service = MakeService();
  auto grant = service.Acquire(ForwardToCore(jlis, kMyNumber, "152021-0000000007", kNagaoka));
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kIssued);
  EXPECT_EQ(grant->acquisition_number, "152021-0000000007");
  EXPECT_EQ(grant->institution_code, kNagaoka);
  EXPECT_EQ(grant->token, Issue(service, MakeJuminhyoCode(8), kNagaoka));
  EXPECT_TRUE(grant->reason.empty());
}

TEST(TokenServiceTest, AcquireAnswersUnknownPerson) {
  JlisDirectory jlis;
  TokenService service = MakeService();
  auto grant = service.Acquire(ForwardToCore(jlis, kMyNumber, "152021-0000000007", kNagaoka));
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kUnknownPerson);
  EXPECT_EQ(grant->acquisition_number, "152021-0000000007");
  EXPECT_FALSE(grant->reason.empty());
}

TEST(TokenServiceTest, AcquireAnswersUnregisteredBody) {
  TokenService service = MakeService();
  auto grant = service.Issue(MakeJuminhyoCode(8), kSapporo, "011002-0000000001");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kUnregisteredBody);
  EXPECT_NE(grant->reason.find(kSapporo), std::string::npos);
}

TEST(TokenServiceTest, AcquireRefusesMalformedInstitutionCode) {
  TokenService service = MakeService();
  auto grant = service.Issue(MakeJuminhyoCode(8), "1015202100000003", "152021-0000000001");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kMalformedRequest);
}

TEST(TokenServiceTest, AcquireRefusesEmptyAcquisitionNumber) {
  TokenService service = MakeService();
  auto grant = service.Issue(MakeJuminhyoCode(8), kNagaoka, "");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kMalformedRequest);
}

TEST(TokenServiceTest, AcquireRefusesAcquisitionNumberWithForbiddenCharacters) {
  TokenService service = MakeService();
  auto grant = service.Issue(MakeJuminhyoCode(8), kNagaoka, "152021 0000000001");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kMalformedRequest);
}

TEST(TokenServiceTest, AcquireRefusesOverlongAcquisitionNumber) {
  TokenService service = MakeService();
  auto grant = service.Issue(MakeJuminhyoCode(8), kNagaoka, std::string(65, '1'));
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kMalformedRequest);
}

TEST(TokenServiceTest, AcquireRefusesMalformedJuminhyoCode) {
  TokenService service = MakeService();
  auto grant = service.Issue("12345", kNagaoka, "152021-0000000001");
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->outcome, TokenOutcome::kMalformedRequest);
}

TEST(TokenServiceTest, GrantNeverCarriesTheMyNumber) {
  JlisDirectory jlis;
  ASSERT_TRUE(jlis.Register(kMyNumber, MakeJuminhyoCode(8)).ok());
  TokenService service = MakeService();
  for (const std::string& body : {kNagaoka, kSapporo}) {
    auto grant = service.Acquire(ForwardToCore(jlis, kMyNumber, "152021-0000000007", body));
    ASSERT_TRUE(grant.ok());
    for (const std::string& text :
         {grant->token.ToText(), grant->reason, grant->acquisition_number}) {
      EXPECT_EQ(text.find(kMyNumber), std::string::npos);
    }
  }
}

TEST(TokenServiceTest, OutcomeNamesAreDistinct) {
  std::set<std::string_view> names;
  for (auto o : {TokenOutcome::kIssued, TokenOutcome::kUnknownPerson,
                 TokenOutcome::kUnregisteredBody, TokenOutcome::kMalformedRequest}) {
    names.insert(TokenOutcomeName(o));
  }
  EXPECT_EQ(names.size(), 4u);
}

}  // namespace
}  // namespace renkei::netsim
