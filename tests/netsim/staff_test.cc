#include "netsim/staff.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "netsim/errors.h"

namespace renkei::netsim {
namespace {

// A catalog unlike the addressing server's, so the tests show that names and the
// administrator and auditor bits come from the caller.
constexpr RoleSet kSupervisor = 1;
constexpr RoleSet kClerk = 2;
constexpr RoleSet kInspector = 4;
constexpr RoleSet kReader = 16;  // bits need not be contiguous

RoleCatalog TestRoles() {
  return RoleCatalog({{kSupervisor, "supervisor"},
                      {kClerk, "clerk"},
                      {kInspector, "inspector"},
                      {kReader, "reader"}});
}

constexpr const char* kPassword = "Passw0rd-2024";

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(RoleCatalogTest, ParsesCommaSeparatedNamesIntoASet) {
  const RoleCatalog roles = TestRoles();
  auto set = roles.Parse("clerk,reader");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set.value(), kClerk | kReader);
  EXPECT_EQ(roles.Parse("inspector").value(), kInspector);
}

TEST(RoleCatalogTest, UnknownRoleIsNamedWithTheValidOnes) {
  auto bad = TestRoles().Parse("clerk,boss");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(bad.error().message,
            "unknown role 'boss' (expected supervisor, clerk, inspector or reader)");
}

TEST(RoleCatalogTest, NamesAreMatchedExactly) {
  const RoleCatalog roles = TestRoles();
  EXPECT_TRUE(Contains(roles.Parse("Clerk").error().message, "'Clerk'"));
  EXPECT_TRUE(Contains(roles.Parse("clerk, reader").error().message, "' reader'"));
}

TEST(RoleCatalogTest, EmptyListIsRefused) {
  auto empty = TestRoles().Parse("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_TRUE(Contains(empty.error().message, "none given"));
  EXPECT_TRUE(Contains(empty.error().message, "supervisor, clerk, inspector or reader"));
}

TEST(RoleCatalogTest, EmptyNameInTheListIsRefused) {
  const RoleCatalog roles = TestRoles();
  for (const char* text : {"clerk,", ",clerk", "clerk,,reader", ","}) {
    auto r = roles.Parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_TRUE(Contains(r.error().message, "unknown role ''")) << text;
  }
}

TEST(RoleCatalogTest, RoleGivenTwiceIsRefused) {
  auto twice = TestRoles().Parse("clerk,reader,clerk");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(twice.error().message, "roles: 'clerk' is given twice");
}

TEST(RoleCatalogTest, NamesListsRolesInCatalogOrder) {
  const RoleCatalog roles = TestRoles();
  EXPECT_EQ(roles.Names(kReader | kSupervisor | kInspector), "supervisor,inspector,reader");
  EXPECT_EQ(roles.Names(0), "");
  EXPECT_EQ(roles.Names(kClerk | 8), "clerk");  // 8 is no role of this catalog
  EXPECT_EQ(roles.Parse(roles.Names(kClerk | kReader)).value(), kClerk | kReader);
  EXPECT_EQ(roles.All(), kSupervisor | kClerk | kInspector | kReader);
}

TEST(RoleCatalogTest, NameOfAnUnknownBitIsUnknown) {
  const RoleCatalog roles = TestRoles();
  EXPECT_EQ(roles.NameOf(kInspector), "inspector");
  EXPECT_EQ(roles.NameOf(8), "unknown");
  EXPECT_EQ(roles.NameOf(kClerk | kReader), "unknown");
}

TEST(RoleCatalogDeathTest, MalformedCatalogAborts) {
  EXPECT_DEATH(RoleCatalog({{3, "two-bits"}}), "not a single bit");
  EXPECT_DEATH(RoleCatalog({{1, "a"}, {1, "b"}}), "used twice");
  EXPECT_DEATH(RoleCatalog({{1, "a"}, {2, "a"}}), "named twice");
  EXPECT_DEATH(RoleCatalog({{1, "a,b"}}), "free of ','");
  EXPECT_DEATH(RoleCatalog({}), "no roles");
}

class StaffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sql::Database::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_.emplace(std::move(db).value());
    StaffPolicy policy;
    policy.hash.iterations = 1000;  // tests log in often; production keeps 600,000
    staff_.emplace(*db_, clock_, policy, Rng(7, 1), TestRoles(), kSupervisor, kInspector);
    ASSERT_TRUE(staff_->Init().ok());
    ASSERT_TRUE(staff_->Bootstrap("admin", "管理者", kPassword).ok());
    admin_ = staff_->Login("admin", kPassword).value();
    ASSERT_TRUE(staff_->CreateStaff(admin_, "clerk01", "窓口係", kClerk, kPassword).ok());
    ASSERT_TRUE(staff_->CreateStaff(admin_, "insp01", "監査係", kInspector, kPassword).ok());
    clerk_ = staff_->Login("clerk01", kPassword).value();
    inspector_ = staff_->Login("insp01", kPassword).value();
  }

