#include "addressing/bulk_import.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "addressing/errors.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "test_support.h"

namespace renkei::addressing {
namespace {

constexpr const char* kHeader = "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所";

std::string Row(uint64_t i, std::string name = "佐藤 一郎", std::string birth = "1970-05-05",
                std::string sex = "男") {
  return netsim::MakeMyNumber(20000000000ULL + i) + "," +
         netsim::MakeJuminhyoCode(3000000000ULL + i) + "," + std::to_string(500000 + i) + "," +
         name + ",サトウ イチロウ," + sex + "," + birth + ",新潟県長岡市大手通一丁目" +
         std::to_string(i % 9 + 1) + "番1号";
}

class BulkImportTest : public testing::AddressingTest {
 protected:
  Result<ImportSummary> Import(const std::string& text, ImportOptions options = {}) {
    std::istringstream in(text);
    return ImportResidentsCsv(*server_, registrar_, in, "residents.csv", options);
  }
};

TEST_F(BulkImportTest, RegistersEveryGoodRow) {
  std::string csv = std::string(kHeader) + "\n";
  for (uint64_t i = 0; i < 25; ++i) csv += Row(i) + "\n";
  auto s = Import(csv, ImportOptions{"JUKI", 10, 100});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->rows, 25);
  EXPECT_EQ(s->numbered, 25);
  EXPECT_EQ(s->rejected, 0);
  EXPECT_EQ(s->batches, 3);
  EXPECT_EQ(server_->Count()->persons, 25);
  EXPECT_EQ(sink_.requests.size(), 25u);
}

TEST_F(BulkImportTest, AcceptsCrlfAndByteOrderMark) {
  const std::string csv = "\xEF\xBB\xBF" + std::string(kHeader) + "\r\n" + Row(1) + "\r\n";
  auto s = Import(csv);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->numbered, 1);
}

TEST_F(BulkImportTest, QuotedFieldsMayHoldCommasAndQuotes) {
  std::string row = Row(1);
  row = row.substr(0, row.rfind(',')) + ",\"新潟県長岡市大手通1-2-3 \"\"コーポ,長岡\"\" 101\"";
  auto s = Import(std::string(kHeader) + "\n" + row + "\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->numbered, 1) << (s->rejections.empty() ? "" : s->rejections[0].reason);
  auto p = server_->LookupByAtena(viewer_, "JUKI", "500001");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->four_info.address, "新潟県長岡市大手通1-2-3 \"コーポ,長岡\" 101");
}

TEST_F(BulkImportTest, WrongHeaderRefusesTheWholeFile) {
  auto s = Import("mynumber,code\n" + Row(1) + "\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kBadCsv));
  EXPECT_NE(s.error().message.find("residents.csv:1:"), std::string::npos);
  EXPECT_EQ(server_->Count()->persons, 0);
}

TEST_F(BulkImportTest, EmptyFileIsRefused) {
  auto s = Import("");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("empty file"), std::string::npos);
}

struct BadRowCase {
  const char* label;
  std::string row;
  std::string expected;  // a fragment of the reason
};

class BulkImportBadRowTest : public BulkImportTest,
                             public ::testing::WithParamInterface<BadRowCase> {};

TEST_P(BulkImportBadRowTest, RejectsTheRowWithItsLineAndKeepsTheRest) {
  const BadRowCase& c = GetParam();
  const std::string csv =
      std::string(kHeader) + "\n" + Row(1) + "\n" + c.row + "\n" + Row(3) + "\n";
  auto s = Import(csv);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->rows, 3);
  EXPECT_EQ(s->numbered, 2);
  ASSERT_EQ(s->rejected, 1);
  ASSERT_EQ(s->rejections.size(), 1u);
  EXPECT_EQ(s->rejections[0].line, 3);
  EXPECT_NE(s->rejections[0].reason.find(c.expected), std::string::npos) << s->rejections[0].reason;
  // No reason ever repeats a 個人番号.
  EXPECT_EQ(s->rejections[0].reason.find(netsim::MakeMyNumber(20000000002ULL).substr(0, 11)),
            std::string::npos);
  EXPECT_EQ(server_->Count()->persons, 2);
}

std::string WithField(int index, const std::string& value) {
  std::string row = Row(2);
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t comma = row.find(',', start);
    fields.push_back(row.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  fields[static_cast<size_t>(index)] = value;
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ",") + f;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    EachMistake, BulkImportBadRowTest,
    ::testing::Values(
        BadRowCase{"TooFewColumns", "1,2,3", "expected 8 columns, got 3"},
        BadRowCase{"TooManyColumns", Row(2) + ",extra", "expected 8 columns, got 9"},
        BadRowCase{"BadEncoding", WithField(3, "\xE5\xB1\xB1\xFF"), "not valid UTF-8"},
        BadRowCase{"BadMyNumberCheckDigit",
                   WithField(0, netsim::MakeMyNumber(20000000002ULL).substr(0, 11) +
                                    std::to_string((netsim::MakeMyNumber(20000000002ULL).back() -
                                                    '0' + 1) %
                                                   10)),
                   "my_number"},
        BadRowCase{"BadJuminhyoCode", WithField(1, "12345"), "住民票コード"},
        BadRowCase{"BadAtenaNumber", WithField(2, "A-1"), "atena_number"},
        BadRowCase{"BadSex", WithField(5, "X"), "性別"},
        BadRowCase{"ImpossibleDate", WithField(6, "1970-02-30"), "生年月日"},
        BadRowCase{"NotADate", WithField(6, "yesterday"), "生年月日"},
        BadRowCase{"EmptyName", WithField(3, ""), "name"},
        BadRowCase{"UnclosedQuote", WithField(7, "\"新潟県長岡市"), "quoted field is not closed"},
        BadRowCase{"ConflictingFourInformation",
                   // Row 1's 個人番号 again, with another birth date.
                   netsim::MakeMyNumber(20000000001ULL) + "," +
                       netsim::MakeJuminhyoCode(3000000001ULL) +
                       ",900,佐藤 一郎,サトウ イチロウ,"
                       "男,1999-01-01,新潟県長岡市",
                   "different 4 information"}),
    [](const ::testing::TestParamInfo<BadRowCase>& p) { return p.param.label; });

