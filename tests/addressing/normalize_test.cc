// Tests of the 4-information normalisation (addressing/normalize.h) and the person vocabulary
// (addressing/person.h). One test per rule and per bad-input case.
#include "addressing/normalize.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "addressing/person.h"
#include "netsim/errors.h"

namespace renkei::addressing {
namespace {

using netsim::Errc;

// The normalised text, or "<error: …>" so that a failed expectation shows why.
std::string Text(const Result<std::string>& r) {
  return r.ok() ? r.value() : "<error: " + r.error().message + ">";
}

template <typename T>
void ExpectError(const Result<T>& r, Errc code, std::string_view needle) {
  ASSERT_FALSE(r.ok()) << "expected an error containing \"" << needle << "\"";
  EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------
// UTF-8

TEST(NormalizeUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Yamada"));
  EXPECT_TRUE(IsValidUtf8("山田 太郎 ﾔﾏﾀﾞ é"));
  EXPECT_TRUE(IsValidUtf8("𠮷田"));              // four bytes
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
}

TEST(NormalizeUtf8Test, RejectsTruncatedSequenceAtEnd) {
  const std::string text = std::string("山田") + "\xE5\xA4";  // 太 cut after two bytes
  EXPECT_FALSE(IsValidUtf8(text));
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 6");
  ExpectError(NormalizeName(text), Errc::kParseError, "truncated");
}

TEST(NormalizeUtf8Test, RejectsSequenceInterruptedByAscii) {
  const std::string text =
      "A\xE5"
      "B";
  EXPECT_FALSE(IsValidUtf8(text));
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 1");
}

TEST(NormalizeUtf8Test, RejectsTruncatedFourByteSequence) {
  const std::string text = "\xF0\xA0\xAE";  // 𠮷 without its last byte
  EXPECT_FALSE(IsValidUtf8(text));
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 0");
}

TEST(NormalizeUtf8Test, RejectsOverlongTwoByteSlash) {
  const std::string text = "ab\xC0\xAF";  // '/' in two bytes
  EXPECT_FALSE(IsValidUtf8(text));
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 2");
  ExpectError(NormalizeName(text), Errc::kParseError, "overlong");
}

TEST(NormalizeUtf8Test, RejectsOverlongThreeAndFourByteForms) {
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // '/' in three bytes
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF in three bytes
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in four bytes
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F in two bytes
  ExpectError(NormalizeName("x\xE0\x80\xAF"), Errc::kParseError, "byte offset 1: overlong");
}

TEST(NormalizeUtf8Test, RejectsLoneContinuationByte) {
  const std::string text = std::string("山") + "\x80" + "田";
  EXPECT_FALSE(IsValidUtf8(text));
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 3");
  ExpectError(NormalizeName(text), Errc::kParseError, "continuation");
}

TEST(NormalizeUtf8Test, RejectsEncodedSurrogate) {
  const std::string text = "ab\xED\xA0\x80";  // U+D800
  EXPECT_FALSE(IsValidUtf8(text));
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));   // U+D7FF, just below
  ExpectError(NormalizeName(text), Errc::kParseError, "byte offset 2");
  ExpectError(NormalizeName(text), Errc::kParseError, "surrogate");
}

TEST(NormalizeUtf8Test, RejectsCodePointAboveMaximum) {
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  ExpectError(NormalizeName("\xF4\x90\x80\x80"), Errc::kParseError, "byte offset 0");
}

TEST(NormalizeUtf8Test, RejectsBytesThatNeverOccur) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
  ExpectError(NormalizeName("abc\xFE"), Errc::kParseError, "byte offset 3");
}

TEST(NormalizeUtf8Test, EveryItemReportsTheOffsetInItsOwnInput) {
  const std::string bad = std::string("ｱ") + "\x80";  // offset 3 in the caller's text
  ExpectError(NormalizeKana(bad), Errc::kParseError, "name kana: invalid UTF-8 at byte offset 3");
  ExpectError(NormalizeAddress(bad), Errc::kParseError, "address: invalid UTF-8 at byte offset 3");
  ExpectError(NormalizeBirthDate(bad), Errc::kParseError,
              "birth date: invalid UTF-8 at byte offset 3");
  ExpectError(ParseSex(bad), Errc::kParseError, "sex: invalid UTF-8 at byte offset 3");
}

TEST(NormalizeUtf8Test, EveryPrefixOfValidTextIsValidOrTruncated) {
  const std::string text = "山田ﾀﾞ𠮷 1丁目ｰ";
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const std::string prefix = text.substr(0, n);
    const Result<std::string> name = NormalizeName(prefix);
    EXPECT_EQ(name.ok(), IsValidUtf8(prefix)) << n;
    if (!name.ok()) {
      EXPECT_NE(name.error().message.find("truncated"), std::string::npos) << n;
    }
    EXPECT_EQ(NormalizeAddress(prefix).ok(), IsValidUtf8(prefix)) << n;
  }
}

