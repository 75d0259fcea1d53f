#include "netsim/identifiers.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "netsim/errors.h"
#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

// The message of a rejection, with the error code checked on the way.
std::string Rejection(const Status& status) {
  EXPECT_FALSE(status.ok());
  if (status.ok()) return {};
  EXPECT_EQ(status.error().code, make_error_code(Errc::kInvalidArgument));
  return status.error().message;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---- 個人番号 ----

TEST(MyNumberTest, AcceptsPublishedExample) { EXPECT_TRUE(ValidateMyNumber("983205673214").ok()); }

TEST(MyNumberTest, CheckDigitMatchesHandComputation) {
  // 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212; 212 mod 11 = 3; 11-3 = 8.
  EXPECT_EQ(MyNumberCheckDigit("12345678901").value(), 8);
  EXPECT_TRUE(ValidateMyNumber("123456789018").ok());
  // 9·6+8·5+3·4+2·3+0·2+5·7+6·6+7·5+3·4+2·3+1·2 = 238; 238 mod 11 = 7; 11-7 = 4.
  EXPECT_EQ(MyNumberCheckDigit("98320567321").value(), 4);
}

TEST(MyNumberTest, CheckDigitIsZeroForRemainderZeroAndOne) {
  EXPECT_EQ(MyNumberCheckDigit("00000000000").value(), 0);  // r = 0
  EXPECT_EQ(MyNumberCheckDigit("00000000006").value(), 0);  // 6·2 = 12, r = 1
  EXPECT_EQ(MyNumberCheckDigit("00000000005").value(), 1);  // 5·2 = 10, r = 10
  EXPECT_EQ(MyNumberCheckDigit("00000000001").value(), 9);  // r = 2
}

TEST(MyNumberTest, RejectsShortValue) {
  EXPECT_EQ(Rejection(ValidateMyNumber("98320567321")), "個人番号 must be 12 digits, got 11");
}

TEST(MyNumberTest, RejectsLongValue) {
  EXPECT_EQ(Rejection(ValidateMyNumber("9832056732140")), "個人番号 must be 12 digits, got 13");
}

TEST(MyNumberTest, RejectsEmptyValue) {
  EXPECT_EQ(Rejection(ValidateMyNumber("")), "個人番号 must be 12 digits, got 0");
}

TEST(MyNumberTest, RejectsWrongCheckDigit) {
  EXPECT_EQ(Rejection(ValidateMyNumber("983205673213")), "個人番号 check digit is 3, expected 4");
}

TEST(MyNumberTest, RejectsNonDigit) {
  EXPECT_EQ(Rejection(ValidateMyNumber("98320567321X")),
            "個人番号 accepts only ASCII digits 0-9; character 12 is not one");
}

TEST(MyNumberTest, RejectsHyphenatedForm) {
  EXPECT_TRUE(Contains(Rejection(ValidateMyNumber("9832-0567-3214")), "only ASCII digits"));
}

TEST(MyNumberTest, RejectsFullWidthDigits) {
  const std::string message = Rejection(ValidateMyNumber("９８３２０５６７３２１４"));
  EXPECT_TRUE(Contains(message, "only ASCII digits")) << message;
  EXPECT_TRUE(Contains(message, "full-width")) << message;
}

TEST(MyNumberTest, RejectsMixedFullWidthDigit) {
  EXPECT_TRUE(Contains(Rejection(ValidateMyNumber("98320567321４")), "full-width"));
}

// No rejection may repeat the value: a 個人番号 typed with one wrong digit is still almost the
// person's number. Any three consecutive input digits in a message count as a leak (messages
// hold at most two-digit numbers of their own: lengths and check digits).
TEST(MyNumberTest, RejectionMessagesNeverContainTheInputDigits) {
  const std::string inputs[] = {"983205673213", "98320567321",     "9832056732145",
                                "98320567321X", "9832-0567-3214",  "98320567321４",
                                "A83205673214", "983205673214 ",   "９８３２０５６７３２１４",
                                "573829104658", "5738291046580000"};
  for (const std::string& input : inputs) {
    const std::string message = Rejection(ValidateMyNumber(input));
    for (size_t i = 0; i + 3 <= input.size(); ++i) {
      const std::string_view window = std::string_view(input).substr(i, 3);
      if (window.find_first_not_of("0123456789") != std::string_view::npos) continue;
      EXPECT_FALSE(Contains(message, window)) << "message '" << message << "' leaks " << window;
    }
  }
  for (const std::string_view body : {"9832056732", "983205673210", "98320567X21"}) {
    const auto result = MyNumberCheckDigit(body);
    ASSERT_FALSE(result.ok());
    EXPECT_FALSE(Contains(result.error().message, body.substr(0, 3)));
    EXPECT_FALSE(Contains(result.error().message, body.substr(3, 3)));
  }
}

// The other validators quote their input, except when it looks like a 個人番号 given to the
// wrong validator: bare, zero-padded, or in full-width digits.
TEST(MyNumberTest, OtherValidatorsDoNotQuoteAMyNumber) {
  const std::string inputs[] = {"983205673214", "000983205673214", "0983205673214",
                                "９８３２０５６７３２１４", "No. 983205673214"};
  for (const std::string& input : inputs) {
    for (const Status& status :
         {ValidateLgCode(input), ValidateJuminhyoCode(input), ValidateInstitutionCode(input),
          ValidateIntegratedNumber(input), ValidateCode(input), ValidateCode("JM" + input)}) {
      const std::string message = Rejection(status);
      EXPECT_FALSE(Contains(message, "83205673")) << message;
      EXPECT_FALSE(Contains(message, "８３２０５６７３")) << message;
    }
  }
}

TEST(LgCodeTest, QuotesValuesThatCannotBeAMyNumber) {
  EXPECT_TRUE(Contains(Rejection(ValidateLgCode("1520211")), "('1520211')"));
  EXPECT_TRUE(
      Contains(Rejection(ValidateIntegratedNumber("1234567890123456")), "('1234567890123456')"));
}

TEST(MyNumberTest, CheckDigitRejectsWrongBodyLength) {
  const auto result = MyNumberCheckDigit("1234567890");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "個人番号 body must be 11 digits, got 10");
}

