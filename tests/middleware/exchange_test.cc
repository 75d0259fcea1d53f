#include "middleware/exchange.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <string>
#include <vector>

#include "netsim/errors.h"
#include "netsim/rng.h"

namespace renkei::middleware {
namespace {

namespace crypto = netsim::crypto;
namespace json = boost::json;
using netsim::SimTime;

QueryBody SampleQuery() {
  QueryBody q;
  q.processing_number = "Q1015202100000006-0000000042";
  q.permit = "permit-text";
  q.start_date = "2024-04-01";
  q.end_date = "2025-03-31";
  q.non_disclosure = true;
  return q;
}

AnswerBody SampleAnswer() {
  AnswerBody a;
  a.processing_number = "Q1015202100000006-0000000042";
  a.permit_id = "P-7";
  a.status = RecordStatus::kNormal;
  a.message = "";
  a.items = {{"TM00000000000123", ItemStatus::kObtained, "3200000"},
             {"TM00000000000124", ItemStatus::kNoData, ""}};
  a.provided_at = SimTime::FromMicros(123456789);
  a.final = true;
  return a;
}

std::string Text(const crypto::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }
crypto::Bytes BytesOf(const std::string& text) { return crypto::Bytes(text.begin(), text.end()); }

crypto::Bytes Encode(const QueryBody& q) {
  auto bytes = EncodeQuery(q);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : crypto::Bytes{};
}
crypto::Bytes Encode(const AnswerBody& a) {
  auto bytes = EncodeAnswer(a);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message;
  return bytes.ok() ? *bytes : crypto::Bytes{};
}

json::object Doc(const crypto::Bytes& bytes) { return json::parse(Text(bytes)).as_object(); }

// ---- canonical encoding and round trips ----

TEST(ExchangeTest, EncodesQueryWithFieldsInCanonicalOrder) {
  EXPECT_EQ(Text(Encode(SampleQuery())),
            R"({"processing_number":"Q1015202100000006-0000000042","permit":"permit-text",)"
            R"("start_date":"2024-04-01","end_date":"2025-03-31","non_disclosure":true})");
}

TEST(ExchangeTest, EncodesAnswerWithFieldsInCanonicalOrder) {
  EXPECT_EQ(Text(Encode(SampleAnswer())),
            R"({"processing_number":"Q1015202100000006-0000000042","permit_id":"P-7",)"
            R"("status":"09","message":"","items":[)"
            R"({"tm":"TM00000000000123","status":"01","value":"3200000"},)"
            R"({"tm":"TM00000000000124","status":"02","value":""}],)"
            R"("provided_at":123456789,"final":true})");
}

TEST(ExchangeTest, QueryWithPeriodRoundTrips) {
  const QueryBody q = SampleQuery();
  auto back = DecodeQuery(Encode(q));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, q);
}

TEST(ExchangeTest, QueryWithoutPeriodRoundTrips) {
  QueryBody q = SampleQuery();
  q.start_date.clear();
  q.end_date.clear();
  q.non_disclosure = false;
  auto back = DecodeQuery(Encode(q));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, q);
}

TEST(ExchangeTest, QueryWithOneDayPeriodRoundTrips) {
  QueryBody q = SampleQuery();
  q.start_date = "2024-02-29";
  q.end_date = "2024-02-29";
  auto back = DecodeQuery(Encode(q));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, q);
}

TEST(ExchangeTest, QueryTextNeedingEscapesRoundTrips) {
  QueryBody q = SampleQuery();
  q.permit = "line1\nline2\t\"quoted\" back\\slash \x01 照会 \xF0\x9F\x98\x80";
  auto back = DecodeQuery(Encode(q));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, q);
}

