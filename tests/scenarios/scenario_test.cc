#include "scenarios/scenario.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "cli_test_support.h"
#include "netsim/rng.h"
#include "netsim/sim_network.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;

using netsim::Duration;

// Every field of the language, each with a value other than its default where it has one.
constexpr std::string_view kFull = R"(# a transfer-in rehearsal
scenario: 転入者の接種記録照会
narration:
  ja: 仙台市から長岡市へ転入した住民の接種記録を照会します。
  en: Nagaoka queries Sendai for the vaccination record of a resident who moved in.
seed: 42
start: 2024-06-04T10:30:15
world:
  bodies:
    - code: "152021"
    - {name: 仙台市, residents: 10}
  movers:
    - {from: "041009", to: 長岡市, count: 3, vaccinated: false}
  flags:
    - {body: "041009", person: 2, kind: suppress, tm: TM00160200000001, reason: DV支援措置}
network: {latency: 20ms, loss: 0.01}
timeline:
  - {at: 1m, query: {id: q1, from: "152021", to: "041009", person: 1}}
  - at: 2m
    narration: 職員が確認します
    query:
      id: q-2_B
      from: 長岡市
      to: 仙台市
      jm: JM00160200000009
      jt: JT00160200000009
      tm: [TM00160200000001, TM00160200000002]
      person: 2
      non_disclosure: true
  - {at: 1h, decide: {query: q-2_B, decision: approve-partial, remove: TM00160200000001, reason: 確認済み}}
  - {at: 0, fault: {node_down: core, for: 30s}}
  - {at: 3d, fault: {node_down: "041009", for: 1500ms}}
expect:
  - {query: q1, status: "09", item: "01"}
  - {count: {status: "21"}, equals: 0}
  - {logs_verify: true}
  - {no_mynumber_in_outputs: true}
)";

// The smallest valid scenario, and the start of most bad ones: lines 1-4.
constexpr std::string_view kHead =
    "scenario: t\n"
    "world:\n"
    "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
    "  movers: [{from: \"041009\", to: \"152021\", count: 3}]\n";

// Line 6 after kHead + "timeline:\n": a query Nagaoka → Sendai for mover 1.
constexpr std::string_view kQueryQ1 =
    "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 1}}\n";

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view p : parts) out += p;
  return out;
}

// Success when parsing `yaml` as "s.yaml" fails with a message that starts with
// "s.yaml:<where>: ", contains `phrase` and says what was expected.
::testing::AssertionResult FailsAt(std::string_view yaml, std::string_view where,
                                   std::string_view phrase) {
  const Result<Scenario> r = ParseScenario(yaml, "s.yaml");
  if (r.ok()) return ::testing::AssertionFailure() << "parsed without an error";
  const std::string& m = r.error().message;
  if (m.rfind("s.yaml:" + std::string(where) + ": ", 0) != 0) {
    return ::testing::AssertionFailure() << "not at " << where << ": " << m;
  }
  if (m.find(phrase) == std::string::npos) {
    return ::testing::AssertionFailure() << "no '" << phrase << "' in: " << m;
  }
  if (m.find("; expected ") == std::string::npos) {
    return ::testing::AssertionFailure() << "no '; expected' in: " << m;
  }
  return ::testing::AssertionSuccess() << m;
}

netsim::SimTime Jst(int y, int mo, int d, int h, int mi, int s) {
  return netsim::FromCivil(netsim::CivilTime{y, mo, d, h, mi, s, 0});
}

// ---- valid scenarios ----

TEST(ScenarioParseTest, FullScenarioParsesToExactValues) {
  const Result<Scenario> r = ParseScenario(kFull, "full.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Scenario& s = *r;
  EXPECT_EQ(s.name, "転入者の接種記録照会");
  EXPECT_EQ(s.narration_ja, "仙台市から長岡市へ転入した住民の接種記録を照会します。");
  EXPECT_EQ(s.narration_en,
            "Nagaoka queries Sendai for the vaccination record of a resident who moved in.");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.start, Jst(2024, 6, 4, 10, 30, 15));
  EXPECT_EQ(s.source, "full.yaml");

  ASSERT_EQ(s.world.bodies.size(), 2u);
  EXPECT_EQ(s.world.bodies[0].lgcode, "152021");
  EXPECT_EQ(s.world.bodies[0].name, "長岡市");
  EXPECT_EQ(s.world.bodies[0].residents, 0);
  EXPECT_EQ(s.world.bodies[0].pos.Describe(), "full.yaml:10:7");
  EXPECT_EQ(s.world.bodies[1].lgcode, "041009");
  EXPECT_EQ(s.world.bodies[1].name, "仙台市");
  EXPECT_EQ(s.world.bodies[1].residents, 10);
  EXPECT_EQ(s.world.bodies[1].pos.Describe(), "full.yaml:11:7");

  ASSERT_EQ(s.world.movers.size(), 1u);
  EXPECT_EQ(s.world.movers[0].from, "041009");
  EXPECT_EQ(s.world.movers[0].to, "152021");
  EXPECT_EQ(s.world.movers[0].count, 3);
  EXPECT_FALSE(s.world.movers[0].vaccinated);
  EXPECT_EQ(s.world.movers[0].pos.Describe(), "full.yaml:13:7");

  ASSERT_EQ(s.world.flags.size(), 1u);
  EXPECT_EQ(s.world.flags[0].body, "041009");
  EXPECT_EQ(s.world.flags[0].person, 2);
  EXPECT_EQ(s.world.flags[0].kind, "suppress");
  EXPECT_EQ(s.world.flags[0].tm, "TM00160200000001");
  EXPECT_EQ(s.world.flags[0].reason, "DV支援措置");

  EXPECT_EQ(s.network.latency, Duration::Millis(20));
  EXPECT_DOUBLE_EQ(s.network.loss, 0.01);

  ASSERT_EQ(s.timeline.size(), 5u);
  const TimelineEvent& e1 = s.timeline[0];
  EXPECT_EQ(e1.kind, TimelineEvent::Kind::kQuery);
  EXPECT_EQ(e1.at, Duration::Minutes(1));
  EXPECT_EQ(e1.query.id, "q1");
  EXPECT_EQ(e1.query.from, "152021");
  EXPECT_EQ(e1.query.to, "041009");
  EXPECT_EQ(e1.query.jm, "JM00160200000000");
  EXPECT_EQ(e1.query.jt, "JT00160200000001");
  EXPECT_EQ(e1.query.tm, std::vector<std::string>{"TM00160200000001"});
  EXPECT_EQ(e1.query.person, 1);
  EXPECT_FALSE(e1.query.non_disclosure);
  EXPECT_EQ(e1.narration, "");
  EXPECT_EQ(e1.pos.Describe(), "full.yaml:18:5");

  const TimelineEvent& e2 = s.timeline[1];
  EXPECT_EQ(e2.kind, TimelineEvent::Kind::kQuery);
  EXPECT_EQ(e2.at, Duration::Minutes(2));
  EXPECT_EQ(e2.narration, "職員が確認します");
  EXPECT_EQ(e2.query.id, "q-2_B");
  EXPECT_EQ(e2.query.from, "152021");
  EXPECT_EQ(e2.query.to, "041009");
  EXPECT_EQ(e2.query.jm, "JM00160200000009");
  EXPECT_EQ(e2.query.jt, "JT00160200000009");
  EXPECT_EQ(e2.query.tm, (std::vector<std::string>{"TM00160200000001", "TM00160200000002"}));
  EXPECT_EQ(e2.query.person, 2);
  EXPECT_TRUE(e2.query.non_disclosure);
  EXPECT_EQ(e2.pos.Describe(), "full.yaml:19:5");

  const TimelineEvent& e3 = s.timeline[2];
  EXPECT_EQ(e3.kind, TimelineEvent::Kind::kDecision);
  EXPECT_EQ(e3.at, Duration::Hours(1));
  EXPECT_EQ(e3.decision.query, "q-2_B");
  EXPECT_EQ(e3.decision.decision, "approve-partial");
  EXPECT_EQ(e3.decision.remove, std::vector<std::string>{"TM00160200000001"});
  EXPECT_EQ(e3.decision.reason, "確認済み");

  const TimelineEvent& e4 = s.timeline[3];
  EXPECT_EQ(e4.kind, TimelineEvent::Kind::kFault);
  EXPECT_EQ(e4.at, Duration());
  EXPECT_EQ(e4.fault.node_down, "core");
  EXPECT_EQ(e4.fault.duration, Duration::Seconds(30));

  const TimelineEvent& e5 = s.timeline[4];
  EXPECT_EQ(e5.at, Duration::Days(3));
  EXPECT_EQ(e5.fault.node_down, "041009");
  EXPECT_EQ(e5.fault.duration, Duration::Millis(1500));

  ASSERT_EQ(s.expect.size(), 4u);
  EXPECT_EQ(s.expect[0].kind, Expectation::Kind::kQueryStatus);
  EXPECT_EQ(s.expect[0].query, "q1");
  EXPECT_EQ(s.expect[0].status, "09");
  EXPECT_EQ(s.expect[0].item, "01");
  EXPECT_EQ(s.expect[0].pos.Describe(), "full.yaml:34:5");
  EXPECT_EQ(s.expect[1].kind, Expectation::Kind::kCount);
  EXPECT_EQ(s.expect[1].status, "21");
  EXPECT_EQ(s.expect[1].equals, 0);
  EXPECT_EQ(s.expect[2].kind, Expectation::Kind::kLogsVerify);
  EXPECT_EQ(s.expect[3].kind, Expectation::Kind::kNoMyNumber);
}

TEST(ScenarioParseTest, OmittedFieldsTakeTheirDefaults) {
  const Result<Scenario> r =
      ParseScenario("scenario: t\nworld: {bodies: [{code: \"152021\"}]}\n", "min.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->seed, 1u);
  EXPECT_EQ(r->start, Jst(2024, 6, 3, 9, 0, 0));
  EXPECT_EQ(r->narration_ja, "");
  EXPECT_EQ(r->narration_en, "");
  EXPECT_EQ(r->network.latency, Duration::Millis(4));
  EXPECT_EQ(r->network.loss, 0.0);
  EXPECT_TRUE(r->world.movers.empty());
  EXPECT_TRUE(r->world.flags.empty());
  EXPECT_TRUE(r->timeline.empty());
  EXPECT_TRUE(r->expect.empty());
}

TEST(ScenarioParseTest, MoverCountDefaultsToOneAndVaccinatedToTrue) {
  const Result<Scenario> r = ParseScenario(
      "scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\"}]\n",
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.movers[0].count, 1);
  EXPECT_TRUE(r->world.movers[0].vaccinated);
}

TEST(ScenarioParseTest, BodyWithMatchingCodeAndNameIsAccepted) {
  const Result<Scenario> r =
      ParseScenario("scenario: t\nworld: {bodies: [{code: \"152021\", name: 長岡市}]}\n", "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.bodies[0].lgcode, "152021");
}

TEST(ScenarioParseTest, DecisionMayComeBeforeItsQueryInTheFile) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead, "timeline:\n", "  - {at: 5m, decide: {query: q1, decision: refuse, reason: r}}\n",
           kQueryQ1}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->timeline[0].decision.decision, "refuse");
}

TEST(ScenarioParseTest, ByteOrderMarkIsIgnoredAndColumnsCountFromAfterIt) {
  EXPECT_TRUE(ParseScenario(Cat({"\xEF\xBB\xBF", kHead}), "s.yaml").ok());
  EXPECT_TRUE(FailsAt("\xEF\xBB\xBFsead: 1\n", "1:1", "unknown field 'sead'"));
}

// Each case is built by a helper from whole strings: assigning short literals to the fields of
// one default-constructed Expectation trips a GCC 12 -Wmaybe-uninitialized false positive.
Expectation Described(Expectation::Kind kind, std::string query, std::string status,
                      std::string item, int64_t equals) {
  Expectation e;
  e.kind = kind;
  e.query = std::move(query);
  e.status = std::move(status);
  e.item = std::move(item);
  e.equals = equals;
  return e;
}

TEST(ScenarioParseTest, ExpectationDescribesItselfInOneLine) {
  using K = Expectation::Kind;
  EXPECT_EQ(Described(K::kQueryStatus, "q1", "09", "", 0).Describe(), "q1 status 09");
  EXPECT_EQ(Described(K::kQueryStatus, "q1", "09", "01", 0).Describe(), "q1 status 09 item 01");
  EXPECT_EQ(Described(K::kCount, "q1", "12", "01", 3).Describe(), "count of status 12 equals 3");
  EXPECT_EQ(Described(K::kLogsVerify, "q1", "12", "01", 3).Describe(), "provision logs verify");
  EXPECT_EQ(Described(K::kNoMyNumber, "q1", "12", "01", 3).Describe(), "no 個人番号 in outputs");
}

TEST(ScenarioParseTest, SourcePosDescribesFileLineColumn) {
  EXPECT_EQ((SourcePos{"a/b.yaml", 12, 7}).Describe(), "a/b.yaml:12:7");
}

// ---- bodies ----

TEST(ScenarioErrorTest, UnknownBodyCode) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152030\"}]\n", "3:19",
                      "地方公共団体コード 152030 is not in the institution registry"));
}

TEST(ScenarioErrorTest, BodyCodeWithBadCheckDigit) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152020\"}]\n", "3:19",
                      "check digit is 0, expected 1"));
}

TEST(ScenarioErrorTest, BodyNameNotInRegistry) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{name: 存在市}]\n", "3:19",
                      "no body named '存在市' in the institution registry"));
}

