#include "middleware/batch_file.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "middleware/errors.h"
#include "netsim/identifiers.h"
#include "netsim/time.h"

namespace renkei::middleware {
namespace {

const std::string kNagaoka = "1015202100000002";  // 長岡市 152021, docs/identifiers.md

// A record every field of which is valid: the base that each bad-field case breaks once.
BatchQueryRecord GoodRecord() {
  BatchQueryRecord r;
  r.numbering = NumberingSystem::kAtenaNumber;
  r.atena_number = "000000000000123";
  r.requested_at = netsim::FromCivil({2024, 4, 1, 9, 30, 15, 123000});
  r.requester_dept = "KENKO-SUISHIN";
  r.requester_user = "user01";
  r.requester_institution = netsim::InstitutionCodeForLgCode("131016");
  r.non_disclosure = false;
  r.business_code = "JM00000000000016";
  r.procedure_code = "JT00000000000161";
  r.provider_institution = kNagaoka;
  r.data_item_code = "TM00000000000101";
  r.condition_type = '1';
  r.fiscal_year_type = '0';
  r.start_date = "20230401";
  r.end_date = "20240331";
  return r;
}

std::string GoodLine() {
  Result<std::string> line = WriteBatchQueryLine(GoodRecord());
  EXPECT_TRUE(line.ok()) << line.error().Describe();
  std::string s = line.value();
  s.resize(s.size() - 2);  // drop CRLF
  return s;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) out.push_back(f);
  return out;
}

std::string Join(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
  return out;
}

std::string WithField(int index, const std::string& value) {
  std::vector<std::string> f = Split(GoodLine());
  f[static_cast<size_t>(index)] = value;
  return Join(f);
}

BatchParse ParseText(const std::string& text) {
  std::istringstream in(text);
  Result<BatchParse> p = ParseBatchQueryFile(in, "q.csv");
  EXPECT_TRUE(p.ok()) << p.error().Describe();
  return p.value();
}

std::string Pad(std::string s, size_t width) {
  s.resize(width, ' ');
  return s;
}

// ---- Each field's validation failure ----

struct FieldCase {
  std::string label;
  std::vector<std::pair<int, std::string>> replace;  // field index (0-based) -> raw text
  std::string field;                                 // the field the error must name
  std::string reason;                                // a substring of the reason
};

void PrintTo(const FieldCase& c, std::ostream* os) { *os << c.label; }

class BatchFieldTest : public testing::TestWithParam<FieldCase> {};

TEST_P(BatchFieldTest, RejectsBadField) {
  const FieldCase& c = GetParam();
  std::vector<std::string> f = Split(GoodLine());
  for (const auto& [index, value] : c.replace) f[static_cast<size_t>(index)] = value;
  const BatchParse p = ParseText("HEAD\r\n" + Join(f) + "\r\n");
  ASSERT_TRUE(p.records.empty());
  // Line 1 is a bad line too (one field); the case's line is line 2.
  std::vector<BatchLineError> line2;
  for (const auto& e : p.errors) {
    if (e.line == 2) line2.push_back(e);
  }
  ASSERT_EQ(line2.size(), 1u) << (line2.empty() ? "no error" : line2[1].Describe());
  EXPECT_EQ(line2[0].field, c.field) << line2[0].Describe();
  EXPECT_NE(line2[0].reason.find(c.reason), std::string::npos) << line2[0].Describe();
  EXPECT_EQ(line2[0].Describe().rfind("q.csv:2: " + c.field + ": ", 0), 0u);
}

std::string BadCheckDigit(std::string code) {
  code.back() = code.back() == '9' ? '0' : static_cast<char>(code.back() + 1);
  return code;
}

const std::string kIntegrated = netsim::MakeIntegratedNumber(12345678901234ULL);

INSTANTIATE_TEST_SUITE_P(
    BatchFields, BatchFieldTest,
    testing::Values(
        FieldCase{"NumberingUnknown", {{0, "03"}}, "numbering_system", "01"},
        FieldCase{"NumberingLetters", {{0, "A1"}}, "numbering_system", "01"},
        FieldCase{"AtenaLetters", {{1, "00000000000012A"}}, "atena_number", "digits"},
        FieldCase{"AtenaPartlyBlank", {{1, "12345          "}}, "atena_number", "digits"},
        FieldCase{"AtenaMissingForSystem01", {{1, Pad("", 15)}}, "atena_number", "required"},
        FieldCase{
            "IntegratedGivenForSystem01", {{2, kIntegrated}}, "integrated_number", "all spaces"},
        FieldCase{"IntegratedBadCheckDigit",
                  {{0, "02"}, {1, Pad("", 15)}, {2, BadCheckDigit(kIntegrated)}},
                  "integrated_number",
                  "check"},
        FieldCase{"IntegratedMissingForSystem02",
                  {{0, "02"}, {1, Pad("", 15)}},
                  "integrated_number",
                  "required"},
        FieldCase{
            "AtenaGivenForSystem02", {{0, "02"}, {2, kIntegrated}}, "atena_number", "all spaces"},
        FieldCase{
            "TimestampFeb29In2023", {{3, "20230229101010000"}}, "requested_at", "calendar day"},
        FieldCase{"TimestampHour24", {{3, "20230101240000000"}}, "requested_at", "time of day"},
        FieldCase{"TimestampSecond60", {{3, "20230101235960000"}}, "requested_at", "time of day"},
        FieldCase{"TimestampMonth13", {{3, "20231301000000000"}}, "requested_at", "calendar day"},
        FieldCase{"TimestampLetters", {{3, "2023010100000000X"}}, "requested_at", "17 digits"},
        FieldCase{"DeptAllSpaces", {{4, Pad("", 20)}}, "requester_dept", "required"},
        FieldCase{"DeptLeadingSpace", {{4, Pad(" KENKO", 20)}}, "requester_dept", "left-aligned"},
        FieldCase{"DeptNotAscii", {{4, Pad("健康課", 20)}}, "requester_dept", "ASCII"},
        FieldCase{"UserAllSpaces", {{5, Pad("", 20)}}, "requester_user", "required"},
        FieldCase{"UserControlChar", {{5, Pad("us\ter", 20)}}, "requester_user", "ASCII"},
        FieldCase{"RequesterBadCheckDigit",
                  {{6, BadCheckDigit(netsim::InstitutionCodeForLgCode("131016"))}},
                  "requester_institution",
                  "check"},
        FieldCase{"RequesterMissing", {{6, Pad("", 16)}}, "requester_institution", "required"},
        FieldCase{"NonDisclosureTwo", {{7, "2"}}, "non_disclosure", "0 or 1"},
        FieldCase{"NonDisclosureBlank", {{7, " "}}, "non_disclosure", "0 or 1"},
        FieldCase{"BusinessGivenProcedureCode", {{8, "JT00000000000016"}}, "business_code", "JM"},
        FieldCase{"ProcedureLetterInDigits", {{9, "JT0000000000016A"}}, "procedure_code", "JT"},
        FieldCase{"DelegatingRequesterBad",
                  {{10, BadCheckDigit(kNagaoka)}},
                  "delegating_requester",
                  "check"},
        FieldCase{"DelegatingProviderPartlyBlank",
                  {{11, Pad("10152021", 16)}},
                  "delegating_provider",
                  "ASCII digits"},
        FieldCase{"ProviderMissing", {{12, Pad("", 16)}}, "provider_institution", "required"},
        FieldCase{"DataItemGivenBusinessCode", {{13, "JM00000000000016"}}, "data_item_code", "TM"},
        FieldCase{"ConditionTypeTwo", {{14, "2"}}, "condition_type", "0 or 1"},
        FieldCase{"FiscalYearTypeLetter", {{15, "x"}}, "fiscal_year_type", "0 or 1"},
        FieldCase{"StartDateFeb30", {{16, "20230230"}}, "start_date", "calendar day"},
        FieldCase{"EndDateLetters", {{17, "2024033X"}}, "end_date", "YYYYMMDD"},
        FieldCase{
            "DatesInverted", {{16, "20240401"}, {17, "20240331"}}, "end_date", "before start_date"},
        FieldCase{"StartDateMissingForPeriod", {{16, Pad("", 8)}}, "start_date", "required"},
        FieldCase{
            "DatesGivenWithoutPeriod", {{14, "0"}, {17, Pad("", 8)}}, "start_date", "all spaces"}),
    [](const testing::TestParamInfo<FieldCase>& param_info) { return param_info.param.label; });

// ---- Whole lines and files ----

TEST(BatchFileTest, AcceptsGoodLineAndKeepsItsNumber) {
  const BatchParse p = ParseText(GoodLine() + "\r\n" + GoodLine() + "\r\n");
  EXPECT_TRUE(p.errors.empty());
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].line, 1);
  EXPECT_EQ(p.records[1].line, 2);
  EXPECT_EQ(p.records[0].record, GoodRecord());
}

