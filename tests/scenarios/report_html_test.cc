// The HTML report: a self-contained, escaped, deterministic page that shows the verdict, the
// expectations and one timeline bar per query; and `renkei run` writes it.
#include "scenarios/report_html.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "cli_test_support.h"
#include "netsim/time.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;
using netsim::Duration;
using netsim::SimTime;

size_t Count(const std::string& s, std::string_view part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

ExpectationResult StatusExpectation(const std::string& query, const std::string& status,
                                    bool passed, const std::string& actual, int line) {
  ExpectationResult r;
  r.expectation.kind = Expectation::Kind::kQueryStatus;
  r.expectation.query = query;
  r.expectation.status = status;
  r.expectation.pos = SourcePos{"demo.yaml", line, 5};
  r.passed = passed;
  r.actual = actual;
  return r;
}

// Three queries: one answered, one refused after an hour, one still open.
RunSummary Summary() {
  RunSummary s;
  s.scenario = "転入 demo";
  s.seed = 42;
  s.started_at = netsim::FromCivil({2024, 4, 1, 9, 0, 0, 0});
  s.finished_at = s.started_at + Duration::Hours(3);
  s.events = 1234;
  s.queries = 3;
  s.status_counts = {{"09", 1}, {"21", 1}, {"open", 1}};
  s.p50 = Duration::Millis(250);
  s.p95 = s.p99 = s.max = Duration::Hours(1);
  const SimTime t = s.started_at + Duration::Minutes(1);
  s.outcomes.push_back({"q-answered", "長岡市", "仙台市", t, t + Duration::Millis(250), "09", ""});
  s.outcomes.push_back(
      {"q-refused", "長岡市", "仙台市", t, t + Duration::Hours(1), "21", "提供拒否"});
  s.outcomes.push_back({"q-open", "長岡市", "仙台市", t, std::nullopt, "open", ""});
  s.narration = {"[09:00:00.000] setup", "[09:01:00.000] q-answered: 09"};
  s.expectations.push_back(StatusExpectation("q-answered", "09", true, "09", 10));
  s.wall_seconds = 0.5;
  s.wall_queries_per_second = 6;
  s.peak_rss_kib = 1000;
  return s;
}

TEST(HtmlReportTest, IsOneSelfContainedHtmlPage) {
  const std::string html = HtmlReport(Summary(), "仙台市の記録", "Sendai's records");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(Count(html, "<html"), 1u);
  EXPECT_EQ(Count(html, "</html>"), 1u);
  EXPECT_GE(Count(html, "<svg"), 3u);
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "http://"), 0u);
  EXPECT_EQ(Count(html, "https://"), 0u);
  EXPECT_EQ(Count(html, "src="), 0u);
  EXPECT_EQ(Count(html, "<script"), 0u);
  EXPECT_EQ(Count(html, "<link"), 0u);
  EXPECT_NE(html.find("charset=\"utf-8\""), std::string::npos);
  EXPECT_NE(html.find("仙台市の記録"), std::string::npos);
  EXPECT_NE(html.find("Sendai&#39;s records"), std::string::npos);
}

TEST(HtmlReportTest, EscapesScenarioNameAndTexts) {
  RunSummary s = Summary();
  s.scenario = "<script>alert('x')</script> & \"more\"";
  s.outcomes[0].id = "<b>q</b>";
  const std::string html = HtmlReport(s, "<i>ja</i>", "<i>en</i>");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"),
            std::string::npos);
}

TEST(HtmlReportTest, ShowsPassForAPassingRun) {
  const std::string html = HtmlReport(Summary(), "", "");
  EXPECT_NE(html.find("<span class=\"pass\">PASS</span>"), std::string::npos);
  EXPECT_EQ(html.find("FAIL"), std::string::npos);
}

TEST(HtmlReportTest, ShowsFailAndTheActualValueOfAFailedExpectation) {
  RunSummary s = Summary();
  s.expectations.push_back(StatusExpectation("q-refused", "09", false, "found-status-21", 11));
  const std::string html = HtmlReport(s, "", "");
  EXPECT_NE(html.find("<span class=\"fail\">FAIL</span>"), std::string::npos);
  const size_t row = html.find("<tr class=\"fail\">");
  ASSERT_NE(row, std::string::npos);
  const std::string tr = html.substr(row, html.find("</tr>", row) - row);
  EXPECT_NE(tr.find("found-status-21"), std::string::npos) << tr;
  EXPECT_NE(tr.find("demo.yaml:11:5"), std::string::npos) << tr;
  EXPECT_NE(tr.find("NO"), std::string::npos) << tr;
}

TEST(HtmlReportTest, ShowsFailForATimelineError) {
  RunSummary s = Summary();
  s.timeline_errors.push_back("decision on q-x, which is not held");
  const std::string html = HtmlReport(s, "", "");
  EXPECT_NE(html.find("FAIL"), std::string::npos);
  EXPECT_NE(html.find("decision on q-x, which is not held"), std::string::npos);
}