TEST(NormalizeUtf8Test, ArbitraryBytesAreRejectedOrNormalizedToValidText) {
  // A fixed linear congruential generator: the same 20,000 inputs on every platform.
  std::uint32_t state = 12345;
  const auto next = [&state] {
    state = state * 1664525U + 1013904223U;
    return state >> 24;
  };
  // Bytes biased towards UTF-8 lead and continuation bytes, so that many inputs are valid.
  const std::string alphabet = "a1 -\x80\x81\xA0\xBF\xC2\xE3\xE5\xED\xEF\xF0\xF4\xFF";
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    const std::uint32_t length = next() % 13;
    for (std::uint32_t k = 0; k < length; ++k) bytes += alphabet[next() % alphabet.size()];
    const bool valid = IsValidUtf8(bytes);
    for (const Result<std::string>& r :
         {NormalizeName(bytes), NormalizeKana(bytes), NormalizeAddress(bytes)}) {
      ASSERT_EQ(r.ok(), valid);
      if (r.ok()) {
        ASSERT_TRUE(IsValidUtf8(r.value()));
      } else {
        ASSERT_NE(r.error().message.find("byte offset"), std::string::npos);
      }
    }
    if (valid) {
      const std::string address = NormalizeAddress(bytes).value();
      ASSERT_EQ(Text(NormalizeAddress(address)), address);
    }
    const Result<std::string> date = NormalizeBirthDate(bytes);
    if (date.ok()) {
      ASSERT_EQ(date.value().size(), 10U);
    }
    (void)ParseSex(bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Names: the common rules

TEST(NormalizeNameTest, EmptyStaysEmpty) {
  EXPECT_EQ(Text(NormalizeName("")), "");
  EXPECT_EQ(Text(NormalizeName(" 　\t")), "");
}

TEST(NormalizeNameTest, RemovesAllSpaces) {
  EXPECT_EQ(Text(NormalizeName("山田 太郎")), "山田太郎");
  EXPECT_EQ(Text(NormalizeName("山田　太郎")), "山田太郎");
  EXPECT_EQ(Text(NormalizeName("\t山田\t太郎 ")), "山田太郎");
  EXPECT_EQ(Text(NormalizeName("山 田　 太 郎")), "山田太郎");
  EXPECT_EQ(Text(NormalizeName("山田\xC2\xA0太郎")), "山田太郎");  // U+00A0
}

TEST(NormalizeNameTest, FoldsFullWidthAsciiToHalfWidth) {
  EXPECT_EQ(Text(NormalizeName("ＪＯＨＮ　ＳＭＩＴＨ")), "JOHNSMITH");
  EXPECT_EQ(Text(NormalizeName("０１２３４５６７８９")), "0123456789");
  EXPECT_EQ(Text(NormalizeName("！～（）")), "!~()");
}

TEST(NormalizeNameTest, UppercasesAsciiLetters) {
  EXPECT_EQ(Text(NormalizeName("John Smith")), "JOHNSMITH");
  EXPECT_EQ(Text(NormalizeName("ｊｏｈｎ")), "JOHN");
  EXPECT_EQ(Text(NormalizeName("é")), "é");  // only ASCII letters change
}

TEST(NormalizeNameTest, FoldsHalfWidthKatakana) {
  EXPECT_EQ(Text(NormalizeName("ﾔﾏﾀﾞ ﾀﾛｳ")), "ヤマダタロウ");
  EXPECT_EQ(Text(NormalizeName("ｱｲｳｴｵﾜｦﾝ")), "アイウエオワヲン");
}

TEST(NormalizeNameTest, FoldsHalfWidthKatakanaWithDakuten) {
  EXPECT_EQ(Text(NormalizeName("ｶﾞｷﾞｸﾞｹﾞｺﾞ")), "ガギグゲゴ");
  EXPECT_EQ(Text(NormalizeName("ｻﾞｼﾞｽﾞｾﾞｿﾞ")), "ザジズゼゾ");
  EXPECT_EQ(Text(NormalizeName("ﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ")), "ダヂヅデド");
  EXPECT_EQ(Text(NormalizeName("ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ")), "バビブベボ");
  EXPECT_EQ(Text(NormalizeName("ｳﾞ")), "ヴ");
  EXPECT_EQ(Text(NormalizeName("ﾜﾞｦﾞ")), "ヷヺ");
}

TEST(NormalizeNameTest, FoldsHalfWidthKatakanaWithHandakuten) {
  EXPECT_EQ(Text(NormalizeName("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ")), "パピプペポ");
}

TEST(NormalizeNameTest, FoldsHalfWidthSmallKanaAndPunctuation) {
  EXPECT_EQ(Text(NormalizeName("ｧｨｩｪｫｬｭｮｯ")), "ァィゥェォャュョッ");
  EXPECT_EQ(Text(NormalizeName("｡｢｣､･ｰ")), "。「」、・ー");
}

TEST(NormalizeNameTest, ComposesCombiningAndSpacingVoicingMarks) {
  EXPECT_EQ(Text(NormalizeName("か\u3099")), "が");
  EXPECT_EQ(Text(NormalizeName("ハ\u309A")), "パ");
  EXPECT_EQ(Text(NormalizeName("カ゛ト゛")), "ガド");
  EXPECT_EQ(Text(NormalizeName("ほ゜")), "ぽ");
  EXPECT_EQ(Text(NormalizeName("ﾊ ﾟ")), "パ");  // the space goes first
}

TEST(NormalizeNameTest, KeepsVoicingMarkThatCannotCompose) {
  EXPECT_EQ(Text(NormalizeName("ﾝﾞ")), "ン゛");
  EXPECT_EQ(Text(NormalizeName("ｶﾟ")), "カ゜");
  EXPECT_EQ(Text(NormalizeName("ﾞ")), "゛");
  EXPECT_EQ(Text(NormalizeName("ｶﾞﾞ")), "ガ゛");
  EXPECT_EQ(Text(NormalizeName("山\u3099")), "山゛");
}

TEST(NormalizeNameTest, LeavesHiraganaAndFullWidthKatakanaAlone) {
  EXPECT_EQ(Text(NormalizeName("さくら")), "さくら");
  EXPECT_EQ(Text(NormalizeName("マリア")), "マリア");
}

TEST(NormalizeNameTest, FoldsVariantKanjiOfTheSameCharacter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"髙橋", "高橋"}, {"山﨑", "山崎"}, {"宮嵜", "宮崎"}, {"渡邊", "渡辺"}, {"渡邉", "渡辺"},
      {"齋藤", "斎藤"}, {"齊藤", "斉藤"}, {"澤田", "沢田"}, {"濱田", "浜田"}, {"濵田", "浜田"},
      {"廣瀬", "広瀬"}, {"國分", "国分"}, {"櫻井", "桜井"}, {"惠子", "恵子"}, {"眞一", "真一"},
      {"與田", "与田"}, {"藏本", "蔵本"}, {"圓山", "円山"}, {"壽子", "寿子"}, {"實", "実"},
      {"榮一", "栄一"}, {"淺野", "浅野"}, {"嶋田", "島田"}, {"嶌田", "島田"}, {"冨田", "富田"},
      {"槇原", "槙原"}, {"德川", "徳川"}, {"舘野", "館野"}, {"瀧川", "滝川"}, {"龜井", "亀井"},
  };
  for (const auto& [variant, common] : cases) {
    EXPECT_EQ(Text(NormalizeName(variant)), common) << variant;
    EXPECT_EQ(Text(NormalizeName(common)), common) << common;
  }
}

