// `renkei gen residents`: synthetic residents as CSV, for the addressing server's bulk import.
//
// With --out the CSV goes to FILE.tmp and is renamed to FILE only once complete, so a failure
// (disk full, a bad option discovered late) never leaves a partial file under the real name.
#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "addressing/resident_generator.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kGenUsage =
    "usage: renkei gen WHAT [options]\n"
    "\n"
    "what:\n"
    "  residents    synthetic residents of one municipality as CSV\n"
    "\n"
    "Run `renkei gen residents --help` for its options.\n";

constexpr std::string_view kResidentsUsage =
    "usage: renkei gen residents --lgcode CODE --count N [--seed S] [--out FILE]\n"
    "                            [--reference-date YYYY-MM-DD]\n"
    "\n"
    "Writes N synthetic residents of the municipality CODE as CSV (UTF-8, LF, header row):\n"
    "  個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所\n"
    "The same CODE, N, S and reference date always give the same file. The output holds\n"
    "synthetic 個人番号: it is test data, never real people's.\n"
    "\n"
    "options:\n";

constexpr uint64_t kDefaultSeed = 1;

int Fail(std::ostream& err, const std::string& message) {
  err << "renkei gen: " << message << "\n";
  return kExitUsage;
}

int UsageError(std::ostream& err, const std::string& message, std::string_view help_command) {
  Fail(err, message);
  err << "Run `" << help_command << " --help` for usage.\n";
  return kExitUsage;
}

// A decimal without sign, spaces or a fractional part that fits in uint64_t.
bool ParseUnsigned(std::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 20) return false;
  value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - d) / 10) return false;
    value = value * 10 + d;
  }
  return true;
}

void WriteResidents(std::ostream& os, addressing::ResidentGenerator& generator, uint64_t count) {
  addressing::WriteResidentsCsvHeader(os);
  for (uint64_t i = 0; i < count; ++i) addressing::WriteResidentCsvRow(os, generator.Next());
}

int RunGenResidents(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kHelp = "renkei gen residents";
  const addressing::ResidentGeneratorOptions defaults;
  po::options_description options(100);
  options.add_options()("help,h", "show this help")(
      "lgcode", po::value<std::string>()->value_name("CODE"),
      "地方公共団体コード of the municipality (required)")(
      "count", po::value<std::string>()->value_name("N"),
      "residents to generate, 1 to 10000000 (required)")(
      "seed", po::value<std::string>()->value_name("S"), "random seed, 0 to 2^64-1 (default 1)")(
      "out", po::value<std::string>()->value_name("FILE"),
      "write to FILE instead of standard output")(
      "reference-date", po::value<std::string>()->value_name("YYYY-MM-DD"),
      ("date on which ages are counted (default " +
       addressing::FormatDate(defaults.reference_date) + ")")
          .c_str());

  // Anything that is not an option lands in "stray" and is refused, rather than ignored.
  po::options_description all;
  all.add(options).add_options()("stray", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("stray", -1);

  po::variables_map vm;
  try {
    // Values are read as text and checked here, so "--count -5" and "--count abc" get the same
    // clear message instead of Boost's; short options are off so "-5" is not taken for one
    // (and "-h" is looked for by hand).
    const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_short;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError(err, e.what(), kHelp);
  }
  const bool short_help = std::find(args.begin(), args.end(), "-h") != args.end();
  if (vm.count("help") || short_help) {
    out << kResidentsUsage << options;
    return kExitOk;
  }
  if (vm.count("stray")) {
    return UsageError(
        err, "unexpected argument '" + vm["stray"].as<std::vector<std::string>>()[0] + "'", kHelp);
  }
  if (!vm.count("lgcode")) return UsageError(err, "--lgcode is required", kHelp);
  if (!vm.count("count")) return UsageError(err, "--count is required", kHelp);

  const std::string& count_text = vm["count"].as<std::string>();
  uint64_t count = 0;
  if (!ParseUnsigned(count_text, count) || count == 0 ||
      count > addressing::ResidentGenerator::kMaxResidents) {
    return Fail(err, "--count must be a whole number from 1 to " +
                         std::to_string(addressing::ResidentGenerator::kMaxResidents) + ", got '" +
                         count_text + "'");
  }
  uint64_t seed = kDefaultSeed;
  if (vm.count("seed")) {
    const std::string& seed_text = vm["seed"].as<std::string>();
    if (!ParseUnsigned(seed_text, seed)) {
      return Fail(err, "--seed must be a whole number from 0 to 18446744073709551615, got '" +
                           seed_text + "'");
    }
  }
  addressing::ResidentGeneratorOptions gen_options;
  if (vm.count("reference-date")) {
    auto date = addressing::ParseDate(vm["reference-date"].as<std::string>());
    if (!date.ok()) return Fail(err, "--reference-date: " + date.error().message);
    gen_options.reference_date = *date;
  }
  auto generator =
      addressing::ResidentGenerator::Create(seed, vm["lgcode"].as<std::string>(), gen_options);
  if (!generator.ok()) return Fail(err, "--lgcode: " + generator.error().message);

  if (!vm.count("out")) {
    WriteResidents(out, *generator, count);
    out.flush();
    if (!out) return Fail(err, "writing to standard output failed");
    return kExitOk;
  }

  const std::filesystem::path path = vm["out"].as<std::string>();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file) {
      return Fail(err, "cannot write '" + tmp.string() + "': " + std::strerror(errno));
    }
    WriteResidents(file, *generator, count);
    file.close();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return Fail(err, "writing '" + tmp.string() + "' failed; nothing was written to '" +
                           path.string() + "'");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    return Fail(err,
                "cannot rename '" + tmp.string() + "' to '" + path.string() + "': " + ec.message());
  }
  const addressing::MunicipalityInfo& m = generator->municipality();
  err << "renkei gen: wrote " << count << " residents of " << m.prefecture << m.name << " ("
      << m.lgcode << ", seed " << seed << ", ages on "
      << addressing::FormatDate(gen_options.reference_date) << ") to " << path.string() << "\n";
  return kExitOk;
}

}  // namespace

int RunGen(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << kGenUsage;
    return kExitUsage;
  }
  const std::string& what = args.front();
  if (what == "--help" || what == "-h" || what == "help") {
    out << kGenUsage;
    return kExitOk;
  }
  if (what == "residents") {
    return RunGenResidents(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
  }
  return UsageError(err, "unknown generator '" + what + "' (residents)", "renkei gen");
}

}  // namespace renkei::scenarios
