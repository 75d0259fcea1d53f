// Result<T>: the value of an operation that can fail in an expected way.
//
// Expected failures (bad input, a missing row, a wrong password) are values, not exceptions:
// each module defines one `enum class Errc` plugged into std::error_code (see errors.h for the
// pattern), and an Error pairs that code with a message for people. The message names the
// problem (field, line, rule) and never carries a 個人番号.
//
// Thread safety: plain value types; no shared state.
#pragma once

#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace renkei {

struct Error {
  std::error_code code;
  std::string message;

  // "category: message" for people; the code's own text when no message was given.
  std::string Describe() const { return message.empty() ? code.message() : message; }
};

template <typename E>
requires std::is_error_code_enum_v<E> Error MakeError(E e, std::string message) {
  return Error{make_error_code(e), std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Accessing the wrong alternative is a broken invariant in the caller: abort loudly.
  T& value() & {
    Check(true);
    return std::get<0>(v_);
  }
  const T& value() const& {
    Check(true);
    return std::get<0>(v_);
  }
  T&& value() && {
    Check(true);
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    Check(false);
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  void Check(bool want_value) const {
    if (ok() != want_value) {
      std::cerr << "renkei: Result accessed as " << (want_value ? "value" : "error")
                << " but holds the other" << (ok() ? "" : ": " + std::get<1>(v_).message) << "\n";
      std::abort();
    }
  }
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;

inline Status OkStatus() { return Ok{}; }

}  // namespace renkei

// Propagate an error from a Result-returning expression; binds the value otherwise.
#define RENKEI_CONCAT_INNER(a, b) a##b
#define RENKEI_CONCAT(a, b) RENKEI_CONCAT_INNER(a, b)
#define RENKEI_TRY_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return tmp.error();    \
  lhs = std::move(tmp).value()
#define RENKEI_TRY(lhs, expr) RENKEI_TRY_IMPL(RENKEI_CONCAT(renkei_try_, __LINE__), lhs, expr)
#define RENKEI_CHECK_OK(expr)                                \
  do {                                                       \
    auto renkei_status_ = (expr);                            \
    if (!renkei_status_.ok()) return renkei_status_.error(); \
  } while (0)
