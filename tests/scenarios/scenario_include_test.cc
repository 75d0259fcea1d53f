// Includes and templates of scenario files (docs/scenarios.md, "Includes and templates"):
// merging with exact results, every refusal with the file:line:column of the right file, and
// template expansion.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "cli_test_support.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;

class ScenarioIncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        (std::string("include-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }

  // Writes `text` to dir_/name and returns the path as messages show it.
  std::string Write(const std::string& name, std::string_view text) {
    const fs::path path = (dir_ / name).lexically_normal();
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).lexically_normal(); }

  Result<Scenario> Load(const std::string& name) { return LoadScenario(Path(name)); }

  // Success when loading `name` fails with a message starting "<file>:<where>: " and holding
  // `phrase` and an "expected".
  ::testing::AssertionResult FailsAt(const std::string& name, const std::string& file,
                                     std::string_view where, std::string_view phrase) {
    const Result<Scenario> r = Load(name);
    if (r.ok()) return ::testing::AssertionFailure() << "parsed, but should fail";
    const std::string& m = r.error().message;
    const std::string prefix = Path(file) + ":" + std::string(where) + ": ";
    if (m.rfind(prefix, 0) != 0 || m.find(phrase) == std::string::npos ||
        m.find("; expected ") == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message: " << m << "\nwanted prefix: " << prefix << " and phrase: " << phrase;
    }
    return ::testing::AssertionSuccess();
  }

  fs::path dir_;
};

// Two bodies and three movers, for scenarios that need a world.
constexpr std::string_view kWorld =
    "world:\n"
    "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
    "  movers: [{from: \"041009\", to: \"152021\", count: 3}]\n";

