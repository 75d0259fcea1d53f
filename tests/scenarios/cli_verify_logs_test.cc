#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.h"
#include "middleware/provision_log.h"
#include "netsim/sqlite.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace crypto = netsim::crypto;
namespace fs = std::filesystem;

using testing::CliRun;
using testing::Contains;
using testing::RunRenkei;

class CliVerifyLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cli_verify_logs_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    log_path_ = (dir_ / "log.db").string();
    key_path_ = (dir_ / "log_key.pub.pem").string();
    const std::vector<uint8_t> seed(32, 3);
    auto key = crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, seed);
    ASSERT_TRUE(key.ok());
    auto pub = crypto::PublicKey::FromPrivate(**key);
    ASSERT_TRUE(pub.ok());
    ASSERT_TRUE((*pub)->SavePemFile(key_path_).ok());

    middleware::ProvisionLogOptions options;
    options.seal_every = 5;
    auto log = middleware::ProvisionLog::Open(log_path_, *key, options);
    ASSERT_TRUE(log.ok());
    for (int k = 1; k <= 12; ++k) {
      middleware::ProvisionLogRecord r;
      r.at = netsim::SimTime::FromMicros(k);
      r.processing_number = "PN-" + std::to_string(k);
      r.requester = "1013101000000001";
      r.provider = "1013102000000002";
      r.integrated_number = "100000000000019";
      ASSERT_TRUE(log->Append(r).ok());
    }
    ASSERT_TRUE(log->SealPending().ok());  // seals 1-5 and 6-10; 11-12 stay pending
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string log_path_;
  std::string key_path_;
};

TEST_F(CliVerifyLogsTest, HelpExitsZero) {
  CliRun r = RunRenkei({"verify-logs", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "usage: renkei verify-logs PATH --key PUBLIC_KEY_PEM"));
}

TEST_F(CliVerifyLogsTest, TopLevelHelpListsTheCommand) {
  CliRun r = RunRenkei({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "verify-logs  check a provision log's hash chain and seals"));
}

TEST_F(CliVerifyLogsTest, IntactLogExitsZeroWithSummary) {
  CliRun r = RunRenkei({"verify-logs", log_path_, "--key", key_path_});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(Contains(r.out, "12 records, 2 seals, intact")) << r.out;
  EXPECT_TRUE(Contains(r.out, "records 11-12 are not sealed yet")) << r.out;
}

TEST_F(CliVerifyLogsTest, TamperedLogExitsOneNamingTheRecord) {
  {
    auto db = netsim::sql::Database::Open(log_path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TRIGGER provision_records_no_update;"
                         "UPDATE provision_records SET provider = '1013103000000003' WHERE seq = 4")
                    .ok());
  }
  CliRun r = RunRenkei({"verify-logs", log_path_, "--key", key_path_});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_TRUE(Contains(r.out, "provision record 4")) << r.out;
}

TEST_F(CliVerifyLogsTest, MissingFileExitsTwo) {
  CliRun r = RunRenkei({"verify-logs", (dir_ / "nope.db").string(), "--key", key_path_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "no such file"));
}

TEST_F(CliVerifyLogsTest, MissingKeyOptionExitsTwo) {
  CliRun r = RunRenkei({"verify-logs", log_path_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--key"));
}

TEST_F(CliVerifyLogsTest, MissingPathExitsTwo) {
  CliRun r = RunRenkei({"verify-logs", "--key", key_path_});
  EXPECT_EQ(r.code, kExitUsage);
}

TEST_F(CliVerifyLogsTest, UnreadableKeyExitsTwo) {
  const std::string garbage = (dir_ / "garbage.pem").string();
  std::ofstream(garbage) << "not a key\n";
  CliRun r = RunRenkei({"verify-logs", log_path_, "--key", garbage});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "cannot read key"));
  CliRun missing = RunRenkei({"verify-logs", log_path_, "--key", (dir_ / "none.pem").string()});
  EXPECT_EQ(missing.code, kExitUsage);
}

TEST_F(CliVerifyLogsTest, FileThatIsNotAProvisionLogExitsTwo) {
  const std::string other = (dir_ / "other.db").string();
  {
    auto db = netsim::sql::Database::Open(other);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE t(x INTEGER)").ok());
  }
  CliRun r = RunRenkei({"verify-logs", other, "--key", key_path_});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "not a provision log")) << r.err;

  const std::string text = (dir_ / "text.db").string();
  std::ofstream(text) << "hello, this is not SQLite at all, just some text padding it out\n";
  CliRun t = RunRenkei({"verify-logs", text, "--key", key_path_});
  EXPECT_EQ(t.code, kExitUsage);
}

// The real binary, in its own process, reads the file this process wrote and closed: the log
// verifies after a "restart" and the exit codes reach the shell.
TEST_F(CliVerifyLogsTest, BinaryInChildProcessVerifiesThenNamesTamper) {
  auto run = [this](std::string& output) {
    const std::string command = std::string("\"") + RENKEI_CLI_PATH + "\" verify-logs \"" +
                                log_path_ + "\" --key \"" + key_path_ + "\" 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return -1;
    char buf[512];
    output.clear();
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
    const int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string output;
  EXPECT_EQ(run(output), 0) << output;
  EXPECT_TRUE(Contains(output, "12 records, 2 seals, intact")) << output;
  {
    auto db = netsim::sql::Database::Open(log_path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("DROP TRIGGER provision_records_no_delete;"
                         "DELETE FROM provision_records WHERE seq = 9")
                    .ok());
  }
  EXPECT_EQ(run(output), 1) << output;
  EXPECT_TRUE(Contains(output, "provision record 9")) << output;
}

TEST_F(CliVerifyLogsTest, UnknownOptionExitsTwo) {
  CliRun r = RunRenkei({"verify-logs", log_path_, "--key", key_path_, "--frobnicate"});
  EXPECT_EQ(r.code, kExitUsage);
}

}  // namespace
}  // namespace renkei::scenarios
