#include "scenarios/report_html.h"

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/time.h"

namespace renkei::scenarios {

namespace {

using netsim::Duration;
using netsim::SimTime;

// Chart geometry, in SVG user units (integers, so coordinates print identically everywhere).
constexpr int64_t kChartWidth = 760;  // plot area
constexpr int64_t kLeft = 120;        // room for labels
constexpr int64_t kRight = 20;
constexpr int64_t kTop = 10;
constexpr int64_t kAxis = 44;  // room for the time axis below the plot
constexpr int64_t kTicks = 5;
// A run with more queries draws the first ones only: the page must stay openable.
// Bars of the query timeline: beyond this many the chart draws an even sample (every k-th by
// submission time), so that it still spans the run and stays a screen or two high.
constexpr size_t kMaxBars = 300;
constexpr int64_t kThroughputBuckets = 24;
constexpr int64_t kChartHeight = 160;  // histogram and throughput plot areas

struct StatusInfo {
  const char* meaning;
  const char* colour;
};

// Record status codes (batch file 処理結果) and the runner's "open".
const std::map<std::string, StatusInfo>& Statuses() {
  static const std::map<std::string, StatusInfo> kStatuses = {
      {"09", {"normal / 正常", "#2e7d32"}},
      {"10", {"not permitted / 照会不許可", "#8e24aa"}},
      {"11", {"no token / 符号なし", "#6d4c41"}},
      {"12", {"no data / 該当なし", "#0277bd"}},
      {"20", {"pending manual review / 自動応答不可（審査待ち）", "#f9a825"}},
      {"21", {"refused / 提供拒否", "#c62828"}},
      {"22", {"expired / 期限切れ", "#ef6c00"}},
      {"30", {"timeout / タイムアウト", "#d81b60"}},
      {"90", {"error / エラー", "#212121"}},
      {"open", {"open: not final when the run ended / 未完了", "#9e9e9e"}},
  };
  return kStatuses;
}

const char* Meaning(const std::string& status) {
  auto it = Statuses().find(status);
  return it == Statuses().end() ? "unknown status" : it->second.meaning;
}

const char* Colour(const std::string& status) {
  auto it = Statuses().find(status);
  return it == Statuses().end() ? "#607d8b" : it->second.colour;
}

std::string TwoDigits(int64_t n) {
  std::string out = n < 10 ? "0" : "";
  out += std::to_string(n);
  return out;
}

// A simulated span for people: "0s", "120us", "250ms", "1.500s", "1m30s", "2h05m", "3d04h".
std::string Span(Duration d) {
  int64_t us = d.micros();
  std::string sign;
  if (us < 0) {
    sign = "-";
    us = -us;
  }
  const int64_t kMs = 1000, kS = 1000 * kMs, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  std::string out;
  if (us == 0) {
    out = "0s";
  } else if (us < kMs) {
    out = std::to_string(us) + "us";
  } else if (us < kS) {
    out = std::to_string(us / kMs) + "ms";
  } else if (us < kM) {
    std::ostringstream o;
    o << us / kS;
    if (us % kS >= kMs) o << "." << std::setw(3) << std::setfill('0') << (us % kS) / kMs;
    out = o.str() + "s";
  } else if (us < kH) {
    out = std::to_string(us / kM) + "m" + TwoDigits((us % kM) / kS) + "s";
  } else if (us < kD) {
    out = std::to_string(us / kH) + "h" + TwoDigits((us % kH) / kM) + "m";
  } else {
    out = std::to_string(us / kD) + "d" + TwoDigits((us % kD) / kH) + "h";
  }
  return sign + out;
}

std::string Fixed(double v, int digits) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(digits) << v;
  return o.str();
}

// Where `at` falls on a plot `width` wide spanning [from, from + span] (span > 0), clamped.
int64_t Scale(SimTime at, SimTime from, int64_t span, int64_t width) {
  const int64_t off = std::clamp<int64_t>((at - from).micros(), 0, span);
  // Split so that off * width cannot overflow on long spans.
  return off / span * width + off % span * width / span;
}

void TimeAxis(std::ostringstream& h, int64_t y, SimTime from, int64_t span) {
  h << "<line class=\"axis\" x1=\"" << kLeft << "\" y1=\"" << y << "\" x2=\"" << kLeft + kChartWidth
    << "\" y2=\"" << y << "\"/>\n";
  for (int64_t i = 0; i <= kTicks; ++i) {
    const int64_t x = kLeft + kChartWidth * i / kTicks;
    const Duration at = Duration::Micros(span / kTicks * i + span % kTicks * i / kTicks);
    h << "<line class=\"axis\" x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x << "\" y2=\""
      << y + 4 << "\"/><text x=\"" << x << "\" y=\"" << y + 16 << "\" text-anchor=\"middle\">+"
      << HtmlEscape(Span(at)) << "</text>\n";
  }
  // What "+0" is, under the tick labels.
  h << "<text x=\"" << kLeft << "\" y=\"" << y + 32
    << "\">simulated time, +0 = " << HtmlEscape(netsim::FormatIso(from).substr(11, 8))
    << "</text>\n";
}

// The simulated window the charts share: the scenario's start to the run's end (or the last
// completion, should one lie beyond it).
struct Window {
  SimTime from;
  int64_t span = 1;  // microseconds, > 0
};

Window ChartWindow(const RunSummary& s) {
  SimTime from = s.started_at, to = s.finished_at;
  for (const QueryOutcome& q : s.outcomes) {
    from = std::min(from, q.submitted_at);
    to = std::max(to, q.completed_at.value_or(q.submitted_at));
  }
  return {from, std::max<int64_t>(1, (to - from).micros())};
}

// "st", "nd", "rd" or "th" after a count: "every 2nd".
const char* Ordinal(size_t n) {
  if (n % 100 >= 11 && n % 100 <= 13) return "th";
  switch (n % 10) {
    case 1:
      return "st";
    case 2:
      return "nd";
    case 3:
      return "rd";
    default:
      return "th";
  }
}

void Timeline(std::ostringstream& h, const RunSummary& s, const Window& w) {
  std::vector<const QueryOutcome*> rows;
  for (const QueryOutcome& q : s.outcomes) rows.push_back(&q);
  std::stable_sort(rows.begin(), rows.end(), [](const QueryOutcome* a, const QueryOutcome* b) {
    return a->submitted_at < b->submitted_at;
  });
  const size_t every = (rows.size() + kMaxBars - 1) / kMaxBars;  // 1 up to kMaxBars rows
  if (every > 1) {
    std::vector<const QueryOutcome*> sample;
    for (size_t i = 0; i < rows.size(); i += every) sample.push_back(rows[i]);
    sample.swap(rows);
  }
  const size_t shown = rows.size();
  const int64_t row = shown <= 40 ? 16 : shown <= 150 ? 4 : 2;
  const int64_t bar = row >= 16 ? 12 : row;
  const int64_t plot = std::max<int64_t>(row * static_cast<int64_t>(shown), 16);
  h << "<svg class=\"chart\" role=\"img\" aria-label=\"query timeline\" width=\""
    << kLeft + kChartWidth + kRight << "\" height=\"" << kTop + plot + kAxis << "\" viewBox=\"0 0 "
    << kLeft + kChartWidth + kRight << " " << kTop + plot + kAxis << "\">\n";
  for (size_t i = 0; i < shown; ++i) {
    const QueryOutcome& q = *rows[i];
    const int64_t y = kTop + row * static_cast<int64_t>(i);
    const int64_t x1 = kLeft + Scale(q.submitted_at, w.from, w.span, kChartWidth);
    // Open queries run to the end of the chart.
    const int64_t x2 = q.completed_at ? kLeft + Scale(*q.completed_at, w.from, w.span, kChartWidth)
                                      : kLeft + kChartWidth;
    const std::string took =
        q.completed_at ? Span(*q.completed_at - q.submitted_at) : std::string("open");
    if (row >= 16) {
      h << "<text x=\"" << kLeft - 6 << "\" y=\"" << y + bar - 2 << "\" text-anchor=\"end\">"
        << HtmlEscape(q.id) << "</text>";
    }
    h << "<rect class=\"bar\" x=\"" << x1 << "\" y=\"" << y << "\" width=\""
      << std::max<int64_t>(2, x2 - x1) << "\" height=\"" << bar << "\" fill=\"" << Colour(q.status)
      << "\"><title>"
      << HtmlEscape(q.id + ": " + q.requester + " → " + q.provider + ", " + q.status + " " +
                    Meaning(q.status) + ", " + took +
                    (q.message.empty() ? "" : ", 「" + q.message + "」"))
      << "</title></rect>\n";
  }
  TimeAxis(h, kTop + plot + 4, w.from, w.span);
  h << "</svg>\n";
  if (every > 1 || s.outcomes_omitted > 0) {
    h << "<p class=\"note\">";
    if (every > 1) {
      h << "Every " << every << Ordinal(every) << " of " << s.outcomes.size()
        << " queries (by submission time) is drawn. ";
    }
    if (s.outcomes_omitted > 0) {
      h << "The report keeps the outcomes of every timeline query and the load's first "
        << RunSummary::kMaxLoadOutcomes << " (" << s.outcomes_omitted
        << " more are only counted); the summary's counts and percentiles cover all " << s.queries
        << ".";
    }
    h << "</p>\n";
  }
  // Legend: the statuses present, in code order.
  h << "<p class=\"legend\">";
  for (const auto& [code, n] : s.status_counts) {
    h << "<span><i style=\"background:" << Colour(code) << "\"></i>" << HtmlEscape(code) << " "
      << HtmlEscape(Meaning(code)) << "</span> ";
  }
  h << "</p>\n";
}

// Bars with labels under them: the shared shape of the histogram and the throughput chart.
void BarChart(std::ostringstream& h, const std::string& label,
              const std::vector<std::pair<std::string, uint64_t>>& bars, const char* colour) {
  uint64_t top = 1;
  for (const auto& b : bars) top = std::max(top, b.second);
  const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(bars.size()));
  const int64_t slot = kChartWidth / n;
  h << "<svg class=\"chart\" role=\"img\" aria-label=\"" << HtmlEscape(label) << "\" width=\""
    << kLeft + kChartWidth + kRight << "\" height=\"" << kTop + kChartHeight + kAxis + 14
    << "\" viewBox=\"0 0 " << kLeft + kChartWidth + kRight << " "
    << kTop + kChartHeight + kAxis + 14 << "\">\n";
  const int64_t base = kTop + kChartHeight;
  h << "<line class=\"axis\" x1=\"" << kLeft << "\" y1=\"" << base << "\" x2=\""
    << kLeft + kChartWidth << "\" y2=\"" << base << "\"/>\n";
  h << "<text x=\"" << kLeft - 6 << "\" y=\"" << kTop + 10 << "\" text-anchor=\"end\">" << top
    << "</text><text x=\"" << kLeft - 6 << "\" y=\"" << base << "\" text-anchor=\"end\">0</text>\n";
  const int64_t label_every = std::max<int64_t>(1, n / 8);
  for (int64_t i = 0; i < static_cast<int64_t>(bars.size()); ++i) {
    const auto& [name, count] = bars[static_cast<size_t>(i)];
    const int64_t height = static_cast<int64_t>(count) * kChartHeight / static_cast<int64_t>(top);
    const int64_t x = kLeft + slot * i;
    h << "<rect class=\"col\" x=\"" << x + 1 << "\" y=\"" << base - height << "\" width=\""
      << std::max<int64_t>(1, slot - 2) << "\" height=\"" << height << "\" fill=\"" << colour
      << "\"><title>" << HtmlEscape(name) << ": " << count << "</title></rect>\n";
    if (i % label_every == 0) {
      h << "<text x=\"" << x + slot / 2 << "\" y=\"" << base + 16 << "\" text-anchor=\"middle\">"
        << HtmlEscape(name) << "</text>\n";
    }
  }
  h << "<text x=\"" << kLeft + kChartWidth / 2 << "\" y=\"" << base + kAxis + 8
    << "\" text-anchor=\"middle\">" << HtmlEscape(label) << "</text>\n</svg>\n";
}

