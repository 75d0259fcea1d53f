// The NWS core's token issuing (符号生成) and the J-LIS stand-in on the 住基ネット path.
//
// A person's token (符号) at body X is a keyed pseudo-random permutation, under a core key, of
// (the person's internal ID code ‖ X's 機関コード):
//
//   ID code  = Feistel-PRP_idkey(the 10-digit body of the 住民票コード)   8 bytes
//   block    = ID code ‖ uint64 big-endian(X's 16-digit 機関コード)       16 bytes
//   token    = AES-256_{core key k}(block), tagged with k's key id
//   text     = "v<key id>:<32 lower-case hex digits>"   e.g. "v1:3f0c…"
//
// The ID code is a 4-round Feistel permutation of 64-bit values whose round function is
// AES-256 under the ID key, so two 住民票コード never share an ID code (no birthday collisions,
// unlike a truncated hash) and the code reveals nothing of the 住民票コード without the key.
// The ID key never rotates: the ID code is the person's identity inside the core.
//
// Because each token is one AES block under a secret key, the same person has a different
// token at every body, and tokens of different bodies cannot be linked without the key. Only
// the core converts: it decrypts a token presented as body A's, checks that the packed
// institution code is A's (a token of another body is refused), and encrypts the ID code with
// B's code under the current key.
//
// Key rotation: AddKey installs a new current key with a larger key id; tokens are issued and
// converted into the current key from then on, and tokens issued under any installed key stay
// convertible. A body holding tokens under an older key re-keys them with Rekey (conversion to
// its own code). Keys are bytes the composition root derives from the simulation seed.
//
// JlisDirectory is the only object in the network that sees a 個人番号: it keeps a map from
// 個人番号 to 住民票コード and nothing else, and no error it returns quotes a 個人番号.
//
// Thread safety: JlisDirectory is safe for concurrent const use once registration is done.
// TokenService holds AES contexts and is not thread-safe: create one per thread from the same
// key bytes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "netsim/crypto.h"
#include "netsim/result.h"

namespace renkei::netsim {

// ---- J-LIS stand-in ----

class JlisDirectory {
 public:
  // Registers a resident. Both values are validated (a bad 個人番号 is refused without quoting
  // it); registering a 個人番号 twice is kInvalidArgument unless the 住民票コード is the same.
  Status Register(std::string_view my_number, std::string_view juminhyo_code);
  // The 住民票コード of a registered resident; kNotFound otherwise (the message never quotes
  // the argument).
  Result<std::string> Resolve(std::string_view my_number) const;
  size_t size() const { return residents_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> residents_;
};

// ---- tokens ----

using IdCode = std::array<uint8_t, 8>;

struct Token {
  uint32_t key_id = 0;
  std::array<uint8_t, 16> block{};

  // "v<key id>:<32 lower-case hex>".
  std::string ToText() const;
  // Strict inverse of ToText: "v", a decimal key id 1..4294967295 without leading zeros, ":",
  // exactly 32 lower-case hex digits. Anything else is kParseError naming the part.
  static Result<Token> Parse(std::string_view text);
  bool operator==(const Token&) const = default;
};

// What reaches the core on the 住基ネット path: the addressing server's token request after
// J-LIS replaced the 個人番号 with the 住民票コード (ForwardToCore).
struct TokenAcquisition {
  std::string acquisition_number;  // 取得番号: ties the request to its delivery
  std::string institution_code;    // the requesting body
  std::string juminhyo_code;       // empty when J-LIS knew no such person
};

// Closed set of answers to a token acquisition.
enum class TokenOutcome {
  kIssued,
  kUnknownPerson,     // J-LIS has no such resident
  kUnregisteredBody,  // the requesting 機関コード is not on the network
  kMalformedRequest,  // a field is not well-formed (acquisition number, codes)
};
std::string_view TokenOutcomeName(TokenOutcome outcome);

struct TokenGrant {
  TokenOutcome outcome = TokenOutcome::kMalformedRequest;
  std::string acquisition_number;
  std::string institution_code;
  Token token;         // meaningful only when outcome == kIssued
  std::string reason;  // for people; empty when issued
};

// The J-LIS side of acquisition: resolves the 個人番号 and forwards the request without it.
// A person J-LIS does not know travels on with an empty 住民票コード, so the core answers
// kUnknownPerson with the acquisition number and the body is told.
TokenAcquisition ForwardToCore(const JlisDirectory& jlis, std::string_view my_number,
                               std::string_view acquisition_number,
                               std::string_view institution_code);

class TokenService {
 public:
  // Whether a 機関コード is registered on the network (the institution registry's lookup).
  using BodyPredicate = std::function<bool(std::string_view institution_code)>;
  static constexpr size_t kKeySize = 32;

  // `id_key` keys the ID-code permutation; `token_key` becomes key `key_id` (>= 1), the
  // current key. Keys that are not 32 bytes, key id 0 or an empty predicate are
  // kInvalidArgument.
  static Result<TokenService> Create(crypto::ByteView id_key, uint32_t key_id,
                                     crypto::ByteView token_key, BodyPredicate is_registered);
  TokenService(TokenService&&) noexcept;
  TokenService& operator=(TokenService&&) noexcept;
  ~TokenService();

  // Rotation: installs `token_key` as key `key_id`, which must be larger than every installed
  // id, and makes it current. Earlier keys stay installed for conversion.
  Status AddKey(uint32_t key_id, crypto::ByteView token_key);
  uint32_t current_key_id() const { return current_key_id_; }

  // The person's internal ID code; kInvalidArgument for a malformed 住民票コード.
  Result<IdCode> IdCodeFor(std::string_view juminhyo_code);
  // The token of ID code `id` at `institution_code` (validated) under the current key.
  Result<Token> Derive(const IdCode& id, std::string_view institution_code);

  // 符号生成 for an acquisition. Domain refusals are outcomes in the grant; an Error means the
  // cipher itself failed. An acquisition number is 1 to 64 characters of [0-9A-Za-z-]
  // (renkei's addressing servers issue "<地方公共団体コード>-<10 digits>").
  Result<TokenGrant> Acquire(const TokenAcquisition& request);
  Result<TokenGrant> Issue(std::string_view juminhyo_code, std::string_view institution_code,
                           std::string_view acquisition_number);

  // Converts `token`, presented as body `from`'s, into body `to`'s token under the current
  // key. kNotFound when the token's key id is not installed; kVerifyFailed when the token does
  // not belong to `from` (forged, or another body's); kInvalidArgument for a malformed code.
  Result<Token> Convert(const Token& token, std::string_view from, std::string_view to);
  // Convert(token, body, body): the same token under the current key.
  Result<Token> Rekey(const Token& token, std::string_view institution_code);

 private:
  struct Keys;
  TokenService(std::unique_ptr<Keys> keys, BodyPredicate is_registered);
  Result<Token> Encrypt(const IdCode& id, uint64_t packed_institution);

  std::unique_ptr<Keys> keys_;
  BodyPredicate is_registered_;
  uint32_t current_key_id_ = 0;
};

// A valid 機関コード as the 8-byte big-endian integer inside a token block; kInvalidArgument
// when the code is not valid.
Result<uint64_t> PackInstitutionCode(std::string_view institution_code);

}  // namespace renkei::netsim
