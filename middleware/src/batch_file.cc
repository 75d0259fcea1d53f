#include "middleware/batch_file.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <utility>

#include "middleware/errors.h"
#include "netsim/identifiers.h"

namespace renkei::middleware {
namespace {

// ---- Status tables ----

struct RecordStatusInfo {
  RecordStatus status;
  std::string_view code;
  std::string_view name;
};
constexpr std::array<RecordStatusInfo, 9> kRecordStatuses = {{
    {RecordStatus::kNormal, "09", "normal"},
    {RecordStatus::kNotPermitted, "10", "not-permitted"},
    {RecordStatus::kNoToken, "11", "no-token"},
    {RecordStatus::kNoData, "12", "no-data"},
    {RecordStatus::kPendingManual, "20", "pending-manual"},
    {RecordStatus::kRefused, "21", "refused"},
    {RecordStatus::kExpired, "22", "expired"},
    {RecordStatus::kTimeout, "30", "timeout"},
    {RecordStatus::kError, "90", "error"},
}};

struct ItemStatusInfo {
  ItemStatus status;
  std::string_view code;
};
constexpr std::array<ItemStatusInfo, 4> kItemStatuses = {{
    {ItemStatus::kObtained, "01"},
    {ItemStatus::kNoData, "02"},
    {ItemStatus::kWithheld, "03"},
    {ItemStatus::kNotPermitted, "04"},
}};

const RecordStatusInfo& InfoOf(RecordStatus status) {
  for (const auto& i : kRecordStatuses) {
    if (i.status == status) return i;
  }
  std::fprintf(stderr, "renkei: RecordStatus %d outside the enum\n", static_cast<int>(status));
  std::abort();
}

// ---- Batch query fields ----

// The fields in file order. The names are the ones docs/batch_files.md uses and the ones
// error messages quote.
enum Field {
  kNumbering,
  kAtena,
  kIntegrated,
  kRequestedAt,
  kDept,
  kUser,
  kRequester,
  kNonDisclosure,
  kBusiness,
  kProcedure,
  kDelegatingRequester,
  kDelegatingProvider,
  kProvider,
  kDataItem,
  kConditionType,
  kFiscalYearType,
  kStartDate,
  kEndDate,
};

struct FieldSpec {
  std::string_view name;
  int width;
};
constexpr std::array<FieldSpec, kBatchQueryFieldCount> kFields = {{
    {"numbering_system", 2},
    {"atena_number", 15},
    {"integrated_number", 15},
    {"requested_at", 17},
    {"requester_dept", 20},
    {"requester_user", 20},
    {"requester_institution", 16},
    {"non_disclosure", 1},
    {"business_code", 16},
    {"procedure_code", 16},
    {"delegating_requester", 16},
    {"delegating_provider", 16},
    {"provider_institution", 16},
    {"data_item_code", 16},
    {"condition_type", 1},
    {"fiscal_year_type", 1},
    {"start_date", 8},
    {"end_date", 8},
}};

static_assert([] {
  int total = kBatchQueryFieldCount - 1;
  for (const auto& f : kFields) total += f.width;
  return total == kBatchQueryLineLength;
}());

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

bool AllSpaces(std::string_view s) {
  for (char c : s) {
    if (c != ' ') return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// Collects the errors of one line.
class LineChecker {
 public:
  explicit LineChecker(std::vector<BatchLineError>* errors) : errors_(errors) {}

  void Fail(std::string_view field, std::string reason) {
    ++count_;
    if (errors_ != nullptr) {
      errors_->push_back(BatchLineError{"", 0, std::string(field), std::move(reason)});
    }
  }
  void Fail(Field f, std::string reason) { Fail(kFields[f].name, std::move(reason)); }
  int count() const { return count_; }

 private:
  std::vector<BatchLineError>* errors_;
  int count_ = 0;
};

// A text field: left-aligned printable ASCII, right-padded with spaces, required.
std::optional<std::string> CheckText(LineChecker& check, Field f, std::string_view raw) {
  size_t end = raw.size();
  while (end > 0 && raw[end - 1] == ' ') --end;
  const std::string_view value = raw.substr(0, end);
  if (value.empty()) {
    check.Fail(f, "required, got all spaces");
    return std::nullopt;
  }
  if (value.front() == ' ') {
    check.Fail(f, "must be left-aligned (leading space)");
    return std::nullopt;
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      check.Fail(f, "must be printable ASCII");
      return std::nullopt;
    }
  }
  return std::string(value);
}

// A code field whose value fills the whole width. Optional ones may be all spaces (returns "").
std::optional<std::string> CheckCode(LineChecker& check, Field f, std::string_view raw,
                                     bool optional, Status (*validate)(std::string_view)) {
  if (AllSpaces(raw)) {
    if (optional) return std::string();
    check.Fail(f, "required, got all spaces");
    return std::nullopt;
  }
  Status s = validate(raw);
  if (!s.ok()) {
    check.Fail(f, s.error().Describe());
    return std::nullopt;
  }
  return std::string(raw);
}

Status ValidateAtena(std::string_view v) {
  if (!AllDigits(v)) return Invalid("宛名番号 must be 15 ASCII digits");
  return OkStatus();
}
Status ValidateJm(std::string_view v) {
  return netsim::ValidateCode(v, netsim::CodeKind::kBusiness);
}
Status ValidateJt(std::string_view v) {
  return netsim::ValidateCode(v, netsim::CodeKind::kProcedure);
}
Status ValidateTm(std::string_view v) {
  return netsim::ValidateCode(v, netsim::CodeKind::kDataItem);
}
Status ValidateDate(std::string_view v) {
  if (v.size() != 8 || !AllDigits(v)) return Invalid("must be YYYYMMDD digits");
  if (!netsim::IsValidDate(ToInt(v.substr(0, 4)), ToInt(v.substr(4, 2)), ToInt(v.substr(6, 2)))) {
    return Invalid("not a calendar day");
  }
  return OkStatus();
}

std::optional<netsim::SimTime> CheckTimestamp(LineChecker& check, std::string_view raw) {
  if (!AllDigits(raw)) {
    check.Fail(kRequestedAt, "must be 17 digits YYYYMMDDhhmmssSSS");
    return std::nullopt;
  }
  netsim::CivilTime c;
  c.year = ToInt(raw.substr(0, 4));
  c.month = ToInt(raw.substr(4, 2));
  c.day = ToInt(raw.substr(6, 2));
  c.hour = ToInt(raw.substr(8, 2));
  c.minute = ToInt(raw.substr(10, 2));
  c.second = ToInt(raw.substr(12, 2));
  c.micros = ToInt(raw.substr(14, 3)) * 1000;
  if (!netsim::IsValidDate(c.year, c.month, c.day)) {
    check.Fail(kRequestedAt, "not a calendar day");
    return std::nullopt;
  }
  // No leap seconds: the network's clock (netsim/time.h) has none.
  if (c.hour > 23 || c.minute > 59 || c.second > 59) {
    check.Fail(kRequestedAt, "not a time of day");
    return std::nullopt;
  }
  return netsim::FromCivil(c);
}

std::optional<char> CheckFlag(LineChecker& check, Field f, std::string_view raw) {
  if (raw != "0" && raw != "1") {
    check.Fail(f, "must be 0 or 1");
    return std::nullopt;
  }
  return raw[0];
}

std::vector<std::string_view> SplitCommas(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

std::string PadRight(std::string_view s, int width) {
  std::string out(s);
  if (out.size() < static_cast<size_t>(width))
    out.append(static_cast<size_t>(width) - out.size(), ' ');
  return out;
}

// ---- CSV ----

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(extra) >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

void WriteCsvField(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

// ---- Status codes ----

std::string_view RecordStatusCode(RecordStatus status) { return InfoOf(status).code; }
std::string_view RecordStatusName(RecordStatus status) { return InfoOf(status).name; }

std::string_view ItemStatusCode(ItemStatus status) {
  for (const auto& i : kItemStatuses) {
    if (i.status == status) return i.code;
  }
  std::fprintf(stderr, "renkei: ItemStatus %d outside the enum\n", static_cast<int>(status));
  std::abort();
}

Result<RecordStatus> ParseRecordStatus(std::string_view code) {
  for (const auto& i : kRecordStatuses) {
    if (i.code == code) return i.status;
  }
  return Invalid("unknown record status code \"" + std::string(code) + "\"");
}

Result<ItemStatus> ParseItemStatus(std::string_view code) {
  for (const auto& i : kItemStatuses) {
    if (i.code == code) return i.status;
  }
  return Invalid("unknown item status code \"" + std::string(code) + "\"");
}

std::string NoTokenMessage(std::string_view integrated_number) {
  return "指定された団体内統合宛名番号「" + std::string(integrated_number) +
         "」は符号が未取得です。";
}

std::string NotPermittedMessage(std::string_view data_item) {
  return "指定された特定個人情報名「" + std::string(data_item) + "」の照会は許可されていません。";
}

std::string StandardMessage(RecordStatus status, std::string_view subject) {
  switch (status) {
    case RecordStatus::kNormal:
      return "";
    case RecordStatus::kNotPermitted:
      return NotPermittedMessage(subject);
    case RecordStatus::kNoToken:
      return NoTokenMessage(subject);
    case RecordStatus::kNoData:
      return "該当する特定個人情報が存在しません。";
    case RecordStatus::kPendingManual:
      return "提供機関の職員が確認中のため、回答を保留しています。";
    case RecordStatus::kRefused:
      return "提供機関の職員により情報提供が拒否されました。";
    case RecordStatus::kExpired:
      return "提供機関での確認期限を過ぎたため、照会は失効しました。";
    case RecordStatus::kTimeout:
      return "応答の待ち時間を超過しました。";
    case RecordStatus::kError:
      return "処理中にエラーが発生しました。";
  }
  return std::string(InfoOf(status).name);  // unreachable: InfoOf aborts first
}

// ---- Batch query file ----

std::string BatchLineError::Describe() const {
  return source + ":" + std::to_string(line) + ": " + field + ": " + reason;
}

std::vector<int> BatchParse::BadLines() const {
  std::vector<int> out;
  for (const auto& e : errors) {
    if (out.empty() || out.back() != e.line) out.push_back(e.line);
  }
  return out;
}

Result<BatchQueryRecord> ParseBatchQueryLine(std::string_view line,
                                             std::vector<BatchLineError>* errors) {
  LineChecker check(errors);
  if (line.empty()) {
    check.Fail("line", "empty line");
    return Invalid("empty line");
  }
  const std::vector<std::string_view> f = SplitCommas(line);
  if (f.size() != kBatchQueryFieldCount) {
    check.Fail("line", std::to_string(f.size()) + " fields, expected " +
                           std::to_string(kBatchQueryFieldCount));
    return Invalid("wrong field count");
  }
  std::array<bool, kBatchQueryFieldCount> width_ok{};
  for (size_t i = 0; i < f.size(); ++i) {
    const int want = kFields[i].width;
    width_ok[i] = f[i].size() == static_cast<size_t>(want);
    if (!width_ok[i]) {
      check.Fail(static_cast<Field>(i),
                 "width " + std::to_string(f[i].size()) + ", expected " + std::to_string(want));
    }
  }

  BatchQueryRecord r;
  // Each check runs only on a field of the right width, so one error per field at most.
  std::optional<NumberingSystem> numbering;
  if (width_ok[kNumbering]) {
    if (f[kNumbering] == "01") {
      numbering = NumberingSystem::kAtenaNumber;
    } else if (f[kNumbering] == "02") {
      numbering = NumberingSystem::kIntegratedNumber;
    } else {
      check.Fail(kNumbering, "must be 01 (宛名番号) or 02 (統合宛名番号)");
    }
  }
  std::optional<std::string> atena, integrated;
  if (width_ok[kAtena]) atena = CheckCode(check, kAtena, f[kAtena], true, ValidateAtena);
  if (width_ok[kIntegrated]) {
    integrated =
        CheckCode(check, kIntegrated, f[kIntegrated], true, netsim::ValidateIntegratedNumber);
  }
  if (numbering && atena && integrated) {
    // Exactly the number the numbering system names: with both present it would be unclear
    // which one the intermediate server should trust.
    const bool want_atena = *numbering == NumberingSystem::kAtenaNumber;
    const std::string& wanted = want_atena ? *atena : *integrated;
    const std::string& other = want_atena ? *integrated : *atena;
    if (wanted.empty()) {
      check.Fail(want_atena ? kAtena : kIntegrated,
                 std::string("required when numbering_system is ") + (want_atena ? "01" : "02"));
    } else if (!other.empty()) {
      check.Fail(
          want_atena ? kIntegrated : kAtena,
          std::string("must be all spaces when numbering_system is ") + (want_atena ? "01" : "02"));
    }
  }
  if (width_ok[kRequestedAt]) {
    if (auto t = CheckTimestamp(check, f[kRequestedAt])) r.requested_at = *t;
  }
  std::optional<std::string> s;
  if (width_ok[kDept] && (s = CheckText(check, kDept, f[kDept]))) r.requester_dept = *s;
  if (width_ok[kUser] && (s = CheckText(check, kUser, f[kUser]))) r.requester_user = *s;
  struct CodeField {
    Field field;
    bool optional;
    Status (*validate)(std::string_view);
    std::string* out;
  };
  const std::array<CodeField, 7> codes = {{
      {kRequester, false, netsim::ValidateInstitutionCode, &r.requester_institution},
      {kBusiness, false, ValidateJm, &r.business_code},
      {kProcedure, false, ValidateJt, &r.procedure_code},
      {kDelegatingRequester, true, netsim::ValidateInstitutionCode, &r.delegating_requester},
      {kDelegatingProvider, true, netsim::ValidateInstitutionCode, &r.delegating_provider},
      {kProvider, false, netsim::ValidateInstitutionCode, &r.provider_institution},
      {kDataItem, false, ValidateTm, &r.data_item_code},
  }};
  for (const auto& c : codes) {
    if (width_ok[c.field] && (s = CheckCode(check, c.field, f[c.field], c.optional, c.validate))) {
      *c.out = *s;
    }
  }
  if (width_ok[kNonDisclosure]) {
    if (auto v = CheckFlag(check, kNonDisclosure, f[kNonDisclosure])) r.non_disclosure = *v == '1';
  }
  std::optional<char> condition;
  if (width_ok[kConditionType]) condition = CheckFlag(check, kConditionType, f[kConditionType]);
  if (condition) r.condition_type = *condition;
  if (width_ok[kFiscalYearType]) {
    if (auto v = CheckFlag(check, kFiscalYearType, f[kFiscalYearType])) r.fiscal_year_type = *v;
  }
  std::optional<std::string> start, end;
  if (width_ok[kStartDate]) start = CheckCode(check, kStartDate, f[kStartDate], true, ValidateDate);
  if (width_ok[kEndDate]) end = CheckCode(check, kEndDate, f[kEndDate], true, ValidateDate);
  if (condition && start && end) {
    if (*condition == '1') {
      if (start->empty()) check.Fail(kStartDate, "required when condition_type is 1");
      if (end->empty()) check.Fail(kEndDate, "required when condition_type is 1");
      // YYYYMMDD strings order as the days they name.
      if (!start->empty() && !end->empty() && *start > *end) {
        check.Fail(kEndDate, "before start_date");
      }
    } else {
      if (!start->empty()) check.Fail(kStartDate, "must be all spaces when condition_type is 0");
      if (!end->empty()) check.Fail(kEndDate, "must be all spaces when condition_type is 0");
    }
    r.start_date = *start;
    r.end_date = *end;
  }
  if (check.count() > 0) return Invalid(std::to_string(check.count()) + " bad fields");
  r.numbering = *numbering;
  r.atena_number = *atena;
  r.integrated_number = *integrated;
  return r;
}

Result<BatchParse> ParseBatchQueryFile(std::istream& in, std::string_view source_name) {
  const std::string source(source_name);
  if (!in) return Invalid(source + ": cannot read the batch query file");
  BatchParse out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const bool terminated = !in.eof();  // getline stopped at '\n', not at the end of input
    bool bare_lf = false;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    } else if (terminated) {
      bare_lf = true;
    }
    if (bare_lf && number == 1) {
      return Invalid(source + ":1: the file's lines end in LF; batch query files need CRLF");
    }
    std::vector<BatchLineError> errors;
    if (bare_lf) {
      errors.push_back(BatchLineError{"", 0, "line", "ends in LF without CR"});
    }
    Result<BatchQueryRecord> r = ParseBatchQueryLine(line, &errors);
    if (errors.empty() && r.ok()) {
      out.records.push_back(BatchQueryLine{number, std::move(r).value()});
      continue;
    }
    for (auto& e : errors) {
      e.source = source;
      e.line = number;
      out.errors.push_back(std::move(e));
    }
  }
  if (in.bad()) {
    return Invalid(source + ":" + std::to_string(number + 1) + ": read failed");
  }
  return out;
}

Result<std::string> WriteBatchQueryLine(const BatchQueryRecord& record) {
  const netsim::CivilTime c = netsim::ToCivil(record.requested_at);
  char ts[32];
  std::snprintf(ts, sizeof ts, "%04d%02d%02d%02d%02d%02d%03d", c.year, c.month, c.day, c.hour,
                c.minute, c.second, c.micros / 1000);
  const std::array<std::string, kBatchQueryFieldCount> values = {
      record.numbering == NumberingSystem::kAtenaNumber ? "01" : "02",
      record.atena_number,
      record.integrated_number,
      ts,
      record.requester_dept,
      record.requester_user,
      record.requester_institution,
      record.non_disclosure ? "1" : "0",
      record.business_code,
      record.procedure_code,
      record.delegating_requester,
      record.delegating_provider,
      record.provider_institution,
      record.data_item_code,
      std::string(1, record.condition_type),
      std::string(1, record.fiscal_year_type),
      record.start_date,
      record.end_date,
  };
  std::string line;
  line.reserve(kBatchQueryLineLength + 2);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line.push_back(',');
    line += PadRight(values[i], kFields[i].width);
  }
  // Parse what was written, so a writer's output is always something the parser accepts.
  std::vector<BatchLineError> errors;
  Result<BatchQueryRecord> back = ParseBatchQueryLine(line, &errors);
  if (!back.ok()) {
    return Invalid("cannot write batch query line: " +
                   (errors.empty() ? back.error().Describe()
                                   : errors.front().field + ": " + errors.front().reason));
  }
  line += "\r\n";
  return line;
}

// ---- Result file ----

Status WriteResultRow(std::ostream& out, const ResultRow& row) {
  if (!ValidUtf8(row.message)) return Invalid("result row: message is not valid UTF-8");
  for (size_t i = 0; i < row.items.size(); ++i) {
    const ResultItem& item = row.items[i];
    if (item.status != ItemStatus::kObtained && !item.value.empty()) {
      return Invalid("result row: item " + std::to_string(i + 1) + " has a value but status " +
                     std::string(ItemStatusCode(item.status)));
    }
    if (!ValidUtf8(item.value)) {
      return Invalid("result row: item " + std::to_string(i + 1) + " is not valid UTF-8");
    }
  }
  std::string text(RecordStatusCode(row.status));
  text.push_back(',');
  WriteCsvField(text, row.message);
  for (const auto& item : row.items) {
    text.push_back(',');
    text.append(ItemStatusCode(item.status));
  }
  for (const auto& item : row.items) {
    text.push_back(',');
    WriteCsvField(text, item.value);
  }
  text += "\r\n";
  out << text;
  if (!out) return MakeError(Errc::kStorage, "result row: write failed");
  return OkStatus();
}

ResultRow RejectedLineRow(const BatchLineError& error) {
  return ResultRow{RecordStatus::kError, error.field + ": " + error.reason, {}};
}

Result<std::vector<ResultRow>> ParseResultFile(std::istream& in, std::string_view source_name) {
  const std::string source(source_name);
  if (!in) return Invalid(source + ": cannot read the result file");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Invalid(source + ": read failed");

  std::vector<ResultRow> rows;
  size_t pos = 0;
  int line = 1;
  while (pos < text.size()) {
    const int row_line = line;
    auto fail = [&](const std::string& reason) -> Error {
      return Invalid(source + ":" + std::to_string(row_line) + ": " + reason);
    };
    std::vector<std::string> fields;
    bool row_done = false;
    while (!row_done) {
      std::string field;
      if (pos < text.size() && text[pos] == '"') {
        ++pos;
        while (true) {
          if (pos >= text.size()) return fail("unterminated quoted field");
          const char c = text[pos];
          if (c == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field.push_back('"');
              pos += 2;
              continue;
            }
            ++pos;
            break;
          }
          if (c == '\n') ++line;
          field.push_back(c);
          ++pos;
        }
      } else {
        while (pos < text.size() && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n') {
          if (text[pos] == '"') return fail("quote inside an unquoted field");
          field.push_back(text[pos]);
          ++pos;
        }
      }
      fields.push_back(std::move(field));
      if (pos >= text.size()) return fail("row does not end in CRLF");
      const char c = text[pos];
      if (c == ',') {
        ++pos;
      } else if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
        pos += 2;
        ++line;
        row_done = true;
      } else if (c == '\n') {
        return fail("row ends in LF without CR");
      } else if (c == '\r') {
        return fail("CR without LF");
      } else {
        return fail("text after a closing quote");
      }
    }
    if (fields.size() < 2 || fields.size() % 2 != 0) {
      return fail(std::to_string(fields.size()) +
                  " fields; expected status, message, then a status and a value per item");
    }
    ResultRow row;
    Result<RecordStatus> status = ParseRecordStatus(fields[0]);
    if (!status.ok()) return fail(status.error().Describe());
    row.status = *status;
    if (!ValidUtf8(fields[1])) return fail("message is not valid UTF-8");
    row.message = std::move(fields[1]);
    const size_t n = (fields.size() - 2) / 2;
    for (size_t i = 0; i < n; ++i) {
      Result<ItemStatus> item_status = ParseItemStatus(fields[2 + i]);
      if (!item_status.ok()) {
        return fail("item " + std::to_string(i + 1) + ": " + item_status.error().Describe());
      }
      std::string& value = fields[2 + n + i];
      if (!ValidUtf8(value)) return fail("item " + std::to_string(i + 1) + ": not valid UTF-8");
      if (*item_status != ItemStatus::kObtained && !value.empty()) {
        return fail("item " + std::to_string(i + 1) + ": a value with status " + fields[2 + i]);
      }
      row.items.push_back(ResultItem{*item_status, std::move(value)});
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace renkei::middleware
