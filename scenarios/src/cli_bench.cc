// `renkei bench compare BASELINE CURRENT`: the regression gate. Compares benchmark samples of
// a baseline build with a candidate's (bench_compare.h has the statistics) and prints a table.
// Exit 0 when no metric regressed, 1 when one did, 2 for bad usage or bad input.
#include <boost/program_options.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli_args.h"
#include "scenarios/bench_compare.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kBenchUsage =
    "usage: renkei bench WHAT [options]\n"
    "\n"
    "what:\n"
    "  compare    compare a baseline's benchmark results with a candidate's (regression gate)\n"
    "\n"
    "Run `renkei bench compare --help` for its options.\n";

constexpr std::string_view kCompareUsage =
    "usage: renkei bench compare BASELINE CURRENT [--alpha 0.05] [--min-effect 5%]\n"
    "                            [--metric cpu_time|real_time] [--format table|json]\n"
    "                            [--min-samples N] [--keep-best F] [--baseline PATH]...\n"
    "                            [--current PATH]...\n"
    "\n"
    "BASELINE and CURRENT are Google Benchmark JSON files (run with --benchmark_repetitions=9\n"
    "or more; benchmarks/gate does it) or renkei summary.json files, one per run; a directory\n"
    "stands for every *.json file below it, and --baseline/--current add more paths to a side.\n"
    "Per metric: a two-sided Mann-Whitney U test and the Hodges-Lehmann change against the\n"
    "baseline median. A regression is p < alpha and a change of at least min-effect for the\n"
    "worse (time or latency up, throughput down). Metrics with fewer than N samples on a side\n"
    "are reported but cannot fail. --keep-best 0.5 compares only the better half of each side\n"
    "(lowest times, highest throughputs): on a shared runner neighbours only slow repetitions\n"
    "down. Exit 0: no regression; 1: a regression; 2: bad usage or input.\n"
    "\n"
    "options:\n";

constexpr std::string_view kCommand = "bench compare";

int RunCompare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  const CompareOptions defaults;
  po::options_description visible(100);
  visible.add_options()("help,h", "show this help")(
      "alpha", po::value<std::string>()->value_name("P")->default_value("0.05"),
      "significance level, strictly between 0 and 1")(
      "min-effect", po::value<std::string>()->value_name("PCT")->default_value("5%"),
      "smallest change that counts as a regression or improvement")(
      "metric", po::value<std::string>()->value_name("FIELD")->default_value("cpu_time"),
      "Google Benchmark time to compare: cpu_time or real_time")(
      "format", po::value<std::string>()->value_name("F")->default_value("table"),
      "output: table or json")("min-samples",
                               po::value<std::string>()->value_name("N")->default_value(
                                   std::to_string(defaults.min_samples)),
                               "samples per side below which a metric cannot fail the gate")(
      "keep-best", po::value<std::string>()->value_name("F")->default_value("1"),
      "fraction of each side's samples compared: the best ones (0.5 or 50%: the better half)")(
      "baseline", po::value<std::vector<std::string>>()->value_name("PATH")->composing(),
      "another baseline file or directory")(
      "current", po::value<std::vector<std::string>>()->value_name("PATH")->composing(),
      "another current file or directory");
  po::positional_options_description positionals;
  positionals.add("baseline", 1).add("current", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(visible).positional(positionals).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return cli::UsageError(kCommand, err, e.what());
  }
  if (vm.count("help")) {
    out << kCompareUsage << visible;
    return kExitOk;
  }
  if (!vm.count("baseline") || !vm.count("current")) {
    return cli::UsageError(kCommand, err, "expected BASELINE and CURRENT");
  }
  CompareOptions options;
  auto alpha = ParseAlpha(vm["alpha"].as<std::string>());
  if (!alpha.ok()) return cli::UsageError(kCommand, err, alpha.error().Describe());
  options.alpha = *alpha;
  auto min_effect = ParseMinEffect(vm["min-effect"].as<std::string>());
  if (!min_effect.ok()) return cli::UsageError(kCommand, err, min_effect.error().Describe());
  options.min_effect_pct = *min_effect;
  // Parsed here rather than by program_options, which would wrap "-1" round to a huge count.
  const std::string& min_samples = vm["min-samples"].as<std::string>();
  if (min_samples.empty() || min_samples.size() > 6 ||
      min_samples.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(min_samples) < 1) {
    return cli::UsageError(kCommand, err,
                           "--min-samples '" + min_samples + "' is not a whole number ≥ 1");
  }
  options.min_samples = std::stoul(min_samples);
  auto keep_best = ParseKeepBest(vm["keep-best"].as<std::string>());
  if (!keep_best.ok()) return cli::UsageError(kCommand, err, keep_best.error().Describe());
  options.keep_best = *keep_best;
  const std::string& metric = vm["metric"].as<std::string>();
  if (metric != "cpu_time" && metric != "real_time") {
    return cli::UsageError(kCommand, err, "--metric '" + metric + "' is not cpu_time or real_time");
  }
  const BenchTimeField field =
      metric == "cpu_time" ? BenchTimeField::kCpuTime : BenchTimeField::kRealTime;
  const std::string& format = vm["format"].as<std::string>();
  if (format != "table" && format != "json") {
    return cli::UsageError(kCommand, err, "--format '" + format + "' is not table or json");
  }

  auto baseline = LoadBenchSamples(vm["baseline"].as<std::vector<std::string>>(), field);
  if (!baseline.ok()) {
    err << "renkei bench compare: baseline: " << baseline.error().Describe() << "\n";
    return kExitUsage;
  }
  auto current = LoadBenchSamples(vm["current"].as<std::vector<std::string>>(), field);
  if (!current.ok()) {
    err << "renkei bench compare: current: " << current.error().Describe() << "\n";
    return kExitUsage;
  }
  auto comparison = CompareBench(*baseline, *current, options);
  if (!comparison.ok()) {
    err << "renkei bench compare: " << comparison.error().Describe() << "\n";
    return kExitUsage;
  }
  if (format == "json") {
    out << FormatBenchJson(*comparison, options);
  } else {
    out << "baseline: " << baseline->files.size() << " file(s), current: " << current->files.size()
        << " file(s); "
        << (comparison->format == BenchFormat::kGoogleBenchmark ? metric + ", " : "")
        << "medians; change = Hodges-Lehmann shift; two-sided Mann-Whitney U, alpha "
        << options.alpha << ", min effect " << options.min_effect_pct << "%\n\n"
        << FormatBenchTable(*comparison);
  }
  for (const BenchSamples* side : {&*baseline, &*current}) {
    for (const std::string& failed : side->failed_runs) {
      err << "renkei bench compare: warning: a repetition failed and was left out: " << failed
          << "\n";
    }
  }
  if (const size_t few = comparison->Count(Verdict::kTooFewSamples); few > 0) {
    err << "renkei bench compare: warning: " << few << " metric(s) have fewer than "
        << options.min_samples << " samples on a side and cannot fail the gate\n";
  }
  return comparison->regressed() ? kExitFailed : kExitOk;
}

}  // namespace

int RunBench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kBenchUsage;
    return kExitUsage;
  }
  const std::string& what = args.front();
  if (what == "--help" || what == "-h" || what == "help") {
    out << kBenchUsage;
    return kExitOk;
  }
  if (what == "compare") {
    return RunCompare(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  err << "renkei bench: unknown subcommand '" << what << "'\n\n" << kBenchUsage;
  return kExitUsage;
}

}  // namespace renkei::scenarios
