// Running the CLI in-process from tests: arguments in, exit code and both streams out; and a
// scratch directory per test for the files they read and write.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
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

// A fixture whose test has a directory of its own under TempDir(), empty at the start and
// removed at the end. Named after the suite and the test because ctest runs every test in its
// own process, in parallel: two tests sharing a directory would write into each other's files.
class ScratchDir : public ::testing::Test {
 protected:
  ScratchDir() : dir_(std::filesystem::path(::testing::TempDir()) / TestName()) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~ScratchDir() override {
    std::error_code ignored;  // a test that already failed should not also throw here
    std::filesystem::remove_all(dir_, ignored);
  }

  // Writes `text` byte for byte to `name` under the directory (creating the directories `name`
  // has in it) and returns its path.
  std::string Write(const std::string& name, std::string_view text) const {
    const std::filesystem::path p = dir_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  const std::filesystem::path dir_;

 private:
  // "Suite.Test"; parameterised tests have '/' in both parts.
  static std::string TestName() {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    std::replace(name.begin(), name.end(), '/', '_');
    return name;
  }
};

}  // namespace renkei::scenarios::testing