TEST(NormalizeNameTest, FoldsFourByteVariantKanji) {
  EXPECT_EQ(Text(NormalizeName("𠮷田")), "吉田");
}

TEST(NormalizeNameTest, FoldsCompatibilityIdeographs) {
  EXPECT_EQ(Text(NormalizeName("\uFA19田")), "神田");  // U+FA19 → 神 U+795E
  EXPECT_EQ(Text(NormalizeName("\uF914")), "楽");      // U+F914 → 樂 → 楽
  EXPECT_EQ(Text(NormalizeName("\uFA10")), "塚");      // U+FA10 → 塚 U+585A
}

TEST(NormalizeNameTest, KeepsDistinctCharactersApart) {
  // Different 字種 (or both forms in common use as distinct names) must not fold.
  for (const std::string name : {"龍", "竜", "斎", "斉", "芸", "藝", "台", "臺", "余", "餘", "弁",
                                 "辯", "桧", "檜", "渕", "淵", "万", "萬"}) {
    EXPECT_EQ(Text(NormalizeName(name)), name);
  }
}

TEST(NormalizeNameTest, DropsVariationSelectors) {
  EXPECT_EQ(Text(NormalizeName("葛\U000E0100飾")), "葛飾");
  EXPECT_EQ(Text(NormalizeName("辻\U000E0101")), "辻");
  EXPECT_EQ(Text(NormalizeName("邉\U000E0108")), "辺");
  EXPECT_EQ(Text(NormalizeName("A\uFE0F")), "A");
}

TEST(NormalizeNameTest, FoldVariantKanjiIsIdempotent) {
  for (char32_t cp = 0x3000; cp < 0x30000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const char32_t once = FoldVariantKanji(cp);
    ASSERT_EQ(FoldVariantKanji(once), once) << std::hex << static_cast<unsigned>(cp);
  }
  EXPECT_EQ(FoldVariantKanji(U'A'), U'A');
  EXPECT_EQ(FoldVariantKanji(U'髙'), U'高');
}

TEST(NormalizeNameTest, IsIdempotent) {
  for (const std::string raw : {"ﾔﾏﾀﾞ　ﾀﾛｳ", "髙橋 ｊｏｈｎ", "𠮷田\U000E0100", "か\u3099"}) {
    const std::string once = Text(NormalizeName(raw));
    EXPECT_EQ(Text(NormalizeName(once)), once) << raw;
  }
}

// ---------------------------------------------------------------------------------------------
// Kana

