#include "scenarios/cli.h"

#include <algorithm>
#include <string_view>

namespace renkei::scenarios {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>&, std::ostream&, std::ostream&);
};

constexpr Command kCommands[] = {
    {"check", "validate an identifier (個人番号, 住民票コード, 地方公共団体コード, ...)",
     &RunCheck},
    {"gen", "generate synthetic test data (residents CSV)", &RunGen},
    {"demo", "register generated residents in an addressing server and show what happened",
     &RunDemo},
    {"verify-logs", "check a provision log's hash chain and seals", &RunVerifyLogs},
    {"run", "run a scenario file: world, timeline, expectations, reports", &RunRun},
    {"validate", "check a scenario file without running it", &RunValidate},
    {"bench", "compare benchmark results of two builds (the regression gate)", &RunBench},
};

void PrintUsage(std::ostream& os) {
  os << "renkei " << RENKEI_VERSION
     << " - a simulator of Japan's My Number information-linkage network\n\n"
        "usage: renkei <command> [options]\n\ncommands:\n";
  // Summaries line up after the longest command name.
  size_t width = 0;
  for (const Command& c : kCommands) width = std::max(width, c.name.size());
  for (const Command& c : kCommands) {
    os << "  " << c.name << std::string(width + 2 - c.name.size(), ' ') << c.summary << "\n";
  }
  os << "\nRun `renkei <command> --help` for a command's options.\n";
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    PrintUsage(err);
    return kExitUsage;
  }
  const std::string& name = args.front();
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(out);
    return kExitOk;
  }
  if (name == "--version") {
    out << "renkei " << RENKEI_VERSION << "\n";
    return kExitOk;
  }
  for (const Command& c : kCommands) {
    if (c.name == name) {
      const std::vector<std::string> rest(args.begin() + 1, args.end());
      return c.run(rest, out, err);
    }
  }
  err << "renkei: unknown command '" << name << "'\n\n";
  PrintUsage(err);
  return kExitUsage;
}

}  // namespace renkei::scenarios