TEST(ScenarioErrorTest, PrefectureIsNotAMunicipality) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"150002\"}]\n", "3:19",
                      "新潟県 is a prefecture"));
}

TEST(ScenarioErrorTest, BodyWithoutCodeOrName) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{residents: 5}]\n", "3:12",
                      "a body has no code or name"));
}

TEST(ScenarioErrorTest, BodyCodeAndNameOfDifferentBodies) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\", name: 仙台市}]\n", "3:35",
                      "name '仙台市' is not the body with code 152021 (長岡市)"));
}

TEST(ScenarioErrorTest, DuplicateBodyByCodeAndByName) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {name: 長岡市}]\n",
                      "3:30", "body 152021 (長岡市) is declared twice (first at s.yaml:3:12)"));
}

TEST(ScenarioErrorTest, EmptyBodies) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: []\n", "3:11", "world.bodies is an empty list"));
}

TEST(ScenarioErrorTest, MissingBodies) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  movers: []\n", "3:3", "world has no 'bodies'"));
}

TEST(ScenarioErrorTest, ResidentsAtUnsupportedMunicipality) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152048\", residents: 5}]\n", "3:40",
                      "body 152048 (三条市) has no address table for generated residents"));
}

// ---- movers and flags ----

TEST(ScenarioErrorTest, UnsupportedMunicipalityForMovers) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"152048\"}]\n"
              "  movers: [{from: \"152048\", to: \"152021\"}]\n",
              "4:19", "body 152048 (三条市) has no address table for generated movers"));
}

TEST(ScenarioErrorTest, MoverFromAndToTheSameBody) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
              "  movers: [{from: \"152021\", to: \"152021\"}]\n",
              "4:33", "a mover from 152021 to the same body"));
}

TEST(ScenarioErrorTest, MoverFromUndeclaredBody) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
              "  movers: [{from: \"131041\", to: \"152021\"}]\n",
              "4:19", "'131041' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, MoverCountAsQuotedText) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
              "  movers: [{from: \"041009\", to: \"152021\", count: \"3\"}]\n",
              "4:50", "count is the quoted text '3'"));
}

TEST(ScenarioErrorTest, MoverCountAboveTenThousand) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
              "  movers: [{from: \"041009\", to: \"152021\", count: 10001}]\n",
              "4:50", "count '10001' is out of range"));
}

TEST(ScenarioErrorTest, VaccinatedIsNotABoolean) {
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
              "  movers: [{from: \"041009\", to: \"152021\", vaccinated: yes}]\n",
              "4:55", "vaccinated is 'yes'; expected true or false"));
}

TEST(ScenarioErrorTest, FlagWithoutReason) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "  flags: [{body: \"152021\", person: 1, kind: suppress}]\n"}),
                      "5:11", "a flag has no 'reason'"));
}

TEST(ScenarioErrorTest, FlagOfUnknownKind) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "  flags: [{body: \"152021\", person: 1, kind: hide, reason: r}]\n"}),
              "5:45", "unknown flag kind 'hide'; expected suppress or self-info-blocked"));
}

TEST(ScenarioErrorTest, FlagPersonBeyondTheMovers) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "  flags: [{body: \"152021\", person: 4, kind: suppress, reason: r}]\n"}),
              "5:36", "person '4' is out of range; expected an integer from 1 to 3"));
}

// ---- top level and types ----

TEST(ScenarioErrorTest, MissingScenarioName) {
  EXPECT_TRUE(FailsAt("world:\n  bodies: [{code: \"152021\"}]\n", "1:1",
                      "the scenario has no 'scenario' field"));
}

TEST(ScenarioErrorTest, BlankScenarioName) {
  EXPECT_TRUE(FailsAt("scenario: \"  \"\nworld: {bodies: [{code: \"152021\"}]}\n", "1:11",
                      "scenario is blank"));
}

TEST(ScenarioErrorTest, MissingWorld) {
  EXPECT_TRUE(FailsAt("scenario: t\nseed: 3\n", "1:1", "the scenario has no 'world' field"));
}

TEST(ScenarioErrorTest, UnknownTopLevelField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "sead: 7\n"}), "5:1",
                      "unknown field 'sead' in the scenario; expected one of scenario, narration, "
                      "seed, start, world, network, load, timeline, expect"));
}

TEST(ScenarioErrorTest, UnknownWorldField) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}]\n  residents: 10\n",
                      "4:3",
                      "unknown field 'residents' in world; expected one of registry, bodies, "
                      "movers, flags"));
}

// ---- worlds of the whole country ----

constexpr std::string_view kNational =
    "scenario: t\n"
    "world:\n"
    "  registry: national\n"
    "  bodies: all\n"
    "  movers: [{from: any, to: any, count: 5}]\n";

TEST(ScenarioParseTest, NationalRegistryWithAllBodiesHoldsEveryLocalBody) {
  const Result<Scenario> r = ParseScenario(
      Cat({kNational,
           "load: {requester: any, provider: any, open: {stages: [{duration: 1m, rate: 1/s}]}}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->world.national);
  EXPECT_TRUE(r->world.all_bodies);
  ASSERT_EQ(r->world.bodies.size(), 1788u);
  EXPECT_EQ(r->world.bodies.front().lgcode, "010006");  // 北海道, in code order
  EXPECT_EQ(r->world.bodies.front().name, "北海道");
  EXPECT_EQ(r->world.movers[0].from, "any");
  EXPECT_EQ(r->world.movers[0].to, "any");
  ASSERT_TRUE(r->load.has_value());
  EXPECT_EQ(r->load->requester, "any");
  EXPECT_EQ(r->load->provider, "any");
}

TEST(ScenarioParseTest, NationalWorldNamesSyntheticBodiesTheSameForEverySeed) {
  const Result<Scenario> a = ParseScenario(Cat({"seed: 1\n", kNational}), "s.yaml");
  const Result<Scenario> b = ParseScenario(Cat({"seed: 99\n", kNational}), "s.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->world.bodies.size(), b->world.bodies.size());
  for (size_t i = 0; i < a->world.bodies.size(); ++i) {
    EXPECT_EQ(a->world.bodies[i].lgcode, b->world.bodies[i].lgcode);
    EXPECT_EQ(a->world.bodies[i].name, b->world.bodies[i].name);
  }
}

TEST(ScenarioErrorTest, UnknownRegistryIsNamed) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  registry: full\n  bodies: all\n", "3:13",
                      "unknown registry 'full'"));
}

TEST(ScenarioErrorTest, BodiesOtherThanAListOrAllIsRefused) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: every\n", "3:11", "or all"));
}

TEST(ScenarioErrorTest, MoversDrawnAtRandomNeedTwoGeneratableBodies) {
  // 三条市 (152048) is in the shipped registry without an address table.
  EXPECT_TRUE(
      FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"152048\"}]\n"
              "  movers: [{from: any, to: any}]\n",
              "4:19", "fewer than two declared municipalities"));
}

TEST(ScenarioErrorTest, PersonOfARandomMoverCannotBeNamed) {
  EXPECT_TRUE(FailsAt(Cat({kNational, "timeline:\n",
                           "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", "
                           "person: 1}}\n"}),
                      "7:68", "drawn at random"));
}

TEST(ScenarioErrorTest, MaxInFlightNeedsOneRequester) {
  EXPECT_TRUE(FailsAt(Cat({kNational,
                           "load: {requester: any, provider: any, max_in_flight: 5,\n"
                           "       open: {stages: [{duration: 1m, rate: 1/s}]}}\n"}),
                      "6:39", "max_in_flight with requester: any"));
}

TEST(ScenarioErrorTest, UnknownNarrationLanguage) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "narration: {ja: あ, fr: b}\n"}), "5:20",
                      "unknown field 'fr' in narration; expected one of ja, en"));
}

TEST(ScenarioErrorTest, WorldIsAList) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld: [a]\n", "2:8", "world is a list; expected a map with"));
}

TEST(ScenarioErrorTest, ScenarioIsNotAMap) {
  EXPECT_TRUE(FailsAt("just some text\n", "1:1", "the scenario is 'just some text'"));
}

TEST(ScenarioErrorTest, DuplicateKey) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "scenario: u\n"}), "5:1",
                      "field 'scenario' appears twice in the scenario (first at s.yaml:1:1)"));
}

TEST(ScenarioErrorTest, NegativeSeed) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "seed: -1\n"}), "5:7", "seed is '-1'"));
}

TEST(ScenarioErrorTest, ImpossibleStartDate) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "start: 2024-02-30T09:00:00\n"}), "5:8",
                      "start '2024-02-30T09:00:00' is not a real date and time"));
}

TEST(ScenarioErrorTest, StartWithoutTime) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "start: 2024-06-03\n"}), "5:8",
                      "start '2024-06-03' is not a date and time; expected a JST date and time "
                      "YYYY-MM-DDTHH:MM:SS"));
}

// ---- network ----

TEST(ScenarioErrorTest, NegativeLatency) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: -5ms}\n"}), "5:20",
                      "latency '-5ms' is negative; expected a duration of 0 or more"));
}

TEST(ScenarioErrorTest, LossOfOneAndAHalf) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {loss: 1.5}\n"}), "5:17",
                      "loss '1.5' is out of range; expected a number from 0 up to but not "
                      "including 1"));
}

TEST(ScenarioErrorTest, LatencyWithoutUnit) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "network: {latency: 4}\n"}), "5:20", "latency '4' is not a duration"));
}

// A network section with every field of the language: distributions, bandwidth, per-body
// links and the NWS delays. A body's link starts from the network's fields.
TEST(ScenarioNetworkTest, LinkProfilesAndDelaysParseToExactValues) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead,
           "network:\n"
           "  latency: {lognormal: {median: 4ms, sigma: 0.5, cap: 2s}}\n"
           "  loss: 0.001\n"
           "  bandwidth: 1Gbps\n"
           "  in_order: true\n"
           "  bodies:\n"
           "    - {body: 仙台市, latency: {uniform: [150ms, 250ms]}, bandwidth: 512kbps}\n"
           "    - {body: \"152021\", loss: 0.02, in_order: false}\n"
           "  nws: {permit_check: 7ms, token_turnaround: 30s, provider_processing: 15ms}\n"}),
      "net.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const NetworkSpec& n = r->network;
  EXPECT_EQ(n.latency.model.kind, netsim::LatencyModel::Kind::kLogNormal);
  EXPECT_EQ(n.latency.model.median, Duration::Millis(4));
  EXPECT_DOUBLE_EQ(n.latency.model.sigma, 0.5);
  EXPECT_EQ(n.latency.model.cap, Duration::Seconds(2));
  EXPECT_FALSE(n.latency == Duration::Millis(4));  // not a fixed latency
  EXPECT_DOUBLE_EQ(n.loss, 0.001);
  EXPECT_EQ(n.bandwidth_bps, 1'000'000'000);
  EXPECT_TRUE(n.in_order);
  ASSERT_EQ(n.bodies.size(), 2u);
  EXPECT_EQ(n.bodies[0].body, "041009");
  EXPECT_EQ(n.bodies[0].pos.Describe(), "net.yaml:11:7");
  EXPECT_EQ(n.bodies[0].link.latency.model.kind, netsim::LatencyModel::Kind::kUniform);
  EXPECT_EQ(n.bodies[0].link.latency.model.min, Duration::Millis(150));
  EXPECT_EQ(n.bodies[0].link.latency.model.max, Duration::Millis(250));
  EXPECT_EQ(n.bodies[0].link.bandwidth_bps, 512'000);
  EXPECT_DOUBLE_EQ(n.bodies[0].link.loss, 0.001);  // the network's
  EXPECT_TRUE(n.bodies[0].link.in_order);          // the network's
  EXPECT_EQ(n.bodies[1].body, "152021");
  EXPECT_EQ(n.bodies[1].link.latency.model.kind, netsim::LatencyModel::Kind::kLogNormal);
  EXPECT_EQ(n.bodies[1].link.latency.model.median, Duration::Millis(4));
  EXPECT_DOUBLE_EQ(n.bodies[1].link.loss, 0.02);
  EXPECT_EQ(n.bodies[1].link.bandwidth_bps, 1'000'000'000);
  EXPECT_FALSE(n.bodies[1].link.in_order);
  EXPECT_EQ(n.permit_check, Duration::Millis(7));
  EXPECT_EQ(n.token_turnaround, Duration::Seconds(30));
  EXPECT_EQ(n.provider_processing, Duration::Millis(15));

  const netsim::LinkProfile p = n.bodies[1].link.Profile();
  EXPECT_EQ(p.latency.kind, netsim::LatencyModel::Kind::kLogNormal);
  EXPECT_EQ(p.loss.kind, netsim::LossModel::Kind::kBernoulli);
  EXPECT_DOUBLE_EQ(p.loss.p, 0.02);
  EXPECT_EQ(p.bandwidth_bps, 1'000'000'000);
  EXPECT_FALSE(p.in_order);
}

// Fields written before `latency` in the map still start from it: order does not matter.
TEST(ScenarioNetworkTest, BodiesBeforeTheNetworkFieldsStillInheritThem) {
  const Result<Scenario> r =
      ParseScenario(Cat({kHead,
                         "network: {bodies: [{body: 長岡市, bandwidth: 0}], latency: {fixed: 9ms}, "
                         "bandwidth: 100Mbps}\n"}),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->network.latency, Duration::Millis(9));
  EXPECT_EQ(r->network.bandwidth_bps, 100'000'000);
  ASSERT_EQ(r->network.bodies.size(), 1u);
  EXPECT_EQ(r->network.bodies[0].link.latency, Duration::Millis(9));
  EXPECT_EQ(r->network.bodies[0].link.bandwidth_bps, 0);  // unlimited, the body's own
}

TEST(ScenarioNetworkTest, OmittedNetworkFieldsKeepTheComponentsDefaults) {
  const Result<Scenario> r = ParseScenario(Cat({kHead, "network: {latency: 0}\n"}), "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const NetworkSpec& n = r->network;
  EXPECT_EQ(n.latency, Duration());
  EXPECT_EQ(n.bandwidth_bps, 0);
  EXPECT_FALSE(n.in_order);
  EXPECT_TRUE(n.bodies.empty());
  EXPECT_FALSE(n.permit_check.has_value());
  EXPECT_FALSE(n.token_turnaround.has_value());
  EXPECT_FALSE(n.provider_processing.has_value());
  const netsim::LinkProfile p = n.Profile();
  EXPECT_EQ(p.latency.kind, netsim::LatencyModel::Kind::kFixed);
  EXPECT_EQ(p.latency.fixed, Duration());
  EXPECT_EQ(p.loss.kind, netsim::LossModel::Kind::kNone);
}

TEST(ScenarioNetworkTest, BandwidthUnitsAreDecimal) {
  for (const auto& [text, bps] :
       std::initializer_list<std::pair<const char*, int64_t>>{{"0", 0},
                                                              {"0bps", 0},
                                                              {"9600bps", 9600},
                                                              {"512kbps", 512'000},
                                                              {"100Mbps", 100'000'000},
                                                              {"10Gbps", 10'000'000'000},
                                                              {"1000Gbps", 1'000'000'000'000}}) {
    const Result<Scenario> r =
        ParseScenario(Cat({kHead, "network: {bandwidth: ", text, "}\n"}), "s.yaml");
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_EQ(r->network.bandwidth_bps, bps) << text;
  }
}

TEST(ScenarioErrorTest, NegativeFixedLatency) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {fixed: -1ms}}\n"}), "5:28",
                      "fixed '-1ms' is negative; expected a duration of 0 or more"));
}

TEST(ScenarioErrorTest, NegativeUniformLatency) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {uniform: [-2ms, 10ms]}}\n"}), "5:31",
                      "uniform[1] '-2ms' is negative; expected a duration of 0 or more"));
}

