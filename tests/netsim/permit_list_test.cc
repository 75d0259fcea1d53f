#include "netsim/permit_list.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

const std::string kSource = RENKEI_SOURCE_DIR;
const std::string kListPath = kSource + "/netsim/data/permit_list.csv";
const std::string kRegistryPath = kSource + "/netsim/data/institutions.csv";

// Lines 1-4; the first row is on line 5.
constexpr char kPreamble[] =
    "version,2024.04\n"
    "valid_from,2024-04-01\n"
    "valid_to,2025-03-31\n"
    "row_id,requester,jm,jt,provider,tm_items,valid_from,valid_to,weight,note\n";
constexpr char kGoodRow[] =
    "r1,kind:municipality,JM00000000000001,JT00000000000001,kind:municipality,TM00000000000001,"
    "2024-04-01,2025-03-31,1,a note\n";

constexpr char kNagaoka[] = "1015202100000002";
constexpr char kSapporo[] = "1001100200000000";
constexpr char kNiigataPrefecture[] = "1015000200000008";
constexpr char kPension[] = "2200000000000016";
constexpr char kKyokaiKenpo[] = "2300000000000013";
constexpr char kVaccinationJm[] = "JM00160200000000";
constexpr char kVaccinationJt[] = "JT00160200000001";
constexpr char kVaccinationRecord[] = "TM00160200000001";
constexpr char kLocalTax[] = "TM00000100000001";
constexpr char kResidentRecord[] = "TM00000200000001";

Result<PermitList> ParseText(const std::string& text) {
  std::istringstream in(text);
  return PermitList::FromCsv(in, "list.csv");
}
Result<PermitList> ParseRows(const std::string& rows) { return ParseText(kPreamble + rows); }

std::string FailMessage(const std::string& text) {
  auto r = ParseText(text);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, make_error_code(Errc::kParseError));
  return r.error().message;
}
std::string RowFailMessage(const std::string& rows) { return FailMessage(kPreamble + rows); }

// Replaces field `index` (0-based) of the good row.
std::string GoodRowWith(size_t index, const std::string& value) {
  std::string row(kGoodRow);
  row.pop_back();
  std::vector<std::string> fields;
  std::stringstream ss(row);
  for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
  fields[index] = value;
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out + "\n";
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

SimTime Jst(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, int us = 0) {
  CivilTime c;
  c.year = y;
  c.month = mo;
  c.day = d;
  c.hour = h;
  c.minute = mi;
  c.second = s;
  c.micros = us;
  return FromCivil(c);
}

class ShippedPermitListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto list = PermitList::LoadCsv(kListPath);
    ASSERT_TRUE(list.ok()) << list.error().message;
    list_ = std::make_unique<PermitList>(std::move(list).value());
    auto reg = InstitutionRegistry::LoadCsv(kRegistryPath);
    ASSERT_TRUE(reg.ok()) << reg.error().message;
    registry_ = std::make_unique<InstitutionRegistry>(std::move(reg).value());
  }
  PermitDecision Check(const std::string& requester, const std::string& jm, const std::string& jt,
                       const std::string& provider, std::vector<std::string> items,
                       SimTime now = Jst(2024, 6, 1, 10)) const {
    return list_->Check(PermitRequest{requester, jm, jt, provider, std::move(items)}, *registry_,
                        now);
  }
  PermitDecision Vaccination(SimTime now) const {
    return Check(kNagaoka, kVaccinationJm, kVaccinationJt, kSapporo, {kVaccinationRecord}, now);
  }

  std::unique_ptr<PermitList> list_;
  std::unique_ptr<InstitutionRegistry> registry_;
};