TEST(BatchFileTest, ReportsEveryBadLineWithItsNumber) {
  const std::string text = GoodLine() + "\r\n" +                         // 1 good
                           WithField(3, "20230229000000000") + "\r\n" +  // 2 bad timestamp
                           GoodLine() + "\r\n" +                         // 3 good
                           "\r\n" +                                      // 4 empty
                           WithField(16, "20250101") + "\r\n" +          // 5 inverted dates
                           GoodLine() + "\r\n" +                         // 6 good
                           GoodLine().substr(0, 100) + "\r\n" +          // 7 too few fields
                           GoodLine();                                   // 8 good, no CRLF
  const BatchParse p = ParseText(text);
  ASSERT_EQ(p.records.size(), 4u);
  EXPECT_EQ(p.records[0].line, 1);
  EXPECT_EQ(p.records[1].line, 3);
  EXPECT_EQ(p.records[2].line, 6);
  EXPECT_EQ(p.records[3].line, 8);
  EXPECT_EQ(p.BadLines(), (std::vector<int>{2, 4, 5, 7}));
  ASSERT_EQ(p.errors.size(), 4u);
  EXPECT_EQ(p.errors[0].Describe(), "q.csv:2: requested_at: not a calendar day");
  EXPECT_EQ(p.errors[1].Describe(), "q.csv:4: line: empty line");
  EXPECT_EQ(p.errors[2].Describe(), "q.csv:5: end_date: before start_date");
  EXPECT_EQ(p.errors[3].Describe(), "q.csv:7: line: 7 fields, expected 18");
}