TEST(ScenarioErrorTest, NegativeNwsDelay) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {nws: {permit_check: -3ms}}\n"}), "5:31",
                      "permit_check '-3ms' is negative; expected a duration of 0 or more"));
}

TEST(ScenarioErrorTest, UnknownLatencyDistribution) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {pareto: {scale: 4ms}}}\n"}), "5:21",
                      "unknown latency distribution 'pareto'; expected fixed, uniform or "
                      "lognormal"));
}

TEST(ScenarioErrorTest, LatencyWithTwoDistributions) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {fixed: 4ms, uniform: [1ms, 2ms]}}\n"}),
                      "5:33",
                      "latency with both fixed and uniform; expected exactly one distribution"));
}

TEST(ScenarioErrorTest, LatencyAsAList) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: [2ms, 10ms]}\n"}), "5:20",
                      "latency is a list; expected a duration such as 4ms, or one distribution"));
}

TEST(ScenarioErrorTest, UnknownNetworkField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {jitter: 2ms}\n"}), "5:11",
                      "unknown field 'jitter' in network; expected one of latency, loss, "
                      "bandwidth, in_order, bodies, nws"));
}

TEST(ScenarioErrorTest, UnknownLogNormalField) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "network: {latency: {lognormal: {median: 4ms, sigma: 0.5, mean: 5ms}}}\n"}),
      "5:58", "unknown field 'mean' in lognormal; expected one of median, sigma, cap"));
}

TEST(ScenarioErrorTest, UnknownBodyLinkField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{body: 仙台市, jitter: 1ms}]}\n"}), "5:32",
                      "unknown field 'jitter' in a body's link; expected one of body, latency, "
                      "loss, bandwidth, in_order"));
}

TEST(ScenarioErrorTest, UnknownNwsField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {nws: {permit_lifetime: 5m}}\n"}), "5:17",
                      "unknown field 'permit_lifetime' in nws; expected one of permit_check, "
                      "token_turnaround, provider_processing"));
}

TEST(ScenarioErrorTest, BandwidthInBytesPerSecond) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bandwidth: 100MBps}\n"}), "5:22",
                      "bandwidth '100MBps' is not a bandwidth; expected a bandwidth written as a "
                      "whole number followed by bps, kbps, Mbps or Gbps"));
}

TEST(ScenarioErrorTest, BandwidthWithAFraction) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bandwidth: 1.5Gbps}\n"}), "5:22",
                      "bandwidth '1.5Gbps' is not a bandwidth"));
}

TEST(ScenarioErrorTest, BandwidthWithoutUnit) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bandwidth: 100}\n"}), "5:22",
                      "bandwidth '100' is not a bandwidth"));
}

TEST(ScenarioErrorTest, NegativeBandwidth) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bandwidth: -1Mbps}\n"}), "5:22",
                      "bandwidth '-1Mbps' is negative"));
}

TEST(ScenarioErrorTest, BandwidthAboveATerabit) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bandwidth: 1001Gbps}\n"}), "5:22",
                      "bandwidth '1001Gbps' is too high; expected a bandwidth of at most "
                      "1000Gbps"));
}

TEST(ScenarioErrorTest, LogNormalSigmaOfZero) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {lognormal: {median: 4ms, sigma: 0}}}\n"}),
                      "5:53",
                      "sigma '0' is out of range; expected a number above 0 and at most 3"));
}

TEST(ScenarioErrorTest, LogNormalSigmaAboveThree) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {lognormal: {median: 4ms, sigma: 3.5}}}\n"}),
                      "5:53", "sigma '3.5' is out of range"));
}

TEST(ScenarioErrorTest, LogNormalSigmaAsText) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {lognormal: {median: 4ms, sigma: wide}}}\n"}),
                      "5:53", "sigma 'wide' is not a number"));
}

TEST(ScenarioErrorTest, LogNormalWithoutSigma) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {lognormal: {median: 4ms}}}\n"}), "5:32",
                      "lognormal has no 'sigma'; expected sigma:"));
}

TEST(ScenarioErrorTest, LogNormalMedianOfZero) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {lognormal: {median: 0, sigma: 1}}}\n"}),
                      "5:41", "median '0' is zero; expected a duration above 0"));
}

TEST(ScenarioErrorTest, LogNormalCapBelowTheMedian) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "network: {latency: {lognormal: {median: 40ms, sigma: 1, cap: 10ms}}}\n"}),
      "5:62", "cap '10ms' is below the median '40ms'"));
}

TEST(ScenarioErrorTest, UniformMinAboveMax) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {uniform: [10ms, 2ms]}}\n"}), "5:37",
                      "uniform's max '2ms' is below its min '10ms'; expected [min, max]"));
}

TEST(ScenarioErrorTest, UniformWithThreeValues) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {uniform: [1ms, 2ms, 3ms]}}\n"}), "5:30",
                      "uniform has 3 values; expected [min, max]"));
}

TEST(ScenarioErrorTest, UniformAsADuration) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {latency: {uniform: 4ms}}\n"}), "5:30",
                      "uniform is '4ms'; expected [min, max]"));
}

TEST(ScenarioErrorTest, BodyLinkLossOfOne) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{body: 仙台市, loss: 1}]}\n"}), "5:38",
                      "loss '1' is out of range; expected a number from 0 up to but not "
                      "including 1"));
}

TEST(ScenarioErrorTest, NegativeBodyLinkLoss) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{body: 仙台市, loss: -0.1}]}\n"}), "5:38",
                      "loss '-0.1' is out of range"));
}

TEST(ScenarioErrorTest, BodyLinkAtAnUndeclaredBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{body: 札幌市, latency: 200ms}]}\n"}), "5:27",
                      "body '札幌市' is not a body declared in world.bodies; expected the code or "
                      "name of a body in world.bodies (152021 長岡市, 041009 仙台市)"));
}

TEST(ScenarioErrorTest, BodyLinkGivenTwice) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "network:\n", "  bodies:\n", "    - {body: 仙台市, latency: 200ms}\n",
           "    - {body: \"041009\", loss: 0.1}\n"}),
      "8:14", "body 041009 (仙台市) has two entries in network.bodies (first at s.yaml:7:7)"));
}

TEST(ScenarioErrorTest, BodyLinkWithoutBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{latency: 200ms}]}\n"}), "5:20",
                      "a body's link has no 'body'; expected body:"));
}

TEST(ScenarioErrorTest, BodyLinkThatChangesNothing) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {bodies: [{body: 仙台市}]}\n"}), "5:20",
                      "a body's link has no field besides body; expected at least one of "
                      "latency, loss, bandwidth, in_order"));
}

TEST(ScenarioErrorTest, InOrderAsText) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "network: {in_order: yes}\n"}), "5:21",
                      "in_order is 'yes'; expected true or false"));
}

// ---- timeline ----

TEST(ScenarioErrorTest, UnknownQueryField) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", persn: 1}}\n"}),
              "6:60", "unknown field 'persn' in a query"));
}

TEST(ScenarioErrorTest, MalformedDuration) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", "  - {at: 5 minutes, fault: {node_down: core, for: 1m}}\n"}),
      "6:10", "at '5 minutes' is not a duration"));
}

TEST(ScenarioErrorTest, EventWithoutAt) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {fault: {node_down: core, for: 1m}}\n"}),
                      "6:5", "an event has no 'at'"));
}

TEST(ScenarioErrorTest, EventWithTwoKinds) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, fault: {node_down: core, for: 5m}, decide: {query: q1, "
                           "decision: refuse, reason: r}}\n"}),
                      "6:49", "an event with both fault and decide"));
}

TEST(ScenarioErrorTest, EventWithoutKind) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, narration: x}\n"}), "6:5",
                      "an event has no event kind; expected exactly one of query, decide, fault, "
                      "move_in, move_out, death, attack, batch, flag, replica, rotate_key, "
                      "partition, loss per event"));
}

TEST(ScenarioErrorTest, DuplicateQueryId) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1, kQueryQ1}), "7:26",
                      "query id q1 is already used (at s.yaml:6:5)"));
}

TEST(ScenarioErrorTest, QueryIdWithASpace) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n",
           "  - {at: 1m, query: {id: \"q 1\", from: \"152021\", to: \"041009\", person: 1}}\n"}),
      "6:26", "query id 'q 1' is not a valid id"));
}

TEST(ScenarioErrorTest, QueryToItself) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, query: {id: q1, from: \"152021\", to: 長岡市, person: 1}}\n"}),
              "6:50", "a query from 152021 to itself"));
}

TEST(ScenarioErrorTest, PersonOutOfRange) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 4}}\n"}),
              "6:68", "person '4' is out of range; expected an integer from 1 to 3"));
}

TEST(ScenarioErrorTest, PersonWithoutMovers) {
  EXPECT_TRUE(FailsAt(
      "scenario: t\nworld:\n  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n"
      "timeline:\n  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", person: 1}}\n",
      "5:68", "person names a mover, but world.movers declares none"));
}

TEST(ScenarioErrorTest, PersonNotRegisteredAtTheRequester) {
  EXPECT_TRUE(FailsAt(
      "scenario: t\nworld:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"131041\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\"}]\n"
      "timeline:\n  - {at: 1m, query: {id: q1, from: \"131041\", to: \"041009\", person: 1}}\n",
      "6:68", "person 1 moved from 041009 to 152021 and is not registered at 131041"));
}

TEST(ScenarioErrorTest, TmCodeOfTheWrongKind) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", "
                           "person: 1, tm: [JT00160200000001]}}\n"}),
                      "6:76", "tm[1]: "));
}

TEST(ScenarioErrorTest, FaultOnUndeclaredBody) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", "  - {at: 1m, fault: {node_down: \"131041\", for: 5m}}\n"}),
      "6:33", "node_down '131041' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, FaultOfZeroDuration) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, fault: {node_down: core, for: 0}}\n"}),
              "6:44", "for '0' is zero; expected a duration above 0"));
}

TEST(ScenarioErrorTest, DecisionOnUnknownQuery) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                   "  - {at: 2m, decide: {query: q9, decision: refuse, reason: r}}\n"}),
              "7:30",
              "decide names query 'q9', which no event of the timeline defines; expected the id "
              "of a query in the timeline: q1"));
}

TEST(ScenarioErrorTest, ApprovePartialWithoutRemove) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                   "  - {at: 2m, decide: {query: q1, decision: approve-partial, reason: r}}\n"}),
              "7:22", "an approve-partial decision has no 'remove'"));
}

TEST(ScenarioErrorTest, RemoveWithAFullApproval) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, decide: {query: q1, decision: approve, remove: "
                           "[TM00160200000001], reason: r}}\n"}),
                      "7:61", "remove in a decision to approve"));
}

TEST(ScenarioErrorTest, RemoveOfAnItemTheQueryDoesNotAskFor) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, decide: {query: q1, decision: approve-partial, remove: "
                           "TM00160200000002, reason: r}}\n"}),
                      "7:69", "remove names TM00160200000002, which query q1 does not ask for"));
}

TEST(ScenarioErrorTest, UnknownDecision) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, decide: {query: q1, decision: maybe, reason: r}}\n"}),
                      "7:44",
                      "unknown decision 'maybe'; expected approve, approve-partial or refuse"));
}

