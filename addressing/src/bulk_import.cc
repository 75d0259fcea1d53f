#include "addressing/bulk_import.h"

#include <algorithm>
#include <array>
#include <future>
#include <set>

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

namespace {

// Rows read, checked and prepared (normalised, 個人番号 digested) ahead of the database.
struct Chunk {
  std::vector<PreparedRegistration> prepared;
  std::vector<int64_t> lines;         // the line of each prepared row
  std::vector<RejectedRow> rejected;  // rows refused while reading, in line order
  int64_t rows = 0;
  bool end = false;  // nothing follows this chunk
  bool read_error = false;
};

// Reads the data rows after the header, a chunk at a time. Runs on the importer's second
// thread; only one Next() call is ever in flight, so the stream has one reader at a time.
class ChunkReader {
 public:
  ChunkReader(std::istream& in, std::string system_id, RegistrationPreparer preparer,
              size_t chunk_size)
      : in_(in),
        system_id_(std::move(system_id)),
        preparer_(std::move(preparer)),
        chunk_size_(chunk_size) {}

  int64_t line_no() const { return line_no_; }
  void set_line_no(int64_t n) { line_no_ = n; }

  Chunk Next() {
    Chunk c;
    c.prepared.reserve(chunk_size_);
    c.lines.reserve(chunk_size_);
    std::string line;
    while (c.prepared.size() < chunk_size_) {
      if (!std::getline(in_, line)) {
        c.end = true;
        c.read_error = in_.bad();
        break;
      }
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;  // a trailing blank line is not a row
      ++c.rows;
      auto refuse = [&](std::string reason) {
        c.rejected.push_back(RejectedRow{line_no_, std::move(reason)});
      };
      if (!IsValidUtf8(line)) {
        refuse("encoding: the line is not valid UTF-8");
        continue;
      }
      auto fields = ParseCsvLine(line);
      if (!fields.ok()) {
        refuse(fields.error().message);
        continue;
      }
      if (fields->size() != kHeader.size()) {
        refuse("expected " + std::to_string(kHeader.size()) + " columns, got " +
               std::to_string(fields->size()));
        continue;
      }
      auto reg = RowToRegistration(*fields, system_id_);
      if (!reg.ok()) {
        refuse(reg.error().message);
        continue;
      }
      auto prepared = preparer_.Prepare(std::move(reg).value());
      if (!prepared.ok()) {
        refuse(prepared.error().message);
        continue;
      }
      c.prepared.push_back(std::move(prepared).value());
      c.lines.push_back(line_no_);
    }
    return c;
  }

 private:
  std::istream& in_;
  std::string system_id_;
  RegistrationPreparer preparer_;
  size_t chunk_size_;
  int64_t line_no_ = 0;
};

}  // namespace

Result<std::vector<Resident>> ReadResidentsCsv(std::istream& in, std::string_view source_name) {
  const std::string source(source_name);
  auto bad = [&](int64_t line, const std::string& why) {
    return MakeError(Errc::kInvalidInput, source + ":" + std::to_string(line) + ": " + why);
  };
  std::string line;
  int64_t line_no = 0;
  if (!std::getline(in, line)) return bad(1, "empty file; expected the header " + ExpectedHeader());
  ++line_no;
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != ExpectedHeader()) return bad(1, "the header must be " + ExpectedHeader());
  std::vector<Resident> out;
  std::set<std::string> atena_seen, my_number_seen;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!IsValidUtf8(line)) return bad(line_no, "encoding: the line is not valid UTF-8");
    auto parsed = ParseCsvLine(line);
    if (!parsed.ok()) return bad(line_no, parsed.error().message);
    const std::vector<std::string>& f = *parsed;
    if (f.size() != kHeader.size()) {
      return bad(line_no, "expected " + std::to_string(kHeader.size()) + " columns, got " +
                              std::to_string(f.size()));
    }
    if (Status s = netsim::ValidateMyNumber(f[0]); !s.ok()) {
      // The validator's message may quote the value: say what is wrong without it.
      return bad(line_no, "個人番号: not a valid 個人番号 (12 digits with its check digit)");
    }
    if (f[2].size() != 15 ||
        !std::all_of(f[2].begin(), f[2].end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad(line_no, "宛名番号: 15 digits required");
    }
    auto reg = RowToRegistration(f, "JUKI");
    if (!reg.ok()) return bad(line_no, reg.error().message);
    if (!atena_seen.insert(f[2]).second) {
      return bad(line_no, "宛名番号: " + f[2] + " appears twice in the file");
    }
    if (!my_number_seen.insert(f[0]).second) {
      return bad(line_no, "個人番号: the same person appears twice in the file");
    }
    Resident r;
    r.my_number = f[0];
    r.juminhyo_code = f[1];
    r.atena_number = f[2];
    r.name = reg->four_info.name;
    r.name_kana = reg->four_info.name_kana;
    r.sex = reg->four_info.sex;
    RENKEI_TRY(r.birth_date, ParseDate(reg->four_info.birth_date));
    r.address = reg->four_info.address;
    out.push_back(std::move(r));
  }
  if (in.bad()) return bad(line_no, "the file could not be read to its end");
  return out;
}

