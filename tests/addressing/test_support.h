// Shared fixture pieces for addressing tests: a server on a fresh SQLite file, a manual clock,
// and staff accounts for each role.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "addressing/addressing_server.h"
#include "netsim/time.h"

namespace renkei::addressing::testing {

inline std::string FreshDbPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("renkei-addressing-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / (stem + "-" + std::to_string(counter++) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path.string();
}

class RecordingSink : public TokenRequestSink {
 public:
  void OnTokenRequest(const TokenRequest& r) override { requests.push_back(r); }
  std::vector<TokenRequest> requests;
};

inline AddressingOptions TestOptions() {
  AddressingOptions o;
  o.lgcode = "152021";  // 長岡市
  o.master_key.assign(32, 0x42);
  o.seed = 7;
  o.staff_policy.hash.iterations = 1000;  // tests log in often; production keeps 600,000
  return o;
}

inline constexpr const char* kPassword = "Passw0rd-2024";

class AddressingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = FreshDbPath("server");
    auto server = AddressingServer::Open(path_, TestOptions(), clock_, &sink_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    auto& staff = server_->staff();
    ASSERT_TRUE(staff.Bootstrap("admin", "管理者", kPassword).ok());
    admin_ = staff.Login("admin", kPassword).value();
    ASSERT_TRUE(
        staff.CreateStaff(admin_, "reg01", "登録係", RoleBit(Role::kRegistrar), kPassword).ok());
    ASSERT_TRUE(
        staff.CreateStaff(admin_, "view01", "照会係", RoleBit(Role::kViewer), kPassword).ok());
    ASSERT_TRUE(
        staff.CreateStaff(admin_, "audit01", "監査係", RoleBit(Role::kAuditor), kPassword).ok());
    ASSERT_TRUE(staff
                    .CreateStaff(admin_, "officer01", "番号担当", RoleBit(Role::kMyNumberOfficer),
                                 kPassword)
                    .ok());
    registrar_ = staff.Login("reg01", kPassword).value();
    viewer_ = staff.Login("view01", kPassword).value();
    auditor_ = staff.Login("audit01", kPassword).value();
    officer_ = staff.Login("officer01", kPassword).value();
    ASSERT_TRUE(server_->RegisterBusinessSystem(admin_, {"JUKI", "住民基本台帳システム"}).ok());
    ASSERT_TRUE(server_->RegisterBusinessSystem(admin_, {"KENKO", "健康管理システム"}).ok());
  }

  static Registration Taro(std::string system = "JUKI", std::string atena = "100000000000001") {
    return Registration{"983205673214", std::move(system), std::move(atena),
                        FourInfo{"山田 太郎", "ヤマダ タロウ", Sex::kMale, "1980-04-01",
                                 "新潟県長岡市大手通一丁目4番10号"}};
  }

  netsim::ManualClock clock_{netsim::FromCivil({2024, 4, 1, 9})};
  RecordingSink sink_;
  std::string path_;
  std::unique_ptr<AddressingServer> server_;
  Session admin_, registrar_, viewer_, auditor_, officer_;
};

}  // namespace renkei::addressing::testing