  StaffDirectory& staff() { return *staff_; }

  // The last record by `staff_id` as "action|detail|allowed".
  std::string LastRecord(const std::string& staff_id) {
    auto ops = staff().Operations(inspector_);
    EXPECT_TRUE(ops.ok());
    std::string last;
    for (const auto& r : *ops) {
      if (r.staff_id == staff_id) {
        last = r.action + "|" + r.detail + "|" + (r.allowed ? "allowed" : "refused");
      }
    }
    return last;
  }

  ManualClock clock_{FromCivil({2024, 4, 1, 9})};
  std::optional<sql::Database> db_;
  std::optional<StaffDirectory> staff_;
  Session admin_, clerk_, inspector_;
};

TEST_F(StaffTest, LoginWithTheRightPasswordOpensASession) {
  auto s = staff().Login("clerk01", kPassword);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->staff_id, "clerk01");
  EXPECT_EQ(s->roles, kClerk);
  EXPECT_EQ(s->token.size(), 32u);
  EXPECT_EQ(LastRecord("clerk01"), "login||allowed");
}

TEST_F(StaffTest, BootstrapGrantsTheAdministratorRole) {
  EXPECT_EQ(admin_.roles, kSupervisor);
  EXPECT_EQ(LastRecord("admin"), "create-staff|insp01 roles=inspector|allowed");
  auto ops = staff().Operations(inspector_);
  ASSERT_TRUE(ops.ok());
  ASSERT_FALSE(ops->empty());
  EXPECT_EQ(ops->front().action, "bootstrap");
  EXPECT_EQ(ops->front().staff_id, "admin");
}

TEST_F(StaffTest, UnknownStaffIsRefusedAndRecorded) {
  auto s = staff().Login("ghost", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kUnknownStaff));
  EXPECT_TRUE(Contains(s.error().message, "ghost"));
  EXPECT_EQ(LastRecord("ghost"), "login|unknown staff id|refused");
}

TEST_F(StaffTest, TypedNumbersInTheIdBoxAreNotRecorded) {
  auto s = staff().Login("983205673214 x", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(Contains(s.error().message, "983205673214"));
  auto ops = staff().Operations(inspector_);
  for (const auto& r : *ops) EXPECT_FALSE(Contains(r.staff_id, "983205673214"));
  EXPECT_EQ(LastRecord("(invalid id)"), "login|unknown staff id|refused");
}

TEST_F(StaffTest, WrongPasswordCountsTowardsLockout) {
  for (int i = 1; i <= 4; ++i) {
    auto s = staff().Login("clerk01", "Wrong-pass-1");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, make_error_code(Errc::kWrongPassword));
  }
  EXPECT_EQ(LastRecord("clerk01"), "login|wrong password (4 of 5)|refused");
  auto fifth = staff().Login("clerk01", "Wrong-pass-1");
  EXPECT_EQ(fifth.error().code, make_error_code(Errc::kAccountLocked));
  auto right = staff().Login("clerk01", kPassword);
  ASSERT_FALSE(right.ok());
  EXPECT_EQ(right.error().code, make_error_code(Errc::kAccountLocked));
  EXPECT_TRUE(Contains(right.error().message, "administrator"));
}

