// The scenario runner: builds the World a Scenario describes, plays its timeline on the
// simulated network, checks its expectations and writes the reports (summary.json,
// junit.xml, report.html) into the output directory. `renkei run` is its command line.
//
// Determinism: everything but the "wall" section of summary.json comes from the scenario and
// the seed, so two runs with one seed write byte-identical summaries and logs.
// Thread safety: one run per thread; a run owns its World.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "netsim/result.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {

struct RunOptions {
  std::optional<uint64_t> seed;  // overrides the scenario's
  std::string out_dir = "out/run";
  std::ostream* narration = nullptr;  // step-by-step account for trainers when set
  // A one-line progress display (building bodies, registering movers, the simulated clock),
  // redrawn in place with carriage returns at most five times a second: for a terminal only
  // (the CLI passes stderr when it is a TTY). Nothing in the results depends on it.
  std::ostream* progress = nullptr;
  // Worker threads for the linkage's signatures and verifications (WorldOptions::crypto_threads):
  // 1 puts them on a second core. Results are byte-identical for any count. The default is 0:
  // the hand-over costs more than it saves unless many linkages are in flight at once
  // (docs/performance.md, "National day").
  size_t crypto_threads = 0;
  // Multiplies the open load's arrival rates (every stage, every day): 0.01 plays a year's
  // calendar at one hundredth of its volume, with the same shape. Above 0.
  double load_scale = 1;
  // SQLite's soft heap limit for the run, MiB (netsim::sql::SetSoftHeapLimit; 0: none): the
  // page caches of every body's databases share it, so memory stops growing with the
  // databases (docs/performance.md, "The FY2022 year").
  int64_t sqlite_heap_mib = 1024;
};

struct ExpectationResult {
  Expectation expectation;
  bool passed = false;
  std::string actual;  // what was found, for people
};

// One query of the run, for the report's timeline and histogram.
struct QueryOutcome {
  std::string id;         // the timeline's query id
  std::string requester;  // body name
  std::string provider;   // body name
  netsim::SimTime submitted_at;
  std::optional<netsim::SimTime> completed_at;  // empty: still open when the run ended
  std::string status;                           // record status code
  std::string message;
};

struct RunSummary {
  std::string scenario;
  uint64_t seed = 0;
  std::map<std::string, uint64_t> status_counts;  // final record status code → queries
  uint64_t queries = 0;
  netsim::Duration p50, p95, p99, max;  // submit → final status, simulated
  uint64_t events = 0;                  // event-loop events processed
  netsim::SimTime started_at;           // the scenario's start (simulated)
  netsim::SimTime finished_at;          // simulated
  // In query-id order: every timeline query, and the load's queries up to kMaxLoadOutcomes
  // (the rest are counted in outcomes_omitted; counts and percentiles include them all).
  std::vector<QueryOutcome> outcomes;
  uint64_t outcomes_omitted = 0;
  static constexpr uint64_t kMaxLoadOutcomes = 10'000;
  // The load section (zero without one): arrivals (queries the load wanted to start), those
  // that found max_in_flight of the requester's queries open and started late, and the most
  // load queries open at one instant.
  uint64_t load_arrivals = 0;
  uint64_t load_started_late = 0;
  uint64_t load_peak_in_flight = 0;
  double load_scale = 1;  // RunOptions::load_scale the run had
  // Narration lines in simulated-time order ("[hh:mm:ss.mmm] text", or "[YYYY-MM-DD
  // hh:mm:ss.mmm] text" when they span more than one day), kept for the reports.
  std::vector<std::string> narration;
  std::vector<ExpectationResult> expectations;
  // Timeline events that could not be played (a decision on a query not held for review…):
  // each fails the run.
  std::vector<std::string> timeline_errors;
  bool passed() const;
  // Wall-clock figures, kept apart: they differ between runs.
  double wall_seconds = 0;
  double wall_setup_seconds = 0;  // building the world and its tokens, before the start
  double wall_queries_per_second = 0;
  int64_t peak_rss_kib = 0;          // the process's peak resident set (getrusage)
  int64_t sqlite_heap_peak_kib = 0;  // of which SQLite's heap at its peak (page caches…)
};

// Runs `scenario`, writing DIR/summary.json, DIR/junit.xml, DIR/report.html, the bodies'
// databases under DIR/data (recreated on every run) and, for batch events, the batch files
// under DIR/batches (likewise). Errors are failures to run at all (a body that cannot be
// built, a storage failure); failed expectations are in the summary.
Result<RunSummary> RunScenario(const Scenario& scenario, const RunOptions& options);

// The reports as text (also what RunScenario writes).
std::string SummaryJson(const RunSummary& summary);
std::string JunitXml(const RunSummary& summary);

}  // namespace renkei::scenarios
