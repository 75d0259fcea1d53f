// The `renkei` executable: hands its arguments to the in-process CLI.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "scenarios/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return renkei::scenarios::RunCli(args, std::cout, std::cerr);
  } catch (const std::exception& e) {
    // Subcommands turn expected failures into exit codes; anything reaching here is a bug, but
    // it still gets a message rather than std::terminate's.
    std::cerr << "renkei: internal error: " << e.what() << "\n";
    return 70;
  }
}
