// The netsim module's error codes: the failures of the shared vocabulary (crypto, storage,
// identifiers, parsing, staff). Other modules define their own enum the same way.
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
  // Staff (staff.h), shared by the addressing server and the intermediate server.
  kUnknownStaff,      // no staff account with that id
  kAccountLocked,     // too many failed logins, or locked by an administrator
  kPasswordExpired,   // the password is past its expiry; it must be changed
  kWrongPassword,     // the password (or the old one, on a change) does not match
  kWeakPassword,      // a new password breaks the password policy
  kPermissionDenied,  // the caller's roles do not allow the operation
  kSessionInvalid,    // unknown, logged-out, locked-out or idle-expired session
};

const std::error_category& ErrorCategory();
std::error_code make_error_code(Errc e);

}  // namespace renkei::netsim

template <>
struct std::is_error_code_enum<renkei::netsim::Errc> : std::true_type {};
