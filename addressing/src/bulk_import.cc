#include "addressing/bulk_import.h"

#include <algorithm>
#include <array>
#include <future>
#include <set>

#include "addressing/errors.h"
#include "addressing/normalize.h"
#include "netsim/csv.h"
#include "netsim/identifiers.h"

namespace renkei::addressing {
namespace {

constexpr std::array<std::string_view, 8> kHeader = {
    "個人番号", "住民票コード", "宛名番号", "氏名", "氏名カナ", "性別", "生年月日", "住所"};

std::string ExpectedHeader() {
  std::string h;
  for (const auto col : kHeader) {
    if (!h.empty()) h += ',';
    h += col;
  }
  return h;
}

// A resident's fields (numbers, names, a date, an address) never hold a line break, so a quote
// left open is refused at its own line instead of taking the rows after it into one field:
// in a million-row file, one stray quote would otherwise swallow everything up to the next.
constexpr netsim::CsvOptions kCsvOptions{.quoted_line_breaks = false};

enum class Header { kRight, kWrong, kMissing };

// Reads the header row; `line` is where it is (1 when the file has no row at all).
Header ReadHeader(netsim::CsvReader& reader, int64_t& line) {
  netsim::CsvRecord header;
  const Result<bool> read = reader.Next(header);
  if (read.ok() && !*read) {
    line = 1;
    return Header::kMissing;
  }
  line = header.line;
  return read.ok() && std::ranges::equal(header.fields, kHeader) ? Header::kRight : Header::kWrong;
}

// Checks a row's encoding field by field. The same as checking the row's text: a UTF-8
// sequence never holds an ASCII byte, so splitting at ',' and '"' cannot make or mend one.
bool AllValidUtf8(const std::vector<std::string>& fields) {
  return std::all_of(fields.begin(), fields.end(),
                     [](const std::string& f) { return IsValidUtf8(f); });
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
  ChunkReader(std::istream& in, netsim::CsvReader& reader, std::string system_id,
              RegistrationPreparer preparer, size_t chunk_size)
      : in_(in),
        reader_(reader),
        system_id_(std::move(system_id)),
        preparer_(std::move(preparer)),
        chunk_size_(chunk_size) {}

  int64_t line_no() const { return reader_.lines_read(); }

  Chunk Next() {
    Chunk c;
    c.prepared.reserve(chunk_size_);
    c.lines.reserve(chunk_size_);
    netsim::CsvRecord record;
    while (c.prepared.size() < chunk_size_) {
      const Result<bool> read = reader_.Next(record);
      if (read.ok() && !*read) {
        c.end = true;
        c.read_error = in_.bad();
        break;
      }
      ++c.rows;
      auto refuse = [&](std::string reason) {
        c.rejected.push_back(RejectedRow{record.line, std::move(reason)});
      };
      if (!read.ok()) {
        refuse(read.error().message);
        continue;
      }
      const std::vector<std::string>& fields = record.fields;
      if (!AllValidUtf8(fields)) {
        refuse("encoding: the line is not valid UTF-8");
        continue;
      }
      if (fields.size() != kHeader.size()) {
        refuse("expected " + std::to_string(kHeader.size()) + " columns, got " +
               std::to_string(fields.size()));
        continue;
      }
      auto reg = RowToRegistration(fields, system_id_);
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
      c.lines.push_back(record.line);
    }
    return c;
  }

 private:
  std::istream& in_;
  netsim::CsvReader& reader_;
  std::string system_id_;
  RegistrationPreparer preparer_;
  size_t chunk_size_;
};

}  // namespace

Result<std::vector<Resident>> ReadResidentsCsv(std::istream& in, std::string_view source_name) {
  const std::string source(source_name);
  auto bad = [&](int64_t line, const std::string& why) {
    return MakeError(Errc::kInvalidInput, source + ":" + std::to_string(line) + ": " + why);
  };
  netsim::CsvReader reader(in, kCsvOptions);
  int64_t line_no = 0;
  switch (ReadHeader(reader, line_no)) {
    case Header::kMissing:
      return bad(line_no, "empty file; expected the header " + ExpectedHeader());
    case Header::kWrong:
      return bad(line_no, "the header must be " + ExpectedHeader());
    case Header::kRight:
      break;
  }
  std::vector<Resident> out;
  std::set<std::string> atena_seen, my_number_seen;
  netsim::CsvRecord record;
  for (;;) {
    const Result<bool> read = reader.Next(record);
    line_no = record.line;
    if (!read.ok()) return bad(line_no, read.error().message);
    if (!*read) break;
    const std::vector<std::string>& f = record.fields;
    if (!AllValidUtf8(f)) return bad(line_no, "encoding: the line is not valid UTF-8");
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
  if (in.bad()) return bad(reader.lines_read(), "the file could not be read to its end");
  return out;
}

Result<ImportSummary> ImportResidentsCsv(AddressingServer& server, const Session& session,
                                         std::istream& in, std::string_view source_name,
                                         const ImportOptions& options) {
  const std::string src(source_name);
  ImportSummary summary;
  netsim::CsvReader csv(in, kCsvOptions);
  int64_t header_line = 0;
  switch (ReadHeader(csv, header_line)) {
    case Header::kMissing:
      return MakeError(Errc::kBadCsv, src + ":" + std::to_string(header_line) +
                                          ": empty file; expected the header " + ExpectedHeader());
    case Header::kWrong:
      return MakeError(Errc::kBadCsv, src + ":" + std::to_string(header_line) +
                                          ": header must be " + ExpectedHeader() +
                                          "; nothing was imported");
    case Header::kRight:
      break;
  }
  RENKEI_TRY(RegistrationPreparer preparer, server.NewPreparer());
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);
  ChunkReader reader(in, csv, options.system_id, std::move(preparer), batch_size);

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
