#include "addressing/bulk_import.h"

#include <array>

#include "addressing/errors.h"
#include "addressing/normalize.h"
#include "netsim/identifiers.h"

namespace renkei::addressing {
namespace {

constexpr std::array<std::string_view, 8> kHeader = {
    "個人番号", "住民票コード", "宛名番号", "氏名", "氏名カナ", "性別", "生年月日", "住所"};

std::string ExpectedHeader() {
  std::string h;
  for (const auto col : kHeader) h += (h.empty() ? "" : ",") + std::string(col);
  return h;
}

struct PendingRow {
  int64_t line;
  Registration registration;
};

// Builds a registration from a row's fields, or says which field is wrong.
Result<Registration> RowToRegistration(const std::vector<std::string>& f,
                                       const std::string& system_id) {
  if (Status s = netsim::ValidateJuminhyoCode(f[1]); !s.ok()) {
    return MakeError(Errc::kInvalidInput, "住民票コード: " + s.error().message);
  }
  auto sex = ParseSex(f[5]);
  if (!sex.ok()) return MakeError(Errc::kInvalidInput, "性別: " + sex.error().message);
  auto birth = NormalizeBirthDate(f[6]);
  if (!birth.ok()) return MakeError(Errc::kInvalidInput, "生年月日: " + birth.error().message);
  Registration r;
  r.my_number = f[0];
  r.system_id = system_id;
  r.atena_number = f[2];
  r.four_info = FourInfo{f[3], f[4], sex.value(), birth.value(), f[7]};
  return r;
}

}  // namespace

Result<std::vector<std::string>> ParseCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  for (;;) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) {
          return MakeError(Errc::kInvalidInput, "column " + std::to_string(fields.size() + 1) +
                                                    ": quoted field is not closed");
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        return MakeError(Errc::kInvalidInput, "column " + std::to_string(fields.size() + 1) +
                                                  ": text after the closing quote");
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          return MakeError(Errc::kInvalidInput, "column " + std::to_string(fields.size() + 1) +
                                                    ": quote inside an unquoted field");
        }
        field += line[i++];
      }
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

Result<ImportSummary> ImportResidentsCsv(AddressingServer& server, const Session& session,
                                         std::istream& in, std::string_view source_name,
                                         const ImportOptions& options) {
  const std::string src(source_name);
  ImportSummary summary;
  std::string line;
  int64_t line_no = 0;

  auto read_line = [&]() -> bool {
    if (!std::getline(in, line)) return false;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  };

  if (!read_line()) {
    return MakeError(Errc::kBadCsv, src + ":1: empty file; expected the header " +
                                        ExpectedHeader());
  }
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (line != ExpectedHeader()) {
    return MakeError(Errc::kBadCsv, src + ":1: header must be " + ExpectedHeader() +
                                        "; nothing was imported");
  }

  auto reject = [&](int64_t at, std::string reason) {
    ++summary.rejected;
    if (summary.rejections.size() < options.max_reported_rejections) {
      summary.rejections.push_back(RejectedRow{at, std::move(reason)});
    }
  };

  std::vector<PendingRow> pending;
  pending.reserve(options.batch_size);
  int64_t committed_through = 1;

  bool suspended = false;
  auto flush = [&]() -> Status {
    if (pending.empty()) return OkStatus();
    if (options.defer_search_indexes && !suspended && pending.size() >= options.batch_size) {
      RENKEI_CHECK_OK(server.SuspendSearchIndexes(session));
      suspended = true;
    }
    std::vector<Registration> batch;
    batch.reserve(pending.size());
    for (auto& p : pending) batch.push_back(std::move(p.registration));
    auto results = server.RegisterEach(session, batch);
    if (!results.ok()) {
      return Error{results.error().code,
                   src + ":" + std::to_string(pending.front().line) + "-" +
                       std::to_string(pending.back().line) +
                       ": batch rolled back: " + results.error().message +
                       " (lines 2-" + std::to_string(committed_through) + " are committed)"};
    }
    for (size_t i = 0; i < results->size(); ++i) {
      const auto& r = (*results)[i];
      if (!r.ok()) {
        reject(pending[i].line, r.error().message);
      } else if (r->newly_numbered) {
        ++summary.numbered;
      } else if (r->link_added) {
        ++summary.linked;
      } else {
        ++summary.unchanged;
      }
    }
    ++summary.batches;
    committed_through = pending.back().line;
    pending.clear();
    return OkStatus();
  };

  while (read_line()) {
    if (line.empty()) continue;  // a trailing blank line is not a row
    ++summary.rows;
    if (!IsValidUtf8(line)) {
      reject(line_no, "encoding: the line is not valid UTF-8");
      continue;
    }
    auto fields = ParseCsvLine(line);
    if (!fields.ok()) {
      reject(line_no, fields.error().message);
      continue;
    }
    if (fields->size() != kHeader.size()) {
      reject(line_no, "expected " + std::to_string(kHeader.size()) + " columns, got " +
                          std::to_string(fields->size()));
      continue;
    }
    auto reg = RowToRegistration(*fields, options.system_id);
    if (!reg.ok()) {
      reject(line_no, reg.error().message);
      continue;
    }
    pending.push_back(PendingRow{line_no, std::move(reg).value()});
    if (pending.size() >= options.batch_size) {
      if (Status st = flush(); !st.ok()) {
        if (suspended) (void)server.RestoreSearchIndexes();
        return st.error();
      }
    }
  }
  Status status = in.bad() ? Status(MakeError(Errc::kStorage, src + ": read error after line " +
                                                                  std::to_string(line_no)))
                           : flush();
  if (suspended) {
    // Rebuild even after a failure: the committed batches must be searchable.
    Status restored = server.RestoreSearchIndexes();
    if (status.ok() && !restored.ok()) status = restored;
  }
  if (!status.ok()) return status.error();
  return summary;
}

}  // namespace renkei::addressing