TEST_F(ShippedPermitListTest, LoadsWithTheSeedsVaccinationRows) {
  EXPECT_EQ(list_->version(), "2023.04");
  EXPECT_EQ(list_->valid_from(), Jst(2023, 4, 1));
  EXPECT_EQ(list_->valid_to(), Jst(2027, 3, 31, 23, 59, 59, 999999));
  std::vector<std::string> ids;
  for (const auto& row : list_->rows()) ids.push_back(row.id);
  for (const char* id : {"16の2-1", "16の3-1", "17-1", "18-1", "19-1"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
}

TEST_F(ShippedPermitListTest, ShippedRowsNameOnlyRegisteredBodies) {
  for (const auto& row : list_->rows()) {
    for (const PartySpec* p : {&row.requester, &row.provider}) {
      if (!p->is_kind) {
        EXPECT_NE(registry_->Find(p->code), nullptr) << row.id;
      }
    }
  }
}

TEST_F(ShippedPermitListTest, PermitsMunicipalityQueryingFormerMunicipalitysVaccinationRecord) {
  const PermitDecision d = Vaccination(Jst(2024, 6, 1, 10));
  EXPECT_EQ(d.status, PermitStatus::kPermitted);
  EXPECT_TRUE(d.permitted());
  EXPECT_EQ(d.row_id, "16の2-1");
  EXPECT_EQ(d.list_version, "2023.04");
  EXPECT_EQ(d.Reason(), "permitted by row '16の2-1' of permit list 2023.04");
}

TEST_F(ShippedPermitListTest, PermitsMunicipalityQueryingPrefectureUnderTheSameProcedure) {
  const PermitDecision d =
      Check(kNagaoka, kVaccinationJm, kVaccinationJt, kNiigataPrefecture, {kVaccinationRecord});
  EXPECT_EQ(d.status, PermitStatus::kPermitted);
  EXPECT_EQ(d.row_id, "16の2-2");
}

TEST_F(ShippedPermitListTest, PermitsPrefectureUnderItem16No3ButNotAMunicipality) {
  EXPECT_EQ(Check(kNiigataPrefecture, "JM00160300000000", "JT00160300000001", kNagaoka,
                  {kVaccinationRecord})
                .row_id,
            "16の3-1");
  EXPECT_EQ(Check(kSapporo, "JM00160300000000", "JT00160300000001", kNagaoka, {kVaccinationRecord})
                .status,
            PermitStatus::kNotPermitted);
}

TEST_F(ShippedPermitListTest, PermitsEveryItemOfAMultiItemRow) {
  const PermitDecision d = Check(kNagaoka, "JM00170000000000", "JT00170000000001", kSapporo,
                                 {kResidentRecord, kLocalTax});
  EXPECT_EQ(d.status, PermitStatus::kPermitted);
  EXPECT_EQ(d.row_id, "17-1");
}

TEST_F(ShippedPermitListTest, RefusesAnItemOutsideTheRowWithTheNetworksMessage) {
  const PermitDecision d =
      Check(kNagaoka, kVaccinationJm, kVaccinationJt, kSapporo, {kVaccinationRecord, kLocalTax});
  EXPECT_EQ(d.status, PermitStatus::kItemNotPermitted);
  EXPECT_EQ(d.row_id, "16の2-1");
  EXPECT_EQ(d.subject_view(), kLocalTax);
  EXPECT_TRUE(StartsWith(
      d.Reason(), "指定された特定個人情報名「TM00000100000001」の照会は許可されていません。"))
      << d.Reason();
}

TEST_F(ShippedPermitListTest, RefusesAMalformedItem) {
  const PermitDecision d =
      Check(kNagaoka, kVaccinationJm, kVaccinationJt, kSapporo, {"TM0016020000000X"});
  EXPECT_EQ(d.status, PermitStatus::kItemNotPermitted);
  EXPECT_EQ(d.subject_view(), "TM0016020000000X");
}

TEST_F(ShippedPermitListTest, RefusesARequestWithoutItems) {
  const PermitDecision d = Check(kNagaoka, kVaccinationJm, kVaccinationJt, kSapporo, {});
  EXPECT_EQ(d.status, PermitStatus::kItemNotPermitted);
  EXPECT_EQ(d.subject_size, 0);
  EXPECT_TRUE(StartsWith(d.Reason(), "no TM item was requested")) << d.Reason();
}

TEST_F(ShippedPermitListTest, RefusesAProviderKindNoRowNames) {
  const PermitDecision d =
      Check(kNagaoka, kVaccinationJm, kVaccinationJt, kPension, {kVaccinationRecord});
  EXPECT_EQ(d.status, PermitStatus::kNotPermitted);
  EXPECT_TRUE(d.row_id.empty());
  EXPECT_TRUE(StartsWith(
      d.Reason(), "指定された特定個人情報名「TM00160200000001」の照会は許可されていません。"))
      << d.Reason();
}

TEST_F(ShippedPermitListTest, RefusesAnUnknownProcedure) {
  EXPECT_EQ(
      Check(kNagaoka, kVaccinationJm, "JT00160200000099", kSapporo, {kVaccinationRecord}).status,
      PermitStatus::kNotPermitted);
  EXPECT_EQ(Check(kNagaoka, "not-a-code", kVaccinationJt, kSapporo, {kVaccinationRecord}).status,
            PermitStatus::kNotPermitted);
}

TEST_F(ShippedPermitListTest, RowNamingOneBodyPermitsOnlyThatBody) {
  const PermitDecision pension =
      Check(kPension, "JM10000300000000", "JT10000300000001", kNagaoka, {kLocalTax});
  EXPECT_EQ(pension.status, PermitStatus::kPermitted);
  EXPECT_EQ(pension.row_id, "国民年金-1");
  EXPECT_EQ(
      Check(kKyokaiKenpo, "JM10000300000000", "JT10000300000001", kNagaoka, {kLocalTax}).status,
      PermitStatus::kNotPermitted);
}

TEST_F(ShippedPermitListTest, RefusesUnknownRequester) {
  const PermitDecision d =
      Check("1015202200000008", kVaccinationJm, kVaccinationJt, kSapporo, {kVaccinationRecord});
  EXPECT_EQ(d.status, PermitStatus::kUnknownRequester);
  EXPECT_EQ(d.Reason(), "requester 機関コード '1015202200000008' is not a registered institution");
}

TEST_F(ShippedPermitListTest, RefusesUnknownProvider) {
  const PermitDecision d =
      Check(kNagaoka, kVaccinationJm, kVaccinationJt, "1015202200000008", {kVaccinationRecord});
  EXPECT_EQ(d.status, PermitStatus::kUnknownProvider);
  EXPECT_EQ(d.subject_view(), "1015202200000008");
}

TEST_F(ShippedPermitListTest, TruncatesALongSubjectInTheDecision) {
  const std::string long_code(40, '9');
  const PermitDecision d =
      Check(long_code, kVaccinationJm, kVaccinationJt, kSapporo, {kVaccinationRecord});
  EXPECT_EQ(d.status, PermitStatus::kUnknownRequester);
  EXPECT_EQ(d.subject_view(), std::string(16, '9'));
  EXPECT_TRUE(d.subject_truncated);
  EXPECT_NE(d.Reason().find("9999999999999999…"), std::string::npos) << d.Reason();
}

TEST_F(ShippedPermitListTest, ListIsInForceThroughItsLastMicrosecond) {
  EXPECT_EQ(Vaccination(Jst(2027, 3, 31, 23, 59, 59, 999999)).status, PermitStatus::kPermitted);
  const PermitDecision expired = Vaccination(Jst(2027, 4, 1));
  EXPECT_EQ(expired.status, PermitStatus::kListExpired);
  EXPECT_EQ(expired.bound, list_->valid_to());
  EXPECT_EQ(expired.Reason(), "permit list 2023.04 expired after 2027-03-31T23:59:59.999999");
}

TEST_F(ShippedPermitListTest, ListIsInForceFromItsFirstMicrosecond) {
  EXPECT_EQ(Vaccination(Jst(2023, 4, 1)).status, PermitStatus::kPermitted);
  const PermitDecision early = Vaccination(Jst(2023, 3, 31, 23, 59, 59, 999999));
  EXPECT_EQ(early.status, PermitStatus::kNotYetValid);
  EXPECT_EQ(early.Reason(), "permit list 2023.04 is in force only from 2023-04-01T00:00:00.000000");
}

TEST_F(ShippedPermitListTest, ListValidityIsCheckedBeforeTheParties) {
  const PermitDecision d = Check("0", kVaccinationJm, kVaccinationJt, "0", {}, Jst(2030, 1, 1));
  EXPECT_EQ(d.status, PermitStatus::kListExpired);
}

TEST_F(ShippedPermitListTest, RowEndingBeforeTheListStopsPermittingAfterItsLastDay) {
  auto covid = [this](SimTime now) {
    return Check(kNagaoka, kVaccinationJm, "JT00160200000003", kSapporo, {kVaccinationRecord}, now);
  };
  EXPECT_EQ(covid(Jst(2024, 3, 31, 23, 59, 59, 999999)).status, PermitStatus::kPermitted);
  EXPECT_EQ(covid(Jst(2024, 4, 1)).status, PermitStatus::kNotPermitted);
}

TEST(PermitListTest, StatusNamesAreDistinct) {
  EXPECT_EQ(PermitStatusName(PermitStatus::kPermitted), "permitted");
  EXPECT_EQ(PermitStatusName(PermitStatus::kItemNotPermitted), "item_not_permitted");
  EXPECT_EQ(PermitStatusName(PermitStatus::kNotYetValid), "not_yet_valid");
}

// ---- the file format ----

TEST(PermitListTest, ParsesAGoodRow) {
  auto list = ParseRows(kGoodRow);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->rows().size(), 1u);
  const PermitRow& row = list->rows()[0];
  EXPECT_EQ(row.id, "r1");
  EXPECT_TRUE(row.requester.is_kind);
  EXPECT_EQ(row.requester.kind, InstitutionKind::kMunicipality);
  EXPECT_EQ(row.tm_items, std::vector<std::string>{"TM00000000000001"});
  EXPECT_EQ(row.valid_from, Jst(2024, 4, 1));
  EXPECT_EQ(row.valid_to, Jst(2025, 3, 31, 23, 59, 59, 999999));
  EXPECT_EQ(row.note, "a note");
}

TEST(PermitListTest, AcceptsCommentsBlankLinesCrlfAndBom) {
  std::string text = "\xEF\xBB\xBF# a list\r\n\r\n";
  text += "version,2024.04\r\n# comment\r\nvalid_from,2024-04-01\r\nvalid_to,2025-03-31\r\n";
  text += "row_id,requester,jm,jt,provider,tm_items,valid_from,valid_to,weight,note\r\n";
  std::string_view row(kGoodRow);
  text += row.substr(0, row.size() - 1);  // the row's own '\n' becomes "\r\n"
  text += "\r\n";
  auto list = ParseText(text);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(list->rows()[0].note, "a note");
}

TEST(PermitListTest, SortsTmItems) {
  auto list = ParseRows(GoodRowWith(5, "TM00000000000009;TM00000000000001"));
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(list->rows()[0].tm_items,
            (std::vector<std::string>{"TM00000000000001", "TM00000000000009"}));
}

TEST(PermitListTest, RejectsRowWithValidFromAfterValidTo) {
  std::string row = GoodRowWith(6, "2024-06-02");
  row.replace(row.find("2025-03-31"), 10, "2024-06-01");
  EXPECT_EQ(RowFailMessage(row), "list.csv:5: valid_from: 2024-06-02 is after valid_to 2024-06-01");
}

TEST(PermitListTest, RejectsUnknownRequesterKind) {
  EXPECT_TRUE(StartsWith(RowFailMessage(GoodRowWith(1, "kind:city")),
                         "list.csv:5: requester: unknown kind 'city'"));
}

TEST(PermitListTest, RejectsUnknownProviderKind) {
  EXPECT_TRUE(
      StartsWith(RowFailMessage(GoodRowWith(4, "kind:")), "list.csv:5: provider: unknown kind ''"));
}

TEST(PermitListTest, RejectsBadRequesterInstitutionCode) {
  const std::string m = RowFailMessage(GoodRowWith(1, "1015202100000003"));
  EXPECT_TRUE(StartsWith(m, "list.csv:5: requester: ")) << m;
  EXPECT_NE(m.find("check digit"), std::string::npos) << m;
}

TEST(PermitListTest, RejectsBadProviderInstitutionCode) {
  const std::string m = RowFailMessage(GoodRowWith(4, "municipality"));
  EXPECT_TRUE(StartsWith(m, "list.csv:5: provider: ")) << m;
}

TEST(PermitListTest, RejectsBadJm) {
  EXPECT_TRUE(StartsWith(RowFailMessage(GoodRowWith(2, "JT00000000000001")), "list.csv:5: jm: "));
}

TEST(PermitListTest, RejectsBadJt) {
  EXPECT_TRUE(StartsWith(RowFailMessage(GoodRowWith(3, "JT0000000000001")), "list.csv:5: jt: "));
}

TEST(PermitListTest, RejectsBadTm) {
  EXPECT_TRUE(StartsWith(RowFailMessage(GoodRowWith(5, "TM00000000000001;tm00000000000002")),
                         "list.csv:5: tm_items: item 2: "));
}

TEST(PermitListTest, RejectsEmptyTmList) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(5, "")),
            "list.csv:5: tm_items: the TM list is empty; a row names at least one item");
}

