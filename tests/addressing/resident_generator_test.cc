#include "addressing/resident_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/time.h"

namespace renkei::addressing {
namespace {

ResidentGenerator MakeGenerator(uint64_t seed, std::string_view lgcode,
                                const ResidentGeneratorOptions& options = {}) {
  auto g = ResidentGenerator::Create(seed, lgcode, options);
  if (!g.ok()) ADD_FAILURE() << g.error().message;
  return std::move(g).value();
}

// Age in whole years on `ref`, the Japanese way of counting (birthday reached or not).
int AgeOn(const Date& birth, const Date& ref) {
  int age = ref.year - birth.year;
  if (std::pair(ref.month, ref.day) < std::pair(birth.month, birth.day)) --age;
  return age;
}

bool SameResident(const Resident& a, const Resident& b) {
  return a.my_number == b.my_number && a.juminhyo_code == b.juminhyo_code &&
         a.atena_number == b.atena_number && a.name == b.name && a.name_kana == b.name_kana &&
         a.sex == b.sex && a.birth_date == b.birth_date && a.address == b.address;
}

// True when every character is full-width katakana (U+30A1..U+30FC) or one ASCII space.
bool IsKatakanaName(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    if (i + 3 > s.size() || static_cast<unsigned char>(s[i]) != 0xE3) return false;
    const unsigned cp = ((static_cast<unsigned char>(s[i]) & 0x0Fu) << 12) |
                        ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                        (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    if (cp < 0x30A1 || cp > 0x30FC) return false;
    i += 3;
  }
  return true;
}

TEST(ResidentGeneratorTest, SameSeedAndCodeGiveSameResidents) {
  ResidentGenerator a = MakeGenerator(7, "152021");
  ResidentGenerator b = MakeGenerator(7, "152021");
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(SameResident(a.Next(), b.Next())) << i;
  EXPECT_EQ(a.generated(), 2000u);
}

// Pinned so that an accidental change in the tables or the order of draws shows up here first.
// A deliberate change updates these rows (and tells the importer's golden files to follow).
TEST(ResidentGeneratorTest, GoldenFirstResidentsAreStable) {
  ResidentGenerator g = MakeGenerator(1, "152021");
  std::ostringstream os;
  for (int i = 0; i < 2; ++i) WriteResidentCsvRow(os, g.Next());
  EXPECT_EQ(os.str(),
            "806424347455,64334761493,152021000000001,佐藤 悠,サトウ ユウ,男,1996-09-28,"
            "新潟県長岡市台町一丁目16番10号\n"
            "108717940615,02801114051,152021000000002,野口 洋平,ノグチ ヨウヘイ,男,1989-10-16,"
            "新潟県長岡市台町二丁目16番24号 旭コーポ808号室\n");
}

TEST(ResidentGeneratorTest, DifferentSeedsGiveDifferentResidents) {
  ResidentGenerator a = MakeGenerator(7, "152021");
  ResidentGenerator b = MakeGenerator(8, "152021");
  int same_number = 0;
  for (int i = 0; i < 1000; ++i) same_number += a.Next().my_number == b.Next().my_number;
  EXPECT_EQ(same_number, 0);
}

TEST(ResidentGeneratorTest, IdentifiersAreUniqueOver200000Residents) {
  ResidentGenerator g = MakeGenerator(2024, "141003");
  std::vector<std::string> my_numbers, juminhyo, atena;
  const size_t n = 200000;
  my_numbers.reserve(n);
  juminhyo.reserve(n);
  atena.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Resident r = g.Next();
    my_numbers.push_back(std::move(r.my_number));
    juminhyo.push_back(std::move(r.juminhyo_code));
    atena.push_back(std::move(r.atena_number));
  }
  for (auto* v : {&my_numbers, &juminhyo, &atena}) {
    std::sort(v->begin(), v->end());
    EXPECT_EQ(std::adjacent_find(v->begin(), v->end()), v->end());
  }
}

TEST(ResidentGeneratorTest, BodiesWithTheSameSeedShareNoMyNumber) {
  std::set<std::string> seen;
  for (const char* code : {"152021", "131016", "131041", "011002"}) {
    ResidentGenerator g = MakeGenerator(99, code);
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(seen.insert(g.Next().my_number).second) << code;
  }
}

TEST(ResidentGeneratorTest, AllIdentifiersValidate) {
  for (const MunicipalityInfo& m : SupportedMunicipalities()) {
    ResidentGenerator g = MakeGenerator(3, m.lgcode);
    for (int i = 0; i < 2000; ++i) {
      const Resident r = g.Next();
      ASSERT_TRUE(netsim::ValidateMyNumber(r.my_number).ok());
      ASSERT_TRUE(netsim::ValidateJuminhyoCode(r.juminhyo_code).ok()) << r.juminhyo_code;
      ASSERT_EQ(r.atena_number.size(), 15u);
      ASSERT_EQ(r.atena_number.substr(0, 6), m.lgcode);
      ASSERT_EQ(r.atena_number.find_first_not_of("0123456789"), std::string::npos);
    }
  }
}

TEST(ResidentGeneratorTest, AtenaNumbersCountUpFromOne) {
  ResidentGenerator g = MakeGenerator(3, "472018");
  EXPECT_EQ(g.Next().atena_number, "472018000000001");
  EXPECT_EQ(g.Next().atena_number, "472018000000002");
}

TEST(ResidentGeneratorTest, SupportedCodesAllValidate) {
  const std::vector<MunicipalityInfo> all = SupportedMunicipalities();
  EXPECT_EQ(all.size(), 10u);
  for (const MunicipalityInfo& m : all) {
    EXPECT_TRUE(netsim::ValidateLgCode(m.lgcode).ok()) << m.lgcode;
    EXPECT_EQ(PrefectureName(netsim::LgCodePrefecture(m.lgcode)), m.prefecture);
  }
}

TEST(ResidentGeneratorTest, AddressesStartWithPrefectureAndMunicipality) {
  const std::map<std::string, std::string> expected = {
      {"152021", "新潟県長岡市"}, {"131016", "東京都千代田区"}, {"131041", "東京都新宿区"},
      {"011002", "北海道札幌市"}, {"141003", "神奈川県横浜市"}, {"271004", "大阪府大阪市"},
      {"401307", "福岡県福岡市"}, {"041009", "宮城県仙台市"},   {"231002", "愛知県名古屋市"},
      {"472018", "沖縄県那覇市"},
  };
  for (const auto& [code, prefix] : expected) {
    ResidentGenerator g = MakeGenerator(11, code);
    std::set<std::string> distinct;
    for (int i = 0; i < 500; ++i) {
      const Resident r = g.Next();
      ASSERT_EQ(r.address.rfind(prefix, 0), 0u) << r.address;
      ASSERT_GT(r.address.size(), prefix.size() + 6) << r.address;
      distinct.insert(r.address);
    }
    EXPECT_GT(distinct.size(), 450u) << code;
  }
}

TEST(ResidentGeneratorTest, AddressesUseChomeBanGoOrBanchi) {
  ResidentGenerator g = MakeGenerator(5, "131016");
  int chome = 0, banchi = 0, building = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string a = g.Next().address;
    const bool has_chome = a.find("丁目") != std::string::npos;
    const bool has_banchi = a.find("番地") != std::string::npos;
    ASSERT_NE(has_chome, has_banchi) << a;
    if (has_chome) {
      ASSERT_NE(a.find("番"), std::string::npos) << a;
      ASSERT_NE(a.find("号"), std::string::npos) << a;
    }
    chome += has_chome;
    banchi += has_banchi;
    building += a.find("号室") != std::string::npos;
  }
  EXPECT_GT(chome, 0);
  EXPECT_GT(banchi, 0);
  EXPECT_GT(building, 5000 / 8);
  EXPECT_LT(building, 5000 / 2);
}

