#include "netsim/institution_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

const std::string kShippedPath = std::string(RENKEI_SOURCE_DIR) + "/netsim/data/institutions.csv";
constexpr char kHeader[] = "institution_code,kind,lg_code,name,endpoint\n";

Result<InstitutionRegistry> Parse(const std::string& rows) {
  std::istringstream in(kHeader + rows);
  return InstitutionRegistry::FromCsv(in, "reg.csv");
}

// The message of a parse that must fail.
std::string FailMessage(const std::string& rows) {
  auto r = Parse(rows);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, make_error_code(Errc::kParseError));
  return r.error().message;
}

InstitutionRegistry Shipped() {
  auto r = InstitutionRegistry::LoadCsv(kShippedPath);
  if (!r.ok()) ADD_FAILURE() << r.error().message;
  return std::move(r).value();
}

TEST(InstitutionRegistryTest, LoadsShippedFileWithAll47Prefectures) {
  const InstitutionRegistry reg = Shipped();
  EXPECT_EQ(reg.CountOfKind(InstitutionKind::kPrefecture), 47);
  for (const Institution& b : reg) {
    EXPECT_TRUE(ValidateInstitutionCode(b.code).ok()) << b.code;
    if (IsLocalKind(b.kind)) {
      EXPECT_TRUE(ValidateLgCode(b.lg_code).ok()) << b.lg_code;
      EXPECT_EQ(InstitutionCodeForLgCode(b.lg_code), b.code);
    } else {
      EXPECT_TRUE(b.lg_code.empty());
    }
    EXPECT_FALSE(b.synthetic) << b.name;
    EXPECT_EQ(b.endpoint, "sim://" + b.code);
  }
  EXPECT_EQ(reg.FindByLgCode("010006")->name, "北海道");
  EXPECT_EQ(reg.FindByLgCode("020001")->name, "青森県");
  EXPECT_EQ(reg.FindByLgCode("130001")->name, "東京都");
  EXPECT_EQ(reg.FindByLgCode("150002")->name, "新潟県");
  EXPECT_EQ(reg.FindByLgCode("470007")->name, "沖縄県");
}

TEST(InstitutionRegistryTest, ShippedFileHasTheScenarioMunicipalities) {
  const InstitutionRegistry reg = Shipped();
  const std::map<std::string, std::string> expected = {
      {"011002", "札幌市"}, {"041009", "仙台市"}, {"131016", "千代田区"}, {"131041", "新宿区"},
      {"141003", "横浜市"}, {"152021", "長岡市"}, {"151009", "新潟市"},   {"231002", "名古屋市"},
      {"271004", "大阪市"}, {"401307", "福岡市"}, {"472018", "那覇市"},
  };
  for (const auto& [lg, name] : expected) {
    const Institution* b = reg.FindByLgCode(lg);
    ASSERT_NE(b, nullptr) << lg;
    EXPECT_EQ(b->name, name);
    EXPECT_EQ(b->kind, InstitutionKind::kMunicipality);
  }
  EXPECT_EQ(reg.Find("1015202100000002")->name, "長岡市");
}

TEST(InstitutionRegistryTest, ShippedFileHasNationalBodiesInClasses20To29) {
  const InstitutionRegistry reg = Shipped();
  for (const char* name : {"厚生労働省", "デジタル庁", "日本年金機構",
                           "地方公共団体情報システム機構", "全国健康保険協会"}) {
    auto b = reg.FindByName(name);
    ASSERT_TRUE(b.ok()) << name;
    EXPECT_FALSE(IsLocalKind(b.value()->kind));
    EXPECT_EQ(b.value()->code[0], '2');
  }
  EXPECT_EQ(reg.FindByName("日本年金機構").value()->kind, InstitutionKind::kPension);
  EXPECT_EQ(reg.FindByName("地方公共団体情報システム機構").value()->kind, InstitutionKind::kJLis);
  EXPECT_EQ(reg.FindByName("全国健康保険協会").value()->kind, InstitutionKind::kMedicalInsurer);
}

