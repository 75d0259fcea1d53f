// `renkei validate SCENARIO.yaml`: reads and checks a scenario file without running it.
//
// Exit 0 with "SCENARIO: valid (N bodies, M events, K expectations)"; exit 2 with the first
// mistake on stderr as "file:line:column: what is wrong; expected …" (the form editors and CI
// logs link to), or on bad usage. Nothing is built, so validating is instant and safe anywhere.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli_args.h"
#include "scenarios/cli.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: renkei validate SCENARIO.yaml\n"
    "\n"
    "Checks a scenario file without running it: every field, code, body, duration, query and\n"
    "expectation (docs/scenarios.md). Prints 'SCENARIO: valid (N bodies, M events, K\n"
    "expectations)' (exit 0) or the first mistake as 'file:line:column: what is wrong; expected\n"
    "...' (exit 2). Exit 2 also for bad usage.\n"
    "\n"
    "options:\n";

std::string Count(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// "a load section, " and, for an open one, the arrivals its calendar brings on average: what
// sizes a run before starting it.
std::string LoadText(const Scenario& s) {
  if (!s.load) return "";
  if (s.load->model != LoadSpec::Model::kOpen) return "a load section, ";
  const auto expected = static_cast<uint64_t>(std::llround(s.load->ExpectedArrivals(s.start)));
  return "a load section of about " + Count(expected, "arrival", "arrivals") + ", ";
}

}  // namespace

int RunValidate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description visible(100);
  visible.add_options()("help,h", "show this help");
  cli::Parsed parsed = cli::Parse(args, "validate", kUsage, visible, "scenario", out, err);
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vm;
  if (!vm.count("scenario")) return cli::UsageError("validate", err, "expected SCENARIO.yaml");
  const std::string& path = vm["scenario"].as<std::string>();

  const Result<Scenario> scenario = LoadScenario(path);
  if (!scenario.ok()) {
    err << scenario.error().Describe() << "\n";
    return kExitUsage;
  }
  out << path << ": valid (" << Count(scenario->world.bodies.size(), "body", "bodies") << ", "
      << Count(scenario->timeline.size(), "event", "events") << ", " << LoadText(*scenario)
      << Count(scenario->expect.size(), "expectation", "expectations") << ")\n";
  return kExitOk;
}

}  // namespace renkei::scenarios