TEST(ScenarioErrorTest, QueryDecidedTwice) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, decide: {query: q1, decision: refuse, reason: r}}\n",
                           "  - {at: 3m, decide: {query: q1, decision: approve, reason: r}}\n"}),
                      "8:30", "query q1 is decided twice (first at s.yaml:7:30)"));
}

// ---- move_in and attack events ----

TEST(ScenarioParseTest, MoveInAttackAndProvisionsParseToExactValues) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead, "timeline:\n", "  - {at: 10m, move_in: {person: 2}}\n",
           "  - {at: 10m, query: {id: q2, from: \"152021\", to: \"041009\", person: 2}}\n",
           kQueryQ1, "  - {at: 3m, attack: {kind: forged-permit, query: q1}}\n",
           "  - {at: 4m, attack: {kind: replayed-permit, query: q1}}\n", "expect:\n",
           "  - {provisions: {body: 仙台市, outcome: permit-forged}, equals: 1}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 5u);
  EXPECT_EQ(r->timeline[0].kind, TimelineEvent::Kind::kMoveIn);
  EXPECT_EQ(r->timeline[0].move_in.person, 2);
  EXPECT_EQ(r->timeline[3].kind, TimelineEvent::Kind::kAttack);
  EXPECT_EQ(r->timeline[3].attack.kind, "forged-permit");
  EXPECT_EQ(r->timeline[3].attack.query, "q1");
  EXPECT_EQ(r->timeline[4].attack.kind, "replayed-permit");
  ASSERT_EQ(r->expect.size(), 1u);
  EXPECT_EQ(r->expect[0].kind, Expectation::Kind::kProvisions);
  EXPECT_EQ(r->expect[0].body, "041009");
  EXPECT_EQ(r->expect[0].outcome, "permit-forged");
  EXPECT_EQ(r->expect[0].equals, 1);
  EXPECT_EQ(r->expect[0].Describe(), "provisions at 041009 with outcome permit-forged equals 1");
}

TEST(ScenarioErrorTest, MoveInWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_in: {persn: 2}}\n"}), "6:24",
                      "unknown field 'persn' in a move_in; expected one of person"));
}

TEST(ScenarioErrorTest, MoveInWithoutPerson) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_in: {}}\n"}), "6:23",
                      "a move_in has no 'person'"));
}

TEST(ScenarioErrorTest, MoveInPersonAsQuotedText) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_in: {person: \"2\"}}\n"}),
                      "6:32", "person is the quoted text '2'"));
}

TEST(ScenarioErrorTest, MoveInOfAnUnknownPerson) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_in: {person: 4}}\n"}), "6:32",
                      "person '4' is out of range; expected an integer from 1 to 3"));
}

TEST(ScenarioErrorTest, MoveInTwiceForOnePerson) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_in: {person: 2}}\n",
                           "  - {at: 2m, move_in: {person: 2}}\n"}),
                      "7:32", "person 2 moves in twice (first at s.yaml:6:5)"));
}

TEST(ScenarioErrorTest, QueryFromTheNewHomeBeforeTheMoveIn) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", "  - {at: 10m, move_in: {person: 2}}\n",
           "  - {at: 5m, query: {id: q2, from: \"152021\", to: \"041009\", person: 2}}\n"}),
      "7:68",
      "query q2 asks from 152021 about person 2 before they move in there (at s.yaml:6:5)"));
}

TEST(ScenarioErrorTest, QueryAtTheMoveInTimeButEarlierInTheFile) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 10m, query: {id: q2, from: \"152021\", to: \"041009\", person: 2}}\n",
                   "  - {at: 10m, move_in: {person: 2}}\n"}),
              "6:69", "query q2 asks from 152021 about person 2 before they move in there"));
}

TEST(ScenarioErrorTest, MoveInOfAMoverFlaggedAtTheNewHome) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "  flags: [{body: \"152021\", person: 2, kind: suppress, reason: r}]\n",
           "timeline:\n", "  - {at: 1m, move_in: {person: 2}}\n"}),
      "7:32",
      "person 2 moves in to 152021 during the timeline but has a flag there (s.yaml:5:11)"));
}

TEST(ScenarioErrorTest, MoveInOfAMoverTheLoadPicksFrom) {
  EXPECT_TRUE(FailsAt(Cat({kHead,
                           "load:\n  requester: \"152021\"\n  provider: \"041009\"\n"
                           "  open: {stages: [{duration: 1m, rate: 1/s}]}\n",
                           "timeline:\n", "  - {at: 1m, move_in: {person: 1}}\n"}),
                      "10:32", "person 1 is one of the movers the load picks from"));
}

TEST(ScenarioErrorTest, AttackOfAnUnknownKind) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", kQueryQ1, "  - {at: 2m, attack: {kind: sniff, query: q1}}\n"}),
      "7:29", "unknown attack kind 'sniff'; expected forged-permit or replayed-permit"));
}

TEST(ScenarioErrorTest, AttackKindAsAList) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, attack: {kind: [forged-permit], query: q1}}\n"}),
                      "7:29", "kind is a list; expected forged-permit or replayed-permit"));
}

TEST(ScenarioErrorTest, AttackWithoutQuery) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", kQueryQ1, "  - {at: 2m, attack: {kind: forged-permit}}\n"}),
      "7:22", "an attack has no 'query'"));
}

TEST(ScenarioErrorTest, AttackOnAnUnknownQuery) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                           "  - {at: 2m, attack: {kind: forged-permit, query: q9}}\n"}),
                      "7:51",
                      "attack names query 'q9', which no event of the timeline defines; expected "
                      "the id of a query in the timeline: q1"));
}

TEST(ScenarioErrorTest, AttackNoLaterThanTheQueryItCopies) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, attack: {kind: replayed-permit, query: q1}}\n", kQueryQ1}),
                      "6:53",
                      "the attack comes no later than query q1 (at s.yaml:7:5), which has not "
                      "been sent to copy yet"));
}

// ---- batch events ----

// Line 6 after kHead + "timeline:\n": Nagaoka's batch to Sendai for every mover.
constexpr std::string_view kBatchB1 =
    "  - {at: 1m, batch: {id: b1, from: \"152021\", to: \"041009\", movers: all}}\n";

TEST(ScenarioParseTest, BatchParsesToExactValues) {
  const Result<Scenario> r =
      ParseScenario(Cat({kHead, "timeline:\n", kBatchB1,
                         "  - {at: 2m, batch: {id: b2, from: 長岡市, to: 仙台市, persons: [3, 1], "
                         "jt: JT00160200000002, tm: TM00160200000001}}\n",
                         "expect:\n", "  - {batch: {id: b1, status: \"12\"}, equals: 0}\n",
                         "  - {unvaccinated: {batch: b2}, equals: 1}\n"}),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 2u);
  EXPECT_EQ(r->timeline[0].kind, TimelineEvent::Kind::kBatch);
  EXPECT_EQ(r->timeline[0].batch.id, "b1");
  EXPECT_EQ(r->timeline[0].batch.from, "152021");
  EXPECT_EQ(r->timeline[0].batch.to, "041009");
  EXPECT_EQ(r->timeline[0].batch.persons, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(r->timeline[0].batch.jt, "JT00160200000001");
  EXPECT_EQ(r->timeline[1].batch.persons, (std::vector<int>{3, 1}));
  EXPECT_EQ(r->timeline[1].batch.jt, "JT00160200000002");
  ASSERT_EQ(r->expect.size(), 2u);
  EXPECT_EQ(r->expect[0].kind, Expectation::Kind::kBatchStatus);
  EXPECT_EQ(r->expect[0].Describe(), "batch b1 rows of status 12 equals 0");
  EXPECT_EQ(r->expect[1].kind, Expectation::Kind::kUnvaccinated);
  EXPECT_EQ(r->expect[1].Describe(), "batch b2 unvaccinated list equals 1");
}

TEST(ScenarioErrorTest, BatchWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, person: 1}}\n"}),
                      "6:50", "unknown field 'person' in a batch"));
}

TEST(ScenarioErrorTest, BatchWithBothPersonsAndMovers) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, persons: [1], "
                           "movers: all}}\n"}),
                      "6:64", "a batch with both persons and movers"));
}

TEST(ScenarioErrorTest, BatchWithoutPersonsOrMovers) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市}}\n"}),
      "6:21", "a batch has no persons or movers"));
}

TEST(ScenarioErrorTest, BatchPersonsNotAList) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, persons: 1}}\n"}),
              "6:59", "persons is '1'; expected a list of mover numbers"));
}

TEST(ScenarioErrorTest, BatchPersonOutOfRange) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, persons: [1, 9]}}\n"}),
              "6:63", "persons[2] '9' is out of range; expected an integer from 1 to 3"));
}

TEST(ScenarioErrorTest, BatchPersonNotRegisteredAtTheRequester) {
  EXPECT_TRUE(FailsAt(
      "scenario: t\nworld:\n"
      "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"131041\"}]\n"
      "  movers: [{from: \"041009\", to: \"152021\"}]\n"
      "timeline:\n  - {at: 1m, batch: {id: b1, from: \"131041\", to: \"041009\", persons: [1]}}\n",
      "6:70", "person 1 moved from 041009 to 152021 and is not registered at 131041"));
}

TEST(ScenarioErrorTest, BatchMoversOtherThanAll) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, movers: some}}\n"}),
              "6:58", "movers 'some' is not all"));
}

TEST(ScenarioErrorTest, BatchMoversAllFindsNobody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, batch: {id: b1, from: 仙台市, to: 長岡市, movers: all}}\n"}),
              "6:58", "movers: all finds no movers from 152021 to 041009"));
}

TEST(ScenarioErrorTest, BatchToAnUndeclaredBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 新宿区, movers: all}}\n"}),
              "6:45", "to '新宿区' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, BatchTmAsAList) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, batch: {id: b1, from: 長岡市, to: 仙台市, movers: all, "
                           "tm: [TM00160200000001]}}\n"}),
                      "6:67", "tm is a list"));
}

TEST(ScenarioErrorTest, BatchIdAlreadyAQueryId) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", kQueryQ1,
                   "  - {at: 1m, batch: {id: q1, from: 長岡市, to: 仙台市, movers: all}}\n"}),
              "7:26", "batch id q1 is already used (at s.yaml:6:5)"));
}

TEST(ScenarioErrorTest, BatchBeforeTheMoveIn) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kBatchB1, "  - {at: 5m, move_in: {person: 2}}\n"}),
                      "6:68",
                      "batch b1 asks from 152021 about person 2 before they move in there"));
}

TEST(ScenarioErrorTest, BatchExpectationOnAnUnknownBatch) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kBatchB1, "expect:\n",
                           "  - {batch: {id: b9, status: \"09\"}, equals: 1}\n"}),
                      "8:18",
                      "expectation names batch 'b9', which no event of the timeline defines; "
                      "expected the id of a batch in the timeline: b1"));
}

TEST(ScenarioErrorTest, BatchExpectationWithoutStatus) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", kBatchB1, "expect:\n", "  - {batch: {id: b1}, equals: 1}\n"}),
      "8:13", "batch has no 'status'"));
}

TEST(ScenarioErrorTest, BatchExpectationOfAnUnknownStatus) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kBatchB1, "expect:\n",
                           "  - {batch: {id: b1, status: \"99\"}, equals: 1}\n"}),
                      "8:30", "unknown record status '99'"));
}

TEST(ScenarioErrorTest, UnvaccinatedWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kBatchB1, "expect:\n",
                           "  - {unvaccinated: {batch: b1, status: \"12\"}, equals: 1}\n"}),
                      "8:32", "unknown field 'status' in unvaccinated; expected one of batch"));
}

TEST(ScenarioErrorTest, UnvaccinatedEqualsNegative) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kBatchB1, "expect:\n",
                           "  - {unvaccinated: {batch: b1}, equals: -1}\n"}),
                      "8:41", "equals '-1' is out of range"));
}

// ---- flags, replicas, key rotation, partitions and loss changes in the timeline ----

TEST(ScenarioParseTest, FlagReplicaAndRotateKeyEventsParseToExactValues) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead, "timeline:\n",
           "  - {at: 2m, flag: {body: 仙台市, person: 1, kind: suppress, tm: TM00160200000002, "
           "reason: DV等支援措置}}\n",
           "  - {at: 4m, flag: {body: \"152021\", person: 2, kind: self-info-blocked, "
           "reason: 解除, clear: true}}\n",
           "  - {at: 5m, replica: {body: 仙台市, person: 3}}\n",
           "  - {at: 6m, replica: {body: 長岡市, person: 3, tm: TM00160200000002, payload: "
           "'{\"dose\":4}'}}\n",
           "  - {at: 7m, rotate_key: {body: 仙台市}}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 5u);
  const FlagSpec& set = r->timeline[0].flag;
  EXPECT_EQ(r->timeline[0].kind, TimelineEvent::Kind::kFlag);
  EXPECT_EQ(set.body, "041009");
  EXPECT_EQ(set.person, 1);
  EXPECT_EQ(set.kind, "suppress");
  EXPECT_EQ(set.tm, "TM00160200000002");
  EXPECT_EQ(set.reason, "DV等支援措置");
  EXPECT_FALSE(set.clear);
  EXPECT_EQ(set.pos.Describe(), "s.yaml:6:20");
  const FlagSpec& cleared = r->timeline[1].flag;
  EXPECT_EQ(cleared.body, "152021");
  EXPECT_EQ(cleared.person, 2);
  EXPECT_EQ(cleared.kind, "self-info-blocked");
  EXPECT_EQ(cleared.tm, "");
  EXPECT_TRUE(cleared.clear);
  EXPECT_EQ(r->timeline[2].kind, TimelineEvent::Kind::kReplica);
  EXPECT_EQ(r->timeline[2].replica.body, "041009");
  EXPECT_EQ(r->timeline[2].replica.person, 3);
  EXPECT_EQ(r->timeline[2].replica.tm, "TM00160200000001");
  EXPECT_EQ(r->timeline[2].replica.payload, "");
  EXPECT_EQ(r->timeline[3].replica.body, "152021");
  EXPECT_EQ(r->timeline[3].replica.tm, "TM00160200000002");
  EXPECT_EQ(r->timeline[3].replica.payload, "{\"dose\":4}");
  EXPECT_EQ(r->timeline[4].kind, TimelineEvent::Kind::kRotateKey);
  EXPECT_EQ(r->timeline[4].rotate_key.body, "041009");
  EXPECT_EQ(r->timeline[4].at, Duration::Minutes(7));
}