TEST(NormalizeKanaTest, ConvertsHiraganaToKatakana) {
  EXPECT_EQ(Text(NormalizeKana("やまだ たろう")), "ヤマダタロウ");
  EXPECT_EQ(Text(NormalizeKana("ぁゖゝゞ")), "ァヶヽヾ");
}

TEST(NormalizeKanaTest, AppliesTheNameRules) {
  EXPECT_EQ(Text(NormalizeKana("ﾔﾏﾀﾞ　ﾀﾛｳ")), "ヤマダタロウ");
  EXPECT_EQ(Text(NormalizeKana("ｊｏｈｎ ｽﾐｽ")), "JOHNスミス");
  EXPECT_EQ(Text(NormalizeKana("か゛")), "ガ");
}

TEST(NormalizeKanaTest, KeepsSmallKanaSmall) {
  EXPECT_EQ(Text(NormalizeKana("きゃっと")), "キャット");
  EXPECT_EQ(Text(NormalizeKana("ｷｬｯﾄ")), "キャット");
  EXPECT_NE(Text(NormalizeKana("キャ")), Text(NormalizeKana("キヤ")));
}

TEST(NormalizeKanaTest, FoldsLongVowelVariants) {
  for (const std::string raw : {"コーヒー", "ｺｰﾋｰ", "コ－ヒ－", "コ-ヒ-", "コ\u2010ヒ\u2010",
                                "コ\u2212ヒ\u2212", "コ\u2015ヒ\u2014", "コ\u2500ヒ\uFE63"}) {
    EXPECT_EQ(Text(NormalizeKana(raw)), "コーヒー") << raw;
  }
}

TEST(NormalizeKanaTest, KeepsVu) {
  EXPECT_EQ(Text(NormalizeKana("ヴィクトル")), "ヴィクトル");
  EXPECT_EQ(Text(NormalizeKana("ゔぃくとる")), "ヴィクトル");
  EXPECT_EQ(Text(NormalizeKana("ｳﾞｨｸﾄﾙ")), "ヴィクトル");
  EXPECT_EQ(Text(NormalizeKana("う\u3099")), "ヴ");
}

TEST(NormalizeKanaTest, NameKeepsHyphenButKanaFoldsIt) {
  EXPECT_EQ(Text(NormalizeName("ｺ－ﾋ－")), "コ-ヒ-");
  EXPECT_EQ(Text(NormalizeKana("ｺ－ﾋ－")), "コーヒー");
}

// ---------------------------------------------------------------------------------------------
// Addresses

TEST(NormalizeAddressTest, AppliesTheNameRules) {
  EXPECT_EQ(Text(NormalizeAddress("東京都 新宿区　髙田馬場")), "東京都新宿区高田馬場");
  EXPECT_EQ(Text(NormalizeAddress("ﾊｲﾂ　ａ")), "ハイツA");
}

TEST(NormalizeAddressTest, ConvertsKanjiNumeralsBeforeChome) {
  EXPECT_EQ(Text(NormalizeAddress("大手通一丁目")), "大手通1");
  EXPECT_EQ(Text(NormalizeAddress("大手通二十三丁目")), "大手通23");
  EXPECT_EQ(Text(NormalizeAddress("大手通十丁目")), "大手通10");
  EXPECT_EQ(Text(NormalizeAddress("大手通二〇丁目")), "大手通20");
  EXPECT_EQ(Text(NormalizeAddress("大手通一丁目")), Text(NormalizeAddress("大手通1丁目")));
}

TEST(NormalizeAddressTest, ConvertsKanjiNumeralsInABlockChain) {
  EXPECT_EQ(Text(NormalizeAddress("大手通一丁目二番三号")), "大手通1-2-3");
  EXPECT_EQ(Text(NormalizeAddress("大手通二番地")), "大手通2");
  EXPECT_EQ(Text(NormalizeAddress("大手通二番地の三")), "大手通2-3");
}

TEST(NormalizeAddressTest, UnifiesBlockNumberForms) {
  for (const std::string raw :
       {"長岡市大手通1丁目2番3号", "長岡市大手通1丁目2番地3", "長岡市大手通1-2-3",
        "長岡市大手通1－2－3", "長岡市大手通１丁目２−３", "長岡市大手通1丁目2-3",
        "長岡市大手通1丁目-2-3", "長岡市大手通１‐２‐３", "長岡市大手通一丁目2番3号"}) {
    EXPECT_EQ(Text(NormalizeAddress(raw)), "長岡市大手通1-2-3") << raw;
  }
}

TEST(NormalizeAddressTest, BanchiAloneBecomesTheNumber) {
  EXPECT_EQ(Text(NormalizeAddress("下条10番地")), "下条10");
  EXPECT_EQ(Text(NormalizeAddress("下条123番地4")), "下条123-4");
  EXPECT_EQ(Text(NormalizeAddress("下条123番地の4")), "下条123-4");
  EXPECT_EQ(Text(NormalizeAddress("下条123の4")), "下条123-4");
}