TEST(PermitListTest, RejectsEmptyTmItem) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(5, "TM00000000000001;")),
            "list.csv:5: tm_items: item 2 is empty (stray ';')");
}

TEST(PermitListTest, RejectsDuplicateTmItem) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(5, "TM00000000000001;TM00000000000001")),
            "list.csv:5: tm_items: 'TM00000000000001' is listed twice");
}

TEST(PermitListTest, RejectsWrongColumnCount) {
  EXPECT_EQ(RowFailMessage("r1,kind:municipality,JM00000000000001\n"),
            "list.csv:5: columns: expected 10 fields, got 3");
}

TEST(PermitListTest, RejectsBadRowDate) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(7, "2025-02-30")),
            "list.csv:5: valid_to: not a YYYY-MM-DD date: '2025-02-30'");
}

TEST(PermitListTest, RejectsBadWeight) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(8, "-1")),
            "list.csv:5: weight: must be an integer 0-1000000000, got '-1'");
}

TEST(PermitListTest, RejectsEmptyRowId) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(0, "")), "list.csv:5: row_id: must not be empty");
}

TEST(PermitListTest, RejectsDuplicateRowId) {
  const std::string second = GoodRowWith(3, "JT00000000000002");
  EXPECT_EQ(RowFailMessage(std::string(kGoodRow) + second),
            "list.csv:6: row_id: duplicate 'r1' (first on line 5)");
}