TEST(ScenarioParseTest, PartitionAndLossEventsParseToExactValues) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead, "timeline:\n", "  - {at: 1m, partition: {side: 仙台市, for: 30s}}\n",
           "  - {at: 2m, partition: {side: [core, \"152021\"], for: 1h}}\n",
           "  - {at: 3m, loss: {body: 長岡市, rate: 0.2, for: 1m}}\n",
           "  - {at: 4m, loss: {rate: 0}}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 4u);
  EXPECT_EQ(r->timeline[0].kind, TimelineEvent::Kind::kPartition);
  EXPECT_EQ(r->timeline[0].partition.side, (std::vector<std::string>{"041009"}));
  EXPECT_EQ(r->timeline[0].partition.duration, Duration::Seconds(30));
  EXPECT_EQ(r->timeline[1].partition.side, (std::vector<std::string>{"core", "152021"}));
  EXPECT_EQ(r->timeline[1].partition.duration, Duration::Hours(1));
  EXPECT_EQ(r->timeline[2].kind, TimelineEvent::Kind::kLoss);
  EXPECT_EQ(r->timeline[2].loss.body, "152021");
  EXPECT_EQ(r->timeline[2].loss.rate, 0.2);
  EXPECT_EQ(r->timeline[2].loss.duration, Duration::Minutes(1));
  EXPECT_EQ(r->timeline[3].loss.body, "");
  EXPECT_EQ(r->timeline[3].loss.rate, 0.0);
  EXPECT_EQ(r->timeline[3].loss.duration, Duration());
}

// Three bodies, mover 1 between Sendai and Nagaoka, mover 2 from Sapporo: lines 1-4.
constexpr std::string_view kThreeBodies =
    "scenario: t\n"
    "world:\n"
    "  bodies: [{code: \"152021\"}, {code: \"041009\"}, {code: \"011002\"}]\n"
    "  movers: [{from: \"041009\", to: \"152021\"}, {from: \"011002\", to: \"152021\"}]\n";

TEST(ScenarioErrorTest, FlagEventWithAnUnknownField) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: suppress, reason: r, "
                   "clr: true}}\n"}),
              "6:70", "unknown field 'clr' in a flag event; expected one of body"));
}

TEST(ScenarioErrorTest, FlagEventWithoutReason) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: suppress}}\n"}),
                      "6:20", "a flag event has no 'reason'"));
}

TEST(ScenarioErrorTest, FlagEventOfAnUnknownKind) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: hide, reason: r}}\n"}),
              "6:49", "unknown flag kind 'hide'; expected suppress or self-info-blocked"));
}

TEST(ScenarioErrorTest, FlagEventTmWithASelfInfoBlock) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: self-info-blocked, "
                           "tm: TM00160200000001, reason: r}}\n"}),
                      "6:68",
                      "tm with kind: self-info-blocked; expected tm only with kind: suppress"));
}

TEST(ScenarioErrorTest, FlagEventClearIsNotABoolean) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: suppress, reason: r, "
                   "clear: yes}}\n"}),
              "6:77", "clear is 'yes'; expected true or false"));
}

TEST(ScenarioErrorTest, FlagEventPersonOutOfRange) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 4, kind: suppress, reason: r}}\n"}),
              "6:40", "person '4' is out of range; expected an integer from 1 to 3"));
}

TEST(ScenarioErrorTest, FlagEventPersonNotRegisteredAtTheBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kThreeBodies, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 2, kind: suppress, reason: r}}\n"}),
              "6:40", "person 2 moved from 011002 to 152021 and is not registered at 041009"));
}

TEST(ScenarioErrorTest, FlagEventPersonOfARandomMover) {
  EXPECT_TRUE(
      FailsAt(Cat({kNational, "timeline:\n",
                   "  - {at: 1m, flag: {body: 仙台市, person: 1, kind: suppress, reason: r}}\n"}),
              "7:40", "drawn at random"));
}

TEST(ScenarioErrorTest, FlagEventAtAnUndeclaredBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 札幌市, person: 1, kind: suppress, reason: r}}\n"}),
              "6:27", "body '札幌市' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, FlagEventAtTheNewHomeBeforeTheMoveIn) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, flag: {body: 長岡市, person: 2, kind: suppress, reason: r}}\n",
                   "  - {at: 5m, move_in: {person: 2}}\n"}),
              "6:40", "flag at 152021 for person 2 before they move in there (at s.yaml:7:5)"));
}

TEST(ScenarioErrorTest, ReplicaWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", "  - {at: 1m, replica: {body: 仙台市, person: 1, dose: 2}}\n"}),
      "6:46", "unknown field 'dose' in a replica; expected one of body, person, tm, payload"));
}

TEST(ScenarioErrorTest, ReplicaWithoutPerson) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, replica: {body: 仙台市}}\n"}),
                      "6:23", "a replica has no 'person'"));
}

TEST(ScenarioErrorTest, ReplicaPersonAsQuotedText) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, replica: {body: 仙台市, person: \"1\"}}\n"}),
              "6:43", "person is the quoted text '1'"));
}

TEST(ScenarioErrorTest, ReplicaPersonNotRegisteredAtTheBody) {
  EXPECT_TRUE(FailsAt(
      Cat({kThreeBodies, "timeline:\n", "  - {at: 1m, replica: {body: 札幌市, person: 1}}\n"}),
      "6:43", "person 1 moved from 041009 to 152021 and is not registered at 011002"));
}

TEST(ScenarioErrorTest, ReplicaPersonOfARandomMover) {
  EXPECT_TRUE(
      FailsAt(Cat({kNational, "timeline:\n", "  - {at: 1m, replica: {body: 仙台市, person: 1}}\n"}),
              "7:43", "drawn at random"));
}

TEST(ScenarioErrorTest, ReplicaTmOfTheWrongKind) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n",
                   "  - {at: 1m, replica: {body: 仙台市, person: 1, tm: JT00160200000001}}\n"}),
              "6:50", "expected a TM code"));
}

TEST(ScenarioErrorTest, ReplicaWithABlankPayload) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, replica: {body: 仙台市, person: 1, payload: \" \"}}\n"}),
                      "6:55", "payload is blank"));
}

TEST(ScenarioErrorTest, ReplicaPayloadAboveOneMebibyte) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, replica: {body: 仙台市, person: 1, ",
                           "payload: ", std::string((size_t{1} << 20) + 1, 'x'), "}}\n"}),
                      "6:55", "payload of 1048577 bytes; expected the record's text"));
}

TEST(ScenarioErrorTest, ReplicaAtTheNewHomeBeforeTheMoveIn) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 5m, move_in: {person: 2}}\n",
                           "  - {at: 5m, replica: {body: 長岡市, person: 2}}\n",
                           "  - {at: 4m, replica: {body: 長岡市, person: 2}}\n"}),
                      "8:43", "replica at 152021 for person 2 before they move in there"));
}

TEST(ScenarioErrorTest, RotateKeyWithAnUnknownField) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, rotate_key: {body: 仙台市, key: 2}}\n"}),
              "6:38", "unknown field 'key' in a rotate_key; expected one of body"));
}

TEST(ScenarioErrorTest, RotateKeyWithoutBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, rotate_key: {}}\n"}), "6:26",
                      "a rotate_key has no 'body'"));
}

TEST(ScenarioErrorTest, RotateKeyAtTheCore) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, rotate_key: {body: core}}\n"}),
                      "6:33", "body 'core' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, PartitionWithoutFor) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, partition: {side: 仙台市}}\n"}),
                      "6:25", "a partition has no 'for'"));
}

TEST(ScenarioErrorTest, PartitionWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, partition: {between: [仙台市, 長岡市], for: 1m}}\n"}),
                      "6:26", "unknown field 'between' in a partition; expected one of side, for"));
}

TEST(ScenarioErrorTest, PartitionWithAnEmptySide) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, partition: {side: [], for: 1m}}\n"}),
                      "6:32", "side is an empty list; expected at least one body or core"));
}

TEST(ScenarioErrorTest, PartitionNamingABodyTwice) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, partition: {side: [仙台市, \"041009\"], for: 1m}}\n"}),
                      "6:38", "side names 041009 twice; expected each body (or core) once"));
}

TEST(ScenarioErrorTest, PartitionOfAnUndeclaredBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, partition: {side: 札幌市, for: 1m}}\n"}),
              "6:32", "side '札幌市' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, PartitionOfZeroDuration) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, partition: {side: core, for: 0}}\n"}),
              "6:43", "for '0' is zero; expected a duration above 0"));
}

TEST(ScenarioErrorTest, LossWithoutRate) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {body: 仙台市}}\n"}), "6:20",
                      "a loss change has no 'rate'"));
}

TEST(ScenarioErrorTest, LossWithAnUnknownField) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {rate: 0.2, latency: 5ms}}\n"}),
              "6:32", "unknown field 'latency' in a loss change; expected one of body, rate, for"));
}

TEST(ScenarioErrorTest, LossRateOfOne) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {rate: 1}}\n"}), "6:27",
              "rate '1' is out of range; expected a number from 0 up to but not including 1"));
}

TEST(ScenarioErrorTest, LossRateAsQuotedText) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {rate: \"0.2\"}}\n"}), "6:27",
                      "rate is the quoted text '0.2'"));
}

TEST(ScenarioErrorTest, LossAtAnUndeclaredBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {body: 札幌市, rate: 0.2}}\n"}),
              "6:27", "body '札幌市' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, LossForZero) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, loss: {rate: 0.2, for: 0s}}\n"}),
                      "6:37", "for '0s' is zero; expected a duration above 0"));
}

// ---- expectations ----

TEST(ScenarioErrorTest, ProvisionsOfAnUnknownOutcome) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "expect:\n", "  - {provisions: {body: 仙台市, outcome: stolen}, equals: 1}\n"}),
      "6:39",
      "unknown provision outcome 'stolen'; expected one of answered, retransmitted, malformed, "
      "permit-forged"));
}

TEST(ScenarioErrorTest, ProvisionsAtAnUndeclaredBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n",
                           "  - {provisions: {body: \"131041\", outcome: answered}, equals: 1}\n"}),
                      "6:25", "body '131041' is not a body declared in world.bodies"));
}

TEST(ScenarioErrorTest, ProvisionsWithoutOutcome) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {provisions: {body: 仙台市}, equals: 1}\n"}),
                      "6:18", "provisions has no 'outcome'"));
}

TEST(ScenarioErrorTest, ProvisionsWithAnUnknownField) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n",
                           "  - {provisions: {body: 仙台市, outcome: answered, side: provider}, "
                           "equals: 1}\n"}),
                      "6:49", "unknown field 'side' in provisions; expected one of body, outcome"));
}

TEST(ScenarioErrorTest, ProvisionsWithoutEquals) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "expect:\n", "  - {provisions: {body: 仙台市, outcome: answered}}\n"}),
              "6:5", "a provisions expectation has no 'equals'"));
}

TEST(ScenarioErrorTest, ProvisionsEqualsAsQuotedText) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n",
                           "  - {provisions: {body: 仙台市, outcome: answered}, equals: \"1\"}\n"}),
                      "6:58", "equals is the quoted text '1'"));
}

TEST(ScenarioErrorTest, UnknownExpectationKind) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {latency_p99: 2s}\n"}), "6:6",
                      "unknown expectation 'latency_p99'; expected one of query, count, "
                      "provisions, batch, unvaccinated, latency, late_arrivals, logs_verify, "
                      "no_mynumber_in_outputs"));
}

TEST(ScenarioErrorTest, UnknownRecordStatus) {
  EXPECT_TRUE(FailsAt(
      Cat({kHead, "timeline:\n", kQueryQ1, "expect:\n", "  - {query: q1, status: \"99\"}\n"}),
      "8:25", "unknown record status '99'; expected a record status code: one of 09 (normal)"));
}

TEST(ScenarioErrorTest, UnknownItemStatus) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", kQueryQ1, "expect:\n",
                           "  - {query: q1, status: \"09\", item: \"09\"}\n"}),
                      "8:37", "unknown item status '09'"));
}

TEST(ScenarioErrorTest, ExpectationOnUnknownQuery) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {query: q7, status: \"09\"}\n"}), "6:13",
                      "expectation names query 'q7', which no event of the timeline defines"));
}

TEST(ScenarioErrorTest, ExpectationOfTwoKinds) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "expect:\n", "  - {logs_verify: true, no_mynumber_in_outputs: true}\n"}),
              "6:25", "an expectation of two kinds, logs_verify and no_mynumber_in_outputs"));
}

TEST(ScenarioErrorTest, CountWithoutEquals) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {count: {status: \"12\"}}\n"}), "6:5",
                      "a count expectation has no 'equals'"));
}

