// CsvReader: the one reader of RFC 4180 CSV files with quoting (residents files, replica
// records), so that every such file accepts and refuses the same text.
//
// A record is a list of fields separated by ','. A field may be enclosed in '"'; inside, '""'
// is one '"', and ',' and line breaks are data (a line break is read as "\n", whatever the
// file's line end). Lines end in LF or CRLF; a UTF-8 byte-order mark at the start of the
// input is skipped; blank lines between records are skipped (not inside a quoted field, where
// they are data). No '#' comments: a line starting with '#' is a record like any other.
// The reader checks syntax only: field counts, encodings and meanings are the caller's.
//
// Malformed records are errors naming the column (a quote inside an unquoted field, text after
// a closing quote, a quote still open at the end of the input), never the field's text, which
// may hold a 個人番号. The reader then goes on at the line after the fault, so a caller that
// rejects bad rows one by one can keep reading.
//
// netsim's own unquoted line files (registry, permit list) use src/csv_rows.h instead.
//
// Thread safety: a reader owns its position in one stream; one thread at a time.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "netsim/result.h"

namespace renkei::netsim {

struct CsvRecord {
  int64_t line = 0;  // 1-based physical line the record starts on
  std::vector<std::string> fields;
};

struct CsvOptions {
  // Whether a quoted field may continue on the next line (RFC 4180). Off for formats whose
  // fields never hold a line break: a quote left open is then refused at its own line, instead
  // of taking the rows after it into one field until the next quote.
  bool quoted_line_breaks = true;
};

class CsvReader {
 public:
  explicit CsvReader(std::istream& in, CsvOptions options = {});

  // Reads the next record into `record` and returns true; false at the end of the input (or
  // when the stream fails: callers check the stream's bad()). A malformed record is a
  // kParseError "column N: <reason>", with record.line still naming the line the record
  // starts on; the next call resumes at the line after the one where the fault was found.
  Result<bool> Next(CsvRecord& record);

  // Physical lines read so far.
  int64_t lines_read() const { return line_no_; }

 private:
  bool GetLine();
  Error Fault(const CsvRecord& record, const char* reason) const;

  std::istream& in_;
  CsvOptions options_;
  std::string line_;
  int64_t line_no_ = 0;
};

}  // namespace renkei::netsim
