// The part every `renkei` subcommand shares: parse its options and one positional argument,
// answer --help, and report usage errors the same way ("renkei CMD: message" + a pointer to
// --help, exit 2). Internal to the CLI.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/cli.h"

namespace renkei::scenarios::cli {

namespace po = boost::program_options;

inline int UsageError(std::string_view command, std::ostream& err, const std::string& message) {
  err << "renkei " << command << ": " << message << "\n"
      << "Run `renkei " << command << " --help` for usage.\n";
  return kExitUsage;
}

// Parses `args` against `visible` (which must include "help") plus one positional argument
// named `positional`. Returns the options, or the exit code when the command is already done
// (help printed: 0; bad usage reported: 2).
struct Parsed {
  po::variables_map vm;
  std::optional<int> exit;
};
inline Parsed Parse(const std::vector<std::string>& args, std::string_view command,
                    std::string_view usage, const po::options_description& visible,
                    const char* positional, std::ostream& out, std::ostream& err) {
  po::options_description all;
  all.add(visible).add_options()(positional, po::value<std::string>());
  po::positional_options_description positionals;
  positionals.add(positional, 1);
  Parsed p;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positionals).run(), p.vm);
    po::notify(p.vm);
  } catch (const po::error& e) {
    p.exit = UsageError(command, err, e.what());
    return p;
  }
  if (p.vm.count("help")) {
    out << usage << visible;
    p.exit = kExitOk;
  }
  return p;
}

}  // namespace renkei::scenarios::cli