TEST(ScenarioErrorTest, CountOfAnUnknownMetric) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {count: {outcome: lost}, equals: 1}\n"}),
                      "6:14", "unknown field 'outcome' in count; expected one of status"));
}

TEST(ScenarioErrorTest, LogsVerifyFalse) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {logs_verify: false}\n"}), "6:19",
                      "logs_verify: false checks nothing"));
}

// ---- malformed files ----

TEST(ScenarioErrorTest, TabIndentation) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n\tbodies: [{code: \"152021\"}]\n", "3:1",
                      "a tab in the indentation"));
}

TEST(ScenarioErrorTest, UnclosedBracket) {
  // yaml-cpp notices the missing ']' where the next line starts.
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{code: \"152021\"}\nseed: 1\n", "4:1",
                      "malformed YAML: end of sequence flow not found; expected ']'"));
}

TEST(ScenarioErrorTest, UnclosedBrace) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld: {bodies: [{code: \"152021\"}]\n", "3:1",
                      "malformed YAML: end of map flow not found; expected '}'"));
}

TEST(ScenarioErrorTest, UndefinedAlias) {
  EXPECT_TRUE(FailsAt("scenario: *name\n", "1:11", "the referenced anchor is not defined"));
}

TEST(ScenarioErrorTest, EmptyFile) {
  EXPECT_TRUE(FailsAt("", "1:1", "the scenario is empty"));
  EXPECT_TRUE(FailsAt("# only a comment\n", "1:1", "the scenario is empty"));
}

TEST(ScenarioErrorTest, SecondDocument) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "---\nscenario: u\n"}), "6:1", "a second YAML document in the file"));
}

TEST(ScenarioErrorTest, InvalidUtf8) {
  EXPECT_TRUE(FailsAt("scenario: 長岡\xff\n", "1:13", "a byte that is not UTF-8"));
}

TEST(ScenarioErrorTest, DeepNestingIsRefused) {
  const std::string deep = "scenario: " + std::string(5000, '[') + "\n";
  // yaml-cpp stops at 2,000 levels, noticing at the end of the input.
  EXPECT_TRUE(FailsAt(deep, "2:1", "the YAML nests too deeply"));
}

// ---- messages ----

TEST(ScenarioErrorTest, ColumnsCountCharactersNotBytes) {
  EXPECT_TRUE(FailsAt("scenario: t\nworld:\n  bodies: [{name: 長岡市, foo: 1}]\n", "3:24",
                      "unknown field 'foo' in a body"));
}

TEST(ScenarioErrorTest, ValueThatMayBeAMyNumberIsNotEchoed) {
  for (const std::string_view yaml :
       {"scenario: t\nworld:\n  bodies: [{name: \"983205673214\"}]\n",
        "scenario: t\nworld:\n  bodies: [{code: \"152021\", 983205673214: 1}]\n",
        "scenario: t\nworld:\n  bodies: [{code: \"983205673214\"}]\n",
        "scenario: t\nworld:\n  bodies: [{name: ９８３２０５６７３２１４}]\n"}) {
    const Result<Scenario> r = ParseScenario(yaml, "s.yaml");
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_EQ(r.error().message.find("983205673214"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("９８３２０５６７３２１４"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(r.error().message.rfind("s.yaml:3:", 0), 0u) << r.error().message;
  }
}

// Grind: every prefix of a valid file either parses or fails with a positioned message; none
// crashes or throws.
TEST(ScenarioErrorTest, EveryTruncationFailsCleanlyOrParses) {
  for (size_t n = 0; n < kFull.size(); ++n) {
    const Result<Scenario> r = ParseScenario(kFull.substr(0, n), "s.yaml");
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.rfind("s.yaml:", 0), 0u) << n << ": " << r.error().message;
      EXPECT_NE(r.error().message.find("; expected "), std::string::npos) << r.error().message;
    }
  }
}

// Grind: random byte edits (delete, duplicate, replace with a YAML-significant character)
// of a valid file either parse or fail with a positioned message; none crashes or throws.
TEST(ScenarioErrorTest, RandomEditsFailCleanlyOrParse) {
  constexpr std::string_view kSignificant = "[]{}:,-#&*!|>'\"%@` \t\n0123456789xé";
  netsim::Rng rng(7, netsim::Rng::StreamId("scenario-grind"));
  for (int round = 0; round < 2000; ++round) {
    std::string text(kFull);
    const int edits = 1 + static_cast<int>(rng.Uniform(3));
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = rng.Uniform(text.size());
      switch (rng.Uniform(3)) {
        case 0:
          text.erase(at, 1 + rng.Uniform(8));
          break;
        case 1:
          text.insert(at, text.substr(at, 1 + rng.Uniform(8)));
          break;
        default:
          text[at] = kSignificant[rng.Uniform(kSignificant.size())];
          break;
      }
    }
    const Result<Scenario> r = ParseScenario(text, "s.yaml");
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.rfind("s.yaml:", 0), 0u) << r.error().message;
      EXPECT_NE(r.error().message.find("; expected "), std::string::npos) << r.error().message;
    }
  }
}

// ---- files ----

class ScenarioLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("scenario_load_" +
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

TEST_F(ScenarioLoadTest, LoadsAFileAndNamesItInPositions) {
  const std::string path = Write("full.yaml", kFull);
  const Result<Scenario> r = LoadScenario(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, path);
  EXPECT_EQ(r->world.bodies[0].pos.Describe(), path + ":10:7");
}

TEST_F(ScenarioLoadTest, ErrorsNameTheFile) {
  const std::string path = Write("bad.yaml", "scenario: t\nwrld: {}\n");
  const Result<Scenario> r = LoadScenario(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(path + ":2:1: unknown field 'wrld'", 0), 0u)
      << r.error().message;
}

TEST_F(ScenarioLoadTest, MissingFile) {
  const std::string path = (dir_ / "nope.yaml").string();
  const Result<Scenario> r = LoadScenario(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(path + ": no such file", 0), 0u) << r.error().message;
}

TEST_F(ScenarioLoadTest, DirectoryIsNotAScenario) {
  const Result<Scenario> r = LoadScenario(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(dir_.string() + ": not a regular file", 0), 0u)
      << r.error().message;
}

// ---- load ----

// kHead, then "load:" on line 5 and these lines from line 6.
std::string WithLoad(std::string_view lines) { return Cat({kHead, "load:\n", lines}); }

TEST(ScenarioLoadSectionTest, OpenLoadParsesToExactValues) {
  const Result<Scenario> r =
      ParseScenario(WithLoad("  requester: 長岡市\n"
                             "  provider: \"041009\"\n"
                             "  at: 5m\n"
                             "  open:\n"
                             "    stages:\n"
                             "      - {duration: 10m, rate: 2/s}\n"
                             "      - {duration: 1h, rate: 30/m, to: 0.5/s}\n"
                             "  mix:\n"
                             "    - {weight: 9, jt: JT00160200000001}\n"
                             "    - {weight: 1, jt: JT00160200000002, tm: [TM00160200000001]}\n"
                             "  max_in_flight: 50\n"),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->load.has_value());
  const LoadSpec& load = *r->load;
  EXPECT_EQ(load.requester, "152021");
  EXPECT_EQ(load.provider, "041009");
  EXPECT_EQ(load.at, Duration::Minutes(5));
  EXPECT_EQ(load.model, LoadSpec::Model::kOpen);
  ASSERT_EQ(load.stages.size(), 2u);
  EXPECT_EQ(load.stages[0].duration, Duration::Minutes(10));
  EXPECT_DOUBLE_EQ(load.stages[0].rate, 2.0);
  EXPECT_DOUBLE_EQ(load.stages[0].to, 2.0);
  EXPECT_DOUBLE_EQ(load.stages[1].rate, 0.5);
  EXPECT_DOUBLE_EQ(load.stages[1].to, 0.5);
  EXPECT_EQ(load.Span(), Duration::Minutes(70));
  ASSERT_EQ(load.mix.size(), 2u);
  EXPECT_EQ(load.mix[0].weight, 9);
  EXPECT_EQ(load.mix[1].jt, "JT00160200000002");
  EXPECT_EQ(load.mix[1].jm, "JM00160200000000");
  EXPECT_EQ(load.max_in_flight, 50);
}

TEST(ScenarioLoadSectionTest, ClosedLoadWithDefaults) {
  const Result<Scenario> r = ParseScenario(WithLoad("  requester: \"152021\"\n"
                                                    "  provider: 仙台市\n"
                                                    "  closed: {clients: 20, duration: 30m}\n"),
                                           "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const LoadSpec& load = *r->load;
  EXPECT_EQ(load.model, LoadSpec::Model::kClosed);
  EXPECT_EQ(load.clients, 20);
  EXPECT_EQ(load.think, Duration());
  EXPECT_EQ(load.duration, Duration::Minutes(30));
  ASSERT_EQ(load.mix.size(), 1u);
  EXPECT_EQ(load.mix[0].jt, "JT00160200000001");
  EXPECT_EQ(load.mix[0].tm, std::vector<std::string>{"TM00160200000001"});
  EXPECT_EQ(load.max_in_flight, 0);
}

TEST(ScenarioLoadSectionTest, LatencyAndLateArrivalExpectations) {
  const Result<Scenario> r =
      ParseScenario(WithLoad("  {requester: \"152021\", provider: \"041009\", "
                             "open: {stages: [{duration: 1m, rate: 1/s}]}}\n"
                             "expect:\n"
                             "  - {latency: {p95: 2s}}\n"
                             "  - {late_arrivals: {max: 0}}\n"),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->expect.size(), 2u);
  EXPECT_EQ(r->expect[0].kind, Expectation::Kind::kLatency);
  EXPECT_EQ(r->expect[0].percentile, "p95");
  EXPECT_EQ(r->expect[0].bound, Duration::Seconds(2));
  EXPECT_EQ(r->expect[1].kind, Expectation::Kind::kLateArrivals);
  EXPECT_EQ(r->expect[1].max, 0);
}

TEST(ScenarioLoadSectionTest, CalendarRepeatsTheDayWithFactorsAndClosedDates) {
  // The default start, 2024-06-03, is a Monday.
  const Result<Scenario> r =
      ParseScenario(WithLoad("  requester: \"152021\"\n"
                             "  provider: \"041009\"\n"
                             "  open:\n"
                             "    stages: [{duration: 8h, rate: 2/s}]\n"
                             "    days: 30\n"
                             "    weekly: {sat: 0.1, sun: 0}\n"
                             "    monthly: {jun: 1.5}\n"
                             "    closed: [2024-06-12, 2024-06-05, 2024-06-10..2024-06-12]\n"),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const LoadSpec& load = *r->load;
  EXPECT_EQ(load.days, 30);
  EXPECT_EQ(load.Span(), Duration::Days(29) + Duration::Hours(8));
  EXPECT_DOUBLE_EQ(load.weekly[5], 0.1);
  EXPECT_DOUBLE_EQ(load.weekly[6], 0.0);
  EXPECT_DOUBLE_EQ(load.weekly[0], 1.0);
  EXPECT_DOUBLE_EQ(load.monthly[5], 1.5);
  EXPECT_DOUBLE_EQ(load.monthly[6], 1.0);
  const auto day = [](int m, int d) {
    return netsim::FromCivil(netsim::CivilTime{2024, m, d, 9, 0, 0, 0});
  };
  EXPECT_EQ(load.closed,
            (std::vector<int64_t>{
                netsim::DaysFromCivil(2024, 6, 5), netsim::DaysFromCivil(2024, 6, 10),
                netsim::DaysFromCivil(2024, 6, 11), netsim::DaysFromCivil(2024, 6, 12)}));
  EXPECT_DOUBLE_EQ(load.DayFactor(day(6, 3)), 1.5);   // a Monday in June
  EXPECT_DOUBLE_EQ(load.DayFactor(day(6, 5)), 0.0);   // closed
  EXPECT_DOUBLE_EQ(load.DayFactor(day(6, 8)), 0.15);  // a Saturday in June
  EXPECT_DOUBLE_EQ(load.DayFactor(day(6, 9)), 0.0);   // a Sunday
  EXPECT_DOUBLE_EQ(load.DayFactor(day(7, 1)), 1.0);   // a Monday in July
  // 57,600 a day × (16 open June weekdays × 1.5 + 4 Saturdays × 0.15 + 2 July weekdays).
  EXPECT_NEAR(load.ExpectedArrivals(r->start), 57'600 * 26.6, 1e-3);
  EXPECT_NEAR(load.ExpectedArrivals(r->start, 0.01), 576 * 26.6, 1e-3);
}

TEST(ScenarioLoadSectionTest, WithoutACalendarOneDayAtFactorOne) {
  const Result<Scenario> r =
      ParseScenario(WithLoad("  {requester: \"152021\", provider: \"041009\", "
                             "open: {stages: [{duration: 1m, rate: 1/s, to: 3/s}]}}\n"),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->load->days, 1);
  EXPECT_TRUE(r->load->closed.empty());
  EXPECT_DOUBLE_EQ(r->load->DayFactor(r->start), 1.0);
  EXPECT_NEAR(r->load->ExpectedArrivals(r->start), 120.0, 1e-9);
}

// "  open:" on line 8, its stages on line 9 and `calendar` from line 10.
std::string WithCalendar(std::string_view calendar, std::string_view stages = "duration: 1h") {
  return WithLoad(
      Cat({"  requester: \"152021\"\n  provider: \"041009\"\n  open:\n"
           "    stages: [{",
           stages, ", rate: 1/s}]\n", calendar}));
}

TEST(ScenarioLoadErrorTest, CalendarMistakesAreNamed) {
  EXPECT_TRUE(FailsAt(WithCalendar("    days: 0\n"), "10:11",
                      "days '0' is out of range; expected an integer from 1 to 365"));
  EXPECT_TRUE(FailsAt(WithCalendar("    weekly: {mon: 1, sa: 0}\n"), "10:22",
                      "unknown name 'sa' in weekly; expected one of mon, tue, wed, thu, fri, "
                      "sat, sun"));
  EXPECT_TRUE(FailsAt(WithCalendar("    weekly: {mon: 1, mon: 2}\n"), "10:22",
                      "'mon' appears twice in weekly"));
  EXPECT_TRUE(FailsAt(WithCalendar("    monthly: {apr: -1}\n"), "10:20",
                      "monthly.apr '-1' is out of range; expected a factor from 0 to 100"));
  EXPECT_TRUE(FailsAt(WithCalendar("    monthly: {apr: lots}\n"), "10:20",
                      "monthly.apr 'lots' is not a number"));
  EXPECT_TRUE(FailsAt(WithCalendar("    monthly: [1, 2]\n"), "10:14",
                      "monthly is a list; expected a map such as {jan: 1.2, dec: 0.1}"));
  EXPECT_TRUE(FailsAt(WithCalendar("    days: 3\n    closed: [2024-06-06]\n"), "11:14",
                      "closed[1] '2024-06-06' is not among the load's days; expected dates from "
                      "2024-06-03 to 2024-06-05"));
  EXPECT_TRUE(FailsAt(WithCalendar("    days: 3\n    closed: [2024-06-02..2024-06-04]\n"), "11:14",
                      "is not among the load's days"));
  EXPECT_TRUE(FailsAt(WithCalendar("    closed: [2024-06-04..2024-06-03]\n"), "10:14",
                      "closed[1] '2024-06-04..2024-06-03' ends before it begins"));
  EXPECT_TRUE(
      FailsAt(WithCalendar("    closed: [2024-02-30]\n"), "10:14",
              "closed[1] '2024-02-30' is not a date; expected a date YYYY-MM-DD or a range"));
  EXPECT_TRUE(FailsAt(WithCalendar("    days: 2\n", "duration: 25h"), "10:11",
                      "the stages last 90000 s, longer than the day they repeat on"));
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n  provider: \"041009\"\n  at: 2d\n"
                               "  open: {stages: [{duration: 1h, rate: 1/s}], days: 365}\n"),
                      "9:53", "the load ends more than 365 days after the start"));
}

TEST(ScenarioLoadErrorTest, NegativeRate) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: -2/s}]}\n"),
                      "8:40", "rate '-2/s' is negative; expected a rate above 0"));
}