TEST_F(ScenarioIncludeTest, MergesIncludedFilesFirstAndTheIncludingFileLast) {
  Write("a.yaml",
        "seed: 5\n"
        "network: {latency: 10ms}\n"
        "world:\n"
        "  bodies: [{code: \"152021\"}]\n"
        "  movers: [{from: \"041009\", to: \"152021\", count: 2}]\n"
        "expect:\n"
        "  - {logs_verify: true}\n");
  Write("lib/b.yaml",
        "world:\n"
        "  bodies: [{code: \"041009\"}]\n"
        "  movers: [{from: \"041009\", to: \"152021\", count: 1}]\n"
        "timeline:\n"
        "  - {at: 1m, query: {id: q0, from: \"152021\", to: \"041009\", person: 1}}\n");
  Write("main.yaml",
        "include: [a.yaml, lib/b.yaml]\n"
        "scenario: merged\n"
        "seed: 7\n"
        "network: {loss: 0.5}\n"
        "timeline:\n"
        "  - {at: 2m, query: {id: q1, from: \"152021\", to: \"041009\", person: 3}}\n"
        "expect:\n"
        "  - {query: q1, status: \"09\"}\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Scenario& s = *r;
  EXPECT_EQ(s.name, "merged");
  EXPECT_EQ(s.seed, 7u);  // a scalar in both: the including file's
  EXPECT_EQ(s.network.latency, netsim::Duration::Millis(10));  // maps merge key by key
  EXPECT_DOUBLE_EQ(s.network.loss, 0.5);
  ASSERT_EQ(s.world.bodies.size(), 2u);  // lists: a's, then b's, then main's
  EXPECT_EQ(s.world.bodies[0].lgcode, "152021");
  EXPECT_EQ(s.world.bodies[1].lgcode, "041009");
  ASSERT_EQ(s.world.movers.size(), 2u);
  EXPECT_EQ(s.world.movers[0].count, 2);
  EXPECT_EQ(s.world.movers[1].count, 1);
  ASSERT_EQ(s.timeline.size(), 2u);
  EXPECT_EQ(s.timeline[0].query.id, "q0");
  EXPECT_EQ(s.timeline[1].query.id, "q1");
  EXPECT_EQ(s.timeline[1].query.person, 3);
  ASSERT_EQ(s.expect.size(), 2u);
  EXPECT_EQ(s.expect[0].kind, Expectation::Kind::kLogsVerify);
  EXPECT_EQ(s.expect[1].kind, Expectation::Kind::kQueryStatus);
  // Positions name the file each value came from.
  EXPECT_EQ(s.world.bodies[1].pos.Describe(), Path("lib/b.yaml") + ":2:12");
  EXPECT_EQ(s.timeline[0].pos.Describe(), Path("lib/b.yaml") + ":5:5");
  EXPECT_EQ(s.expect[0].pos.Describe(), Path("a.yaml") + ":7:5");
  EXPECT_EQ(s.expect[1].pos.Describe(), Path("main.yaml") + ":8:5");
  EXPECT_EQ(s.source, Path("main.yaml"));
}

TEST_F(ScenarioIncludeTest, IncludesNestAndTakeOneFileName) {
  Write("inner.yaml", kWorld);
  Write("sub/middle.yaml", "include: ../inner.yaml\nseed: 9\n");
  Write("main.yaml", "include: sub/middle.yaml\nscenario: nested\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->seed, 9u);
  EXPECT_EQ(r->world.movers.size(), 1u);
  EXPECT_EQ(r->world.movers[0].pos.file, Path("inner.yaml"));
}

TEST_F(ScenarioIncludeTest, ParseScenarioResolvesIncludesFromTheSourceNamesDirectory) {
  Write("w.yaml", kWorld);
  const Result<Scenario> r = ParseScenario("include: w.yaml\nscenario: t\n", Path("text.yaml"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.bodies.size(), 2u);
}

TEST_F(ScenarioIncludeTest, DataFileNamedInAnIncludedFileIsRelativeToThatFile) {
  fs::create_directories(dir_ / "parts");
  fs::copy_file(fs::path(RENKEI_SOURCE_DIR) / "netsim/data/permit_list.csv",
                dir_ / "parts/list.csv");
  Write("parts/world.yaml", std::string(kWorld) + "  permit_list: ./list.csv\n");
  Write("main.yaml", "include: parts/world.yaml\nscenario: t\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.permit_list, Path("parts/list.csv"));
}

TEST_F(ScenarioIncludeTest, AbsolutePathsAreTakenAsTheyAre) {
  fs::copy_file(fs::path(RENKEI_SOURCE_DIR) / "netsim/data/permit_list.csv", dir_ / "list.csv");
  const std::string list = (dir_ / "." / "list.csv").string();
  Write("lib/w.yaml", std::string(kWorld) + "  permit_list: " + list + "\n");
  Write("main.yaml", "include: " + Path("lib/w.yaml") + "\nscenario: t\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.permit_list, list);
}

TEST_F(ScenarioIncludeTest, ErrorInIncludedFileNamesThatFile) {
  Write("lib.yaml",
        "world:\n"
        "  bodies: [{code: \"152021\", persn: 1}]\n");
  Write("main.yaml", "scenario: t\ninclude: lib.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "lib.yaml", "2:29", "unknown field 'persn'"));
}

TEST_F(ScenarioIncludeTest, MalformedYamlInIncludedFileNamesThatFile) {
  Write("lib.yaml", "world:\n  bodies: [{code: \"152021\"}\n");
  Write("main.yaml", "scenario: t\ninclude: lib.yaml\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(Path("lib.yaml") + ":", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("malformed YAML"), std::string::npos) << r.error().message;
}

TEST_F(ScenarioIncludeTest, TabInIncludedFileIsPointedAtInThatFile) {
  Write("lib.yaml", "world:\n\tbodies: [{code: \"152021\"}]\n");
  Write("main.yaml", "scenario: t\ninclude: lib.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "lib.yaml", "2:1", "a tab in the indentation"));
}

TEST_F(ScenarioIncludeTest, RefusesMissingIncludeNamingTheIncludingFileAndThePathTried) {
  Write("main.yaml", "scenario: t\ninclude: [nothere.yaml]\n");
  EXPECT_TRUE(
      FailsAt("main.yaml", "main.yaml", "2:11",
              "included file 'nothere.yaml' does not exist (tried " + Path("nothere.yaml") + ")"));
}

TEST_F(ScenarioIncludeTest, RefusesIncludeCycleNamingTheChain) {
  Write("a.yaml", "include: b.yaml\n");
  Write("b.yaml", "include: a.yaml\n");
  Write("main.yaml", "scenario: t\ninclude: a.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "b.yaml", "1:10",
                      "include cycle: " + Path("main.yaml") + " → " + Path("a.yaml") + " → " +
                          Path("b.yaml") + " → " + Path("a.yaml")));
}

TEST_F(ScenarioIncludeTest, RefusesFileThatIncludesItself) {
  Write("main.yaml", "scenario: t\ninclude: main.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:10", "include cycle"));
}

TEST_F(ScenarioIncludeTest, RefusesIncludesDeeperThanEight) {
  for (int i = 1; i <= 9; ++i) {
    std::string name = "l";
    name += std::to_string(i);
    name += ".yaml";
    std::string text = "include: l";
    text += std::to_string(i + 1);
    text += ".yaml\n";
    Write(name, text);
  }
  Write("l10.yaml", kWorld);
  Write("main.yaml", "scenario: t\ninclude: l1.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "l8.yaml", "1:10", "includes nest 9 deep"));
  // Eight levels are fine.
  Write("l8.yaml", kWorld);
  const Result<Scenario> r = Load("main.yaml");
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST_F(ScenarioIncludeTest, RefusesNonStringEntries) {
  Write("main.yaml", "scenario: t\ninclude: [w.yaml, {file: x.yaml}]\n");
  Write("w.yaml", kWorld);
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:19", "an include entry is a map"));
  Write("main.yaml", "scenario: t\ninclude:\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:1", "an include entry is empty"));
  Write("main.yaml", "scenario: t\ninclude: []\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:10", "include is an empty list"));
}

TEST_F(ScenarioIncludeTest, RefusesIncludedFileThatIsNotAMap) {
  Write("list.yaml", "# a list\n- a\n- b\n");
  Write("main.yaml", "scenario: t\ninclude: list.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "list.yaml", "2:1", "the included file is a list"));
  Write("empty.yaml", "# nothing\n");
  Write("main.yaml", "scenario: t\ninclude: empty.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:10", "is empty"));
}

TEST_F(ScenarioIncludeTest, RefusesScenarioNameMissingAfterMerge) {
  Write("w.yaml", kWorld);
  Write("main.yaml", "# no name\ninclude: w.yaml\nseed: 3\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:1", "has no 'scenario' field"));
}

TEST_F(ScenarioIncludeTest, RefusesSameFileIncludedTwice) {
  Write("w.yaml", kWorld);
  Write("a.yaml", "include: w.yaml\n");
  Write("main.yaml", "scenario: t\ninclude: [w.yaml, a.yaml]\n");
  EXPECT_TRUE(FailsAt("main.yaml", "a.yaml", "1:10",
                      "is included a second time (first at " + Path("main.yaml") + ":2:11)"));
}

TEST_F(ScenarioIncludeTest, RefusesValuesOfDifferentKindsInTwoFiles) {
  Write("w.yaml", std::string(kWorld) + "network: {latency: 4ms}\n");
  Write("main.yaml", "scenario: t\ninclude: w.yaml\nnetwork: fast\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "3:10",
                      "network is a single value here but a map in " + Path("w.yaml") + ":4:10"));
}

TEST_F(ScenarioIncludeTest, RefusesFieldTwiceInAMergedMap) {
  Write("w.yaml", kWorld);
  Write("main.yaml", "scenario: t\ninclude: w.yaml\nworld: {movers: [], movers: []}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "3:21", "field 'movers' appears twice"));
}

TEST_F(ScenarioIncludeTest, UnknownTopLevelFieldListsIncludeAndTemplates) {
  Write("main.yaml", "scenario: t\nincludes: w.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "2:1", "include, templates"));
}

// ---- templates ----

constexpr std::string_view kTemplates =
    "templates:\n"
    "  ask:\n"
    "    narration: 照会します\n"
    "    query: {id: \"${id}\", from: 長岡市, to: 仙台市, person: \"${person}\"}\n"
    "  ask_named:\n"
    "    query: {id: \"q-${n}\", from: \"152021\", to: \"041009\", person: 1, tm: \"${tm}\"}\n";

TEST_F(ScenarioIncludeTest, ExpandsTemplateUses) {
  Write("lib.yaml", std::string(kWorld) + std::string(kTemplates));
  Write("main.yaml",
        "include: lib.yaml\n"
        "scenario: t\n"
        "timeline:\n"
        "  - {at: 1m, use: ask, with: {id: q1, person: 2}}\n"
        "  - {at: 2m, use: ask, with: {id: q2, person: 3}, narration: 二件目}\n"
        "  - {at: 3m, use: ask_named, with: {n: 7, tm: [TM00160200000001, TM00160200000002]}}\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 3u);
  const TimelineEvent& e1 = r->timeline[0];
  EXPECT_EQ(e1.kind, TimelineEvent::Kind::kQuery);
  EXPECT_EQ(e1.at, netsim::Duration::Minutes(1));
  EXPECT_EQ(e1.query.id, "q1");
  EXPECT_EQ(e1.query.from, "152021");
  EXPECT_EQ(e1.query.to, "041009");
  EXPECT_EQ(e1.query.person, 2);
  EXPECT_EQ(e1.narration, "照会します");                     // the template's
  EXPECT_EQ(e1.pos.Describe(), Path("main.yaml") + ":4:5");  // the use's position
  EXPECT_EQ(r->timeline[1].query.id, "q2");
  EXPECT_EQ(r->timeline[1].query.person, 3);
  EXPECT_EQ(r->timeline[1].narration, "二件目");  // the entry's replaces the template's
  EXPECT_EQ(r->timeline[2].query.id, "q-7");      // inside a text
  EXPECT_EQ(r->timeline[2].query.tm,
            (std::vector<std::string>{"TM00160200000001", "TM00160200000002"}));
  EXPECT_EQ(r->timeline[2].narration, "");
}

TEST_F(ScenarioIncludeTest, ArgumentKeepsItsPositionForMessages) {
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
                         "timeline:\n"
                         "  - {at: 1m, use: ask, with: {id: q1, person: 9}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "12:47", "person '9' is out of range"));
}

TEST_F(ScenarioIncludeTest, ErrorInsideTemplateNamesTheTemplatesFile) {
  Write("lib.yaml",
        "templates:\n  bad: {query: {id: \"${id}\", from: 長岡市, to: 名古屋市, person: 1}}\n");
  Write("main.yaml", std::string("include: lib.yaml\nscenario: t\n") + std::string(kWorld) +
                         "timeline:\n  - {at: 1m, use: bad, with: {id: q1}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "lib.yaml", "2:45", "'名古屋市' is not a body declared"));
}

TEST_F(ScenarioIncludeTest, RefusesUnknownTemplate) {
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
                         "timeline:\n  - {at: 1m, use: asks}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "12:19", "unknown template 'asks'"));
  Write("main.yaml",
        std::string("scenario: t\n") + std::string(kWorld) + "timeline:\n  - {at: 1m, use: ask}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "6:19", "unknown template 'ask'"));
}

TEST_F(ScenarioIncludeTest, RefusesMissingParameter) {
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
                         "timeline:\n  - {at: 1m, use: ask, with: {id: q1}}\n");
  EXPECT_TRUE(FailsAt(
      "main.yaml", "main.yaml", "12:30",
      "template 'ask' needs parameter 'person' (${person} at " + Path("main.yaml") + ":8:54)"));
}

TEST_F(ScenarioIncludeTest, RefusesUnusedParameter) {
  Write("main.yaml",
        std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
            "timeline:\n  - {at: 1m, use: ask, with: {id: q1, person: 1, pesron: 2}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "12:50",
                      "parameter 'pesron' is not used by template 'ask'"));
}

TEST_F(ScenarioIncludeTest, RefusesPlaceholderLeftUnresolved) {
  // Outside a template.
  Write("main.yaml",
        std::string("scenario: t\n") + std::string(kWorld) +
            "timeline:\n"
            "  - {at: 1m, query: {id: \"${id}\", from: 長岡市, to: 仙台市, person: 1}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "6:26", "placeholder left unresolved in '${id}'"));
  // In an argument: arguments are not expanded again.
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
                         "timeline:\n  - {at: 1m, use: ask, with: {id: \"${x}\", person: 1}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "12:35", "placeholder left unresolved"));
  // Malformed in a template.
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) +
                         "templates: {t1: {query: {id: \"${i d}\"}}}\n"
                         "timeline:\n  - {at: 1m, use: t1}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "5:30", "malformed placeholder"));
}

TEST_F(ScenarioIncludeTest, RefusesTemplateMistakes) {
  const std::string head = std::string("scenario: t\n") + std::string(kWorld);
  Write("main.yaml", head + "templates: {t1: {at: 1m, query: {id: q1}}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "5:18", "template 't1' has at"));
  Write("main.yaml", head + "templates: {t1: [query]}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "5:17", "template 't1' is a list"));
  Write("lib.yaml", "templates: {t1: {query: {id: q1}}}\n");
  Write("main.yaml", head + "include: lib.yaml\ntemplates: {t1: {query: {id: q2}}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "6:13",
                      "template 't1' is defined twice (first at " + Path("lib.yaml") + ":1:13)"));
  Write("main.yaml", head +
                         "templates: {t1: {query: {id: q1}}}\n"
                         "timeline:\n  - {at: 1m, use: t1, query: {id: q2}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "7:23", "unknown field 'query' in a template use"));
  Write("main.yaml", head +
                         "templates: {t1: {query: {id: q1}}}\n"
                         "timeline:\n  - {at: 1m, use: t1, with: [a]}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "7:29", "with is a list"));
}

TEST_F(ScenarioIncludeTest, UseWithoutAtIsRefusedByTheEventRules) {
  Write("main.yaml", std::string("scenario: t\n") + std::string(kWorld) + std::string(kTemplates) +
                         "timeline:\n  - {use: ask, with: {id: q1, person: 1}}\n");
  EXPECT_TRUE(FailsAt("main.yaml", "main.yaml", "12:5", "has no 'at'"));
}

TEST_F(ScenarioIncludeTest, IncludedFileWithByteOrderMarkOrBadUtf8) {
  Write("bom.yaml", "\xEF\xBB\xBF" + std::string(kWorld));
  Write("main.yaml", "scenario: t\ninclude: bom.yaml\n");
  const Result<Scenario> r = Load("main.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.bodies[0].pos.Describe(), Path("bom.yaml") + ":2:12");
  Write("bad.yaml", "world:\n  bodies: [{name: \"\xFF\"}]\n");
  Write("main.yaml", "scenario: t\ninclude: bad.yaml\n");
  EXPECT_TRUE(FailsAt("main.yaml", "bad.yaml", "2:20", "a byte that is not UTF-8"));
}

TEST_F(ScenarioIncludeTest, CliValidatesAndRunsWithIncludes) {
  using testing::RunRenkei;
  const std::string shipped =
      std::string(RENKEI_SOURCE_DIR) + "/scenarios/shipped/transfer_in_short.yaml";
  const testing::CliRun valid = RunRenkei({"validate", shipped});
  EXPECT_EQ(valid.code, 0) << valid.err;
  EXPECT_TRUE(testing::Contains(valid.out, "valid (2 bodies, 3 events, 6 expectations)"))
      << valid.out;
  Write("lib.yaml", "world: {bodies: [{code: \"152021\", zz: 1}]}\n");
  const std::string main = Write("main.yaml", "scenario: t\ninclude: lib.yaml\n");
  const testing::CliRun invalid = RunRenkei({"validate", main});
  EXPECT_EQ(invalid.code, 2);
  EXPECT_TRUE(testing::Contains(invalid.err, Path("lib.yaml") + ":1:35: unknown field 'zz'"))
      << invalid.err;
  const testing::CliRun run = RunRenkei({"run", shipped, "--out", (dir_ / "out").string()});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "summary.json"));
}

TEST_F(ScenarioIncludeTest, ShippedShortRehearsalEqualsTheLongOne) {
  const std::string shipped = std::string(RENKEI_SOURCE_DIR) + "/scenarios/shipped/";
  const Result<Scenario> short_one = LoadScenario(shipped + "transfer_in_short.yaml");
  const Result<Scenario> long_one = LoadScenario(shipped + "transfer_in.yaml");
  ASSERT_TRUE(short_one.ok()) << short_one.error().message;
  ASSERT_TRUE(long_one.ok()) << long_one.error().message;
  ASSERT_EQ(short_one->world.bodies.size(), long_one->world.bodies.size());
  for (size_t i = 0; i < long_one->world.bodies.size(); ++i) {
    EXPECT_EQ(short_one->world.bodies[i].lgcode, long_one->world.bodies[i].lgcode);
    EXPECT_EQ(short_one->world.bodies[i].residents, long_one->world.bodies[i].residents);
  }
  ASSERT_EQ(short_one->timeline.size(), long_one->timeline.size());
  for (size_t i = 0; i < long_one->timeline.size(); ++i) {
    EXPECT_EQ(short_one->timeline[i].at, long_one->timeline[i].at);
    EXPECT_EQ(short_one->timeline[i].query.id, long_one->timeline[i].query.id);
    EXPECT_EQ(short_one->timeline[i].query.from, long_one->timeline[i].query.from);
    EXPECT_EQ(short_one->timeline[i].query.to, long_one->timeline[i].query.to);
    EXPECT_EQ(short_one->timeline[i].query.person, long_one->timeline[i].query.person);
  }
  EXPECT_EQ(short_one->expect.size(), long_one->expect.size());
  EXPECT_EQ(short_one->seed, long_one->seed);
}

}  // namespace
}  // namespace renkei::scenarios