// Completion latencies in log-scale buckets 1-3-10: [0,1us), [1us,3us), [3us,10us), … up to
// the bucket holding the slowest query; empty edges trimmed.
void LatencyHistogram(std::ostringstream& h, const RunSummary& s) {
  std::vector<int64_t> bounds = {1};
  while (bounds.back() < (int64_t{1} << 60)) {
    const int64_t b = bounds.back();
    bounds.push_back(bounds.size() % 2 == 1 ? b * 3 : b / 3 * 10);
  }
  std::vector<uint64_t> counts(bounds.size() + 1, 0);
  size_t done = 0;
  for (const QueryOutcome& q : s.outcomes) {
    if (!q.completed_at) continue;
    const int64_t us = (*q.completed_at - q.submitted_at).micros();
    const size_t k =
        static_cast<size_t>(std::upper_bound(bounds.begin(), bounds.end(), us) - bounds.begin());
    ++counts[k];
    ++done;
  }
  if (done == 0) {
    h << "<p class=\"note\">No query completed.</p>\n";
    return;
  }
  size_t first = 0, last = counts.size() - 1;
  while (counts[first] == 0) ++first;
  while (counts[last] == 0) --last;
  std::vector<std::pair<std::string, uint64_t>> bars;
  for (size_t k = first; k <= last; ++k) {
    const std::string lo = k == 0 ? "0" : Span(Duration::Micros(bounds[k - 1]));
    bars.emplace_back("≥" + lo, counts[k]);
  }
  BarChart(h, "completion latency (log-scale buckets), queries", bars, "#1565c0");
}

