#include "netsim/permit_list.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "csv_rows.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

constexpr std::string_view kHeader =
    "row_id,requester,jm,jt,provider,tm_items,valid_from,valid_to,weight,note";
constexpr size_t kColumns = 10;
constexpr std::string_view kKindPrefix = "kind:";
constexpr size_t kMaxRowIdBytes = 64;
constexpr size_t kMaxVersionBytes = 32;
constexpr uint64_t kMaxWeight = 1'000'000'000;

[[noreturn]] void Die(std::string_view what) {
  std::cerr << "renkei: broken invariant: " << what << "\n";
  std::abort();
}

// The 14 digits of a JM/JT/TM code with the given prefix, or nullopt. The hot path uses this
// instead of ValidateCode, which builds messages.
std::optional<uint64_t> CodeDigits(std::string_view code, char a, char b) {
  if (code.size() != kCodeLength || code[0] != a || code[1] != b) return std::nullopt;
  return csv_rows::ParseDigits(code.substr(2));
}

size_t IndexSlotOf(uint64_t jm, uint64_t jt, int shift) {
  return static_cast<size_t>(((jm * 0x9E3779B97F4A7C15ULL) ^ jt) * 0xBF58476D1CE4E5B9ULL >> shift);
}

std::optional<uint64_t> InstitutionKey(std::string_view code) {
  if (code.size() != kInstitutionCodeLength) return std::nullopt;
  return csv_rows::ParseDigits(code);
}

