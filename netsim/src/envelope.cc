#include "netsim/envelope.h"

#include <array>
#include <boost/json.hpp>
#include <string>
#include <utility>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 10> kMessageTypeNames = {
    "TokenRequest", "TokenDelivery", "PermitRequest",    "PermitGrant", "PermitDenial",
    "Query",        "Answer",        "ListDistribution", "Ack",         "Error",
};
constexpr std::array<std::string_view, 2> kExecutionModeNames = {"Online", "Batch"};

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Key names as they appear on the wire; the single place that spells them.
constexpr std::string_view kHeader = "MessageHeader";
constexpr std::string_view kBody = "MessageBody";
constexpr std::string_view kSignature = "Signature";
constexpr std::string_view kFormatVersion = "FormatVersion";
constexpr std::string_view kMessageId = "MessageId";
constexpr std::string_view kMessageType = "MessageType";
constexpr std::string_view kExecutionMode = "ExecutionMode";
constexpr std::string_view kSourceSystem = "SourceSystem";
constexpr std::string_view kDestinationSystem = "DestinationSystem";
constexpr std::string_view kReceptionNumber = "ReceptionNumber";
constexpr std::string_view kResultCode = "ResultCode";
constexpr std::string_view kKeyId = "KeyId";
constexpr std::string_view kValue = "Value";

constexpr size_t kMaxSignatureBytes = 1024;

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// The shape rule of a restricted text field: a length range and an alphabet beyond [0-9A-Za-z].
// Restricting every text field to plain ASCII is what lets the encoder skip JSON escaping and
// keep exactly one encoding per envelope.
std::optional<std::string> CheckText(std::string_view value, size_t min_len, size_t max_len,
                                     std::string_view extra) {
  if (value.size() < min_len || value.size() > max_len) {
    return "must be " + std::to_string(min_len) + " to " + std::to_string(max_len) +
           " characters, got " + std::to_string(value.size());
  }
  for (const char c : value) {
    if (!IsAlnum(c) && extra.find(c) == std::string_view::npos) {
      return "may contain only [0-9A-Za-z" + std::string(extra) + "]";
    }
  }
  return std::nullopt;
}

std::optional<std::string> CheckMessageId(std::string_view v) {
  return CheckText(v, 1, 64, "._:-");
}
std::optional<std::string> CheckReception(std::string_view v) { return CheckText(v, 0, 32, "-"); }
std::optional<std::string> CheckResultCode(std::string_view v) { return CheckText(v, 0, 8, ""); }
std::optional<std::string> CheckKeyId(std::string_view v) { return CheckText(v, 1, 128, "._:/-"); }
std::optional<std::string> CheckInstitution(std::string_view v) {
  const Status s = ValidateInstitutionCode(v);
  if (s.ok()) return std::nullopt;
  return s.error().message;
}
std::optional<std::string> CheckSignatureValue(const crypto::Bytes& v) {
  if (v.empty() || v.size() > kMaxSignatureBytes) {
    return "must be 1 to " + std::to_string(kMaxSignatureBytes) + " bytes, got " +
           std::to_string(v.size());
  }
  return std::nullopt;
}

// Every field rule, in wire order; the first broken rule as "Field: reason". The signature's
// fields are checked only when `with_signature`.
std::optional<std::string> CheckFields(const Envelope& e, bool with_signature) {
  const auto field = [](std::string_view section, std::string_view name,
                        const std::optional<std::string>& why) -> std::optional<std::string> {
    if (!why) return std::nullopt;
    return std::string(section) + "." + std::string(name) + " " + *why;
  };
  if (auto r = field(kHeader, kMessageId, CheckMessageId(e.message_id))) return r;
  if (static_cast<size_t>(e.type) >= kMessageTypeNames.size()) {
    return std::string(kHeader) + "." + std::string(kMessageType) + " is not a message type";
  }
  if (static_cast<size_t>(e.mode) >= kExecutionModeNames.size()) {
    return std::string(kHeader) + "." + std::string(kExecutionMode) + " is not an execution mode";
  }
  if (auto r = field(kHeader, kSourceSystem, CheckInstitution(e.source))) return r;
  if (auto r = field(kHeader, kDestinationSystem, CheckInstitution(e.destination))) return r;
  if (auto r = field(kHeader, kReceptionNumber, CheckReception(e.reception_number))) return r;
  if (auto r = field(kHeader, kResultCode, CheckResultCode(e.result_code))) return r;
  if (with_signature && e.signature) {
    if (auto r = field(kSignature, kKeyId, CheckKeyId(e.signature->key_id))) return r;
    if (auto r = field(kSignature, kValue, CheckSignatureValue(e.signature->value))) return r;
  }
  return std::nullopt;
}

