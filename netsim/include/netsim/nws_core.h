// The NWS core system (コアシステム) as a node of the simulated network.
//
// It receives envelopes and answers with envelopes; nothing but encoded bytes crosses a link:
//   - kPermitRequest (情報照会許可要求) from a requesting body's intermediate server: the core
//     checks the request against the permit list (照会許可用照合リスト) and either converts the
//     requester's token into the provider's, signs a provision permit (情報提供許可証) and
//     returns it with the route (kPermitGrant), or refuses with the reason (kPermitDenial).
//   - kTokenRequest (符号取得要求) arriving over the 住基ネット path with an acquisition number
//     and the person's 住民票コード (J-LIS has already resolved the 個人番号; the core never
//     sees it): after the configured turnaround the token is delivered to the body's
//     intermediate server with the acquisition number (kTokenDelivery), or a defined failure.
//   - anything that does not decode, or a type the core does not serve, is answered with
//     kError when the sender can be named, and counted.
// Every request, grant and denial is appended to the core records (hash-chained).
//
// Message bodies are canonical JSON documents (fixed key order); docs/nws.md lists them.
//
// Thread safety: none; the core runs on its simulation's event loop thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netsim/core_records.h"
#include "netsim/envelope.h"
#include "netsim/event_loop.h"
#include "netsim/institution_registry.h"
#include "netsim/permit_list.h"
#include "netsim/provision_permit.h"
#include "netsim/result.h"
#include "netsim/sim_network.h"
#include "netsim/token_service.h"

namespace renkei::netsim {

// Body of kPermitRequest.
struct PermitRequestBody {
  std::string processing_number;  // 処理通番, issued by the requester's intermediate server
  std::string requester;          // 機関コード
  std::string provider;           // 機関コード
  std::string jm, jt;
  std::vector<std::string> tm_items;
  std::string requester_token;  // the person's token at the requester (Token text)
};
Result<crypto::Bytes> EncodePermitRequest(const PermitRequestBody& body);
Result<PermitRequestBody> DecodePermitRequest(crypto::ByteView bytes);

// Body of kPermitGrant: the signed permit and the route to the provider.
struct PermitGrantBody {
  ProvisionPermit permit;
  std::vector<std::string> route;  // node names, requester side first
  std::string provider_endpoint;   // from the institution registry
};
Result<crypto::Bytes> EncodePermitGrant(const PermitGrantBody& body);
Result<PermitGrantBody> DecodePermitGrant(crypto::ByteView bytes);

// Body of kPermitDenial.
struct PermitDenialBody {
  std::string processing_number;
  std::string status;  // PermitStatusName, or "malformed"
  std::string reason;
};
Result<crypto::Bytes> EncodePermitDenial(const PermitDenialBody& body);
Result<PermitDenialBody> DecodePermitDenial(crypto::ByteView bytes);

// Body of kTokenRequest and kTokenDelivery.
struct TokenRequestBody {
  std::string acquisition_number;
  std::string institution_code;  // the body that will hold the token
  std::string juminhyo_code;     // from J-LIS; empty when J-LIS knew no such person
};
Result<crypto::Bytes> EncodeTokenRequest(const TokenRequestBody& body);
Result<TokenRequestBody> DecodeTokenRequest(crypto::ByteView bytes);
struct TokenDeliveryBody {
  std::string acquisition_number;
  std::string outcome;  // TokenOutcomeName
  std::string token;    // Token text when issued
  std::string reason;
};
Result<crypto::Bytes> EncodeTokenDelivery(const TokenDeliveryBody& body);
Result<TokenDeliveryBody> DecodeTokenDelivery(crypto::ByteView bytes);

// Body of kListDistribution: the permit list as its CSV file, with its version repeated so a
// receiver can tell versions apart before parsing.
struct ListDistributionBody {
  std::string version;
  std::string csv;
};
Result<crypto::Bytes> EncodeListDistribution(const ListDistributionBody& body);
Result<ListDistributionBody> DecodeListDistribution(crypto::ByteView bytes);
// Parses a received distribution into a list; the version inside the CSV must match.
Result<PermitList> ReceiveList(const ListDistributionBody& body);

// Result codes carried in envelope headers [renkei].
inline constexpr const char* kResultOk = "00";
inline constexpr const char* kResultDenied = "10";
inline constexpr const char* kResultMalformed = "90";
inline constexpr const char* kResultUnsupported = "91";

struct NwsCoreConfig {
  // The core's name on the network; also the source of its envelopes (a class-29 機関コード,
  // "other national bodies", serial 1000).
  std::string node = NationalInstitutionCode(29, 1000);
  std::string interface_node = "nws-interface";  // named in routes
  // When set, the core sends everything to this node (the interface system), which relays by
  // the envelope's destination; when empty, straight to the destination (a flat topology).
  std::string send_via;
  Duration permit_check_delay = Duration::Millis(3);  // list check and signing
  Duration token_turnaround = Duration::Seconds(2);   // 符号取得 is asynchronous
  Duration permit_lifetime = Duration::Minutes(10);
};

struct NwsCoreStats {
  uint64_t permit_requests = 0;
  uint64_t grants = 0;
  uint64_t denials = 0;
  uint64_t token_requests = 0;
  uint64_t tokens_issued = 0;
  uint64_t token_failures = 0;
  uint64_t malformed = 0;
  uint64_t unsupported = 0;
  uint64_t reply_failures = 0;  // no link back to the sender
};

class NwsCore {
 public:
  NwsCore(EventLoop& loop, SimNetwork& network, const InstitutionRegistry& registry,
          const PermitList& list, TokenService& tokens, const PermitSigner& signer,
          CoreRecords& records, NwsCoreConfig config = {});

