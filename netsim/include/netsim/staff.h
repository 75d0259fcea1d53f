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
// The component is shared by the integrated addressing server and the intermediate server.
// Each brings its own RoleCatalog (which bits mean which roles, and which of them administers
// accounts and which reads the record) and its own database: the two never share accounts.
//
// StaffDirectory shares the SQLite database of the server that owns it; operation records
// written inside the caller's transaction commit or roll back with it.
// Thread safety: RoleCatalog is immutable and may be shared; StaffDirectory has none, one
// directory per connection.
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

namespace renkei::netsim {

// A set of role bits; a staff member holds one. Which bit is which role is the owning
// server's business, told to the directory through a RoleCatalog.
using RoleSet = uint32_t;

// The roles one server knows: each a single bit with a name ("administrator", "viewer", ...).
// Names are what people type (CLI options, scenario files) and what the operation record shows.
class RoleCatalog {
 public:
  struct Entry {
    RoleSet bit = 0;
    std::string name;
  };

  // At least one role; every bit a single, distinct bit and every name distinct, non-empty and
  // free of ','. A catalog breaking that is a programming error and aborts.
  explicit RoleCatalog(std::vector<Entry> roles);

  // Comma-separated names without spaces, e.g. "registrar,viewer", as a set. Refuses
  // (kInvalidArgument) an empty list, an empty or unknown name (the message names it and lists
  // the valid ones) and a name given twice.
  Result<RoleSet> Parse(std::string_view comma_separated_names) const;
  // The names of the catalog's roles in `roles`, in catalog order, comma-separated; bits
  // outside the catalog are left out.
  std::string Names(RoleSet roles) const;
  // The name of one role bit; "unknown" for a bit outside the catalog.
  std::string_view NameOf(RoleSet bit) const;
  // Every bit of the catalog.
  RoleSet All() const { return all_; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  RoleSet all_ = 0;
};

struct StaffPolicy {
  Duration password_lifetime = Duration::Days(90);
  int max_failed_logins = 5;
  size_t min_password_length = 10;
  Duration session_idle_timeout = Duration::Minutes(30);
  crypto::PasswordHashParams hash;
};

// What a successful login hands the caller; every operation takes it back.
struct Session {
  std::string token;
  std::string staff_id;
  RoleSet roles = 0;
};

struct OperationRecord {
  int64_t seq = 0;
  SimTime at;
  std::string staff_id;
  std::string action;             // "login", "register", "lookup", "search", ...
  std::string integrated_number;  // empty when no person is concerned
  std::string detail;             // never a 個人番号
  bool allowed = true;
};

class StaffDirectory {
 public:
  // `administrator_role` and `auditor_role` are single bits of `catalog`: the first may manage
  // accounts (and is what Bootstrap grants), the second may read and archive the record.
  StaffDirectory(sql::Database& db, const Clock& clock, StaffPolicy policy, Rng rng,
                 RoleCatalog catalog, RoleSet administrator_role, RoleSet auditor_role);

  // Creates the tables when missing.
  Status Init();
  // The first administrator of an empty directory; refused once any account exists.
  Status Bootstrap(std::string_view staff_id, std::string_view name, std::string_view password);
  // Need the administrator role. `roles` must be non-empty and within the catalog.
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

  // Ok when `session` is live and holds `required_role` (one bit of the catalog); otherwise
  // records the refusal and fails (kSessionInvalid or kPermissionDenied). Refreshes the
  // session's idle timer.
  Status Authorize(const Session& session, RoleSet required_role, std::string_view operation);

  // Appends one operation record.
  Status Record(std::string_view staff_id, std::string_view action,
                std::string_view integrated_number, std::string_view detail, bool allowed);

  // Operation records in order, optionally only those about one person. Needs the auditor role.
  Result<std::vector<OperationRecord>> Operations(const Session& auditor,
                                                  std::string_view integrated_number = {});

  // Moves records older than `cutoff` (the policy is 3 months online) into a CSV file kept
  // for 7 years, then deletes them; the file is written and synced before the delete commits.
  // Returns the number archived. Needs the auditor role.
  Result<int64_t> ArchiveOperations(const Session& auditor, SimTime cutoff,
                                    const std::string& csv_path);

  const StaffPolicy& policy() const { return policy_; }
  const RoleCatalog& catalog() const { return catalog_; }

 private:
  struct Account;
  Result<std::optional<Account>> FindAccount(std::string_view staff_id);
  // FindAccount, with a missing account as kUnknownStaff.
  Result<Account> RequireAccount(std::string_view staff_id);
  Status CheckPasswordPolicy(std::string_view staff_id, std::string_view password) const;
  Status CheckRoles(RoleSet roles) const;
  Status InsertAccount(std::string_view staff_id, std::string_view name, RoleSet roles,
                       std::string_view password);

  sql::Database& db_;
  const Clock& clock_;
  StaffPolicy policy_;
  Rng rng_;
  RoleCatalog catalog_;
  RoleSet administrator_role_;
  RoleSet auditor_role_;
};

}  // namespace renkei::netsim
