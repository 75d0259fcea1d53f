#include "netsim/token_service.h"

#include <utility>

#include "netsim/errors.h"
#include "netsim/identifiers.h"

namespace renkei::netsim {
namespace {

using crypto::Aes256Block;

constexpr int kFeistelRounds = 4;
constexpr size_t kMaxAcquisitionNumber = 64;

Status CheckAcquisitionNumber(std::string_view n) {
  if (n.empty() || n.size() > kMaxAcquisitionNumber) {
    return MakeError(Errc::kInvalidArgument, "acquisition number must be 1 to 64 characters");
  }
  for (char c : n) {
    const bool ok =
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
    if (!ok) {
      return MakeError(Errc::kInvalidArgument,
                       "acquisition number may hold only ASCII letters, digits and '-'");
    }
  }
  return OkStatus();
}

void PutBe64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint64_t GetBe64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

Result<Aes256Block> KeyOf(crypto::ByteView key, std::string_view what) {
  if (key.size() != TokenService::kKeySize) {
    return MakeError(Errc::kInvalidArgument,
                     std::string(what) + " must be 32 bytes, got " + std::to_string(key.size()));
  }
  return Aes256Block::Create(key);
}

}  // namespace

// ---- JlisDirectory ----

Status JlisDirectory::Register(std::string_view my_number, std::string_view juminhyo_code) {
  // The validators never quote a 個人番号, so their messages may be passed on.
  RENKEI_CHECK_OK(ValidateMyNumber(my_number));
  RENKEI_CHECK_OK(ValidateJuminhyoCode(juminhyo_code));
  auto it = residents_.find(my_number);
  if (it != residents_.end()) {
    if (it->second == juminhyo_code) return OkStatus();
    return MakeError(Errc::kInvalidArgument,
                     "J-LIS: this 個人番号 is already registered with another 住民票コード");
  }
  residents_.emplace(std::string(my_number), std::string(juminhyo_code));
  return OkStatus();
}

Result<std::string> JlisDirectory::Resolve(std::string_view my_number) const {
  auto it = residents_.find(my_number);
  if (it == residents_.end()) {
    return MakeError(Errc::kNotFound, "J-LIS: no resident is registered under the given 個人番号");
  }
  return it->second;
}

TokenAcquisition ForwardToCore(const JlisDirectory& jlis, std::string_view my_number,
                               std::string_view acquisition_number,
                               std::string_view institution_code) {
  TokenAcquisition out;
  out.acquisition_number = std::string(acquisition_number);
  out.institution_code = std::string(institution_code);
  auto resolved = jlis.Resolve(my_number);
  if (resolved.ok()) out.juminhyo_code = std::move(resolved).value();
  return out;
}

// ---- Token ----

std::string Token::ToText() const {
  // Appended piece by piece: GCC 12 at -O2 warns falsely (-Wrestrict) on "literal" + string.
  std::string text = "v";
  text += std::to_string(key_id);
  text += ':';
  text += crypto::ToHex(block);
  return text;
}

Result<Token> Token::Parse(std::string_view text) {
  if (text.empty() || text[0] != 'v') {
    return MakeError(Errc::kParseError, "token must start with 'v' and its key id");
  }
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return MakeError(Errc::kParseError, "token has no ':' after its key id");
  }
  const std::string_view id = text.substr(1, colon - 1);
  if (id.empty() || id.size() > 10 || id[0] == '0') {
    return MakeError(Errc::kParseError,
                     "token key id must be 1 to 10 digits without a leading zero");
  }
  uint64_t key_id = 0;
  for (char c : id) {
    if (c < '0' || c > '9') return MakeError(Errc::kParseError, "token key id must be digits");
    key_id = key_id * 10 + static_cast<uint64_t>(c - '0');
  }
  if (key_id > UINT32_MAX) return MakeError(Errc::kParseError, "token key id out of range");
  const std::string_view hex = text.substr(colon + 1);
  Token token;
  if (hex.size() != token.block.size() * 2) {
    return MakeError(Errc::kParseError,
                     "token value must be 32 hex digits, got " + std::to_string(hex.size()));
  }
  for (char c : hex) {
    // Upper case would give one token two spellings; the text must be canonical.
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return MakeError(Errc::kParseError, "token value must be lower-case hex");
    }
  }
  RENKEI_TRY(auto bytes, crypto::FromHex(hex));
  for (size_t i = 0; i < token.block.size(); ++i) token.block[i] = bytes[i];
  token.key_id = static_cast<uint32_t>(key_id);
  return token;
}

