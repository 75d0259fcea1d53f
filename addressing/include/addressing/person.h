// The person vocabulary of the integrated addressing server (統合宛名システム): the sex code and
// the basic four items (基本4情報: name, sex, birth date, address) as they arrive from business
// systems and staff, before normalisation.
//
// FourInfo holds the raw text; addressing/normalize.h turns it into a NormalizedFourInfo that can
// be compared. SexLabel and ParseSex are defined in src/normalize.cc (this header has no .cc of its
// own; the module's source list is owned by the lead).
//
// Thread safety: plain value types and pure functions; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsim/result.h"

namespace renkei::addressing {

// Sex coded as in ISO/IEC 5218. kNotKnown also means "absent" in a search query.
enum class Sex : std::uint8_t {
  kNotKnown = 0,
  kMale = 1,
  kFemale = 2,
  kNotApplicable = 9,
};

// "男", "女", "不明" (kNotKnown) or "適用不能" (kNotApplicable). A value outside the enum is a
// broken invariant in the caller and aborts.
std::string_view SexLabel(Sex sex);

// Parses a sex as typed or exported by business systems. Accepted, after removing spaces and
// folding full-width ASCII (so "Ｍ" and " 1 " are accepted too), with ASCII compared
// case-insensitively:
//   "0" → kNotKnown, "1" → kMale, "2" → kFemale, "9" → kNotApplicable,
//   "男" "男性" "M" "male" → kMale, "女" "女性" "F" "female" → kFemale,
//   "不明" → kNotKnown, "適用不能" → kNotApplicable (SexLabel's own output round-trips).
// Errors: netsim::Errc::kParseError for invalid UTF-8 (message names the byte offset), for empty
// text and for anything else (the message does not echo the text).
Result<Sex> ParseSex(std::string_view text);

// The basic four items as received: free text, not yet normalised. An empty string (or
// Sex::kNotKnown) means the item is absent, which in a search query means "do not compare".
struct FourInfo {
  std::string name;       // 氏名, usually kanji
  std::string name_kana;  // 氏名カナ
  Sex sex = Sex::kNotKnown;
  std::string birth_date;  // any form NormalizeBirthDate accepts
  std::string address;     // 住所
};

}  // namespace renkei::addressing
