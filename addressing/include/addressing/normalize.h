// Normalisation of the basic four items for 4-information matching (4情報で突合).
//
// The integrated addressing server searches and matches persons by name, name kana, sex, birth
// date and address. The same person is typed by different staff into different systems, so the
// text differs in width, spacing, kanji variants and date/address notation. Each function here
// maps one item to a canonical form; two records match on an item when their canonical forms are
// equal (the address also matches by prefix, see MatchFourInfo). The canonical forms are for
// comparison, not for display.
//
// Who calls it: search, registration and bulk import (1,000,000 residents), so NormalizeName and
// NormalizeKana allocate nothing but the result string and do no table scans (a sorted constexpr
// table, binary search). NormalizeAddress additionally builds one code-point buffer.
//
// Thread safety: pure functions over constant tables; callable from any thread.
//
// Errors: every function validates UTF-8 strictly (see IsValidUtf8). Invalid input yields
// netsim::Errc::kParseError with "invalid UTF-8 at byte offset N" in the message, N being the
// offset in the caller's input of the first byte of the bad sequence. (These are netsim codes
// because this file was written before addressing/errors.h; callers such as bulk import wrap
// them in their own code.) Messages name the item and the rule and never echo a name or an
// address; a birth-date message may quote the offending date parts.
//
// ## Common rules (NormalizeName; the other functions start from these)
//  1. Spaces are removed: ASCII space, tab, LF, VT, FF, CR, U+00A0 and the ideographic space
//     U+3000, wherever they occur (between family and given name too).
//  2. Variation selectors (U+FE00–FE0F and the ideographic variation selectors U+E0100–E01EF)
//     are removed: they select a glyph of the same character.
//  3. Full-width ASCII U+FF01–FF5E becomes ASCII U+0021–007E (as NFKC does).
//  4. Half-width katakana and punctuation U+FF61–FF9D become their full-width forms. A voicing
//     mark — half-width ﾞ/ﾟ (U+FF9E/FF9F), combining U+3099/309A or spacing ゛/゜ (U+309B/309C) —
//     is combined with the kana before it when a precomposed form exists (ｶﾞ → ガ, ﾊﾟ → パ,
//     ｳﾞ → ヴ, ﾜﾞ → ヷ, か゛ → が); otherwise it is kept as the spacing mark ゛ or ゜.
//  5. ASCII letters are upper-cased (after rule 3, so ｙａｍａｄａ → YAMADA).
//  6. Variant kanji fold to one form. The rule: fold only 異体字 of the same 字種 — forms that
//     are the same character written differently — never two characters that merely look alike
//     or that the 新字体 reform merged although they were distinct (so 龍/竜, 斎/斉, 芸/藝,
//     台/臺, 余/餘, 予/豫, 弁/辨/辯, 証/證, 号/號, 欠/缺, 糸/絲, 虫/蟲, 党/黨, 豊/豐, 万/萬 stay
//     apart, and so do pairs where both forms are in common use as distinct names, such as
//     桧/檜 and 渕/淵). The table (src/normalize.cc) holds:
//       - 旧字体 → 新字体 of the 常用漢字表 (澤→沢, 濱→浜, 廣→広, 國→国, 櫻→桜, 惠→恵, 眞→真,
//         與→与, 藏→蔵, 圓→円, 壽→寿, 實→実, 榮→栄, 淺→浅, 德→徳, 齋→斎, 齊→斉, 邊→辺 …);
//       - 異体字 met in names and addresses: 髙→高, 﨑/嵜→崎, 邉→辺, 濵→浜, 嶋/嶌→島, 冨→富,
//         槇→槙, 𠮷→吉, 舘→館, 栁→柳, 峯→峰;
//       - the CJK compatibility ideographs U+F900–FAFF that have a canonical (NFC) mapping.
//     FoldVariantKanji exposes the table.
//
// ## NormalizeKana (氏名カナ): the common rules, plus
//  7. Hiragana become katakana (ぁ–ゖ → ァ–ヶ, ゝゞ → ヽヾ, ゔ → ヴ); ヴ stays ヴ, it is not
//     folded to ブ.
//  8. Small kana stay small (ャ ≠ ヤ, ッ ≠ ツ): registries record them, so a difference is real.
//  9. Long-vowel look-alikes become ー: ｰ, ASCII '-', full-width －, ‐ U+2010 … ― U+2015,
//     − U+2212, ─ U+2500, ﹣ U+FE63.
//
// ## NormalizeAddress (住所): the common rules, plus (one left-to-right pass)
//  10. Kanji numerals (〇一二三四五六七八九十百千, positional like 二〇 or with 十百千 like 二十三)
//      become ASCII digits when the run is directly followed by 丁目 or 番地 (一丁目 → 1丁目,
//      二十三丁目 → 23丁目, which rule 11 then makes 1 and 23), or when it continues a block number
//      (directly after a label of rule 11) and is followed by a label, the end, or a non-kanji
//      character (一丁目二番三号). Other kanji numerals are place names (一番町, 十日町, 三田) and
//      stay.
//  11. Block labels after a number — 丁目, 番地, 番, 号 — become '-' when another number follows
//      (optionally after の: 2番地の3) and are dropped otherwise: 1丁目2番3号, 1丁目2番地3,
//      1丁目2-3 → 1-2-3; 10番地 → 10; 1丁目 → 1. 番 and 号 are not labels when followed by
//      町 室 棟 館 線 街 (番町 is a place name, 101号室 and 3号棟 are building parts).
//  12. A run of spaces between two digits becomes '-' (1-2-3 101号室 → 1-2-3-101号室); other
//      spaces go as in rule 1. Hyphen look-alikes ‐ U+2010 … ― U+2015, − U+2212, ─ U+2500 and
//      ﹣ U+FE63 (and full-width －, via rule 3) become '-'; ー and の become '-' only between
//      two digits (1ー2, 2の3).
//  13. ケ ヶ ヵ が ガ between two kanji become ケ (霞ヶ関 = 霞ケ関 = 霞が関 → 霞ケ関).
//  Anything else — building names, room numbers — is kept after the common rules.
//
// ## NormalizeBirthDate (生年月日) → "YYYY-MM-DD"
//  Accepted after the common rules (so full-width digits and spaces are fine):
//    YYYY-MM-DD, YYYY/M/D, YYYY.M.D (one separator kind throughout), YYYYMMDD, YYYY年M月D日;
//    an era followed by the era year (1–2 digits or 元) and then 年M月D日 or a separator
//    form: 昭和55年4月1日, S55.4.1, H2/1/8. Eras are written 明治 大正 昭和 平成 令和,
//    as the letters M T S H R (any case),
//    or as the one-character ligatures ㍾ ㍽ ㍼ ㍻ ㋿.
//  Western years are 0001–9999 (no check against today: these functions read no clock).
//  Rejected with netsim::Errc::kInvalidArgument: a month or day that does not exist (2023-02-29),
//  era year 0, and an era date outside its era. Eras (inclusive, Gregorian):
//    明治 1868-01-25 – 1912-07-29 (the start is 明治元年1月1日 of the old calendar; the years
//                                   are counted as 1867 + N, the convention of Japanese systems)
//    大正 1912-07-30 – 1926-12-24,  昭和 1926-12-25 – 1989-01-07,
//    平成 1989-01-08 – 2019-04-30,  令和 2019-05-01 – open.
//  So 平成31年5月1日, 平成32年 and 昭和64年1月8日 are rejected rather than carried over into the
//  next era. Malformed text is netsim::Errc::kParseError.
#pragma once

