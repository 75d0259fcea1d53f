#include "netsim/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

using crypto::Bytes;

const std::string kNagaoka = InstitutionCodeForLgCode("152021");  // 1015202100000002
const std::string kSapporo = InstitutionCodeForLgCode("011002");

Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

Envelope SampleEnvelope() {
  Envelope e;
  e.message_id = "152021-000001";
  e.type = MessageType::kQuery;
  e.mode = ExecutionMode::kOnline;
  e.source = kNagaoka;
  e.destination = kSapporo;
  e.reception_number = "R20240401-0001";
  e.result_code = "";
  e.body = ToBytes(R"({"JM":"JM00000000000016"})");
  return e;
}

std::string SampleText() { return ToString(Encode(SampleEnvelope()).value()); }

std::shared_ptr<const crypto::PrivateKey> Ed25519Key(uint8_t fill) {
  return crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, Bytes(32, fill)).value();
}

crypto::Verifier VerifierFor(const crypto::PrivateKey& key) {
  return crypto::Verifier(crypto::PublicKey::FromPrivate(key).value());
}

// Decodes `text`, expects kParseError whose message mentions `needle`.
void ExpectParseError(std::string_view text, std::string_view needle,
                      const EnvelopeLimits& limits = {}) {
  const auto r = Decode(crypto::AsBytes(text), limits);
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.error().code, make_error_code(Errc::kParseError));
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message: " << r.error().message << "\nexpected to mention: " << needle;
}

// `SampleText()` with the first occurrence of `from` replaced by `to`.
std::string Replaced(std::string_view from, std::string_view to) {
  std::string s = SampleText();
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(EnvelopeTest, EncodesCanonicalGoldenBytes) {
  EXPECT_EQ(SampleText(), R"({"MessageHeader":{"FormatVersion":1,"MessageId":"152021-000001",)"
                          R"("MessageType":"Query","ExecutionMode":"Online",)"
                          R"("SourceSystem":"1015202100000002","DestinationSystem":")" +
                              kSapporo +
                              R"(","ReceptionNumber":"R20240401-0001","ResultCode":""},)"
                              R"("MessageBody":"eyJKTSI6IkpNMDAwMDAwMDAwMDAwMTYifQ=="})");
}

TEST(EnvelopeTest, RoundTripsEveryTypeAndMode) {
  for (int t = 0; t <= static_cast<int>(MessageType::kError); ++t) {
    for (const ExecutionMode mode : {ExecutionMode::kOnline, ExecutionMode::kBatch}) {
      Envelope e = SampleEnvelope();
      e.type = static_cast<MessageType>(t);
      e.mode = mode;
      e.result_code = "09";
      const Bytes bytes = Encode(e).value();
      const auto back = Decode(bytes);
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(*back, e);
      EXPECT_EQ(ParseMessageType(MessageTypeName(e.type)).value(), e.type);
    }
  }
}

TEST(EnvelopeTest, RoundTripsEmptyAndBinaryBodies) {
  for (size_t n = 0; n < 40; ++n) {
    Envelope e = SampleEnvelope();
    e.body.resize(n);
    for (size_t i = 0; i < n; ++i) e.body[i] = static_cast<uint8_t>(i * 37 + 250);
    const auto back = Decode(Encode(e).value());
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->body, e.body);
  }
}

TEST(EnvelopeTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(crypto::AsBytes("")), "");
  EXPECT_EQ(Base64Encode(crypto::AsBytes("f")), "Zg==");
  EXPECT_EQ(Base64Encode(crypto::AsBytes("fo")), "Zm8=");
  EXPECT_EQ(Base64Encode(crypto::AsBytes("foo")), "Zm9v");
  EXPECT_EQ(Base64Encode(crypto::AsBytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(ToString(Base64Decode("Zm9vYg==").value()), "foob");
  EXPECT_FALSE(Base64Decode("Zg=").ok());
  EXPECT_FALSE(Base64Decode("Zh==").ok());  // unused bits set
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());
  EXPECT_FALSE(Base64Decode("Zm9v\n").ok());
}

