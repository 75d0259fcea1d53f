#include "netsim/csv.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "netsim/errors.h"

namespace renkei::netsim {
namespace {

using Fields = std::vector<std::string>;

// Every record of `text`, or the first error as "line L: message".
struct ReadAll {
  std::vector<CsvRecord> records;
  std::string error;
};

ReadAll Read(const std::string& text, CsvOptions options = {}) {
  std::istringstream in(text);
  CsvReader reader(in, options);
  ReadAll all;
  CsvRecord record;
  for (;;) {
    const Result<bool> more = reader.Next(record);
    if (!more.ok()) {
      EXPECT_EQ(more.error().code, make_error_code(Errc::kParseError));
      all.error = "line " + std::to_string(record.line) + ": " + more.error().message;
      return all;
    }
    if (!*more) return all;
    all.records.push_back(record);
  }
}

TEST(CsvReaderTest, SplitsPlainAndQuotedFields) {
  const ReadAll r = Read("a,\"b,c\",,\"d\"\"e\"\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"a", "b,c", "", "d\"e"}));
  EXPECT_EQ(r.records[0].line, 1);
}

TEST(CsvReaderTest, KeepsEmptyFieldsAtBothEnds) {
  const ReadAll r = Read(",a,\n\"\"\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields, (Fields{"", "a", ""}));
  EXPECT_EQ(r.records[1].fields, (Fields{""}));
}

TEST(CsvReaderTest, QuotedFieldMaySpanLines) {
  const ReadAll r = Read("id,payload\n1,\"line one,\n\"\"two\"\"\",end\n2,x\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1].fields, (Fields{"1", "line one,\n\"two\"", "end"}));
  EXPECT_EQ(r.records[1].line, 2);
  EXPECT_EQ(r.records[2].fields, (Fields{"2", "x"}));
  EXPECT_EQ(r.records[2].line, 4);
}

TEST(CsvReaderTest, SkipsBlankLinesBetweenRecordsButKeepsThemInsideQuotes) {
  const ReadAll r = Read("\na\n\r\n\n\"b\n\nc\"\n\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields, (Fields{"a"}));
  EXPECT_EQ(r.records[0].line, 2);
  EXPECT_EQ(r.records[1].fields, (Fields{"b\n\nc"}));
  EXPECT_EQ(r.records[1].line, 5);
}

TEST(CsvReaderTest, StripsByteOrderMarkAndCrlf) {
  const ReadAll r = Read("\xEF\xBB\xBF\"a\",b\r\nc,\"d\r\ne\"\r\n");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields, (Fields{"a", "b"}));
  EXPECT_EQ(r.records[1].fields, (Fields{"c", "d\ne"}));
}

TEST(CsvReaderTest, ByteOrderMarkIsSkippedOnlyAtTheStart) {
  const ReadAll r = Read(
      "a\n\xEF\xBB\xBF"
      "b\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].fields, (Fields{"\xEF\xBB\xBF"
                                         "b"}));
}

TEST(CsvReaderTest, ReadsALastLineWithoutLineEnd) {
  const ReadAll r = Read("a,b\nc,\"d\"");
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].fields, (Fields{"c", "d"}));
}

TEST(CsvReaderTest, LineStartingWithHashIsARecord) {
  const ReadAll r = Read("# not a comment,x\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"# not a comment", "x"}));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) {
  EXPECT_TRUE(Read("").records.empty());
  EXPECT_TRUE(Read("\n\r\n").records.empty());
}

TEST(CsvReaderTest, RejectsTextAfterClosingQuote) {
  EXPECT_EQ(Read("a\n\"b\"c,d\n").error, "line 2: column 1: text after the closing quote");
}

TEST(CsvReaderTest, RejectsQuoteInsideUnquotedField) {
  EXPECT_EQ(Read("a,b\"c\n").error, "line 1: column 2: quote inside an unquoted field");
}

TEST(CsvReaderTest, RejectsQuoteStillOpenAtTheEndNamingTheLineItStartsOn) {
  EXPECT_EQ(Read("a,b\nc,\"d\ne\nf\n").error, "line 2: column 2: quoted field is not closed");
}

TEST(CsvReaderTest, WithoutQuotedLineBreaksAnOpenQuoteIsRefusedAtItsLine) {
  std::istringstream in("a,\"b\nc,d\n");
  CsvReader reader(in, CsvOptions{.quoted_line_breaks = false});
  CsvRecord record;
  const Result<bool> bad = reader.Next(record);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "column 2: quoted field is not closed");
  EXPECT_EQ(record.line, 1);
  const Result<bool> next = reader.Next(record);
  ASSERT_TRUE(next.ok()) << next.error().message;
  ASSERT_TRUE(*next);
  EXPECT_EQ(record.fields, (Fields{"c", "d"}));
  EXPECT_EQ(record.line, 2);
}

TEST(CsvReaderTest, GoesOnAtTheLineAfterAFault) {
  std::istringstream in("a,b\"c,d\ne,f\n\"g\nh\"i\nj\n");
  CsvReader reader(in);
  CsvRecord record;
  ASSERT_FALSE(reader.Next(record).ok());
  ASSERT_TRUE(reader.Next(record).value());
  EXPECT_EQ(record.fields, (Fields{"e", "f"}));
  EXPECT_EQ(record.line, 2);
  // A fault on the second line of a record: the reader goes on after that line.
  ASSERT_FALSE(reader.Next(record).ok());
  EXPECT_EQ(record.line, 3);
  ASSERT_TRUE(reader.Next(record).value());
  EXPECT_EQ(record.fields, (Fields{"j"}));
  EXPECT_EQ(record.line, 5);
  EXPECT_FALSE(reader.Next(record).value());
  EXPECT_EQ(reader.lines_read(), 5);
}

TEST(CsvReaderTest, ErrorsNeverShowTheFieldText) {
  for (const char* text : {"811800323434\"\n", "\"811800323434\"x\n", "\"811800323434\n"}) {
    const std::string error = Read(text).error;
    EXPECT_NE(error, "") << text;
    EXPECT_EQ(error.find("8118"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace renkei::netsim
