#include "netsim/institution_registry.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <utility>

#include "csv_rows.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

constexpr std::string_view kHeader = "institution_code,kind,lg_code,name,endpoint";
constexpr size_t kColumns = 5;

constexpr std::array<std::string_view, kInstitutionKindCount> kKindNames = {
    "prefecture",      "municipality", "ministry",       "pension",
    "medical_insurer", "jlis",         "other_national",
};

// Real municipality counts per prefecture (01 北海道 .. 47 沖縄県), 1,741 in all: the generator
// fills each prefecture up to its count so a full registry has the real shape.
constexpr std::array<int, 47> kMunicipalitiesPerPrefecture = {
    179, 40, 33, 35, 25, 35, 59, 44, 25, 35, 63, 54, 62, 33, 30, 15, 19, 17, 27, 77, 42, 35, 54, 29,
    19,  26, 43, 41, 39, 30, 19, 19, 27, 23, 19, 24, 17, 20, 34, 60, 20, 21, 45, 18, 26, 43, 41,
};

// Synthetic municipal numbers: no real municipality uses 800-999, so a synthetic body can never
// take a real body's code, and its code alone says it is synthetic.
constexpr int kFirstSyntheticNumber = 800;
constexpr int kLastSyntheticNumber = 999;

// Syllables of synthetic place names: two kanji and a suffix read like a real municipality
// ("美川町") without being one that scenario authors would mistake for a specific real town.
constexpr std::array<std::string_view, 40> kNameHeads = {
    "北", "南", "東", "西", "上", "下", "大", "小", "新", "高", "中", "本", "若", "美",
    "青", "白", "赤", "黒", "長", "広", "豊", "富", "松", "竹", "梅", "桜", "花", "岩",
    "石", "朝", "日", "月", "星", "雲", "志", "常", "瑞", "清", "安", "栄",
};
constexpr std::array<std::string_view, 30> kNameTails = {
    "川", "山", "田", "野", "原", "沢", "浜", "島", "宮", "津", "岡", "崎", "瀬", "谷", "坂",
    "里", "郷", "見", "和", "井", "池", "尾", "部", "根", "木", "橋", "江", "浦", "平", "丘",
};

[[noreturn]] void Die(std::string_view what) {
  std::cerr << "renkei: broken invariant: " << what << "\n";
  std::abort();
}

int Mod11CheckDigit(std::string_view digits) {
  int sum = 0;
  int n = 1;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++n) {
    sum += (*it - '0') * ((n - 1) % 6 + 2);
  }
  const int r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

// Municipal number (digits 3-5) of a valid 地方公共団体コード.
int MunicipalNumber(std::string_view lg_code) {
  return (lg_code[2] - '0') * 100 + (lg_code[3] - '0') * 10 + (lg_code[4] - '0');
}

bool IsSyntheticLocal(std::string_view lg_code) {
  return !lg_code.empty() && MunicipalNumber(lg_code) >= kFirstSyntheticNumber;
}

std::string LgCodeFor(int prefecture, int municipal_number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d%03d", prefecture, municipal_number);
  const auto check = LgCodeCheckDigit(buf);
  if (!check.ok()) Die("generated 地方公共団体コード body is not 5 digits");
  return std::string(buf) + static_cast<char>('0' + check.value());
}

std::string PrefectureLgCode(int prefecture) { return LgCodeFor(prefecture, 0); }

bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Checks one data line's fields; adds each problem to `errors`. Returns the body when the row
// is good.
std::optional<Institution> ParseRow(const csv_rows::Line& line, csv_rows::Errors& errors) {
  const auto fields = csv_rows::SplitFields(line.text);
  if (fields.size() != kColumns) {
    errors.Add(
        line.number, "columns",
        "expected " + std::to_string(kColumns) + " fields, got " + std::to_string(fields.size()));
    return std::nullopt;
  }
  bool ok = true;
  Institution body;
  body.code = std::string(fields[0]);
  const auto kind = ParseInstitutionKind(fields[1]);
  if (!kind) {
    errors.Add(line.number, "kind",
               "unknown kind '" + std::string(fields[1]) +
                   "' (prefecture, municipality, ministry, pension, medical_insurer, jlis, "
                   "other_national)");
    ok = false;
  } else {
    body.kind = *kind;
  }
  if (auto s = ValidateInstitutionCode(body.code); !s.ok()) {
    errors.Add(line.number, "institution_code", s.error().message);
    ok = false;
  } else if (kind) {
    const bool local_code = body.code.starts_with("10");
    if (IsLocalKind(*kind) && !local_code) {
      errors.Add(line.number, "institution_code",
                 "a " + std::string(fields[1]) + " needs a class 10 機関コード, got class " +
                     body.code.substr(0, 2));
      ok = false;
    } else if (!IsLocalKind(*kind) && local_code) {
      errors.Add(line.number, "institution_code",
                 "a national body (" + std::string(fields[1]) +
                     ") needs a class 20-29 機関コード, got class 10");
      ok = false;
    }
  }
  body.lg_code = std::string(fields[2]);
  if (kind && IsLocalKind(*kind)) {
    if (auto s = ValidateLgCode(body.lg_code); !s.ok()) {
      errors.Add(line.number, "lg_code", s.error().message);
      ok = false;
    } else {
      const int number = MunicipalNumber(body.lg_code);
      if (*kind == InstitutionKind::kPrefecture && number != 0) {
        errors.Add(line.number, "lg_code",
                   "a prefecture's 地方公共団体コード has municipal number 000, got '" +
                       body.lg_code + "'");
        ok = false;
      } else if (*kind == InstitutionKind::kMunicipality && number == 0) {
        errors.Add(line.number, "lg_code",
                   "municipal number 000 is a prefecture's, not a municipality's ('" +
                       body.lg_code + "')");
        ok = false;
      } else if (ok) {
        const auto embedded = LgCodeOfInstitution(body.code);
        if (embedded.ok() && embedded.value() != body.lg_code) {
          errors.Add(line.number, "lg_code",
                     "'" + body.lg_code + "' differs from the 地方公共団体コード '" +
                         embedded.value() + "' inside the 機関コード");
          ok = false;
        }
      }
    }
  } else if (kind && !body.lg_code.empty()) {
    errors.Add(line.number, "lg_code", "a national body has no 地方公共団体コード");
    ok = false;
  }
  body.name = std::string(fields[3]);
  if (body.name.empty()) {
    errors.Add(line.number, "name", "must not be empty");
    ok = false;
  }
  if (HasSpace(fields[4])) {
    errors.Add(line.number, "endpoint", "must not contain spaces or tabs");
    ok = false;
  }
  body.endpoint = fields[4].empty() ? DefaultEndpoint(body.code) : std::string(fields[4]);
  body.synthetic = IsSyntheticLocal(body.lg_code);
  if (!ok) return std::nullopt;
  return body;
}

// Fibonacci hashing: the top bits of key * 2^64/phi.
size_t SlotOf(uint64_t key, int shift) {
  return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift);
}

uint64_t CodeKey(std::string_view code) {
  const auto v = csv_rows::ParseDigits(code);
  if (!v) Die("registry holds a non-numeric 機関コード");
  return *v;
}

}  // namespace

std::string_view InstitutionKindName(InstitutionKind kind) {
  return kKindNames[static_cast<size_t>(kind)];
}

std::optional<InstitutionKind> ParseInstitutionKind(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<InstitutionKind>(i);
  }
  return std::nullopt;
}

bool IsLocalKind(InstitutionKind kind) {
  return kind == InstitutionKind::kPrefecture || kind == InstitutionKind::kMunicipality;
}

std::string DefaultEndpoint(std::string_view institution_code) {
  return "sim://" + std::string(institution_code);
}

std::string NationalInstitutionCode(int institution_class, uint64_t serial) {
  if (institution_class < 20 || institution_class > 29 || serial >= 10'000'000'000'000ULL) {
    Die("national 機関コード class must be 20-29 and serial below 10^13");
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d%013llu", institution_class,
                static_cast<unsigned long long>(serial));
  std::string code(buf);
  code.push_back(static_cast<char>('0' + Mod11CheckDigit(code)));
  return code;
}

