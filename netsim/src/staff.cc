#include "netsim/staff.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <utility>

#include "netsim/errors.h"

namespace renkei::netsim {

namespace {

bool ValidStaffId(std::string_view id) {
  if (id.empty() || id.size() > 20) return false;
  for (const char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool SingleBit(RoleSet bit) { return bit != 0 && (bit & (bit - 1)) == 0; }

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "renkei: " << message << "\n";
  std::abort();
}

// CSV field quoting for the archive (RFC 4180).
std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

RoleCatalog::RoleCatalog(std::vector<Entry> roles) : entries_(std::move(roles)) {
  if (entries_.empty()) Die("role catalog: no roles");
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (!SingleBit(e.bit)) Die("role catalog: '" + e.name + "' is not a single bit");
    if (e.name.empty() || e.name.find(',') != std::string::npos) {
      Die("role catalog: role names must be non-empty and free of ','");
    }
    if ((all_ & e.bit) != 0) Die("role catalog: the bit of '" + e.name + "' is used twice");
    for (size_t j = 0; j < i; ++j) {
      if (entries_[j].name == e.name) Die("role catalog: '" + e.name + "' is named twice");
    }
    all_ |= e.bit;
  }
}

Result<RoleSet> RoleCatalog::Parse(std::string_view comma_separated_names) const {
  // "expected administrator, registrar or viewer": the valid names, for every refusal.
  std::string expected = "expected ";
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) expected += i + 1 == entries_.size() ? " or " : ", ";
    expected += entries_[i].name;
  }
  if (comma_separated_names.empty()) {
    return MakeError(Errc::kInvalidArgument, "roles: none given (" + expected + ")");
  }
  RoleSet set = 0;
  size_t start = 0;
  while (start <= comma_separated_names.size()) {
    const size_t comma =
        std::min(comma_separated_names.find(',', start), comma_separated_names.size());
    const std::string_view name = comma_separated_names.substr(start, comma - start);
    RoleSet bit = 0;
    for (const Entry& e : entries_) {
      if (e.name == name) bit = e.bit;
    }
    if (bit == 0) {
      return MakeError(Errc::kInvalidArgument,
                       "unknown role '" + std::string(name) + "' (" + expected + ")");
    }
    if ((set & bit) != 0) {
      return MakeError(Errc::kInvalidArgument, "roles: '" + std::string(name) + "' is given twice");
    }
    set |= bit;
    start = comma + 1;
  }
  return set;
}

std::string RoleCatalog::Names(RoleSet roles) const {
  std::string out;
  for (const Entry& e : entries_) {
    if ((roles & e.bit) == 0) continue;
    if (!out.empty()) out += ',';
    out += e.name;
  }
  return out;
}

std::string_view RoleCatalog::NameOf(RoleSet bit) const {
  for (const Entry& e : entries_) {
    if (e.bit == bit) return e.name;
  }
  return "unknown";
}

struct StaffDirectory::Account {
  std::string staff_id;
  RoleSet roles = 0;
  std::string password_hash;
  SimTime password_changed_at;
  int64_t failed_logins = 0;
  bool locked = false;
};

StaffDirectory::StaffDirectory(sql::Database& db, const Clock& clock, StaffPolicy policy, Rng rng,
                               RoleCatalog catalog, RoleSet administrator_role,
                               RoleSet auditor_role)
    : db_(db),
      clock_(clock),
      policy_(policy),
      rng_(rng),
      catalog_(std::move(catalog)),
      administrator_role_(administrator_role),
      auditor_role_(auditor_role) {
  for (const RoleSet r : {administrator_role_, auditor_role_}) {
    if (!SingleBit(r) || (catalog_.All() & r) == 0) {
      Die("staff directory: the administrator and auditor roles must be roles of the catalog");
    }
  }
}

