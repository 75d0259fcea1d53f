// Internal helpers for netsim's small line-oriented CSV files (institution registry, permit
// list): line reading with numbering, field splitting, and an error collector that reports every
// bad row as "file:line: field: reason".
//
// The files never quote fields (no field may contain a comma), so splitting on ',' is exact.
// Thread safety: plain values; each parse owns its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/errors.h"
#include "netsim/result.h"
#include "netsim/time.h"

namespace renkei::netsim::csv_rows {

struct Line {
  int number = 0;  // 1-based, counting every physical line including comments
  std::string text;
};

// Yields the significant lines of a stream: strips a leading UTF-8 BOM and a trailing '\r',
// skips blank lines and lines whose first character is '#'.
class LineReader {
 public:
  explicit LineReader(std::istream& in) : in_(in) {}
  bool Next(Line& line) {
    std::string text;
    while (std::getline(in_, text)) {
      ++number_;
      if (number_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.empty() || text[0] == '#') continue;
      line.number = number_;
      line.text = std::move(text);
      return true;
    }
    return false;
  }
  int last_line() const { return number_; }

 private:
  std::istream& in_;
  int number_ = 0;
};

inline std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(text.substr(start));
      return fields;
    }
    fields.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
}

// Collects "source:line: field: reason" lines; a file with any of them is refused whole.
class Errors {
 public:
  explicit Errors(std::string_view source) : source_(source) {}
  void Add(int line, std::string_view field, std::string_view reason) {
    ++count_;
    if (lines_.size() >= kMaxListed) return;
    lines_.push_back(source_ + ":" + std::to_string(line) + ": " + std::string(field) + ": " +
                     std::string(reason));
  }
  bool empty() const { return count_ == 0; }
  // Every collected line, newest last; beyond kMaxListed only the count is given, so a file of
  // garbage does not produce a megabyte of message.
  Error ToError() const {
    std::string message;
    for (const auto& l : lines_) {
      if (!message.empty()) message += '\n';
      message += l;
    }
    if (count_ > lines_.size()) {
      message += "\n... and " + std::to_string(count_ - lines_.size()) + " more";
    }
    return MakeError(Errc::kParseError, std::move(message));
  }

 private:
  static constexpr size_t kMaxListed = 50;
  std::string source_;
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

// Reads the next significant line, which must be `header` exactly; returns its line number, or
// nullopt after adding the error (missing, or not that header) to `errors`.
inline std::optional<int> ReadHeader(LineReader& reader, Errors& errors, std::string_view header) {
  Line line;
  if (!reader.Next(line)) {
    errors.Add(std::max(reader.last_line(), 1), "header",
               "missing; expected '" + std::string(header) + "'");
    return std::nullopt;
  }
  if (line.text != header) {
    errors.Add(line.number, "header", "expected '" + std::string(header) + "'");
    return std::nullopt;
  }
  return line.number;
}

// The value of `n` ASCII digits (n <= 19), or nullopt when any is not a digit.
inline std::optional<uint64_t> ParseDigits(std::string_view digits) {
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// "YYYY-MM-DD" as a calendar date; nullopt for any other form or an impossible date.
struct Date {
  int year = 0, month = 0, day = 0;
};
inline std::optional<Date> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const auto y = ParseDigits(text.substr(0, 4));
  const auto m = ParseDigits(text.substr(5, 2));
  const auto d = ParseDigits(text.substr(8, 2));
  if (!y || !m || !d) return std::nullopt;
  Date date;
  date.year = static_cast<int>(*y);
  date.month = static_cast<int>(*m);
  date.day = static_cast<int>(*d);
  if (!IsValidDate(date.year, date.month, date.day)) return std::nullopt;
  return date;
}

// The first and last microsecond of a civil day in JST.
inline SimTime StartOfDay(const Date& d) {
  CivilTime c;
  c.year = d.year;
  c.month = d.month;
  c.day = d.day;
  return FromCivil(c);
}
inline SimTime EndOfDay(const Date& d) {
  return StartOfDay(d) + Duration::Days(1) - Duration::Micros(1);
}

}  // namespace renkei::netsim::csv_rows