TEST(ScenarioLoadErrorTest, ZeroRateInARamp) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s, to: 0/s}]}\n"),
                      "8:49", "to '0/s' is zero"));
}

TEST(ScenarioLoadErrorTest, RateWithoutAUnit) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 5}]}\n"),
                      "8:40", "rate '5' is not a rate; expected a rate above 0 written as"));
}

TEST(ScenarioLoadErrorTest, EmptyStages) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: []}\n"),
                      "8:18", "open.stages is an empty list"));
}

TEST(ScenarioLoadErrorTest, StageWithItsOwnStartCouldOverlap) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open:\n"
                               "    stages:\n"
                               "      - {duration: 10m, rate: 1/s}\n"
                               "      - {start: 5m, duration: 10m, rate: 2/s}\n"),
                      "11:10", "a stage with its own start (stages run back to back"));
}

TEST(ScenarioLoadErrorTest, ZeroStageDuration) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 0, rate: 1/s}]}\n"),
                      "8:30", "duration '0' is zero; expected a duration above 0"));
}

TEST(ScenarioLoadErrorTest, BothOpenAndClosed) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s}]}\n"
                               "  closed: {clients: 2, duration: 1m}\n"),
                      "9:3", "a load with both open and closed; expected exactly one of open"));
}

TEST(ScenarioLoadErrorTest, NeitherOpenNorClosed) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"),
                      "6:3", "load has no open or closed"));
}

TEST(ScenarioLoadErrorTest, ZeroClients) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  closed: {clients: 0, duration: 1m}\n"),
                      "8:21", "clients '0' is out of range; expected an integer from 1 to 10000"));
}

TEST(ScenarioLoadErrorTest, NegativeThink) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  closed: {clients: 2, think: -2s, duration: 1m}\n"),
                      "8:31", "think '-2s' is negative"));
}

TEST(ScenarioLoadErrorTest, ZeroWeight) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s}]}\n"
                               "  mix: [{weight: 0}]\n"),
                      "9:18", "weight '0' is out of range; expected an integer from 1 to"));
}

TEST(ScenarioLoadErrorTest, BadProcedureCodeInMix) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s}]}\n"
                               "  mix: [{weight: 1, jt: JM00160200000001}]\n"),
                      "9:25", "expected a JT code"));
}

TEST(ScenarioLoadErrorTest, ProviderWithoutMoversToQuery) {
  // The movers went from 041009 to 152021; the reverse direction has nobody to query.
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"041009\"\n"
                               "  provider: \"152021\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s}]}\n"),
                      "7:13", "the load has nobody to query: no movers from 152021 to 041009"));
}

TEST(ScenarioLoadErrorTest, UndeclaredRequester) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: 新宿区\n"
                               "  provider: \"041009\"\n"
                               "  open: {stages: [{duration: 1m, rate: 1/s}]}\n"),
                      "6:14", "requester '新宿区' is not a body declared in world.bodies"));
}

TEST(ScenarioLoadErrorTest, UnknownFieldInLoad) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  rate: 2/s\n"),
                      "8:3", "unknown field 'rate' in load; expected one of requester, provider"));
}

TEST(ScenarioLoadErrorTest, MaxInFlightWithAClosedLoad) {
  EXPECT_TRUE(FailsAt(WithLoad("  requester: \"152021\"\n"
                               "  provider: \"041009\"\n"
                               "  closed: {clients: 2, duration: 1m}\n"
                               "  max_in_flight: 5\n"),
                      "9:3", "max_in_flight with a closed load"));
}

TEST(ScenarioLoadErrorTest, TimelineIdReservedForLoadQueries) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, query: {id: load-000001, from: \"152021\", to: "
                           "\"041009\", person: 1}}\n"}),
                      "6:26", "starts with 'load-'"));
}

TEST(ScenarioLoadErrorTest, LatencyWithTwoPercentiles) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {latency: {p95: 2s, p99: 5s}}\n"}), "6:25",
                      "latency with both p95 and p99"));
}

TEST(ScenarioLoadErrorTest, UnknownPercentile) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {latency: {p90: 2s}}\n"}), "6:16",
                      "unknown field 'p90' in latency; expected one of p50, p95, p99, max"));
}

TEST(ScenarioLoadErrorTest, LateArrivalsWithoutALoad) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "expect:\n", "  - {late_arrivals: {max: 3}}\n"}), "6:6",
                      "late_arrivals without a load section"));
}

// ---- payload sizes in the mix ----

constexpr std::string_view kLoadHead =
    "  requester: \"152021\"\n"
    "  provider: \"041009\"\n"
    "  open: {stages: [{duration: 1m, rate: 1/s}]}\n";

TEST(ScenarioLoadSectionTest, MixPayloadSizesInDecimalAndBinaryUnits) {
  const Result<Scenario> r = ParseScenario(
      WithLoad(
          Cat({kLoadHead, "  mix:\n", "    - {weight: 5, tm: [TM00160200000001], payload: 2KB}\n",
               "    - {jm: JM10000100000000, jt: JT10000100000001, tm: [TM00000100000001, "
               "TM00000200000001], payload: 4KiB}\n",
               "    - {jt: JT00160200000002, tm: [TM00160200000001]}\n",
               "    - {jt: JT00160200000002, tm: [TM00160200000001], payload: 2000B}\n",
               "    - {jm: JM10000200000000, jt: JT10000200000001, tm: [TM00000300000001], "
               "payload: 1MiB}\n"})),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const LoadSpec& load = *r->load;
  ASSERT_EQ(load.mix.size(), 5u);
  EXPECT_EQ(load.mix[0].payload_bytes, 2000);
  EXPECT_EQ(load.mix[1].payload_bytes, 4096);
  EXPECT_EQ(load.mix[2].payload_bytes, 0);  // the records the world holds anyway
  EXPECT_EQ(load.mix[3].payload_bytes, 2000);
  EXPECT_EQ(load.mix[4].payload_bytes, 1 << 20);
}

TEST(ScenarioLoadErrorTest, MixPayloadInAnUnknownUnit) {
  EXPECT_TRUE(FailsAt(WithLoad(Cat({kLoadHead, "  mix: [{payload: 2GB}]\n"})), "9:19",
                      "payload '2GB' is not a size; expected a size written as a whole number "
                      "followed by B, KB, KiB, MB or MiB"));
}

TEST(ScenarioLoadErrorTest, MixPayloadWithoutUnit) {
  EXPECT_TRUE(FailsAt(WithLoad(Cat({kLoadHead, "  mix: [{payload: 2048}]\n"})), "9:19",
                      "payload '2048' is not a size"));
}

TEST(ScenarioLoadErrorTest, MixPayloadOfZeroBytes) {
  EXPECT_TRUE(FailsAt(WithLoad(Cat({kLoadHead, "  mix: [{payload: 0KB}]\n"})), "9:19",
                      "payload '0KB' is empty"));
}

TEST(ScenarioLoadErrorTest, MixPayloadAboveTheReplicaStoreLimit) {
  EXPECT_TRUE(FailsAt(WithLoad(Cat({kLoadHead, "  mix: [{payload: 2MiB}]\n"})), "9:19",
                      "payload '2MiB' is too high; expected a size of at most 1MiB"));
}

TEST(ScenarioLoadErrorTest, MixPayloadNegative) {
  EXPECT_TRUE(FailsAt(WithLoad(Cat({kLoadHead, "  mix: [{payload: -2KB}]\n"})), "9:19",
                      "payload '-2KB' is negative"));
}

TEST(ScenarioLoadErrorTest, OneItemWithTwoPayloadSizes) {
  EXPECT_TRUE(
      FailsAt(WithLoad(Cat({kLoadHead, "  mix:\n", "    - {tm: [TM00160200000001], payload: 2KB}\n",
                            "    - {jt: JT00160200000002, payload: 4KB}\n"})),
              "11:7",
              "TM00160200000001 gets records of 4000 bytes here and 2000 bytes at "
              "s.yaml:10:41; expected one payload size per data item across the mix"));
}

// ---- move_out and death ----

TEST(ScenarioTimelineTest, MoveOutAndDeathNameABodyAndAMover) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead, "timeline:\n", "  - {at: 1m, move_out: {body: 長岡市, person: 2}}\n",
           "  - {at: 2m, death: {body: \"041009\", person: 3}}\n",
           "  - {at: 3m, move_out: {body: 長岡市, person: 3}}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->timeline.size(), 3u);
  EXPECT_EQ(r->timeline[0].kind, TimelineEvent::Kind::kMoveOut);
  EXPECT_EQ(r->timeline[0].status.body, "152021");
  EXPECT_EQ(r->timeline[0].status.person, 2);
  EXPECT_EQ(r->timeline[1].kind, TimelineEvent::Kind::kDeath);
  EXPECT_EQ(r->timeline[1].status.body, "041009");
  EXPECT_EQ(r->timeline[1].status.person, 3);
}

TEST(ScenarioErrorTest, StatusChangeAfterDeathAtTheSameBody) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "timeline:\n", "  - {at: 5m, move_out: {body: 仙台市, person: 3}}\n",
                   "  - {at: 2m, death: {body: \"041009\", person: 3}}\n"}),
              "6:44",
              "move_out at 041009 for person 3 after their death there (at s.yaml:7:5); "
              "expected no status change after a death"));
}

TEST(ScenarioErrorTest, TwoDeathsOfOnePersonAtOneBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, death: {body: 長岡市, person: 1}}\n",
                           "  - {at: 1m, death: {body: 長岡市, person: 1}}\n"}),
                      "7:41", "death at 152021 for person 1 after their death there"));
}

TEST(ScenarioErrorTest, MoveOutWithoutBody) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, move_out: {person: 1}}\n"}), "6:24",
                      "a move_out has no 'body'"));
}

TEST(ScenarioErrorTest, WithWithoutUse) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, with: {id: q1}}\n"}), "6:14",
                      "an event with 'with' but no 'use'; expected use: <a template's name>"));
}

TEST(ScenarioErrorTest, UnknownEventFieldListsTemplateUse) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n", "  - {at: 1m, usee: x}\n"}), "6:14",
                      "unknown field 'usee' in an event; expected one of at, query, decide, "
                      "fault, move_in, move_out, death, attack, batch, flag, replica, "
                      "rotate_key, partition, loss, narration, use, with"));
}

