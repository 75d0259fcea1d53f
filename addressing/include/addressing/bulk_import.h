// Bulk registration of residents from the CSV that `renkei gen residents` writes.
//
// Format (UTF-8, a header row, RFC 4180 quoting as netsim::CsvReader reads it, LF or CRLF line
// ends, blank lines skipped; a leading BOM is skipped):
//   個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所
// One row per line: no field holds a line break, so a quote left open is refused at its line.
// Each row registers one person through the addressing server under the given business
// system. A bad row (wrong column count, bad encoding, bad check digit, bad date, conflicting
// 4 information, ...) is rejected with its line number and reason and changes nothing; the
// good rows are registered, one transaction per batch. A file whose header is wrong is
// refused whole. A storage failure stops the import: earlier batches stay committed, the
// failing batch is rolled back, and the error says which lines were committed.
// The 住民票コード column is validated but not stored: it belongs to 住基ネット, not to the
// addressing server.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "addressing/addressing_server.h"
#include "addressing/resident_generator.h"

namespace renkei::addressing {

struct ImportOptions {
  std::string system_id = "JUKI";         // the business system whose 宛名番号 the file carries
  size_t batch_size = 50000;              // rows per transaction
  size_t max_reported_rejections = 1000;  // rejected rows kept in detail; all are counted
  // Files larger than one batch drop the search indexes for the load and rebuild them at the
  // end (AddressingServer::SuspendSearchIndexes); smaller files keep them.
  bool defer_search_indexes = true;
};

struct RejectedRow {
  int64_t line = 0;
  std::string reason;  // "<field>: <rule>", never a 個人番号
};

struct ImportSummary {
  int64_t rows = 0;       // data rows read (header excluded)
  int64_t numbered = 0;   // new persons given an integrated number
  int64_t linked = 0;     // known persons given a new 宛名番号 link
  int64_t unchanged = 0;  // exact repeats of an existing registration
  int64_t rejected = 0;
  int64_t batches = 0;
  std::vector<RejectedRow> rejections;  // the first max_reported_rejections, in line order
};

// Reads a whole residents file of the same format without registering anyone, for callers
// that must refuse a file with any bad row (a scenario's world): the first bad row is a
// kInvalidInput error "SOURCE:LINE: <field>: <rule>" (never the 個人番号 itself). Also refused:
// a 宛名番号 or a 個人番号 given twice in the file, and a 宛名番号 that is not 15 digits.
Result<std::vector<Resident>> ReadResidentsCsv(std::istream& in, std::string_view source_name);

Result<ImportSummary> ImportResidentsCsv(AddressingServer& server, const Session& session,
                                         std::istream& in, std::string_view source_name,
                                         const ImportOptions& options = {});

}  // namespace renkei::addressing
