#include "middleware/errors.h"

#include <string>

namespace renkei::middleware {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "middleware"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::kInvalidInput:
        return "invalid input";
      case Errc::kDuplicate:
        return "「レコード識別番号」が既に存在しています。";
      case Errc::kNotFound:
        return "not found";
      case Errc::kPermissionDenied:
        return "permission denied";
      case Errc::kVerifyFailed:
        return "verification failed";
      case Errc::kStorage:
        return "storage failure";
      case Errc::kCrypto:
        return "cryptographic failure";
    }
    return "unknown middleware error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

}  // namespace renkei::middleware
