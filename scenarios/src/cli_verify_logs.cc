// `renkei verify-logs PATH --key PUBLIC_KEY_PEM`: checks one provision log (情報提供等記録)
// file's hash chain, seals and purge anchor with the body's log public key.
//
// Exit 0 when intact ("N records, M seals, intact"), 1 naming the first bad record or seal, 2
// when the check cannot run (bad usage, missing file, unreadable key, not a provision log).
// The file is opened read-only, so running this against a live log is safe. What the file alone
// cannot show (a cut tail after the last seal) is documented in middleware/provision_log.h.
#include <boost/program_options.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli_args.h"
#include "middleware/provision_log.h"
#include "netsim/crypto.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;

constexpr std::string_view kUsage =
    "usage: renkei verify-logs PATH --key PUBLIC_KEY_PEM\n"
    "\n"
    "Checks a provision log's hash chain, its seals (Merkle roots and Ed25519 signatures) and\n"
    "its purge anchor. Prints 'N records, M seals, intact' (exit 0) or names the first bad\n"
    "record or seal (exit 1). Exit 2: bad usage, missing file, unreadable key, not a log.\n"
    "\n"
    "options:\n";

}  // namespace

int RunVerifyLogs(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description visible(100);
  visible.add_options()("help,h", "show this help")(
      "key", po::value<std::string>()->value_name("PEM"),
      "the body's log public key (SubjectPublicKeyInfo PEM file)");
  cli::Parsed parsed = cli::Parse(args, "verify-logs", kUsage, visible, "path", out, err);
  if (parsed.exit) return *parsed.exit;
  const po::variables_map& vm = parsed.vm;
  if (!vm.count("path")) return cli::UsageError("verify-logs", err, "expected PATH");
  if (!vm.count("key")) return cli::UsageError("verify-logs", err, "expected --key PUBLIC_KEY_PEM");
  const std::string& path = vm["path"].as<std::string>();
  const std::string& key_path = vm["key"].as<std::string>();

  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    err << "renkei verify-logs: no such file: " << path << "\n";
    return kExitUsage;
  }
  auto key = netsim::crypto::PublicKey::LoadPemFile(key_path);
  if (!key.ok()) {
    err << "renkei verify-logs: cannot read key " << key_path << ": " << key.error().Describe()
        << "\n";
    return kExitUsage;
  }
  auto check = middleware::VerifyLog(path, **key);
  if (!check.ok()) {
    err << "renkei verify-logs: " << path << ": " << check.error().Describe() << "\n";
    return kExitUsage;
  }
  if (!check->intact) {
    out << path << ": TAMPERED: " << check->reason << "\n";
    return kExitFailed;
  }
  out << check->records << " records, " << check->seals << " seals, intact";
  if (check->anchor_seq > 0) out << " (purged through record " << check->anchor_seq << ")";
  const int64_t last = check->anchor_seq + check->records;
  if (check->sealed_through < last) {
    out << "; records " << check->sealed_through + 1 << "-" << last
        << " are not sealed yet (chain only)";
  }
  out << "\n";
  return kExitOk;
}

}  // namespace renkei::scenarios