TEST(ResidentGeneratorTest, NamesHaveKanjiAndKatakanaWithOneSpace) {
  ResidentGenerator g = MakeGenerator(5, "231002");
  for (int i = 0; i < 5000; ++i) {
    const Resident r = g.Next();
    ASSERT_EQ(std::count(r.name.begin(), r.name.end(), ' '), 1) << r.name;
    ASSERT_EQ(std::count(r.name_kana.begin(), r.name_kana.end(), ' '), 1) << r.name_kana;
    ASSERT_TRUE(IsKatakanaName(r.name_kana)) << r.name_kana;
  }
}

TEST(ResidentGeneratorTest, NameTablesAreLargeAndWeightedBySurnameFrequency) {
  ResidentGenerator g = MakeGenerator(6, "271004");
  std::map<std::string, int> surnames;
  std::set<std::string> male, female;
  for (int i = 0; i < 100000; ++i) {
    const Resident r = g.Next();
    const size_t space = r.name.find(' ');
    ++surnames[r.name.substr(0, space)];
    (r.sex == Sex::kMale ? male : female).insert(r.name.substr(space + 1));
  }
  EXPECT_GE(surnames.size(), 100u);
  EXPECT_GE(male.size(), 100u);
  EXPECT_GE(female.size(), 100u);
  const auto most =
      std::max_element(surnames.begin(), surnames.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_TRUE(most->first == "佐藤" || most->first == "鈴木") << most->first;
  EXPECT_GT(surnames["佐藤"], 5 * surnames["西田"]);
}

TEST(ResidentGeneratorTest, OldResidentsDoNotGetModernNames) {
  ResidentGenerator g = MakeGenerator(8, "041009");
  for (int i = 0; i < 20000; ++i) {
    const Resident r = g.Next();
    if (r.birth_date.year < 1960) {
      ASSERT_EQ(r.name.find("陽翔"), std::string::npos) << r.name;
      ASSERT_EQ(r.name.find("陽菜"), std::string::npos) << r.name;
    }
  }
}

TEST(ResidentGeneratorTest, AgeDistributionFollowsJapanesePyramid) {
  ResidentGenerator g = MakeGenerator(12, "401307");
  const Date ref{2024, 4, 1};
  const int n = 100000;
  int children = 0, elderly = 0, boomer_juniors = 0, men = 0;
  int bands[21] = {};
  for (int i = 0; i < n; ++i) {
    const Resident r = g.Next();
    const int age = AgeOn(r.birth_date, ref);
    ASSERT_GE(age, 0);
    ASSERT_LE(age, 100);
    ASSERT_LE(r.birth_date, ref);
    ++bands[age / 5];
    children += age < 15;
    elderly += age >= 65;
    boomer_juniors += age >= 45 && age < 55;
    men += r.sex == Sex::kMale;
  }
  // Census 2020: 0-14 11.9 %, 65+ 28.6 %, 45-54 14.8 %, 0.947 men per woman.
  EXPECT_GT(children, n * 9 / 100);
  EXPECT_LT(children, n * 15 / 100);
  EXPECT_GT(elderly, n * 25 / 100);
  EXPECT_LT(elderly, n * 32 / 100);
  EXPECT_GT(boomer_juniors, n * 12 / 100);
  EXPECT_LT(boomer_juniors, n * 18 / 100);
  EXPECT_GT(bands[9], bands[0]);    // 45-49 outnumber 0-4
  EXPECT_GT(bands[14], bands[12]);  // 70-74 outnumber 60-64
  const double ratio = static_cast<double>(men) / (n - men);
  EXPECT_GT(ratio, 0.90);
  EXPECT_LT(ratio, 1.00);
}

TEST(ResidentGeneratorTest, BirthDatesFollowTheReferenceDate) {
  ResidentGeneratorOptions options;
  options.reference_date = {2000, 2, 29};
  ResidentGenerator g = MakeGenerator(4, "131041", options);
  for (int i = 0; i < 10000; ++i) {
    const Resident r = g.Next();
    ASSERT_TRUE(netsim::IsValidDate(r.birth_date.year, r.birth_date.month, r.birth_date.day));
    ASSERT_LE(r.birth_date, options.reference_date);
    const int age = AgeOn(r.birth_date, options.reference_date);
    ASSERT_GE(age, 0);
    ASSERT_LE(age, 100);
  }
}

TEST(ResidentGeneratorTest, RejectsValidButUnsupportedLgCode) {
  const auto g = ResidentGenerator::Create(1, "130001");  // 東京都 itself
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, make_error_code(netsim::Errc::kNotFound));
  EXPECT_NE(g.error().message.find("130001 (東京都)"), std::string::npos) << g.error().message;
  EXPECT_NE(g.error().message.find("152021 長岡市"), std::string::npos) << g.error().message;
}

