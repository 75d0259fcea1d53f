// Staff authentication, authorisation and operation records (職員認証・権限管理).
//
// Staff log in with an id and a password; passwords are stored as PBKDF2-HMAC-SHA-256 hashes,
// expire after a set lifetime and must then be changed; repeated failures lock the account
// until an administrator unlocks it. Roles decide which operations a staff member may use, and
// every login, logout, failed login, denial, person lookup and change is appended to the
// operation record (who, when, what, which person by 統合宛名番号, allowed or refused).
//
// Failures are reported precisely (unknown id, locked, expired, wrong password) because renkei
// is a training and test tool whose users must see why a login failed; a production system
// would show one generic message at the terminal and keep the precise reason in the record.
//
// StaffDirectory shares the body's SQLite database with the addressing server that owns it;
// operation records written inside the caller's transaction commit or roll back with it.
// Thread safety: none; one directory per connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/rng.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::addressing {

// Bit flags; a staff member holds a set of them.
enum class Role : uint32_t {
  kAdministrator = 1,    // staff accounts, roles, unlocks
  kRegistrar = 2,        // registration, 4-information changes, status changes, bulk import
  kViewer = 4,           // lookups and 4-information search
  kAuditor = 8,          // reading the operation record
  kMyNumberOfficer = 16  // the only role that may read a stored 個人番号 back
};
using RoleSet = uint32_t;
constexpr RoleSet RoleBit(Role r) { return static_cast<RoleSet>(r); }
std::string_view RoleName(Role r);
// "administrator", "registrar", "viewer", "auditor", "mynumber-officer".
Result<Role> ParseRole(std::string_view name);
// Comma-separated names, e.g. "registrar,viewer".
Result<RoleSet> ParseRoles(std::string_view names);
std::string RoleSetNames(RoleSet roles);

struct StaffPolicy {
  netsim::Duration password_lifetime = netsim::Duration::Days(90);
  int max_failed_logins = 5;
  size_t min_password_length = 10;
  netsim::Duration session_idle_timeout = netsim::Duration::Minutes(30);
  netsim::crypto::PasswordHashParams hash;
};

// What a successful login hands the caller; every operation takes it back.
struct Session {
  std::string token;
  std::string staff_id;
  RoleSet roles = 0;
};

struct OperationRecord {
  int64_t seq = 0;
  netsim::SimTime at;
  std::string staff_id;
  std::string action;             // "login", "register", "lookup", "search", ...
  std::string integrated_number;  // empty when no person is concerned
  std::string detail;             // never a 個人番号
  bool allowed = true;
};

class StaffDirectory {
 public:
  StaffDirectory(netsim::sql::Database& db, const netsim::Clock& clock, StaffPolicy policy,
                 netsim::Rng rng);

  // Creates the tables when missing.
  Status Init();
  // The first administrator of an empty directory; refused once any account exists.
  Status Bootstrap(std::string_view staff_id, std::string_view name, std::string_view password);
  Status CreateStaff(const Session& admin, std::string_view staff_id, std::string_view name,
                     RoleSet roles, std::string_view initial_password);
  Status SetRoles(const Session& admin, std::string_view staff_id, RoleSet roles);
  Status Unlock(const Session& admin, std::string_view staff_id);
  Status Lock(const Session& admin, std::string_view staff_id);

  Result<Session> Login(std::string_view staff_id, std::string_view password);
  Status Logout(const Session& session);
  // Works for an expired password (that is how it gets renewed), not for a locked account.
  Status ChangePassword(std::string_view staff_id, std::string_view old_password,
                        std::string_view new_password);

  // Ok when `session` is live and holds `role`; otherwise records the refusal and fails
  // (kSessionInvalid or kPermissionDenied). Refreshes the session's idle timer.
  Status Authorize(const Session& session, Role role, std::string_view operation);

  // Appends one operation record.
  Status Record(std::string_view staff_id, std::string_view action,
                std::string_view integrated_number, std::string_view detail, bool allowed);

  // Operation records in order, optionally only those about one person. Needs kAuditor.
  Result<std::vector<OperationRecord>> Operations(const Session& auditor,
                                                  std::string_view integrated_number = {});

  // Moves records older than `cutoff` (the policy is 3 months online) into a CSV file kept
  // for 7 years, then deletes them; the file is written and synced before the delete commits.
  // Returns the number archived. Needs kAuditor.
  Result<int64_t> ArchiveOperations(const Session& auditor, netsim::SimTime cutoff,
                                    const std::string& csv_path);

  const StaffPolicy& policy() const { return policy_; }

 private:
  struct Account;
  Result<std::optional<Account>> FindAccount(std::string_view staff_id);
  // FindAccount, with a missing account as kUnknownStaff.
  Result<Account> RequireAccount(std::string_view staff_id);
  Status CheckPasswordPolicy(std::string_view staff_id, std::string_view password) const;
  Status InsertAccount(std::string_view staff_id, std::string_view name, RoleSet roles,
                       std::string_view password);

  netsim::sql::Database& db_;
  const netsim::Clock& clock_;
  StaffPolicy policy_;
  netsim::Rng rng_;
};

}  // namespace renkei::addressing