TEST(MyNumberTest, MakePadsBodyWithZeros) { EXPECT_EQ(MakeMyNumber(0), "000000000000"); }

TEST(MyNumberTest, GeneratedValuesValidateForManySeeds) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed, Rng::StreamId("test/mynumber"));
    for (int i = 0; i < 100; ++i) {
      const std::string value = GenerateMyNumber(rng);
      ASSERT_EQ(value.size(), 12u);
      ASSERT_TRUE(ValidateMyNumber(value).ok()) << "seed " << seed;
    }
  }
}

TEST(MyNumberTest, GenerationIsDeterministicForASeed) {
  Rng a(42, 7);
  Rng b(42, 7);
  Rng c(43, 7);
  const std::string first_a = GenerateMyNumber(a);
  EXPECT_EQ(first_a, GenerateMyNumber(b));
  EXPECT_EQ(GenerateMyNumber(a), GenerateMyNumber(b));
  EXPECT_NE(first_a, GenerateMyNumber(c));
}

// ---- 住民票コード ----

TEST(JuminhyoCodeTest, CheckDigitMatchesHandComputation) {
  // 1·5+2·4+3·3+4·2+5·7+6·6+7·5+8·4+9·3+0·2 = 195; 195 mod 11 = 8; 11-8 = 3.
  EXPECT_EQ(JuminhyoCodeCheckDigit("1234567890").value(), 3);
  EXPECT_TRUE(ValidateJuminhyoCode("12345678903").ok());
}