TEST(PermitListTest, RejectsEmptyList) {
  EXPECT_EQ(RowFailMessage("# nothing here\n"),
            "list.csv:4: rows: the list has no rows; an empty list is refused rather than "
            "denying everything");
}

TEST(PermitListTest, RejectsRowStartingBeforeTheList) {
  EXPECT_EQ(RowFailMessage(GoodRowWith(6, "2024-03-31")),
            "list.csv:5: valid_from: the row starts 2024-03-31, before the list (2024-04-01)");
}

TEST(PermitListTest, RejectsRowEndingAfterTheList) {
  std::string row(kGoodRow);
  row.replace(row.find("2025-03-31"), 10, "2025-04-01");
  EXPECT_EQ(RowFailMessage(row),
            "list.csv:5: valid_to: the row ends 2025-04-01, after the list (2025-03-31)");
}

TEST(PermitListTest, RejectsOverlappingRowsForTheSameParties) {
  std::string second = GoodRowWith(0, "r2");
  second.replace(second.find("TM00000000000001"), 16, "TM00000000000002");
  second.replace(second.find("2024-04-01"), 10, "2025-03-31");
  const std::string m = RowFailMessage(std::string(kGoodRow) + second);
  EXPECT_TRUE(StartsWith(m, "list.csv:6: validity: overlaps row 'r1' (line 5)")) << m;
}