TEST(EnvelopeTest, EncodeRejectsBadFieldNamingIt) {
  Envelope e = SampleEnvelope();
  e.source = "1015202100000003";  // wrong check digit
  auto r = Encode(e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_NE(r.error().message.find("SourceSystem"), std::string::npos);

  e = SampleEnvelope();
  e.message_id = "has space";
  r = Encode(e);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("MessageId"), std::string::npos);

  e = SampleEnvelope();
  e.result_code = "123456789";
  EXPECT_FALSE(Encode(e).ok());
  e = SampleEnvelope();
  e.reception_number = std::string(33, '1');
  EXPECT_FALSE(Encode(e).ok());
  e = SampleEnvelope();
  e.type = static_cast<MessageType>(99);
  EXPECT_FALSE(Encode(e).ok());
}

TEST(EnvelopeTest, EncodeRefusesOversize) {
  Envelope e = SampleEnvelope();
  e.body.assign(1000, 'x');
  const auto r = Encode(e, EnvelopeLimits{.max_bytes = 1000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kInvalidArgument));
}

TEST(EnvelopeTest, SignsDeterministicallyAndVerifies) {
  const auto key = Ed25519Key(7);
  const crypto::Signer signer(key);
  Envelope a = SampleEnvelope();
  Envelope b = SampleEnvelope();
  ASSERT_TRUE(Sign(a, signer, "core/2024-1").ok());
  ASSERT_TRUE(Sign(b, signer, "core/2024-1").ok());
  EXPECT_EQ(Encode(a).value(), Encode(b).value());  // Ed25519 is deterministic
  ASSERT_TRUE(a.signature.has_value());
  EXPECT_EQ(a.signature->value.size(), 64u);

  const auto back = Decode(Encode(a).value());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
  EXPECT_TRUE(VerifySignature(*back, VerifierFor(*key)).ok());
}

TEST(EnvelopeTest, ResigningReplacesTheSignature) {
  const crypto::Signer signer(Ed25519Key(7));
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, signer, "k1").ok());
  const Bytes first = Encode(e).value();
  ASSERT_TRUE(Sign(e, signer, "k1").ok());
  EXPECT_EQ(Encode(e).value(), first);  // the old signature is not signed over
}

TEST(EnvelopeTest, TamperedBodyFailsVerification) {
  const auto key = Ed25519Key(7);
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, crypto::Signer(key), "k1").ok());
  e.body.back() ^= 1;
  const Status s = VerifySignature(e, VerifierFor(*key));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kVerifyFailed));
}

TEST(EnvelopeTest, TamperedHeaderFailsVerification) {
  const auto key = Ed25519Key(7);
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, crypto::Signer(key), "k1").ok());
  e.destination = kNagaoka;  // misaddressed after signing
  EXPECT_FALSE(VerifySignature(e, VerifierFor(*key)).ok());
}

TEST(EnvelopeTest, WrongKeyFailsVerification) {
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, crypto::Signer(Ed25519Key(7)), "k1").ok());
  EXPECT_FALSE(VerifySignature(e, VerifierFor(*Ed25519Key(8))).ok());
}

TEST(EnvelopeTest, UnsignedFailsVerification) {
  const Status s = VerifySignature(SampleEnvelope(), VerifierFor(*Ed25519Key(7)));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kVerifyFailed));
}

TEST(EnvelopeTest, SignRejectsBadKeyId) {
  Envelope e = SampleEnvelope();
  const Status s = Sign(e, crypto::Signer(Ed25519Key(7)), "bad key id");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_FALSE(e.signature.has_value());
}

// ---- Decode: each bad input on its own ----

TEST(EnvelopeDecodeTest, RejectsEmptyInput) { ExpectParseError("", "empty"); }

TEST(EnvelopeDecodeTest, RejectsTruncatedMessage) {
  const std::string s = SampleText();
  ExpectParseError(std::string_view(s).substr(0, s.size() - 1), "malformed JSON");
}

TEST(EnvelopeDecodeTest, RejectsMalformedJson) { ExpectParseError("{\"MessageHeader\":}", "JSON"); }

TEST(EnvelopeDecodeTest, RejectsTrailingGarbage) { ExpectParseError(SampleText() + "x", "JSON"); }

TEST(EnvelopeDecodeTest, RejectsNonObjectDocument) { ExpectParseError("[1,2]", "an array"); }

TEST(EnvelopeDecodeTest, RejectsInvalidUtf8) {
  ExpectParseError(Replaced("152021-000001", "\xff\xfe"), "JSON");
}

