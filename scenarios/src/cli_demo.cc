// `renkei demo`: the main job until the scenario runner exists. It builds one local body's
// integrated addressing server, registers generated residents from a CSV file, links a second
// business system, looks persons up, matches them by 4 information written in other forms,
// and prints what happened at each step. It prints no 個人番号 and checks that the database
// file holds none in clear.
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <sstream>

#include "addressing/addressing_server.h"
#include "addressing/bulk_import.h"
#include "addressing/resident_generator.h"
#include "netsim/crypto.h"
#include "netsim/identifiers.h"
#include "scenarios/cli.h"

namespace renkei::scenarios {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using addressing::AddressingServer;
using addressing::FourInfo;
using addressing::Role;
using addressing::RoleBit;
using addressing::Session;

constexpr const char* kDemoPassword = "Renkei-demo-2024";

// Counts token requests as the network core would receive them.
class CountingSink : public addressing::TokenRequestSink {
 public:
  void OnTokenRequest(const addressing::TokenRequest& r) override {
    ++count;
    last = r;
  }
  int64_t count = 0;
  addressing::TokenRequest last;
};

std::string Matched(const addressing::MatchResult& m) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += '+';
    out += name;
  };
  add(m.name, "氏名");
  add(m.kana, "カナ");
  add(m.sex, "性別");
  add(m.birth_date, "生年月日");
  add(m.address, "住所");
  return out.empty() ? "-" : out;
}

// Writes a resident's 4 information in the forms another clerk might type: hiragana kana,
// Japanese era birth date, kanji numerals in the address, full-width space in the name.
FourInfo VariantForm(const addressing::Resident& r) {
  FourInfo f;
  std::string name = r.name;
  if (auto sp = name.find(' '); sp != std::string::npos) name.replace(sp, 1, "\xE3\x80\x80");
  f.name = name;
  // Katakana → hiragana: U+30A1..U+30F6 map to U+3041..U+3096 (UTF-8 E3 82/83 xx → E3 81/82).
  std::string kana;
  const std::string& k = r.name_kana;
  for (size_t i = 0; i < k.size();) {
    if (i + 2 < k.size() && static_cast<uint8_t>(k[i]) == 0xE3) {
      uint32_t cp = ((static_cast<uint8_t>(k[i]) & 0x0F) << 12) |
                    ((static_cast<uint8_t>(k[i + 1]) & 0x3F) << 6) |
                    (static_cast<uint8_t>(k[i + 2]) & 0x3F);
      if (cp >= 0x30A1 && cp <= 0x30F6) cp -= 0x60;
      kana += static_cast<char>(0xE0 | (cp >> 12));
      kana += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      kana += static_cast<char>(0x80 | (cp & 0x3F));
      i += 3;
    } else {
      kana += k[i++];
    }
  }
  f.name_kana = kana;
  f.sex = r.sex;
  const auto& d = r.birth_date;
  struct Era {
    int start_y, start_m, start_d;
    const char* name;
  };
  static constexpr Era kEras[] = {
      {2019, 5, 1, "令和"}, {1989, 1, 8, "平成"}, {1926, 12, 25, "昭和"}, {1912, 7, 30, "大正"}};
  f.birth_date = addressing::FormatDate(d);
  for (const Era& e : kEras) {
    if (std::tie(d.year, d.month, d.day) >= std::tie(e.start_y, e.start_m, e.start_d)) {
      const int year = d.year - e.start_y + 1;
      f.birth_date = std::string(e.name) + (year == 1 ? "元" : std::to_string(year)) + "年" +
                     std::to_string(d.month) + "月" + std::to_string(d.day) + "日";
      break;
    }
  }
  // "台町一丁目16番10号 旭コーポ808号室" → "台町1-16-10 旭コーポ808号室": block numbers
  // in the other common form, the building name left alone.
  const size_t space = r.address.find(' ');
  std::string block = r.address.substr(0, space);
  const std::string rest = space == std::string::npos ? "" : r.address.substr(space);
  static constexpr const char* kKanjiDigits[] = {"一", "二", "三", "四", "五",
                                                 "六", "七", "八", "九"};
  auto replace_all = [&block](const std::string& from, const std::string& to) {
    for (size_t at = block.find(from); at != std::string::npos; at = block.find(from, at)) {
      block.replace(at, from.size(), to);
      at += to.size();
    }
  };
  for (int digit = 0; digit < 9; ++digit) {
    replace_all(std::string(kKanjiDigits[digit]) + "丁目", std::to_string(digit + 1) + "-");
  }
  replace_all("番地", "-");
  replace_all("番", "-");
  replace_all("号", "");
  f.address = block + rest;
  return f;
}