TEST(InstitutionRegistryTest, IteratesInCodeOrder) {
  const InstitutionRegistry reg = Shipped();
  std::string previous;
  for (const Institution& b : reg) {
    EXPECT_LT(previous, b.code);
    previous = b.code;
  }
}

TEST(InstitutionRegistryTest, FindReturnsNullForUnknownOrMalformedCodes) {
  const InstitutionRegistry reg = Shipped();
  EXPECT_EQ(reg.Find("1015202200000000"), nullptr);
  EXPECT_EQ(reg.Find("101520210000000"), nullptr);
  EXPECT_EQ(reg.Find("10152021000000x2"), nullptr);
  EXPECT_EQ(reg.Find(""), nullptr);
  EXPECT_EQ(reg.FindByLgCode("999999"), nullptr);
  EXPECT_EQ(reg.FindByLgCode("15202"), nullptr);
}

TEST(InstitutionRegistryTest, FindByNameReportsMissingAndAmbiguousNames) {
  auto reg = Parse(
      "1013206300000005,municipality,132063,府中市,\n"
      "1034208400000005,municipality,342084,府中市,\n"
      "1015202100000002,municipality,152021,長岡市,\n");
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  EXPECT_EQ(reg->FindByName("長岡市").value()->lg_code, "152021");
  auto missing = reg->FindByName("夕張市");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, make_error_code(Errc::kNotFound));
  auto ambiguous = reg->FindByName("府中市");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_NE(ambiguous.error().message.find("1013206300000005"), std::string::npos);
  EXPECT_NE(ambiguous.error().message.find("1034208400000005"), std::string::npos);
}

TEST(InstitutionRegistryTest, KeepsAnExplicitEndpoint) {
  auto reg = Parse("1015202100000002,municipality,152021,長岡市,tcp://10.0.0.5:7000\n");
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  EXPECT_EQ(reg->Find("1015202100000002")->endpoint, "tcp://10.0.0.5:7000");
}

TEST(InstitutionRegistryTest, AcceptsCommentsBlankLinesCrlfAndBom) {
  std::istringstream in(
      "\xEF\xBB\xBF# registry\r\n\r\ninstitution_code,kind,lg_code,name,endpoint\r\n"
      "# a comment between rows\r\n1015202100000002,municipality,152021,長岡市,\r\n");
  auto reg = InstitutionRegistry::FromCsv(in, "reg.csv");
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  EXPECT_EQ(reg->size(), 1u);
  EXPECT_EQ(reg->Find("1015202100000002")->endpoint, "sim://1015202100000002");
}

TEST(InstitutionRegistryTest, RejectsWrongColumnCount) {
  EXPECT_EQ(FailMessage("1015202100000002,municipality,152021,長岡市\n"),
            "reg.csv:2: columns: expected 5 fields, got 4");
}

TEST(InstitutionRegistryTest, RejectsInstitutionCodeWithBadCheckDigit) {
  const std::string m = FailMessage("1015202100000003,municipality,152021,長岡市,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: institution_code: ", 0), 0u) << m;
  EXPECT_NE(m.find("check digit"), std::string::npos) << m;
}

TEST(InstitutionRegistryTest, RejectsLgCodeWithBadCheckDigit) {
  const std::string m = FailMessage("1015202100000002,municipality,152022,長岡市,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: lg_code: ", 0), 0u) << m;
  EXPECT_NE(m.find("check digit"), std::string::npos) << m;
}

TEST(InstitutionRegistryTest, RejectsLgCodeThatDiffersFromTheInstitutionCode) {
  const std::string m = FailMessage("1015202100000002,municipality,131016,長岡市,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: lg_code: '131016' differs", 0), 0u) << m;
}

