#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "cli_test_support.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;

using testing::CliRun;
using testing::Contains;
using testing::RunRenkei;

class CliValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("cli_validate_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  fs::path dir_;
};

constexpr std::string_view kValid =
    "scenario: 転入\n"
    "world:\n"
    "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
    "  movers: [{from: \"041009\", to: \"152021\", count: 3}]\n"
    "timeline:\n"
    "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 1}}\n"
    "expect:\n"
    "  - {query: q1, status: \"09\"}\n";

TEST_F(CliValidateTest, ValidScenarioExitsZeroWithSummary) {
  const std::string path = Write("ok.yaml", kValid);
  const CliRun r = RunRenkei({"validate", path});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, path + ": valid (2 bodies, 1 event, 1 expectation)\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliValidateTest, InvalidScenarioExitsTwoWithFileLineColumn) {
  const std::string path = Write("bad.yaml", std::string(kValid) + "network: {loss: 1.5}\n");
  const CliRun r = RunRenkei({"validate", path});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind(path + ":9:17: loss '1.5' is out of range; expected", 0), 0u) << r.err;
}

TEST_F(CliValidateTest, MissingFileExitsTwoNamingIt) {
  const std::string path = (dir_ / "nope.yaml").string();
  const CliRun r = RunRenkei({"validate", path});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, path + ": no such file")) << r.err;
}

TEST_F(CliValidateTest, MissingArgumentIsUsageError) {
  const CliRun r = RunRenkei({"validate"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "renkei validate: expected SCENARIO.yaml")) << r.err;
}

TEST_F(CliValidateTest, TwoScenariosAreUsageError) {
  const std::string path = Write("ok.yaml", kValid);
  const CliRun r = RunRenkei({"validate", path, path});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "renkei validate: ")) << r.err;
}

TEST_F(CliValidateTest, HelpExitsZero) {
  const CliRun r = RunRenkei({"validate", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "usage: renkei validate SCENARIO.yaml")) << r.out;
}

TEST_F(CliValidateTest, TopLevelHelpListsTheCommand) {
  const CliRun r = RunRenkei({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "  validate     check a scenario file without running it")) << r.out;
}

}  // namespace
}  // namespace renkei::scenarios