TEST(JuminhyoCodeTest, RejectsWrongLength) {
  EXPECT_EQ(Rejection(ValidateJuminhyoCode("1234567890")),
            "住民票コード must be 11 digits, got 10 ('1234567890')");
}

TEST(JuminhyoCodeTest, RejectsWrongCheckDigit) {
  EXPECT_EQ(Rejection(ValidateJuminhyoCode("12345678904")),
            "住民票コード check digit is 4, expected 3 ('12345678904')");
}

TEST(JuminhyoCodeTest, RejectsNonDigit) {
  EXPECT_TRUE(Contains(Rejection(ValidateJuminhyoCode("1234567890a")), "only ASCII digits"));
}

TEST(JuminhyoCodeTest, RejectsFullWidthDigits) {
  EXPECT_TRUE(Contains(Rejection(ValidateJuminhyoCode("１２３４５６７８９０３")), "full-width"));
}

TEST(JuminhyoCodeTest, GeneratedValuesValidateForManySeeds) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed, 1);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(ValidateJuminhyoCode(GenerateJuminhyoCode(rng)).ok());
  }
}

TEST(JuminhyoCodeTest, GenerationIsDeterministicForASeed) {
  Rng a(9, 1);
  Rng b(9, 1);
  EXPECT_EQ(GenerateJuminhyoCode(a), GenerateJuminhyoCode(b));
}

// ---- 地方公共団体コード ----

TEST(LgCodeTest, AcceptsKnownCodes) {
  for (const char* code : {"152021", "131016", "131041", "011002", "141003", "271004", "401307",
                           "041009", "231002", "472018", "130001"}) {
    EXPECT_TRUE(ValidateLgCode(code).ok()) << code;
  }
}

TEST(LgCodeTest, CheckDigitMatchesHandComputation) {
  // 長岡市: 6·1+5·5+4·2+3·0+2·2 = 43; 43 mod 11 = 10; (11-10) mod 10 = 1.
  EXPECT_EQ(LgCodeCheckDigit("15202").value(), 1);
  // 新宿区: 6+15+4+0+8 = 33; r = 0; (11-0) mod 10 = 1 (the mod 10 matters here).
  EXPECT_EQ(LgCodeCheckDigit("13104").value(), 1);
  // 札幌市: 0+5+4+0+0 = 9; 11-9 = 2.
  EXPECT_EQ(LgCodeCheckDigit("01100").value(), 2);
}

TEST(LgCodeTest, RejectsWrongLength) {
  EXPECT_EQ(Rejection(ValidateLgCode("15202")),
            "地方公共団体コード must be 6 digits, got 5 ('15202')");
}

TEST(LgCodeTest, RejectsPrefecture48) {
  EXPECT_EQ(Rejection(ValidateLgCode("482013")),
            "地方公共団体コード prefecture 48 does not exist (01-47) ('482013')");
}

TEST(LgCodeTest, RejectsPrefecture00) {
  EXPECT_TRUE(Contains(Rejection(ValidateLgCode("002011")), "prefecture 00 does not exist"));
}

TEST(LgCodeTest, RejectsWrongCheckDigit) {
  EXPECT_EQ(Rejection(ValidateLgCode("152022")),
            "地方公共団体コード check digit is 2, expected 1 ('152022')");
}

TEST(LgCodeTest, RejectsNonDigit) {
  EXPECT_TRUE(Contains(Rejection(ValidateLgCode("15202a")), "only ASCII digits"));
}

TEST(LgCodeTest, RejectsFullWidthDigits) {
  EXPECT_TRUE(Contains(Rejection(ValidateLgCode("１５２０２１")), "full-width"));
}

TEST(LgCodeTest, PrefectureOfCode) {
  EXPECT_EQ(LgCodePrefecture("152021"), 15);
  EXPECT_EQ(LgCodePrefecture("011002"), 1);
  EXPECT_EQ(LgCodePrefecture("472018"), 47);
}

