// Identifiers and codes of the information-linkage network: validation and generation.
//
// Every validator takes text as it arrives from a user, a file or a message and says why it is
// not a well-formed value: each rejection is Errc::kInvalidArgument with a message naming the
// rule broken ("個人番号 must be 12 digits, got 11"). Only ASCII digits are accepted; full-width
// digits (０-９) are refused with a message saying so, because normalising them is the caller's
// decision (addressing/normalize), not a validator's. A rejection of a 個人番号 never contains
// the value or any part of it. The other codes are not secret and are quoted in messages,
// except a value that looks like a 個人番号 given to the wrong validator (a run of exactly 12
// digits, ASCII or full-width, or a valid 個人番号 behind leading zeros), which is never quoted.
//
// The check-digit rules (docs/identifiers.md has them with examples):
//
//   個人番号 (12 digits) [public]: with P(n) the n-th of the first 11 digits counted from the
//     right and Q(n) = n+1 for n <= 6, n-5 for 7 <= n <= 11, r = Σ P(n)Q(n) mod 11 and the check
//     digit is 0 if r <= 1, else 11-r. Left to right the weights are 6,5,4,3,2,7,6,5,4,3,2.
//     The weights repeat the cycle 2..7 from the right; that cycle is "the mod-11 rule" below.
//   住民票コード (11 digits) [renkei]: the mod-11 rule over the first 10 digits (weights
//     5,4,3,2,7,6,5,4,3,2).
//   地方公共団体コード (6 digits) [public]: r = (6a+5b+4c+3d+2e) mod 11, check = (11-r) mod 10;
//     the first two digits are the prefecture, 01-47.
//   機関コード (16 digits) [renkei]: the layout is not public, so renkei defines
//       digits 1-2   class: "10" a local public body (地方公共団体);
//                           "20"-"29" national bodies and other institutions on the network
//                           (ministries, J-LIS, ...), numbered by the body registry;
//                           every other class is unassigned and rejected
//       digits 3-15  class 10: the body's 6-digit 地方公共団体コード (which must itself be
//                           valid) followed by a 7-digit organ number, 0000000 for the body's
//                           executive (首長部局) and others reserved for its separate organs
//                           (教育委員会, 病院事業, ...);
//                    class 20-29: 13 digits assigned by the registry
//       digit 16     the mod-11 rule over digits 1-15
//     so 長岡市 152021 is 1015202100000002. A local body's code embeds its 地方公共団体コード
//     so either can be derived from the other without a table.
//   事務コード / 事務手続コード / 特定個人情報名コード [public]: "JM" / "JT" / "TM" followed by
//     14 digits; no check digit is public, so none is checked.
//   団体内統合宛名番号 (15 digits) [renkei]: a 14-digit body whose first digit is 1-9, then the
//     mod-11 rule over those 14 digits (weights 3,2,7,6,5,4,3,2,7,6,5,4,3,2). The leading digit
//     is never 0 because the extended weights end in the 個人番号's eleven: "000" followed by a
//     valid 個人番号 would otherwise be a valid 統合宛名番号, and a zero-stripping importer could
//     turn one into the other. With the leading digit fixed, the length alone tells the two apart.
//
// Thread safety: free functions on values; the Rng passed in is the caller's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsim/result.h"
#include "netsim/rng.h"

namespace renkei::netsim {

inline constexpr int kMyNumberLength = 12;
inline constexpr int kJuminhyoCodeLength = 11;
inline constexpr int kLgCodeLength = 6;
inline constexpr int kInstitutionCodeLength = 16;
inline constexpr int kCodeLength = 16;  // JM / JT / TM codes
inline constexpr int kIntegratedNumberLength = 15;

// Bodies (the digits before the check digit) are below these bounds.
inline constexpr uint64_t kMyNumberBodies = 100'000'000'000ULL;              // 10^11
inline constexpr uint64_t kJuminhyoCodeBodies = 10'000'000'000ULL;           // 10^10
inline constexpr uint64_t kIntegratedNumberMinBody = 10'000'000'000'000ULL;  // 10^13
inline constexpr uint64_t kIntegratedNumberMaxBody = 99'999'999'999'999ULL;  // 10^14 - 1

// ---- 個人番号 (My Number) ----

// OK when `value` is 12 ASCII digits whose last is the check digit of the first 11.
Status ValidateMyNumber(std::string_view value);
// The check digit (0-9) of the first 11 digits of a 個人番号; an error unless `first_11` is
// exactly 11 ASCII digits.
Result<int> MyNumberCheckDigit(std::string_view first_11);
// The 個人番号 whose first 11 digits are `body` zero-padded; body < kMyNumberBodies, else abort.
std::string MakeMyNumber(uint64_t body);
// A uniformly random valid 個人番号. Draws exactly one Uniform() from `rng`.
std::string GenerateMyNumber(Rng& rng);

// ---- 住民票コード (resident-record code) ----

Status ValidateJuminhyoCode(std::string_view value);
Result<int> JuminhyoCodeCheckDigit(std::string_view first_10);
// body < kJuminhyoCodeBodies, else abort.
std::string MakeJuminhyoCode(uint64_t body);
std::string GenerateJuminhyoCode(Rng& rng);

// ---- 地方公共団体コード (local public body code) ----

Status ValidateLgCode(std::string_view value);
Result<int> LgCodeCheckDigit(std::string_view first_5);
// The prefecture number (1-47) of a code that ValidateLgCode accepted.
int LgCodePrefecture(std::string_view valid_lgcode);

// ---- 機関コード (institution code) ----

Status ValidateInstitutionCode(std::string_view value);
// The institution code of a local body's executive ("10" + lgcode + "0000000" + check). The
// argument must be a valid 地方公共団体コード; anything else aborts, so callers validate first.
std::string InstitutionCodeForLgCode(std::string_view lgcode);
// The 地方公共団体コード inside a valid class-10 institution code; an error for national ones.
Result<std::string> LgCodeOfInstitution(std::string_view institution_code);

// ---- 事務コード (JM), 事務手続コード (JT), 特定個人情報名コード (TM) ----

enum class CodeKind {
  kAny,        // any of the three
  kBusiness,   // JM 事務
  kProcedure,  // JT 事務手続
  kDataItem,   // TM 特定個人情報名
};

// OK when `value` is the two-letter prefix of `expected` (any of the three for kAny) followed
// by 14 ASCII digits. Prefixes are upper case only.
Status ValidateCode(std::string_view value, CodeKind expected = CodeKind::kAny);
// "JM", "JT", "TM", or "JM/JT/TM" for kAny.
std::string_view CodeKindPrefix(CodeKind kind);

// ---- 団体内統合宛名番号 (integrated addressing number) ----

Status ValidateIntegratedNumber(std::string_view value);
// The 15-digit number for a 14-digit body in [kIntegratedNumberMinBody,
// kIntegratedNumberMaxBody]; a body outside that range is a caller bug and aborts.
std::string MakeIntegratedNumber(uint64_t body);

}  // namespace renkei::netsim