Status StaffDirectory::Init() {
  return db_.Exec(R"sql(
    CREATE TABLE IF NOT EXISTS staff (
      staff_id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      roles INTEGER NOT NULL,
      password_hash TEXT NOT NULL,
      password_changed_at INTEGER NOT NULL,
      failed_logins INTEGER NOT NULL DEFAULT 0,
      locked INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS staff_sessions (
      token TEXT PRIMARY KEY,
      staff_id TEXT NOT NULL REFERENCES staff(staff_id),
      last_seen INTEGER NOT NULL,
      ended INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS operations (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      staff_id TEXT NOT NULL,
      action TEXT NOT NULL,
      integrated_number TEXT NOT NULL,
      detail TEXT NOT NULL,
      allowed INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS operations_by_person ON operations(integrated_number)
      WHERE integrated_number != '';
  )sql");
}

Status StaffDirectory::Record(std::string_view staff_id, std::string_view action,
                              std::string_view integrated_number, std::string_view detail,
                              bool allowed) {
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("INSERT INTO operations(at, staff_id, action, integrated_number, detail, "
                        "allowed) VALUES(?, ?, ?, ?, ?, ?)"));
  RENKEI_CHECK_OK(st->BindAll(clock_.Now().micros(), staff_id, action, integrated_number, detail,
                              int64_t{allowed ? 1 : 0}));
  return st->Run();
}

Result<std::optional<StaffDirectory::Account>> StaffDirectory::FindAccount(
    std::string_view staff_id) {
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("SELECT roles, password_hash, password_changed_at, failed_logins, locked "
                        "FROM staff WHERE staff_id = ?"));
  RENKEI_CHECK_OK(st->Bind(1, staff_id));
  RENKEI_TRY(const bool found, st->Step());
  if (!found) return std::optional<Account>();
  Account a;
  a.staff_id = std::string(staff_id);
  a.roles = static_cast<RoleSet>(st->ColumnInt(0));
  a.password_hash = st->ColumnText(1);
  a.password_changed_at = SimTime::FromMicros(st->ColumnInt(2));
  a.failed_logins = st->ColumnInt(3);
  a.locked = st->ColumnInt(4) != 0;
  return std::optional<Account>(std::move(a));
}

Result<StaffDirectory::Account> StaffDirectory::RequireAccount(std::string_view staff_id) {
  RENKEI_TRY(auto account, FindAccount(staff_id));
  if (!account) {
    return MakeError(Errc::kUnknownStaff,
                     "staff id '" + std::string(staff_id) + "' is not registered");
  }
  return std::move(*account);
}

Status StaffDirectory::CheckPasswordPolicy(std::string_view staff_id,
                                           std::string_view password) const {
  if (password.size() < policy_.min_password_length) {
    return MakeError(Errc::kWeakPassword,
                     "password: must be at least " + std::to_string(policy_.min_password_length) +
                         " characters, got " + std::to_string(password.size()));
  }
  if (password.find(staff_id) != std::string_view::npos) {
    return MakeError(Errc::kWeakPassword, "password: must not contain the staff id");
  }
  bool has_letter = false, has_digit = false;
  for (const char c : password) {
    has_digit |= c >= '0' && c <= '9';
    has_letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  if (!has_letter || !has_digit) {
    return MakeError(Errc::kWeakPassword, "password: must contain both letters and digits");
  }
  return OkStatus();
}

Status StaffDirectory::CheckRoles(RoleSet roles) const {
  if (roles == 0) return MakeError(Errc::kInvalidArgument, "roles: at least one role is required");
  // A bit outside the catalog would be stored but shown nowhere (Names leaves it out), so the
  // operation record would not say what was granted.
  if ((roles & ~catalog_.All()) != 0) {
    char bits[16];
    std::snprintf(bits, sizeof bits, "0x%x", static_cast<unsigned>(roles & ~catalog_.All()));
    return MakeError(Errc::kInvalidArgument,
                     std::string("roles: bits ") + bits + " are not roles of this directory");
  }
  return OkStatus();
}

Status StaffDirectory::InsertAccount(std::string_view staff_id, std::string_view name,
                                     RoleSet roles, std::string_view password) {
  if (!ValidStaffId(staff_id)) {
    return MakeError(Errc::kInvalidArgument,
                     "staff id: 1-20 characters of A-Z, a-z, 0-9, '-', '_' or '.' required");
  }
  if (name.empty()) return MakeError(Errc::kInvalidArgument, "staff name: must not be empty");
  RENKEI_CHECK_OK(CheckRoles(roles));
  RENKEI_CHECK_OK(CheckPasswordPolicy(staff_id, password));
  RENKEI_TRY(auto existing, FindAccount(staff_id));
  if (existing) {
    return MakeError(Errc::kInvalidArgument,
                     "staff id '" + std::string(staff_id) + "' is already registered");
  }
  // Salts come from the directory's seeded stream so a simulation's database is reproducible;
  // each salt is still unique per account and per change.
  std::vector<uint8_t> salt(policy_.hash.salt_size);
  for (auto& b : salt) b = static_cast<uint8_t>(rng_.Next());
  RENKEI_TRY(std::string hash, crypto::HashPassword(password, policy_.hash, salt));
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("INSERT INTO staff(staff_id, name, roles, password_hash, "
                        "password_changed_at) VALUES(?, ?, ?, ?, ?)"));
  RENKEI_CHECK_OK(st->BindAll(staff_id, name, static_cast<int64_t>(roles), std::string_view(hash),
                              clock_.Now().micros()));
  return st->Run();
}

Status StaffDirectory::Bootstrap(std::string_view staff_id, std::string_view name,
                                 std::string_view password) {
  RENKEI_TRY(sql::Transaction txn, db_.BeginImmediate());
  RENKEI_TRY(sql::StatementLease count, db_.Cached("SELECT count(*) FROM staff"));
  RENKEI_CHECK_OK(count->Step());
  if (count->ColumnInt(0) != 0) {
    return MakeError(Errc::kPermissionDenied,
                     "bootstrap: the staff directory already has accounts; an administrator "
                     "must create new ones");
  }
  RENKEI_CHECK_OK(InsertAccount(staff_id, name, administrator_role_, password));
  RENKEI_CHECK_OK(Record(staff_id, "bootstrap", "", "first administrator created", true));
  return txn.Commit();
}

Status StaffDirectory::CreateStaff(const Session& admin, std::string_view staff_id,
                                   std::string_view name, RoleSet roles,
                                   std::string_view initial_password) {
  RENKEI_CHECK_OK(Authorize(admin, administrator_role_, "create-staff"));
  RENKEI_TRY(sql::Transaction txn, db_.BeginImmediate());
  RENKEI_CHECK_OK(InsertAccount(staff_id, name, roles, initial_password));
  RENKEI_CHECK_OK(Record(admin.staff_id, "create-staff", "",
                         std::string(staff_id) + " roles=" + catalog_.Names(roles), true));
  return txn.Commit();
}

Status StaffDirectory::SetRoles(const Session& admin, std::string_view staff_id, RoleSet roles) {
  RENKEI_CHECK_OK(Authorize(admin, administrator_role_, "set-roles"));
  RENKEI_CHECK_OK(CheckRoles(roles));
  if (auto known = RequireAccount(staff_id); !known.ok()) return known.error();
  RENKEI_TRY(sql::Transaction txn, db_.BeginImmediate());
  RENKEI_TRY(sql::StatementLease st, db_.Cached("UPDATE staff SET roles = ? WHERE staff_id = ?"));
  RENKEI_CHECK_OK(st->BindAll(static_cast<int64_t>(roles), staff_id));
  RENKEI_CHECK_OK(st->Run());
  RENKEI_CHECK_OK(Record(admin.staff_id, "set-roles", "",
                         std::string(staff_id) + " roles=" + catalog_.Names(roles), true));
  return txn.Commit();
}

Status StaffDirectory::Lock(const Session& admin, std::string_view staff_id) {
  RENKEI_CHECK_OK(Authorize(admin, administrator_role_, "lock"));
  if (auto known = RequireAccount(staff_id); !known.ok()) return known.error();
  RENKEI_TRY(sql::StatementLease st, db_.Cached("UPDATE staff SET locked = 1 WHERE staff_id = ?"));
  RENKEI_CHECK_OK(st->Bind(1, staff_id));
  RENKEI_CHECK_OK(st->Run());
  return Record(admin.staff_id, "lock", "", std::string(staff_id), true);
}

Status StaffDirectory::Unlock(const Session& admin, std::string_view staff_id) {
  RENKEI_CHECK_OK(Authorize(admin, administrator_role_, "unlock"));
  if (auto known = RequireAccount(staff_id); !known.ok()) return known.error();
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("UPDATE staff SET locked = 0, failed_logins = 0 WHERE staff_id = ?"));
  RENKEI_CHECK_OK(st->Bind(1, staff_id));
  RENKEI_CHECK_OK(st->Run());
  return Record(admin.staff_id, "unlock", "", std::string(staff_id), true);
}