TEST(ResidentGeneratorTest, GenericBodyGetsItsNameAndCommonTownNames) {
  // 三条市 has no address table; a synthetic body of a national world has none either.
  for (const auto& [code, name] :
       {std::pair<std::string, std::string>{"152048", "三条市"}, {"018007", "合成町"}}) {
    auto g = ResidentGenerator::CreateGeneric(7, code, name);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(g->municipality().name, name);
    const std::string prefix = std::string(g->municipality().prefecture) + name;
    for (int i = 0; i < 200; ++i) {
      const Resident r = g->Next();
      EXPECT_EQ(r.address.rfind(prefix, 0), 0u) << r.address;
      EXPECT_GT(r.address.size(), prefix.size() + 6) << r.address;  // a town and a number
      EXPECT_EQ(r.atena_number.substr(0, 6), code);
      EXPECT_TRUE(netsim::ValidateMyNumber(r.my_number).ok());
    }
  }
}

TEST(ResidentGeneratorTest, GenericKeepsTablesAndCrossBodyUniqueness) {
  // A body with a table gets the same residents through either door.
  ResidentGenerator tabled = MakeGenerator(5, "152021");
  auto generic = ResidentGenerator::CreateGeneric(5, "152021", "長岡市");
  ASSERT_TRUE(generic.ok());
  for (int i = 0; i < 50; ++i) {
    const Resident a = tabled.Next();
    const Resident b = generic->Next();
    EXPECT_EQ(a.my_number, b.my_number);
    EXPECT_EQ(a.address, b.address);
  }
  // Generic bodies share no 個人番号 with each other or with tabled ones.
  std::set<std::string> seen;
  for (const char* code : {"152048", "152056", "152021"}) {
    auto g = ResidentGenerator::CreateGeneric(99, code, "某市");
    ASSERT_TRUE(g.ok());
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(seen.insert(g->Next().my_number).second) << code;
  }
}

