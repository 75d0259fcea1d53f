// Running the CLI in-process from tests: arguments in, exit code and both streams out.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/cli.h"

namespace renkei::scenarios::testing {

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline CliRun RunRenkei(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  CliRun r;
  r.code = RunCli(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

inline bool Contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace renkei::scenarios::testing