Result<Session> StaffDirectory::Login(std::string_view staff_id, std::string_view password) {
  RENKEI_TRY(auto account, FindAccount(staff_id));
  // Ids that are not valid account names are recorded by a fixed label: the record must not
  // become a place where arbitrary typed text (perhaps a 個人番号 typed in the wrong box) lands.
  const std::string recorded_id = ValidStaffId(staff_id) ? std::string(staff_id) : "(invalid id)";
  if (!account) {
    RENKEI_CHECK_OK(Record(recorded_id, "login", "", "unknown staff id", false));
    return MakeError(Errc::kUnknownStaff, "staff id '" + recorded_id + "' is not registered");
  }
  if (account->locked) {
    RENKEI_CHECK_OK(Record(recorded_id, "login", "", "account locked", false));
    return MakeError(Errc::kAccountLocked,
                     "staff id '" + recorded_id + "' is locked; an administrator must unlock it");
  }
  const Status verified = crypto::VerifyPassword(password, account->password_hash);
  if (!verified.ok()) {
    const int64_t failures = account->failed_logins + 1;
    const bool lock = failures >= policy_.max_failed_logins;
    RENKEI_TRY(sql::StatementLease st,
               db_.Cached("UPDATE staff SET failed_logins = ?, locked = ? WHERE staff_id = ?"));
    RENKEI_CHECK_OK(st->BindAll(failures, int64_t{lock ? 1 : 0}, staff_id));
    RENKEI_CHECK_OK(st->Run());
    RENKEI_CHECK_OK(Record(recorded_id, "login", "",
                           "wrong password (" + std::to_string(failures) + " of " +
                               std::to_string(policy_.max_failed_logins) + ")" +
                               (lock ? "; account locked" : ""),
                           false));
    if (lock) {
      return MakeError(Errc::kAccountLocked, "password: wrong; staff id '" + recorded_id +
                                                 "' is now locked after " +
                                                 std::to_string(failures) + " failed logins");
    }
    return MakeError(Errc::kWrongPassword, "password: wrong for staff id '" + recorded_id + "' (" +
                                               std::to_string(failures) + " of " +
                                               std::to_string(policy_.max_failed_logins) +
                                               " attempts before lockout)");
  }
  if (clock_.Now() - account->password_changed_at >= policy_.password_lifetime) {
    RENKEI_CHECK_OK(Record(recorded_id, "login", "", "password expired", false));
    return MakeError(Errc::kPasswordExpired, "password: expired for staff id '" + recorded_id +
                                                 "'; change it before logging in");
  }
  char token[33];
  std::snprintf(token, sizeof token, "%016llx%016llx", static_cast<unsigned long long>(rng_.Next()),
                static_cast<unsigned long long>(rng_.Next()));
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("INSERT INTO staff_sessions(token, staff_id, last_seen) VALUES(?, ?, ?)"));
  RENKEI_CHECK_OK(st->BindAll(std::string_view(token), staff_id, clock_.Now().micros()));
  RENKEI_CHECK_OK(st->Run());
  RENKEI_TRY(sql::StatementLease reset,
             db_.Cached("UPDATE staff SET failed_logins = 0 WHERE staff_id = ?"));
  RENKEI_CHECK_OK(reset->Bind(1, staff_id));
  RENKEI_CHECK_OK(reset->Run());
  RENKEI_CHECK_OK(Record(recorded_id, "login", "", "", true));
  return Session{token, std::string(staff_id), account->roles};
}