TEST(ScenarioNarrationTest, FoldedJapaneseLinesJoinWithoutSpaces) {
  const Result<Scenario> r =
      ParseScenario(Cat({"narration:\n", "  ja: >-\n", "    長岡市からの照会は\n",
                         "    保留となり、職員が Web 画面で\n", "    確認します。\n", "  en: >-\n",
                         "    Queries are\n", "    held.\n", kHead}),
                    "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->narration_ja, "長岡市からの照会は保留となり、職員が Web 画面で確認します。");
  EXPECT_EQ(r->narration_en, "Queries are held.");
}

// ---- staff accounts ----

TEST(ScenarioStaffTest, AccountsWithRolesAndDecisionsByThem) {
  const Result<Scenario> r = ParseScenario(
      Cat({kHead,
           "  staff:\n"
           "    - {body: 仙台市, account: chief, name: 係長, roles: [reviewer, auditor]}\n"
           "    - {body: \"041009\", account: clerk, roles: log-viewer}\n",
           "timeline:\n", kQueryQ1,
           "  - {at: 1h, decide: {query: q1, decision: refuse, reason: r, by: chief}}\n"}),
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->world.staff.size(), 2u);
  EXPECT_EQ(r->world.staff[0].body, "041009");
  EXPECT_EQ(r->world.staff[0].name, "係長");
  EXPECT_EQ(r->world.staff[0].role_names, "reviewer,auditor");
  EXPECT_EQ(r->world.staff[1].name, "clerk");
  EXPECT_EQ(r->timeline[1].decision.by, "chief");
}

TEST(ScenarioErrorTest, StaffWithAnUnknownRole) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "  staff: [{body: 仙台市, account: a, roles: [approver]}]\n"}),
                      "5:42", "roles: unknown role 'approver'"));
}

TEST(ScenarioErrorTest, StaffAccountEveryBodyHas) {
  EXPECT_TRUE(
      FailsAt(Cat({kHead, "  staff: [{body: 仙台市, account: reviewer, roles: [auditor]}]\n"}),
              "5:32", "account reviewer is one every body already has"));
}

TEST(ScenarioErrorTest, StaffAccountTwice) {
  EXPECT_TRUE(FailsAt(Cat({kHead,
                           "  staff:\n"
                           "    - {body: 仙台市, account: a, roles: [auditor]}\n"
                           "    - {body: 仙台市, account: a, roles: [reviewer]}\n"}),
                      "7:28", "account a of 041009 is declared twice (first at s.yaml:6:7)"));
}

TEST(ScenarioErrorTest, StaffAccountWithCapitals) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "  staff: [{body: 仙台市, account: Chief, roles: [auditor]}]\n"}),
                      "5:32", "account 'Chief' is not valid"));
}

TEST(ScenarioErrorTest, DecisionByAnAccountTheProviderLacks) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "  staff: [{body: 長岡市, account: chief, roles: [reviewer]}]\n",
                           "timeline:\n", kQueryQ1,
                           "  - {at: 1h, decide: {query: q1, decision: approve, reason: r, by: "
                           "chief}}\n"}),
                      "8:68",
                      "by names 'chief', which is no staff account of 041009 (the provider of "
                      "query q1)"));
}

// ---- the world from files: residents_file, replicas_file, permit_list ----

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ScenarioFilesTest : public testing::ScratchDir {
 protected:
  // Two people as renkei gen residents writes them, numbered by `lgcode` from `serial`.
  std::string Residents(const std::string& name, const std::string& lgcode,
                        int64_t serial = 100000001) {
    char a1[32], a2[32];
    std::snprintf(a1, sizeof a1, "%09lld", static_cast<long long>(serial));
    std::snprintf(a2, sizeof a2, "%09lld", static_cast<long long>(serial + 1));
    const std::string atena1 = lgcode + a1;
    const std::string atena2 = lgcode + a2;
    return Write(
        name,
        "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n"
        "811800323434,73961763433," +
            atena1 +
            ",田中 弘子,タナカ ヒロコ,女,1955-03-02,宮城県仙台市青葉区本町一丁目24番3号\n"
            "522211926836,71595194860," +
            atena2 +
            ",柴田 太郎,シバタ タロウ,男,1989-12-17,宮城県仙台市若林区連坊二丁目4番16号\n");
  }
  static constexpr std::string_view kReplicaHeader =
      "record_id,atena_number,tm,dataset_item_code,record_key,data_version,publish_from,"
      "publish_to,ward_code,payload\n";
  std::string Replicas(const std::string& rows) {
    return Write("replicas.csv", std::string(kReplicaHeader) + rows);
  }
  // A world of 仙台市 with the files given (lines 1-4), then `rest`.
  std::string World(const std::string& sendai_fields, const std::string& rest = "") {
    return "scenario: t\n"
           "world:\n"
           "  bodies:\n"
           "    - {code: \"041009\", " +
           sendai_fields + "}\n" + rest;
  }
};

TEST_F(ScenarioFilesTest, ResidentsReplicasAndPermitListAreRead) {
  const std::string sendai = Residents("sendai.csv", "041009");
  const std::string nagaoka = Residents("nagaoka.csv", "152021");
  const std::string replicas = Replicas(
      "R1,041009100000001,TM00160200000001,VACC-RECORD,dose-1,1,2021-06-01,,041017,"
      "\"{\"\"dose\"\":1}\"\n");
  const std::string list =
      Write("list.csv", Read(fs::path(RENKEI_SOURCE_DIR) / "netsim/data/permit_list.csv"));
  const Result<Scenario> r = ParseScenario(
      "scenario: t\n"
      "world:\n"
      "  permit_list: " +
          list +
          "\n"
          "  bodies:\n"
          "    - {code: \"041009\", residents_file: " +
          sendai + ", replicas_file: " + replicas +
          "}\n"
          "    - {code: \"152021\", residents_file: " +
          nagaoka +
          "}\n"
          "timeline:\n"
          "  - {at: 1m, query: {id: q1, from: 長岡市, to: 仙台市, atena: \"152021100000002\"}}\n",
      "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.permit_list, list);
  const BodySpec& b = r->world.bodies[0];
  ASSERT_EQ(b.file_residents.size(), 2u);
  EXPECT_EQ(b.file_residents[1].atena_number, "041009100000002");
  EXPECT_EQ(b.file_residents[1].name, "柴田 太郎");
  ASSERT_EQ(b.file_replicas.size(), 1u);
  EXPECT_EQ(b.file_replicas[0].line, 2);
  EXPECT_EQ(b.file_replicas[0].atena, "041009100000001");
  EXPECT_EQ(b.file_replicas[0].record.payload, "{\"dose\":1}");
  EXPECT_EQ(r->timeline[0].query.atena, "152021100000002");
  EXPECT_EQ(r->timeline[0].query.person, 0);
}

TEST_F(ScenarioFilesTest, ResidentsFileRelativeToTheScenario) {
  Residents("sendai.csv", "041009");
  const std::string scenario = Write("s.yaml", World("residents_file: sendai.csv"));
  const Result<Scenario> r = LoadScenario(scenario);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->world.bodies[0].file_residents.size(), 2u);
}

TEST_F(ScenarioFilesTest, MissingResidentsFile) {
  EXPECT_TRUE(FailsAt(World("residents_file: no_such.csv"), "4:40",
                      "residents_file 'no_such.csv' is not a file"));
}

TEST_F(ScenarioFilesTest, ResidentsFileWithAWrongHeader) {
  const std::string f = Write("bad.csv", "my_number,atena\n1,2\n");
  EXPECT_TRUE(FailsAt(World("residents_file: " + f), "4:40",
                      f + ":1: the header must be 個人番号,住民票コード,宛名番号"));
}

TEST_F(ScenarioFilesTest, ResidentWithABadCheckDigitNamesTheLineNotTheNumber) {
  const std::string f = Write("bad.csv",
                              "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n"
                              "811800323435,73961763433,041009100000001,田中 弘子,タナカ ヒロコ,"
                              "女,1955-03-02,宮城県仙台市青葉区本町一丁目24番3号\n");
  const Result<Scenario> r = ParseScenario(World("residents_file: " + f), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, f + ":2: 個人番号: not a valid 個人番号"))
      << r.error().message;
  EXPECT_FALSE(Has(r.error().message, "811800323435")) << r.error().message;
}

TEST_F(ScenarioFilesTest, ResidentWithAShortRow) {
  const std::string f = Write("bad.csv",
                              "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n"
                              "811800323434,73961763433,041009100000001\n");
  EXPECT_TRUE(FailsAt(World("residents_file: " + f), "4:40", f + ":2: expected 8 columns, got 3"));
}

TEST_F(ScenarioFilesTest, ResidentNumberedByAnotherBody) {
  const std::string f = Residents("nagaoka.csv", "152021");
  EXPECT_TRUE(FailsAt(World("residents_file: " + f), "4:40",
                      "宛名番号 152021100000001 is not numbered by 041009"));
}

TEST_F(ScenarioFilesTest, ResidentInTheSeriesRenkeiNumbers) {
  const std::string f = Residents("sendai.csv", "041009", 1);
  EXPECT_TRUE(FailsAt(World("residents_file: " + f), "4:40",
                      "宛名番号 041009000000001 is in a series renkei numbers itself; expected "
                      "serials 100000000 to 499999999"));
}

TEST_F(ScenarioFilesTest, ReplicasFileWithoutResidentsFile) {
  const std::string rep = Replicas("");
  EXPECT_TRUE(
      FailsAt(World("replicas_file: " + rep), "4:24", "replicas_file without residents_file"));
}

TEST_F(ScenarioFilesTest, ReplicaOfSomeoneNotInTheResidentsFile) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Replicas(
      "R1,041009100000009,TM00160200000001,V,dose-1,1,2021-06-01,,"
      "041017,x\n");
  EXPECT_TRUE(FailsAt(
      World("residents_file: " + res + ", replicas_file: " + rep),
      "4:" + std::to_string(40 + res.size() + 17),
      rep + ":2: atena_number (a value with 12 or more digits, not shown) is not a resident of " +
          res));
}

TEST_F(ScenarioFilesTest, ReplicaWithAWardCodeOfAnotherPrefecture) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Replicas(
      "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,"
      "152021,x\n");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, rep + ":2: ward_code: 152021 is not in the prefecture"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, ReplicaRecordIdTwiceAndABadVersion) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string row = "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n";
  const std::string twice = Replicas(row + row);
  auto r = ParseScenario(World("residents_file: " + res + ", replicas_file: " + twice), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, twice + ":3: record_id R1 appears twice (first at line 2)"))
      << r.error().message;
  const std::string version =
      Replicas("R1,041009100000001,TM00160200000001,V,dose-1,one,2021-06-01,,041017,x\n");
  r = ParseScenario(World("residents_file: " + res + ", replicas_file: " + version), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, ":2: data_version: a whole number required, got 'one'"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, ReplicaPayloadMayHoldAQuotedLineBreak) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Replicas(
      "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,"
      "\"first line\r\nsecond, \"\"quoted\"\"\n\nlast\"\r\n"
      "R2,041009100000002,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::vector<FileReplica>& replicas = r->world.bodies[0].file_replicas;
  ASSERT_EQ(replicas.size(), 2u);
  EXPECT_EQ(replicas[0].record.payload, "first line\nsecond, \"quoted\"\n\nlast");
  EXPECT_EQ(replicas[0].line, 2);
  EXPECT_EQ(replicas[1].line, 6);
}

TEST_F(ScenarioFilesTest, ReplicaLinesCountTheLinesOfAQuotedPayload) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string row = "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,";
  const std::string rep = Replicas(row + "\"a\nb\nc\"\n" + row + "x\n");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, rep + ":5: record_id R1 appears twice (first at line 2)"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, ReplicaWithAQuoteLeftOpenNamesTheFileAndTheLine) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Replicas(
      "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n"
      "R2,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,\"open\n"
      "R3,041009100000002,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n");
  EXPECT_TRUE(FailsAt(World("residents_file: " + res + ", replicas_file: " + rep),
                      "4:" + std::to_string(40 + res.size() + 17),
                      rep + ":3: column 10: quoted field is not closed"));
}

TEST_F(ScenarioFilesTest, ReplicaWithAQuoteInsideAnUnquotedField) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep =
      Replicas("R1,041009100000001,TM00160200000001,V,dose\"1,1,2021-06-01,,041017,x\n");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, rep + ":2: column 5: quote inside an unquoted field"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, ReplicaWithTextAfterAClosingQuote) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Replicas(
      "R1,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n"
      "\n"
      "\"R2\"x,041009100000001,TM00160200000001,V,dose-1,1,2021-06-01,,041017,x\n");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, rep + ":4: column 1: text after the closing quote"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, EmptyReplicasFile) {
  const std::string res = Residents("sendai.csv", "041009");
  const std::string rep = Write("replicas.csv", "");
  const Result<Scenario> r =
      ParseScenario(World("residents_file: " + res + ", replicas_file: " + rep), "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, rep + ":1: empty file; expected the header record_id,"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, PermitListThatDoesNotParse) {
  const std::string list = Write("list.csv", "not a permit list\n");
  const Result<Scenario> r = ParseScenario(
      "scenario: t\nworld:\n  permit_list: " + list + "\n  bodies: [{code: \"041009\"}]\n",
      "s.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Has(r.error().message, "s.yaml:3:16: ")) << r.error().message;
  EXPECT_TRUE(Has(r.error().message,
                  "expected a CSV file in the format of "
                  "netsim/data/permit_list.csv"))
      << r.error().message;
}

TEST_F(ScenarioFilesTest, QueryWithBothPersonAndAtena) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", "
                           "person: 1, atena: \"152021100000001\"}}\n"}),
                      "6:71", "a query with both person and atena"));
}

TEST_F(ScenarioFilesTest, QueryForAnAtenaNotInTheRequestersFile) {
  EXPECT_TRUE(FailsAt(Cat({kHead, "timeline:\n",
                           "  - {at: 1m, query: {id: q1, from: \"152021\", to: \"041009\", "
                           "atena: \"152021100000001\"}}\n"}),
                      "6:67", "is not a resident of 長岡市 (it has no residents_file)"));
}

}  // namespace
}  // namespace renkei::scenarios