void Throughput(std::ostringstream& h, const RunSummary& s, const Window& w) {
  const int64_t n = kThroughputBuckets;
  const int64_t width = std::max<int64_t>(1, (w.span + n - 1) / n);
  std::vector<uint64_t> counts(static_cast<size_t>(n), 0);
  for (const QueryOutcome& q : s.outcomes) {
    if (!q.completed_at) continue;
    const int64_t off = std::clamp<int64_t>((*q.completed_at - w.from).micros(), 0, w.span);
    ++counts[static_cast<size_t>(std::min(n - 1, off / width))];
  }
  std::vector<std::pair<std::string, uint64_t>> bars;
  for (int64_t i = 0; i < n; ++i) {
    std::string label = "+";
    label += Span(Duration::Micros(width * i));
    bars.emplace_back(std::move(label), counts[static_cast<size_t>(i)]);
  }
  BarChart(h, "completions per " + Span(Duration::Micros(width)) + " of simulated time", bars,
           "#00897b");
}

const char* kStyle = R"(
body{font-family:"Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic UI","Yu Gothic",Meiryo,"Noto Sans CJK JP","Noto Sans JP",sans-serif;max-width:960px;margin:1em auto;padding:0 1em;color:#222}
h1 .pass{color:#2e7d32}h1 .fail{color:#c62828}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left;vertical-align:top}
td.n{text-align:right}tr.fail td{background:#fdecea}tr.pass td.v{color:#2e7d32}
tr.fail td.v{color:#c62828;font-weight:bold}
.chart{display:block;margin:.5em 0;font-size:11px}.chart text{fill:#333}
.axis{stroke:#555;stroke-width:1}
.legend span{margin-right:1em;white-space:nowrap}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
.note{color:#555;font-size:90%}
ol.log{font-family:"Noto Sans Mono CJK JP","BIZ UDGothic","MS Gothic",Osaka-Mono,monospace;font-size:90%}
#wall{margin-top:2em;border-top:3px double #999;padding-top:.5em;color:#555}
)";

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlReport(const RunSummary& s, const std::string& narration_ja,
                       const std::string& narration_en) {
  const bool passed = s.passed();
  const std::string verdict = passed ? "PASS" : "FAIL";
  const Window w = ChartWindow(s);
  std::ostringstream h;
  // Japanese is the report's main language (names, narration, the step log): with lang="en"
  // browsers may draw its kanji with Chinese glyph forms. The English narration says so.
  h << "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<title>" << HtmlEscape(s.scenario) << " — " << verdict << " — renkei</title>\n"
    << "<style>" << kStyle << "</style>\n</head>\n<body>\n";

  h << "<h1>" << HtmlEscape(s.scenario) << " <span class=\"" << (passed ? "pass" : "fail") << "\">"
    << verdict << "</span></h1>\n";
  h << "<p>seed " << s.seed << " · renkei " << HtmlEscape(RENKEI_VERSION) << " · simulated "
    << HtmlEscape(netsim::FormatIso(s.started_at)) << " → "
    << HtmlEscape(netsim::FormatIso(s.finished_at)) << " JST ("
    << HtmlEscape(Span(s.finished_at - s.started_at)) << ") · " << s.events << " events</p>\n";

  if (!narration_ja.empty() || !narration_en.empty()) {
    h << "<h2>Narration / 解説</h2>\n";
    if (!narration_ja.empty()) h << "<p lang=\"ja\">" << HtmlEscape(narration_ja) << "</p>\n";
    if (!narration_en.empty()) h << "<p lang=\"en\">" << HtmlEscape(narration_en) << "</p>\n";
  }

  h << "<h2>Summary</h2>\n<table class=\"summary\">\n<tr><th>queries</th><td class=\"n\">"
    << s.queries << "</td><td></td></tr>\n";
  for (const auto& [code, n] : s.status_counts) {
    h << "<tr><th>status " << HtmlEscape(code) << "</th><td class=\"n\">" << n << "</td><td>"
      << HtmlEscape(Meaning(code)) << "</td></tr>\n";
  }
  h << "<tr><th>latency p50 / p95 / p99 / max</th><td class=\"n\">" << HtmlEscape(Span(s.p50))
    << " / " << HtmlEscape(Span(s.p95)) << " / " << HtmlEscape(Span(s.p99)) << " / "
    << HtmlEscape(Span(s.max)) << "</td><td>submit → final status, simulated</td></tr>\n</table>\n";

  h << "<h2>Expectations</h2>\n";
  if (s.expectations.empty()) {
    h << "<p class=\"note\">The scenario states no expectations.</p>\n";
  } else {
    h << "<table class=\"expectations\">\n<tr><th>expectation</th><th>where</th><th>passed</th>"
      << "<th>actual</th></tr>\n";
    for (const ExpectationResult& r : s.expectations) {
      h << "<tr class=\"" << (r.passed ? "pass" : "fail") << "\"><td>"
        << HtmlEscape(r.expectation.Describe()) << "</td><td>"
        << HtmlEscape(r.expectation.pos.Describe()) << "</td><td class=\"v\">"
        << (r.passed ? "yes" : "NO") << "</td><td>" << HtmlEscape(r.actual) << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  if (!s.timeline_errors.empty()) {
    h << "<h2>Timeline errors</h2>\n<ul class=\"errors\">\n";
    for (const std::string& e : s.timeline_errors) h << "<li>" << HtmlEscape(e) << "</li>\n";
    h << "</ul>\n";
  }

  h << "<h2>Queries over simulated time</h2>\n";
  if (s.outcomes.empty()) {
    h << "<p class=\"note\">No queries.</p>\n";
  } else {
    Timeline(h, s, w);
    h << "<h2>Latency</h2>\n";
    LatencyHistogram(h, s);
    h << "<h2>Throughput</h2>\n";
    Throughput(h, s, w);
  }

  if (!s.narration.empty()) {
    h << "<h2>Step by step / 経過</h2>\n<ol class=\"log\">\n";
    for (const std::string& line : s.narration) h << "<li>" << HtmlEscape(line) << "</li>\n";
    h << "</ol>\n";
  }

  // Everything above depends on the scenario and seed only; this block differs between runs.
  h << "<!-- wall: begin (differs between runs) -->\n<section id=\"wall\">\n"
    << "<h2>Wall clock (differs between runs)</h2>\n<p>" << Fixed(s.wall_seconds, 3) << " s · "
    << Fixed(s.wall_queries_per_second, 1) << " queries per second · peak RSS " << s.peak_rss_kib
    << " KiB</p>\n</section>\n<!-- wall: end -->\n";
  h << "</body>\n</html>\n";
  return h.str();
}

}  // namespace renkei::scenarios
