#include "scenarios/cli.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_support.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;

using testing::CliRun;
using testing::Contains;
using testing::RunRenkei;

size_t CountLines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// A path under the test temp dir that no other test (or concurrent run) uses.
fs::path TempPath(std::string_view suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path p = fs::path(::testing::TempDir()) / ("renkei_cli_" + std::string(info->name()) + "_" +
                                                 std::to_string(::getpid()) + std::string(suffix));
  fs::remove_all(p);
  return p;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr char kMyNumber[] = "983205673214";

// ---- check ----

TEST(CliCheckTest, ValidMyNumberIsNotEchoed) {
  const CliRun r = RunRenkei({"check", "mynumber", kMyNumber});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid 個人番号\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliCheckTest, MyNumberWithWrongCheckDigitIsNotEchoed) {
  const CliRun r = RunRenkei({"check", "mynumber", "983205673213"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Contains(r.err, "check digit is 3, expected 4")) << r.err;
  EXPECT_FALSE(Contains(r.err, "98320567")) << r.err;
}

TEST(CliCheckTest, MyNumberWithWrongLength) {
  const CliRun r = RunRenkei({"check", "mynumber", "98320567321"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "個人番号 must be 12 digits, got 11")) << r.err;
  EXPECT_FALSE(Contains(r.err, "98320567")) << r.err;
}

TEST(CliCheckTest, MyNumberWithFullWidthDigits) {
  const CliRun r = RunRenkei({"check", "mynumber", "９８３２０５６７３２１４"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "full-width")) << r.err;
  EXPECT_FALSE(Contains(r.err, "９８３２")) << r.err;
}

TEST(CliCheckTest, MyNumberInAnUnknownOptionIsMasked) {
  const CliRun r = RunRenkei({"check", "mynumber", std::string("--number=") + kMyNumber});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_FALSE(Contains(r.err, "98320567")) << r.err;
}

TEST(CliCheckTest, MyNumberGivenToAnotherKindIsNotEchoed) {
  const CliRun r = RunRenkei({"check", "lgcode", kMyNumber});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_FALSE(Contains(r.err, "98320567")) << r.err;
}

TEST(CliCheckTest, ValidJuminhyoCode) {
  const CliRun r = RunRenkei({"check", "juminhyo", "12345678903"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid 住民票コード 12345678903\n");
}

TEST(CliCheckTest, InvalidJuminhyoCode) {
  const CliRun r = RunRenkei({"check", "juminhyo", "12345678904"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "住民票コード check digit is 4, expected 3")) << r.err;
}

TEST(CliCheckTest, ValidLgCodeNamesThePrefecture) {
  const CliRun r = RunRenkei({"check", "lgcode", "152021"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid 地方公共団体コード 152021 (新潟県)\n");
}

TEST(CliCheckTest, LgCodeWithUnknownPrefecture) {
  const CliRun r = RunRenkei({"check", "lgcode", "482013"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "prefecture 48 does not exist (01-47)")) << r.err;
}

TEST(CliCheckTest, LgCodeWithWrongCheckDigit) {
  const CliRun r = RunRenkei({"check", "lgcode", "152022"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "check digit is 2, expected 1")) << r.err;
}

TEST(CliCheckTest, ValidInstitutionCode) {
  const CliRun r = RunRenkei({"check", "institution", "1015202100000002"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid 機関コード 1015202100000002 (local public body 152021)\n");
}

TEST(CliCheckTest, ValidNationalInstitutionCode) {
  const CliRun r = RunRenkei({"check", "institution", "2000000000000011"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "national body, class 20")) << r.out;
}

TEST(CliCheckTest, InvalidInstitutionCode) {
  const CliRun r = RunRenkei({"check", "institution", "3015202100000002"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "class 30 is not assigned")) << r.err;
}

TEST(CliCheckTest, ValidCodeOfAnyKind) {
  const CliRun r = RunRenkei({"check", "code", "TM00000000000123"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid TM code TM00000000000123\n");
}

TEST(CliCheckTest, CodeOfTheWrongKind) {
  const CliRun r = RunRenkei({"check", "code", "JM00000000000123", "--kind", "JT"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "expected a 事務手続コード (JT)")) << r.err;
}

TEST(CliCheckTest, CodeWithBadKindOption) {
  const CliRun r = RunRenkei({"check", "code", "JM00000000000123", "--kind", "XX"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--kind must be JM, JT or TM")) << r.err;
}

TEST(CliCheckTest, KindOptionOnlyForCode) {
  const CliRun r = RunRenkei({"check", "lgcode", "152021", "--kind", "JM"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--kind applies only to `code`")) << r.err;
}

TEST(CliCheckTest, MalformedCode) {
  const CliRun r = RunRenkei({"check", "code", "jm00000000000123"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "upper-case")) << r.err;
}

TEST(CliCheckTest, ValidIntegratedNumber) {
  const CliRun r = RunRenkei({"check", "integrated", "123456789012340"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "valid 統合宛名番号 123456789012340\n");
}

TEST(CliCheckTest, IntegratedNumberThatIsAZeroPaddedMyNumber) {
  const CliRun r = RunRenkei({"check", "integrated", std::string("000") + kMyNumber});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "must not start with 0")) << r.err;
  EXPECT_FALSE(Contains(r.err, "98320567")) << r.err;
}

TEST(CliCheckTest, UnknownKind) {
  const CliRun r = RunRenkei({"check", "passport", "TK1234567"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unknown kind 'passport'")) << r.err;
}

TEST(CliCheckTest, MissingValue) {
  const CliRun r = RunRenkei({"check", "mynumber"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "expected KIND and VALUE")) << r.err;
}

TEST(CliCheckTest, TooManyArguments) {
  const CliRun r = RunRenkei({"check", "lgcode", "152021", "131016"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_FALSE(r.err.empty());
}

TEST(CliCheckTest, Help) {
  const CliRun r = RunRenkei({"check", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "usage: renkei check KIND VALUE")) << r.out;
  EXPECT_EQ(r.err, "");
}

// ---- gen ----

TEST(CliGenTest, Help) {
  const CliRun r = RunRenkei({"gen", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "residents")) << r.out;
}

TEST(CliGenTest, WithoutGeneratorIsUsageError) {
  const CliRun r = RunRenkei({"gen"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "usage: renkei gen")) << r.err;
}

TEST(CliGenTest, UnknownGenerator) {
  const CliRun r = RunRenkei({"gen", "persons"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unknown generator 'persons'")) << r.err;
}

TEST(CliGenResidentsTest, Help) {
  for (const char* flag : {"--help", "-h"}) {
    const CliRun r = RunRenkei({"gen", "residents", flag});
    EXPECT_EQ(r.code, kExitOk) << flag;
    EXPECT_TRUE(Contains(r.out, "--reference-date")) << r.out;
    EXPECT_TRUE(Contains(r.out, "個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所"));
  }
}

TEST(CliGenResidentsTest, WritesCsvToStdout) {
  const CliRun r =
      RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "25", "--seed", "3"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(CountLines(r.out), 26u);
  EXPECT_EQ(r.out.rfind("個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n", 0),
            0u);
  EXPECT_TRUE(Contains(r.out, ",新潟県長岡市")) << r.out;
}

TEST(CliGenResidentsTest, SameSeedSameOutput) {
  const std::vector<std::string> args = {"gen",     "residents", "--lgcode", "131041",
                                         "--count", "50",        "--seed",   "12"};
  EXPECT_EQ(RunRenkei(args).out, RunRenkei(args).out);
  std::vector<std::string> other = args;
  other.back() = "13";
  EXPECT_NE(RunRenkei(args).out, RunRenkei(other).out);
}

TEST(CliGenResidentsTest, SeedDefaultsToOne) {
  EXPECT_EQ(
      RunRenkei({"gen", "residents", "--lgcode", "131041", "--count", "5"}).out,
      RunRenkei({"gen", "residents", "--lgcode", "131041", "--count", "5", "--seed", "1"}).out);
}

TEST(CliGenResidentsTest, ReferenceDateChangesBirthDates) {
  const CliRun a = RunRenkei({"gen", "residents", "--lgcode", "131041", "--count", "5"});
  const CliRun b = RunRenkei(
      {"gen", "residents", "--lgcode", "131041", "--count", "5", "--reference-date", "2030-04-01"});
  EXPECT_EQ(b.code, kExitOk) << b.err;
  EXPECT_NE(a.out, b.out);
}

TEST(CliGenResidentsTest, WritesFileAtomicallyAndSummarises) {
  const fs::path path = TempPath(".csv");
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "011002", "--count", "100", "--seed",
                              "9", "--out", path.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(Contains(r.err, "wrote 100 residents of 北海道札幌市 (011002")) << r.err;
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  const CliRun stdout_run =
      RunRenkei({"gen", "residents", "--lgcode", "011002", "--count", "100", "--seed", "9"});
  EXPECT_EQ(ReadFile(path), stdout_run.out);
  fs::remove(path);
}

TEST(CliGenResidentsTest, NegativeCount) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"gen", "residents", "--lgcode", "152021", "--count", "-5"},
        std::vector<std::string>{"gen", "residents", "--lgcode", "152021", "--count=-5"}}) {
    const CliRun r = RunRenkei(args);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_TRUE(Contains(r.err, "--count must be a whole number from 1 to 10000000, got '-5'"))
        << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliGenResidentsTest, ZeroCount) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "0"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "got '0'")) << r.err;
}

TEST(CliGenResidentsTest, NonNumericCount) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "ten"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "got 'ten'")) << r.err;
}

TEST(CliGenResidentsTest, FractionalCount) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "1.5"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "got '1.5'")) << r.err;
}

TEST(CliGenResidentsTest, CountAboveTenMillion) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "10000001"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "got '10000001'")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliGenResidentsTest, HugeCountDoesNotOverflow) {
  const CliRun r =
      RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "99999999999999999999999"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--count must be")) << r.err;
}

TEST(CliGenResidentsTest, MissingCount) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--count is required")) << r.err;
}

TEST(CliGenResidentsTest, CountWithoutValue) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--count")) << r.err;
}

TEST(CliGenResidentsTest, NegativeSeed) {
  const CliRun r =
      RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "1", "--seed", "-1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--seed must be a whole number")) << r.err;
}

TEST(CliGenResidentsTest, MissingLgCode) {
  const CliRun r = RunRenkei({"gen", "residents", "--count", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--lgcode is required")) << r.err;
}

TEST(CliGenResidentsTest, InvalidLgCode) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152022", "--count", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--lgcode: 地方公共団体コード check digit is 2, expected 1"))
      << r.err;
}