  // Adds the core's node to the network with this core as its handler.
  Status Attach();
  // Sends the current permit list (照会許可用照合リスト配信) to each body; bodies without a
  // link from the core are skipped and counted in reply_failures.
  void DistributeList(const std::vector<std::string>& bodies);
  const NwsCoreStats& stats() const { return stats_; }
  const NwsCoreConfig& config() const { return config_; }
  // The first storage failure of the core records, if any (the simulation should stop).
  const std::optional<Error>& records_failure() const { return records_failure_; }

 private:
  void OnDelivery(const Delivery& d);
  void HandlePermitRequest(const Envelope& request);
  void DenyPermit(const Envelope& request, const PermitRequestBody& b, std::string status,
                  std::string reason);
  // What the signing job hands back: the signature's status and, when it succeeded, the
  // encoded grant body.
  struct SignedGrant {
    Status status;
    Result<crypto::Bytes> encoded;
    std::string permit_id;
  };
  // The second half of HandlePermitRequest, once the permit is signed.
  void GrantPermit(const Envelope& request, const PermitRequestBody& b, SignedGrant& done);
  void HandleTokenRequest(const Envelope& request);
  void Reply(const Envelope& request, MessageType type, const char* result_code,
             crypto::Bytes body);
  void Record(CoreRecord record);
  // A core record of a permit request, grant or denial, from the request's fields.
  void RecordPermit(CoreRecordKind kind, const PermitRequestBody& b, std::string outcome,
                    std::string reason);
  // A core record of a token request, grant or denial.
  void RecordToken(CoreRecordKind kind, const TokenRequestBody& b, std::string outcome,
                   std::string reason);
  const std::string& NextHop(const std::string& destination) const {
    return config_.send_via.empty() ? destination : config_.send_via;
  }

  EventLoop& loop_;
  SimNetwork& network_;
  const InstitutionRegistry& registry_;
  const PermitList& list_;
  TokenService& tokens_;
  const PermitSigner& signer_;
  CoreRecords& records_;
  NwsCoreConfig config_;
  NwsCoreStats stats_;
  uint64_t next_message_ = 1;
  std::optional<Error> records_failure_;
};

}  // namespace renkei::netsim