TEST(NormalizeAddressTest, MatchesTheResidentGeneratorForms) {
  EXPECT_EQ(Text(NormalizeAddress("新潟県長岡市大手通一丁目4番10号")), "新潟県長岡市大手通1-4-10");
  EXPECT_EQ(Text(NormalizeAddress("新潟県長岡市殿町二丁目3番5号 若葉ハイツ203号室")),
            "新潟県長岡市殿町2-3-5若葉ハイツ203号室");
}

TEST(NormalizeAddressTest, KeepsBuildingNamesAndRoomNumbers) {
  EXPECT_EQ(Text(NormalizeAddress("大手通1丁目2番3号 ﾊｲﾂ長岡 101号室")),
            "大手通1-2-3ハイツ長岡101号室");
  EXPECT_EQ(Text(NormalizeAddress("大手通1-2-3 3号棟 2番館")), "大手通1-2-3-3号棟2番館");
  EXPECT_EQ(Text(NormalizeAddress("大手通1-2-3 センター")), "大手通1-2-3センター");
}

TEST(NormalizeAddressTest, SpaceBetweenDigitsBecomesHyphen) {
  EXPECT_EQ(Text(NormalizeAddress("大手通1-2-3 101号室")), "大手通1-2-3-101号室");
  EXPECT_EQ(Text(NormalizeAddress("大手通１　２　３")), "大手通1-2-3");
  EXPECT_EQ(Text(NormalizeAddress("大手通 1 丁目 2")), "大手通1-2");
}

TEST(NormalizeAddressTest, SeparatesANumberThatFollowsADroppedLabel) {
  EXPECT_EQ(Text(NormalizeAddress("大手通1丁目2番3号101号室")), "大手通1-2-3-101号室");
}

TEST(NormalizeAddressTest, KeepsKanjiNumeralsOfPlaceNames) {
  EXPECT_EQ(Text(NormalizeAddress("千代田区一番町")), "千代田区一番町");
  EXPECT_EQ(Text(NormalizeAddress("千代田区四番町5番地")), "千代田区四番町5");
  EXPECT_EQ(Text(NormalizeAddress("十日町市")), "十日町市");
  EXPECT_EQ(Text(NormalizeAddress("港区三田一丁目")), "港区三田1");
  EXPECT_EQ(Text(NormalizeAddress("五十嵐二丁目")), "五十嵐2");
}

TEST(NormalizeAddressTest, FoldsLongVowelAndNoBetweenDigitsOnly) {
  EXPECT_EQ(Text(NormalizeAddress("大手通1ー2ー3")), "大手通1-2-3");
  EXPECT_EQ(Text(NormalizeAddress("ｾﾝﾀｰ")), "センター");
  EXPECT_EQ(Text(NormalizeAddress("市ノ瀬の森")), "市ノ瀬の森");
}

TEST(NormalizeAddressTest, FoldsKeVariantsInPlaceNames) {
  for (const std::string raw : {"千代田区霞ヶ関", "千代田区霞ケ関", "千代田区霞が関",
                                "千代田区霞ガ関", "千代田区霞ｹ関", "千代田区霞ヵ関"}) {
    EXPECT_EQ(Text(NormalizeAddress(raw)), "千代田区霞ケ関") << raw;
  }
  EXPECT_EQ(Text(NormalizeAddress("自由が丘")), "自由ケ丘");
}

TEST(NormalizeAddressTest, KeepsKeVariantsOutsidePlaceNames) {
  EXPECT_EQ(Text(NormalizeAddress("ガーデン長岡")), "ガーデン長岡");
  EXPECT_EQ(Text(NormalizeAddress("長岡ガーデン")), "長岡ガーデン");
  EXPECT_EQ(Text(NormalizeAddress("かすみがうら市")), "かすみがうら市");
}

TEST(NormalizeAddressTest, IsIdempotent) {
  for (const std::string raw :
       {"長岡市大手通一丁目2番3号 ﾊｲﾂ101号室", "霞が関1ー2", "下条10番地"}) {
    const std::string once = Text(NormalizeAddress(raw));
    EXPECT_EQ(Text(NormalizeAddress(once)), once) << raw;
  }
}

// ---------------------------------------------------------------------------------------------
// Birth dates

TEST(NormalizeBirthDateTest, AcceptsWesternForms) {
  for (const std::string raw :
       {"1980-04-01", "1980/4/1", "1980/04/01", "1980.4.1", "19800401", "1980年4月1日",
        "１９８０年４月１日", "１９８０－０４－０１", " 1980 - 04 - 01 "}) {
    EXPECT_EQ(Text(NormalizeBirthDate(raw)), "1980-04-01") << raw;
  }
}

