// The message envelope: what crosses every wire of the network, simulated links now and TCP
// later. No C++ object ever crosses a link; only the bytes Encode produces.
//
// The real online messages are XML with a MessageHeader and a MessageBody. renkei keeps that
// structure but writes it as JSON through Boost.JSON ([renkei]: the project's dependency set
// has no XML library, and the structure, not the syntax, is what the protocol layers rely on):
//
//   {"MessageHeader":{"FormatVersion":1,"MessageId":"...","MessageType":"Query",
//    "ExecutionMode":"Online","SourceSystem":"<機関コード>","DestinationSystem":"<機関コード>",
//    "ReceptionNumber":"...","ResultCode":"..."},
//    "MessageBody":"<base64>","Signature":{"KeyId":"...","Value":"<base64>"}}
//
// on one line, keys in exactly that order, no whitespace, no numbers other than the version.
// "Signature" is present only on signed envelopes. The encoding is canonical: one envelope has
// exactly one encoding, and Decode accepts nothing else (it re-encodes what it parsed and
// compares bytes), so traces are byte-identical across runs and a signature covers precisely
// the bytes a peer can reproduce. The body is opaque bytes (a JSON document in practice),
// carried as standard base64 with padding so that it is signed exactly as its producer wrote
// it, without a second canonicalisation of nested JSON. docs/nws.md has the field rules.
//
// Thread safety: value types and free functions; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/result.h"

namespace renkei::netsim {

// The one format version this build writes and reads. A change to the layout, a field or the
// set of message types bumps it; Decode refuses every other version.
inline constexpr int64_t kEnvelopeFormatVersion = 1;

// What a message is. Closed: an unknown name is a parse error, and a new kind of message is a
// new enumerator plus a format-version bump, never a free-form string.
enum class MessageType {
  kTokenRequest,      // 符号取得要求: a body's intermediate server asks the core for a token
  kTokenDelivery,     // 符号通知: the core delivers a token with the acquisition number
  kPermitRequest,     // 情報照会許可要求: requester asks the NWS for a provision permit
  kPermitGrant,       // 情報提供許可証 and route returned to the requester
  kPermitDenial,      // permit refused, with the reason in the body
  kQuery,             // 情報照会: query + permit, requester to provider
  kAnswer,            // 情報提供: the provider's answer
  kListDistribution,  // 照会許可用照合リスト配信: permit list with its version
  kAck,               // receipt of a message that expects no other answer
  kError,             // a message could not be processed; ResultCode says why
};

// How the request is executed ([renkei] names for the header's execution mode).
enum class ExecutionMode {
  kOnline,  // 即時: one request, answered as soon as possible
  kBatch,   // 一括: part of a batch file run
};

// The wire names ("TokenRequest", "Online", ...).
std::string_view MessageTypeName(MessageType type);
std::string_view ExecutionModeName(ExecutionMode mode);
// kParseError for a name that is not one of the above (exact, case-sensitive).
Result<MessageType> ParseMessageType(std::string_view name);
Result<ExecutionMode> ParseExecutionMode(std::string_view name);

struct EnvelopeSignature {
  // Names the key that signed (e.g. a PublicKey fingerprint or "core/2024-1"); the receiver
  // picks its Verifier by it. 1-128 characters of [0-9A-Za-z._:/-].
  std::string key_id;
  crypto::Bytes value;  // 1 to 1024 bytes
  friend bool operator==(const EnvelopeSignature&, const EnvelopeSignature&) = default;
};

struct Envelope {
  // Unique per sender: 1-64 characters of [0-9A-Za-z._:-].
  std::string message_id;
  MessageType type = MessageType::kQuery;
  ExecutionMode mode = ExecutionMode::kOnline;
  // 機関コード of sender and receiver (16 digits, validated by ValidateInstitutionCode).
  std::string source;
  std::string destination;
  // 受付番号, issued by the intermediate server; empty until issued. 0-32 of [0-9A-Za-z-].
  std::string reception_number;
  // Outcome code of the protocol layer that set it; empty on requests. 0-8 of [0-9A-Za-z].
  // The envelope checks only the shape: the values belong to the protocol layers.
  std::string result_code;
  crypto::Bytes body;
  std::optional<EnvelopeSignature> signature;
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

struct EnvelopeLimits {
  // Larger inputs are refused before parsing. Bulk data travels as attached files, so an
  // online message above this is a fault, not a big message.
  size_t max_bytes = 16 * 1024 * 1024;
};

// The canonical bytes of `envelope`. kInvalidArgument naming the field when a field breaks its
// rule (so a bad envelope is caught at the sender, not at the far end), or when the encoding
// would exceed `limits.max_bytes`.
Result<crypto::Bytes> Encode(const Envelope& envelope, const EnvelopeLimits& limits = {});
// The envelope in `bytes`. Every way the bytes can be wrong (oversize, truncated, malformed
// JSON, another format version, a missing, unknown, duplicated or mistyped field, a field that
// breaks its rule, a non-canonical form) is kParseError with a message naming the field.
// Never aborts on any input.
Result<Envelope> Decode(crypto::ByteView bytes, const EnvelopeLimits& limits = {});

// The bytes a signature covers: the canonical encoding of `envelope` without its signature.
Result<crypto::Bytes> SigningBytes(const Envelope& envelope);
// Replaces any signature on `envelope` by `signer`'s signature over SigningBytes, under
// `key_id`. kInvalidArgument for a field or key id that breaks its rule.
Status Sign(Envelope& envelope, const crypto::Signer& signer, std::string key_id);
// Ok when `envelope` carries a signature that `verifier` accepts over SigningBytes;
// kVerifyFailed when it is unsigned or the signature does not verify.
Status VerifySignature(const Envelope& envelope, const crypto::Verifier& verifier);

// Standard base64 (RFC 4648 §4) with padding. Decoding is strict: only the canonical form of
// some byte string is accepted (no whitespace, padding required, unused bits zero), else
// kParseError.
std::string Base64Encode(crypto::ByteView bytes);
Result<crypto::Bytes> Base64Decode(std::string_view text);

}  // namespace renkei::netsim