TEST(ExchangeTest, AnswerRoundTrips) {
  const AnswerBody a = SampleAnswer();
  auto back = DecodeAnswer(Encode(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
}

TEST(ExchangeTest, AnswerWithEveryStatusRoundTrips) {
  for (RecordStatus status :
       {RecordStatus::kNormal, RecordStatus::kNotPermitted, RecordStatus::kNoToken,
        RecordStatus::kNoData, RecordStatus::kPendingManual, RecordStatus::kRefused,
        RecordStatus::kExpired, RecordStatus::kTimeout, RecordStatus::kError}) {
    AnswerBody a = SampleAnswer();
    a.status = status;
    a.message = StandardMessage(status, "TM00000000000123");
    a.items = {{"TM00000000000001", ItemStatus::kObtained, R"({"income":1,"note":"課税"})"},
               {"TM00000000000002", ItemStatus::kNoData, ""},
               {"TM00000000000003", ItemStatus::kWithheld, ""},
               {"TM00000000000004", ItemStatus::kNotPermitted, ""}};
    auto back = DecodeAnswer(Encode(a));
    ASSERT_TRUE(back.ok()) << RecordStatusCode(status) << ": " << back.error().message;
    EXPECT_EQ(*back, a) << RecordStatusCode(status);
  }
}

TEST(ExchangeTest, InterimAnswerWithoutItemsRoundTrips) {
  AnswerBody a = SampleAnswer();
  a.status = RecordStatus::kPendingManual;
  a.message = StandardMessage(RecordStatus::kPendingManual);
  a.items.clear();
  a.final = false;
  a.provided_at = SimTime::FromMicros(-5);  // before the epoch: still an integer
  auto back = DecodeAnswer(Encode(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
}

TEST(ExchangeTest, ObtainedItemWithEmptyValueRoundTrips) {
  AnswerBody a = SampleAnswer();
  a.items = {{"TM00000000000123", ItemStatus::kObtained, ""}};
  auto back = DecodeAnswer(Encode(a));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
}

TEST(ExchangeTest, ReencodingDecodedQueryGivesSameBytes) {
  const crypto::Bytes bytes = Encode(SampleQuery());
  auto decoded = DecodeQuery(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(Encode(*decoded), bytes);
  EXPECT_EQ(Encode(SampleQuery()), bytes);  // and encoding twice gives the same bytes
}

TEST(ExchangeTest, ReencodingDecodedAnswerGivesSameBytes) {
  const crypto::Bytes bytes = Encode(SampleAnswer());
  auto decoded = DecodeAnswer(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(Encode(*decoded), bytes);
  EXPECT_EQ(Encode(SampleAnswer()), bytes);
}

// ---- strict decoding: one test per bad input ----

struct BadCase {
  std::string name;
  std::function<void(json::object&)> mutate;
  std::string field;  // the message must name it
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::string CaseName(const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; }

void ExpectParseErrorNaming(const Status& s, const std::string& field) {
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(netsim::Errc::kParseError)) << s.error().message;
  EXPECT_NE(s.error().message.find(field), std::string::npos)
      << "message '" << s.error().message << "' does not name " << field;
}

template <typename T>
Status AsStatus(const Result<T>& r) {
  if (r.ok()) return OkStatus();
  return r.error();
}

class QueryDecodeTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(QueryDecodeTest, RefusesWithParseErrorNamingTheField) {
  json::object doc = Doc(Encode(SampleQuery()));
  GetParam().mutate(doc);
  ExpectParseErrorNaming(AsStatus(DecodeQuery(BytesOf(json::serialize(doc)))), GetParam().field);
}

auto Erase(const char* key) {
  return [key](json::object& o) { o.erase(key); };
}
auto Set(const char* key, json::value v) {
  return [key, v](json::object& o) { o[key] = v; };
}
auto SetDates(const char* start, const char* end) {
  return [start, end](json::object& o) {
    o["start_date"] = start;
    o["end_date"] = end;
  };
}

INSTANTIATE_TEST_SUITE_P(
    BadQueries, QueryDecodeTest,
    ::testing::Values(
        BadCase{"MissingProcessingNumber", Erase("processing_number"), "'processing_number'"},
        BadCase{"MissingPermit", Erase("permit"), "'permit'"},
        BadCase{"MissingStartDate", Erase("start_date"), "'start_date'"},
        BadCase{"MissingEndDate", Erase("end_date"), "'end_date'"},
        BadCase{"MissingNonDisclosure", Erase("non_disclosure"), "'non_disclosure'"},
        BadCase{"UnknownField", Set("purpose", "curiosity"), "'purpose'"},
        BadCase{"ProcessingNumberAsInteger", Set("processing_number", 42), "'processing_number'"},
        BadCase{"ProcessingNumberAsNull", Set("processing_number", nullptr), "'processing_number'"},
        BadCase{"PermitAsBool", Set("permit", true), "'permit'"},
        BadCase{"PermitAsObject", Set("permit", json::object{{"id", "P-7"}}), "'permit'"},
        BadCase{"StartDateAsInteger", Set("start_date", 20240401), "'start_date'"},
        BadCase{"EndDateAsBool", Set("end_date", false), "'end_date'"},
        BadCase{"NonDisclosureAsString", Set("non_disclosure", "true"), "'non_disclosure'"},
        BadCase{"NonDisclosureAsInteger", Set("non_disclosure", 1), "'non_disclosure'"},
        BadCase{"StartDateThatDoesNotExist", SetDates("2024-02-30", "2024-03-31"), "'start_date'"},
        BadCase{"EndDateThatDoesNotExist", SetDates("2024-01-01", "2023-02-29"), "'end_date'"},
        BadCase{"StartDateWithoutDashes", SetDates("20240101", "2024-03-31"), "'start_date'"},
        BadCase{"EndDateWithSlashes", SetDates("2024-01-01", "2024/03/31"), "'end_date'"},
        BadCase{"EndDateMonthThirteen", SetDates("2024-01-01", "2024-13-01"), "'end_date'"},
        BadCase{"StartDateOnly", SetDates("2024-01-01", ""), "end_date"},
        BadCase{"EndDateOnly", SetDates("", "2024-01-01"), "start_date"},
        BadCase{"StartDateAfterEndDate", SetDates("2024-04-02", "2024-04-01"), "start_date"}),
    CaseName);

class AnswerDecodeTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(AnswerDecodeTest, RefusesWithParseErrorNamingTheField) {
  json::object doc = Doc(Encode(SampleAnswer()));
  GetParam().mutate(doc);
  ExpectParseErrorNaming(AsStatus(DecodeAnswer(BytesOf(json::serialize(doc)))), GetParam().field);
}

// Mutates the first item of the answer.
auto Item(std::function<void(json::object&)> mutate) {
  return [mutate](json::object& o) { mutate(o["items"].as_array()[0].as_object()); };
}

INSTANTIATE_TEST_SUITE_P(
    BadAnswers, AnswerDecodeTest,
    ::testing::Values(
        BadCase{"MissingProcessingNumber", Erase("processing_number"), "'processing_number'"},
        BadCase{"MissingPermitId", Erase("permit_id"), "'permit_id'"},
        BadCase{"MissingStatus", Erase("status"), "'status'"},
        BadCase{"MissingMessage", Erase("message"), "'message'"},
        BadCase{"MissingItems", Erase("items"), "'items'"},
        BadCase{"MissingProvidedAt", Erase("provided_at"), "'provided_at'"},
        BadCase{"MissingFinal", Erase("final"), "'final'"},
        BadCase{"MissingItemTm", Item(Erase("tm")), "'tm'"},
        BadCase{"MissingItemStatus", Item(Erase("status")), "'status'"},
        BadCase{"MissingItemValue", Item(Erase("value")), "'value'"},
        BadCase{"UnknownField", Set("signature", "abc"), "'signature'"},
        BadCase{"UnknownItemField", Item(Set("name", "income")), "'name'"},
        BadCase{"PermitIdAsInteger", Set("permit_id", 7), "'permit_id'"},
        BadCase{"StatusAsInteger", Set("status", 9), "'status'"},
        BadCase{"MessageAsBool", Set("message", false), "'message'"},
        BadCase{"ItemsAsObject", Set("items", json::object{}), "'items'"},
        BadCase{"ItemsAsStrings", Set("items", json::array{"TM00000000000123"}), "'items'"},
        BadCase{"ProvidedAtAsString", Set("provided_at", "123456789"), "'provided_at'"},
        BadCase{"ProvidedAtAsFraction", Set("provided_at", 1.5), "'provided_at'"},
        BadCase{"ProvidedAtBeyondInt64", Set("provided_at", uint64_t{18446744073709551615u}),
                "'provided_at'"},
        BadCase{"ProvidedAtAsBool", Set("provided_at", true), "'provided_at'"},
        BadCase{"FinalAsString", Set("final", "true"), "'final'"},
        BadCase{"FinalAsInteger", Set("final", 1), "'final'"},
        BadCase{"ItemTmAsInteger", Item(Set("tm", 123)), "'tm'"},
        BadCase{"ItemStatusAsInteger", Item(Set("status", 1)), "'status'"},
        BadCase{"ItemValueAsBool", Item(Set("value", true)), "'value'"},
        BadCase{"StatusCode99", Set("status", "99"), "'status'"},
        BadCase{"StatusCodeOneDigit", Set("status", "9"), "'status'"},
        BadCase{"StatusCodeEmpty", Set("status", ""), "'status'"},
        BadCase{"StatusName", Set("status", "normal"), "'status'"},
        BadCase{"ItemStatusCode99", Item(Set("status", "99")), "'status'"},
        BadCase{"ItemStatusCode05", Item(Set("status", "05")), "'status'"},
        BadCase{"ValueForItemWithNoData", Item([](json::object& i) {
                  i["status"] = "02";
                  i["value"] = "3200000";
                }),
                "value"},
        BadCase{"ValueForWithheldItem", Item([](json::object& i) {
                  i["status"] = "03";
                  i["value"] = "3200000";
                }),
                "value"},
        BadCase{"ValueForNotPermittedItem", Item([](json::object& i) {
                  i["status"] = "04";
                  i["value"] = "x";
                }),
                "value"}),
    CaseName);

TEST(ExchangeTest, ItemErrorsNameTheAnswerItemDocument) {
  json::object doc = Doc(Encode(SampleAnswer()));
  doc["items"].as_array()[1].as_object().erase("tm");
  auto r = DecodeAnswer(BytesOf(json::serialize(doc)));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().message.starts_with("answer item:")) << r.error().message;
}

TEST(ExchangeTest, RefusesQueryThatIsNotJson) {
  auto r = DecodeQuery(BytesOf("processing_number=Q1"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  EXPECT_TRUE(r.error().message.starts_with("query:")) << r.error().message;
}

TEST(ExchangeTest, RefusesQueryThatIsAnArray) {
  auto r = DecodeQuery(BytesOf(R"(["Q1","permit","","",false])"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
}

TEST(ExchangeTest, RefusesAnswerThatIsEmpty) {
  auto r = DecodeAnswer(crypto::Bytes{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  EXPECT_TRUE(r.error().message.starts_with("answer:")) << r.error().message;
}

TEST(ExchangeTest, RefusesAnswerWithTrailingGarbage) {
  std::string text = Text(Encode(SampleAnswer())) + "x";
  auto r = DecodeAnswer(BytesOf(text));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
}

TEST(ExchangeTest, RefusesQueryWithInvalidUtf8) {
  QueryBody q = SampleQuery();
  std::string text = Text(Encode(q));
  text.replace(text.find("permit-text"), 11, "permit\xC3\x28text");
  auto r = DecodeQuery(BytesOf(text));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
}

// A repeated field is not "exactly a query document": Boost.JSON keeps the last duplicate, so
// {"non_disclosure":true,...,"non_disclosure":false} would otherwise read as false while a
// first-wins reader of the same signed bytes would see true.
TEST(ExchangeTest, RefusesQueryWithDuplicateField) {
  std::string text = Text(Encode(SampleQuery()));  // non_disclosure is true
  text.insert(text.size() - 1, R"(,"non_disclosure":false)");
  auto r = DecodeQuery(BytesOf(text));
  ASSERT_FALSE(r.ok()) << "decoded with non_disclosure = " << r->non_disclosure;
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  EXPECT_NE(r.error().message.find("'non_disclosure'"), std::string::npos) << r.error().message;
}

TEST(ExchangeTest, RefusesAnswerItemWithDuplicateField) {
  std::string text = Text(Encode(SampleAnswer()));
  const std::string first_value = R"("value":"3200000")";
  text.insert(text.find(first_value) + first_value.size(), R"(,"value":"9999999")");
  auto r = DecodeAnswer(BytesOf(text));
  ASSERT_FALSE(r.ok()) << "decoded with value = " << r->items[0].value;
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  EXPECT_NE(r.error().message.find("'value'"), std::string::npos) << r.error().message;
}

// ---- robustness: prefixes and seeded mutations never crash ----

TEST(ExchangeTest, EveryProperPrefixOfQueryIsRefused) {
  const crypto::Bytes bytes = Encode(SampleQuery());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeQuery(crypto::ByteView(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  }
  EXPECT_TRUE(DecodeQuery(bytes).ok());
}

TEST(ExchangeTest, EveryProperPrefixOfAnswerIsRefused) {
  const crypto::Bytes bytes = Encode(SampleAnswer());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeAnswer(crypto::ByteView(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError));
  }
  EXPECT_TRUE(DecodeAnswer(bytes).ok());
}

// Applies one to four random edits: bit flips, bytes from JSON's grammar, deletions,
// insertions, duplicated spans, truncation.
crypto::Bytes Mutate(crypto::Bytes b, netsim::Rng& rng) {
  static constexpr char kInteresting[] = "\"{}[],:\\0123456789-.eE+tfnul \x00\x7f\xc3\xff";
  const int edits = static_cast<int>(rng.UniformRange(1, 4));
  for (int e = 0; e < edits; ++e) {
    if (b.empty()) {
      b.push_back(static_cast<uint8_t>(rng.Uniform(256)));
      continue;
    }
    const size_t at = rng.Uniform(b.size());
    switch (rng.Uniform(6)) {
      case 0:
        b[at] ^= static_cast<uint8_t>(1u << rng.Uniform(8));
        break;
      case 1:
        b[at] = static_cast<uint8_t>(kInteresting[rng.Uniform(sizeof(kInteresting) - 1)]);
        break;
      case 2:
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      case 3:
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at),
                 static_cast<uint8_t>(kInteresting[rng.Uniform(sizeof(kInteresting) - 1)]));
        break;
      case 4: {
        const size_t len = 1 + rng.Uniform(std::min<size_t>(16, b.size() - at));
        crypto::Bytes span(b.begin() + static_cast<std::ptrdiff_t>(at),
                           b.begin() + static_cast<std::ptrdiff_t>(at + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), span.begin(), span.end());
        break;
      }
      default:
        b.resize(at);
        break;
    }
  }
  return b;
}

TEST(ExchangeTest, MutatedQueriesDecodeOrFailCleanly) {
  const crypto::Bytes valid = Encode(SampleQuery());
  netsim::Rng rng(20240401, netsim::Rng::StreamId("tests/exchange/query-mutations"));
  int decoded = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    const crypto::Bytes bytes = Mutate(valid, rng);
    auto r = DecodeQuery(bytes);
    if (r.ok()) {
      ++decoded;
      // Whatever decodes is a real query: it encodes and decodes back to itself.
      auto again = DecodeQuery(Encode(*r));
      ASSERT_TRUE(again.ok()) << again.error().message << "\n" << Text(bytes);
      EXPECT_EQ(*again, *r) << Text(bytes);
    } else {
      ++refused;
      EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError)) << Text(bytes);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_EQ(decoded + refused, 4000);
  EXPECT_GT(decoded, 0);  // the mutations reach the field checks, not only the JSON parser
  EXPECT_GT(refused, 0);
}

TEST(ExchangeTest, MutatedAnswersDecodeOrFailCleanly) {
  const crypto::Bytes valid = Encode(SampleAnswer());
  netsim::Rng rng(20240401, netsim::Rng::StreamId("tests/exchange/answer-mutations"));
  int decoded = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    const crypto::Bytes bytes = Mutate(valid, rng);
    auto r = DecodeAnswer(bytes);
    if (r.ok()) {
      ++decoded;
      auto again = DecodeAnswer(Encode(*r));
      ASSERT_TRUE(again.ok()) << again.error().message << "\n" << Text(bytes);
      EXPECT_EQ(*again, *r) << Text(bytes);
    } else {
      ++refused;
      EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kParseError)) << Text(bytes);
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_EQ(decoded + refused, 4000);
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

TEST(ExchangeTest, RandomBytesNeverDecode) {
  netsim::Rng rng(7, netsim::Rng::StreamId("tests/exchange/random-bytes"));
  for (int i = 0; i < 2000; ++i) {
    crypto::Bytes bytes(rng.Uniform(200));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng.Uniform(256));
    auto q = DecodeQuery(bytes);
    auto a = DecodeAnswer(bytes);
    EXPECT_FALSE(q.ok());
    EXPECT_FALSE(a.ok());
  }
}

}  // namespace
}  // namespace renkei::middleware