TEST(InstitutionRegistryTest, RejectsDuplicateCode) {
  EXPECT_EQ(FailMessage("1015202100000002,municipality,152021,長岡市,\n"
                        "1015202100000002,municipality,152021,長岡市その2,\n"),
            "reg.csv:3: institution_code: duplicate '1015202100000002' (first on line 2)");
}

TEST(InstitutionRegistryTest, RejectsUnknownKind) {
  const std::string m = FailMessage("1015202100000002,city,152021,長岡市,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: kind: unknown kind 'city'", 0), 0u) << m;
}

TEST(InstitutionRegistryTest, RejectsEmptyName) {
  EXPECT_EQ(FailMessage("1015202100000002,municipality,152021,,\n"),
            "reg.csv:2: name: must not be empty");
}

TEST(InstitutionRegistryTest, RejectsEndpointWithSpaces) {
  EXPECT_EQ(FailMessage("1015202100000002,municipality,152021,長岡市,sim:// x\n"),
            "reg.csv:2: endpoint: must not contain spaces or tabs");
}

TEST(InstitutionRegistryTest, RejectsNationalBodyWithLgCode) {
  EXPECT_EQ(FailMessage("2000000000000011,ministry,152021,厚生労働省,\n"),
            "reg.csv:2: lg_code: a national body has no 地方公共団体コード");
}

TEST(InstitutionRegistryTest, RejectsNationalKindWithLocalCode) {
  EXPECT_EQ(
      FailMessage("1015202100000002,ministry,,厚生労働省,\n"),
      "reg.csv:2: institution_code: a national body (ministry) needs a class 20-29 機関コード, "
      "got class 10");
}

TEST(InstitutionRegistryTest, RejectsLocalKindWithNationalCode) {
  const std::string m = FailMessage("2000000000000011,municipality,152021,長岡市,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: institution_code: a municipality needs a class 10", 0), 0u) << m;
}

TEST(InstitutionRegistryTest, RejectsPrefectureWithMunicipalNumber) {
  const std::string m = FailMessage("1015202100000002,prefecture,152021,新潟県,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: lg_code: a prefecture's", 0), 0u) << m;
}

TEST(InstitutionRegistryTest, RejectsMunicipalityWithPrefectureNumber) {
  const std::string code = InstitutionCodeForLgCode("150002");
  const std::string m = FailMessage(code + ",municipality,150002,新潟県,\n");
  EXPECT_EQ(m.rfind("reg.csv:2: lg_code: municipal number 000", 0), 0u) << m;
}

