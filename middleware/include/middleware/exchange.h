// The two messages the intermediate servers exchange with each other over the interface
// system: the query (情報照会, requester → provider, carrying the provision permit) and the
// answer (情報提供, provider → requester). Their bodies are canonical JSON documents read
// strictly (netsim/json_body.h); docs/intermediate_server.md lists the fields.
//
// A query names nothing the permit does not already fix: the parties, JM, JT and the TM items
// come from the signed permit, so a requester cannot widen a query past what the core allowed.
// The query adds only the conditions (the period) and the requester-side non-disclosure code.
//
// An answer travels in an envelope signed by the provider's answer key; the requester checks
// the signature against the provider's published key before it believes a word of it.
// Thread safety: value types and free functions.
#pragma once

#include <string>
#include <vector>

#include "middleware/batch_file.h"
#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/time.h"

namespace renkei::middleware {

struct QueryBody {
  std::string processing_number;  // 処理通番 (equals the permit's)
  std::string permit;             // the permit's text form (netsim::SerializePermit)
  // Optional period, "YYYY-MM-DD" both or neither. The provider answers with the replica whose
  // publication window contains end_date (clamped to the provision date): the data as it
  // stood at the end of the period. Without a period: the data as of the provision date.
  std::string start_date;
  std::string end_date;
  bool non_disclosure = false;  // requester-side 不開示 code

  bool operator==(const QueryBody&) const = default;
};

struct AnswerItem {
  std::string tm;
  ItemStatus status = ItemStatus::kObtained;
  std::string value;  // empty unless obtained

  bool operator==(const AnswerItem&) const = default;
};

struct AnswerBody {
  std::string processing_number;
  std::string permit_id;
  RecordStatus status = RecordStatus::kNormal;
  std::string message;  // the standard message of the status, or the reason of a refusal
  std::vector<AnswerItem> items;
  netsim::SimTime provided_at;
  // False for an interim answer (pending manual): a final one follows for the same 処理通番.
  bool final = true;

  bool operator==(const AnswerBody&) const = default;
};

Result<netsim::crypto::Bytes> EncodeQuery(const QueryBody& body);
// kParseError naming the field for anything that is not exactly a query document.
Result<QueryBody> DecodeQuery(netsim::crypto::ByteView bytes);
Result<netsim::crypto::Bytes> EncodeAnswer(const AnswerBody& body);
Result<AnswerBody> DecodeAnswer(netsim::crypto::ByteView bytes);

}  // namespace renkei::middleware