TEST(BatchFileTest, ReportsEveryBadFieldOfOneLine) {
  std::vector<std::string> f = Split(GoodLine());
  f[7] = "9";
  f[14] = "9";
  const BatchParse p = ParseText(Join(f) + "\r\n");
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].field, "non_disclosure");
  EXPECT_EQ(p.errors[1].field, "condition_type");
}

TEST(BatchFileTest, RejectsWrongFieldCount) {
  const std::string good = GoodLine();
  const BatchParse p = ParseText(good + ",X\r\n" + good.substr(0, good.rfind(',')) + "\r\n");
  EXPECT_TRUE(p.records.empty());
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].Describe(), "q.csv:1: line: 19 fields, expected 18");
  EXPECT_EQ(p.errors[1].Describe(), "q.csv:2: line: 17 fields, expected 18");
}

TEST(BatchFileTest, RejectsWrongWidths) {
  // An unpadded text field and an overlong flag; each named with the widths seen and wanted.
  std::vector<std::string> f = Split(GoodLine());
  f[4] = "KENKO";
  f[15] = "00";
  const BatchParse p = ParseText(Join(f) + "\r\n");
  ASSERT_EQ(p.errors.size(), 2u);
  EXPECT_EQ(p.errors[0].Describe(), "q.csv:1: requester_dept: width 5, expected 20");
  EXPECT_EQ(p.errors[1].Describe(), "q.csv:1: fiscal_year_type: width 2, expected 1");
}

TEST(BatchFileTest, AcceptsLeapDayTimestamp) {
  const BatchParse p = ParseText(WithField(3, "20240229235959999") + "\r\n");
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].record.requested_at, netsim::FromCivil({2024, 2, 29, 23, 59, 59, 999000}));
}

TEST(BatchFileTest, RejectsLfFileAsAWhole) {
  std::istringstream in(GoodLine() + "\n" + GoodLine() + "\n");
  Result<BatchParse> p = ParseBatchQueryFile(in, "lf.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_NE(p.error().message.find("lf.csv:1:"), std::string::npos);
  EXPECT_NE(p.error().message.find("CRLF"), std::string::npos);
}

TEST(BatchFileTest, ReportsLaterBareLfLine) {
  const BatchParse p = ParseText(GoodLine() + "\r\n" + GoodLine() + "\n" + GoodLine() + "\r\n");
  ASSERT_EQ(p.records.size(), 2u);
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].Describe(), "q.csv:2: line: ends in LF without CR");
}

TEST(BatchFileTest, EmptyFileHasNoRecords) {
  const BatchParse p = ParseText("");
  EXPECT_TRUE(p.records.empty());
  EXPECT_TRUE(p.errors.empty());
}

TEST(BatchFileTest, RejectsUnreadableStream) {
  std::istringstream in("x");
  in.setstate(std::ios::badbit);
  EXPECT_FALSE(ParseBatchQueryFile(in, "bad.csv").ok());
}

