#include "netsim/identifiers.h"

#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "netsim/errors.h"

namespace renkei::netsim {
namespace {

constexpr std::string_view kMyNumberName = "個人番号";
constexpr std::string_view kJuminhyoName = "住民票コード";
constexpr std::string_view kLgCodeName = "地方公共団体コード";
constexpr std::string_view kInstitutionName = "機関コード";
constexpr std::string_view kIntegratedName = "統合宛名番号";

constexpr std::string_view kLocalBodyClass = "10";
constexpr std::string_view kExecutiveOrgan = "0000000";

[[noreturn]] void Die(std::string_view what) {
  std::cerr << "renkei: broken invariant: " << what << "\n";
  std::abort();
}

Error Invalid(std::string message) { return MakeError(Errc::kInvalidArgument, std::move(message)); }

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// Length in bytes (1 or 3) of the ASCII or full-width digit at `i`, 0 if there is none; sets
// `digit` to its ASCII form.
size_t DigitAt(std::string_view v, size_t i, char& digit) {
  if (IsAsciiDigit(v[i])) {
    digit = v[i];
    return 1;
  }
  if (i + 2 < v.size() && static_cast<unsigned char>(v[i]) == 0xEF &&
      static_cast<unsigned char>(v[i + 1]) == 0xBC) {
    const auto third = static_cast<unsigned char>(v[i + 2]);
    if (third >= 0x90 && third <= 0x99) {
      digit = static_cast<char>('0' + (third - 0x90));
      return 3;
    }
  }
  return 0;
}

// The mod-11 rule of 個人番号, generalised: weights cycle 2..7 from the right, check is 0 when
// the remainder is 0 or 1, else 11 - remainder.
int Mod11CheckDigit(std::string_view digits) {
  int sum = 0;
  int n = 1;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++n) {
    sum += (*it - '0') * ((n - 1) % 6 + 2);
  }
  const int r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

// True when `v` holds what could be a 個人番号 handed to the wrong validator: a run of exactly
// 12 digits (ASCII or full-width; valid or not, since a mistyped number is still nearly the
// person's), or a valid 個人番号 behind leading zeros.
bool LooksLikeMyNumber(std::string_view v) {
  size_t i = 0;
  std::string run;
  while (i < v.size()) {
    run.clear();
    char digit = 0;
    for (size_t len; i < v.size() && (len = DigitAt(v, i, digit)) != 0; i += len) {
      run.push_back(digit);
    }
    if (run.size() == 12) return true;
    if (run.size() > 12) {
      const std::string_view padding = std::string_view(run).substr(0, run.size() - 12);
      const std::string_view tail = std::string_view(run).substr(run.size() - 12);
      if (padding.find_first_not_of('0') == std::string_view::npos &&
          Mod11CheckDigit(tail.substr(0, 11)) == tail[11] - '0') {
        return true;
      }
    }
    if (run.empty()) ++i;
  }
  return false;
}

// " ('value')" for codes that may be quoted. Nothing for a 個人番号, nor for any other value that
// looks like one: a person's number typed into the wrong field must not leak either.
std::string Quote(std::string_view value, bool secret) {
  if (secret || LooksLikeMyNumber(value)) return {};
  return " ('" + std::string(value) + "')";
}

// U+FF10..U+FF19 in UTF-8 are EF BC 90..99.
bool HasFullWidthDigit(std::string_view v) {
  for (size_t i = 0; i + 2 < v.size(); ++i) {
    if (static_cast<unsigned char>(v[i]) == 0xEF && static_cast<unsigned char>(v[i + 1]) == 0xBC) {
      const auto third = static_cast<unsigned char>(v[i + 2]);
      if (third >= 0x90 && third <= 0x99) return true;
    }
  }
  return false;
}

// 1-based character (not byte) position of byte `index`, so the message matches what a person
// counts even when the text holds multi-byte characters.
size_t CharPosition(std::string_view v, size_t index) {
  size_t pos = 0;
  for (size_t i = 0; i <= index && i < v.size(); ++i) {
    if ((static_cast<unsigned char>(v[i]) & 0xC0) != 0x80) ++pos;
  }
  return pos;
}

// Characters first, then length: a full-width value has three bytes per digit, and "must be 12
// digits, got 36" would send the user hunting for the wrong problem.
Status CheckDigits(std::string_view v, std::string_view name, size_t length, bool secret) {
  if (HasFullWidthDigit(v)) {
    return Invalid(std::string(name) +
                   " accepts only ASCII digits 0-9; full-width digits (０-９) are not accepted" +
                   Quote(v, secret));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!IsAsciiDigit(v[i])) {
      return Invalid(std::string(name) + " accepts only ASCII digits 0-9; character " +
                     std::to_string(CharPosition(v, i)) + " is not one" + Quote(v, secret));
    }
  }
  if (v.size() != length) {
    return Invalid(std::string(name) + " must be " + std::to_string(length) + " digits, got " +
                   std::to_string(v.size()) + Quote(v, secret));
  }
  return OkStatus();
}

int LgCheckDigit(std::string_view first_5) {
  int sum = 0;
  int weight = 6;
  for (const char c : first_5) sum += (c - '0') * weight--;
  return (11 - sum % 11) % 10;
}

Status CheckMod11(std::string_view v, std::string_view name, bool secret) {
  const int expected = Mod11CheckDigit(v.substr(0, v.size() - 1));
  const int actual = v.back() - '0';
  if (actual != expected) {
    return Invalid(std::string(name) + " check digit is " + std::to_string(actual) + ", expected " +
                   std::to_string(expected) + Quote(v, secret));
  }
  return OkStatus();
}

Result<int> CheckDigitOf(std::string_view body, std::string_view name, size_t length, bool secret) {
  auto status = CheckDigits(body, std::string(name) + " body", length, secret);
  if (!status.ok()) return status.error();
  return Mod11CheckDigit(body);
}

// `body` zero-padded to `width` digits followed by its mod-11 check digit.
std::string WithMod11(uint64_t body, int width) {
  std::string s(static_cast<size_t>(width) + 1, '0');
  for (int i = width - 1; i >= 0; --i) {
    s[static_cast<size_t>(i)] = static_cast<char>('0' + body % 10);
    body /= 10;
  }
  s.back() = static_cast<char>('0' + Mod11CheckDigit(std::string_view(s).substr(0, width)));
  return s;
}

std::string_view CodeKindName(CodeKind kind) {
  switch (kind) {
    case CodeKind::kBusiness:
      return "事務コード (JM)";
    case CodeKind::kProcedure:
      return "事務手続コード (JT)";
    case CodeKind::kDataItem:
      return "特定個人情報名コード (TM)";
    case CodeKind::kAny:
      break;
  }
  return "事務/事務手続/特定個人情報名コード (JM/JT/TM)";
}

}  // namespace

