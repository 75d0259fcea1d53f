// Batch files between a business system and the intermediate server (一括照会 / 照会結果).
//
// A business system that queries many people at once hands the intermediate server a batch
// query file: one fixed-width, comma-joined record of 18 fields per line, CRLF line ends
// (domain §11). The intermediate server answers with a result file: one CSV row per record, no
// header, record status, record message, one status per data item, then the data items.
// docs/batch_files.md has the exact layouts, padding and status codes; this header is the code
// side of that document.
//
// The files come from outside the network, so a bad line is an expected input, not a failure:
// ParseBatchQueryFile keeps every good record and reports every bad line as
// "file:line: field: reason". Only unreadable input or a file that is not CRLF at all fails as a
// whole. The result-file parser, by contrast, is strict: renkei writes those files, so any
// deviation means corruption and the whole file is refused.
//
// The status enums are the wire codes of the query outcome (domain §5 step 7): `09` per record
// and `01` per item are public, the rest are renkei's and documented as such.
//
// Thread safety: free functions over values and caller-owned streams; no shared state.
#pragma once

#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"
#include "netsim/time.h"

namespace renkei::middleware {

// ---- Status codes ----

// The outcome of one query record, as the business system sees it.
enum class RecordStatus {
  kNormal,         // "09" [public] answered; see the item statuses
  kNotPermitted,   // "10" the permit list refused the query
  kNoToken,        // "11" the person has no token (符号) yet
  kNoData,         // "12" the provider has no such person or no data for the item
  kPendingManual,  // "20" 自動応答不可: waiting for staff review at the provider
  kRefused,        // "21" provider staff refused to answer
  kExpired,        // "22" the staff review deadline passed without a decision
  kTimeout,        // "30" no answer arrived within the transport deadline
  kError,          // "90" anything else, including a batch line that failed validation
};

// The outcome of one data item (TM item) inside a record.
enum class ItemStatus {
  kObtained,      // "01" [public] data obtained
  kNoData,        // "02" no replica for the item within its publication window
  kWithheld,      // "03" removed by provider staff during suppression review
  kNotPermitted,  // "04" outside the permit list for this procedure
};

// The two-digit wire code.
std::string_view RecordStatusCode(RecordStatus status);
std::string_view ItemStatusCode(ItemStatus status);
// The status for a wire code; kInvalidInput naming the code otherwise.
Result<RecordStatus> ParseRecordStatus(std::string_view code);
Result<ItemStatus> ParseItemStatus(std::string_view code);
// A short English name ("not-permitted"), for logs and test labels.
std::string_view RecordStatusName(RecordStatus status);

// 「指定された団体内統合宛名番号「<integrated_number>」は符号が未取得です。」 [public]
std::string NoTokenMessage(std::string_view integrated_number);
// 「指定された特定個人情報名「<data_item>」の照会は許可されていません。」 [public]. The caller
// passes what it has for the item: its name, or its TM code.
std::string NotPermittedMessage(std::string_view data_item);
// The standard message of a record status. `subject` fills the 「…」 of the two public
// messages (the 統合宛名番号 for kNoToken, the data item for kNotPermitted) and is ignored for
// the others. kNormal has no message: the empty string.
std::string StandardMessage(RecordStatus status, std::string_view subject = {});

// ---- Batch query file (一括照会ファイル) ----

// 番号体系: which number identifies the person in a record [renkei codes].
enum class NumberingSystem {
  kAtenaNumber,       // "01" the business system's 宛名番号; addressing maps it
  kIntegratedNumber,  // "02" the 団体内統合宛名番号 directly
};

// One record of the batch query file, fields unpadded. Optional fields are empty when absent.
struct BatchQueryRecord {
  NumberingSystem numbering = NumberingSystem::kAtenaNumber;
  std::string atena_number;           // 15 digits; present exactly when numbering is "01"
  std::string integrated_number;      // 15 digits with check; present exactly when "02"
  netsim::SimTime requested_at;       // whole milliseconds, JST
  std::string requester_dept;         // 1-20 printable ASCII, no comma
  std::string requester_user;         // 1-20 printable ASCII, no comma
  std::string requester_institution;  // 機関コード
  bool non_disclosure = false;        // requester-side 不開示 code: '1' true, '0' false
  std::string business_code;          // JM
  std::string procedure_code;         // JT
  std::string delegating_requester;   // 機関コード or empty
  std::string delegating_provider;    // 機関コード or empty
  std::string provider_institution;   // 機関コード
  std::string data_item_code;         // TM
  char condition_type = '0';          // '0' latest data, no period; '1' period given
  char fiscal_year_type = '0';        // '0' calendar dates; '1' the dates name 年度 (Apr-Mar)
  std::string start_date;             // YYYYMMDD; present exactly when condition_type is '1'
  std::string end_date;               // YYYYMMDD, >= start_date; as start_date