bool FileContains(const std::string& path, const std::vector<std::string>& needles) {
  std::ifstream f(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const auto& n : needles) {
    if (bytes.find(n) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

int RunDemo(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string lgcode = "152021";
  int64_t count = 10000;
  uint64_t seed = 1;
  std::string out_dir = "out/demo";
  po::options_description desc(
      "usage: renkei demo [--lgcode CODE] [--count N] [--seed S] [--out DIR]\n\n"
      "Registers generated residents in one body's integrated addressing server (統合宛名\n"
      "システム), then links, looks up and matches them, printing each step. The server's\n"
      "SQLite file and the residents CSV are written to DIR (an earlier demo there is\n"
      "replaced).\n\noptions");
  desc.add_options()("help,h", "show this help")(
      "lgcode", po::value(&lgcode)->default_value(lgcode), "地方公共団体コード of the body")(
      "count", po::value(&count)->default_value(count), "residents to generate (1-1000000)")(
      "seed", po::value(&seed)->default_value(seed), "simulation seed")(
      "out", po::value(&out_dir)->default_value(out_dir), "output directory");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    err << "renkei demo: " << e.what() << "\n\n" << desc << "\n";
    return kExitUsage;
  }
  if (vm.count("help") != 0) {
    out << desc << "\n";
    return kExitOk;
  }
  if (count < 1 || count > 1000000) {
    err << "renkei demo: --count must be between 1 and 1000000, got " << count << "\n";
    return kExitUsage;
  }
  auto generator = addressing::ResidentGenerator::Create(seed, lgcode);
  if (!generator.ok()) {
    err << "renkei demo: --lgcode: " << generator.error().message << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    err << "renkei demo: --out: cannot create '" << out_dir << "': " << ec.message() << "\n";
    return kExitUsage;
  }
  const std::string db_path = (fs::path(out_dir) / (lgcode + "-addressing.db")).string();
  const std::string csv_path = (fs::path(out_dir) / "residents.csv").string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path + suffix, ec);

  auto fail = [&](std::string_view step, const Error& e) {
    err << "renkei demo: " << step << ": " << e.message << "\n";
    return kExitFailed;
  };

  netsim::ManualClock clock(netsim::FromCivil({2024, 4, 1, 9, 0, 0, 0}));
  CountingSink sink;
  addressing::AddressingOptions options;
  options.lgcode = lgcode;
  options.seed = seed;
  // Demo keys come from the seed so two runs build the same database; a deployment loads
  // its master key from a protected file instead.
  const auto key = netsim::crypto::Sha256(
      netsim::crypto::AsBytes("renkei-demo-master-key/" + std::to_string(seed) + "/" + lgcode));
  options.master_key.assign(key.begin(), key.end());
  options.staff_policy.hash.iterations = 10000;  // six demo logins; production keeps 600,000

  const auto& muni = generator->municipality();
  out << "renkei demo — 統合宛名システム of " << muni.prefecture << muni.name << " (" << lgcode
      << "), seed " << seed << "\n\n";

  auto opened = AddressingServer::Open(db_path, options, clock, &sink);
  if (!opened.ok()) return fail("open", opened.error());
  AddressingServer& server = *opened.value();
  auto& staff = server.staff();

  // 1. Staff.
  if (auto s = staff.Bootstrap("admin", "システム管理者", kDemoPassword); !s.ok()) {
    return fail("bootstrap", s.error());
  }
  auto admin = staff.Login("admin", kDemoPassword);
  if (!admin.ok()) return fail("login", admin.error());
  struct StaffSpec {
    const char* id;
    const char* name;
    addressing::RoleSet roles;
  };
  const StaffSpec specs[] = {
      {"juki01", "住民記録係 登録担当", RoleBit(Role::kRegistrar)},
      {"kenko01", "健康推進課 予防接種担当", RoleBit(Role::kRegistrar) | RoleBit(Role::kViewer)},
      {"madoguchi01", "市民課 窓口", RoleBit(Role::kViewer)},
      {"kansa01", "情報政策課 監査担当", RoleBit(Role::kAuditor)},
  };
  for (const auto& sp : specs) {
    if (auto s = staff.CreateStaff(admin.value(), sp.id, sp.name, sp.roles, kDemoPassword);
        !s.ok()) {
      return fail("create staff", s.error());
    }
  }
  for (const auto& sys : {addressing::BusinessSystem{"JUKI", "住民基本台帳システム"},
                          addressing::BusinessSystem{"KENKO", "健康管理システム"}}) {
    if (auto s = server.RegisterBusinessSystem(admin.value(), sys); !s.ok()) {
      return fail("register system", s.error());
    }
  }
  out << "1. staff and systems\n"
      << "   staff: admin (administrator), juki01 (registrar), kenko01 (registrar,viewer),\n"
      << "          madoguchi01 (viewer), kansa01 (auditor)\n"
      << "   business systems: JUKI 住民基本台帳システム, KENKO 健康管理システム\n\n";

  // 2. Generate residents into a CSV, with three rows a careless export might contain.
  std::vector<addressing::Resident> sample;
  std::vector<std::string> sample_numbers;
  {
    std::ofstream csv(csv_path, std::ios::binary | std::ios::trunc);
    if (!csv) {
      err << "renkei demo: cannot write '" << csv_path << "'\n";
      return kExitUsage;
    }
    addressing::WriteResidentsCsvHeader(csv);
    for (int64_t i = 0; i < count; ++i) {
      addressing::Resident r = generator->Next();
      if (i < 3 || (i % 997 == 0 && sample.size() < 8)) sample.push_back(r);
      if (sample_numbers.size() < 200) sample_numbers.push_back(r.my_number);
      addressing::WriteResidentCsvRow(csv, r);
    }
    // Bad rows: a mistyped check digit, an impossible birth date, and the first resident's
    // 個人番号 again under another name.
    addressing::Resident typo = generator->Next();
    typo.my_number.back() = typo.my_number.back() == '9' ? '0' : typo.my_number.back() + 1;
    addressing::WriteResidentCsvRow(csv, typo);
    addressing::Resident bad_date = generator->Next();
    bad_date.birth_date = addressing::Date{1985, 2, 30};
    addressing::WriteResidentCsvRow(csv, bad_date);
    addressing::Resident clash = generator->Next();
    clash.my_number = sample.front().my_number;
    addressing::WriteResidentCsvRow(csv, clash);
    if (!csv.flush()) {
      err << "renkei demo: write to '" << csv_path << "' failed\n";
      return kExitUsage;
    }
  }
  out << "2. generated " << count << " residents of " << muni.name << " (+3 faulty rows) into "
      << csv_path << "\n\n";

  // 3. Bulk registration by the 住基 registrar.
  auto juki = staff.Login("juki01", kDemoPassword);
  if (!juki.ok()) return fail("login", juki.error());
  std::ifstream in(csv_path, std::ios::binary);
  // Wall time is measured here at the CLI edge only, for the last line of the output; the
  // model runs on the simulated clock, so everything above that line is identical per seed.
  const auto wall_start = std::chrono::steady_clock::now();
  auto summary = addressing::ImportResidentsCsv(server, juki.value(), in, csv_path);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!summary.ok()) return fail("import", summary.error());
  out << "3. bulk registration (JUKI, one transaction per "
      << addressing::ImportOptions{}.batch_size << " rows)\n"
      << "   rows " << summary->rows << ": numbered " << summary->numbered << ", rejected "
      << summary->rejected << "\n";
  for (const auto& r : summary->rejections) {
    out << "   rejected line " << r.line << ": " << r.reason << "\n";
  }
  out << "   token acquisition requests sent towards the core: " << sink.count
      << " (last: acquisition " << sink.last.acquisition_number << ")\n\n";

  // 4. The health system registers its own 宛名番号 for the sampled residents.
  clock.Advance(netsim::Duration::Hours(1));
  auto kenko = staff.Login("kenko01", kDemoPassword);
  if (!kenko.ok()) return fail("login", kenko.error());
  out << "4. 健康管理システム links its own 宛名番号 (KENKO) to the same persons\n";
  for (size_t i = 0; i < sample.size() && i < 3; ++i) {
    const auto& r = sample[i];
    addressing::Registration reg{
        r.my_number, "KENKO", std::to_string(700000 + i),
        FourInfo{r.name, r.name_kana, r.sex, addressing::FormatDate(r.birth_date), r.address}};
    auto linked = server.Register(kenko.value(), reg);
    if (!linked.ok()) return fail("link", linked.error());
    out << "   KENKO " << reg.atena_number << " → 統合宛名番号 " << linked->integrated_number
        << (linked->newly_numbered ? " (new)" : " (existing person, link added)") << "\n";
  }
  out << "\n";

  // 5. Lookups at the counter.
  clock.Advance(netsim::Duration::Minutes(5));
  auto counter = staff.Login("madoguchi01", kDemoPassword);
  if (!counter.ok()) return fail("login", counter.error());
  out << "5. lookups (市民課 窓口)\n";
  for (size_t i = 0; i < sample.size() && i < 2; ++i) {
    auto p = server.LookupByAtena(counter.value(), "JUKI", sample[i].atena_number);
    if (!p.ok()) return fail("lookup", p.error());
    out << "   JUKI " << sample[i].atena_number << " → " << p->integrated_number << "  "
        << p->four_info.name << " (" << p->four_info.name_kana << ") " << p->four_info.birth_date
        << " " << addressing::SexLabel(p->four_info.sex) << "\n"
        << "     " << p->four_info.address << "\n     links:";
    for (const auto& l : p->links) out << " " << l.system_id << ":" << l.atena_number;
    out << "  token: " << addressing::TokenStateName(p->token_state) << "\n";
  }
  out << "\n";

  // 6. 4-information matching with the same persons written differently.
  out << "6. 4情報で突合: the same persons typed in other forms\n";
  for (size_t i = 0; i < sample.size() && i < 3; ++i) {
    const FourInfo q = VariantForm(sample[i]);
    auto found = server.Search(counter.value(), q);
    if (!found.ok()) return fail("search", found.error());
    out << "   query: " << q.name << " / " << q.name_kana << " / " << q.birth_date << " / "
        << q.address << "\n";
    for (size_t c = 0; c < found->size() && c < 3; ++c) {
      const auto& cand = (*found)[c];
      out << "     " << (c == 0 ? "best " : "also ") << cand.integrated_number << " "
          << cand.four_info.name << " matched " << Matched(cand.matched) << " ("
          << cand.matched.score() << "/5)\n";
    }
  }
  out << "\n";

  // 7. A move out, recorded with its date.
  if (!sample.empty()) {
    auto person = server.IntegratedNumberForAtena(counter.value(), "JUKI", sample[0].atena_number);
    if (!person.ok()) return fail("resolve", person.error());
    if (auto s = server.SetStatus(kenko.value(), person.value(),
                                  addressing::ResidentStatus::kMovedOut, "2024-04-15");
        !s.ok()) {
      return fail("status", s.error());
    }
    out << "7. " << person.value() << " moved out on 2024-04-15 (転出)\n\n";
  }

  // 8. What the auditor sees, and the leak check.
  auto auditor = staff.Login("kansa01", kDemoPassword);
  if (!auditor.ok()) return fail("login", auditor.error());
  auto ops = staff.Operations(auditor.value());
  if (!ops.ok()) return fail("operations", ops.error());
  auto counts = server.Count();
  if (!counts.ok()) return fail("count", counts.error());
  opened.value().reset();  // close the database so the file check sees everything
  const bool leaked =
      FileContains(db_path, sample_numbers) || FileContains(db_path + "-wal", sample_numbers);
  out << "8. totals\n"
      << "   persons " << counts->persons << ", links " << counts->links
      << ", pending token requests " << counts->pending_tokens << ", operation records "
      << ops->size() << "\n"
      << "   個人番号 in clear in the database file: " << (leaked ? "FOUND (bug)" : "none")
      << " (checked " << sample_numbers.size() << " numbers)\n"
      << "   database: " << db_path << "\n\n"
      << "wall time of the bulk registration: " << std::fixed << std::setprecision(2) << wall_s
      << " s\n";
  return leaked ? kExitFailed : kExitOk;
}

}  // namespace renkei::scenarios
