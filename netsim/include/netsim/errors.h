// The netsim module's error codes: the failures of the shared vocabulary (crypto, storage,
// identifiers, parsing). Other modules define their own enum the same way.
#pragma once

#include <system_error>

namespace renkei::netsim {

enum class Errc {
  kInvalidArgument = 1,  // a value broke a stated rule (check digit, length, range)
  kParseError,           // malformed text (CSV, PEM, date)
  kCryptoError,          // OpenSSL refused an operation
  kVerifyFailed,         // a signature, tag or MAC did not verify
  kStorageError,         // SQLite failed
  kBusy,                 // SQLite stayed busy past the timeout
  kConstraint,           // SQLite constraint (unique, foreign key) violated
  kNotFound,
  kIoError,
};

const std::error_category& ErrorCategory();
std::error_code make_error_code(Errc e);

}  // namespace renkei::netsim

template <>
struct std::is_error_code_enum<renkei::netsim::Errc> : std::true_type {};
