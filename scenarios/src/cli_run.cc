// `renkei run SCENARIO.yaml [--seed N] [--out DIR] [--narrate] [--crypto-threads N]
// [--load-scale F] [--sqlite-heap-mib N]`: renkei's main job. Builds the world the scenario
// describes, plays its timeline, checks its expectations and writes DIR/summary.json, DIR/junit.xml
// and DIR/report.html. Exit 0 when every expectation is met, 1 when one is not, 2 for an invalid
// scenario or bad usage.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "cli_args.h"
#include "scenarios/cli.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: renkei run SCENARIO.yaml [--seed N] [--out DIR] [--narrate] [--crypto-threads N]\n"
    "                  [--load-scale F] [--sqlite-heap-mib N]\n"
    "\n"
    "Runs a scenario on the simulated network and checks its expectations. Writes\n"
    "DIR/summary.json, DIR/junit.xml and DIR/report.html (and the bodies' databases under\n"
    "DIR/data). Exit 0: every expectation met; 1: one failed; 2: invalid scenario or usage.\n"
    "On a terminal, a progress line on stderr shows the setup and the simulated clock.\n"
    "\n"
    "options:\n";

}  // namespace

int RunRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description visible(100);
  visible.add_options()("help,h", "show this help")("seed", po::value<uint64_t>()->value_name("N"),
                                                    "seed instead of the scenario's")(
      "out", po::value<std::string>()->value_name("DIR")->default_value("out/run"),
      "where reports and databases go")("narrate", "print a step-by-step account for trainers")(
      "crypto-threads", po::value<std::string>()->value_name("N")->default_value("0"),
      "threads for signatures and verifications beside the simulation, 0 to 8; results are "
      "the same for every N (pays off with many linkages in flight at once)")(
      "load-scale", po::value<std::string>()->value_name("F")->default_value("1"),
      "multiply the load's arrival rates by F (above 0, at most 100): 0.01 plays the same "
      "calendar at a hundredth of its volume")(
      "sqlite-heap-mib", po::value<std::string>()->value_name("N")->default_value("1024"),
      "SQLite's page caches share at most about N MiB (0: no limit, each database's cache "
      "grows to SQLite's default)");
  cli::Parsed parsed = cli::Parse(args, "run", kUsage, visible, "scenario", out, err);
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vm;
  if (!vm.count("scenario")) return cli::UsageError("run", err, "expected SCENARIO.yaml");
  auto scenario = LoadScenario(vm["scenario"].as<std::string>());
  if (!scenario.ok()) {
    err << "renkei run: " << scenario.error().Describe() << "\n";
    return kExitUsage;
  }
  RunOptions options;
  if (vm.count("seed")) options.seed = vm["seed"].as<uint64_t>();
  options.out_dir = vm["out"].as<std::string>();
  if (vm.count("narrate")) options.narration = &out;
  // Parsed here: program_options would wrap "-1" round to a huge count.
  const std::string& threads = vm["crypto-threads"].as<std::string>();
  if (threads.size() != 1 || threads[0] < '0' || threads[0] > '8') {
    return cli::UsageError("run", err,
                           "--crypto-threads '" + threads + "' is not a whole number from 0 to 8");
  }
  options.crypto_threads = static_cast<size_t>(threads[0] - '0');
  const std::string& scale = vm["load-scale"].as<std::string>();
  double f = 0;
  const auto [end, ec] = std::from_chars(scale.data(), scale.data() + scale.size(), f);
  if (ec != std::errc() || end != scale.data() + scale.size() || !(f > 0) || f > 100) {
    return cli::UsageError("run", err,
                           "--load-scale '" + scale + "' is not a number above 0 and at most 100");
  }
  options.load_scale = f;
  const std::string& heap = vm["sqlite-heap-mib"].as<std::string>();
  int64_t mib = -1;
  const auto [heap_end, heap_ec] = std::from_chars(heap.data(), heap.data() + heap.size(), mib);
  if (heap_ec != std::errc() || heap_end != heap.data() + heap.size() || mib < 0 ||
      mib > 1024 * 1024) {
    return cli::UsageError(
        "run", err, "--sqlite-heap-mib '" + heap + "' is not a whole number from 0 to 1048576");
  }
  options.sqlite_heap_mib = mib;
  // The progress line is for people watching a terminal, never for logs or pipes.
  if (&err == &std::cerr && ::isatty(STDERR_FILENO) == 1) options.progress = &err;
  auto summary = RunScenario(scenario.value(), options);
  if (!summary.ok()) {
    err << "renkei run: " << summary.error().Describe() << "\n";
    return kExitUsage;
  }
  out << scenario->name << " (seed " << summary->seed << "): " << summary->queries << " queries, "
      << summary->events << " events\n";
  for (const ExpectationResult& r : summary->expectations) {
    out << (r.passed ? "  ok    " : "  FAIL  ") << r.expectation.Describe() << " — " << r.actual
        << "\n";
  }
  for (const std::string& e : summary->timeline_errors) out << "  FAIL  timeline: " << e << "\n";
  out << (summary->passed() ? "PASSED" : "FAILED") << "; reports in " << options.out_dir
      << "/summary.json, junit.xml and report.html\n";
  return summary->passed() ? kExitOk : kExitFailed;
}

}  // namespace renkei::scenarios