Status StaffDirectory::Logout(const Session& session) {
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("UPDATE staff_sessions SET ended = 1 WHERE token = ? AND ended = 0"));
  RENKEI_CHECK_OK(st->Bind(1, std::string_view(session.token)));
  RENKEI_CHECK_OK(st->Run());
  if (db_.Changes() == 0) {
    return MakeError(Errc::kSessionInvalid, "session: not logged in (unknown or already ended)");
  }
  return Record(session.staff_id, "logout", "", "", true);
}

Status StaffDirectory::ChangePassword(std::string_view staff_id, std::string_view old_password,
                                      std::string_view new_password) {
  RENKEI_TRY(Account account, RequireAccount(staff_id));
  if (account.locked) {
    return MakeError(Errc::kAccountLocked, "staff id '" + std::string(staff_id) + "' is locked");
  }
  if (!crypto::VerifyPassword(old_password, account.password_hash).ok()) {
    RENKEI_CHECK_OK(Record(staff_id, "change-password", "", "wrong old password", false));
    return MakeError(Errc::kWrongPassword, "old password: wrong");
  }
  if (new_password == old_password) {
    return MakeError(Errc::kWeakPassword, "new password: must differ from the old one");
  }
  RENKEI_CHECK_OK(CheckPasswordPolicy(staff_id, new_password));
  std::vector<uint8_t> salt(policy_.hash.salt_size);
  for (auto& b : salt) b = static_cast<uint8_t>(rng_.Next());
  RENKEI_TRY(std::string hash, crypto::HashPassword(new_password, policy_.hash, salt));
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("UPDATE staff SET password_hash = ?, password_changed_at = ?, "
                        "failed_logins = 0 WHERE staff_id = ?"));
  RENKEI_CHECK_OK(st->BindAll(std::string_view(hash), clock_.Now().micros(), staff_id));
  RENKEI_CHECK_OK(st->Run());
  return Record(staff_id, "change-password", "", "", true);
}