TEST(InstitutionRegistryTest, RejectsMissingHeader) {
  std::istringstream in("# only a comment\n");
  auto r = InstitutionRegistry::FromCsv(in, "reg.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("reg.csv:1: header: missing", 0), 0u) << r.error().message;
}

TEST(InstitutionRegistryTest, RejectsWrongHeader) {
  std::istringstream in("code,kind,lg_code,name,endpoint\n");
  auto r = InstitutionRegistry::FromCsv(in, "reg.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("reg.csv:1: header: expected", 0), 0u) << r.error().message;
}

TEST(InstitutionRegistryTest, RejectsFileWithoutRows) {
  EXPECT_EQ(FailMessage(""), "reg.csv:1: rows: no institutions after the header");
}

TEST(InstitutionRegistryTest, ReportsEveryBadRowAndLoadsNothing) {
  const std::string m = FailMessage(
      "1015202100000002,municipality,152021,長岡市,\n"
      "1015202100000003,municipality,152021,長岡市,\n"
      "1013101600000000,municipality,131016,千代田区,\n"
      "1013104100000003,ward,131041,新宿区,\n");
  EXPECT_NE(m.find("reg.csv:3: institution_code: "), std::string::npos) << m;
  EXPECT_NE(m.find("\nreg.csv:5: kind: "), std::string::npos) << m;
}

TEST(InstitutionRegistryTest, LoadCsvReportsMissingFileAsIoError) {
  auto r = InstitutionRegistry::LoadCsv(::testing::TempDir() + "/no-such-registry-7f3a.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kIoError));
}

TEST(InstitutionRegistryTest, NationalInstitutionCodesValidate) {
  for (int cls = 20; cls <= 29; ++cls) {
    for (uint64_t serial : {0ULL, 1ULL, 42ULL, 9'999'999'999'999ULL}) {
      const std::string code = NationalInstitutionCode(cls, serial);
      EXPECT_TRUE(ValidateInstitutionCode(code).ok()) << code;
    }
  }
  EXPECT_EQ(NationalInstitutionCode(20, 1), "2000000000000011");
}

TEST(InstitutionRegistryTest, GenerateFullHas1788LocalBodiesThatAllValidate) {
  const InstitutionRegistry base = Shipped();
  auto full = InstitutionRegistry::GenerateFull(7, base);
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->CountOfKind(InstitutionKind::kPrefecture), 47);
  EXPECT_EQ(full->CountOfKind(InstitutionKind::kMunicipality), 1741);
  int local = 0;
  std::set<std::string> names;
  std::map<int, int> per_prefecture;
  for (const Institution& b : *full) {
    EXPECT_TRUE(ValidateInstitutionCode(b.code).ok()) << b.code;
    EXPECT_TRUE(names.insert(b.name).second) << "duplicate name " << b.name;
    if (!IsLocalKind(b.kind)) continue;
    ++local;
    EXPECT_TRUE(ValidateLgCode(b.lg_code).ok()) << b.lg_code;
    EXPECT_EQ(b.code, InstitutionCodeForLgCode(b.lg_code));
    EXPECT_EQ(b.synthetic, base.Find(b.code) == nullptr) << b.name;
    if (b.kind == InstitutionKind::kMunicipality) ++per_prefecture[LgCodePrefecture(b.lg_code)];
  }
  EXPECT_EQ(local, InstitutionRegistry::kLocalBodyCount);
  EXPECT_EQ(per_prefecture[1], 179);  // 北海道
  EXPECT_EQ(per_prefecture[13], 62);  // 東京都
  EXPECT_EQ(per_prefecture[15], 30);  // 新潟県
  EXPECT_EQ(per_prefecture[47], 41);  // 沖縄県
  // Every shipped body survives unchanged, national ones included.
  for (const Institution& b : base) EXPECT_EQ(*full->Find(b.code), b);
}

TEST(InstitutionRegistryTest, GenerateFullIsDeterministicForASeed) {
  const InstitutionRegistry base = Shipped();
  auto a = InstitutionRegistry::GenerateFull(11, base);
  auto b = InstitutionRegistry::GenerateFull(11, base);
  auto c = InstitutionRegistry::GenerateFull(12, base);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->institutions(), b->institutions());
  EXPECT_NE(a->institutions(), c->institutions());
  // Codes depend only on the base, names on the seed.
  ASSERT_EQ(a->size(), c->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ(a->institutions()[i].code, c->institutions()[i].code);
  }
}

TEST(InstitutionRegistryTest, GenerateFullRoundTripsThroughCsv) {
  auto full = InstitutionRegistry::GenerateFull(3, Shipped());
  ASSERT_TRUE(full.ok());
  const std::string path = ::testing::TempDir() + "/institution_registry_test_roundtrip_" +
                           std::to_string(::getpid()) + ".csv";
  {
    std::ofstream out(path, std::ios::binary);
    full->WriteCsv(out);
  }
  auto back = InstitutionRegistry::LoadCsv(path);
  std::remove(path.c_str());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->institutions(), full->institutions());
}

TEST(InstitutionRegistryTest, GenerateFullRefusesBaseWithoutPrefectures) {
  auto base = Parse("1015202100000002,municipality,152021,長岡市,\n");
  ASSERT_TRUE(base.ok());
  auto full = InstitutionRegistry::GenerateFull(1, base.value());
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_NE(full.error().message.find("010006"), std::string::npos) << full.error().message;
}

}  // namespace
}  // namespace renkei::netsim