TEST(EnvelopeDecodeTest, RejectsDeepNesting) {
  ExpectParseError(std::string(100, '[') + std::string(100, ']'), "JSON");
}

TEST(EnvelopeDecodeTest, RejectsOversizeMessage) {
  ExpectParseError(SampleText(), "exceeds the maximum", EnvelopeLimits{.max_bytes = 100});
}

TEST(EnvelopeDecodeTest, RejectsOtherFormatVersion) {
  ExpectParseError(Replaced("\"FormatVersion\":1", "\"FormatVersion\":2"),
                   "unsupported MessageHeader.FormatVersion 2");
}

TEST(EnvelopeDecodeTest, RejectsFormatVersionAsString) {
  ExpectParseError(Replaced("\"FormatVersion\":1", "\"FormatVersion\":\"1\""),
                   "MessageHeader.FormatVersion must be an integer, got a string");
}

TEST(EnvelopeDecodeTest, RejectsFractionalFormatVersion) {
  ExpectParseError(Replaced("\"FormatVersion\":1", "\"FormatVersion\":1.0"),
                   "got a fractional number");
}

TEST(EnvelopeDecodeTest, RejectsMissingHeader) {
  ExpectParseError(R"({"MessageBody":""})", "missing field MessageHeader");
}

TEST(EnvelopeDecodeTest, RejectsMissingBody) {
  std::string s = SampleText();
  s = s.substr(0, s.find(",\"MessageBody\"")) + "}";
  ExpectParseError(s, "missing field MessageBody");
}

TEST(EnvelopeDecodeTest, RejectsMissingHeaderField) {
  ExpectParseError(Replaced("\"ReceptionNumber\":\"R20240401-0001\",", ""),
                   "missing field MessageHeader.ReceptionNumber");
}

TEST(EnvelopeDecodeTest, RejectsUnknownTopLevelField) {
  std::string s = SampleText();
  s.insert(s.size() - 1, ",\"Attachment\":\"\"");
  ExpectParseError(s, "unknown field 'Attachment'");
}

TEST(EnvelopeDecodeTest, RejectsUnknownHeaderField) {
  ExpectParseError(Replaced("\"ResultCode\"", "\"Priority\":\"high\",\"ResultCode\""),
                   "unknown field 'Priority' in MessageHeader");
}

TEST(EnvelopeDecodeTest, RejectsWrongFieldType) {
  ExpectParseError(Replaced("\"152021-000001\"", "152021"),
                   "MessageHeader.MessageId must be a string, got an integer");
}

TEST(EnvelopeDecodeTest, RejectsHeaderThatIsNotAnObject) {
  ExpectParseError(R"({"MessageHeader":[],"MessageBody":""})",
                   "MessageHeader must be an object, got an array");
}

TEST(EnvelopeDecodeTest, RejectsUnknownMessageType) {
  ExpectParseError(Replaced("\"Query\"", "\"Gossip\""), "MessageType 'Gossip'");
}

TEST(EnvelopeDecodeTest, RejectsUnknownExecutionMode) {
  ExpectParseError(Replaced("\"Online\"", "\"online\""), "ExecutionMode 'online'");
}

TEST(EnvelopeDecodeTest, RejectsBadSourceInstitutionCode) {
  ExpectParseError(Replaced("1015202100000002", "1015202100000003"), "MessageHeader.SourceSystem");
}

TEST(EnvelopeDecodeTest, RejectsShortDestinationInstitutionCode) {
  ExpectParseError(Replaced(kSapporo, kSapporo.substr(0, 15)), "MessageHeader.DestinationSystem");
}

TEST(EnvelopeDecodeTest, RejectsBadMessageId) {
  ExpectParseError(Replaced("152021-000001", "152021 000001"), "MessageHeader.MessageId");
}

TEST(EnvelopeDecodeTest, RejectsBadResultCode) {
  ExpectParseError(Replaced("\"ResultCode\":\"\"", "\"ResultCode\":\"0-9\""),
                   "MessageHeader.ResultCode");
}

TEST(EnvelopeDecodeTest, RejectsBadBase64Body) {
  ExpectParseError(Replaced("eyJKTSI6", "eyJKTSI*"), "MessageBody is not base64");
}