TEST(NormalizeBirthDateTest, AcceptsEraForms) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"昭和55年4月1日", "1980-04-01"},
      {"S55.4.1", "1980-04-01"},
      {"s55.4.1", "1980-04-01"},
      {"S55/04/01", "1980-04-01"},
      {"昭和５５年４月１日", "1980-04-01"},
      {"平成2年1月8日", "1990-01-08"},
      {"H2.1.8", "1990-01-08"},
      {"H02.01.08", "1990-01-08"},
      {"令和元年5月1日", "2019-05-01"},
      {"R1.5.1", "2019-05-01"},
      {"R元.5.1", "2019-05-01"},
      {"大正10年3月3日", "1921-03-03"},
      {"T10.3.3", "1921-03-03"},
      {"明治44年2月11日", "1911-02-11"},
      {"M44.2.11", "1911-02-11"},
      {"昭和 55 年 4 月 1 日", "1980-04-01"},
  };
  for (const auto& [raw, want] : cases) EXPECT_EQ(Text(NormalizeBirthDate(raw)), want) << raw;
}

TEST(NormalizeBirthDateTest, AcceptsSquareEraSymbols) {
  EXPECT_EQ(Text(NormalizeBirthDate("㍾44年2月11日")), "1911-02-11");
  EXPECT_EQ(Text(NormalizeBirthDate("㍽10年3月3日")), "1921-03-03");
  EXPECT_EQ(Text(NormalizeBirthDate("㍼55年4月1日")), "1980-04-01");
  EXPECT_EQ(Text(NormalizeBirthDate("㍻2年1月8日")), "1990-01-08");
  EXPECT_EQ(Text(NormalizeBirthDate("㋿元年5月1日")), "2019-05-01");
}

TEST(NormalizeBirthDateTest, AcceptsEraBoundaryDays) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"明治元年1月25日", "1868-01-25"},  {"明治45年7月29日", "1912-07-29"},
      {"大正元年7月30日", "1912-07-30"},  {"大正15年12月24日", "1926-12-24"},
      {"昭和元年12月25日", "1926-12-25"}, {"昭和64年1月7日", "1989-01-07"},
      {"平成元年1月8日", "1989-01-08"},   {"平成31年4月30日", "2019-04-30"},
      {"令和元年5月1日", "2019-05-01"},
  };
  for (const auto& [raw, want] : cases) EXPECT_EQ(Text(NormalizeBirthDate(raw)), want) << raw;
}

TEST(NormalizeBirthDateTest, RejectsEraDatesOutsideTheEra) {
  for (const std::string raw :
       {"明治元年1月24日", "明治45年7月30日", "大正元年7月29日", "大正15年12月25日",
        "昭和元年12月24日", "昭和64年1月8日", "平成元年1月7日", "平成31年5月1日", "平成32年1月1日",
        "令和元年4月30日", "H31.5.1", "S64.1.8"}) {
    ExpectError(NormalizeBirthDate(raw), Errc::kInvalidArgument, "outside");
  }
  ExpectError(NormalizeBirthDate("平成31年5月1日"), Errc::kInvalidArgument,
              "平成31年5月1日 is 2019-05-01, outside 平成 (1989-01-08 to 2019-04-30)");
}

TEST(NormalizeBirthDateTest, RejectsEraYearZero) {
  ExpectError(NormalizeBirthDate("平成0年1月8日"), Errc::kInvalidArgument, "era year 0");
  ExpectError(NormalizeBirthDate("H0.1.8"), Errc::kInvalidArgument, "era year 0");
}

TEST(NormalizeBirthDateTest, RejectsNonexistentDay) {
  ExpectError(NormalizeBirthDate("2023-02-29"), Errc::kInvalidArgument,
              "day 29 does not exist in 2023-02 (28 days)");
  ExpectError(NormalizeBirthDate("1900-02-29"), Errc::kInvalidArgument, "day 29");
  ExpectError(NormalizeBirthDate("1980-04-31"), Errc::kInvalidArgument, "day 31");
  ExpectError(NormalizeBirthDate("1980-04-00"), Errc::kInvalidArgument, "day 0");
  ExpectError(NormalizeBirthDate("令和5年2月29日"), Errc::kInvalidArgument, "day 29");
}

TEST(NormalizeBirthDateTest, AcceptsLeapDays) {
  EXPECT_EQ(Text(NormalizeBirthDate("2000-02-29")), "2000-02-29");
  EXPECT_EQ(Text(NormalizeBirthDate("2024/2/29")), "2024-02-29");
  EXPECT_EQ(Text(NormalizeBirthDate("令和6年2月29日")), "2024-02-29");
}

TEST(NormalizeBirthDateTest, RejectsNonexistentMonth) {
  ExpectError(NormalizeBirthDate("1980-13-01"), Errc::kInvalidArgument, "month 13");
  ExpectError(NormalizeBirthDate("19800001"), Errc::kInvalidArgument, "month 0");
}

TEST(NormalizeBirthDateTest, RejectsYearZero) {
  ExpectError(NormalizeBirthDate("0000-01-01"), Errc::kInvalidArgument, "year 0");
}

TEST(NormalizeBirthDateTest, RejectsEmpty) {
  ExpectError(NormalizeBirthDate(""), Errc::kParseError, "birth date: empty");
  ExpectError(NormalizeBirthDate("　"), Errc::kParseError, "birth date: empty");
}