// ---- 個人番号 ----

Status ValidateMyNumber(std::string_view value) {
  RENKEI_CHECK_OK(CheckDigits(value, kMyNumberName, kMyNumberLength, /*secret=*/true));
  return CheckMod11(value, kMyNumberName, /*secret=*/true);
}

Result<int> MyNumberCheckDigit(std::string_view first_11) {
  return CheckDigitOf(first_11, kMyNumberName, kMyNumberLength - 1, /*secret=*/true);
}

std::string MakeMyNumber(uint64_t body) {
  if (body >= kMyNumberBodies) Die("個人番号 body out of range");
  return WithMod11(body, kMyNumberLength - 1);
}

std::string GenerateMyNumber(Rng& rng) { return MakeMyNumber(rng.Uniform(kMyNumberBodies)); }

// ---- 住民票コード ----

Status ValidateJuminhyoCode(std::string_view value) {
  RENKEI_CHECK_OK(CheckDigits(value, kJuminhyoName, kJuminhyoCodeLength, false));
  return CheckMod11(value, kJuminhyoName, false);
}

Result<int> JuminhyoCodeCheckDigit(std::string_view first_10) {
  return CheckDigitOf(first_10, kJuminhyoName, kJuminhyoCodeLength - 1, false);
}

std::string MakeJuminhyoCode(uint64_t body) {
  if (body >= kJuminhyoCodeBodies) Die("住民票コード body out of range");
  return WithMod11(body, kJuminhyoCodeLength - 1);
}

std::string GenerateJuminhyoCode(Rng& rng) {
  return MakeJuminhyoCode(rng.Uniform(kJuminhyoCodeBodies));
}

// ---- 地方公共団体コード ----

Status ValidateLgCode(std::string_view value) {
  RENKEI_CHECK_OK(CheckDigits(value, kLgCodeName, kLgCodeLength, false));
  const int prefecture = (value[0] - '0') * 10 + (value[1] - '0');
  if (prefecture < 1 || prefecture > 47) {
    return Invalid(std::string(kLgCodeName) + " prefecture " + std::string(value.substr(0, 2)) +
                   " does not exist (01-47)" + Quote(value, false));
  }
  const int expected = LgCheckDigit(value.substr(0, 5));
  const int actual = value[5] - '0';
  if (actual != expected) {
    return Invalid(std::string(kLgCodeName) + " check digit is " + std::to_string(actual) +
                   ", expected " + std::to_string(expected) + Quote(value, false));
  }
  return OkStatus();
}

Result<int> LgCodeCheckDigit(std::string_view first_5) {
  auto status = CheckDigits(first_5, std::string(kLgCodeName) + " body", kLgCodeLength - 1, false);
  if (!status.ok()) return status.error();
  return LgCheckDigit(first_5);
}

int LgCodePrefecture(std::string_view valid_lgcode) {
  if (!ValidateLgCode(valid_lgcode).ok()) Die("LgCodePrefecture on an invalid code");
  return (valid_lgcode[0] - '0') * 10 + (valid_lgcode[1] - '0');
}

