// The middleware module's error codes (the intermediate server). Messages name the field, the
// rule and, for files, the line; they never carry a 個人番号 (the intermediate server never
// holds one).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "netsim/result.h"

namespace renkei::middleware {

enum class Errc {
  kInvalidInput = 1,  // a field broke a rule (bad code, inverted dates, bad line)
  kDuplicate,         // 「「レコード識別番号」が既に存在しています。」
  kNotFound,
  kPermissionDenied,  // a staff member without the role
  kVerifyFailed,      // a log chain, seal or signature does not verify
  kStorage,           // SQLite or the file system failed
  kCrypto,            // a key could not wrap, unwrap, seal or open
};

const std::error_category& ErrorCategory();
std::error_code make_error_code(Errc e);

}  // namespace renkei::middleware

template <>
struct std::is_error_code_enum<renkei::middleware::Errc> : std::true_type {};

namespace renkei::middleware {

// Shorthands for the module's sources: a lower layer's failure re-labelled with this module's
// code, so callers see one vocabulary.
inline Error Invalid(std::string message) {
  return MakeError(Errc::kInvalidInput, std::move(message));
}
inline Error Storage(const Error& e) { return MakeError(Errc::kStorage, e.message); }
template <typename T>
Result<T> StorageResult(Result<T> r) {
  if (r.ok()) return r;
  return Storage(r.error());
}
template <typename T>
Result<T> CryptoResult(Result<T> r, std::string_view what) {
  if (r.ok()) return r;
  return MakeError(Errc::kCrypto, std::string(what) + ": " + r.error().message);
}

}  // namespace renkei::middleware
