// Synthetic residents of one municipality, and the CSV form they travel in.
//
// ResidentGenerator produces realistic-looking but invented residents: common Japanese surnames
// weighted roughly by real frequency, given names that fit the birth generation, each with its
// katakana reading, a birth date drawn from Japan's 2020-census age pyramid, a sex ratio of about
// 0.95 men per woman, and an address on a real town (町名) of the municipality. It exists to feed
// the addressing server's bulk import and load tests, so every identifier is valid and unique
// and the output depends only on (seed, 地方公共団体コード, reference date): the first N residents
// are the same whatever the total requested.
//
// Uniqueness without a hash set [renkei]: resident i of the body with code lgcode has the index
// x = i * 47000 + slot(lgcode), slot = (prefecture - 1) * 1000 + the three municipality digits.
// The 個人番号's 11-digit body is a keyed permutation (seeded by `seed` alone) of x mod 10^11 and
// the 住民票コード's 10-digit body a second permutation of x mod 10^10, so:
//   - within one generator all 個人番号 and 住民票コード are distinct for the first
//     kMaxResidents residents (the index step 47000 has period 10^8 mod 10^11 and 10^7 mod 10^10);
//   - generators of different bodies with the same seed never share a 個人番号 while each stays
//     below kCrossBodyUniqueResidents (10^11 / 47000), nor a 住民票コード below 212,765.
// The 宛名番号 (the 住基 system's own number) is the 6-digit 地方公共団体コード followed by a
// 9-digit serial number starting at 000000001, in generation order, as a municipality numbers
// its registrations; it has no check digit.
//
// Only the ten municipalities of SupportedMunicipalities() have address tables. Create refuses
// any other valid code (netsim::Errc::kNotFound, naming the supported codes) rather than give it
// invented town names: an address that names a real prefecture but no real municipality would
// defeat the purpose of realistic data. Worlds of the whole country (1,788 bodies, most of them
// synthetic, netsim::InstitutionRegistry::GenerateFull) ask for it explicitly with CreateGeneric:
// the body's own name and a list of town names common to many Japanese municipalities (本町,
// 栄町, 中央, 旭町, ...), so every address still reads as one, and the residents' identifiers
// keep every guarantee above.
//
// Errors use netsim::Errc: kInvalidArgument for a malformed code or date, kNotFound for a valid
// code without an address table.
//
// Thread safety: a ResidentGenerator is a value with its own random stream; use one per thread.
// The free functions are pure.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "addressing/person.h"
#include "netsim/result.h"
#include "netsim/rng.h"

namespace renkei::addressing {

struct Date {
  int year = 2000;
  int month = 1;
  int day = 1;
  auto operator<=>(const Date&) const = default;
};

// "YYYY-MM-DD", exactly 10 characters, a real calendar day between 1900-01-01 and 2199-12-31.
Result<Date> ParseDate(std::string_view text);
std::string FormatDate(const Date& date);

struct Resident {
  std::string my_number;      // 個人番号, 12 digits
  std::string juminhyo_code;  // 住民票コード, 11 digits
  std::string atena_number;   // 宛名番号, 15 digits: lgcode + 9-digit serial
  std::string name;           // 氏名 "山田 太郎": surname, one ASCII space, given name
  std::string name_kana;  // 氏名カナ "ヤマダ タロウ": full-width katakana, one ASCII space
  Sex sex = Sex::kNotKnown;  // the generator draws kMale or kFemale only
  Date birth_date;
  // "新潟県長岡市大手通一丁目4番10号": prefecture + municipality (+ ward) + town + 丁目 in kanji
  // numerals + 番/号 in ASCII digits; towns without 丁目 use "123番地" or "123番地4". About a
  // quarter add one ASCII space and a building: "新潟県長岡市殿町二丁目3番5号 若葉ハイツ203号室".
  std::string address;
};

struct ResidentGeneratorOptions {
  // Ages are counted on this date; 2024-04-01 is the start of the 2024 fiscal year.
  Date reference_date{2024, 4, 1};
};

// One supported municipality: "152021", "新潟県", "長岡市".
struct MunicipalityInfo {
  std::string_view lgcode;
  std::string_view prefecture;
  std::string_view name;
};

// The municipalities with address tables, in 地方公共団体コード order.
std::vector<MunicipalityInfo> SupportedMunicipalities();
// 1 → "北海道" ... 47 → "沖縄県"; empty outside 1-47.
std::string_view PrefectureName(int prefecture);

class ResidentGenerator {
 public:
  // Next() aborts after this many residents: past it the 住民票コード permutation wraps.
  static constexpr uint64_t kMaxResidents = 10'000'000;
  static constexpr uint64_t kCrossBodyUniqueResidents = 2'127'659;

