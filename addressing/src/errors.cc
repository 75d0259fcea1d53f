#include "addressing/errors.h"

#include <string>

namespace renkei::addressing {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "addressing"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::kInvalidInput:
        return "invalid input";
      case Errc::kUnknownBusinessSystem:
        return "unknown business system";
      case Errc::kConflict:
        return "conflicting registration";
      case Errc::kDuplicateLink:
        return "宛名番号 already linked";
      case Errc::kNotFound:
        return "not found";
      case Errc::kBadCsv:
        return "malformed CSV";
      case Errc::kStorage:
        return "storage failure";
    }
    return "unknown addressing error";
  }
};

}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) { return {static_cast<int>(e), ErrorCategory()}; }

}  // namespace renkei::addressing
