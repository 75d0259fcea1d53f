#include "addressing/staff.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "addressing/errors.h"
#include "test_support.h"

namespace renkei::addressing {
namespace {

using testing::kPassword;

class StaffTest : public testing::AddressingTest {
 protected:
  StaffDirectory& staff() { return server_->staff(); }
  std::string LastRecord(const std::string& staff_id) {
    auto ops = staff().Operations(auditor_);
    std::string last;
    for (const auto& r : *ops) {
      if (r.staff_id == staff_id) {
        last = r.action + "|" + r.detail + "|" + (r.allowed ? "allowed" : "refused");
      }
    }
    return last;
  }
};

TEST_F(StaffTest, LoginWithTheRightPasswordOpensASession) {
  auto s = staff().Login("view01", kPassword);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->staff_id, "view01");
  EXPECT_EQ(s->roles, RoleBit(Role::kViewer));
  EXPECT_EQ(s->token.size(), 32u);
  EXPECT_EQ(LastRecord("view01"), "login||allowed");
}

TEST_F(StaffTest, UnknownStaffIsRefusedAndRecorded) {
  auto s = staff().Login("ghost", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kUnknownStaff));
  EXPECT_NE(s.error().message.find("ghost"), std::string::npos);
  EXPECT_EQ(LastRecord("ghost"), "login|unknown staff id|refused");
}

TEST_F(StaffTest, TypedNumbersInTheIdBoxAreNotRecorded) {
  auto s = staff().Login("983205673214 x", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find("983205673214"), std::string::npos);
  auto ops = staff().Operations(auditor_);
  for (const auto& r : *ops) EXPECT_EQ(r.staff_id.find("983205673214"), std::string::npos);
}

TEST_F(StaffTest, WrongPasswordCountsTowardsLockout) {
  for (int i = 1; i <= 4; ++i) {
    auto s = staff().Login("view01", "Wrong-pass-1");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, make_error_code(Errc::kWrongPassword));
  }
  auto fifth = staff().Login("view01", "Wrong-pass-1");
  EXPECT_EQ(fifth.error().code, make_error_code(Errc::kAccountLocked));
  auto right = staff().Login("view01", kPassword);
  ASSERT_FALSE(right.ok());
  EXPECT_EQ(right.error().code, make_error_code(Errc::kAccountLocked));
  EXPECT_NE(right.error().message.find("administrator"), std::string::npos);
}

TEST_F(StaffTest, AdministratorUnlockRestoresLogin) {
  for (int i = 0; i < 5; ++i) (void)staff().Login("view01", "Wrong-pass-1");
  ASSERT_TRUE(staff().Unlock(admin_, "view01").ok());
  EXPECT_TRUE(staff().Login("view01", kPassword).ok());
}

TEST_F(StaffTest, SuccessfulLoginResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) (void)staff().Login("view01", "Wrong-pass-1");
  ASSERT_TRUE(staff().Login("view01", kPassword).ok());
  for (int i = 0; i < 4; ++i) (void)staff().Login("view01", "Wrong-pass-1");
  EXPECT_TRUE(staff().Login("view01", kPassword).ok());
}

TEST_F(StaffTest, LockedAccountSessionsStopWorking) {
  ASSERT_TRUE(staff().Lock(admin_, "view01").ok());
  auto p = server_->Search(viewer_, FourInfo{"山田太郎", "", Sex::kNotKnown, "", ""});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, make_error_code(Errc::kSessionInvalid));
}

TEST_F(StaffTest, ExpiredPasswordMustBeChanged) {
  clock_.Advance(netsim::Duration::Days(91));
  auto s = staff().Login("view01", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kPasswordExpired));
  EXPECT_NE(s.error().message.find("password"), std::string::npos);
  ASSERT_TRUE(staff().ChangePassword("view01", kPassword, "Fresh-pass-2025").ok());
  EXPECT_TRUE(staff().Login("view01", "Fresh-pass-2025").ok());
  EXPECT_FALSE(staff().Login("view01", kPassword).ok());
}

TEST_F(StaffTest, WeakPasswordsAreRefused) {
  EXPECT_EQ(staff().ChangePassword("view01", kPassword, "Short1").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("view01", kPassword, "onlyletters-here").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("view01", kPassword, "xview01-12345").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("view01", kPassword, kPassword).error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("view01", "Not-the-old-1", "Fresh-pass-2025").error().code,
            make_error_code(Errc::kWrongPassword));
}

TEST_F(StaffTest, MissingRoleIsDeniedAndRecorded) {
  auto ops = staff().Operations(viewer_);
  ASSERT_FALSE(ops.ok());
  EXPECT_EQ(ops.error().code, make_error_code(Errc::kPermissionDenied));
  EXPECT_NE(ops.error().message.find("auditor"), std::string::npos);
  EXPECT_EQ(LastRecord("view01"), "read-operations|missing role auditor|refused");
}