TEST(ResidentGeneratorTest, GenericRefusesAnEmptyNameOrABadCode) {
  auto empty = ResidentGenerator::CreateGeneric(1, "152048", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, make_error_code(netsim::Errc::kInvalidArgument));
  EXPECT_NE(empty.error().message.find("name"), std::string::npos) << empty.error().message;
  auto bad = ResidentGenerator::CreateGeneric(1, "152049", "三条市");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(netsim::Errc::kInvalidArgument));
}

TEST(ResidentGeneratorTest, RejectsInvalidLgCode) {
  const auto g = ResidentGenerator::Create(1, "152022");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, make_error_code(netsim::Errc::kInvalidArgument));
  EXPECT_NE(g.error().message.find("check digit"), std::string::npos) << g.error().message;
}

TEST(ResidentGeneratorTest, RejectsInvalidReferenceDate) {
  ResidentGeneratorOptions options;
  options.reference_date = {2023, 2, 29};
  const auto g = ResidentGenerator::Create(1, "152021", options);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, make_error_code(netsim::Errc::kInvalidArgument));
}

TEST(DateTest, ParsesIsoDate) {
  const auto d = ParseDate("2024-04-01");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (Date{2024, 4, 1}));
  EXPECT_EQ(FormatDate(*d), "2024-04-01");
  EXPECT_EQ(FormatDate(Date{1923, 12, 9}), "1923-12-09");
}

TEST(DateTest, RejectsWrongForm) {
  for (const char* text :
       {"2024/04/01", "2024-4-1", "20240401", "2024-04-01x", "", "２０２４-04-01", "2024-0a-01"}) {
    const auto d = ParseDate(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.error().message.find("YYYY-MM-DD"), std::string::npos) << d.error().message;
  }
}

TEST(DateTest, RejectsImpossibleDay) {
  const auto d = ParseDate("2023-02-29");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("not a calendar day"), std::string::npos);
}

TEST(DateTest, RejectsYearOutsideRange) {
  EXPECT_FALSE(ParseDate("1899-12-31").ok());
  EXPECT_FALSE(ParseDate("2200-01-01").ok());
}

TEST(ResidentCsvTest, HeaderIsExact) {
  std::ostringstream os;
  WriteResidentsCsvHeader(os);
  EXPECT_EQ(os.str(), "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n");
}

TEST(ResidentCsvTest, RowIsExact) {
  Resident r;
  r.my_number = "983205673214";
  r.juminhyo_code = "12345678903";
  r.atena_number = "152021000000001";
  r.name = "山田 太郎";
  r.name_kana = "ヤマダ タロウ";
  r.sex = Sex::kMale;
  r.birth_date = {1980, 5, 3};
  r.address = "新潟県長岡市大手通一丁目4番10号";
  std::ostringstream os;
  WriteResidentCsvRow(os, r);
  r.sex = Sex::kFemale;
  WriteResidentCsvRow(os, r);
  EXPECT_EQ(os.str(),
            "983205673214,12345678903,152021000000001,山田 太郎,ヤマダ タロウ,男,1980-05-03,"
            "新潟県長岡市大手通一丁目4番10号\n"
            "983205673214,12345678903,152021000000001,山田 太郎,ヤマダ タロウ,女,1980-05-03,"
            "新潟県長岡市大手通一丁目4番10号\n");
}

TEST(ResidentCsvTest, QuotesOnlyFieldsThatNeedIt) {
  Resident r;
  r.my_number = "983205673214";
  r.juminhyo_code = "12345678903";
  r.atena_number = "152021000000001";
  r.name = "山田 太郎";
  r.name_kana = "ヤマダ タロウ";
  r.sex = Sex::kMale;
  r.birth_date = {1980, 5, 3};
  r.address = "長岡市, \"別館\"";
  std::ostringstream os;
  WriteResidentCsvRow(os, r);
  EXPECT_EQ(os.str(),
            "983205673214,12345678903,152021000000001,山田 太郎,ヤマダ タロウ,男,1980-05-03,"
            "\"長岡市, \"\"別館\"\"\"\n");
}

TEST(ResidentCsvTest, GeneratedRowsHaveEightUnquotedFields) {
  ResidentGenerator g = MakeGenerator(13, "011002");
  for (int i = 0; i < 1000; ++i) {
    std::ostringstream os;
    WriteResidentCsvRow(os, g.Next());
    const std::string line = os.str();
    ASSERT_EQ(std::count(line.begin(), line.end(), ','), 7) << line;
    ASSERT_EQ(line.find('"'), std::string::npos) << line;
    ASSERT_EQ(line.back(), '\n');
  }
}

}  // namespace
}  // namespace renkei::addressing