TEST(NormalizeBirthDateTest, RejectsMalformedText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"80-04-01", "four-digit year"},     {"1980", "missing month and day"},
      {"1980-04", "expected a month"},     {"1980/04-01", "expected a month"},
      {"1980-004-01", "expected a month"}, {"1980-04-001", "expected a day"},
      {"1980年4月1", "followed by 日"},    {"1980-04-01x", "unexpected text"},
      {"1980-04-01生", "unexpected text"}, {"昭和年4月1日", "era year"},
      {"昭和123年4月1日", "era year"},     {"X55.4.1", "four-digit year"},
      {"S55", "missing month and day"},    {"1980_04_01", "separator"},
      {"198004011", "four-digit year"},
  };
  for (const auto& [raw, needle] : cases) {
    ExpectError(NormalizeBirthDate(raw), Errc::kParseError, needle);
  }
}

// ---------------------------------------------------------------------------------------------
// Sex

TEST(PersonSexTest, UsesIsoIec5218Codes) {
  EXPECT_EQ(static_cast<int>(Sex::kNotKnown), 0);
  EXPECT_EQ(static_cast<int>(Sex::kMale), 1);
  EXPECT_EQ(static_cast<int>(Sex::kFemale), 2);
  EXPECT_EQ(static_cast<int>(Sex::kNotApplicable), 9);
}

TEST(PersonSexTest, LabelsEachValue) {
  EXPECT_EQ(SexLabel(Sex::kMale), "男");
  EXPECT_EQ(SexLabel(Sex::kFemale), "女");
  EXPECT_EQ(SexLabel(Sex::kNotKnown), "不明");
  EXPECT_EQ(SexLabel(Sex::kNotApplicable), "適用不能");
}

TEST(PersonSexTest, ParsesEachSpelling) {
  const std::vector<std::pair<std::string, Sex>> cases = {
      {"0", Sex::kNotKnown}, {"1", Sex::kMale},    {"2", Sex::kFemale},  {"9", Sex::kNotApplicable},
      {"男", Sex::kMale},    {"女", Sex::kFemale}, {"男性", Sex::kMale}, {"女性", Sex::kFemale},
      {"M", Sex::kMale},     {"F", Sex::kFemale},  {"male", Sex::kMale}, {"female", Sex::kFemale},
  };
  for (const auto& [raw, want] : cases) {
    const Result<Sex> got = ParseSex(raw);
    ASSERT_TRUE(got.ok()) << raw << ": " << got.error().message;
    EXPECT_EQ(got.value(), want) << raw;
  }
}

TEST(PersonSexTest, ParsesAsciiCaseInsensitively) {
  for (const std::string raw : {"m", "Male", "MALE", "mAlE"}) {
    ASSERT_TRUE(ParseSex(raw).ok()) << raw;
    EXPECT_EQ(ParseSex(raw).value(), Sex::kMale) << raw;
  }
  for (const std::string raw : {"f", "Female", "FEMALE", "fEmAlE"}) {
    ASSERT_TRUE(ParseSex(raw).ok()) << raw;
    EXPECT_EQ(ParseSex(raw).value(), Sex::kFemale) << raw;
  }
}

TEST(PersonSexTest, ParsesFullWidthAndSpacedInput) {
  ASSERT_TRUE(ParseSex("１").ok());
  EXPECT_EQ(ParseSex("１").value(), Sex::kMale);
  ASSERT_TRUE(ParseSex(" Ｆ ").ok());
  EXPECT_EQ(ParseSex(" Ｆ ").value(), Sex::kFemale);
}

TEST(PersonSexTest, LabelRoundTripsThroughParse) {
  for (const Sex sex : {Sex::kNotKnown, Sex::kMale, Sex::kFemale, Sex::kNotApplicable}) {
    const Result<Sex> parsed = ParseSex(SexLabel(sex));
    ASSERT_TRUE(parsed.ok()) << SexLabel(sex);
    EXPECT_EQ(parsed.value(), sex);
  }
}

TEST(PersonSexTest, RejectsEmpty) {
  ExpectError(ParseSex(""), Errc::kParseError, "sex: empty");
  ExpectError(ParseSex("  "), Errc::kParseError, "sex: empty");
}

TEST(PersonSexTest, RejectsUnknownValues) {
  for (const std::string raw : {"3", "X", "男女", "males", "man", "01", "-1"}) {
    ExpectError(ParseSex(raw), Errc::kParseError, "sex: unrecognised value");
  }
}

// ---------------------------------------------------------------------------------------------
// Four information

FourInfo Yamada() {
  return FourInfo{"山田 太郎", "ヤマダ タロウ", Sex::kMale, "1980-04-01",
                  "新潟県長岡市大手通1丁目2番3号"};
}

NormalizedFourInfo Normalized(const FourInfo& info) {
  Result<NormalizedFourInfo> n = NormalizeFourInfo(info);
  EXPECT_TRUE(n.ok()) << n.error().message;
  return n.ok() ? n.value() : NormalizedFourInfo{};
}