TEST_F(StaffTest, AdministratorUnlockRestoresLogin) {
  for (int i = 0; i < 5; ++i) (void)staff().Login("clerk01", "Wrong-pass-1");
  ASSERT_TRUE(staff().Unlock(admin_, "clerk01").ok());
  EXPECT_TRUE(staff().Login("clerk01", kPassword).ok());
}

TEST_F(StaffTest, OnlyTheAdministratorRoleManagesAccounts) {
  EXPECT_EQ(staff().Unlock(clerk_, "insp01").error().code,
            make_error_code(Errc::kPermissionDenied));
  EXPECT_EQ(staff().Lock(inspector_, "clerk01").error().code,
            make_error_code(Errc::kPermissionDenied));
  EXPECT_EQ(staff().SetRoles(clerk_, "clerk01", kClerk | kReader).error().code,
            make_error_code(Errc::kPermissionDenied));
  auto created = staff().CreateStaff(clerk_, "x1", "x", kReader, kPassword);
  EXPECT_EQ(created.error().code, make_error_code(Errc::kPermissionDenied));
  EXPECT_EQ(created.error().message,
            "staff id 'clerk01' lacks the role 'supervisor' needed for create-staff");
}

TEST_F(StaffTest, SuccessfulLoginResetsTheFailureCount) {
  for (int i = 0; i < 4; ++i) (void)staff().Login("clerk01", "Wrong-pass-1");
  ASSERT_TRUE(staff().Login("clerk01", kPassword).ok());
  for (int i = 0; i < 4; ++i) (void)staff().Login("clerk01", "Wrong-pass-1");
  EXPECT_TRUE(staff().Login("clerk01", kPassword).ok());
}

TEST_F(StaffTest, LockedAccountSessionsStopWorking) {
  ASSERT_TRUE(staff().Authorize(clerk_, kClerk, "serve").ok());
  ASSERT_TRUE(staff().Lock(admin_, "clerk01").ok());
  auto after = staff().Authorize(clerk_, kClerk, "serve");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(Errc::kSessionInvalid));
  EXPECT_EQ(LastRecord("clerk01"), "serve|account locked|refused");
}

TEST_F(StaffTest, ExpiredPasswordMustBeChanged) {
  clock_.Advance(Duration::Days(91));
  auto s = staff().Login("clerk01", kPassword);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kPasswordExpired));
  EXPECT_TRUE(Contains(s.error().message, "password"));
  ASSERT_TRUE(staff().ChangePassword("clerk01", kPassword, "Fresh-pass-2025").ok());
  EXPECT_TRUE(staff().Login("clerk01", "Fresh-pass-2025").ok());
  EXPECT_FALSE(staff().Login("clerk01", kPassword).ok());
}

TEST_F(StaffTest, WeakPasswordsAreRefused) {
  EXPECT_EQ(staff().ChangePassword("clerk01", kPassword, "Short1").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("clerk01", kPassword, "onlyletters-here").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("clerk01", kPassword, "xclerk01-12345").error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("clerk01", kPassword, kPassword).error().code,
            make_error_code(Errc::kWeakPassword));
  EXPECT_EQ(staff().ChangePassword("clerk01", "Not-the-old-1", "Fresh-pass-2025").error().code,
            make_error_code(Errc::kWrongPassword));
}

TEST_F(StaffTest, MissingRoleIsDeniedAndRecordedByItsCatalogName) {
  auto ops = staff().Operations(clerk_);
  ASSERT_FALSE(ops.ok());
  EXPECT_EQ(ops.error().code, make_error_code(Errc::kPermissionDenied));
  EXPECT_EQ(ops.error().message,
            "staff id 'clerk01' lacks the role 'inspector' needed for read-operations");
  EXPECT_EQ(LastRecord("clerk01"), "read-operations|missing role inspector|refused");
}

TEST_F(StaffTest, AuthorizeChecksTheRequiredRole) {
  EXPECT_TRUE(staff().Authorize(clerk_, kClerk, "serve").ok());
  auto denied = staff().Authorize(clerk_, kReader, "read");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, make_error_code(Errc::kPermissionDenied));
  EXPECT_TRUE(Contains(denied.error().message, "'reader'"));
}