void AppendKey(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

// Only called with values that passed CheckText or are base64, so nothing needs escaping.
void AppendString(std::string& out, std::string_view key, std::string_view value) {
  AppendKey(out, key);
  out += '"';
  out += value;
  out += '"';
}

void AppendBase64(std::string& out, crypto::ByteView bytes) {
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{bytes[i]} << 16;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += '=';
  }
}

size_t Base64Length(size_t n) { return (n + 2) / 3 * 4; }

// The canonical text of a valid envelope; `with_signature` false gives the signed bytes.
std::string EncodeValid(const Envelope& e, bool with_signature) {
  std::string out;
  out.reserve(320 + Base64Length(e.body.size()) +
              (e.signature ? Base64Length(e.signature->value.size()) : 0));
  out += "{";
  AppendKey(out, kHeader);
  out += "{";
  AppendKey(out, kFormatVersion);
  out += std::to_string(kEnvelopeFormatVersion);
  out += ',';
  AppendString(out, kMessageId, e.message_id);
  out += ',';
  AppendString(out, kMessageType, MessageTypeName(e.type));
  out += ',';
  AppendString(out, kExecutionMode, ExecutionModeName(e.mode));
  out += ',';
  AppendString(out, kSourceSystem, e.source);
  out += ',';
  AppendString(out, kDestinationSystem, e.destination);
  out += ',';
  AppendString(out, kReceptionNumber, e.reception_number);
  out += ',';
  AppendString(out, kResultCode, e.result_code);
  out += "},";
  AppendKey(out, kBody);
  out += '"';
  AppendBase64(out, e.body);
  out += '"';
  if (with_signature && e.signature) {
    out += ',';
    AppendKey(out, kSignature);
    out += '{';
    AppendString(out, kKeyId, e.signature->key_id);
    out += ',';
    AppendKey(out, kValue);
    out += '"';
    AppendBase64(out, e.signature->value);
    out += "\"}";
  }
  out += '}';
  return out;
}

// "MessageHeader.MessageId", or just the name for a top-level field.
std::string Path(std::string_view where, std::string_view name) {
  return where.empty() ? std::string(name) : std::string(where) + "." + std::string(name);
}

Error ParseError(std::string message) {
  return MakeError(Errc::kParseError, "envelope: " + std::move(message));
}