Result<InstitutionRegistry> InstitutionRegistry::LoadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(Errc::kIoError, path + ": cannot open institution registry");
  return FromCsv(in, path);
}

Result<InstitutionRegistry> InstitutionRegistry::FromCsv(std::istream& in,
                                                         std::string_view source_name) {
  csv_rows::LineReader reader(in);
  csv_rows::Errors errors(source_name);
  const std::optional<int> header = csv_rows::ReadHeader(reader, errors, kHeader);
  if (!header) return errors.ToError();
  const int header_line = *header;
  csv_rows::Line line;
  std::vector<Institution> bodies;
  std::unordered_map<std::string, int> line_of_code;
  while (reader.Next(line)) {
    auto body = ParseRow(line, errors);
    if (!body) continue;
    const auto [it, inserted] = line_of_code.emplace(body->code, line.number);
    if (!inserted) {
      errors.Add(
          line.number, "institution_code",
          "duplicate '" + body->code + "' (first on line " + std::to_string(it->second) + ")");
      continue;
    }
    bodies.push_back(std::move(*body));
  }
  if (errors.empty() && bodies.empty()) {
    errors.Add(header_line, "rows", "no institutions after the header");
  }
  if (!errors.empty()) return errors.ToError();
  return Build(std::move(bodies));
}

InstitutionRegistry InstitutionRegistry::Build(std::vector<Institution> bodies) {
  std::sort(bodies.begin(), bodies.end(),
            [](const Institution& a, const Institution& b) { return a.code < b.code; });
  InstitutionRegistry r;
  r.bodies_ = std::move(bodies);
  size_t slots = 16;
  int bits = 4;
  while (slots < 2 * r.bodies_.size()) {
    slots *= 2;
    ++bits;
  }
  r.code_slots_.assign(slots, CodeSlot{});
  r.code_shift_ = 64 - bits;
  for (uint32_t i = 0; i < r.bodies_.size(); ++i) {
    const Institution& b = r.bodies_[i];
    const uint64_t key = CodeKey(b.code);
    for (size_t h = SlotOf(key, r.code_shift_);; h = (h + 1) & (slots - 1)) {
      if (r.code_slots_[h].index == UINT32_MAX) {
        r.code_slots_[h] = CodeSlot{key, i};
        break;
      }
    }
    if (!b.lg_code.empty() && b.code == InstitutionCodeForLgCode(b.lg_code)) {
      r.by_lgcode_.emplace(static_cast<uint32_t>(CodeKey(b.lg_code)), i);
    }
    r.by_name_[b.name].push_back(i);
  }
  return r;
}