TEST_F(StaffTest, LogoutEndsTheSession) {
  ASSERT_TRUE(staff().Logout(clerk_).ok());
  auto after = staff().Authorize(clerk_, kClerk, "serve");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(Errc::kSessionInvalid));
  EXPECT_EQ(staff().Logout(clerk_).error().code, make_error_code(Errc::kSessionInvalid));
}

TEST_F(StaffTest, IdleSessionsTimeOut) {
  clock_.Advance(Duration::Minutes(31));
  auto after = staff().Authorize(clerk_, kClerk, "serve");
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, make_error_code(Errc::kSessionInvalid));
  EXPECT_TRUE(Contains(after.error().message, "timed out"));
}

TEST_F(StaffTest, ActivityKeepsTheSessionAlive) {
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(Duration::Minutes(20));
    ASSERT_TRUE(staff().Authorize(clerk_, kClerk, "serve").ok()) << i;
  }
}

TEST_F(StaffTest, ForgedSessionIsRefused) {
  Session forged{"00000000000000000000000000000000", "admin", kSupervisor};
  auto r = staff().CreateStaff(forged, "evil", "悪", kSupervisor, kPassword);
  EXPECT_EQ(r.error().code, make_error_code(Errc::kSessionInvalid));
}

TEST_F(StaffTest, BootstrapIsRefusedOnceAccountsExist) {
  auto r = staff().Bootstrap("admin2", "二人目", kPassword);
  EXPECT_EQ(r.error().code, make_error_code(Errc::kPermissionDenied));
}

