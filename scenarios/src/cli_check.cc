// `renkei check KIND VALUE`: validates one identifier and says why it is wrong.
//
// The 個人番号 is never printed, not on success, not in an error, not in an option-parsing
// message (Boost's messages quote the offending token, so long digit runs are masked).
#include <boost/program_options.hpp>
#include <string>
#include <string_view>

#include "addressing/resident_generator.h"
#include "netsim/identifiers.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: renkei check KIND VALUE [--kind JM|JT|TM]\n"
    "\n"
    "Validates VALUE and prints one line: 'valid ...' (exit 0) or the rule it breaks (exit 2).\n"
    "\n"
    "kinds:\n"
    "  mynumber     個人番号, 12 digits with a check digit (the value is never printed)\n"
    "  juminhyo     住民票コード, 11 digits with a check digit\n"
    "  lgcode       地方公共団体コード, 6 digits: prefecture 01-47 and a check digit\n"
    "  institution  機関コード, 16 digits (renkei layout: 10 + lgcode + organ + check digit)\n"
    "  code         事務 / 事務手続 / 特定個人情報名コード: JM, JT or TM + 14 digits\n"
    "  integrated   団体内統合宛名番号, 15 digits, first digit 1-9, with a check digit\n"
    "\n"
    "options:\n";

// Runs of 10 or more digits become "<digits>": a 個人番号 typed where an option name was
// expected must not come back in Boost's "unrecognised option '...'" message.
std::string MaskDigitRuns(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j - i >= 10) {
      out += "<digits>";
    } else {
      out.append(text, i, j - i);
    }
    if (j == i) out.push_back(text[j++]);
    i = j;
  }
  return out;
}

int Fail(std::ostream& err, const std::string& message) {
  err << "renkei check: " << message << "\n";
  return kExitUsage;
}

int UsageError(std::ostream& err, const std::string& message) {
  Fail(err, message);
  err << "Run `renkei check --help` for usage.\n";
  return kExitUsage;
}

}  // namespace

int RunCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description visible(100);
  visible.add_options()("help,h", "show this help")(
      "kind", po::value<std::string>()->value_name("JM|JT|TM"),
      "for `code`: require this prefix (default: any of the three)");
  po::options_description all;
  all.add(visible).add_options()("type", po::value<std::string>())("value",
                                                                   po::value<std::string>());
  po::positional_options_description positional;
  positional.add("type", 1).add("value", 1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return UsageError(err, MaskDigitRuns(e.what()));
  }
  if (vm.count("help")) {
    out << kUsage << visible;
    return kExitOk;
  }
  if (!vm.count("type") || !vm.count("value")) {
    return UsageError(err, "expected KIND and VALUE");
  }
  const std::string& type = vm["type"].as<std::string>();
  const std::string& value = vm["value"].as<std::string>();
  if (vm.count("kind") && type != "code") return UsageError(err, "--kind applies only to `code`");

  if (type == "mynumber") {
    auto status = netsim::ValidateMyNumber(value);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid 個人番号\n";
    return kExitOk;
  }
  if (type == "juminhyo") {
    auto status = netsim::ValidateJuminhyoCode(value);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid 住民票コード " << value << "\n";
    return kExitOk;
  }
  if (type == "lgcode") {
    auto status = netsim::ValidateLgCode(value);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid 地方公共団体コード " << value << " ("
        << addressing::PrefectureName(netsim::LgCodePrefecture(value)) << ")\n";
    return kExitOk;
  }
  if (type == "institution") {
    auto status = netsim::ValidateInstitutionCode(value);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid 機関コード " << value;
    if (auto lgcode = netsim::LgCodeOfInstitution(value); lgcode.ok()) {
      out << " (local public body " << *lgcode << ")";
    } else {
      out << " (national body, class " << value.substr(0, 2) << ")";
    }
    out << "\n";
    return kExitOk;
  }
  if (type == "code") {
    netsim::CodeKind kind = netsim::CodeKind::kAny;
    if (vm.count("kind")) {
      const std::string& k = vm["kind"].as<std::string>();
      if (k == "JM") {
        kind = netsim::CodeKind::kBusiness;
      } else if (k == "JT") {
        kind = netsim::CodeKind::kProcedure;
      } else if (k == "TM") {
        kind = netsim::CodeKind::kDataItem;
      } else {
        return UsageError(err, "--kind must be JM, JT or TM, got '" + MaskDigitRuns(k) + "'");
      }
    }
    auto status = netsim::ValidateCode(value, kind);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid " << value.substr(0, 2) << " code " << value << "\n";
    return kExitOk;
  }
  if (type == "integrated") {
    auto status = netsim::ValidateIntegratedNumber(value);
    if (!status.ok()) return Fail(err, status.error().message);
    out << "valid 統合宛名番号 " << value << "\n";
    return kExitOk;
  }
  return UsageError(err, "unknown kind '" + MaskDigitRuns(type) +
                             "' (mynumber, juminhyo, lgcode, institution, code, integrated)");
}

}  // namespace renkei::scenarios