Status StaffDirectory::Authorize(const Session& session, RoleSet required_role,
                                 std::string_view operation) {
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("SELECT s.last_seen, s.ended, st.roles, st.locked FROM staff_sessions s "
                        "JOIN staff st ON st.staff_id = s.staff_id WHERE s.token = ? AND "
                        "s.staff_id = ?"));
  RENKEI_CHECK_OK(st->BindAll(std::string_view(session.token), std::string_view(session.staff_id)));
  RENKEI_TRY(const bool found, st->Step());
  const std::string who = ValidStaffId(session.staff_id) ? session.staff_id : "(invalid id)";
  if (!found) {
    RENKEI_CHECK_OK(Record(who, operation, "", "no such session", false));
    return MakeError(Errc::kSessionInvalid, "session: not logged in");
  }
  const SimTime last_seen = SimTime::FromMicros(st->ColumnInt(0));
  const bool ended = st->ColumnInt(1) != 0;
  // Roles are read from the account, not the session, so a change applies at once.
  const auto roles = static_cast<RoleSet>(st->ColumnInt(2));
  const bool locked = st->ColumnInt(3) != 0;
  st->Reset();
  if (ended || locked || clock_.Now() - last_seen > policy_.session_idle_timeout) {
    const char* why = ended ? "session ended" : locked ? "account locked" : "session timed out";
    RENKEI_CHECK_OK(Record(who, operation, "", why, false));
    return MakeError(Errc::kSessionInvalid, std::string("session: ") + why + "; log in again");
  }
  if ((roles & required_role) == 0) {
    const std::string role_name(catalog_.NameOf(required_role));
    RENKEI_CHECK_OK(Record(who, operation, "", "missing role " + role_name, false));
    return MakeError(Errc::kPermissionDenied, "staff id '" + who + "' lacks the role '" +
                                                  role_name + "' needed for " +
                                                  std::string(operation));
  }
  // The idle timer counts in minutes, so refreshing it once a minute is exact enough and
  // spares every read-only call a write and a commit.
  if (clock_.Now() - last_seen < Duration::Minutes(1)) return OkStatus();
  RENKEI_TRY(sql::StatementLease touch,
             db_.Cached("UPDATE staff_sessions SET last_seen = ? WHERE token = ?"));
  RENKEI_CHECK_OK(touch->BindAll(clock_.Now().micros(), std::string_view(session.token)));
  return touch->Run();
}