TEST(CliGenResidentsTest, UnsupportedLgCode) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "130001", "--count", "1"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "130001 (東京都) has no address table")) << r.err;
  EXPECT_TRUE(Contains(r.err, "152021 長岡市")) << r.err;
}

TEST(CliGenResidentsTest, ImpossibleReferenceDate) {
  const CliRun r = RunRenkei(
      {"gen", "residents", "--lgcode", "152021", "--count", "1", "--reference-date", "2024-02-30"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--reference-date: date '2024-02-30' is not a calendar day"))
      << r.err;
}

TEST(CliGenResidentsTest, MalformedReferenceDate) {
  const CliRun r = RunRenkei(
      {"gen", "residents", "--lgcode", "152021", "--count", "1", "--reference-date", "2024/04/01"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "YYYY-MM-DD")) << r.err;
}

TEST(CliGenResidentsTest, StrayArgument) {
  const CliRun r = RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "1", "extra"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "unexpected argument 'extra'")) << r.err;
}

TEST(CliGenResidentsTest, UnwritableDirectory) {
  const fs::path path = TempPath("_missing_dir") / "residents.csv";
  const CliRun r = RunRenkei(
      {"gen", "residents", "--lgcode", "152021", "--count", "10", "--out", path.string()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "cannot write")) << r.err;
  EXPECT_FALSE(fs::exists(path));
}

