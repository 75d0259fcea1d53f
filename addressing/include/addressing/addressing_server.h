// The integrated addressing server (統合宛名システム) of one local body.
//
// It is the only place in renkei that holds a 個人番号. It gives each person a 15-digit
// 団体内統合宛名番号 (integrated number) on first registration, links every business system's
// own 宛名番号 to it in both directions, keeps the basic four items (基本4情報) and the resident
// status with dates, finds persons by 4-information search, and emits a token acquisition
// request (符号取得要求) for every newly numbered person towards the network core.
//
// Storage: one SQLite file per body (WAL). The 個人番号 is never stored in clear: the server
// keeps an HMAC-SHA-256 digest under a per-body index key for lookups and an AES-256-GCM
// sealed copy (associated data: the integrated number) that only a 個人番号 officer can read
// back. Integrated numbers come from a keyed permutation of a persistent counter, so they are
// unique by construction, never reused, and unrelated to the 個人番号.
//
// Every operation takes a staff Session and checks its role first; every lookup, search and
// change is recorded in the operation record with the integrated number concerned. Each
// operation runs in one transaction: a rejected request leaves the database as it was.
//
// Nothing this class returns or records contains a 個人番号 (PersonRecord has no such field);
// error messages name the field and the rule, never the value.
//
// Thread safety: none; one server object per thread (open the same file again for another).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "addressing/normalize.h"
#include "addressing/person.h"
#include "addressing/staff.h"
#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::addressing {

// 住民/転出/死亡 (the seed's 転出、死亡時等のフラグ).
enum class ResidentStatus { kResident = 1, kMovedOut = 2, kDeceased = 3 };
std::string_view ResidentStatusName(ResidentStatus s);  // "resident", "moved-out", "deceased"
Result<ResidentStatus> ParseResidentStatus(std::string_view name);

enum class TokenState { kPending = 1, kAcquired = 2, kFailed = 3 };
std::string_view TokenStateName(TokenState s);

// A business system connected to the addressing server (住基, 健康管理, VRS, 税務, ...).
struct BusinessSystem {
  std::string id;    // "JUKI", "KENKO", "VRS" (1-16 of A-Z, 0-9, '_')
  std::string name;  // "住民基本台帳システム"
};

// What a business system hands in on registration.
struct Registration {
  std::string my_number;     // 個人番号, 12 digits with check digit
  std::string system_id;     // the registering business system
  std::string atena_number;  // that system's 宛名番号 (1-15 digits)
  FourInfo four_info;
};

struct RegistrationOutcome {
  std::string integrated_number;
  bool newly_numbered = false;  // false: the 個人番号 was known; only a link was added
  bool link_added = false;      // false: this exact link already existed
};

// A token acquisition request as it leaves the addressing server. It carries an acquisition
// number and never the 個人番号 or 住民票コード; the integrated number stays inside the body
// (the body's intermediate server keeps acquisition number → integrated number).
struct TokenRequest {
  std::string acquisition_number;  // "<lgcode>-<10-digit sequence>"
  std::string integrated_number;
  std::string lgcode;
  netsim::SimTime requested_at;
};

// Receives token requests after their registration has committed (an outbox: requests are
// first recorded as pending in the body's database, so a crash between commit and delivery
// loses nothing; ResendPendingTokenRequests delivers them again).
class TokenRequestSink {
 public:
  virtual ~TokenRequestSink() = default;
  virtual void OnTokenRequest(const TokenRequest& request) = 0;
};

struct Link {
  std::string system_id;
  std::string atena_number;
};

struct StatusChange {
  ResidentStatus status;
  std::string effective_date;  // YYYY-MM-DD
  netsim::SimTime recorded_at;
};

// A person as the addressing server shows them: no 個人番号.
struct PersonRecord {
  std::string integrated_number;
  FourInfo four_info;
  ResidentStatus status = ResidentStatus::kResident;
  std::string status_date;  // YYYY-MM-DD of the latest status change; empty while resident
  TokenState token_state = TokenState::kPending;
  std::string acquisition_number;
  std::vector<Link> links;                   // sorted by system id, then 宛名番号
  std::vector<StatusChange> status_history;  // oldest first
};

struct SearchCandidate {
  std::string integrated_number;
  FourInfo four_info;
  ResidentStatus status;
  MatchResult matched;  // which fields matched the query
};

struct AddressingOptions {
  std::string lgcode;  // the body's 地方公共団体コード (6 digits, valid check digit)
  // Key material for the 個人番号 index and seal keys and the numbering permutation. A
  // simulation derives it from its seed; a deployment loads it from a protected file.
  std::vector<uint8_t> master_key;  // 32 bytes
  StaffPolicy staff_policy;
  uint64_t seed = 0;  // session tokens and password salts (reproducible runs)
  size_t max_search_candidates = 50;
  netsim::sql::OpenOptions storage;  // how the database file is opened
};

// A registration whose fields were checked, 4 information normalised and 個人番号 digested
// ahead of the database work, so a bulk load can do that on a second core. Holds the
// 個人番号 only until registration; never log or print it.
struct PreparedRegistration {
  Registration registration;
  NormalizedFourInfo norm;
  netsim::crypto::Digest digest{};
};