#include <string>
#include <string_view>

#include "addressing/person.h"
#include "netsim/result.h"

namespace renkei::addressing {

// True when `text` is well-formed UTF-8: no overlong forms, no surrogates (U+D800–DFFF), nothing
// above U+10FFFF, no stray continuation bytes, no truncated sequences. The empty string is valid.
bool IsValidUtf8(std::string_view text);

// The folded form of one code point under rule 6, or `cp` itself. Folding is idempotent.
char32_t FoldVariantKanji(char32_t cp);

// 氏名: rules 1–6. Empty or all-space input gives "".
Result<std::string> NormalizeName(std::string_view name);

// 氏名カナ: rules 1–9.
Result<std::string> NormalizeKana(std::string_view kana);

// 住所: rules 1–6 and 10–13.
Result<std::string> NormalizeAddress(std::string_view address);

// 生年月日 in any accepted form → "YYYY-MM-DD". Empty or all-space input is kParseError.
Result<std::string> NormalizeBirthDate(std::string_view date);

// The four items in canonical form; made by NormalizeFourInfo. Absent items are "" (and
// Sex::kNotKnown), as in FourInfo.
struct NormalizedFourInfo {
  std::string name;
  std::string name_kana;
  Sex sex = Sex::kNotKnown;
  std::string birth_date;  // YYYY-MM-DD or ""
  std::string address;
};

// Normalises every present item; an item that is empty or only spaces stays absent. The first
// failing item's error is returned (its message names the item).
Result<NormalizedFourInfo> NormalizeFourInfo(const FourInfo& info);

// Which items of a candidate agree with a query.
struct MatchResult {
  bool name = false;
  bool kana = false;
  bool sex = false;
  bool birth_date = false;
  bool address = false;

  // Number of agreeing items, 0–5 (each item weighs the same).
  int score() const;
};

// Compares a candidate with a query, item by item. An item absent from the query ("" or
// Sex::kNotKnown) is not compared and reports false. Name, kana, sex and birth date match when
// equal. The address matches when the candidate's address starts with the query's, provided the
// match does not end inside a number: "新潟県長岡市大手通1" matches "新潟県長岡市大手通1-2-3" and
// "…大手通1" itself, but not "…大手通12-1".
MatchResult MatchFourInfo(const NormalizedFourInfo& query, const NormalizedFourInfo& candidate);

}  // namespace renkei::addressing