std::string FormatDate(SimTime t) {
  const CivilTime c = ToCivil(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

bool ValidVersion(std::string_view v) {
  if (v.empty() || v.size() > kMaxVersionBytes) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::optional<PartySpec> ParseParty(std::string_view text, std::string_view field, int line,
                                    csv_rows::Errors& errors) {
  PartySpec party;
  if (text.starts_with(kKindPrefix)) {
    const auto kind = ParseInstitutionKind(text.substr(kKindPrefix.size()));
    if (!kind) {
      errors.Add(line, field,
                 "unknown kind '" + std::string(text.substr(kKindPrefix.size())) +
                     "' (prefecture, municipality, ministry, pension, medical_insurer, jlis, "
                     "other_national)");
      return std::nullopt;
    }
    party.is_kind = true;
    party.kind = *kind;
    return party;
  }
  if (auto s = ValidateInstitutionCode(text); !s.ok()) {
    errors.Add(line, field, s.error().message + "; expected a 機関コード or kind:<kind>");
    return std::nullopt;
  }
  party.is_kind = false;
  party.code = std::string(text);
  return party;
}

struct ParsedMeta {
  std::string version;
  csv_rows::Date from, to;
};

// The three metadata lines. Any problem stops the parse: rows cannot be checked against a
// validity the list does not have.
std::optional<ParsedMeta> ParseMeta(csv_rows::LineReader& reader, csv_rows::Errors& errors) {
  ParsedMeta meta;
  static constexpr std::string_view kKeys[] = {"version", "valid_from", "valid_to"};
  std::string_view values[3];
  std::string texts[3];
  int lines[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    csv_rows::Line line;
    if (!reader.Next(line)) {
      errors.Add(std::max(reader.last_line(), 1), kKeys[i],
                 "missing; a permit list starts with version, valid_from and valid_to lines");
      return std::nullopt;
    }
    texts[i] = std::move(line.text);
    lines[i] = line.number;
    const auto fields = csv_rows::SplitFields(texts[i]);
    if (fields.size() != 2 || fields[0] != kKeys[i]) {
      errors.Add(line.number, kKeys[i],
                 "expected '" + std::string(kKeys[i]) + ",<value>' on this line");
      return std::nullopt;
    }
    values[i] = fields[1];
  }
  if (!ValidVersion(values[0])) {
    errors.Add(
        lines[0], "version",
        "must be 1-32 characters of A-Z a-z 0-9 . - _, got '" + std::string(values[0]) + "'");
  }
  meta.version = std::string(values[0]);
  const auto from = csv_rows::ParseDate(values[1]);
  const auto to = csv_rows::ParseDate(values[2]);
  if (!from) {
    errors.Add(lines[1], "valid_from", "not a YYYY-MM-DD date: '" + std::string(values[1]) + "'");
  }
  if (!to) {
    errors.Add(lines[2], "valid_to", "not a YYYY-MM-DD date: '" + std::string(values[2]) + "'");
  }
  if (from && to && csv_rows::StartOfDay(*from) > csv_rows::StartOfDay(*to)) {
    errors.Add(lines[1], "valid_from",
               std::string(values[1]) + " is after valid_to " + std::string(values[2]));
  }
  if (!errors.empty()) return std::nullopt;
  meta.from = *from;
  meta.to = *to;
  return meta;
}

// One data line; every problem goes to `errors`. The row when it is well-formed on its own.
std::optional<PermitRow> ParseRow(const csv_rows::Line& line, csv_rows::Errors& errors) {
  const auto f = csv_rows::SplitFields(line.text);
  if (f.size() != kColumns) {
    errors.Add(line.number, "columns",
               "expected " + std::to_string(kColumns) + " fields, got " + std::to_string(f.size()));
    return std::nullopt;
  }
  bool ok = true;
  PermitRow row;
  row.id = std::string(f[0]);
  if (row.id.empty()) {
    errors.Add(line.number, "row_id", "must not be empty");
    ok = false;
  } else if (row.id.size() > kMaxRowIdBytes || row.id.find(';') != std::string::npos ||
             row.id.front() == ' ' || row.id.back() == ' ') {
    errors.Add(line.number, "row_id",
               "must be at most 64 bytes, without ';' or surrounding spaces: '" + row.id + "'");
    ok = false;
  }
  auto requester = ParseParty(f[1], "requester", line.number, errors);
  if (requester) row.requester = std::move(*requester);
  ok = ok && requester.has_value();
  if (auto s = ValidateCode(f[2], CodeKind::kBusiness); !s.ok()) {
    errors.Add(line.number, "jm", s.error().message);
    ok = false;
  }
  row.jm = std::string(f[2]);
  if (auto s = ValidateCode(f[3], CodeKind::kProcedure); !s.ok()) {
    errors.Add(line.number, "jt", s.error().message);
    ok = false;
  }
  row.jt = std::string(f[3]);
  auto provider = ParseParty(f[4], "provider", line.number, errors);
  if (provider) row.provider = std::move(*provider);
  ok = ok && provider.has_value();

  if (f[5].empty()) {
    errors.Add(line.number, "tm_items", "the TM list is empty; a row names at least one item");
    ok = false;
  } else {
    std::string_view rest = f[5];
    int position = 1;
    while (true) {
      const size_t semi = rest.find(';');
      const std::string_view item = rest.substr(0, semi);
      if (item.empty()) {
        errors.Add(line.number, "tm_items",
                   "item " + std::to_string(position) + " is empty (stray ';')");
        ok = false;
      } else if (auto s = ValidateCode(item, CodeKind::kDataItem); !s.ok()) {
        errors.Add(line.number, "tm_items",
                   "item " + std::to_string(position) + ": " + s.error().message);
        ok = false;
      } else {
        row.tm_items.emplace_back(item);
      }
      if (semi == std::string_view::npos) break;
      rest = rest.substr(semi + 1);
      ++position;
    }
    std::sort(row.tm_items.begin(), row.tm_items.end());
    const auto dup = std::adjacent_find(row.tm_items.begin(), row.tm_items.end());
    if (dup != row.tm_items.end()) {
      errors.Add(line.number, "tm_items", "'" + *dup + "' is listed twice");
      ok = false;
    }
  }

  const auto from = csv_rows::ParseDate(f[6]);
  const auto to = csv_rows::ParseDate(f[7]);
  if (!from) {
    errors.Add(line.number, "valid_from", "not a YYYY-MM-DD date: '" + std::string(f[6]) + "'");
    ok = false;
  }
  if (!to) {
    errors.Add(line.number, "valid_to", "not a YYYY-MM-DD date: '" + std::string(f[7]) + "'");
    ok = false;
  }
  if (from && to) {
    row.valid_from = csv_rows::StartOfDay(*from);
    row.valid_to = csv_rows::EndOfDay(*to);
    if (row.valid_from > row.valid_to) {
      errors.Add(line.number, "valid_from",
                 std::string(f[6]) + " is after valid_to " + std::string(f[7]));
      ok = false;
    }
  }
  const auto weight = csv_rows::ParseDigits(f[8]);
  if (!weight || *weight > kMaxWeight) {
    errors.Add(line.number, "weight",
               "must be an integer 0-1000000000, got '" + std::string(f[8]) + "'");
    ok = false;
  } else {
    row.weight = static_cast<uint32_t>(*weight);
  }
  row.note = std::string(f[9]);
  if (!ok) return std::nullopt;
  return row;
}

}  // namespace

std::string PartySpec::ToString() const {
  return is_kind ? std::string(kKindPrefix) + std::string(InstitutionKindName(kind)) : code;
}

std::string_view PermitStatusName(PermitStatus status) {
  switch (status) {
    case PermitStatus::kPermitted:
      return "permitted";
    case PermitStatus::kNotPermitted:
      return "not_permitted";
    case PermitStatus::kUnknownRequester:
      return "unknown_requester";
    case PermitStatus::kUnknownProvider:
      return "unknown_provider";
    case PermitStatus::kListExpired:
      return "list_expired";
    case PermitStatus::kNotYetValid:
      return "not_yet_valid";
    case PermitStatus::kItemNotPermitted:
      return "item_not_permitted";
  }
  Die("unknown PermitStatus");
}

std::string PermitDecision::Reason() const {
  std::string subject_text(subject_view());
  if (subject_truncated) subject_text += "…";
  const std::string version(list_version);
  const std::string row(row_id);
  const std::string refused =
      "指定された特定個人情報名「" + subject_text + "」の照会は許可されていません。";
  switch (status) {
    case PermitStatus::kPermitted:
      return "permitted by row '" + row + "' of permit list " + version;
    case PermitStatus::kNotPermitted:
      if (subject_size == 0) {
        return "no TM item was requested, and no row of permit list " + version +
               " in force matches the requester, JM, JT and provider";
      }
      return refused + " (no row of permit list " + version +
             " in force matches the requester, JM, JT and provider)";
    case PermitStatus::kItemNotPermitted:
      if (subject_size == 0) {
        return "no TM item was requested (row '" + row + "' of permit list " + version +
               " matches the parties and procedure)";
      }
      return refused + " (row '" + row + "' of permit list " + version +
             " matches the parties and procedure but not this item)";
    case PermitStatus::kUnknownRequester:
      return "requester 機関コード '" + subject_text + "' is not a registered institution";
    case PermitStatus::kUnknownProvider:
      return "provider 機関コード '" + subject_text + "' is not a registered institution";
    case PermitStatus::kListExpired:
      return "permit list " + version + " expired after " + FormatIso(bound);
    case PermitStatus::kNotYetValid:
      return "permit list " + version + " is in force only from " + FormatIso(bound);
  }
  Die("unknown PermitStatus");
}

Result<PermitList> PermitList::LoadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(Errc::kIoError, path + ": cannot open permit list");
  return FromCsv(in, path);
}

Result<PermitList> PermitList::FromCsv(std::istream& in, std::string_view source_name) {
  csv_rows::LineReader reader(in);
  csv_rows::Errors errors(source_name);
  const auto meta = ParseMeta(reader, errors);
  if (!meta) return errors.ToError();
  const std::optional<int> header = csv_rows::ReadHeader(reader, errors, kHeader);
  if (!header) return errors.ToError();
  const int header_line = *header;
  csv_rows::Line line;

  PermitList list;
  list.version_ = meta->version;
  list.valid_from_ = csv_rows::StartOfDay(meta->from);
  list.valid_to_ = csv_rows::EndOfDay(meta->to);

  std::map<std::string, int> line_of_id;
  // (requester, JM, JT, provider) → rows so far, for the overlap rule.
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::vector<std::pair<size_t, int>>>
      by_key;
  std::map<std::string, std::pair<std::string, int>> jm_of_jt;
  while (reader.Next(line)) {
    auto row = ParseRow(line, errors);
    if (!row) continue;
    bool ok = true;
    const auto [id_it, fresh] = line_of_id.emplace(row->id, line.number);
    if (!fresh) {
      errors.Add(
          line.number, "row_id",
          "duplicate '" + row->id + "' (first on line " + std::to_string(id_it->second) + ")");
      ok = false;
    }
    if (row->valid_from < list.valid_from_) {
      errors.Add(line.number, "valid_from",
                 "the row starts " + FormatDate(row->valid_from) + ", before the list (" +
                     FormatDate(list.valid_from_) + ")");
      ok = false;
    }
    if (row->valid_to > list.valid_to_) {
      errors.Add(line.number, "valid_to",
                 "the row ends " + FormatDate(row->valid_to) + ", after the list (" +
                     FormatDate(list.valid_to_) + ")");
      ok = false;
    }
    const auto [jt_it, new_jt] = jm_of_jt.emplace(row->jt, std::make_pair(row->jm, line.number));
    if (!new_jt && jt_it->second.first != row->jm) {
      errors.Add(line.number, "jt",
                 "'" + row->jt + "' already belongs to " + jt_it->second.first + " (line " +
                     std::to_string(jt_it->second.second) + "); a procedure has one business");
      ok = false;
    }
    auto& same = by_key[{row->requester.ToString(), row->jm, row->jt, row->provider.ToString()}];
    for (const auto& [index, other_line] : same) {
      const PermitRow& other = list.rows_[index];
      if (row->valid_from <= other.valid_to && other.valid_from <= row->valid_to) {
        errors.Add(line.number, "validity",
                   "overlaps row '" + other.id + "' (line " + std::to_string(other_line) +
                       ") with the same requester, JM, JT and provider; end one row before "
                       "the other starts");
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    same.emplace_back(list.rows_.size(), line.number);
    list.rows_.push_back(std::move(*row));
  }
  if (errors.empty() && list.rows_.empty()) {
    errors.Add(header_line, "rows",
               "the list has no rows; an empty list is refused rather than denying everything");
  }
  if (!errors.empty()) return errors.ToError();
  list.BuildIndex();
  return list;
}

void PermitList::BuildIndex() {
  compiled_.clear();
  tm_codes_.clear();
  index_rows_.clear();
  index_.clear();
  total_weight_ = 0;
  auto compile_party = [](const PartySpec& p) {
    CompiledParty c;
    c.is_kind = p.is_kind;
    c.kind = p.kind;
    if (!p.is_kind) {
      const auto key = InstitutionKey(p.code);
      if (!key) Die("permit row holds a malformed 機関コード");
      c.code = *key;
    }
    return c;
  };
  std::vector<std::pair<uint64_t, uint64_t>> keys;
  keys.reserve(rows_.size());
  for (const auto& row : rows_) {
    CompiledRow c;
    c.requester = compile_party(row.requester);
    c.provider = compile_party(row.provider);
    c.from = row.valid_from.micros();
    c.to = row.valid_to.micros();
    c.tm_begin = static_cast<uint32_t>(tm_codes_.size());
    for (const auto& tm : row.tm_items) {
      const auto digits = CodeDigits(tm, 'T', 'M');
      if (!digits) Die("permit row holds a malformed TM code");
      tm_codes_.push_back(*digits);
    }
    c.tm_end = static_cast<uint32_t>(tm_codes_.size());
    std::sort(tm_codes_.begin() + c.tm_begin, tm_codes_.end());
    compiled_.push_back(c);
    const auto jm = CodeDigits(row.jm, 'J', 'M');
    const auto jt = CodeDigits(row.jt, 'J', 'T');
    if (!jm || !jt) Die("permit row holds a malformed JM or JT code");
    keys.emplace_back(*jm, *jt);
    total_weight_ += row.weight;
  }
  // Each key's rows are contiguous and in file order, and keys are laid out in first-seen
  // order, so nothing depends on hash order.
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint32_t, uint32_t>> ranges;  // begin, count
  std::vector<std::pair<uint64_t, uint64_t>> first_seen;
  for (const auto& key : keys) {
    const auto [it, fresh] = ranges.try_emplace(key, 0, 0);
    if (fresh) first_seen.push_back(key);
    ++it->second.second;
  }
  uint32_t offset = 0;
  for (const auto& key : first_seen) {
    auto& range = ranges[key];
    range.first = offset;
    offset += range.second;
    range.second = range.first;  // now the next free position
  }
  index_rows_.assign(rows_.size(), 0);
  for (uint32_t i = 0; i < keys.size(); ++i) index_rows_[ranges[keys[i]].second++] = i;

  size_t slots = 16;
  int bits = 4;
  while (slots < 2 * ranges.size()) {
    slots *= 2;
    ++bits;
  }
  index_.assign(slots, IndexSlot{});
  index_shift_ = 64 - bits;
  for (const auto& [key, range] : ranges) {
    for (size_t h = IndexSlotOf(key.first, key.second, index_shift_);; h = (h + 1) & (slots - 1)) {
      if (index_[h].end == 0) {
        index_[h] = IndexSlot{key.first, key.second, range.first, range.second};
        break;
      }
    }
  }
}

PermitDecision PermitList::Check(const PermitRequest& request, const InstitutionRegistry& registry,
                                 SimTime now) const {
  PermitDecision d;
  d.list_version = version_;
  auto set_subject = [&d](std::string_view s) {
    d.subject_size = static_cast<uint8_t>(std::min(s.size(), d.subject.size()));
    std::copy_n(s.data(), d.subject_size, d.subject.data());
    d.subject_truncated = s.size() > d.subject.size();
  };
  if (now < valid_from_) {
    d.status = PermitStatus::kNotYetValid;
    d.bound = valid_from_;
    return d;
  }
  if (now > valid_to_) {
    d.status = PermitStatus::kListExpired;
    d.bound = valid_to_;
    return d;
  }
  const Institution* requester = registry.Find(request.requester);
  if (requester == nullptr) {
    d.status = PermitStatus::kUnknownRequester;
    set_subject(request.requester);
    return d;
  }
  const Institution* provider = registry.Find(request.provider);
  if (provider == nullptr) {
    d.status = PermitStatus::kUnknownProvider;
    set_subject(request.provider);
    return d;
  }
  d.status = PermitStatus::kNotPermitted;
  if (!request.tm_items.empty()) set_subject(request.tm_items.front());
  const auto jm = CodeDigits(request.jm, 'J', 'M');
  const auto jt = CodeDigits(request.jt, 'J', 'T');
  if (!jm || !jt) return d;
  if (index_.empty()) return d;
  const size_t mask = index_.size() - 1;
  const IndexSlot* slot = nullptr;
  for (size_t h = IndexSlotOf(*jm, *jt, index_shift_);; h = (h + 1) & mask) {
    if (index_[h].end == 0) return d;
    if (index_[h].jm == *jm && index_[h].jt == *jt) {
      slot = &index_[h];
      break;
    }
  }
  // Registry lookups succeeded, so both codes are 16 digits.
  const uint64_t requester_key = *InstitutionKey(request.requester);
  const uint64_t provider_key = *InstitutionKey(request.provider);
  auto matches = [](const CompiledParty& p, uint64_t key, InstitutionKind kind) {
    return p.is_kind ? p.kind == kind : p.code == key;
  };
  const int64_t t = now.micros();
  int64_t partial_row = -1;
  size_t partial_item = 0;
  for (uint32_t k = slot->begin; k < slot->end; ++k) {
    const uint32_t r = index_rows_[k];
    const CompiledRow& row = compiled_[r];
    if (t < row.from || t > row.to) continue;
    if (!matches(row.requester, requester_key, requester->kind)) continue;
    if (!matches(row.provider, provider_key, provider->kind)) continue;
    // The first item the row does not cover; tm_items.size() when it covers all.
    size_t missing = request.tm_items.size();
    for (size_t i = 0; i < request.tm_items.size(); ++i) {
      const auto tm = CodeDigits(request.tm_items[i], 'T', 'M');
      if (!tm || !std::binary_search(tm_codes_.begin() + row.tm_begin,
                                     tm_codes_.begin() + row.tm_end, *tm)) {
        missing = i;
        break;
      }
    }
    if (!request.tm_items.empty() && missing == request.tm_items.size()) {
      d.status = PermitStatus::kPermitted;
      d.row_id = rows_[r].id;
      d.subject_size = 0;
      d.subject_truncated = false;
      return d;
    }
    if (partial_row < 0) {
      partial_row = r;
      partial_item = missing;
    }
  }
  if (partial_row >= 0) {
    d.status = PermitStatus::kItemNotPermitted;
    d.row_id = rows_[static_cast<size_t>(partial_row)].id;
    if (request.tm_items.empty()) {
      d.subject_size = 0;
    } else {
      set_subject(request.tm_items[partial_item]);
    }
  }
  return d;
}

void PermitList::WriteCsv(std::ostream& out) const {
  out << "version," << version_ << "\n"
      << "valid_from," << FormatDate(valid_from_) << "\n"
      << "valid_to," << FormatDate(valid_to_) << "\n"
      << kHeader << "\n";
  for (const auto& row : rows_) {
    out << row.id << ',' << row.requester.ToString() << ',' << row.jm << ',' << row.jt << ','
        << row.provider.ToString() << ',';
    for (size_t i = 0; i < row.tm_items.size(); ++i) out << (i ? ";" : "") << row.tm_items[i];
    out << ',' << FormatDate(row.valid_from) << ',' << FormatDate(row.valid_to) << ',' << row.weight
        << ',' << row.note << "\n";
  }
}

PermitList PermitList::GenerateFull(uint64_t seed) {
  Rng rng(seed, Rng::StreamId("permit_list/generate_full"));
  PermitList list;
  list.version_ = "generated-" + std::to_string(seed);
  list.valid_from_ = csv_rows::StartOfDay({2024, 4, 1});
  list.valid_to_ = csv_rows::EndOfDay({2027, 3, 31});
  const SimTime revision_start = csv_rows::StartOfDay({2025, 4, 1});
  const SimTime revision_end = csv_rows::EndOfDay({2026, 3, 31});
  constexpr uint64_t kTmPool = 400;

  // Proportions after the real table: municipalities make most queries, and most data comes
  // from municipalities (tax, resident records), pensions and insurers.
  auto requester_kind = [&rng] {
    const uint64_t x = rng.Uniform(100);
    if (x < 68) return InstitutionKind::kMunicipality;
    if (x < 80) return InstitutionKind::kPrefecture;
    if (x < 86) return InstitutionKind::kMinistry;
    if (x < 92) return InstitutionKind::kPension;
    if (x < 98) return InstitutionKind::kMedicalInsurer;
    return InstitutionKind::kOtherNational;
  };
  auto provider_kind = [&rng] {
    const uint64_t x = rng.Uniform(100);
    if (x < 62) return InstitutionKind::kMunicipality;
    if (x < 72) return InstitutionKind::kPrefecture;
    if (x < 82) return InstitutionKind::kPension;
    if (x < 92) return InstitutionKind::kMedicalInsurer;
    if (x < 97) return InstitutionKind::kMinistry;
    return InstitutionKind::kJLis;
  };
  auto code = [](std::string_view prefix, uint64_t a, uint64_t b) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%.2s9%05llu%08llu", prefix.data(),
                  static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
    return std::string(buf);
  };

  for (uint64_t business = 1; list.rows_.size() < kGeneratedRows; ++business) {
    const uint64_t procedures = 2 + rng.Uniform(13);
    for (uint64_t p = 1; p <= procedures && list.rows_.size() < kGeneratedRows; ++p) {
      const InstitutionKind requester = requester_kind();
      const int providers = rng.Bernoulli(0.3) ? 2 : 1;
      InstitutionKind first_provider = InstitutionKind::kMunicipality;
      for (int k = 0; k < providers && list.rows_.size() < kGeneratedRows; ++k) {
        PermitRow row;
        char id[16];
        std::snprintf(id, sizeof id, "G%04zu", list.rows_.size() + 1);
        row.id = id;
        row.requester.kind = requester;
        row.jm = code("JM", business, 0);
        row.jt = code("JT", business, p);
        InstitutionKind provider = provider_kind();
        while (k == 1 && provider == first_provider) provider = provider_kind();
        first_provider = provider;
        row.provider.kind = provider;
        std::set<std::string> items;
        const uint64_t count = 1 + rng.Uniform(4);
        while (items.size() < count) items.insert(code("TM", 0, 1 + rng.Uniform(kTmPool)));
        row.tm_items.assign(items.begin(), items.end());
        row.valid_from = list.valid_from_;
        row.valid_to = list.valid_to_;
        // A few procedures start or end mid-list, as revisions of the table do.
        const uint64_t revision = rng.Uniform(100);
        if (revision < 3) row.valid_from = revision_start;
        if (revision >= 3 && revision < 5) row.valid_to = revision_end;
        row.weight = 1;
        row.note =
            "generated business " + std::to_string(business) + " procedure " + std::to_string(p);
        list.rows_.push_back(std::move(row));
      }
    }
  }

  // ~30 procedures carry ~80 % of the traffic (Board of Audit). Weights 1972/k for ranks
  // k = 1..30 sum to ~7,878 against 1,970 for the tail: 80 %. Only full-validity municipal
  // requester rows qualify, as the busiest real procedures are municipalities' year-round ones.
  std::vector<size_t> eligible;
  for (size_t i = 0; i < list.rows_.size(); ++i) {
    const PermitRow& r = list.rows_[i];
    if (r.requester.kind == InstitutionKind::kMunicipality && r.valid_from == list.valid_from_ &&
        r.valid_to == list.valid_to_) {
      eligible.push_back(i);
    }
  }
  constexpr uint32_t kTopWeight = 1972;
  for (uint32_t rank = 1; rank <= kGeneratedHighTrafficRows; ++rank) {
    const uint64_t pick = rng.Uniform(eligible.size());
    list.rows_[eligible[pick]].weight = (kTopWeight + rank / 2) / rank;
    eligible.erase(eligible.begin() + static_cast<std::ptrdiff_t>(pick));
  }
  list.BuildIndex();
  return list;
}

bool AcceptableCopy(const PermitList& local, SimTime now, Duration staleness_window) {
  return now >= local.valid_from() && now <= local.valid_to() + staleness_window;
}

}  // namespace renkei::netsim
