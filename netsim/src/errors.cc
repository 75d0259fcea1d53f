#include "netsim/errors.h"

#include <string>

namespace renkei::netsim {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "netsim"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kParseError:
        return "parse error";
      case Errc::kCryptoError:
        return "cryptographic operation failed";
      case Errc::kVerifyFailed:
        return "verification failed";
      case Errc::kStorageError:
        return "storage error";
      case Errc::kBusy:
        return "storage busy";
      case Errc::kConstraint:
        return "storage constraint violated";
      case Errc::kNotFound:
        return "not found";
      case Errc::kIoError:
        return "I/O error";
      case Errc::kUnknownStaff:
        return "unknown staff member";
      case Errc::kAccountLocked:
        return "account locked";
      case Errc::kPasswordExpired:
        return "password expired";
      case Errc::kWrongPassword:
        return "wrong password";
      case Errc::kWeakPassword:
        return "password breaks the policy";
      case Errc::kPermissionDenied:
        return "permission denied";
      case Errc::kSessionInvalid:
        return "invalid session";
    }
    return "unknown netsim error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

}  // namespace renkei::netsim