TEST_F(BulkImportTest, UnknownBusinessSystemRejectsEveryRow) {
  std::string csv = std::string(kHeader) + "\n" + Row(1) + "\n" + Row(2) + "\n";
  auto s = Import(csv, ImportOptions{"TAX", 100, 100});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rejected, 2);
  EXPECT_NE(s->rejections[0].reason.find("TAX"), std::string::npos);
  EXPECT_EQ(server_->Count()->persons, 0);
}

TEST_F(BulkImportTest, ReimportingTheSameFileChangesNothing) {
  std::string csv = std::string(kHeader) + "\n";
  for (uint64_t i = 0; i < 5; ++i) csv += Row(i) + "\n";
  ASSERT_TRUE(Import(csv).ok());
  auto again = Import(csv);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 5);
  EXPECT_EQ(again->numbered, 0);
  EXPECT_EQ(server_->Count()->persons, 5);
}

TEST_F(BulkImportTest, CountsAllRejectionsButKeepsOnlyTheFirstInDetail) {
  std::string csv = std::string(kHeader) + "\n";
  for (int i = 0; i < 10; ++i) csv += "bad\n";
  auto s = Import(csv, ImportOptions{"JUKI", 100, 3});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rejected, 10);
  EXPECT_EQ(s->rejections.size(), 3u);
}

TEST_F(BulkImportTest, ViewerCannotImport) {
  std::istringstream in(std::string(kHeader) + "\n" + Row(1) + "\n");
  auto s = ImportResidentsCsv(*server_, viewer_, in, "residents.csv");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  EXPECT_EQ(server_->Count()->persons, 0);
}

// ReadResidentsCsv: the whole file or nothing, for scenario worlds.

std::string Atena(uint64_t i) {
  char serial[32];
  std::snprintf(serial, sizeof serial, "%09llu", static_cast<unsigned long long>(100000000 + i));
  return std::string("152021") + serial;
}

// Row() with a 15-digit 宛名番号 of 長岡市, as a scenario's residents_file has them.
std::string FileRow(uint64_t i) {
  std::string row = Row(i);
  const size_t first = row.find(',', row.find(',') + 1) + 1;
  const size_t end = row.find(',', first);
  return row.substr(0, first) + Atena(i) + row.substr(end);
}

Result<std::vector<Resident>> ReadText(const std::string& text) {
  std::istringstream in(text);
  return ReadResidentsCsv(in, "people.csv");
}

TEST(ReadResidentsCsvTest, ReadsEveryRowInOrder) {
  auto r = ReadText(std::string(kHeader) + "\r\n" + FileRow(1) + "\r\n" + FileRow(2) + "\n\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].atena_number, Atena(1));
  EXPECT_EQ((*r)[1].my_number, netsim::MakeMyNumber(20000000002ULL));
  EXPECT_EQ((*r)[1].sex, Sex::kMale);
  EXPECT_EQ(FormatDate((*r)[1].birth_date), "1970-05-05");
}

TEST(ReadResidentsCsvTest, RefusesTheWholeFileAtTheFirstBadRow) {
  auto r = ReadText(std::string(kHeader) + "\n" + FileRow(1) + "\n" +
                    FileRow(2).replace(FileRow(2).find("1970-05-05"), 10, "1970-02-30") + "\n" +
                    FileRow(3) + "\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("people.csv:3: 生年月日: ", 0), 0u) << r.error().message;
}

TEST(ReadResidentsCsvTest, RefusesAPersonTwiceWithoutShowingTheNumber) {
  std::string twice = FileRow(1);
  twice.replace(twice.find(Atena(1)), 15, Atena(9));
  auto r = ReadText(std::string(kHeader) + "\n" + FileRow(1) + "\n" + twice + "\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "people.csv:3: 個人番号: the same person appears twice in the file");
  auto a = ReadText(std::string(kHeader) + "\n" + FileRow(1) + "\n" + FileRow(1) + "\n");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message,
            "people.csv:3: 宛名番号: " + Atena(1) + " appears twice in the file");
}

TEST(ReadResidentsCsvTest, RefusesAnOpenQuoteAtItsLine) {
  std::string open = FileRow(2);
  open.insert(open.rfind(',') + 1, "\"");
  auto r = ReadText(std::string(kHeader) + "\n" + FileRow(1) + "\n" + open + "\n" + FileRow(3) +
                    "\n\"x\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "people.csv:3: column 8: quoted field is not closed");
}

TEST(ReadResidentsCsvTest, RefusesAWrongHeaderAndAnEmptyFile) {
  EXPECT_EQ(ReadText("").error().message.rfind("people.csv:1: empty file", 0), 0u);
  EXPECT_EQ(ReadText("a,b\n").error().message.rfind("people.csv:1: the header must be", 0), 0u);
}

}  // namespace
}  // namespace renkei::addressing
