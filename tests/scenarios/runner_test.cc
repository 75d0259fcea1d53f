// The scenario runner on the shipped rehearsals: every expectation met, reports written,
// byte-identical summaries for one seed, and failures reported as failures.
#include "scenarios/runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
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

// The second run computes its signatures on a worker thread instead of the loop thread: the
// results must not depend on it.
TEST_P(ShippedScenarioTest, TwoRunsWithOneSeedWriteIdenticalSummariesWhateverTheThreads) {
  const fs::path a = Out("det1"), b = Out("det2");
  fs::remove_all(a);
  fs::remove_all(b);
  ASSERT_EQ(testing::RunRenkei({"run", Shipped(GetParam()), "--out", a.string()}).code, 0);
  ASSERT_EQ(
      testing::RunRenkei({"run", Shipped(GetParam()), "--out", b.string(), "--crypto-threads", "0"})
          .code,
      0);
  EXPECT_EQ(WithoutWall(Read(a / "summary.json")), WithoutWall(Read(b / "summary.json")));
  fs::remove_all(a);
  fs::remove_all(b);
}

// The national day is too large for the test suite (1,788 bodies, 83,000 queries: minutes in
// a release build; docs/performance.md has its figures). The suite checks that it parses to
// the world it describes; RunnerLoadTest.LoadBetweenMoversDrawnAtRandomQueriesEachFormerBody
// runs the same features on four bodies.
TEST(ShippedNationalDayTest, DescribesEveryLocalBodyAndTheAverageDay) {
  auto s = scenarios::LoadScenario(Shipped("national_day.yaml"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->world.national);
  EXPECT_EQ(s->world.bodies.size(), 1788u);
  int movers = 0;
  for (const MoverSpec& m : s->world.movers) movers += m.count;
  EXPECT_EQ(movers, 26000);
  ASSERT_TRUE(s->load.has_value());
  // The stages' expected arrivals and the night's batch lines: the FY2022 average day, about
  // 83,000 queries.
  double expected = 0;
  for (const LoadStage& st : s->load->stages) {
    expected += (st.rate + st.to) / 2 * static_cast<double>(st.duration.micros()) / 1e6;
  }
  size_t batch_lines = 0;
  for (const TimelineEvent& e : s->timeline) {
    if (e.kind == TimelineEvent::Kind::kBatch) batch_lines += e.batch.persons.size();
  }
  EXPECT_EQ(batch_lines, 6000u);
  EXPECT_NEAR(expected + static_cast<double>(batch_lines), 83000, 1000);
  EXPECT_NEAR(s->load->ExpectedArrivals(s->start), expected, 1e-6);
  // The income and residence items come as 1 KB records; the vaccination items use the dose
  // records every mover has.
  for (const LoadMixEntry& m : s->load->mix) {
    EXPECT_EQ(m.payload_bytes, m.tm.front() == "TM00160200000001" ? 0 : 1000) << m.jt;
  }
}

// The FY2022 year runs for hours at full volume (docs/performance.md, "The FY2022 year"): the
// suite checks its calendar adds up to the year's 30.29 million queries with the shape it
// describes, and RunnerLoadTest.CalendarPlaysTheDayOnEachDayAtItsFactor plays a calendar.
TEST(ShippedYearTest, TheCalendarAddsUpToFiscal2022) {
  auto s = scenarios::LoadScenario(Shipped("fy2022_year.yaml"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->world.bodies.size(), 1788u);
  ASSERT_TRUE(s->load.has_value());
  const LoadSpec& load = *s->load;
  EXPECT_EQ(load.days, 365);
  EXPECT_NEAR(load.ExpectedArrivals(s->start), 30.29e6, 0.003 * 30.29e6);
  // 1 April 2022 to 31 March 2023, the last day's stages ending that evening.
  EXPECT_EQ(netsim::FormatIso(s->start + load.at + load.Span()).substr(0, 10), "2023-03-31");
  const auto at = [](int y, int m, int d) {
    return netsim::FromCivil(netsim::CivilTime{y, m, d, 8, 30, 0, 0});
  };
  EXPECT_EQ(load.DayFactor(at(2023, 1, 1)), 0.0);                              // the year-end break
  EXPECT_EQ(load.DayFactor(at(2022, 5, 4)), 0.0);                              // Golden Week
  EXPECT_GT(load.DayFactor(at(2022, 4, 4)), load.DayFactor(at(2022, 12, 5)));  // Mondays
  EXPECT_LT(load.DayFactor(at(2022, 4, 9)), 0.1);                              // a Saturday
}

INSTANTIATE_TEST_SUITE_P(Rehearsals, ShippedScenarioTest,
                         ::testing::Values("transfer_in.yaml", "dv_suppressed.yaml",
                                           "wrong_municipality.yaml", "not_permitted.yaml",
                                           "provider_down.yaml", "load_morning.yaml",
                                           "no_token.yaml", "forged_permit.yaml",
                                           "transfer_out.yaml", "certificate_lookup.yaml",
                                           "target_extraction.yaml", "transfer_in_short.yaml",
                                           "own_data.yaml"),
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

TEST(RunnerTest, NarrationTellsMoveInsAndAttacksWithWhatTheProviderLogged) {
  const fs::path out = fs::path(::testing::TempDir()) / "runner_narrate_attack";
  auto moved =
      testing::RunRenkei({"run", Shipped("no_token.yaml"), "--out", out.string(), "--narrate"});
  EXPECT_EQ(moved.code, 0) << moved.out << moved.err;
  EXPECT_TRUE(testing::Contains(moved.out, "転入 / move-in: 移動者 2 が 仙台市 から 長岡市 へ転入"))
      << moved.out;
  EXPECT_TRUE(testing::Contains(moved.out, "too-early: 11 no-token")) << moved.out;
  auto attacked = testing::RunRenkei(
      {"run", Shipped("forged_permit.yaml"), "--out", out.string(), "--narrate"});
  EXPECT_EQ(attacked.code, 0) << attacked.out << attacked.err;
  EXPECT_TRUE(testing::Contains(attacked.out, "攻撃 / attack: forged-permit")) << attacked.out;
  EXPECT_TRUE(testing::Contains(attacked.out, "provision log: refused permit-forged (QFORGED-1)"))
      << attacked.out;
  EXPECT_TRUE(testing::Contains(attacked.out, "provision log: refused permit-reused"))
      << attacked.out;
  // The report's step-by-step log tells the same story.
  const std::string html = Read(out / "report.html");
  EXPECT_TRUE(testing::Contains(html, "refused permit-forged")) << html;
  fs::remove_all(out);
}

TEST(RunnerTest, BatchWritesItsFilesAndTheUnvaccinatedList) {
  const fs::path out = fs::path(::testing::TempDir()) / "runner_batch";
  fs::remove_all(out);
  auto run = testing::RunRenkei(
      {"run", Shipped("target_extraction.yaml"), "--out", out.string(), "--narrate"});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_TRUE(testing::Contains(run.out, "未接種者リスト 2 人: 移動者 5, 6")) << run.out;
  // One line per mover in the query file (237 bytes and CRLF each), one row per line in the
  // result file, and the list naming the lines and movers without a record.
  EXPECT_EQ(Read(out / "batches" / "targets.query.csv").size(), 6u * 239u);
  const std::string result = Read(out / "batches" / "targets.result.csv");
  EXPECT_EQ(std::count(result.begin(), result.end(), '\n'), 6);
  EXPECT_EQ(Read(out / "batches" / "targets.unvaccinated.csv"), "line,person\r\n5,5\r\n6,6\r\n");
  fs::remove_all(out);
}

// Runs a scenario text in a fresh out dir; the summary, and the report page in `html`.
RunSummary RunText(const std::string& yaml, const std::string& tag, std::string* html) {
  auto parsed = ParseScenario(yaml, tag + ".yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  if (!parsed.ok()) return RunSummary{};
  RunOptions o;
  o.out_dir = (fs::path(::testing::TempDir()) / ("runner_" + tag)).string();
  auto run = RunScenario(*parsed, o);
  EXPECT_TRUE(run.ok()) << run.error().message;
  if (html != nullptr) *html = Read(fs::path(o.out_dir) / "report.html");
  fs::remove_all(o.out_dir);
  return run.ok() ? *run : RunSummary{};
}

bool Told(const RunSummary& s, const std::string& line) {
  return std::any_of(s.narration.begin(), s.narration.end(),
                     [&line](const std::string& l) { return testing::Contains(l, line); });
}

// A flag set mid-run holds the next query for review; once cleared, queries are answered
// again. A replica registered mid-run turns "no data" into a record. After the provider's key
// rotation, old and new replicas are both provided.
TEST(RunnerTest, TimelineSetsFlagsRegistersReplicasAndRotatesKeys) {
  std::string html;
  const RunSummary s = RunText(
      "scenario: timeline changes\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers:\n"
      "    - {from: \"041009\", to: \"152021\", count: 2}\n"
      "    - {from: \"041009\", to: \"152021\", count: 1, vaccinated: false}\n"
      "timeline:\n"
      "  - {at: 1m, query: {id: before-flag, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 2m, flag: {body: 仙台市, person: 1, kind: suppress, reason: DV等支援措置}}\n"
      "  - {at: 3m, query: {id: held, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 4m, flag: {body: 仙台市, person: 1, kind: suppress, reason: 措置終了, "
      "clear: true}}\n"
      "  - {at: 5m, query: {id: after-clear, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 6m, decide: {query: held, decision: refuse, reason: 照会時は措置中}}\n"
      "  - {at: 1m, query: {id: before-replica, from: 長岡市, to: 仙台市, person: 3}}\n"
      "  - {at: 2m, replica: {body: 仙台市, person: 3}}\n"
      "  - {at: 3m, query: {id: after-replica, from: 長岡市, to: 仙台市, person: 3}}\n"
      "  - {at: 10m, rotate_key: {body: 仙台市}}\n"
      "  - {at: 11m, replica: {body: 仙台市, person: 3, payload: '{\"dose\":2}'}}\n"
      "  - {at: 12m, query: {id: old-key, from: 長岡市, to: 仙台市, person: 2}}\n"
      "  - {at: 12m, query: {id: new-key, from: 長岡市, to: 仙台市, person: 3}}\n"
      "expect:\n"
      "  - {query: before-flag, status: \"09\", item: \"01\"}\n"
      "  - {query: held, status: \"21\"}\n"
      "  - {query: after-clear, status: \"09\", item: \"01\"}\n"
      "  - {query: before-replica, status: \"12\", item: \"02\"}\n"
      "  - {query: after-replica, status: \"09\", item: \"01\"}\n"
      "  - {query: old-key, status: \"09\", item: \"01\"}\n"
      "  - {query: new-key, status: \"09\", item: \"01\"}\n"
      "  - {provisions: {body: 仙台市, outcome: suppressed}, equals: 1}\n"
      "  - {logs_verify: true}\n"
      "  - {no_mynumber_in_outputs: true}\n",
      "timeline_changes", &html);
  EXPECT_TRUE(s.passed());
  for (const ExpectationResult& r : s.expectations) {
    EXPECT_TRUE(r.passed) << r.expectation.Describe() << ": " << r.actual;
  }
  EXPECT_TRUE(s.timeline_errors.empty());
  for (const char* line :
       {"[09:02:00.000] フラグ / flag: 仙台市: 移動者 1 に suppress フラグ (DV等支援措置)",
        "[09:04:00.000] フラグ / flag: 仙台市: 移動者 1 の suppress フラグを解除 (措置終了)",
        "[09:02:00.000] 副本登録 / replica: 仙台市: 移動者 3 の記録を登録 (TM00160200000001, "
        "dose-1)",
        "[09:10:00.000] 鍵更新 / key rotation: 仙台市: 副本の暗号鍵を更新 (key 2)",
        "[09:11:00.000] 副本登録 / replica: 仙台市: 移動者 3 の記録を登録 (TM00160200000001, "
        "dose-2)"}) {
    EXPECT_TRUE(Told(s, line)) << line;
    // The report's step-by-step log tells the same.
    EXPECT_TRUE(testing::Contains(html, std::string(line).substr(15))) << line;
  }
}

// 転出 and 死亡 are recorded at the addressing servers; the records and links stay, so the
// former body still answers for the person who moved out, and the new body's records of a
// person who died can still be provided.
TEST(RunnerTest, MoveOutAndDeathAreRecordedAndRecordsStayProvidable) {
  std::string html;
  const RunSummary s = RunText(
      "scenario: status changes\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 2}]\n"
      "timeline:\n"
      "  - {at: 1m, move_out: {body: 仙台市, person: 1}}\n"
      "  - {at: 2m, query: {id: after-move-out, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - at: 1h\n"
      "    narration: 長岡市が死亡届を受理します。\n"
      "    death: {body: 長岡市, person: 2}\n"
      "  - {at: 1h, death: {body: 仙台市, person: 2}}\n"
      "  - {at: 2h, query: {id: after-death, from: 長岡市, to: 仙台市, person: 2}}\n"
      "expect:\n"
      "  - {query: after-move-out, status: \"09\", item: \"01\"}\n"
      "  - {query: after-death, status: \"09\", item: \"01\"}\n"
      "  - {logs_verify: true}\n"
      "  - {no_mynumber_in_outputs: true}\n",
      "status_changes", &html);
  EXPECT_TRUE(s.passed());
  EXPECT_TRUE(s.timeline_errors.empty());
  for (const char* line : {"[09:01:00.000] 転出 / move-out: 仙台市: 移動者 1 の転出を記録 (2024-",
                           "[10:00:00.000] 死亡 / death: 長岡市: 移動者 2 の死亡を記録 (2024-",
                           "[10:00:00.000] 死亡 / death: 仙台市: 移動者 2 の死亡を記録 (2024-"}) {
    EXPECT_TRUE(Told(s, line)) << line;
    EXPECT_TRUE(testing::Contains(html, std::string(line).substr(15))) << line;
  }
}

// Staff accounts with roles: a clerk without the reviewer role tries to approve a held query and
// is refused; nobody else decides it, so it expires at the review deadline (22). The section
// chief, a declared reviewer, approves the other one.
TEST(RunnerTest, DecisionsAreMadeByDeclaredStaffWithTheirRoles) {
  const RunSummary s = RunText(
      "scenario: who may decide\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 2}]\n"
      "  flags:\n"
      "    - {body: 仙台市, person: 1, kind: suppress, reason: DV等支援措置}\n"
      "    - {body: 仙台市, person: 2, kind: suppress, reason: DV等支援措置}\n"
      "  staff:\n"
      "    - {body: 仙台市, account: clerk, name: 窓口 一郎, roles: [log-viewer]}\n"
      "    - {body: 仙台市, account: chief, name: 係長 花子, roles: [reviewer, log-viewer]}\n"
      "timeline:\n"
      "  - {at: 1m, query: {id: held, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 1m, query: {id: decided, from: 長岡市, to: 仙台市, person: 2}}\n"
      "  - {at: 1h, decide: {query: held, decision: approve, reason: 確認, by: clerk}}\n"
      "  - {at: 2h, decide: {query: decided, decision: approve, reason: 確認済み, by: chief}}\n"
      "expect:\n"
      "  - {query: held, status: \"22\"}\n"
      "  - {query: decided, status: \"09\", item: \"01\"}\n"
      "  - {logs_verify: true}\n",
      "staff_roles", nullptr);
  EXPECT_TRUE(s.passed());
  EXPECT_TRUE(s.timeline_errors.empty());
  EXPECT_TRUE(Told(
      s, "[2024-06-03 10:00:00.000] 仙台市 職員 clerk: held を approve しようとしたが権限がなく"));
  EXPECT_TRUE(
      Told(s, "[2024-06-03 11:00:00.000] 仙台市 職員 chief: decided を approve (確認済み)"));
}

// A partition cuts the provider off: the query times out, and after the partition a query is
// answered. A loss change of 0.99 on the provider's links does the same for its `for`.
TEST(RunnerTest, TimelinePartitionsAndLossChangesCutAndRestoreLinks) {
  const RunSummary s = RunText(
      "scenario: network changes\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"011002\"}]\n"
      "  movers:\n"
      "    - {from: \"041009\", to: \"152021\", count: 2}\n"
      "    - {from: \"011002\", to: \"152021\", count: 1}\n"
      "timeline:\n"
      "  - {at: 1m, partition: {side: 仙台市, for: 5m}}\n"
      "  - {at: 2m, query: {id: cut-off, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 2m, query: {id: other-side, from: 長岡市, to: 札幌市, person: 3}}\n"
      "  - {at: 10m, query: {id: healed, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 20m, loss: {body: 仙台市, rate: 0.99, for: 10m}}\n"
      "  - {at: 21m, query: {id: lossy, from: 長岡市, to: 仙台市, person: 2}}\n"
      "  - {at: 31m, query: {id: restored, from: 長岡市, to: 仙台市, person: 2}}\n"
      "  - {at: 40m, loss: {rate: 0.99}}\n"
      "  - {at: 41m, query: {id: all-lossy, from: 長岡市, to: 札幌市, person: 3}}\n"
      "  - {at: 50m, loss: {rate: 0}}\n"
      "  - {at: 51m, query: {id: clean, from: 長岡市, to: 仙台市, person: 2}}\n"
      "expect:\n"
      "  - {query: cut-off, status: \"30\"}\n"
      "  - {query: other-side, status: \"09\"}\n"
      "  - {query: healed, status: \"09\"}\n"
      "  - {query: lossy, status: \"30\"}\n"
      "  - {query: restored, status: \"09\"}\n"
      "  - {query: all-lossy, status: \"30\"}\n"
      "  - {query: clean, status: \"09\"}\n"
      "  - {logs_verify: true}\n",
      "network_changes", nullptr);
  EXPECT_TRUE(s.passed());
  for (const ExpectationResult& r : s.expectations) {
    EXPECT_TRUE(r.passed) << r.expectation.Describe() << ": " << r.actual;
  }
  // Three bodies' links both ways, interface-core and 住基ネット-core: ten links.
  for (const char* line :
       {"[09:01:00.000] 分断 / partition: 仙台市 cut off from the network for 300 s",
        "[09:20:00.000] 回線品質 / loss: 仙台市 (2 links) loss 0.99 for 600 s",
        "[09:40:00.000] 回線品質 / loss: 全回線 (10 links) loss 0.99",
        "[09:50:00.000] 回線品質 / loss: 全回線 (10 links) loss 0"}) {
    EXPECT_TRUE(Told(s, line)) << line;
  }
}

// An attack on a query that never went out (refused by the permit list before sending) is a
// timeline error: there was nothing on the wire to copy.
TEST(RunnerTest, AttackOnAQueryNeverSentIsATimelineError) {
  auto parsed = ParseScenario(
      "scenario: attack\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 1}]\n"
      "timeline:\n"
      "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 1, "
      "jt: JT00160200000003}}\n"
      "  - {at: 2m, attack: {kind: forged-permit, query: q1}}\n",
      "attack.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  RunOptions o;
  o.out_dir = (fs::path(::testing::TempDir()) / "runner_attack_unsent").string();
  auto run = RunScenario(*parsed, o);
  ASSERT_TRUE(run.ok()) << run.error().message;
  ASSERT_EQ(run->timeline_errors.size(), 1u);
  EXPECT_TRUE(testing::Contains(run->timeline_errors[0], "attack.yaml:7:5: attack: query q1"))
      << run->timeline_errors[0];
  EXPECT_FALSE(run->passed());
  fs::remove_all(o.out_dir);
}

TEST(RunnerTest, ProgressLineChangesNothingInTheResults) {
  auto s = scenarios::LoadScenario(Shipped("load_morning.yaml"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  const fs::path dir = fs::path(::testing::TempDir()) / "runner_progress";
  std::ostringstream progress;
  RunOptions with;
  with.out_dir = (dir / "with").string();
  with.progress = &progress;
  RunOptions without;
  without.out_dir = (dir / "without").string();
  ASSERT_TRUE(RunScenario(*s, with).ok());
  ASSERT_TRUE(RunScenario(*s, without).ok());
  EXPECT_EQ(WithoutWall(Read(dir / "with" / "summary.json")),
            WithoutWall(Read(dir / "without" / "summary.json")));
  // Drawn in place and erased at the end: carriage returns, the phases, no newline.
  const std::string shown = progress.str();
  EXPECT_TRUE(testing::Contains(shown, "\rbodies [")) << shown;
  EXPECT_TRUE(testing::Contains(shown, "movers [")) << shown;
  EXPECT_EQ(shown.find('\n'), std::string::npos) << shown;
  EXPECT_TRUE(testing::Contains(Read(dir / "with" / "summary.json"), "\"setup_seconds\":"));
  fs::remove_all(dir);
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

TEST(RunnerTest, CryptoThreadsOutsideZeroToEightIsAUsageError) {
  for (const char* bad : {"-1", "9", "two", "", "01"}) {
    auto run = testing::RunRenkei({"run", Shipped("transfer_in.yaml"), "--crypto-threads", bad});
    EXPECT_EQ(run.code, 2) << bad;
    EXPECT_TRUE(testing::Contains(run.err, "is not a whole number from 0 to 8")) << run.err;
  }
}

// ---- the load section ----

// Two bodies with 20 movers from Sendai to Nagaoka, and `load` (lines after "load:").
Scenario LoadScenario(const std::string& load, uint64_t seed = 3) {
  const std::string yaml =
      "scenario: load\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 20}]\n"
      "load:\n" +
      load;
  auto parsed = ParseScenario(yaml, "load.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  Scenario s = parsed.ok() ? *parsed : Scenario{};
  s.seed = seed;
  return s;
}

RunSummary RunLoad(const Scenario& s, const std::string& tag) {
  RunOptions o;
  o.out_dir = (fs::path(::testing::TempDir()) / ("runner_load_" + tag)).string();
  auto run = RunScenario(s, o);
  EXPECT_TRUE(run.ok()) << run.error().message;
  fs::remove_all(o.out_dir);
  return run.ok() ? *run : RunSummary{};
}

uint64_t Count(const RunSummary& s, const std::string& status) {
  auto it = s.status_counts.find(status);
  return it == s.status_counts.end() ? 0 : it->second;
}

TEST(RunnerLoadTest, OpenLoadIsDeterministicForASeed) {
  const std::string load =
      "  requester: \"152021\"\n"
      "  provider: \"041009\"\n"
      "  at: 1m\n"
      "  open: {stages: [{duration: 20s, rate: 1/s}, {duration: 20s, rate: 1/s, to: 4/s}]}\n"
      "  mix: [{weight: 3, jt: JT00160200000001}, {weight: 1, jt: JT00160200000002}]\n";
  const RunSummary a = RunLoad(LoadScenario(load), "det_a");
  const RunSummary b = RunLoad(LoadScenario(load), "det_b");
  const RunSummary other = RunLoad(LoadScenario(load, 4), "det_c");
  // Expected about 20 + 50 arrivals; the exact number is the seed's.
  EXPECT_EQ(a.load_arrivals, 62u);
  EXPECT_EQ(a.queries, a.load_arrivals);
  EXPECT_EQ(Count(a, "09"), a.load_arrivals);
  EXPECT_EQ(a.load_started_late, 0u);
  EXPECT_EQ(b.load_arrivals, a.load_arrivals);
  EXPECT_EQ(b.status_counts, a.status_counts);
  EXPECT_EQ(b.p95, a.p95);
  ASSERT_EQ(b.outcomes.size(), a.outcomes.size());
  for (size_t i = 0; i < a.outcomes.size(); ++i) {
    EXPECT_EQ(b.outcomes[i].submitted_at, a.outcomes[i].submitted_at) << i;
  }
  EXPECT_NE(other.load_arrivals, a.load_arrivals);
  ASSERT_FALSE(a.outcomes.empty());
  EXPECT_EQ(a.outcomes.front().id, "load-000001");
  // Every arrival falls inside the stages: from 1m to 1m40s after the start.
  for (const QueryOutcome& q : a.outcomes) {
    EXPECT_GT(q.submitted_at, a.started_at + netsim::Duration::Minutes(1)) << q.id;
    EXPECT_LT(q.submitted_at, a.started_at + netsim::Duration::Seconds(100)) << q.id;
  }
}

TEST(RunnerLoadTest, CalendarPlaysTheDayOnEachDayAtItsFactor) {
  // A week from Monday 2024-06-03: ten minutes at 6 a minute each day, nothing on the closed
  // Wednesday and the Saturday, three times as much on Sunday.
  Scenario s = LoadScenario(
      "  requester: \"152021\"\n"
      "  provider: \"041009\"\n"
      "  open:\n"
      "    stages: [{duration: 10m, rate: 6/m}]\n"
      "    days: 7\n"
      "    weekly: {sat: 0, sun: 3}\n"
      "    closed: [2024-06-05]\n");
  const RunSummary r = RunLoad(s, "calendar");
  std::map<std::string, uint64_t> per_day;
  for (const QueryOutcome& q : r.outcomes) {
    const netsim::SimTime day_start =
        s.start + netsim::Duration::Days((q.submitted_at - s.start).micros() /
                                         netsim::Duration::Days(1).micros());
    EXPECT_LT(q.submitted_at, day_start + netsim::Duration::Minutes(10)) << q.id;
    ++per_day[netsim::FormatIsoDate(q.submitted_at)];
  }
  EXPECT_EQ(per_day.count("2024-06-05"), 0u);  // closed
  EXPECT_EQ(per_day.count("2024-06-08"), 0u);  // Saturday, factor 0
  for (const char* weekday : {"2024-06-03", "2024-06-04", "2024-06-06", "2024-06-07"}) {
    EXPECT_GT(per_day[weekday], 35u) << weekday;  // about 60
    EXPECT_LT(per_day[weekday], 90u) << weekday;
  }
  EXPECT_GT(per_day["2024-06-09"], 140u);  // about 180
  EXPECT_LT(per_day["2024-06-09"], 230u);
  EXPECT_EQ(r.queries, r.load_arrivals);
  EXPECT_EQ(Count(r, "09"), r.load_arrivals);
  EXPECT_LE(r.started_at + netsim::Duration::Days(6) + netsim::Duration::Minutes(10),
            r.finished_at);
  // An account over several days carries the date on every line.
  ASSERT_FALSE(r.narration.empty());
  EXPECT_EQ(r.narration.front().rfind("[2024-06-03 ", 0), 0u) << r.narration.front();
  EXPECT_EQ(r.narration.back().rfind("[2024-06-09 ", 0), 0u) << r.narration.back();
}

TEST(RunnerLoadTest, LoadScaleMultipliesTheArrivalsAndIsRecorded) {
  const Scenario s = LoadScenario(
      "  requester: \"152021\"\n"
      "  provider: \"041009\"\n"
      "  open: {stages: [{duration: 2m, rate: 5/s}]}\n");
  RunOptions o;
  o.out_dir = (fs::path(::testing::TempDir()) / "runner_load_scaled").string();
  o.load_scale = 0.25;
  auto scaled = RunScenario(s, o);
  fs::remove_all(o.out_dir);
  ASSERT_TRUE(scaled.ok()) << scaled.error().message;
  const RunSummary full = RunLoad(s, "unscaled");
  EXPECT_GT(full.load_arrivals, 520u);     // about 600
  EXPECT_GT(scaled->load_arrivals, 110u);  // about 150
  EXPECT_LT(scaled->load_arrivals, 190u);
  EXPECT_EQ(scaled->load_scale, 0.25);
  EXPECT_EQ(full.load_scale, 1.0);
  EXPECT_EQ(Count(*scaled, "09"), scaled->load_arrivals);
}

TEST(RunnerLoadTest, LoadScaleOutsideItsRangeIsAUsageError) {
  for (const char* bad : {"0", "-1", "101", "half", "", "0.5x", "nan", "inf"}) {
    auto run = testing::RunRenkei({"run", Shipped("load_morning.yaml"), "--load-scale", bad});
    EXPECT_EQ(run.code, 2) << bad;
    EXPECT_TRUE(testing::Contains(run.err, "is not a number above 0 and at most 100")) << run.err;
  }
}

TEST(RunnerLoadTest, LoadBetweenMoversDrawnAtRandomQueriesEachFormerBody) {
  // Four municipalities with address tables; 40 movers between pairs drawn from the seed, and a
  // load in which each mover's new body queries the former one.
  const std::string yaml =
      "scenario: any\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"141003\"}, "
      "{code: \"271004\"}]\n"
      "  movers: [{from: any, to: any, count: 40}]\n"
      "load:\n"
      "  requester: any\n"
      "  provider: any\n"
      "  open: {stages: [{duration: 30s, rate: 2/s}]}\n";
  auto parsed = ParseScenario(yaml, "any.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const RunSummary a = RunLoad(*parsed, "any_a");
  const RunSummary b = RunLoad(*parsed, "any_b");
  ASSERT_GT(a.load_arrivals, 30u);
  EXPECT_EQ(Count(a, "09"), a.load_arrivals);  // every mover is known at its former body
  EXPECT_EQ(b.status_counts, a.status_counts);
  // Queries go between several pairs, never from a body to itself.
  std::set<std::pair<std::string, std::string>> pairs;
  for (const QueryOutcome& q : a.outcomes) {
    EXPECT_NE(q.requester, q.provider) << q.id;
    pairs.emplace(q.requester, q.provider);
  }
  EXPECT_GT(pairs.size(), 3u);
  ASSERT_EQ(b.outcomes.size(), a.outcomes.size());
  for (size_t i = 0; i < a.outcomes.size(); ++i) {
    EXPECT_EQ(b.outcomes[i].requester, a.outcomes[i].requester) << i;
    EXPECT_EQ(b.outcomes[i].provider, a.outcomes[i].provider) << i;
  }
}

// One client querying Sendai for child-allowance records over a 1 Mbps link: with `payload`
// every mover has a record of that size there and each answer carries it, so a 64 KB record
// spends about half a second on the wire that a 1 KB record does not. Without `payload`
// Sendai holds no such records and answers "no data".
RunSummary RunPayloadLoad(const std::string& payload, const std::string& tag) {
  const std::string yaml =
      "scenario: payload\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 5, vaccinated: false}]\n"
      "network: {latency: 10ms, bandwidth: 1Mbps}\n"
      "load:\n"
      "  requester: 長岡市\n"
      "  provider: 仙台市\n"
      "  closed: {clients: 1, think: 1s, duration: 30s}\n"
      "  mix: [{jm: JM10000100000000, jt: JT10000100000001, tm: [TM00000100000001]" +
      (payload.empty() ? std::string() : ", payload: " + payload) + "}]\n";
  auto parsed = ParseScenario(yaml, "payload.yaml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? RunLoad(*parsed, tag) : RunSummary{};
}

TEST(RunnerLoadTest, MixPayloadGivesMoversRecordsOfThatSizeThatAnswersCarry) {
  const RunSummary big = RunPayloadLoad("64KB", "payload_big");
  const RunSummary small = RunPayloadLoad("1KB", "payload_small");
  const RunSummary none = RunPayloadLoad("", "payload_none");
  ASSERT_GT(big.queries, 5u);
  EXPECT_EQ(Count(big, "09"), big.queries);
  EXPECT_EQ(Count(small, "09"), small.queries);
  EXPECT_EQ(Count(none, "12"), none.queries);
  // 64,000 bytes at 1 Mbps: 512 ms more on the provider's link alone.
  EXPECT_GE(big.p50 - small.p50, netsim::Duration::Millis(500));
  EXPECT_LT(small.p50, netsim::Duration::Millis(500));
  // Fewer queries fit in the 30 s when each takes longer.
  EXPECT_LT(big.queries, small.queries);
}

TEST(RunnerLoadTest, ClosedLoadKeepsAtMostItsClientsInFlight) {
  const RunSummary s =
      RunLoad(LoadScenario("  requester: \"152021\"\n"
                           "  provider: \"041009\"\n"
                           "  closed: {clients: 3, think: 500ms, duration: 30s}\n"),
              "closed");
  EXPECT_GT(s.load_arrivals, 30u);  // each client goes round well over ten times in 30 s
  EXPECT_LE(s.load_peak_in_flight, 3u);
  EXPECT_GE(s.load_peak_in_flight, 2u);
  EXPECT_EQ(Count(s, "09"), s.load_arrivals);
  EXPECT_EQ(s.load_started_late, 0u);
}

TEST(RunnerLoadTest, ArrivalsBeyondMaxInFlightStartLate) {
  const RunSummary s = RunLoad(LoadScenario("  requester: \"152021\"\n"
                                            "  provider: \"041009\"\n"
                                            "  open: {stages: [{duration: 20s, rate: 20/s}]}\n"
                                            "  max_in_flight: 1\n"),
                               "late");
  EXPECT_GT(s.load_arrivals, 300u);
  EXPECT_GT(s.load_started_late, 0u);
  EXPECT_LT(s.load_started_late, s.load_arrivals);
  EXPECT_EQ(s.load_peak_in_flight, 1u);
  // Late arrivals still run: every arrival became a query with an answer.
  EXPECT_EQ(s.queries, s.load_arrivals);
  EXPECT_EQ(Count(s, "09"), s.load_arrivals);
}

TEST(RunnerLoadTest, LatencyAndLateArrivalExpectationsAreChecked) {
  auto with_expect = ParseScenario(
      "scenario: load\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 20}]\n"
      "load:\n"
      "  requester: \"152021\"\n"
      "  provider: \"041009\"\n"
      "  open: {stages: [{duration: 10s, rate: 20/s}]}\n"
      "  max_in_flight: 1\n"
      "expect:\n"
      "  - {latency: {p50: 1ms}}\n"
      "  - {latency: {p99: 10s}}\n"
      "  - {late_arrivals: {max: 0}}\n",
      "load.yaml");
  ASSERT_TRUE(with_expect.ok()) << with_expect.error().message;
  const RunSummary r = RunLoad(*with_expect, "expect");
  ASSERT_EQ(r.expectations.size(), 3u);
  EXPECT_FALSE(r.expectations[0].passed) << r.expectations[0].actual;  // no answer in 1 ms
  EXPECT_TRUE(r.expectations[1].passed) << r.expectations[1].actual;
  EXPECT_FALSE(r.expectations[2].passed) << r.expectations[2].actual;
  EXPECT_TRUE(testing::Contains(r.expectations[2].actual, "arrivals started late"));
  EXPECT_FALSE(r.passed());
  const std::string json = SummaryJson(r);
  EXPECT_TRUE(testing::Contains(json, "\"load\":{\"arrivals\":" + std::to_string(r.load_arrivals)))
      << json;
}

// ---- network profiles ----

// Two providers, one on a 200 ms line: a query to it crosses that line twice (the query to
// the provider, the answer back), so it takes exactly 2 × (200 − 4) ms longer than the same
// query to the provider on the network's 4 ms links; everything else on the path is alike.
const char* const kTwoProviders =
    "scenario: network profiles\n"
    "world:\n"
    "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"011002\"}]\n"
    "  movers:\n"
    "    - {from: \"041009\", to: \"152021\", count: 1}\n"
    "    - {from: \"011002\", to: \"152021\", count: 1}\n"
    "timeline:\n"
    "  - {at: 1m, query: {id: near, from: 長岡市, to: 仙台市, person: 1}}\n"
    "  - {at: 1m, query: {id: far, from: 長岡市, to: 札幌市, person: 2}}\n"
    "expect:\n"
    "  - {query: near, status: \"09\"}\n"
    "  - {query: far, status: \"09\"}\n";

netsim::Duration LatencyOf(const RunSummary& s, const std::string& id) {
  for (const QueryOutcome& q : s.outcomes) {
    if (q.id == id && q.completed_at) return *q.completed_at - q.submitted_at;
  }
  ADD_FAILURE() << "no completed query " << id;
  return netsim::Duration();
}

TEST(RunnerNetworkTest, SlowBodyLinkRaisesThatProvidersLatency) {
  const RunSummary plain = RunText(kTwoProviders, "net_plain", nullptr);
  const RunSummary slow =
      RunText(std::string(kTwoProviders) + "network: {bodies: [{body: 札幌市, latency: 200ms}]}\n",
              "net_slow", nullptr);
  EXPECT_TRUE(plain.passed());
  EXPECT_TRUE(slow.passed());
  // On uniform links both providers answer alike; the slow line changes only its body.
  EXPECT_EQ(LatencyOf(plain, "far"), LatencyOf(plain, "near"));
  EXPECT_EQ(LatencyOf(slow, "near"), LatencyOf(plain, "near"));
  EXPECT_EQ(LatencyOf(slow, "far"), LatencyOf(plain, "far") + netsim::Duration::Millis(392));
}

// The core's permit check lies on every query's path once, the provider's chain once.
TEST(RunnerNetworkTest, NwsDelaysLengthenEveryQuery) {
  const RunSummary plain = RunText(kTwoProviders, "nws_plain", nullptr);
  const RunSummary slow = RunText(std::string(kTwoProviders) +
                                      "network: {nws: {permit_check: 53ms, "
                                      "provider_processing: 55ms}}\n",
                                  "nws_slow", nullptr);
  EXPECT_TRUE(slow.passed());
  // The defaults are 3 ms and 5 ms: 100 ms more in all.
  EXPECT_EQ(LatencyOf(slow, "near"), LatencyOf(plain, "near") + netsim::Duration::Millis(100));
}

// Tokens are acquired in the setup hour before the start; a turnaround of two hours leaves
// the first query without one (11), and a query after the tokens arrived is answered.
TEST(RunnerNetworkTest, TokenTurnaroundBeyondTheSetupHourLeavesEarlyQueriesWithoutTokens) {
  const RunSummary s = RunText(
      "scenario: slow tokens\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 1}]\n"
      "network: {nws: {token_turnaround: 2h}}\n"
      "timeline:\n"
      "  - {at: 1m, query: {id: early, from: 長岡市, to: 仙台市, person: 1}}\n"
      "  - {at: 3h, query: {id: late, from: 長岡市, to: 仙台市, person: 1}}\n"
      "expect:\n"
      "  - {query: early, status: \"11\"}\n"
      "  - {query: late, status: \"09\"}\n",
      "slow_tokens", nullptr);
  EXPECT_TRUE(s.passed());
  for (const ExpectationResult& r : s.expectations) {
    EXPECT_TRUE(r.passed) << r.expectation.Describe() << ": " << r.actual;
  }
}

// Log-normal latencies vary from message to message, each link drawing from its own seeded
// stream: one seed still gives the same run, query for query.
TEST(RunnerNetworkTest, LogNormalNetworkIsDeterministicForASeed) {
  const std::string yaml =
      "scenario: jitter\n"
      "world:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\", count: 20}]\n"
      "network:\n"
      "  latency: {lognormal: {median: 8ms, sigma: 0.8}}\n"
      "  bandwidth: 10Mbps\n"
      "  bodies: [{body: 仙台市, latency: {uniform: [20ms, 60ms]}, in_order: true}]\n"
      "load:\n"
      "  requester: \"152021\"\n"
      "  provider: \"041009\"\n"
      "  at: 1m\n"
      "  open: {stages: [{duration: 30s, rate: 2/s}]}\n";
  auto parsed = ParseScenario(yaml, "jitter.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const RunSummary a = RunLoad(*parsed, "jitter_a");
  const RunSummary b = RunLoad(*parsed, "jitter_b");
  ASSERT_GT(a.load_arrivals, 30u);
  EXPECT_EQ(Count(a, "09"), a.load_arrivals);
  EXPECT_EQ(b.status_counts, a.status_counts);
  EXPECT_EQ(b.p50, a.p50);
  EXPECT_EQ(b.p95, a.p95);
  EXPECT_EQ(b.max, a.max);
  ASSERT_EQ(b.outcomes.size(), a.outcomes.size());
  std::set<int64_t> latencies;
  for (size_t i = 0; i < a.outcomes.size(); ++i) {
    EXPECT_EQ(b.outcomes[i].submitted_at, a.outcomes[i].submitted_at) << i;
    EXPECT_EQ(b.outcomes[i].completed_at, a.outcomes[i].completed_at) << i;
    EXPECT_EQ(b.outcomes[i].status, a.outcomes[i].status) << i;
    if (a.outcomes[i].completed_at) {
      latencies.insert((*a.outcomes[i].completed_at - a.outcomes[i].submitted_at).micros());
    }
  }
  // Fixed links would give every unhurried query the same latency.
  EXPECT_GT(latencies.size(), a.outcomes.size() / 2);
  EXPECT_EQ(WithoutWall(SummaryJson(b)), WithoutWall(SummaryJson(a)));
}

}  // namespace
}  // namespace renkei::scenarios