TEST(PermitListTest, AcceptsConsecutiveRowsForTheSameParties) {
  std::string first(kGoodRow);
  first.replace(first.find("2025-03-31"), 10, "2024-09-30");
  std::string second = GoodRowWith(0, "r2");
  second.replace(second.find("TM00000000000001"), 16, "TM00000000000002");
  second.replace(second.find("2024-04-01"), 10, "2024-10-01");
  auto list = ParseRows(first + second);
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(list->rows().size(), 2u);
}

TEST(PermitListTest, RejectsOneProcedureUnderTwoBusinesses) {
  std::string second = GoodRowWith(0, "r2");
  second.replace(second.find("JM00000000000001"), 16, "JM00000000000002");
  EXPECT_EQ(RowFailMessage(std::string(kGoodRow) + second),
            "list.csv:6: jt: 'JT00000000000001' already belongs to JM00000000000001 (line 5); a "
            "procedure has one business");
}

TEST(PermitListTest, RejectsMissingVersion) {
  EXPECT_EQ(FailMessage("valid_from,2024-04-01\n"),
            "list.csv:1: version: expected 'version,<value>' on this line");
}

TEST(PermitListTest, RejectsBadVersion) {
  EXPECT_EQ(FailMessage("version,2024 04\nvalid_from,2024-04-01\nvalid_to,2025-03-31\n"),
            "list.csv:1: version: must be 1-32 characters of A-Z a-z 0-9 . - _, got '2024 04'");
}