std::string_view TokenOutcomeName(TokenOutcome outcome) {
  switch (outcome) {
    case TokenOutcome::kIssued:
      return "issued";
    case TokenOutcome::kUnknownPerson:
      return "unknown-person";
    case TokenOutcome::kUnregisteredBody:
      return "unregistered-body";
    case TokenOutcome::kMalformedRequest:
      return "malformed-request";
  }
  return "unknown";
}

Result<uint64_t> PackInstitutionCode(std::string_view institution_code) {
  RENKEI_CHECK_OK(ValidateInstitutionCode(institution_code));
  uint64_t v = 0;
  for (char c : institution_code) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

// ---- TokenService ----

struct TokenService::Keys {
  Aes256Block id;
  // Ordered by key id; the last entry is the current key.
  std::map<uint32_t, Aes256Block> token;
};

TokenService::TokenService(std::unique_ptr<Keys> keys, BodyPredicate is_registered)
    : keys_(std::move(keys)), is_registered_(std::move(is_registered)) {
  current_key_id_ = keys_->token.rbegin()->first;
}
TokenService::TokenService(TokenService&&) noexcept = default;
TokenService& TokenService::operator=(TokenService&&) noexcept = default;
TokenService::~TokenService() = default;

Result<TokenService> TokenService::Create(crypto::ByteView id_key, uint32_t key_id,
                                          crypto::ByteView token_key, BodyPredicate is_registered) {
  if (key_id == 0) return MakeError(Errc::kInvalidArgument, "token key id must be at least 1");
  if (!is_registered) {
    return MakeError(Errc::kInvalidArgument, "token service needs an institution predicate");
  }
  RENKEI_TRY(auto id, KeyOf(id_key, "ID-code key"));
  RENKEI_TRY(auto first, KeyOf(token_key, "token key"));
  auto keys = std::unique_ptr<Keys>(new Keys{std::move(id), {}});
  keys->token.emplace(key_id, std::move(first));
  return TokenService(std::move(keys), std::move(is_registered));
}

Status TokenService::AddKey(uint32_t key_id, crypto::ByteView token_key) {
  if (key_id <= current_key_id_) {
    return MakeError(Errc::kInvalidArgument, "new token key id " + std::to_string(key_id) +
                                                 " must be larger than the current " +
                                                 std::to_string(current_key_id_));
  }
  RENKEI_TRY(auto key, KeyOf(token_key, "token key"));
  keys_->token.emplace(key_id, std::move(key));
  current_key_id_ = key_id;
  return OkStatus();
}

Result<IdCode> TokenService::IdCodeFor(std::string_view juminhyo_code) {
  RENKEI_CHECK_OK(ValidateJuminhyoCode(juminhyo_code));
  uint64_t body = 0;
  for (char c : juminhyo_code.substr(0, kJuminhyoCodeLength - 1)) {
    body = body * 10 + static_cast<uint64_t>(c - '0');
  }
  // A balanced Feistel network over 32-bit halves is a permutation whatever the round
  // function, so distinct 住民票コード always get distinct ID codes.
  uint32_t left = static_cast<uint32_t>(body >> 32);
  uint32_t right = static_cast<uint32_t>(body);
  Aes256Block::Block in{};
  Aes256Block::Block out{};
  for (int round = 0; round < kFeistelRounds; ++round) {
    in[0] = static_cast<uint8_t>(round);
    in[1] = static_cast<uint8_t>(right >> 24);
    in[2] = static_cast<uint8_t>(right >> 16);
    in[3] = static_cast<uint8_t>(right >> 8);
    in[4] = static_cast<uint8_t>(right);
    RENKEI_CHECK_OK(keys_->id.Encrypt(in, out));
    const uint32_t f = (uint32_t{out[0]} << 24) | (uint32_t{out[1]} << 16) |
                       (uint32_t{out[2]} << 8) | uint32_t{out[3]};
    const uint32_t next = left ^ f;
    left = right;
    right = next;
  }
  IdCode id{};
  PutBe64((uint64_t{left} << 32) | right, id.data());
  return id;
}

Result<Token> TokenService::Encrypt(const IdCode& id, uint64_t packed_institution) {
  Token token;
  token.key_id = current_key_id_;
  Aes256Block::Block in{};
  for (size_t i = 0; i < id.size(); ++i) in[i] = id[i];
  PutBe64(packed_institution, in.data() + id.size());
  RENKEI_CHECK_OK(keys_->token.rbegin()->second.Encrypt(in, token.block));
  return token;
}

Result<Token> TokenService::Derive(const IdCode& id, std::string_view institution_code) {
  RENKEI_TRY(const uint64_t packed, PackInstitutionCode(institution_code));
  return Encrypt(id, packed);
}

Result<TokenGrant> TokenService::Issue(std::string_view juminhyo_code,
                                       std::string_view institution_code,
                                       std::string_view acquisition_number) {
  TokenGrant grant;
  grant.acquisition_number = std::string(acquisition_number);
  grant.institution_code = std::string(institution_code);
  auto refuse = [&grant](TokenOutcome outcome, std::string reason) {
    grant.outcome = outcome;
    grant.reason = std::move(reason);
    return grant;
  };
  if (auto s = CheckAcquisitionNumber(acquisition_number); !s.ok()) {
    return refuse(TokenOutcome::kMalformedRequest, s.error().message);
  }
  auto packed = PackInstitutionCode(institution_code);
  if (!packed.ok()) return refuse(TokenOutcome::kMalformedRequest, packed.error().message);
  if (!is_registered_(institution_code)) {
    return refuse(TokenOutcome::kUnregisteredBody,
                  "institution " + std::string(institution_code) + " is not registered");
  }
  if (juminhyo_code.empty()) {
    return refuse(TokenOutcome::kUnknownPerson, "J-LIS has no resident for this request");
  }
  auto id = IdCodeFor(juminhyo_code);
  if (!id.ok()) return refuse(TokenOutcome::kMalformedRequest, id.error().message);
  RENKEI_TRY(grant.token, Encrypt(*id, *packed));
  grant.outcome = TokenOutcome::kIssued;
  return grant;
}

Result<TokenGrant> TokenService::Acquire(const TokenAcquisition& request) {
  return Issue(request.juminhyo_code, request.institution_code, request.acquisition_number);
}

Result<Token> TokenService::Convert(const Token& token, std::string_view from,
                                    std::string_view to) {
  auto key = keys_->token.find(token.key_id);
  if (key == keys_->token.end()) {
    return MakeError(Errc::kNotFound,
                     "token key v" + std::to_string(token.key_id) + " is not installed");
  }
  RENKEI_TRY(const uint64_t packed_from, PackInstitutionCode(from));
  RENKEI_TRY(const uint64_t packed_to, PackInstitutionCode(to));
  Aes256Block::Block plain{};
  RENKEI_CHECK_OK(key->second.Decrypt(token.block, plain));
  if (GetBe64(plain.data() + 8) != packed_from) {
    return MakeError(Errc::kVerifyFailed,
                     "token does not belong to institution " + std::string(from));
  }
  IdCode id{};
  for (size_t i = 0; i < id.size(); ++i) id[i] = plain[i];
  return Encrypt(id, packed_to);
}

Result<Token> TokenService::Rekey(const Token& token, std::string_view institution_code) {
  return Convert(token, institution_code, institution_code);
}

}  // namespace renkei::netsim