// A key from untrusted input, made safe to quote in a message: short and printable.
std::string Quote(std::string_view key) {
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < 40; ++i) {
    const char c = key[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (key.size() > 40) out += "...";
  return out + "'";
}

std::string_view KindName(json::kind k) {
  switch (k) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a fractional number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "an unknown value";
}

// Field-by-field reading of a parsed document; each failure names the field path.
class Reader {
 public:
  // Ok when `obj` has only keys from `allowed`; `where` names the object in messages.
  static Status OnlyKeys(const json::object& obj, std::string_view where,
                         std::initializer_list<std::string_view> allowed) {
    for (const auto& kv : obj) {
      bool known = false;
      for (const std::string_view a : allowed) known = known || kv.key() == a;
      if (!known)
        return ParseError("unknown field " + Quote(kv.key()) + " in " + std::string(where));
    }
    return OkStatus();
  }

  static Result<const json::value*> Field(const json::object& obj, std::string_view where,
                                          std::string_view name, json::kind want) {
    const json::value* v = obj.if_contains(name);
    if (v == nullptr) {
      return ParseError("missing field " + Path(where, name));
    }
    const bool int_ok = want == json::kind::int64 && v->kind() == json::kind::uint64;
    if (v->kind() != want && !int_ok) {
      return ParseError(Path(where, name) + " must be " + std::string(KindName(want)) + ", got " +
                        std::string(KindName(v->kind())));
    }
    return v;
  }

  static Result<std::string> Text(const json::object& obj, std::string_view where,
                                  std::string_view name,
                                  std::optional<std::string> (*check)(std::string_view)) {
    RENKEI_TRY(const json::value* v, Field(obj, where, name, json::kind::string));
    const json::string& s = v->get_string();
    const std::string_view sv(s.data(), s.size());
    if (auto why = check(sv)) {
      return ParseError(Path(where, name) + " " + *why);
    }
    return std::string(sv);
  }

  static Result<crypto::Bytes> Binary(const json::object& obj, std::string_view where,
                                      std::string_view name) {
    RENKEI_TRY(const json::value* v, Field(obj, where, name, json::kind::string));
    const json::string& s = v->get_string();
    auto bytes = Base64Decode(std::string_view(s.data(), s.size()));
    if (!bytes.ok()) {
      return ParseError(Path(where, name) + " is not base64: " + bytes.error().message);
    }
    return std::move(bytes).value();
  }
};

Result<Envelope> DecodeDocument(const json::value& doc) {
  if (!doc.is_object()) {
    return ParseError("the document must be an object, got " + std::string(KindName(doc.kind())));
  }
  const json::object& top = doc.get_object();
  RENKEI_TRY(const json::value* hv, Reader::Field(top, "", kHeader, json::kind::object));
  const json::object& h = hv->get_object();
  // The version before anything else: a message of another version may have other fields, and
  // saying "unsupported version" is more useful than naming the first field that differs.
  RENKEI_TRY(const json::value* version,
             Reader::Field(h, kHeader, kFormatVersion, json::kind::int64));
  if (!version->is_int64() || version->get_int64() != kEnvelopeFormatVersion) {
    return ParseError("unsupported MessageHeader.FormatVersion " + json::serialize(*version) +
                      " (this build reads " + std::to_string(kEnvelopeFormatVersion) + ")");
  }
  RENKEI_CHECK_OK(
      Reader::OnlyKeys(h, kHeader,
                       {kFormatVersion, kMessageId, kMessageType, kExecutionMode, kSourceSystem,
                        kDestinationSystem, kReceptionNumber, kResultCode}));

  Envelope e;
  RENKEI_TRY(e.message_id, Reader::Text(h, kHeader, kMessageId, CheckMessageId));
  RENKEI_TRY(const json::value* type, Reader::Field(h, kHeader, kMessageType, json::kind::string));
  auto parsed_type = ParseMessageType(std::string_view(type->get_string()));
  if (!parsed_type.ok()) return ParseError("MessageHeader." + parsed_type.error().message);
  e.type = *parsed_type;
  RENKEI_TRY(const json::value* mode,
             Reader::Field(h, kHeader, kExecutionMode, json::kind::string));
  auto parsed_mode = ParseExecutionMode(std::string_view(mode->get_string()));
  if (!parsed_mode.ok()) return ParseError("MessageHeader." + parsed_mode.error().message);
  e.mode = *parsed_mode;
  RENKEI_TRY(e.source, Reader::Text(h, kHeader, kSourceSystem, CheckInstitution));
  RENKEI_TRY(e.destination, Reader::Text(h, kHeader, kDestinationSystem, CheckInstitution));
  RENKEI_TRY(e.reception_number, Reader::Text(h, kHeader, kReceptionNumber, CheckReception));
  RENKEI_TRY(e.result_code, Reader::Text(h, kHeader, kResultCode, CheckResultCode));

  RENKEI_CHECK_OK(Reader::OnlyKeys(top, "the document", {kHeader, kBody, kSignature}));
  RENKEI_TRY(e.body, Reader::Binary(top, "", kBody));

  if (top.contains(kSignature)) {
    RENKEI_TRY(const json::value* sv, Reader::Field(top, "", kSignature, json::kind::object));
    const json::object& s = sv->get_object();
    RENKEI_CHECK_OK(Reader::OnlyKeys(s, kSignature, {kKeyId, kValue}));
    EnvelopeSignature sig;
    RENKEI_TRY(sig.key_id, Reader::Text(s, kSignature, kKeyId, CheckKeyId));
    RENKEI_TRY(sig.value, Reader::Binary(s, kSignature, kValue));
    if (auto why = CheckSignatureValue(sig.value)) {
      return ParseError("Signature.Value " + *why);
    }
    e.signature = std::move(sig);
  }
  return e;
}

}  // namespace

std::string_view MessageTypeName(MessageType type) {
  const auto i = static_cast<size_t>(type);
  return i < kMessageTypeNames.size() ? kMessageTypeNames[i] : "?";
}

std::string_view ExecutionModeName(ExecutionMode mode) {
  const auto i = static_cast<size_t>(mode);
  return i < kExecutionModeNames.size() ? kExecutionModeNames[i] : "?";
}

Result<MessageType> ParseMessageType(std::string_view name) {
  for (size_t i = 0; i < kMessageTypeNames.size(); ++i) {
    if (kMessageTypeNames[i] == name) return static_cast<MessageType>(i);
  }
  return MakeError(Errc::kParseError, "MessageType " + Quote(name) + " is not a message type");
}