TEST(BatchFileTest, QueryLineRoundTrips) {
  BatchQueryRecord r = GoodRecord();
  r.numbering = NumberingSystem::kIntegratedNumber;
  r.atena_number.clear();
  r.integrated_number = kIntegrated;
  r.non_disclosure = true;
  r.delegating_requester = kNagaoka;
  r.delegating_provider = netsim::InstitutionCodeForLgCode("011002");
  r.fiscal_year_type = '1';
  Result<std::string> line = WriteBatchQueryLine(r);
  ASSERT_TRUE(line.ok()) << line.error().Describe();
  EXPECT_EQ(line->size(), static_cast<size_t>(kBatchQueryLineLength) + 2);
  EXPECT_EQ(line->substr(line->size() - 2), "\r\n");
  const BatchParse p = ParseText(*line);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].record, r);

  BatchQueryRecord latest = GoodRecord();  // no period: dates blank
  latest.condition_type = '0';
  latest.start_date.clear();
  latest.end_date.clear();
  Result<std::string> line2 = WriteBatchQueryLine(latest);
  ASSERT_TRUE(line2.ok()) << line2.error().Describe();
  EXPECT_EQ(ParseText(*line2).records.at(0).record, latest);
}

TEST(BatchFileTest, GoodLineHasDocumentedLayout) {
  EXPECT_EQ(GoodLine(),
            "01,000000000000123,               ,20240401093015123,KENKO-SUISHIN       ,"
            "user01              ," +
                netsim::InstitutionCodeForLgCode("131016") +
                ",0,JM00000000000016,JT00000000000161,                ,                ,"
                "1015202100000002,TM00000000000101,1,0,20230401,20240331");
}

TEST(BatchFileTest, WriterRefusesRecordThatWouldNotParse) {
  BatchQueryRecord r = GoodRecord();
  r.requester_dept = "A,B";
  EXPECT_FALSE(WriteBatchQueryLine(r).ok());
  r = GoodRecord();
  r.requester_user = std::string(21, 'u');
  Result<std::string> w = WriteBatchQueryLine(r);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("requester_user: width 21"), std::string::npos);
}

// ---- Status codes and messages ----

TEST(StatusCodeTest, RenderPublicMessagesExactly) {
  EXPECT_EQ(NoTokenMessage("123456789012345"),
            "指定された団体内統合宛名番号「123456789012345」は符号が未取得です。");
  EXPECT_EQ(NotPermittedMessage("TM00000000000101"),
            "指定された特定個人情報名「TM00000000000101」の照会は許可されていません。");
  EXPECT_EQ(StandardMessage(RecordStatus::kNoToken, "123456789012345"),
            NoTokenMessage("123456789012345"));
  EXPECT_EQ(StandardMessage(RecordStatus::kNotPermitted, "予防接種記録"),
            "指定された特定個人情報名「予防接種記録」の照会は許可されていません。");
  EXPECT_EQ(StandardMessage(RecordStatus::kNormal), "");
}