TEST(EnvelopeDecodeTest, RejectsNonCanonicalBase64Body) {
  ExpectParseError(Replaced("fQ==", "fR=="), "MessageBody is not base64");
}

TEST(EnvelopeDecodeTest, RejectsWhitespace) {
  ExpectParseError(Replaced("{\"MessageHeader\":{", "{ \"MessageHeader\":{"), "canonical form");
}

TEST(EnvelopeDecodeTest, RejectsOtherKeyOrder) {
  const std::string a = "\"MessageType\":\"Query\",\"ExecutionMode\":\"Online\"";
  const std::string b = "\"ExecutionMode\":\"Online\",\"MessageType\":\"Query\"";
  ExpectParseError(Replaced(a, b), "canonical form");
}

TEST(EnvelopeDecodeTest, RejectsDuplicatedKey) {
  ExpectParseError(Replaced("\"ResultCode\":\"\"", "\"ResultCode\":\"\",\"ResultCode\":\"\""), "");
}

TEST(EnvelopeDecodeTest, RejectsEscapedCharacters) {
  ExpectParseError(Replaced("152021-000001", "\\u0031\\u0035\\u0032021-000001"), "canonical form");
}

TEST(EnvelopeDecodeTest, RejectsSignatureWithoutKeyId) {
  std::string s = SampleText();
  s.insert(s.size() - 1, R"(,"Signature":{"Value":"AAAA"})");
  ExpectParseError(s, "missing field Signature.KeyId");
}

TEST(EnvelopeDecodeTest, RejectsEmptySignatureValue) {
  std::string s = SampleText();
  s.insert(s.size() - 1, R"(,"Signature":{"KeyId":"k1","Value":""})");
  ExpectParseError(s, "Signature.Value must be 1 to 1024 bytes");
}

TEST(EnvelopeDecodeTest, RejectsUnknownSignatureField) {
  std::string s = SampleText();
  s.insert(s.size() - 1, R"(,"Signature":{"KeyId":"k1","Value":"AAAA","Alg":"x"})");
  ExpectParseError(s, "unknown field 'Alg' in Signature");
}

// Grinding: every prefix of a valid signed message fails cleanly.
TEST(EnvelopeDecodeTest, EveryPrefixFailsWithoutCrash) {
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, crypto::Signer(Ed25519Key(3)), "k1").ok());
  const Bytes full = Encode(e).value();
  for (size_t n = 0; n < full.size(); ++n) {
    const auto r = Decode(crypto::ByteView(full.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.error().code, make_error_code(Errc::kParseError));
  }
  EXPECT_TRUE(Decode(full).ok());
}

// 10,000 seeded mutations: nothing crashes, every failure is a parse error, and whatever is
// accepted is canonical (re-encodes to the same bytes).
TEST(EnvelopeDecodeTest, RandomMutationsNeverCrash) {
  Envelope e = SampleEnvelope();
  ASSERT_TRUE(Sign(e, crypto::Signer(Ed25519Key(3)), "k1").ok());
  const Bytes full = Encode(e).value();
  Rng rng(1, Rng::StreamId("test/envelope/mutations"));
  static constexpr std::string_view kJsonish = "{}[]\":,0123456789.-+eE \\ntrufalsAZ=/";
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    Bytes m = full;
    const uint64_t edits = 1 + rng.Uniform(4);
    for (uint64_t k = 0; k < edits && !m.empty(); ++k) {
      const size_t at = rng.Uniform(m.size());
      const auto c = static_cast<uint8_t>(
          rng.Uniform(2) == 0 ? kJsonish[rng.Uniform(kJsonish.size())] : rng.Uniform(256));
      switch (rng.Uniform(4)) {
        case 0:
          m[at] = c;
          break;
        case 1:
          m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        case 2:
          m.erase(m.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        default:
          m.resize(at);  // truncation
          break;
      }
    }
    const auto r = Decode(m);
    if (r.ok()) {
      ++accepted;
      EXPECT_EQ(Encode(*r).value(), m);
    } else {
      EXPECT_EQ(r.error().code, make_error_code(Errc::kParseError));
    }
  }
  // A few mutations hit the body or an id and still form a valid envelope.
  EXPECT_LT(accepted, 10000);
}

}  // namespace
}  // namespace renkei::netsim