  // Errors: an invalid 地方公共団体コード or reference date (kInvalidArgument), a valid code
  // outside SupportedMunicipalities() (kNotFound).
  static Result<ResidentGenerator> Create(uint64_t seed, std::string_view lgcode,
                                          const ResidentGeneratorOptions& options = {});
  // Any valid 地方公共団体コード with its name (such as 長岡市 or a synthetic body's name) and
  // generic town names. A body with an address table still gets its table. Errors: an invalid
  // code, an empty name, or a bad reference date (kInvalidArgument).
  static Result<ResidentGenerator> CreateGeneric(uint64_t seed, std::string_view lgcode,
                                                 std::string_view name,
                                                 const ResidentGeneratorOptions& options = {});

  Resident Next();

  // Residents generated so far.
  uint64_t generated() const { return next_index_; }
  const MunicipalityInfo& municipality() const { return info_; }

 private:
  struct Permutation {
    int bits = 0;
    uint64_t domain = 0;
    uint64_t keys[4] = {};
    uint64_t multipliers[4] = {};
    uint64_t Apply(uint64_t x) const;
  };

  // table_index kGeneric: no address table, `name` and generic towns.
  static constexpr size_t kGeneric = static_cast<size_t>(-1);
  ResidentGenerator(uint64_t seed, size_t table_index, std::string_view lgcode,
                    std::string_view name, const ResidentGeneratorOptions& options);

  Date DrawBirthDate(int age);
  void AppendAddress(std::string& out);

  MunicipalityInfo info_;
  // Owns info_'s code and name for a generic body; shared so copies and moves keep the views
  // valid.
  std::shared_ptr<const std::pair<std::string, std::string>> generic_;
  size_t table_index_ = 0;
  uint64_t slot_ = 0;
  ResidentGeneratorOptions options_;
  netsim::Rng rng_;
  Permutation my_number_perm_;
  Permutation juminhyo_perm_;
  uint64_t next_index_ = 0;
  // Cumulative weights for surnames; given-name indices per sex and generation.
  std::vector<uint32_t> surname_cumulative_;
  std::vector<uint16_t> given_names_[2][3];
};

// CSV for the addressing server's bulk import. UTF-8 without a BOM, LF line ends (the importer
// also accepts CRLF), one header row then one row per resident, exactly these columns:
//
//   個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所
//
//   個人番号      12 ASCII digits
//   住民票コード  11 ASCII digits
//   宛名番号      15 ASCII digits
//   氏名          surname, one ASCII space, given name (kanji)
//   氏名カナ      the same in full-width katakana, one ASCII space between
//   性別          SexLabel(): 男 or 女 (generated residents), 不明 / 適用不能 otherwise
//   生年月日      YYYY-MM-DD
//   住所          as in Resident::address
//
// A field is quoted (RFC 4180: "...", inner quotes doubled) only if it holds a comma, a double
// quote, CR or LF; generated residents never do, so in practice nothing is quoted.
void WriteResidentsCsvHeader(std::ostream& os);
void WriteResidentCsvRow(std::ostream& os, const Resident& resident);

}  // namespace renkei::addressing