Result<ExecutionMode> ParseExecutionMode(std::string_view name) {
  for (size_t i = 0; i < kExecutionModeNames.size(); ++i) {
    if (kExecutionModeNames[i] == name) return static_cast<ExecutionMode>(i);
  }
  return MakeError(Errc::kParseError,
                   "ExecutionMode " + Quote(name) + " is not an execution mode (Online, Batch)");
}

std::string Base64Encode(crypto::ByteView bytes) {
  std::string out;
  out.reserve(Base64Length(bytes.size()));
  AppendBase64(out, bytes);
  return out;
}

Result<crypto::Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return MakeError(Errc::kParseError,
                     "base64 length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  static constexpr auto kValues = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i)
      t[static_cast<uint8_t>(kBase64Alphabet[i])] = static_cast<int8_t>(i);
    return t;
  }();
  crypto::Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      const bool is_pad = j >= 4 - static_cast<size_t>(pad);
      const int8_t d = is_pad ? 0 : kValues[static_cast<uint8_t>(text[i + j])];
      if (d < 0) {
        return MakeError(Errc::kParseError,
                         "base64 has a bad character at offset " + std::to_string(i + j));
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    // Unused bits must be zero, or two texts would decode to the same bytes.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
      return MakeError(Errc::kParseError, "base64 padding bits are not zero");
    }
    out.push_back(static_cast<uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(v));
  }
  return out;
}

Result<crypto::Bytes> Encode(const Envelope& envelope, const EnvelopeLimits& limits) {
  if (auto why = CheckFields(envelope, true)) {
    return MakeError(Errc::kInvalidArgument, "envelope: " + *why);
  }
  const std::string text = EncodeValid(envelope, true);
  if (text.size() > limits.max_bytes) {
    return MakeError(Errc::kInvalidArgument,
                     "envelope: encoding of " + std::to_string(text.size()) +
                         " bytes exceeds the maximum of " + std::to_string(limits.max_bytes));
  }
  return crypto::Bytes(text.begin(), text.end());
}

Result<Envelope> Decode(crypto::ByteView bytes, const EnvelopeLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return ParseError("message of " + std::to_string(bytes.size()) +
                      " bytes exceeds the maximum of " + std::to_string(limits.max_bytes));
  }
  if (bytes.empty()) return ParseError("empty message");
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  // Everything the parse allocates lives in one arena released with the document.
  unsigned char buffer[4096];
  json::monotonic_resource arena(buffer, sizeof buffer);
  json::parse_options options;
  options.max_depth = 8;  // the envelope nests 3 deep; deeper input is refused early
  boost::system::error_code bec;
  const json::value doc = json::parse(text, bec, &arena, options);
  if (bec) return ParseError("malformed JSON: " + bec.message());

  RENKEI_TRY(Envelope e, DecodeDocument(doc));

  // Accepting only the canonical form keeps one encoding per envelope: whitespace, key order,
  // escapes, duplicated keys or a non-canonical number all show up as a byte difference.
  const std::string canonical = EncodeValid(e, true);
  if (canonical != text) {
    size_t at = 0;
    while (at < canonical.size() && at < text.size() && canonical[at] == text[at]) ++at;
    return ParseError(
        "not in canonical form (key order, whitespace, escapes or a duplicated "
        "key): differs at byte " +
        std::to_string(at));
  }
  return e;
}

Result<crypto::Bytes> SigningBytes(const Envelope& envelope) {
  if (auto why = CheckFields(envelope, false)) {
    return MakeError(Errc::kInvalidArgument, "envelope: " + *why);
  }
  const std::string text = EncodeValid(envelope, false);
  return crypto::Bytes(text.begin(), text.end());
}

Status Sign(Envelope& envelope, const crypto::Signer& signer, std::string key_id) {
  if (auto why = CheckKeyId(key_id)) {
    return MakeError(Errc::kInvalidArgument, "envelope: Signature.KeyId " + *why);
  }
  RENKEI_TRY(const crypto::Bytes message, SigningBytes(envelope));
  RENKEI_TRY(crypto::Bytes value, signer.Sign(message));
  envelope.signature = EnvelopeSignature{std::move(key_id), std::move(value)};
  return OkStatus();
}

Status VerifySignature(const Envelope& envelope, const crypto::Verifier& verifier) {
  if (!envelope.signature) {
    return MakeError(Errc::kVerifyFailed, "envelope " + envelope.message_id + " is not signed");
  }
  RENKEI_TRY(const crypto::Bytes message, SigningBytes(envelope));
  return verifier.Verify(message, envelope.signature->value);
}

}  // namespace renkei::netsim