// The target is an existing directory: the temp file is written, the rename fails, and neither
// the temp file nor anything under the target name is left behind.
TEST(CliGenResidentsTest, FailedRenameLeavesNoPartialFile) {
  const fs::path dir = TempPath("_target_dir");
  fs::create_directories(dir);
  const CliRun r =
      RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "10", "--out", dir.string()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "cannot rename")) << r.err;
  EXPECT_FALSE(fs::exists(dir.string() + ".tmp"));
  EXPECT_TRUE(fs::is_directory(dir));
  fs::remove_all(dir);
}

TEST(CliGenResidentsTest, BadOptionKeepsExistingFile) {
  const fs::path path = TempPath(".csv");
  {
    std::ofstream f(path);
    f << "old contents\n";
  }
  const CliRun r =
      RunRenkei({"gen", "residents", "--lgcode", "152021", "--count", "0", "--out", path.string()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_EQ(ReadFile(path), "old contents\n");
  fs::remove(path);
}

// ---- the executable ----

TEST(CliBinaryTest, HelpRunsInTheBuiltExecutable) {
  const std::string command = std::string("\"") + RENKEI_CLI_PATH + "\" --help";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(Contains(output, "usage: renkei")) << output;
  EXPECT_TRUE(Contains(output, "check")) << output;
  EXPECT_TRUE(Contains(output, "gen")) << output;
  EXPECT_TRUE(Contains(output, "validate")) << output;
}

// ---- demo ----

TEST(CliDemoTest, RegistersLooksUpAndMatchesWithoutLeakingMyNumbers) {
  const fs::path dir = TempPath("_demo");
  const CliRun r = RunRenkei({"demo", "--count", "300", "--seed", "5", "--out", dir.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(Contains(r.out, "rows 303: numbered 300, rejected 3")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rejected line 302: my_number")) << r.out;
  EXPECT_TRUE(Contains(r.out, "rejected line 303: 生年月日")) << r.out;
  EXPECT_TRUE(Contains(r.out, "different 4 information")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(existing person, link added)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "(5/5)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "個人番号 in clear in the database file: none")) << r.out;
  EXPECT_TRUE(fs::exists(dir / "152021-addressing.db"));
  // No generated 個人番号 appears in what the demo printed.
  const std::string csv = ReadFile(dir / "residents.csv");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const std::string my_number = line.substr(0, 12);
    ASSERT_FALSE(Contains(r.out, my_number)) << "leaked a 個人番号";
    ASSERT_FALSE(Contains(r.err, my_number)) << "leaked a 個人番号";
  }
}

TEST(CliDemoTest, SameSeedPrintsTheSameStory) {
  const fs::path a = TempPath("_a");
  const fs::path b = TempPath("_b");
  CliRun first = RunRenkei({"demo", "--count", "200", "--out", a.string()});
  CliRun second = RunRenkei({"demo", "--count", "200", "--out", b.string()});
  ASSERT_EQ(first.code, kExitOk) << first.err;
  ASSERT_EQ(second.code, kExitOk) << second.err;
  // Everything but the wall-clock line and the output paths is identical.
  auto strip = [](std::string s, const std::string& dir) {
    s = s.substr(0, s.find("wall time"));
    for (size_t at = s.find(dir); at != std::string::npos; at = s.find(dir)) {
      s.replace(at, dir.size(), "DIR");
    }
    return s;
  };
  EXPECT_EQ(strip(first.out, a.string()), strip(second.out, b.string()));
}

TEST(CliDemoTest, RejectsBadCount) {
  const CliRun r = RunRenkei({"demo", "--count", "0", "--out", TempPath("_bad").string()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--count")) << r.err;
}

TEST(CliDemoTest, RejectsMunicipalityWithoutAddressTable) {
  const CliRun r = RunRenkei({"demo", "--lgcode", "131130", "--out", TempPath("_x").string()});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--lgcode")) << r.err;
}

TEST(CliDemoTest, RejectsUnwritableOutputDirectory) {
  const CliRun r = RunRenkei({"demo", "--out", "/proc/renkei-cannot-write-here"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_TRUE(Contains(r.err, "--out")) << r.err;
}

TEST(CliDemoTest, HelpDescribesTheDemo) {
  const CliRun r = RunRenkei({"demo", "--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(Contains(r.out, "統合宛名")) << r.out;
}

}  // namespace
}  // namespace renkei::scenarios