TEST(StatusCodeTest, CodesRoundTripAndAreDistinct) {
  const std::vector<RecordStatus> all = {
      RecordStatus::kNormal,  RecordStatus::kNotPermitted,  RecordStatus::kNoToken,
      RecordStatus::kNoData,  RecordStatus::kPendingManual, RecordStatus::kRefused,
      RecordStatus::kExpired, RecordStatus::kTimeout,       RecordStatus::kError};
  std::vector<std::string> seen;
  for (RecordStatus s : all) {
    const std::string code(RecordStatusCode(s));
    EXPECT_EQ(code.size(), 2u);
    for (const auto& o : seen) EXPECT_NE(o, code);
    seen.push_back(code);
    Result<RecordStatus> back = ParseRecordStatus(code);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
    if (s != RecordStatus::kNormal) {
      EXPECT_FALSE(StandardMessage(s, "x").empty());
    }
  }
  EXPECT_EQ(RecordStatusCode(RecordStatus::kNormal), "09");
  EXPECT_EQ(ItemStatusCode(ItemStatus::kObtained), "01");
  for (ItemStatus s : {ItemStatus::kObtained, ItemStatus::kNoData, ItemStatus::kWithheld,
                       ItemStatus::kNotPermitted}) {
    Result<ItemStatus> back = ParseItemStatus(ItemStatusCode(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(ParseRecordStatus("99").ok());
  EXPECT_FALSE(ParseItemStatus("00").ok());
}

// ---- Result file ----

std::string WriteRows(const std::vector<ResultRow>& rows) {
  std::ostringstream out;
  for (const auto& r : rows) {
    Status s = WriteResultRow(out, r);
    EXPECT_TRUE(s.ok()) << s.error().Describe();
  }
  return out.str();
}

Result<std::vector<ResultRow>> ParseRows(const std::string& text) {
  std::istringstream in(text);
  return ParseResultFile(in, "r.csv");
}

TEST(ResultFileTest, WritesDocumentedLayout) {
  const ResultRow row{
      RecordStatus::kNormal, "", {{ItemStatus::kObtained, "20210601"}, {ItemStatus::kNoData, ""}}};
  EXPECT_EQ(WriteRows({row}), "09,,01,02,20210601,\r\n");
  const ResultRow no_token{RecordStatus::kNoToken, NoTokenMessage("123456789012345"), {}};
  EXPECT_EQ(WriteRows({no_token}),
            "11,指定された団体内統合宛名番号「123456789012345」は符号が未取得です。\r\n");
}

TEST(ResultFileTest, RowsRoundTripWithQuoting) {
  const std::vector<ResultRow> rows = {
      {RecordStatus::kNormal,
       "",
       {{ItemStatus::kObtained, "a,b"},
        {ItemStatus::kObtained, "say \"hi\""},
        {ItemStatus::kObtained, "two\r\nlines"},
        {ItemStatus::kWithheld, ""},
        {ItemStatus::kNotPermitted, ""}}},
      {RecordStatus::kNotPermitted, NotPermittedMessage("TM00000000000101"), {}},
      {RecordStatus::kPendingManual, StandardMessage(RecordStatus::kPendingManual), {}},
      {RecordStatus::kNormal, "", {{ItemStatus::kObtained, " 空白 "}}},
  };
  const std::string text = WriteRows(rows);
  EXPECT_NE(text.find("\"a,b\""), std::string::npos);
  EXPECT_NE(text.find("\"say \"\"hi\"\"\""), std::string::npos);
  Result<std::vector<ResultRow>> back = ParseRows(text);
  ASSERT_TRUE(back.ok()) << back.error().Describe();
  EXPECT_EQ(*back, rows);
}

TEST(ResultFileTest, RejectedLineRowCarriesTheReason) {
  const BatchLineError e{"q.csv", 7, "end_date", "before start_date"};
  const ResultRow row = RejectedLineRow(e);
  EXPECT_EQ(row.status, RecordStatus::kError);
  EXPECT_EQ(WriteRows({row}), "90,end_date: before start_date\r\n");
}

TEST(ResultFileTest, WriterRefusesValueForItemNotObtained) {
  std::ostringstream out;
  const ResultRow row{RecordStatus::kNormal, "", {{ItemStatus::kNoData, "x"}}};
  EXPECT_FALSE(WriteResultRow(out, row).ok());
  EXPECT_TRUE(out.str().empty());
  const ResultRow bad_utf8{RecordStatus::kError, "\xff", {}};
  EXPECT_FALSE(WriteResultRow(out, bad_utf8).ok());
}

struct ResultCase {
  std::string label;
  std::string text;
  std::string reason;
};

void PrintTo(const ResultCase& c, std::ostream* os) { *os << c.label; }

class ResultFileStrictTest : public testing::TestWithParam<ResultCase> {};

TEST_P(ResultFileStrictTest, RefusesMalformedFile) {
  Result<std::vector<ResultRow>> r = ParseRows(GetParam().text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(GetParam().reason), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    ResultFile, ResultFileStrictTest,
    testing::Values(ResultCase{"BareLf", "09,,01,x\n", "r.csv:1: row ends in LF"},
                    ResultCase{"NoFinalCrlf", "09,,01,x", "r.csv:1: row does not end in CRLF"},
                    ResultCase{"UnknownStatus", "09,\r\n77,\r\n", "r.csv:2: unknown record"},
                    ResultCase{"UnknownItemStatus", "09,,05,x\r\n", "item 1: unknown item"},
                    ResultCase{"OddFieldCount", "09,,01\r\n", "3 fields"},
                    ResultCase{"ValueWithoutData", "09,,02,x\r\n", "a value with status 02"},
                    ResultCase{"QuoteInsideField", "09,a\"b\r\n", "quote inside"},
                    ResultCase{"Unterminated", "09,\"abc\r\n", "unterminated"},
                    ResultCase{"TextAfterQuote", "09,\"a\"b\r\n", "after a closing quote"},
                    ResultCase{"BadUtf8", "90,\xe3\x81\r\n", "UTF-8"},
                    ResultCase{"EmptyLine", "09,\r\n\r\n", "r.csv:2: 1 fields"},
                    ResultCase{"LineAfterQuotedNewline", "09,,01,\"a\r\nb\"\r\n90\r\n",
                               "r.csv:3: 1 fields"}),
    [](const testing::TestParamInfo<ResultCase>& param_info) { return param_info.param.label; });

TEST(ResultFileTest, EmptyFileHasNoRows) {
  Result<std::vector<ResultRow>> r = ParseRows("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace renkei::middleware
