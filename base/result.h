// Operating errors as values: a Result<T> holds either a value or an Error with a message meant
// for the operator ("source r1: cannot bind 0.0.0.0:514: Permission denied"). Any thread.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace sluice {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    SLUICE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(state_);
  }
  T&& value() && {
    SLUICE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(std::move(state_));
  }
  const T& value() const& {
    SLUICE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(state_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    SLUICE_ASSERT(!ok(), "Result::error() on a value");
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// For operations that produce nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error.message)), failed_(true) {}  // NOLINT: implicit

  static Status success() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool failed_ = false;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace sluice
