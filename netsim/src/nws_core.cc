#include "netsim/nws_core.h"

#include <boost/json.hpp>
#include <set>
#include <sstream>
#include <string_view>

#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/json_body.h"

namespace renkei::netsim {
namespace json = boost::json;

using jsonbody::Fields;
using jsonbody::ToArray;
using jsonbody::ToBytes;

Result<crypto::Bytes> EncodePermitRequest(const PermitRequestBody& b) {
  json::object o;
  o["processing_number"] = b.processing_number;
  o["requester"] = b.requester;
  o["provider"] = b.provider;
  o["jm"] = b.jm;
  o["jt"] = b.jt;
  o["tm_items"] = ToArray(b.tm_items);
  o["requester_token"] = b.requester_token;
  return ToBytes(o);
}

Result<PermitRequestBody> DecodePermitRequest(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "permit request"));
  PermitRequestBody b;
  RENKEI_TRY(b.processing_number, f.String("processing_number"));
  RENKEI_TRY(b.requester, f.String("requester"));
  RENKEI_TRY(b.provider, f.String("provider"));
  RENKEI_TRY(b.jm, f.String("jm"));
  RENKEI_TRY(b.jt, f.String("jt"));
  RENKEI_TRY(b.tm_items, f.Strings("tm_items"));
  RENKEI_TRY(b.requester_token, f.String("requester_token"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<crypto::Bytes> EncodePermitGrant(const PermitGrantBody& b) {
  json::object o;
  o["permit"] = SerializePermit(b.permit);
  o["route"] = ToArray(b.route);
  o["provider_endpoint"] = b.provider_endpoint;
  return ToBytes(o);
}

Result<PermitGrantBody> DecodePermitGrant(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "permit grant"));
  PermitGrantBody b;
  RENKEI_TRY(std::string permit_text, f.String("permit"));
  RENKEI_TRY(b.permit, ParsePermit(permit_text));
  RENKEI_TRY(b.route, f.Strings("route"));
  RENKEI_TRY(b.provider_endpoint, f.String("provider_endpoint"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<crypto::Bytes> EncodePermitDenial(const PermitDenialBody& b) {
  json::object o;
  o["processing_number"] = b.processing_number;
  o["status"] = b.status;
  o["reason"] = b.reason;
  return ToBytes(o);
}

Result<PermitDenialBody> DecodePermitDenial(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "permit denial"));
  PermitDenialBody b;
  RENKEI_TRY(b.processing_number, f.String("processing_number"));
  RENKEI_TRY(b.status, f.String("status"));
  RENKEI_TRY(b.reason, f.String("reason"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<crypto::Bytes> EncodeTokenRequest(const TokenRequestBody& b) {
  json::object o;
  o["acquisition_number"] = b.acquisition_number;
  o["institution_code"] = b.institution_code;
  o["juminhyo_code"] = b.juminhyo_code;
  return ToBytes(o);
}

Result<TokenRequestBody> DecodeTokenRequest(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "token request"));
  TokenRequestBody b;
  RENKEI_TRY(b.acquisition_number, f.String("acquisition_number"));
  RENKEI_TRY(b.institution_code, f.String("institution_code"));
  RENKEI_TRY(b.juminhyo_code, f.String("juminhyo_code"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<crypto::Bytes> EncodeTokenDelivery(const TokenDeliveryBody& b) {
  json::object o;
  o["acquisition_number"] = b.acquisition_number;
  o["outcome"] = b.outcome;
  o["token"] = b.token;
  o["reason"] = b.reason;
  return ToBytes(o);
}

Result<TokenDeliveryBody> DecodeTokenDelivery(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "token delivery"));
  TokenDeliveryBody b;
  RENKEI_TRY(b.acquisition_number, f.String("acquisition_number"));
  RENKEI_TRY(b.outcome, f.String("outcome"));
  RENKEI_TRY(b.token, f.String("token"));
  RENKEI_TRY(b.reason, f.String("reason"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<crypto::Bytes> EncodeListDistribution(const ListDistributionBody& b) {
  json::object o;
  o["version"] = b.version;
  o["csv"] = b.csv;
  return ToBytes(o);
}

Result<ListDistributionBody> DecodeListDistribution(crypto::ByteView bytes) {
  RENKEI_TRY(Fields f, Fields::Parse(bytes, "list distribution"));
  ListDistributionBody b;
  RENKEI_TRY(b.version, f.String("version"));
  RENKEI_TRY(b.csv, f.String("csv"));
  RENKEI_CHECK_OK(f.NoOthers());
  return b;
}

Result<PermitList> ReceiveList(const ListDistributionBody& body) {
  std::istringstream in(body.csv);
  RENKEI_TRY(PermitList list, PermitList::FromCsv(in, "distributed list " + body.version));
  if (list.version() != body.version) {
    return MakeError(Errc::kParseError, "list distribution: version " + body.version +
                                            " announced, the list says " + list.version());
  }
  return list;
}

NwsCore::NwsCore(EventLoop& loop, SimNetwork& network, const InstitutionRegistry& registry,
                 const PermitList& list, TokenService& tokens, const PermitSigner& signer,
                 CoreRecords& records, NwsCoreConfig config)
    : loop_(loop),
      network_(network),
      registry_(registry),
      list_(list),
      tokens_(tokens),
      signer_(signer),
      records_(records),
      config_(std::move(config)) {}

Status NwsCore::Attach() {
  return network_.AddNode(config_.node, [this](const Delivery& d) { OnDelivery(d); });
}

void NwsCore::DistributeList(const std::vector<std::string>& bodies) {
  std::ostringstream csv;
  list_.WriteCsv(csv);
  const crypto::Bytes body = EncodeListDistribution({list_.version(), csv.str()}).value();
  for (const std::string& to : bodies) {
    Envelope e;
    e.message_id = "NWS-" + std::to_string(next_message_++);
    e.type = MessageType::kListDistribution;
    e.mode = ExecutionMode::kBatch;
    e.source = config_.node;
    e.destination = to;
    e.result_code = kResultOk;
    e.body = body;
    auto bytes = Encode(e);
    if (!bytes.ok() || !network_.Send(config_.node, NextHop(to), std::move(bytes).value()).ok()) {
      ++stats_.reply_failures;
    }
  }
}

void NwsCore::RecordPermit(CoreRecordKind kind, const PermitRequestBody& b, std::string outcome,
                           std::string reason) {
  Record(CoreRecord{0,
                    {},
                    kind,
                    b.processing_number,
                    b.requester,
                    b.provider,
                    b.jm,
                    b.jt,
                    b.tm_items,
                    std::move(outcome),
                    std::move(reason)});
}

void NwsCore::RecordToken(CoreRecordKind kind, const TokenRequestBody& b, std::string outcome,
                          std::string reason) {
  // Token records name the acquisition and the body only: no provider, procedure or items.
  Record(CoreRecord{0,
                    {},
                    kind,
                    b.acquisition_number,
                    b.institution_code,
                    "",
                    "",
                    "",
                    {},
                    std::move(outcome),
                    std::move(reason)});
}

void NwsCore::Record(CoreRecord record) {
  record.time = loop_.Now();
  if (Status s = records_.Append(record); !s.ok() && !records_failure_) {
    records_failure_ = s.error();
  }
}

void NwsCore::Reply(const Envelope& request, MessageType type, const char* result_code,
                    crypto::Bytes body) {
  Envelope e;
  e.message_id = "NWS-" + std::to_string(next_message_++);
  e.type = type;
  e.mode = request.mode;
  e.source = config_.node;
  e.destination = request.source;
  e.reception_number = request.reception_number;
  e.result_code = result_code;
  e.body = std::move(body);
  auto bytes = Encode(e);
  if (!bytes.ok() ||
      !network_.Send(config_.node, NextHop(e.destination), std::move(bytes).value()).ok()) {
    ++stats_.reply_failures;
  }
}

void NwsCore::OnDelivery(const Delivery& d) {
  auto envelope = Decode(d.bytes);
  if (!envelope.ok()) {
    ++stats_.malformed;
    // The sender is known from the link even when the bytes are garbage.
    Envelope stub;
    stub.source = d.from;
    if (ValidateInstitutionCode(d.from).ok()) {
      PermitDenialBody body{"", "malformed", envelope.error().message};
      Reply(stub, MessageType::kError, kResultMalformed, EncodePermitDenial(body).value());
    }
    return;
  }
  Envelope request = std::move(envelope).value();
  switch (request.type) {
    case MessageType::kPermitRequest:
      // The list check and signing take time at the core.
      loop_.ScheduleAfter(config_.permit_check_delay,
                          [this, request = std::move(request)] { HandlePermitRequest(request); });
      return;
    case MessageType::kTokenRequest:
      loop_.ScheduleAfter(config_.token_turnaround,
                          [this, request = std::move(request)] { HandleTokenRequest(request); });
      return;
    default: {
      ++stats_.unsupported;
      PermitDenialBody body{"", "unsupported",
                            "the NWS core does not serve " +
                                std::string(MessageTypeName(request.type)) + " messages"};
      Reply(request, MessageType::kError, kResultUnsupported, EncodePermitDenial(body).value());
    }
  }
}

void NwsCore::HandlePermitRequest(const Envelope& request) {
  ++stats_.permit_requests;
  auto body = DecodePermitRequest(request.body);
  if (!body.ok()) {
    ++stats_.malformed;
    ++stats_.denials;
    Record(CoreRecord{0,
                      {},
                      CoreRecordKind::kPermitDenial,
                      "",
                      request.source,
                      "",
                      "",
                      "",
                      {},
                      "malformed",
                      body.error().message});
    Reply(request, MessageType::kPermitDenial, kResultMalformed,
          EncodePermitDenial({"", "malformed", body.error().message}).value());
    return;
  }
  const PermitRequestBody& b = body.value();
  RecordPermit(CoreRecordKind::kPermitRequest, b, "", "");
  auto deny = [&](std::string status, std::string reason) {
    DenyPermit(request, b, std::move(status), std::move(reason));
  };
  // The envelope's sender must be the requester it names: a body cannot ask in another's
  // name.
  if (b.requester != request.source) {
    deny("misaddressed", "requester " + b.requester + " is not the sender " + request.source);
    return;
  }
  const PermitDecision decision = list_.Check(
      PermitRequest{b.requester, b.jm, b.jt, b.provider, b.tm_items}, registry_, loop_.Now());
  if (!decision.permitted()) {
    deny(std::string(PermitStatusName(decision.status)), decision.Reason());
    return;
  }
  auto token = Token::Parse(b.requester_token);
  if (!token.ok()) {
    deny("bad_token", "requester_token: " + token.error().message);
    return;
  }
  auto converted = tokens_.Convert(token.value(), b.requester, b.provider);
  if (!converted.ok()) {
    deny("bad_token", "requester_token: " + converted.error().message);
    return;
  }
  ProvisionPermit permit;
  if (records_failure_) {
    deny("error", "the core records cannot be written: no permit is issued unrecorded");
    return;
  }
  // Named after the request's core record: unique for as long as the records are kept,
  // across restarts too (a counter in memory would hand out PMT-1 again, and providers
  // remember used permit ids).
  permit.permit_id = "PMT-" + std::to_string(records_.Head().seq);
  permit.processing_number = b.processing_number;
  permit.requester = b.requester;
  permit.provider = b.provider;
  permit.jm = b.jm;
  permit.jt = b.jt;
  permit.tm_items = b.tm_items;
  permit.provider_token = converted->ToText();
  permit.issued_at = loop_.Now();
  permit.expires_at = loop_.Now() + config_.permit_lifetime;
  // The signature is the expensive step: it is computed (with the grant's encoding) off the
  // loop thread while the core handles other requests, and the grant (record and reply)
  // follows in an event posted now, so its place in the order does not depend on which
  // thread signed. The signer is copied (a key id and a shared immutable key): the job may
  // outlive this core.
  const Institution* provider = registry_.Find(b.provider);
  PermitGrantBody grant{std::move(permit),
                        {b.requester, config_.interface_node, b.provider},
                        provider != nullptr ? provider->endpoint : ""};
  loop_.Offload(
      Duration(),
      [signer = signer_, grant = std::move(grant)]() mutable {
        SignedGrant done{signer.Sign(grant.permit), crypto::Bytes{}, grant.permit.permit_id};
        if (done.status.ok()) done.encoded = EncodePermitGrant(grant);
        return done;
      },
      [this, request, b](SignedGrant done) { GrantPermit(request, b, done); });
}

void NwsCore::DenyPermit(const Envelope& request, const PermitRequestBody& b, std::string status,
                         std::string reason) {
  ++stats_.denials;
  RecordPermit(CoreRecordKind::kPermitDenial, b, status, reason);
  Reply(request, MessageType::kPermitDenial, kResultDenied,
        EncodePermitDenial({b.processing_number, std::move(status), std::move(reason)}).value());
}

void NwsCore::GrantPermit(const Envelope& request, const PermitRequestBody& b, SignedGrant& done) {
  if (!done.status.ok()) {
    DenyPermit(request, b, "error", "permit: " + done.status.error().message);
    return;
  }
  if (records_failure_) {
    DenyPermit(request, b, "error",
               "the core records cannot be written: no permit is issued unrecorded");
    return;
  }
  ++stats_.grants;
  RecordPermit(CoreRecordKind::kPermitGrant, b, "issued", done.permit_id);
  if (!done.encoded.ok()) {
    ++stats_.reply_failures;
    return;
  }
  Reply(request, MessageType::kPermitGrant, kResultOk, std::move(done.encoded).value());
}

void NwsCore::HandleTokenRequest(const Envelope& request) {
  ++stats_.token_requests;
  auto body = DecodeTokenRequest(request.body);
  if (!body.ok()) {
    ++stats_.malformed;
    ++stats_.token_failures;
    Reply(request, MessageType::kTokenDelivery, kResultMalformed,
          EncodeTokenDelivery({"", "malformed-request", "", body.error().message}).value());
    return;
  }
  const TokenRequestBody& b = body.value();
  RecordToken(CoreRecordKind::kTokenRequest, b, "", "");
  auto grant =
      tokens_.Acquire(TokenAcquisition{b.acquisition_number, b.institution_code, b.juminhyo_code});
  TokenDeliveryBody delivery{b.acquisition_number, "", "", ""};
  if (!grant.ok()) {
    delivery.outcome = "error";
    delivery.reason = grant.error().message;
  } else {
    delivery.outcome = std::string(TokenOutcomeName(grant->outcome));
    delivery.reason = grant->reason;
    if (grant->outcome == TokenOutcome::kIssued) delivery.token = grant->token.ToText();
  }
  const bool issued = grant.ok() && grant->outcome == TokenOutcome::kIssued;
  issued ? ++stats_.tokens_issued : ++stats_.token_failures;
  RecordToken(issued ? CoreRecordKind::kTokenGrant : CoreRecordKind::kTokenDenial, b,
              delivery.outcome, delivery.reason);
  // The token goes to the body's intermediate server, which may not be the sender (the
  // request came over the 住基ネット path).
  Envelope to_body = request;
  to_body.source = b.institution_code;
  Reply(to_body, MessageType::kTokenDelivery, issued ? kResultOk : kResultDenied,
        EncodeTokenDelivery(delivery).value());
}

}  // namespace renkei::netsim