  bool operator==(const BatchQueryRecord&) const = default;
};

inline constexpr int kBatchQueryFieldCount = 18;
// 18 fields of fixed width plus 17 commas, without the CRLF.
inline constexpr int kBatchQueryLineLength = 237;

// A good record and the 1-based line it came from.
struct BatchQueryLine {
  int line = 0;
  BatchQueryRecord record;
};

// One rejection: a line can yield several, one per bad field.
struct BatchLineError {
  std::string source;
  int line = 0;
  std::string field;  // the field's name in docs/batch_files.md, or "line"
  std::string reason;

  // "source:line: field: reason"
  std::string Describe() const;
};

struct BatchParse {
  std::vector<BatchQueryLine> records;
  std::vector<BatchLineError> errors;  // in line order
  // The 1-based numbers of the lines that had at least one error, ascending.
  std::vector<int> BadLines() const;
};

// Reads a whole batch query file. Every good line becomes a record; every bad line is reported
// and skipped. A file-level error (kInvalidInput) only when the stream cannot be read or its
// first line ends in a bare LF (the file is not CRLF); a later bare-LF line is a line error.
Result<BatchParse> ParseBatchQueryFile(std::istream& in, std::string_view source_name);

// One line's fields, without its line ending. Errors carry line 0 and an empty source; the
// file parser fills them in. Returns the record when there were none.
Result<BatchQueryRecord> ParseBatchQueryLine(std::string_view line,
                                             std::vector<BatchLineError>* errors);

// The record as one padded line ending in CRLF; kInvalidInput when the record would not parse
// back (a field too long, a comma in a text field, ...). Times are truncated to milliseconds.
Result<std::string> WriteBatchQueryLine(const BatchQueryRecord& record);

// ---- Result file (照会結果ファイル) ----

struct ResultItem {
  ItemStatus status = ItemStatus::kObtained;
  std::string value;  // the data item; empty unless status is kObtained

  bool operator==(const ResultItem&) const = default;
};

// One row, answering the query record at the same position in the query file.
struct ResultRow {
  RecordStatus status = RecordStatus::kNormal;
  std::string message;  // UTF-8, may contain anything; quoted as RFC 4180 requires
  std::vector<ResultItem> items;

  bool operator==(const ResultRow&) const = default;
};

// Writes one CSV row ending in CRLF: status, message, the item statuses, then the item values.
// kInvalidInput (nothing written) when a value is given for an item that was not obtained or a
// text is not valid UTF-8.
Status WriteResultRow(std::ostream& out, const ResultRow& row);

// The row that answers a batch line the parser rejected: kError with the line's first error.
ResultRow RejectedLineRow(const BatchLineError& error);

// Reads a whole result file strictly: every row must be well-formed RFC 4180 with CRLF ends,
// valid UTF-8 and valid codes, else kInvalidInput "source:line: reason" for the first bad row.
Result<std::vector<ResultRow>> ParseResultFile(std::istream& in, std::string_view source_name);

}  // namespace renkei::middleware