// ---- 機関コード ----

Status ValidateInstitutionCode(std::string_view value) {
  RENKEI_CHECK_OK(CheckDigits(value, kInstitutionName, kInstitutionCodeLength, false));
  const std::string_view cls = value.substr(0, 2);
  const bool local = cls == kLocalBodyClass;
  if (!local && cls[0] != '2') {
    return Invalid(std::string(kInstitutionName) + " class " + std::string(cls) +
                   " is not assigned (10 = local public body, 20-29 = national body)" +
                   Quote(value, false));
  }
  RENKEI_CHECK_OK(CheckMod11(value, kInstitutionName, false));
  if (local) {
    const std::string_view lgcode = value.substr(2, kLgCodeLength);
    auto status = ValidateLgCode(lgcode);
    if (!status.ok()) {
      return Invalid(std::string(kInstitutionName) + " of a local body must embed a valid " +
                     std::string(kLgCodeName) + " in digits 3-8: " + status.error().message +
                     Quote(value, false));
    }
  }
  return OkStatus();
}

std::string InstitutionCodeForLgCode(std::string_view lgcode) {
  if (!ValidateLgCode(lgcode).ok())
    Die("InstitutionCodeForLgCode on an invalid 地方公共団体コード");
  std::string s;
  s.reserve(kInstitutionCodeLength);
  s.append(kLocalBodyClass).append(lgcode).append(kExecutiveOrgan);
  s.push_back(static_cast<char>('0' + Mod11CheckDigit(s)));
  return s;
}

Result<std::string> LgCodeOfInstitution(std::string_view institution_code) {
  RENKEI_CHECK_OK(ValidateInstitutionCode(institution_code));
  if (institution_code.substr(0, 2) != kLocalBodyClass) {
    return Invalid(std::string(kInstitutionName) + " class " +
                   std::string(institution_code.substr(0, 2)) +
                   " is a national body's and embeds no " + std::string(kLgCodeName) +
                   Quote(institution_code, false));
  }
  return std::string(institution_code.substr(2, kLgCodeLength));
}

// ---- JM / JT / TM ----

std::string_view CodeKindPrefix(CodeKind kind) {
  switch (kind) {
    case CodeKind::kBusiness:
      return "JM";
    case CodeKind::kProcedure:
      return "JT";
    case CodeKind::kDataItem:
      return "TM";
    case CodeKind::kAny:
      break;
  }
  return "JM/JT/TM";
}

Status ValidateCode(std::string_view value, CodeKind expected) {
  const std::string name(CodeKindName(expected));
  if (HasFullWidthDigit(value)) {
    return Invalid(name + " accepts only ASCII letters and digits; full-width digits (０-９) are " +
                   "not accepted" + Quote(value, false));
  }
  if (value.size() != static_cast<size_t>(kCodeLength)) {
    return Invalid(name + " must be 16 characters (2 letters + 14 digits), got " +
                   std::to_string(value.size()) + Quote(value, false));
  }
  const std::string_view prefix = value.substr(0, 2);
  CodeKind actual = CodeKind::kAny;
  for (const CodeKind k : {CodeKind::kBusiness, CodeKind::kProcedure, CodeKind::kDataItem}) {
    if (prefix == CodeKindPrefix(k)) actual = k;
  }
  if (actual == CodeKind::kAny) {
    return Invalid(name + " must start with upper-case JM, JT or TM, got '" + std::string(prefix) +
                   "'" + Quote(value, false));
  }
  if (expected != CodeKind::kAny && actual != expected) {
    return Invalid("expected a " + name + ", got a " + std::string(CodeKindName(actual)) +
                   Quote(value, false));
  }
  for (size_t i = 2; i < value.size(); ++i) {
    if (!IsAsciiDigit(value[i])) {
      return Invalid(name + " must have 14 ASCII digits after the prefix; character " +
                     std::to_string(i + 1) + " is not one" + Quote(value, false));
    }
  }
  return OkStatus();
}

// ---- 統合宛名番号 ----

Status ValidateIntegratedNumber(std::string_view value) {
  RENKEI_CHECK_OK(CheckDigits(value, kIntegratedName, kIntegratedNumberLength, false));
  if (value[0] == '0') {
    return Invalid(std::string(kIntegratedName) +
                   " must not start with 0, so that it can never be a zero-padded 個人番号" +
                   Quote(value, false));
  }
  return CheckMod11(value, kIntegratedName, false);
}

std::string MakeIntegratedNumber(uint64_t body) {
  if (body < kIntegratedNumberMinBody || body > kIntegratedNumberMaxBody) {
    Die("統合宛名番号 body must have 14 digits and not start with 0");
  }
  return WithMod11(body, kIntegratedNumberLength - 1);
}

}  // namespace renkei::netsim