TEST(PermitListTest, RejectsMissingValidTo) {
  EXPECT_EQ(FailMessage("version,1\nvalid_from,2024-04-01\n"),
            "list.csv:2: valid_to: missing; a permit list starts with version, valid_from and "
            "valid_to lines");
}

TEST(PermitListTest, RejectsBadListDate) {
  EXPECT_EQ(FailMessage("version,1\nvalid_from,2024/04/01\nvalid_to,2025-03-31\n"),
            "list.csv:2: valid_from: not a YYYY-MM-DD date: '2024/04/01'");
}

TEST(PermitListTest, RejectsListWithValidFromAfterValidTo) {
  EXPECT_EQ(FailMessage("version,1\nvalid_from,2025-04-01\nvalid_to,2025-03-31\n"),
            "list.csv:2: valid_from: 2025-04-01 is after valid_to 2025-03-31");
}

TEST(PermitListTest, RejectsWrongHeader) {
  EXPECT_TRUE(StartsWith(FailMessage("version,1\nvalid_from,2024-04-01\nvalid_to,2025-03-31\n"
                                     "row_id,requester\n"),
                         "list.csv:4: header: expected"));
}

TEST(PermitListTest, RejectsMissingHeader) {
  EXPECT_TRUE(StartsWith(FailMessage("version,1\nvalid_from,2024-04-01\nvalid_to,2025-03-31\n"),
                         "list.csv:3: header: missing"));
}

TEST(PermitListTest, ReportsEveryBadRowAndKeepsNone) {
  const std::string m = RowFailMessage(std::string(kGoodRow) + GoodRowWith(1, "kind:x") +
                                       GoodRowWith(0, "r3") + GoodRowWith(5, ""));
  EXPECT_NE(m.find("list.csv:6: requester: "), std::string::npos) << m;
  EXPECT_NE(m.find("\nlist.csv:7: validity: overlaps row 'r1'"), std::string::npos) << m;
  EXPECT_NE(m.find("\nlist.csv:8: tm_items: "), std::string::npos) << m;
}

TEST(PermitListTest, LoadCsvReportsMissingFileAsIoError) {
  auto r = PermitList::LoadCsv(::testing::TempDir() + "/no-such-permit-list-91c2.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kIoError));
}

// ---- generator and round trip ----

TEST(PermitListTest, GenerateFullHas2000RowsThatAllValidate) {
  const PermitList list = PermitList::GenerateFull(5);
  ASSERT_EQ(list.rows().size(), 2000u);
  for (const auto& row : list.rows()) {
    EXPECT_TRUE(ValidateCode(row.jm, CodeKind::kBusiness).ok()) << row.jm;
    EXPECT_TRUE(ValidateCode(row.jt, CodeKind::kProcedure).ok()) << row.jt;
    ASSERT_FALSE(row.tm_items.empty());
    EXPECT_TRUE(std::is_sorted(row.tm_items.begin(), row.tm_items.end()));
    for (const auto& tm : row.tm_items) EXPECT_TRUE(ValidateCode(tm, CodeKind::kDataItem).ok());
    EXPECT_GE(row.valid_from, list.valid_from());
    EXPECT_LE(row.valid_to, list.valid_to());
  }
}

TEST(PermitListTest, GenerateFullPutsAbout80PercentOfTrafficOn30Rows) {
  const PermitList list = PermitList::GenerateFull(5);
  std::vector<uint32_t> weights;
  for (const auto& row : list.rows()) weights.push_back(row.weight);
  std::sort(weights.rbegin(), weights.rend());
  uint64_t top = 0;
  for (int i = 0; i < 30; ++i) top += weights[i];
  EXPECT_EQ(weights[30], 1u);
  EXPECT_GT(weights[29], 1u);
  const double share = static_cast<double>(top) / static_cast<double>(list.TotalWeight());
  EXPECT_GT(share, 0.78);
  EXPECT_LT(share, 0.82);
}

TEST(PermitListTest, GenerateFullIsDeterministicForASeed) {
  EXPECT_EQ(PermitList::GenerateFull(9), PermitList::GenerateFull(9));
  EXPECT_FALSE(PermitList::GenerateFull(9) == PermitList::GenerateFull(10));
  EXPECT_EQ(PermitList::GenerateFull(9).version(), "generated-9");
}

TEST(PermitListTest, GeneratedListRoundTripsThroughAFile) {
  const PermitList list = PermitList::GenerateFull(21);
  const std::string path =
      ::testing::TempDir() + "/permit_list_test_roundtrip_" + std::to_string(::getpid()) + ".csv";
  std::ostringstream first;
  list.WriteCsv(first);
  {
    std::ofstream out(path, std::ios::binary);
    out << first.str();
  }
  auto back = PermitList::LoadCsv(path);
  std::remove(path.c_str());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back.value() == list);
  std::ostringstream second;
  back->WriteCsv(second);
  EXPECT_EQ(second.str(), first.str());
}