// ---- 機関コード ----

TEST(InstitutionCodeTest, LocalBodyCodeEmbedsLgCode) {
  // 1·4+0·3+1·2+5·7+2·6+0·5+2·4+1·3 = 64; 64 mod 11 = 9; 11-9 = 2.
  EXPECT_EQ(InstitutionCodeForLgCode("152021"), "1015202100000002");
  EXPECT_TRUE(ValidateInstitutionCode("1015202100000002").ok());
  EXPECT_EQ(LgCodeOfInstitution("1015202100000002").value(), "152021");
}

TEST(InstitutionCodeTest, EveryTableLgCodeMapsToAValidCode) {
  for (const char* code : {"152021", "131016", "131041", "011002", "141003", "271004", "401307",
                           "041009", "231002", "472018"}) {
    const std::string institution = InstitutionCodeForLgCode(code);
    EXPECT_TRUE(ValidateInstitutionCode(institution).ok()) << institution;
    EXPECT_EQ(LgCodeOfInstitution(institution).value(), code);
  }
}

TEST(InstitutionCodeTest, AcceptsNationalBodyClass) {
  // 2·4+0·3+0·2+...+1·2 = 10; r = 10; 11-10 = 1.
  EXPECT_TRUE(ValidateInstitutionCode("2000000000000011").ok());
}

TEST(InstitutionCodeTest, NationalBodyHasNoLgCode) {
  const auto result = LgCodeOfInstitution("2000000000000011");
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(result.error().message, "national body")) << result.error().message;
}

TEST(InstitutionCodeTest, RejectsWrongLength) {
  EXPECT_TRUE(
      Contains(Rejection(ValidateInstitutionCode("101520210000000")), "must be 16 digits, got 15"));
}

TEST(InstitutionCodeTest, RejectsUnassignedClass) {
  EXPECT_TRUE(
      Contains(Rejection(ValidateInstitutionCode("3015202100000002")), "class 30 is not assigned"));
}

TEST(InstitutionCodeTest, RejectsWrongCheckDigit) {
  EXPECT_TRUE(Contains(Rejection(ValidateInstitutionCode("1015202100000003")),
                       "機関コード check digit is 3, expected 2"));
}

TEST(InstitutionCodeTest, RejectsInvalidEmbeddedLgCode) {
  // 152022 has a wrong check digit; the institution code's own check digit is right (4·1+...).
  std::string body = "101520220000000";
  int sum = 0;
  int n = 1;
  for (auto it = body.rbegin(); it != body.rend(); ++it, ++n)
    sum += (*it - '0') * ((n - 1) % 6 + 2);
  const int r = sum % 11;
  body.push_back(static_cast<char>('0' + (r <= 1 ? 0 : 11 - r)));
  const std::string message = Rejection(ValidateInstitutionCode(body));
  EXPECT_TRUE(Contains(message, "embed a valid 地方公共団体コード")) << message;
  EXPECT_TRUE(Contains(message, "check digit is 2, expected 1")) << message;
}

TEST(InstitutionCodeTest, RejectsFullWidthDigits) {
  EXPECT_TRUE(Contains(Rejection(ValidateInstitutionCode("１０１５２０２１００００００００２")),
                       "full-width"));
}

// ---- JM / JT / TM ----

TEST(CodeTest, AcceptsEachKind) {
  EXPECT_TRUE(ValidateCode("JM00000000000123", CodeKind::kBusiness).ok());
  EXPECT_TRUE(ValidateCode("JT00000000000123", CodeKind::kProcedure).ok());
  EXPECT_TRUE(ValidateCode("TM00000000000123", CodeKind::kDataItem).ok());
  EXPECT_TRUE(ValidateCode("TM00000000000123").ok());
}

TEST(CodeTest, RejectsWrongLength) {
  EXPECT_TRUE(Contains(Rejection(ValidateCode("JM0000000000012")), "must be 16 characters"));
}