TEST(HtmlReportTest, DrawsOneTimelineBarPerQuery) {
  RunSummary s = Summary();
  EXPECT_EQ(Count(HtmlReport(s, "", ""), "class=\"bar\""), 3u);
  s.outcomes.pop_back();
  EXPECT_EQ(Count(HtmlReport(s, "", ""), "class=\"bar\""), 2u);
}

TEST(HtmlReportTest, LargeRunsDrawAnEvenSampleSpanningTheRun) {
  RunSummary s = Summary();
  s.outcomes.clear();
  s.status_counts = {{"09", 12'000}};
  s.queries = 12'000;
  for (int i = 0; i < 1000; ++i) {  // one every 10 s, over 2 h 46 m
    const SimTime t = s.started_at + Duration::Seconds(10 * i);
    s.outcomes.push_back(
        {"load-" + std::to_string(i), "長岡市", "仙台市", t, t + Duration::Millis(40), "09", ""});
  }
  s.outcomes_omitted = 11'000;
  const std::string html = HtmlReport(s, "", "");
  // Every 4th of 1,000: 250 bars, the last one from the end of the run, not its first minutes.
  EXPECT_EQ(Count(html, "class=\"bar\""), 250u);
  EXPECT_TRUE(testing::Contains(html, "<title>load-996: ")) << "the sample reaches the end";
  EXPECT_FALSE(testing::Contains(html, "<title>load-997: "));
  EXPECT_TRUE(testing::Contains(html, "Every 4th of 1000 queries (by submission time) is drawn."));
  EXPECT_TRUE(testing::Contains(html, "(11000 more are only counted)"));
  EXPECT_TRUE(testing::Contains(html, "cover all 12000."));
}

TEST(HtmlReportTest, ExplainsEachStatusCode) {
  const std::string html = HtmlReport(Summary(), "", "");
  EXPECT_NE(html.find("refused"), std::string::npos);
  EXPECT_NE(html.find("normal"), std::string::npos);
  EXPECT_NE(html.find("open: not final"), std::string::npos);
}

TEST(HtmlReportTest, SameSummaryGivesSameBytes) {
  EXPECT_EQ(HtmlReport(Summary(), "ja", "en"), HtmlReport(Summary(), "ja", "en"));
}

TEST(HtmlReportTest, WallFiguresChangeOnlyTheWallBlock) {
  RunSummary other = Summary();
  other.wall_seconds = 9.25;
  other.peak_rss_kib = 77;
  const std::string a = HtmlReport(Summary(), "", ""), b = HtmlReport(other, "", "");
  EXPECT_NE(a, b);
  const std::string marker = "<!-- wall: begin";
  ASSERT_NE(a.find(marker), std::string::npos);
  EXPECT_EQ(a.substr(0, a.find(marker)), b.substr(0, b.find(marker)));
}

TEST(HtmlReportTest, HandlesARunWithoutQueries) {
  RunSummary s;
  s.scenario = "empty";
  const std::string html = HtmlReport(s, "", "");
  EXPECT_EQ(Count(html, "class=\"bar\""), 0u);
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_NE(html.find("PASS"), std::string::npos);
}

std::string RunAndReadReport(const fs::path& out) {
  fs::remove_all(out);
  auto run = testing::RunRenkei(
      {"run", std::string(RENKEI_SOURCE_DIR) + "/scenarios/shipped/dv_suppressed.yaml", "--out",
       out.string()});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  std::ifstream in(out / "report.html", std::ios::binary);
  EXPECT_TRUE(in.good()) << out;
  std::string html{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  fs::remove_all(out);
  return html;
}

TEST(HtmlReportTest, RunWritesReportNamingEveryQuery) {
  const std::string html = RunAndReadReport(fs::path(::testing::TempDir()) / "report_html_run");
  EXPECT_EQ(Count(html, "class=\"bar\""), 2u);
  EXPECT_TRUE(testing::Contains(html, ">approved<")) << html;
  EXPECT_TRUE(testing::Contains(html, ">refused<")) << html;
  EXPECT_TRUE(testing::Contains(html, "<span class=\"pass\">PASS</span>"));
  EXPECT_TRUE(testing::Contains(html, "長岡市からの照会"));
}

TEST(HtmlReportTest, TwoRunsWithOneSeedWriteIdenticalReportsButForWall) {
  const fs::path tmp = ::testing::TempDir();
  const std::string a = RunAndReadReport(tmp / "report_html_det1");
  const std::string b = RunAndReadReport(tmp / "report_html_det2");
  const std::string marker = "<!-- wall: begin";
  ASSERT_NE(a.find(marker), std::string::npos);
  EXPECT_EQ(a.substr(0, a.find(marker)), b.substr(0, b.find(marker)));
}

}  // namespace
}  // namespace renkei::scenarios