TEST(NormalizeFourInfoTest, NormalizesEveryItem) {
  const NormalizedFourInfo n = Normalized(
      FourInfo{"髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", Sex::kMale, "S55.4.1", "長岡市大手通１丁目２−３"});
  EXPECT_EQ(n.name, "高橋一郎");
  EXPECT_EQ(n.name_kana, "タカハシイチロウ");
  EXPECT_EQ(n.sex, Sex::kMale);
  EXPECT_EQ(n.birth_date, "1980-04-01");
  EXPECT_EQ(n.address, "長岡市大手通1-2-3");
}

TEST(NormalizeFourInfoTest, KeepsAbsentItemsAbsent) {
  const NormalizedFourInfo n = Normalized(FourInfo{"", " ", Sex::kNotKnown, "　", ""});
  EXPECT_EQ(n.name, "");
  EXPECT_EQ(n.name_kana, "");
  EXPECT_EQ(n.sex, Sex::kNotKnown);
  EXPECT_EQ(n.birth_date, "");
  EXPECT_EQ(n.address, "");
}

TEST(NormalizeFourInfoTest, NamesTheFailingItem) {
  FourInfo info = Yamada();
  info.birth_date = "平成31年5月1日";
  ExpectError(NormalizeFourInfo(info), Errc::kInvalidArgument, "birth date:");
  info = Yamada();
  info.address = "長岡\xFF";
  ExpectError(NormalizeFourInfo(info), Errc::kParseError,
              "address: invalid UTF-8 at byte offset 6");
}

TEST(MatchFourInfoTest, MatchesEveryItemOfTheSamePerson) {
  const NormalizedFourInfo candidate = Normalized(Yamada());
  const NormalizedFourInfo query = Normalized(
      FourInfo{"山田　太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", Sex::kMale, "昭和55年4月1日", "新潟県長岡市大手通1-2-3"});
  const MatchResult m = MatchFourInfo(query, candidate);
  EXPECT_TRUE(m.name);
  EXPECT_TRUE(m.kana);
  EXPECT_TRUE(m.sex);
  EXPECT_TRUE(m.birth_date);
  EXPECT_TRUE(m.address);
  EXPECT_EQ(m.score(), 5);
}

TEST(MatchFourInfoTest, DoesNotCompareItemsAbsentFromTheQuery) {
  const NormalizedFourInfo candidate = Normalized(Yamada());
  const MatchResult none = MatchFourInfo(NormalizedFourInfo{}, candidate);
  EXPECT_EQ(none.score(), 0);
  // An absent item does not match even a candidate whose item is also absent.
  EXPECT_EQ(MatchFourInfo(NormalizedFourInfo{}, NormalizedFourInfo{}).score(), 0);

  const MatchResult two = MatchFourInfo(
      Normalized(FourInfo{"山田太郎", "", Sex::kNotKnown, "1980/4/1", ""}), candidate);
  EXPECT_TRUE(two.name);
  EXPECT_FALSE(two.kana);
  EXPECT_FALSE(two.sex);
  EXPECT_TRUE(two.birth_date);
  EXPECT_FALSE(two.address);
  EXPECT_EQ(two.score(), 2);
}

TEST(MatchFourInfoTest, ReportsDifferingItems) {
  const NormalizedFourInfo candidate = Normalized(Yamada());
  const MatchResult m = MatchFourInfo(
      Normalized(FourInfo{"山田花子", "ヤマダハナコ", Sex::kFemale, "1980-04-02", "東京都"}),
      candidate);
  EXPECT_EQ(m.score(), 0);
}

TEST(MatchFourInfoTest, MatchesAddressByPrefix) {
  const NormalizedFourInfo candidate = Normalized(Yamada());  // …大手通1-2-3
  for (const std::string query :
       {"新潟県長岡市大手通1", "新潟県長岡市大手通1丁目", "新潟県長岡市大手通一丁目",
        "新潟県長岡市", "新潟県長岡市大手通1-2-3", "新潟県 長岡市 大手通 １丁目２番"}) {
    FourInfo q;
    q.address = query;
    EXPECT_TRUE(MatchFourInfo(Normalized(q), candidate).address) << query;
  }
}

TEST(MatchFourInfoTest, DoesNotMatchAddressPrefixInsideANumber) {
  FourInfo c = Yamada();
  c.address = "新潟県長岡市大手通12-1";
  FourInfo q;
  q.address = "新潟県長岡市大手通1";
  EXPECT_FALSE(MatchFourInfo(Normalized(q), Normalized(c)).address);
  q.address = "新潟県長岡市大手通1-2-3-4";  // longer than the candidate
  EXPECT_FALSE(MatchFourInfo(Normalized(q), Normalized(Yamada())).address);
}

TEST(MatchFourInfoTest, ComparesNotApplicableSexLikeAnyValue) {
  NormalizedFourInfo q;
  q.sex = Sex::kNotApplicable;
  NormalizedFourInfo c;
  c.sex = Sex::kNotApplicable;
  EXPECT_TRUE(MatchFourInfo(q, c).sex);
  c.sex = Sex::kMale;
  EXPECT_FALSE(MatchFourInfo(q, c).sex);
}

}  // namespace
}  // namespace renkei::addressing
