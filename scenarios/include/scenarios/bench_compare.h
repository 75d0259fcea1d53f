// The regression gate behind `renkei bench compare`: samples from a baseline build and a
// candidate build, and per metric a Mann-Whitney U test, an effect size and a verdict.
//
// Two input formats, detected from the content:
//   - Google Benchmark JSON (`--benchmark_format=json` or `--benchmark_out`). Each repetition
//     of a benchmark (`run_type: "iteration"`) is one sample of the metric named by its
//     `run_name`; aggregates (mean, median, stddev, cv, BigO) are ignored because the test needs
//     the raw repetitions. Times are normalised to nanoseconds; lower is better.
//   - renkei `summary.json` files written by `renkei run`: one run is one sample of each of its
//     metrics (throughput, simulated throughput, latency p95 and p99, peak RSS), named after the
//     scenario, so several runs (or a directory of them) make the sample.
// Each side may be several files or directories; the samples of a metric are pooled across
// them, which is how alternating baseline/candidate rounds on one CI runner are combined.
//
// The statistics, and why:
//   - Mann-Whitney U, two-sided: rank-based, so the right-skewed outliers of a shared machine
//     (a repetition that met a neighbour's build) move it far less than a t-test. With fewer than
//     8 samples on a side (and at most 100 in all) the p-value comes from the exact permutation
//     distribution of the rank sum, computed by counting subsets over doubled mid-ranks; that
//     handles ties exactly (it is the distribution conditional on the tie pattern). Otherwise the
//     normal approximation with tie and continuity corrections.
//   - The change is the Hodges-Lehmann shift (the median of all current − baseline differences,
//     the estimator that belongs to the U test) relative to the baseline median, in percent. It
//     can differ slightly from the ratio of the two medians the table also shows.
//   - A regression needs both: p < alpha and a change of at least min-effect in the bad direction
//     (time or latency up, throughput down). Significance alone would fail the gate on tiny, real
//     but irrelevant shifts once samples are large; an effect alone would fail it on noise.
//   - A metric with fewer than `min_samples` samples on either side is reported as "too few
//     samples" and cannot fail the gate: with 3 against 3 no ordering reaches p < 0.05 at all.
//
// Thread safety: pure functions over values.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"

namespace renkei::scenarios {

// Which Google Benchmark time is compared. CPU time is the default: on a shared machine wall
// time also measures the neighbours.
enum class BenchTimeField { kCpuTime, kRealTime };

enum class BenchFormat { kGoogleBenchmark, kRunSummary };

enum class Better { kLower, kHigher };

struct BenchMetric {
  std::string name;  // "BM_PermitListCheckPermitted", "transfer_in: latency p95"
  std::string unit;  // "ns" for benchmark times (normalised), else the file's unit
  Better better = Better::kLower;
  std::vector<double> samples;  // in the order read
};

struct BenchSamples {
  BenchFormat format = BenchFormat::kGoogleBenchmark;
  std::vector<std::string> files;    // every file read, in the order read
  std::vector<BenchMetric> metrics;  // in order of first appearance
  // Repetitions that reported an error (`error_occurred`), as "FILE: NAME: message". They add
  // no sample, so a benchmark failing on one side shows as added or removed; the CLI warns.
  std::vector<std::string> failed_runs;
};

// Reads every path: a file, or a directory meaning every *.json file below it (sorted by path,
// so the order never depends on the file system). Errors name the file and, for bad content, the
// field: a missing path (netsim::Errc::kNotFound), unreadable file (kIoError), text that is not
// JSON (kParseError), JSON of neither format, a wrong field type, a negative or non-finite value,
// an unknown time unit, a benchmark file holding only aggregates, files of both formats, or no
// sample at all (kInvalidArgument).
Result<BenchSamples> LoadBenchSamples(const std::vector<std::string>& paths, BenchTimeField field);

struct MannWhitneyResult {
  double u = 0;        // pairs (baseline b, current c) with c > b, a tie counting ½
  double p_value = 1;  // two-sided
  bool exact = false;  // exact permutation distribution, or the normal approximation
};

// Both samples must be non-empty.
MannWhitneyResult MannWhitneyU(std::span<const double> baseline, std::span<const double> current);

// The median of all differences c − b: how far `current` sits above `baseline`.
double HodgesLehmannShift(std::span<const double> baseline, std::span<const double> current);

double Median(std::vector<double> values);

struct CompareOptions {
  double alpha = 0.05;        // significance level, in (0, 1)
  double min_effect_pct = 5;  // smallest change that counts, in percent of the baseline
  size_t min_samples = 9;     // per side, below which a metric cannot fail the gate
  // Fraction (0, 1] of each side's samples the test and the change use: the best ones (the
  // lowest times and latencies, the highest throughputs), at least one. On a shared runner a
  // neighbour only ever makes a repetition slower, so the slow tail measures the neighbours and
  // not the build; comparing the better half compares the builds' undisturbed costs. The
  // p-value then ranks the kept order statistics rather than independent draws, so it is a
  // screen with the same alpha, not an exact level. 1 keeps every sample.
  double keep_best = 1;
};

enum class Verdict { kUnchanged, kRegression, kImprovement, kTooFewSamples, kAdded, kRemoved };

std::string_view VerdictName(Verdict verdict);

struct MetricComparison {
  std::string name;
  std::string unit;
  Better better = Better::kLower;
  size_t n_baseline = 0;  // samples read; the test used the best keep_best of them
  size_t n_current = 0;
  double baseline_median = 0;  // meaningless when n_baseline == 0 (an added metric)
  double current_median = 0;   // meaningless when n_current == 0 (a removed metric)
  double change_pct = 0;       // Hodges-Lehmann shift / baseline median × 100; ±inf from 0
  double p_value = 1;
  bool exact = false;
  Verdict verdict = Verdict::kUnchanged;
};

struct BenchComparison {
  BenchFormat format = BenchFormat::kGoogleBenchmark;
  std::vector<MetricComparison> metrics;  // baseline's order, then metrics only in current
  size_t Count(Verdict verdict) const;
  bool regressed() const { return Count(Verdict::kRegression) > 0; }
};

// Fails (kInvalidArgument) only when the two sides are of different formats.
Result<BenchComparison> CompareBench(const BenchSamples& baseline, const BenchSamples& current,
                                     const CompareOptions& options);

// The p-value of two samples of these sizes that do not overlap at all: the smallest the test
// can give. A metric whose kept samples cannot get below alpha cannot fail the gate.
double SmallestPValue(size_t n_baseline, size_t n_current);
// The best `fraction` of `samples` (see CompareOptions::keep_best), at least one, sorted.
std::vector<double> KeepBest(std::vector<double> samples, double fraction, Better better);
// keep-best is a number in (0, 1] ("0.5") or a percentage above 0 and at most 100 ("50%").
Result<double> ParseKeepBest(std::string_view text);
// Option text: alpha is a number strictly between 0 and 1; min-effect is a non-negative
// percentage below 1000 with an optional '%' ("5%", "2.5"). Errors say what was wrong.
Result<double> ParseAlpha(std::string_view text);
Result<double> ParseMinEffect(std::string_view text);

// The aligned table (metric, medians, change, p, samples, verdict) and a last line of counts.
std::string FormatBenchTable(const BenchComparison& comparison);
// The same as one JSON object, for CI tools.
std::string FormatBenchJson(const BenchComparison& comparison, const CompareOptions& options);

}  // namespace renkei::scenarios
