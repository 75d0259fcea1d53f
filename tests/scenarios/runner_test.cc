// The scenario runner on the shipped rehearsals: every expectation met, reports written,
// byte-identical summaries for one seed, and failures reported as failures.
#include "scenarios/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli_test_support.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;

std::string Shipped(const std::string& name) {
  return std::string(RENKEI_SOURCE_DIR) + "/scenarios/shipped/" + name;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// summary.json without its "wall" section, which is the only part allowed to differ.
std::string WithoutWall(std::string summary) {
  const size_t wall = summary.find(",\"wall\":");
  return wall == std::string::npos ? summary : summary.substr(0, wall);
}

class ShippedScenarioTest : public ::testing::TestWithParam<const char*> {
 protected:
  fs::path Out(const std::string& tag) {
    return fs::path(::testing::TempDir()) / ("runner_" + std::string(GetParam()) + "_" + tag);
  }
};

TEST_P(ShippedScenarioTest, MeetsEveryExpectationAndWritesReports) {
  const fs::path out = Out("a");
  fs::remove_all(out);
  auto run = testing::RunRenkei({"run", Shipped(GetParam()), "--out", out.string()});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_TRUE(testing::Contains(run.out, "PASSED")) << run.out;
  const std::string summary = Read(out / "summary.json");
  EXPECT_TRUE(testing::Contains(summary, "\"passed\":true")) << summary;
  const std::string junit = Read(out / "junit.xml");
  EXPECT_TRUE(testing::Contains(junit, "failures=\"0\"")) << junit;
  fs::remove_all(out);
}

TEST_P(ShippedScenarioTest, TwoRunsWithOneSeedWriteIdenticalSummaries) {
  const fs::path a = Out("det1"), b = Out("det2");
  fs::remove_all(a);
  fs::remove_all(b);
  ASSERT_EQ(testing::RunRenkei({"run", Shipped(GetParam()), "--out", a.string()}).code, 0);
  ASSERT_EQ(testing::RunRenkei({"run", Shipped(GetParam()), "--out", b.string()}).code, 0);
  EXPECT_EQ(WithoutWall(Read(a / "summary.json")), WithoutWall(Read(b / "summary.json")));
  fs::remove_all(a);
  fs::remove_all(b);
}

INSTANTIATE_TEST_SUITE_P(Rehearsals, ShippedScenarioTest,
                         ::testing::Values("transfer_in.yaml", "dv_suppressed.yaml",
                                           "wrong_municipality.yaml", "not_permitted.yaml",
                                           "provider_down.yaml"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           std::string out;
                           for (char c : name.substr(0, name.find('.'))) {
                             if (c != '_') out += c;
                           }
                           return out;
                         });

TEST(RunnerTest, NarrationTellsTheStoryStepByStep) {
  const fs::path out = fs::path(::testing::TempDir()) / "runner_narrate";
  auto run = testing::RunRenkei(
      {"run", Shipped("dv_suppressed.yaml"), "--out", out.string(), "--narrate"});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_TRUE(testing::Contains(run.out, "suppress フラグ")) << run.out;
  EXPECT_TRUE(testing::Contains(run.out, "職員: approved を approve")) << run.out;
  EXPECT_TRUE(testing::Contains(run.out, "refused: 21")) << run.out;
  fs::remove_all(out);
}

TEST(RunnerTest, UnmetExpectationExitsOneAndIsAFailureInJunit) {
  const fs::path dir = fs::path(::testing::TempDir()) / "runner_unmet";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string file = (dir / "unmet.yaml").string();
  {
    std::ofstream f(file);
    f << "scenario: unmet\n"
         "world:\n"
         "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
         "  movers: [{from: \"041009\", to: \"152021\", count: 1}]\n"
         "timeline:\n"
         "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 1}}\n"
         "expect:\n"
         "  - {query: q1, status: \"12\"}\n";
  }
  auto run = testing::RunRenkei({"run", file, "--out", (dir / "out").string()});
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  EXPECT_TRUE(testing::Contains(run.out, "FAIL")) << run.out;
  const std::string junit = Read(dir / "out" / "junit.xml");
  EXPECT_TRUE(testing::Contains(junit, "failures=\"1\"")) << junit;
  EXPECT_TRUE(testing::Contains(junit, "status 09")) << junit;
  fs::remove_all(dir);
}

TEST(RunnerTest, InvalidScenarioExitsTwoNamingThePlace) {
  auto run = testing::RunRenkei({"run", "/nonexistent/scenario.yaml"});
  EXPECT_EQ(run.code, 2);
  EXPECT_TRUE(testing::Contains(run.err, "scenario.yaml")) << run.err;
}

}  // namespace
}  // namespace renkei::scenarios
