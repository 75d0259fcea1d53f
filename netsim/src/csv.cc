#include "netsim/csv.h"

#include <string_view>

#include "netsim/errors.h"

namespace renkei::netsim {

CsvReader::CsvReader(std::istream& in, CsvOptions options) : in_(in), options_(options) {}

bool CsvReader::GetLine() {
  if (!std::getline(in_, line_)) return false;
  ++line_no_;
  // Spreadsheet software writes a byte-order mark first; it is not part of the first field.
  if (line_no_ == 1 && std::string_view(line_).starts_with("\xEF\xBB\xBF")) line_.erase(0, 3);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

Error CsvReader::Fault(const CsvRecord& record, const char* reason) const {
  return MakeError(Errc::kParseError,
                   "column " + std::to_string(record.fields.size()) + ": " + reason);
}

Result<bool> CsvReader::Next(CsvRecord& record) {
  record.fields.clear();
  do {
    if (!GetLine()) return false;
  } while (line_.empty());
  record.line = line_no_;
  size_t i = 0;
  for (;;) {
    // Appending whole runs between delimiters, not characters: a million-row import spends
    // most of its parsing time here otherwise.
    std::string& field = record.fields.emplace_back();
    if (i < line_.size() && line_[i] == '"') {
      ++i;
      for (;;) {
        const size_t quote = line_.find('"', i);
        if (quote == std::string::npos) {
          field.append(line_, i);
          if (!options_.quoted_line_breaks || !GetLine()) {
            return Fault(record, "quoted field is not closed");
          }
          field.push_back('\n');
          i = 0;
          continue;
        }
        field.append(line_, i, quote - i);
        i = quote + 1;
        if (i < line_.size() && line_[i] == '"') {
          field.push_back('"');
          ++i;
          continue;
        }
        break;
      }
      if (i < line_.size() && line_[i] != ',') return Fault(record, "text after the closing quote");
    } else {
      size_t end = line_.find_first_of(",\"", i);
      if (end == std::string::npos) end = line_.size();
      if (end < line_.size() && line_[end] == '"') {
        return Fault(record, "quote inside an unquoted field");
      }
      field.append(line_, i, end - i);
      i = end;
    }
    if (i >= line_.size()) return true;
    ++i;  // the comma
  }
}

}  // namespace renkei::netsim
