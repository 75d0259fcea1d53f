// The `renkei` command line: subcommand dispatch and the subcommands themselves.
//
// Every subcommand is a function from arguments and two output streams to an exit code, so
// tests run the CLI in-process without a shell. Exit codes: 0 success, 1 a run whose
// expectations or checks failed, 2 bad usage or bad input (the message on `err` names the
// problem). Nothing a subcommand prints ever contains a 個人番号 except `gen residents`, whose
// whole purpose is to write synthetic 個人番号 into a test-data file the user asked for.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace renkei::scenarios {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// argv[0] excluded: {"check", "mynumber", "123..."}.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Subcommands; `args` excludes the subcommand's own name.
int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunGen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunDemo(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunVerifyLogs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunValidate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunRun(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunBench(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace renkei::scenarios
