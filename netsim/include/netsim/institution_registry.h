// The institution registry: every body connected to the information-provision network (NWS).
//
// The core needs to know, for every 機関コード it sees, what kind of body it is (the permit list
// grants by kind: "any municipality may ask any municipality"), its name for people, its
// 地方公共団体コード if it is a local body, and where to reach it (the endpoint). The registry is
// loaded once from a CSV file (netsim/data/institutions.csv is the shipped one) or generated at
// full national size, and then only read.
//
// File format (UTF-8; docs/nws.md has it with examples): lines starting with '#' and blank lines
// are ignored; the first other line is the header
//     institution_code,kind,lg_code,name,endpoint
// then one body per line. No quoting: fields never contain commas. A file with any bad row is
// refused as a whole; the error lists every bad row as "file:line: field: reason".
//
// 機関コード layout (identifiers.h, docs/identifiers.md): class "10" + 地方公共団体コード + organ
// number for local bodies; classes "20"-"29" for national bodies. A local body whose municipal
// number (digits 3-5 of its 地方公共団体コード) is 800-999 is synthetic: no real municipality uses
// those numbers, and GenerateFull draws from them only.
//
// Thread safety: a registry is immutable after construction; any number of threads may read one
// concurrently. Pointers returned by lookups stay valid while the registry lives; moving the
// registry keeps them valid (the bodies' buffer moves with it), copying does not carry them over.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "netsim/result.h"

namespace renkei::netsim {

enum class InstitutionKind : uint8_t {
  kPrefecture,      // 都道府県
  kMunicipality,    // 市町村 and 特別区
  kMinistry,        // 府省庁 (厚生労働省, デジタル庁, ...)
  kPension,         // 日本年金機構
  kMedicalInsurer,  // 健康保険組合, 全国健康保険協会, 国民健康保険団体連合会
  kJLis,            // 地方公共団体情報システム機構
  kOtherNational,  // any other national body
};
inline constexpr int kInstitutionKindCount = 7;

// The spelling used in files: "prefecture", "municipality", "ministry", "pension",
// "medical_insurer", "jlis", "other_national".
std::string_view InstitutionKindName(InstitutionKind kind);
std::optional<InstitutionKind> ParseInstitutionKind(std::string_view name);
// Prefectures and municipalities: the bodies with a 地方公共団体コード (機関コード class 10).
bool IsLocalKind(InstitutionKind kind);

// The default endpoint of a body: "sim://<機関コード>" (a later issue maps endpoints to TCP).
std::string DefaultEndpoint(std::string_view institution_code);

struct Institution {
  std::string code;  // 機関コード, 16 digits, valid
  InstitutionKind kind = InstitutionKind::kMunicipality;
  std::string name;        // Japanese, non-empty
  std::string lg_code;     // 地方公共団体コード for local bodies, empty for national ones
  std::string endpoint;    // never empty: DefaultEndpoint(code) unless the file names another
  bool synthetic = false;  // made up by GenerateFull (municipal number 800-999)

  bool operator==(const Institution&) const = default;
};

class InstitutionRegistry {
 public:
  // Real counts: 47 prefectures and 1,741 municipalities (incl. the 23 special wards).
  static constexpr int kPrefectureCount = 47;
  static constexpr int kMunicipalityCount = 1741;
  static constexpr int kLocalBodyCount = kPrefectureCount + kMunicipalityCount;

  // Reads a registry file. kIoError when it cannot be opened, kParseError (every bad row,
  // "path:line: field: reason", one per line of the message) when any row is bad or there is no
  // row at all.
  static Result<InstitutionRegistry> LoadCsv(const std::string& path);
  static Result<InstitutionRegistry> FromCsv(std::istream& in, std::string_view source_name);

  // The full national registry: every body of `base` (which must hold all 47 prefectures and no
  // more municipalities per prefecture than the real count) plus synthetic municipalities
  // filling each prefecture up to its real number, 1,788 local bodies in all. Synthetic bodies
  // get municipal numbers 800-999 (so they never collide with real ones), plausible unique names
  // ("美川市", "北原町", ...) and synthetic = true. Deterministic for (seed, base).
  // kInvalidArgument when `base` cannot be completed.
  static Result<InstitutionRegistry> GenerateFull(uint64_t seed, const InstitutionRegistry& base);

  // Writes the registry in the file format above, in code order; FromCsv reads it back equal.
  void WriteCsv(std::ostream& out) const;

  // nullptr when no registered body has this 機関コード. Never allocates: the permit check calls
  // it twice per request.
  const Institution* Find(std::string_view institution_code) const;
  // The executive (organ 0000000) of the local body with this 地方公共団体コード, or nullptr.
  const Institution* FindByLgCode(std::string_view lg_code) const;
  // The one body with exactly this name. kNotFound when none, kInvalidArgument naming the codes
  // when several bodies share it (real Japan has two 府中市 and two 伊達市).
  Result<const Institution*> FindByName(std::string_view name) const;

  // All bodies in 機関コード order (deterministic).
  const std::vector<Institution>& institutions() const { return bodies_; }
  auto begin() const { return bodies_.begin(); }
  auto end() const { return bodies_.end(); }
  size_t size() const { return bodies_.size(); }
  int CountOfKind(InstitutionKind kind) const;

 private:
  InstitutionRegistry() = default;
  // Sorts, indexes; the bodies were validated by the caller.
  static InstitutionRegistry Build(std::vector<Institution> bodies);

  std::vector<Institution> bodies_;
  // 機関コード as a number → index, open addressing (linear probing, load <= 1/2): the permit
  // check looks up two bodies per request, and a node-based map costs a pointer chase each.
  struct CodeSlot {
    uint64_t key = 0;
    uint32_t index = UINT32_MAX;  // UINT32_MAX: empty
  };
  std::vector<CodeSlot> code_slots_;
  int code_shift_ = 64;
  std::unordered_map<uint32_t, uint32_t> by_lgcode_;  // 地方公共団体コード as a number → index
  std::unordered_map<std::string, std::vector<uint32_t>> by_name_;
};

// The 機関コード of a national body: class (20-29) followed by a 13-digit serial and the check
// digit. renkei's convention for the classes (docs/nws.md): 20 ministries, 21 J-LIS, 22 pension,
// 23 medical insurers, 29 other national bodies. Aborts on a class outside 20-29 or a serial of
// 10^13 or more (caller bug).
std::string NationalInstitutionCode(int institution_class, uint64_t serial);

}  // namespace renkei::netsim