TEST(PermitListTest, ShippedListRoundTrips) {
  auto list = PermitList::LoadCsv(kListPath);
  ASSERT_TRUE(list.ok()) << list.error().message;
  std::stringstream text;
  list->WriteCsv(text);
  auto back = PermitList::FromCsv(text, "written");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back.value() == list.value());
}

TEST(PermitListTest, GeneratedListPermitsItsHighTrafficRowsAgainstTheFullRegistry) {
  auto base = InstitutionRegistry::LoadCsv(kRegistryPath);
  ASSERT_TRUE(base.ok());
  auto registry = InstitutionRegistry::GenerateFull(1, base.value());
  ASSERT_TRUE(registry.ok());
  const PermitList list = PermitList::GenerateFull(5);
  int checked = 0;
  for (const auto& row : list.rows()) {
    if (row.weight <= 1) continue;
    const Institution* provider = nullptr;
    for (const Institution& b : registry.value()) {
      if (b.kind == row.provider.kind && b.code != kNagaoka) {
        provider = &b;
        break;
      }
    }
    if (provider == nullptr) continue;  // e.g. a kind the registry has no body of
    PermitRequest request{kNagaoka, row.jm, row.jt, provider->code, row.tm_items};
    const PermitDecision d = list.Check(request, registry.value(), Jst(2025, 1, 1));
    EXPECT_EQ(d.status, PermitStatus::kPermitted) << row.id << " " << d.Reason();
    EXPECT_EQ(d.row_id, row.id);
    request.tm_items.push_back("TM99999999999999");
    EXPECT_EQ(list.Check(request, registry.value(), Jst(2025, 1, 1)).status,
              PermitStatus::kItemNotPermitted);
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

// ---- staleness of a provider's copy ----

TEST(PermitListTest, AcceptableCopyHonoursTheStalenessWindowInclusively) {
  auto list = ParseRows(kGoodRow);
  ASSERT_TRUE(list.ok());
  const Duration window = Duration::Hours(48);
  const SimTime end = list->valid_to();
  EXPECT_TRUE(AcceptableCopy(*list, end, window));
  EXPECT_TRUE(AcceptableCopy(*list, end + window, window));
  EXPECT_FALSE(AcceptableCopy(*list, end + window + Duration::Micros(1), window));
}

TEST(PermitListTest, AcceptableCopyWithZeroWindowEndsWithTheList) {
  auto list = ParseRows(kGoodRow);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(AcceptableCopy(*list, list->valid_to(), Duration()));
  EXPECT_FALSE(AcceptableCopy(*list, list->valid_to() + Duration::Micros(1), Duration()));
}

TEST(PermitListTest, AcceptableCopyRefusesACopyNotYetInForce) {
  auto list = ParseRows(kGoodRow);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(AcceptableCopy(*list, list->valid_from(), Duration::Days(1)));
  EXPECT_FALSE(AcceptableCopy(*list, list->valid_from() - Duration::Micros(1), Duration::Days(1)));
}

}  // namespace
}  // namespace renkei::netsim
