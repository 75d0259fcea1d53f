// The addressing server's roles and how its operations use the shared staff directory. The
// directory itself (passwords, lockout, sessions, the record and its archive) is tested in
// tests/netsim/staff_test.cc.
#include "addressing/staff.h"

#include <gtest/gtest.h>

#include "netsim/errors.h"
#include "test_support.h"

namespace renkei::addressing {
namespace {

using testing::kPassword;

TEST(AddressingRolesTest, ParsesRoleNames) {
  auto roles = ParseRoles("registrar,viewer");
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles.value(), RoleBit(Role::kRegistrar) | RoleBit(Role::kViewer));
  EXPECT_EQ(RoleSetNames(roles.value()), "registrar,viewer");
  EXPECT_EQ(ParseRoles("mynumber-officer").value(), RoleBit(Role::kMyNumberOfficer));
}

TEST(AddressingRolesTest, UnknownRoleListsTheAddressingRoles) {
  auto bad = ParseRoles("registrar,boss");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(netsim::Errc::kInvalidArgument));
  EXPECT_EQ(bad.error().message,
            "unknown role 'boss' (expected administrator, registrar, viewer, auditor or "
            "mynumber-officer)");
}

TEST(AddressingRolesTest, EveryRoleHasItsName) {
  EXPECT_EQ(RoleName(Role::kAdministrator), "administrator");
  EXPECT_EQ(RoleName(Role::kRegistrar), "registrar");
  EXPECT_EQ(RoleName(Role::kViewer), "viewer");
  EXPECT_EQ(RoleName(Role::kAuditor), "auditor");
  EXPECT_EQ(RoleName(Role::kMyNumberOfficer), "mynumber-officer");
  EXPECT_EQ(RoleSetNames(AddressingRoles().All()),
            "administrator,registrar,viewer,auditor,mynumber-officer");
}

class StaffTest : public testing::AddressingTest {
 protected:
  StaffDirectory& staff() { return server_->staff(); }
};

TEST_F(StaffTest, BootstrapCreatesAnAdministrator) {
  EXPECT_EQ(admin_.roles, RoleBit(Role::kAdministrator));
  EXPECT_EQ(registrar_.roles, RoleBit(Role::kRegistrar));
}

TEST_F(StaffTest, OnlyAuditorsReadTheOperationRecord) {
  auto ops = staff().Operations(viewer_);
  ASSERT_FALSE(ops.ok());
  EXPECT_EQ(ops.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  EXPECT_NE(ops.error().message.find("'auditor'"), std::string::npos);
  auto by_admin = staff().Operations(admin_);
  EXPECT_EQ(by_admin.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  auto read = staff().Operations(auditor_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->back().action, "read-operations");
  EXPECT_EQ(read->back().detail, "missing role auditor");
  EXPECT_FALSE(read->back().allowed);
}

TEST_F(StaffTest, OnlyAdministratorsCreateStaff) {
  auto r = staff().CreateStaff(registrar_, "x1", "x", RoleBit(Role::kViewer), kPassword);
  EXPECT_EQ(r.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  EXPECT_NE(r.error().message.find("'administrator'"), std::string::npos);
}

TEST_F(StaffTest, LockedAccountSessionsStopWorking) {
  ASSERT_TRUE(staff().Lock(admin_, "view01").ok());
  auto p = server_->Search(viewer_, FourInfo{"山田太郎", "", Sex::kNotKnown, "", ""});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, make_error_code(netsim::Errc::kSessionInvalid));
}

TEST_F(StaffTest, LogoutEndsTheSession) {
  ASSERT_TRUE(staff().Logout(viewer_).ok());
  auto after = server_->LookupByAtena(viewer_, "JUKI", "1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(netsim::Errc::kSessionInvalid));
}

TEST_F(StaffTest, IdleSessionsTimeOut) {
  clock_.Advance(netsim::Duration::Minutes(31));
  auto after = server_->LookupByAtena(viewer_, "JUKI", "1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(netsim::Errc::kSessionInvalid));
  EXPECT_NE(after.error().message.find("timed out"), std::string::npos);
}

TEST_F(StaffTest, RoleChangesApplyToOpenSessions) {
  auto before = server_->Register(viewer_, Taro());
  EXPECT_EQ(before.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  ASSERT_TRUE(
      staff().SetRoles(admin_, "view01", RoleBit(Role::kViewer) | RoleBit(Role::kRegistrar)).ok());
  auto after = server_->Register(viewer_, Taro());
  ASSERT_TRUE(after.ok()) << after.error().message;
  auto ops = staff().Operations(auditor_);
  ASSERT_TRUE(ops.ok());
  bool recorded = false;
  for (const auto& r : *ops) recorded |= r.detail == "view01 roles=registrar,viewer";
  EXPECT_TRUE(recorded);
}

}  // namespace
}  // namespace renkei::addressing