TEST(CodeTest, RejectsUnknownPrefix) {
  EXPECT_TRUE(Contains(Rejection(ValidateCode("JX00000000000123")),
                       "must start with upper-case JM, JT or TM, got 'JX'"));
}

TEST(CodeTest, RejectsLowerCasePrefix) {
  EXPECT_TRUE(Contains(Rejection(ValidateCode("jm00000000000123")), "upper-case"));
}

TEST(CodeTest, RejectsWrongKind) {
  EXPECT_EQ(Rejection(ValidateCode("JM00000000000123", CodeKind::kProcedure)),
            "expected a 事務手続コード (JT), got a 事務コード (JM) ('JM00000000000123')");
}

TEST(CodeTest, RejectsNonDigitAfterPrefix) {
  EXPECT_TRUE(Contains(Rejection(ValidateCode("JM0000000000012X")), "character 16 is not one"));
}

TEST(CodeTest, RejectsFullWidthDigits) {
  EXPECT_TRUE(Contains(Rejection(ValidateCode("JM０００００００００００１２３")), "full-width"));
}

// ---- 統合宛名番号 ----

TEST(IntegratedNumberTest, CheckDigitMatchesHandComputation) {
  // Weights 3,2,7,6,5,4,3,2,7,6,5,4,3,2: 3+4+21+24+25+24+21+16+63+0+5+8+9+8 = 231 = 21·11.
  EXPECT_EQ(MakeIntegratedNumber(12345678901234), "123456789012340");
  // Only the leading 1 counts: 1·3 = 3; 11-3 = 8.
  EXPECT_EQ(MakeIntegratedNumber(10000000000000), "100000000000008");
  EXPECT_TRUE(ValidateIntegratedNumber("123456789012340").ok());
  EXPECT_TRUE(ValidateIntegratedNumber("100000000000008").ok());
}

TEST(IntegratedNumberTest, RejectsWrongLength) {
  EXPECT_TRUE(
      Contains(Rejection(ValidateIntegratedNumber("12345678901234")), "must be 15 digits, got 14"));
}

TEST(IntegratedNumberTest, RejectsTwelveDigitMyNumber) {
  EXPECT_TRUE(
      Contains(Rejection(ValidateIntegratedNumber("983205673214")), "must be 15 digits, got 12"));
}

// "000" + a valid 個人番号 satisfies the extended mod-11 rule; the leading-digit rule is what
// keeps the two identifier spaces apart.
TEST(IntegratedNumberTest, RejectsZeroPaddedMyNumber) {
  EXPECT_TRUE(
      Contains(Rejection(ValidateIntegratedNumber("000983205673214")), "must not start with 0"));
}

TEST(IntegratedNumberTest, RejectsWrongCheckDigit) {
  EXPECT_EQ(Rejection(ValidateIntegratedNumber("123456789012341")),
            "統合宛名番号 check digit is 1, expected 0 ('123456789012341')");
}

TEST(IntegratedNumberTest, RejectsFullWidthDigits) {
  EXPECT_TRUE(Contains(Rejection(ValidateIntegratedNumber("１２３４５６７８９０１２３４０")),
                       "full-width"));
}

TEST(IntegratedNumberTest, MadeValuesValidate) {
  Rng rng(5, 5);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t body = kIntegratedNumberMinBody +
                          rng.Uniform(kIntegratedNumberMaxBody - kIntegratedNumberMinBody + 1);
    ASSERT_TRUE(ValidateIntegratedNumber(MakeIntegratedNumber(body)).ok()) << body;
  }
}

TEST(IntegratedNumberDeathTest, MakeAbortsOnBodyWithLeadingZero) {
  EXPECT_DEATH(MakeIntegratedNumber(9999999999999), "統合宛名番号 body");
}

}  // namespace
}  // namespace renkei::netsim