TEST_F(StaffTest, LogoutEndsTheSession) {
  ASSERT_TRUE(staff().Logout(viewer_).ok());
  auto after = server_->LookupByAtena(viewer_, "JUKI", "1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(Errc::kSessionInvalid));
  EXPECT_EQ(staff().Logout(viewer_).error().code, make_error_code(Errc::kSessionInvalid));
}

TEST_F(StaffTest, IdleSessionsTimeOut) {
  clock_.Advance(netsim::Duration::Minutes(31));
  auto after = server_->LookupByAtena(viewer_, "JUKI", "1");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(Errc::kSessionInvalid));
  EXPECT_NE(after.error().message.find("timed out"), std::string::npos);
}

TEST_F(StaffTest, ForgedSessionIsRefused) {
  Session forged{"00000000000000000000000000000000", "admin", RoleBit(Role::kAdministrator)};
  auto r = staff().CreateStaff(forged, "evil", "悪", RoleBit(Role::kAdministrator), kPassword);
  EXPECT_EQ(r.error().code, make_error_code(Errc::kSessionInvalid));
}

TEST_F(StaffTest, BootstrapIsRefusedOnceAccountsExist) {
  auto r = staff().Bootstrap("admin2", "二人目", kPassword);
  EXPECT_EQ(r.error().code, make_error_code(Errc::kPermissionDenied));
}

TEST_F(StaffTest, CreateStaffRejectsBadInput) {
  EXPECT_EQ(
      staff().CreateStaff(admin_, "view01", "重複", RoleBit(Role::kViewer), kPassword).error().code,
      make_error_code(Errc::kInvalidInput));
  EXPECT_EQ(
      staff().CreateStaff(admin_, "bad id", "空白", RoleBit(Role::kViewer), kPassword).error().code,
      make_error_code(Errc::kInvalidInput));
  EXPECT_EQ(staff().CreateStaff(admin_, "norole", "無役", 0, kPassword).error().code,
            make_error_code(Errc::kInvalidInput));
  EXPECT_EQ(
      staff().CreateStaff(registrar_, "x1", "x", RoleBit(Role::kViewer), kPassword).error().code,
      make_error_code(Errc::kPermissionDenied));
}

TEST_F(StaffTest, RoleChangesApplyToOpenSessions) {
  auto before = staff().Operations(viewer_);
  EXPECT_FALSE(before.ok());
  ASSERT_TRUE(
      staff().SetRoles(admin_, "view01", RoleBit(Role::kViewer) | RoleBit(Role::kAuditor)).ok());
  EXPECT_TRUE(staff().Operations(viewer_).ok());
}

TEST_F(StaffTest, ParsesRoleNames) {
  auto roles = ParseRoles("registrar,viewer");
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles.value(), RoleBit(Role::kRegistrar) | RoleBit(Role::kViewer));
  EXPECT_EQ(RoleSetNames(roles.value()), "registrar,viewer");
  auto bad = ParseRoles("registrar,boss");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'boss'"), std::string::npos);
}

TEST_F(StaffTest, OldOperationRecordsMoveToACsvArchive) {
  clock_.Advance(netsim::Duration::Days(100));
  auto fresh = staff().Login("view01", kPassword);  // password is 100 days old: refused
  ASSERT_FALSE(fresh.ok());
  const std::string archive = testing::FreshDbPath("ops") + ".csv";
  auto auditor = staff().Login("audit01", kPassword);
  ASSERT_FALSE(auditor.ok());  // expired too; renew it
  ASSERT_TRUE(staff().ChangePassword("audit01", kPassword, "Audit-pass-2025").ok());
  auto session = staff().Login("audit01", "Audit-pass-2025");
  ASSERT_TRUE(session.ok());
  const netsim::SimTime cutoff = clock_.Now() - netsim::Duration::Days(90);
  auto n = staff().ArchiveOperations(session.value(), cutoff, archive);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_GT(n.value(), 5);
  std::ifstream f(archive);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("seq,at,staff_id,action,integrated_number,detail,allowed\r\n", 0), 0u);
  EXPECT_NE(text.find("bootstrap"), std::string::npos);
  auto remaining = staff().Operations(session.value());
  ASSERT_TRUE(remaining.ok());
  for (const auto& r : *remaining) EXPECT_GE(r.at, cutoff);
}

TEST_F(StaffTest, ArchiveToUnwritablePathChangesNothing) {
  auto before = staff().Operations(auditor_)->size();
  auto n = staff().ArchiveOperations(auditor_, clock_.Now() + netsim::Duration::Days(1),
                                     "/nonexistent-renkei-dir/ops.csv");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message.find("/nonexistent-renkei-dir/ops.csv"), std::string::npos);
  EXPECT_GE(staff().Operations(auditor_)->size(), before);
}

}  // namespace
}  // namespace renkei::addressing