Result<ImportSummary> ImportResidentsCsv(AddressingServer& server, const Session& session,
                                         std::istream& in, std::string_view source_name,
                                         const ImportOptions& options) {
  const std::string src(source_name);
  ImportSummary summary;
  std::string header;
  if (!std::getline(in, header)) {
    return MakeError(Errc::kBadCsv,
                     src + ":1: empty file; expected the header " + ExpectedHeader());
  }
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (header.rfind("\xEF\xBB\xBF", 0) == 0) header.erase(0, 3);
  if (header != ExpectedHeader()) {
    return MakeError(Errc::kBadCsv,
                     src + ":1: header must be " + ExpectedHeader() + "; nothing was imported");
  }
  RENKEI_TRY(RegistrationPreparer preparer, server.NewPreparer());
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);
  ChunkReader reader(in, options.system_id, std::move(preparer), batch_size);
  reader.set_line_no(1);

  auto reject = [&](const RejectedRow& row) {
    ++summary.rejected;
    if (summary.rejections.size() < options.max_reported_rejections) {
      summary.rejections.push_back(row);
    }
  };

  bool suspended = false;
  int64_t committed_through = 1;
  // Registers one chunk; returns the rows refused by the server.
  auto register_chunk = [&](Chunk& c) -> Result<std::vector<RejectedRow>> {
    std::vector<RejectedRow> refused;
    if (c.prepared.empty()) return refused;
    if (options.defer_search_indexes && !suspended && c.prepared.size() >= batch_size) {
      RENKEI_CHECK_OK(server.SuspendSearchIndexes(session));
      suspended = true;
    }
    auto results = server.RegisterPrepared(session, c.prepared);
    if (!results.ok()) {
      return Error{results.error().code, src + ":" + std::to_string(c.lines.front()) + "-" +
                                             std::to_string(c.lines.back()) +
                                             ": batch rolled back: " + results.error().message +
                                             " (lines 2-" + std::to_string(committed_through) +
                                             " are committed)"};
    }
    for (size_t i = 0; i < results->size(); ++i) {
      const auto& r = (*results)[i];
      if (!r.ok()) {
        refused.push_back(RejectedRow{c.lines[i], r.error().message});
      } else if (r->newly_numbered) {
        ++summary.numbered;
      } else if (r->link_added) {
        ++summary.linked;
      } else {
        ++summary.unchanged;
      }
    }
    ++summary.batches;
    committed_through = c.lines.back();
    return refused;
  };

  // Two stages on two cores: while this thread registers chunk k, the reader prepares k+1.
  Status status = OkStatus();
  Chunk current = reader.Next();
  for (;;) {
    std::future<Chunk> next;
    if (!current.end) {
      next = std::async(std::launch::async | std::launch::deferred,
                        [&reader] { return reader.Next(); });
    }
    summary.rows += current.rows;
    auto refused = register_chunk(current);
    if (!refused.ok()) {
      status = refused.error();
      break;  // `next` joins the reader on destruction
    }
    std::vector<RejectedRow> all = std::move(current.rejected);
    all.insert(all.end(), refused->begin(), refused->end());
    std::stable_sort(all.begin(), all.end(),
                     [](const RejectedRow& a, const RejectedRow& b) { return a.line < b.line; });
    for (const auto& row : all) reject(row);
    if (current.read_error) {
      status = MakeError(Errc::kStorage,
                         src + ": read error after line " + std::to_string(reader.line_no()));
      break;
    }
    if (!next.valid()) break;
    current = next.get();
  }
  if (suspended) {
    // Rebuild even after a failure: the committed batches must be searchable.
    Status restored = server.RestoreSearchIndexes();
    if (status.ok() && !restored.ok()) status = restored;
  }
  if (!status.ok()) return status.error();
  return summary;
}

}  // namespace renkei::addressing