TEST_F(StaffTest, CreateStaffRejectsBadInput) {
  EXPECT_EQ(staff().CreateStaff(admin_, "clerk01", "重複", kClerk, kPassword).error().code,
            make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(staff().CreateStaff(admin_, "bad id", "空白", kClerk, kPassword).error().code,
            make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(staff().CreateStaff(admin_, "noname", "", kClerk, kPassword).error().code,
            make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(staff().CreateStaff(admin_, "norole", "無役", 0, kPassword).error().code,
            make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(staff().CreateStaff(admin_, "weak01", "弱", kClerk, "short1").error().code,
            make_error_code(Errc::kWeakPassword));
}

TEST_F(StaffTest, RolesOutsideTheCatalogAreRefused) {
  auto created = staff().CreateStaff(admin_, "odd01", "不明", kClerk | 8, kPassword);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(created.error().message, "roles: bits 0x8 are not roles of this directory");
  EXPECT_EQ(staff().SetRoles(admin_, "clerk01", 32).error().code,
            make_error_code(Errc::kInvalidArgument));
  EXPECT_EQ(staff().SetRoles(admin_, "clerk01", 0).error().code,
            make_error_code(Errc::kInvalidArgument));
}

TEST_F(StaffTest, SetRolesOnAnUnknownAccountIsRefused) {
  EXPECT_EQ(staff().SetRoles(admin_, "ghost", kClerk).error().code,
            make_error_code(Errc::kUnknownStaff));
  EXPECT_EQ(staff().Unlock(admin_, "ghost").error().code, make_error_code(Errc::kUnknownStaff));
}

TEST_F(StaffTest, RoleChangesApplyToOpenSessions) {
  EXPECT_FALSE(staff().Operations(clerk_).ok());
  ASSERT_TRUE(staff().SetRoles(admin_, "clerk01", kClerk | kInspector).ok());
  EXPECT_TRUE(staff().Operations(clerk_).ok());
  EXPECT_EQ(LastRecord("admin"), "set-roles|clerk01 roles=clerk,inspector|allowed");
}

TEST_F(StaffTest, OperationsFilterByPerson) {
  ASSERT_TRUE(staff().Record("clerk01", "lookup", "123456789012345", "by atena", true).ok());
  ASSERT_TRUE(staff().Record("clerk01", "lookup", "999999999999999", "", true).ok());
  auto about = staff().Operations(inspector_, "123456789012345");
  ASSERT_TRUE(about.ok());
  ASSERT_EQ(about->size(), 1u);
  EXPECT_EQ(about->front().action, "lookup");
  EXPECT_EQ(about->front().detail, "by atena");
  EXPECT_EQ(about->front().at, clock_.Now());
}

TEST_F(StaffTest, OldOperationRecordsMoveToACsvArchive) {
  ASSERT_TRUE(staff().Record("clerk01", "note", "", "a, \"quoted\" detail", true).ok());
  clock_.Advance(Duration::Days(100));
  auto fresh = staff().Login("clerk01", kPassword);  // password is 100 days old: refused
  ASSERT_FALSE(fresh.ok());
  const std::string archive = (std::filesystem::path(::testing::TempDir()) /
                               ("renkei-staff-ops-" + std::to_string(::getpid()) + ".csv"))
                                  .string();
  std::filesystem::remove(archive);
  auto inspector = staff().Login("insp01", kPassword);
  ASSERT_FALSE(inspector.ok());  // expired too; renew it
  ASSERT_TRUE(staff().ChangePassword("insp01", kPassword, "Audit-pass-2025").ok());
  auto session = staff().Login("insp01", "Audit-pass-2025");
  ASSERT_TRUE(session.ok());
  const SimTime cutoff = clock_.Now() - Duration::Days(90);
  auto n = staff().ArchiveOperations(session.value(), cutoff, archive);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_GT(n.value(), 5);
  std::ifstream f(archive);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("seq,at,staff_id,action,integrated_number,detail,allowed\r\n", 0), 0u);
  EXPECT_TRUE(Contains(text, ",admin,bootstrap,,first administrator created,1\r\n"));
  EXPECT_TRUE(Contains(text, ",clerk01,note,,\"a, \"\"quoted\"\" detail\",1\r\n"));
  auto remaining = staff().Operations(session.value());
  ASSERT_TRUE(remaining.ok());
  for (const auto& r : *remaining) EXPECT_GE(r.at, cutoff);
  EXPECT_EQ(remaining->back().action, "archive-operations");
  std::filesystem::remove(archive);
}

TEST_F(StaffTest, ArchiveToUnwritablePathChangesNothing) {
  auto before = staff().Operations(inspector_)->size();
  auto n = staff().ArchiveOperations(inspector_, clock_.Now() + Duration::Days(1),
                                     "/nonexistent-renkei-dir/ops.csv");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, make_error_code(Errc::kIoError));
  EXPECT_TRUE(Contains(n.error().message, "/nonexistent-renkei-dir/ops.csv"));
  EXPECT_GE(staff().Operations(inspector_)->size(), before);
}

TEST_F(StaffTest, ArchiveNeedsTheAuditorRole) {
  auto n = staff().ArchiveOperations(clerk_, clock_.Now(), "/nonexistent-renkei-dir/ops.csv");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, make_error_code(Errc::kPermissionDenied));
}

TEST_F(StaffTest, DirectoriesWithTheSameSeedAreReproducible) {
  auto db = sql::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  StaffPolicy policy;
  policy.hash.iterations = 1000;
  StaffDirectory twin(db.value(), clock_, policy, Rng(7, 1), TestRoles(), kSupervisor, kInspector);
  ASSERT_TRUE(twin.Init().ok());
  ASSERT_TRUE(twin.Bootstrap("admin", "管理者", kPassword).ok());
  auto admin = twin.Login("admin", kPassword);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->token, admin_.token);
}

TEST(StaffDirectoryDeathTest, AdministratorAndAuditorMustBeCatalogRoles) {
  auto db = sql::Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  ManualClock clock;
  EXPECT_DEATH(
      StaffDirectory(db.value(), clock, StaffPolicy{}, Rng(1, 1), TestRoles(), 8, kInspector),
      "must be roles of the catalog");
  EXPECT_DEATH(StaffDirectory(db.value(), clock, StaffPolicy{}, Rng(1, 1), TestRoles(), kSupervisor,
                              kClerk | kInspector),
               "must be roles of the catalog");
}

}  // namespace
}  // namespace renkei::netsim
