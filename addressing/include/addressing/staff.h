// The addressing server's staff roles over the shared staff component (netsim/staff.h).
//
// Authentication, sessions, the operation record and its archive live in netsim so the
// intermediate server can use them with its own roles; this header names the roles of the
// integrated addressing server and brings the shared types into the addressing namespace.
// Thread safety: AddressingRoles() is an immutable catalog; the functions are pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "netsim/result.h"
#include "netsim/staff.h"

namespace renkei::addressing {

using netsim::OperationRecord;
using netsim::RoleSet;
using netsim::Session;
using netsim::StaffDirectory;
using netsim::StaffPolicy;

// Bit flags; a staff member holds a set of them.
enum class Role : uint32_t {
  kAdministrator = 1,    // staff accounts, roles, unlocks, business systems
  kRegistrar = 2,        // registration, 4-information changes, status changes, bulk import
  kViewer = 4,           // lookups and 4-information search
  kAuditor = 8,          // reading the operation record
  kMyNumberOfficer = 16  // the only role that may read a stored 個人番号 back
};
constexpr RoleSet RoleBit(Role r) { return static_cast<RoleSet>(r); }

// "administrator", "registrar", "viewer", "auditor", "mynumber-officer", in that order.
const netsim::RoleCatalog& AddressingRoles();

std::string_view RoleName(Role r);
// Comma-separated names, e.g. "registrar,viewer" (RoleCatalog::Parse).
Result<RoleSet> ParseRoles(std::string_view names);
std::string RoleSetNames(RoleSet roles);

}  // namespace renkei::addressing
