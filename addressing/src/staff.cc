#include "addressing/staff.h"

namespace renkei::addressing {

const netsim::RoleCatalog& AddressingRoles() {
  // Immutable after first use, so sharing it is safe; the names are what the CLI accepts and
  // what the operation record shows.
  static const netsim::RoleCatalog catalog({
      {RoleBit(Role::kAdministrator), "administrator"},
      {RoleBit(Role::kRegistrar), "registrar"},
      {RoleBit(Role::kViewer), "viewer"},
      {RoleBit(Role::kAuditor), "auditor"},
      {RoleBit(Role::kMyNumberOfficer), "mynumber-officer"},
  });
  return catalog;
}

std::string_view RoleName(Role r) { return AddressingRoles().NameOf(RoleBit(r)); }

Result<RoleSet> ParseRoles(std::string_view names) { return AddressingRoles().Parse(names); }

std::string RoleSetNames(RoleSet roles) { return AddressingRoles().Names(roles); }

}  // namespace renkei::addressing