Result<std::vector<OperationRecord>> StaffDirectory::Operations(
    const Session& auditor, std::string_view integrated_number) {
  RENKEI_CHECK_OK(Authorize(auditor, auditor_role_, "read-operations"));
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("SELECT seq, at, staff_id, action, integrated_number, detail, allowed "
                        "FROM operations WHERE (?1 = '' OR integrated_number = ?1) "
                        "ORDER BY seq"));
  RENKEI_CHECK_OK(st->Bind(1, integrated_number));
  std::vector<OperationRecord> out;
  for (;;) {
    RENKEI_TRY(const bool more, st->Step());
    if (!more) break;
    out.push_back(OperationRecord{st->ColumnInt(0), SimTime::FromMicros(st->ColumnInt(1)),
                                  st->ColumnText(2), st->ColumnText(3), st->ColumnText(4),
                                  st->ColumnText(5), st->ColumnInt(6) != 0});
  }
  return out;
}

Result<int64_t> StaffDirectory::ArchiveOperations(const Session& auditor, SimTime cutoff,
                                                  const std::string& csv_path) {
  RENKEI_CHECK_OK(Authorize(auditor, auditor_role_, "archive-operations"));
  RENKEI_TRY(sql::Transaction txn, db_.BeginImmediate());
  RENKEI_TRY(sql::StatementLease st,
             db_.Cached("SELECT seq, at, staff_id, action, integrated_number, detail, allowed "
                        "FROM operations WHERE at < ? ORDER BY seq"));
  RENKEI_CHECK_OK(st->Bind(1, cutoff.micros()));
  const std::string tmp = csv_path + ".tmp";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return MakeError(Errc::kIoError, "archive: cannot write '" + tmp + "'");
  out << "seq,at,staff_id,action,integrated_number,detail,allowed\r\n";
  int64_t n = 0;
  for (;;) {
    RENKEI_TRY(const bool more, st->Step());
    if (!more) break;
    out << st->ColumnInt(0) << ',' << FormatIso(SimTime::FromMicros(st->ColumnInt(1))) << ','
        << CsvField(st->ColumnText(2)) << ',' << CsvField(st->ColumnText(3)) << ','
        << CsvField(st->ColumnText(4)) << ',' << CsvField(st->ColumnText(5)) << ','
        << st->ColumnInt(6) << "\r\n";
    ++n;
  }
  out.flush();
  if (!out) return MakeError(Errc::kIoError, "archive: write to '" + tmp + "' failed");
  out.close();
  std::error_code ec;
  std::filesystem::rename(tmp, csv_path, ec);
  if (ec) {
    return MakeError(Errc::kIoError,
                     "archive: cannot rename '" + tmp + "' to '" + csv_path + "': " + ec.message());
  }
  RENKEI_TRY(sql::StatementLease del, db_.Cached("DELETE FROM operations WHERE at < ?"));
  RENKEI_CHECK_OK(del->Bind(1, cutoff.micros()));
  RENKEI_CHECK_OK(del->Run());
  RENKEI_CHECK_OK(Record(auditor.staff_id, "archive-operations", "",
                         std::to_string(n) + " records to " + csv_path, true));
  RENKEI_CHECK_OK(txn.Commit());
  return n;
}

}  // namespace renkei::netsim