Result<InstitutionRegistry> InstitutionRegistry::GenerateFull(uint64_t seed,
                                                              const InstitutionRegistry& base) {
  std::vector<Institution> bodies = base.bodies_;
  std::set<std::string> names;
  for (const auto& b : bodies) names.insert(b.name);
  std::array<int, 47> existing{};
  std::array<std::set<int>, 47> used_numbers;
  for (const auto& b : bodies) {
    if (b.kind != InstitutionKind::kMunicipality) continue;
    const int p = LgCodePrefecture(b.lg_code);
    ++existing[p - 1];
    used_numbers[p - 1].insert(MunicipalNumber(b.lg_code));
  }
  Rng rng(seed, Rng::StreamId("institution_registry/synthetic_municipalities"));
  for (int p = 1; p <= kPrefectureCount; ++p) {
    const Institution* pref = base.FindByLgCode(PrefectureLgCode(p));
    if (pref == nullptr || pref->kind != InstitutionKind::kPrefecture) {
      return MakeError(Errc::kInvalidArgument, "base registry lacks prefecture " +
                                                   PrefectureLgCode(p) +
                                                   "; all 47 are needed to generate the rest");
    }
    const int need = kMunicipalitiesPerPrefecture[p - 1] - existing[p - 1];
    if (need < 0) {
      return MakeError(Errc::kInvalidArgument,
                       pref->name + " has " + std::to_string(existing[p - 1]) +
                           " municipalities in the base registry, more than the real " +
                           std::to_string(kMunicipalitiesPerPrefecture[p - 1]));
    }
    int number = kFirstSyntheticNumber;
    for (int k = 0; k < need; ++k) {
      while (number <= kLastSyntheticNumber && used_numbers[p - 1].count(number) != 0) ++number;
      if (number > kLastSyntheticNumber) {
        return MakeError(Errc::kInvalidArgument,
                         pref->name + ": synthetic municipal numbers 800-999 exhausted");
      }
      Institution body;
      body.kind = InstitutionKind::kMunicipality;
      body.lg_code = LgCodeFor(p, number++);
      body.code = InstitutionCodeForLgCode(body.lg_code);
      body.endpoint = DefaultEndpoint(body.code);
      body.synthetic = true;
      // Cities are about a third of real municipalities, towns a half, villages the rest.
      // 40 x 30 x 3 = 3,600 names for at most 1,741 bodies: a redraw is rarely needed.
      do {
        const uint64_t suffix_draw = rng.Uniform(100);
        const std::string_view suffix = suffix_draw < 35 ? "市" : suffix_draw < 85 ? "町" : "村";
        body.name = std::string(kNameHeads[rng.Uniform(kNameHeads.size())]) +
                    std::string(kNameTails[rng.Uniform(kNameTails.size())]) + std::string(suffix);
      } while (!names.insert(body.name).second);
      bodies.push_back(std::move(body));
    }
  }
  return Build(std::move(bodies));
}

void InstitutionRegistry::WriteCsv(std::ostream& out) const {
  out << kHeader << "\n";
  for (const auto& b : bodies_) {
    out << b.code << ',' << InstitutionKindName(b.kind) << ',' << b.lg_code << ',' << b.name << ','
        << (b.endpoint == DefaultEndpoint(b.code) ? std::string() : b.endpoint) << "\n";
  }
}

const Institution* InstitutionRegistry::Find(std::string_view institution_code) const {
  if (institution_code.size() != kInstitutionCodeLength) return nullptr;
  const auto key = csv_rows::ParseDigits(institution_code);
  if (!key) return nullptr;
  if (code_slots_.empty()) return nullptr;  // a moved-from registry
  const size_t mask = code_slots_.size() - 1;
  for (size_t h = SlotOf(*key, code_shift_);; h = (h + 1) & mask) {
    const CodeSlot& slot = code_slots_[h];
    if (slot.index == UINT32_MAX) return nullptr;
    if (slot.key == *key) return &bodies_[slot.index];
  }
}

const Institution* InstitutionRegistry::FindByLgCode(std::string_view lg_code) const {
  if (lg_code.size() != kLgCodeLength) return nullptr;
  const auto key = csv_rows::ParseDigits(lg_code);
  if (!key) return nullptr;
  const auto it = by_lgcode_.find(static_cast<uint32_t>(*key));
  return it == by_lgcode_.end() ? nullptr : &bodies_[it->second];
}

Result<const Institution*> InstitutionRegistry::FindByName(std::string_view name) const {
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) {
    return MakeError(Errc::kNotFound, "no institution named '" + std::string(name) + "'");
  }
  if (it->second.size() > 1) {
    std::string codes;
    for (const uint32_t i : it->second) codes += (codes.empty() ? "" : ", ") + bodies_[i].code;
    return MakeError(Errc::kInvalidArgument, std::to_string(it->second.size()) +
                                                 " institutions are named '" + std::string(name) +
                                                 "' (" + codes + "); look one up by code");
  }
  return &bodies_[it->second.front()];
}

int InstitutionRegistry::CountOfKind(InstitutionKind kind) const {
  return static_cast<int>(std::count_if(bodies_.begin(), bodies_.end(),
                                        [kind](const Institution& b) { return b.kind == kind; }));
}

}  // namespace renkei::netsim