// Prepares registrations for one server. Not thread-safe: one per thread. Obtained from
// AddressingServer::NewPreparer; it holds the body's index key, not the database.
class RegistrationPreparer {
 public:
  // A domain error (kInvalidInput) names the field; nothing is written anywhere.
  Result<PreparedRegistration> Prepare(Registration r);

 private:
  friend class AddressingServer;
  explicit RegistrationPreparer(netsim::crypto::HmacSha256 mac) : mac_(std::move(mac)) {}
  netsim::crypto::HmacSha256 mac_;
};

class AddressingServer {
 public:
  // Opens (creating when missing) the body's database at `path` (":memory:" for tests).
  static Result<std::unique_ptr<AddressingServer>> Open(const std::string& path,
                                                        AddressingOptions options,
                                                        const netsim::Clock& clock,
                                                        TokenRequestSink* sink = nullptr);
  ~AddressingServer();

  StaffDirectory& staff();
  const std::string& lgcode() const;

  // Business systems (administrator).
  Status RegisterBusinessSystem(const Session& s, const BusinessSystem& system);
  Result<std::vector<BusinessSystem>> BusinessSystems(const Session& s);

  // Registration (registrar): numbering on first registration, linking afterwards.
  Result<RegistrationOutcome> Register(const Session& s, const Registration& r);
  // Many registrations in one transaction: all or nothing. Each item is validated first; the
  // first bad item fails the whole call with its index in the message. Bulk import uses this.
  Result<std::vector<RegistrationOutcome>> RegisterBatch(const Session& s,
                                                         std::span<const Registration> batch);
  // Many registrations in one transaction, each judged on its own: an item refused for a
  // domain reason (bad field, unknown system, conflicting 4 information, duplicate link) gets
  // its error in the returned list and changes nothing; the others are registered. Only a
  // storage failure fails the call, and then the whole batch is rolled back.
  Result<std::vector<Result<RegistrationOutcome>>> RegisterEach(
      const Session& s, std::span<const Registration> batch);
  // A preparer for another thread (bulk import's reader).
  Result<RegistrationPreparer> NewPreparer() const;
  // RegisterEach for prepared items: items are moved from.
  Result<std::vector<Result<RegistrationOutcome>>> RegisterPrepared(
      const Session& s, std::span<PreparedRegistration> batch);

  // Bulk loads: drop the indexes only searches use (name, kana, birth date, operation
  // records by person) and rebuild them in one pass afterwards. Searches in between still
  // work, by scanning. A load that dies in between leaves them missing until the next Open,
  // which rebuilds them. Needs kRegistrar.
  Status SuspendSearchIndexes(const Session& s);
  Status RestoreSearchIndexes();
  // Validates a registration without touching the database (bulk import's row check).
  Status ValidateRegistration(const Registration& r) const;

  // Changes (registrar).
  Status UpdateFourInfo(const Session& s, std::string_view integrated_number,
                        const FourInfo& four_info);
  Status SetStatus(const Session& s, std::string_view integrated_number, ResidentStatus status,
                   std::string_view effective_date);
  Status AddLink(const Session& s, std::string_view integrated_number, const Link& link);

  // Lookups (viewer). Each is recorded with the person's integrated number.
  Result<PersonRecord> LookupByIntegratedNumber(const Session& s,
                                                std::string_view integrated_number);
  Result<PersonRecord> LookupByAtena(const Session& s, std::string_view system_id,
                                     std::string_view atena_number);
  Result<PersonRecord> LookupByMyNumber(const Session& s, std::string_view my_number);
  // 宛名番号 → 統合宛名番号 only: the relay path of queries and replica registrations.
  Result<std::string> IntegratedNumberForAtena(const Session& s, std::string_view system_id,
                                               std::string_view atena_number);
  // 4-information search: fields left empty (Sex::kNotKnown) are not compared. Candidates
  // are ordered by the number of matching fields, then by integrated number.
  Result<std::vector<SearchCandidate>> Search(const Session& s, const FourInfo& query);

  // The sealed 個人番号, decrypted (mynumber-officer only; recorded). For the 住基ネット path.
  Result<std::string> RevealMyNumber(const Session& s, std::string_view integrated_number);

  // Token acquisition bookkeeping: the core's answer arrives through the body's intermediate
  // server. These and Count() are the system-to-system link, called by the composition root
  // on behalf of the intermediate server, not by staff, so they take no Session.
  Status MarkTokenAcquired(std::string_view acquisition_number);
  Status MarkTokenFailed(std::string_view acquisition_number, std::string_view reason);
  Result<std::vector<TokenRequest>> PendingTokenRequests();
  // Hands every pending request to the sink again; returns how many.
  Result<int64_t> ResendPendingTokenRequests();

  struct Counts {
    int64_t persons = 0, links = 0, pending_tokens = 0, operations = 0;
  };
  Result<Counts> Count();

 private:
  class Impl;
  friend class RegistrationPreparer;
  explicit AddressingServer(std::unique_ptr<Impl> impl);
  // ValidateRegistration's work, keeping the normalised 4 information for the insert.
  static Result<NormalizedFourInfo> CheckRegistration(const Registration& r);
  std::unique_ptr<Impl> impl_;
};

}  // namespace renkei::addressing
