#include "middleware/exchange.h"

#include "netsim/errors.h"
#include "netsim/json_body.h"

namespace renkei::middleware {

namespace json = boost::json;
using netsim::jsonbody::Fields;
using netsim::jsonbody::ToBytes;

namespace {

Status CheckDate(std::string_view field, const std::string& value) {
  if (value.empty()) return OkStatus();
  if (!netsim::IsIsoDate(value)) {
    return MakeError(netsim::Errc::kParseError,
                     "query: field '" + std::string(field) + "' must be a date YYYY-MM-DD");
  }
  return OkStatus();
}

}  // namespace

Result<netsim::crypto::Bytes> EncodeQuery(const QueryBody& b) {
  json::object o;
  o["processing_number"] = b.processing_number;
  o["permit"] = b.permit;
  o["start_date"] = b.start_date;
  o["end_date"] = b.end_date;
  o["non_disclosure"] = b.non_disclosure;
  return ToBytes(o);
}

Result<QueryBody> DecodeQuery(netsim::crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "query"));
  QueryBody b;
  RENKEI_TRY(b.processing_number, f.String("processing_number"));
  RENKEI_TRY(b.permit, f.String("permit"));
  RENKEI_TRY(b.start_date, f.String("start_date"));
  RENKEI_TRY(b.end_date, f.String("end_date"));
  RENKEI_TRY(b.non_disclosure, f.Bool("non_disclosure"));
  RENKEI_CHECK_OK(f.NoOthers());
  RENKEI_CHECK_OK(CheckDate("start_date", b.start_date));
  RENKEI_CHECK_OK(CheckDate("end_date", b.end_date));
  if (b.start_date.empty() != b.end_date.empty()) {
    return MakeError(netsim::Errc::kParseError,
                     "query: start_date and end_date must be given together");
  }
  if (b.start_date > b.end_date) {
    return MakeError(netsim::Errc::kParseError, "query: start_date is after end_date");
  }
  return b;
}

Result<netsim::crypto::Bytes> EncodeAnswer(const AnswerBody& b) {
  json::object o;
  o["processing_number"] = b.processing_number;
  o["permit_id"] = b.permit_id;
  o["status"] = RecordStatusCode(b.status);
  o["message"] = b.message;
  json::array items;
  for (const AnswerItem& item : b.items) {
    json::object i;
    i["tm"] = item.tm;
    i["status"] = ItemStatusCode(item.status);
    i["value"] = item.value;
    items.push_back(std::move(i));
  }
  o["items"] = std::move(items);
  o["provided_at"] = b.provided_at.micros();
  o["final"] = b.final;
  return ToBytes(o);
}

Result<AnswerBody> DecodeAnswer(netsim::crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "answer"));
  AnswerBody b;
  RENKEI_TRY(b.processing_number, f.String("processing_number"));
  RENKEI_TRY(b.permit_id, f.String("permit_id"));
  RENKEI_TRY(std::string status, f.String("status"));
  auto parsed = ParseRecordStatus(status);
  if (!parsed.ok()) {
    return MakeError(netsim::Errc::kParseError,
                     "answer: field 'status': " + parsed.error().message);
  }
  b.status = parsed.value();
  RENKEI_TRY(b.message, f.String("message"));
  RENKEI_TRY(std::vector<Fields> items, f.Objects("items", "answer item"));
  for (Fields& item : items) {
    AnswerItem a;
    RENKEI_TRY(a.tm, item.String("tm"));
    RENKEI_TRY(std::string item_status, item.String("status"));
    auto s = ParseItemStatus(item_status);
    if (!s.ok()) {
      return MakeError(netsim::Errc::kParseError,
                       "answer item: field 'status': " + s.error().message);
    }
    a.status = s.value();
    RENKEI_TRY(a.value, item.String("value"));
    RENKEI_CHECK_OK(item.NoOthers());
    if (a.status != ItemStatus::kObtained && !a.value.empty()) {
      return MakeError(netsim::Errc::kParseError,
                       "answer item: a value is given for an item that was not obtained");
    }
    b.items.push_back(std::move(a));
  }
  RENKEI_TRY(int64_t provided, f.Int("provided_at"));
  b.provided_at = netsim::SimTime::FromMicros(provided);
  RENKEI_TRY(b.final, f.Bool("final"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

}  // namespace renkei::middleware
