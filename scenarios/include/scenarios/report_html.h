// The self-contained HTML report of a scenario run (`report.html` in the run's output
// directory): verdict, narration in Japanese and English, status counts, expectations, and
// inline SVG charts (query timeline, latency histogram, throughput) for trainers and reviewers.
//
// The page loads nothing from anywhere: inline CSS, inline SVG, no scripts. Every text taken
// from the summary or the scenario is HTML-escaped.
// Determinism: the same summary and narration give the same bytes, except the block between
// the "wall:" comments (wall seconds, queries per wall-second, peak resident set).
// Thread safety: a pure function.
#pragma once

#include <string>

#include "scenarios/runner.h"

namespace renkei::scenarios {

// The report page for `summary`. `narration_ja` and `narration_en` are the scenario's
// narration paragraphs (either may be empty).
std::string HtmlReport(const RunSummary& summary, const std::string& narration_ja,
                       const std::string& narration_en);

// `text` with & < > " ' replaced by character references: safe in element content and in
// quoted attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace renkei::scenarios
