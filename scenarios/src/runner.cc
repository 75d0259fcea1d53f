#include "scenarios/runner.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <unordered_set>

#include "addressing/resident_generator.h"
#include "middleware/batch_file.h"
#include "middleware/exchange.h"
#include "netsim/envelope.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/provision_permit.h"
#include "netsim/sqlite.h"
#include "scenarios/leak_scan.h"
#include "scenarios/report_html.h"
#include "scenarios/world.h"

namespace renkei::scenarios {

namespace fs = std::filesystem;
namespace json = boost::json;
using netsim::Duration;
using netsim::SimTime;

namespace {

// The world is built and its tokens acquired during this hour before the scenario's start, so
// the timeline begins with every registered person linkable.
constexpr Duration kSetup = Duration::Hours(1);

// How the runner notices that a query is done (the server has no completion callback): a
// closed-model client re-reads its query's status after kFirstCheck, then at doubling
// intervals up to kMaxCheck; arrivals waiting for a slot (max_in_flight) re-count the
// requester's open queries every kSlotCheck while any wait. Only the runner's reaction is
// delayed by this; latencies come from the server's own submit and completion times.
constexpr Duration kFirstCheck = Duration::Millis(10);
constexpr Duration kMaxCheck = Duration::Millis(100);
constexpr Duration kSlotCheck = Duration::Millis(10);

// 宛名番号 serials of people who moved in start above this; generated residents count from 1.
constexpr uint64_t kMovedInSerials = 500'000'000;

struct Mover {
  std::string from, to;
  std::string at_from, at_to;  // 統合宛名番号 at each body
  // A mover whose registration at `to` waits for a move_in event: who to register then.
  std::optional<addressing::Resident> pending = std::nullopt;
};

// An attack's query as sent to the provider: the provider's log records about it from then
// on are told in the narration.
struct AttackRun {
  std::string provider;           // lgcode
  std::string processing_number;  // of the query the provider was sent
  SimTime at;
};

// A batch query file submitted by the run, and what its result file held.
struct BatchRun {
  std::string requester;  // lgcode
  int64_t id = 0;         // the requester's batch id
  bool complete = false;
  std::map<std::string, uint64_t> status_counts;  // record status code → rows
  std::vector<int> unvaccinated;                  // mover numbers, in line order
};

// A batch is checked for completion after kFirstCheck, then at doubling intervals up to
// kMaxBatchCheck (a batch held for staff review may take days), for at most kMaxBatchWait.
constexpr Duration kMaxBatchCheck = Duration::Minutes(1);
constexpr Duration kMaxBatchWait = Duration::Days(31);

// The attacker's permit key: fixed bytes rather than the run's seed, since it only has to
// differ from the core's key, which derives from the seed through its own purpose string.
constexpr uint8_t kForgerKeyByte = 0x5A;

struct QueryRun {
  std::string body;  // requester lgcode
  std::string processing_number;
  std::string provider;  // lgcode
  bool load = false;     // one of the load section's queries
};

std::string Clock(SimTime t) { return netsim::FormatIso(t).substr(11, 12); }
// "2022-04-01 08:30:00.000": for accounts that span more than one day, where the time of day
// alone would put a later day's line among an earlier day's.
std::string DateClock(SimTime t) {
  std::string iso = netsim::FormatIso(t).substr(0, 23);
  iso[10] = ' ';
  return iso;
}

// Nearest rank over counts per latency: the smallest latency with at least p of the queries
// at or below it.
Duration Percentile(const std::map<int64_t, uint64_t>& counts, uint64_t total, double p) {
  if (total == 0) return Duration();
  auto rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(total)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (const auto& [us, n] : counts) {
    seen += n;
    if (seen >= rank) return Duration::Micros(us);
  }
  return Duration::Micros(counts.rbegin()->first);
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Raises the soft limit on open files up to the hard one when the world needs more, and says
// so before building anything when even the hard limit is too low (a world of the whole
// country holds about 18,000 files open).
Status EnoughFiles(uint64_t needed) {
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return OkStatus();  // unknown: try anyway
  if (files.rlim_cur == RLIM_INFINITY || files.rlim_cur >= needed) return OkStatus();
  if (files.rlim_max != RLIM_INFINITY && files.rlim_max < needed) {
    return MakeError(netsim::Errc::kIoError,
                     "this world holds about " + std::to_string(needed) +
                         " files open, but the process may open at most " +
                         std::to_string(files.rlim_max) +
                         " (hard limit of ulimit -n); raise it or run fewer bodies");
  }
  files.rlim_cur = needed;
  if (::setrlimit(RLIMIT_NOFILE, &files) != 0) {
    return MakeError(netsim::Errc::kIoError, "cannot raise the open-file limit to " +
                                                 std::to_string(needed) + " (ulimit -n)");
  }
  return OkStatus();
}

// The progress line: redrawn in place, at most every kEvery of wall time, and erased at the end
// so the narration and the results print on a clean line.
class Progress {
 public:
  explicit Progress(std::ostream* os) : os_(os) {}
  bool on() const { return os_ != nullptr; }
  // `fraction` of the phase done, 0 to 1.
  void Show(std::string_view phase, double fraction, const std::string& detail) {
    if (os_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    // A new phase shows at once; within one, at most every kEvery.
    if (shown_ && phase == phase_ && now - last_ < kEvery) return;
    last_ = now;
    shown_ = true;
    phase_ = phase;
    constexpr int kWidth = 24;
    const double f = std::clamp(fraction, 0.0, 1.0);
    const int filled = static_cast<int>(f * kWidth);
    *os_ << "\r" << phase << " [" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] "
         << static_cast<int>(f * 100) << "% " << detail << "\x1b[K" << std::flush;
  }
  void Clear() {
    if (os_ != nullptr && shown_) *os_ << "\r\x1b[K" << std::flush;
    shown_ = false;
  }

 private:
  static constexpr std::chrono::milliseconds kEvery{200};
  std::ostream* os_;
  bool shown_ = false;
  std::string phase_;
  std::chrono::steady_clock::time_point last_;
};

class Run {
 public:
  Run(const Scenario& s, const RunOptions& o)
      : s_(s),
        o_(o),
        arrival_rng_(o.seed.value_or(s.seed), netsim::Rng::StreamId("scenario/load/arrivals")),
        choice_rng_(o.seed.value_or(s.seed), netsim::Rng::StreamId("scenario/load/choices")),
        mover_rng_(o.seed.value_or(s.seed), netsim::Rng::StreamId("scenario/world/movers")) {
    for (const TimelineEvent& e : s.timeline) {
      if (e.kind == TimelineEvent::Kind::kMoveIn) late_movers_.insert(e.move_in.person);
      if (e.kind == TimelineEvent::Kind::kAttack) attacked_.insert(e.attack.query);
    }
  }

  Result<RunSummary> Go() {
    const auto wall_start = std::chrono::steady_clock::now();
    summary_.scenario = s_.name;
    summary_.seed = o_.seed.value_or(s_.seed);
    summary_.load_scale = o_.load_scale;
    const fs::path data = fs::path(o_.out_dir) / "data";
    std::error_code ec;
    fs::remove_all(data, ec);
    fs::create_directories(data, ec);
    if (ec) {
      return MakeError(netsim::Errc::kIoError,
                       "out dir '" + data.string() + "': cannot create: " + ec.message());
    }
    RENKEI_CHECK_OK(EnoughFiles(WorldOptions::FilesNeeded(s_.world.bodies.size())));
    netsim::sql::SetSoftHeapLimit(o_.sqlite_heap_mib * 1024 * 1024);
    WorldOptions wo;
    wo.exclusive_files = true;  // the run owns out/data; nothing else opens it meanwhile
    wo.seed = summary_.seed;
    wo.start = s_.start - kSetup;
    wo.data_dir = data.string();
    wo.registry = s_.world.national ? RegistryKind::kNational : RegistryKind::kShipped;
    wo.permit_list_path = s_.world.permit_list;
    wo.crypto_threads = o_.crypto_threads;
    wo.link = s_.network.Profile();
    for (const BodyLinkSpec& b : s_.network.bodies) wo.body_links[b.body] = b.link.Profile();
    // Unset delays keep the components' own defaults.
    const NetworkSpec& net = s_.network;
    if (net.permit_check) wo.core.permit_check_delay = *net.permit_check;
    if (net.token_turnaround) wo.core.token_turnaround = *net.token_turnaround;
    if (net.provider_processing) wo.server.processing_delay = *net.provider_processing;
    RENKEI_TRY(world_, World::Create(wo));
    size_t from_files = 0;
    for (const BodySpec& b : s_.world.bodies) from_files += b.file_residents.size();
    Narrate(s_.start - kSetup,
            "準備 / setup: " + std::to_string(s_.world.bodies.size()) + " bodies, " +
                std::to_string(MoverCount()) + " movers" +
                (from_files > 0 ? ", " + std::to_string(from_files) + " residents from files"
                                : std::string()));
    RENKEI_CHECK_OK(BuildWorld());
    world_->RunUntil(s_.start);
    if (world_->failure()) return *world_->failure();
    summary_.wall_setup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    RENKEI_CHECK_OK(Schedule());
    RunLoop();
    progress_.Clear();
    if (world_->failure()) return *world_->failure();
    for (const auto& body : world_->bodies()) {
      if (body->server->failure()) return *body->server->failure();
    }
    summary_.events = world_->loop().events_run();
    summary_.started_at = s_.start;
    summary_.finished_at = world_->loop().Now();
    RENKEI_CHECK_OK(Collect());
    Check();
    world_.reset();  // closes every file before the output scan
    CheckAfterClose();
    summary_.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (summary_.wall_seconds > 0) {
      summary_.wall_queries_per_second =
          static_cast<double>(summary_.queries) / summary_.wall_seconds;
    }
    struct rusage usage {};
    if (::getrusage(RUSAGE_SELF, &usage) == 0) summary_.peak_rss_kib = usage.ru_maxrss;
    summary_.sqlite_heap_peak_kib = netsim::sql::HeapHighwater() / 1024;
    RENKEI_CHECK_OK(Write(fs::path(o_.out_dir) / "summary.json", SummaryJson(summary_)));
    RENKEI_CHECK_OK(Write(fs::path(o_.out_dir) / "junit.xml", JunitXml(summary_)));
    Narrate(summary_.finished_at,
            std::string(summary_.passed() ? "合格 / passed" : "不合格 / failed") + ": " +
                std::to_string(Passed()) + " of " + std::to_string(summary_.expectations.size()) +
                " expectations met");
    FlushNarration();
    RENKEI_CHECK_OK(Write(fs::path(o_.out_dir) / "report.html",
                          HtmlReport(summary_, s_.narration_ja, s_.narration_en)));
    return summary_;
  }

 private:
  int MoverCount() const {
    int n = 0;
    for (const auto& m : s_.world.movers) n += m.count;
    return n;
  }
  size_t Passed() const {
    return static_cast<size_t>(std::count_if(summary_.expectations.begin(),
                                             summary_.expectations.end(),
                                             [](const ExpectationResult& r) { return r.passed; }));
  }

  // Lines are collected with their simulated time and printed in time order at the end:
  // a query's outcome is known only when it is done, but belongs where it happened.
  void Narrate(SimTime at, const std::string& line) {
    narration_.push_back({at, narration_.size(), line});
  }
  void FlushNarration() {
    std::stable_sort(narration_.begin(), narration_.end(),
                     [](const NarrationLine& a, const NarrationLine& b) { return a.at < b.at; });
    const bool dated = !narration_.empty() && netsim::FormatIsoDate(narration_.front().at) !=
                                                  netsim::FormatIsoDate(narration_.back().at);
    for (const NarrationLine& l : narration_) {
      summary_.narration.push_back("[" + (dated ? DateClock(l.at) : Clock(l.at)) + "] " + l.text);
      if (o_.narration != nullptr) *o_.narration << summary_.narration.back() << "\n";
    }
    narration_.clear();
  }

  std::string Name(const std::string& lgcode) {
    World::Body* b = world_->FindBody(lgcode);
    return b != nullptr ? b->name : lgcode;
  }

  Result<addressing::ResidentGenerator*> Generator(const std::string& lgcode) {
    auto it = generators_.find(lgcode);
    if (it == generators_.end()) {
      // The parser allowed bodies without an address table only in a national world.
      auto g = s_.world.national ? addressing::ResidentGenerator::CreateGeneric(
                                       summary_.seed, lgcode, Name(lgcode))
                                 : addressing::ResidentGenerator::Create(summary_.seed, lgcode);
      if (!g.ok()) return g.error();
      it = generators_.emplace(lgcode, std::move(g).value()).first;
    }
    return &it->second;
  }

  // Runs the loop to its end in slices, showing the simulated clock between them: the same
  // events in the same order as one Run(), so the results do not depend on the display.
  void RunLoop() {
    if (!progress_.on()) {
      world_->Run();
      return;
    }
    constexpr uint64_t kSlice = 20'000;
    SimTime horizon = s_.start + (s_.load ? s_.load->at + s_.load->Span() : Duration());
    for (const TimelineEvent& e : s_.timeline) horizon = std::max(horizon, s_.start + e.at);
    const double span = static_cast<double>(std::max<int64_t>((horizon - s_.start).micros(), 1));
    const auto kOneDay = static_cast<double>(Duration::Days(1).micros());
    while (world_->loop().Run(kSlice) == kSlice) {
      const SimTime now = world_->loop().Now();
      progress_.Show("run  ", static_cast<double>((now - s_.start).micros()) / span,
                     (span > kOneDay ? DateClock(now).substr(0, 19) : Clock(now).substr(0, 8)) +
                         " · " + std::to_string(queries_submitted_) + " queries · " +
                         std::to_string(world_->loop().events_run()) + " events");
    }
  }

  Status BuildWorld() {
    size_t built = 0;
    for (const BodySpec& b : s_.world.bodies) {
      RENKEI_TRY(World::Body * body, world_->AddBody(b.lgcode));
      (void)body;
      ++built;
      progress_.Show("bodies",
                     static_cast<double>(built) / static_cast<double>(s_.world.bodies.size()),
                     std::to_string(built) + "/" + std::to_string(s_.world.bodies.size()));
    }
    for (const BodySpec& b : s_.world.bodies) {
      World::Body* body = world_->FindBody(b.lgcode);
      if (b.residents > 0) {
        RENKEI_TRY(addressing::ResidentGenerator * gen, Generator(b.lgcode));
        for (int i = 0; i < b.residents; ++i) {
          addressing::Resident r = gen->Next();
          my_numbers_.push_back(r.my_number);
          RENKEI_TRY(std::string ignored, world_->RegisterResident(*body, r));
          (void)ignored;
        }
      }
    }
    for (const BodySpec& b : s_.world.bodies) RENKEI_CHECK_OK(RegisterFilePeople(b));
    for (const StaffSpec& st : s_.world.staff) {
      if (Status added =
              world_->AddServerStaff(*world_->FindBody(st.body), st.account, st.name, st.roles);
          !added.ok()) {
        return Error{added.error().code,
                     st.pos.Describe() + ": staff " + st.account + ": " + added.error().message};
      }
    }
    const std::vector<std::string> candidates = RandomMoverBodies(s_.world);
    const int total_movers = MoverCount();
    int placed = 0;
    for (const MoverSpec& m : s_.world.movers) {
      for (int i = 0; i < m.count; ++i) {
        ++placed;
        progress_.Show("movers", static_cast<double>(placed) / total_movers,
                       std::to_string(placed) + "/" + std::to_string(total_movers));
        // Drawn bodies: `from` first, then `to` among the others (two draws only when needed).
        std::string from_code = m.from;
        std::string to_code = m.to;
        if (from_code == kAnyBody) {
          do {
            from_code = candidates[mover_rng_.Uniform(candidates.size())];
          } while (from_code == to_code);
        }
        if (to_code == kAnyBody) {
          do {
            to_code = candidates[mover_rng_.Uniform(candidates.size())];
          } while (to_code == from_code);
        }
        World::Body* from = world_->FindBody(from_code);
        World::Body* to = world_->FindBody(to_code);
        RENKEI_TRY(addressing::ResidentGenerator * gen, Generator(from_code));
        addressing::Resident r = gen->Next();
        my_numbers_.push_back(r.my_number);
        Mover mover{from_code, to_code, "", ""};
        RENKEI_TRY(mover.at_from, world_->RegisterResident(*from, r));
        // The new body numbers the person in its own series for people who moved in, apart
        // from the residents it generates (serials from 1): movers from several bodies must
        // not meet on one 宛名番号.
        char serial_text[16];
        std::snprintf(serial_text, sizeof serial_text, "%09llu",
                      static_cast<unsigned long long>(kMovedInSerials + ++moved_in_[to_code]));
        r.atena_number = to_code + serial_text;
        if (late_movers_.count(static_cast<int>(movers_.size()) + 1) != 0) {
          mover.pending = r;  // registered at `to` by its move_in event
        } else {
          RENKEI_TRY(mover.at_to, world_->RegisterResident(*to, r));
        }
        if (m.vaccinated) {
          RENKEI_CHECK_OK(
              RegisterDose(*from, mover.at_from, 3, "2023-10-12", "TM00160200000001", ""));
        }
        movers_.push_back(std::move(mover));
      }
    }
    for (const FlagSpec& f : s_.world.flags) RENKEI_CHECK_OK(ApplyFlag(f, ""));
    return RegisterLoadRecords();
  }

  // Sets (or, for a timeline event with `clear`, clears) a flag by the body's flagger: one path
  // for world.flags at setup and `flag` events, so both act and narrate alike.
  Status ApplyFlag(const FlagSpec& f, const std::string& prefix) {
    World::Body* body = world_->FindBody(f.body);
    const Mover& mover = movers_.at(static_cast<size_t>(f.person - 1));
    const std::string& person = f.body == mover.from ? mover.at_from : mover.at_to;
    RENKEI_TRY(netsim::Session flagger, world_->ServerSession(*body, "flagger"));
    if (f.kind == "suppress") {
      RENKEI_CHECK_OK(f.clear ? body->server->ClearSuppression(flagger, person, f.tm, f.reason)
                              : body->server->SetSuppression(flagger, person, f.tm, f.reason));
    } else {
      RENKEI_CHECK_OK(body->server->SetSelfInfoBlocked(flagger, person, !f.clear, f.reason));
    }
    Narrate(world_->loop().Now(), prefix + Name(f.body) + ": 移動者 " + std::to_string(f.person) +
                                      (f.clear ? " の " : " に ") + f.kind +
                                      (f.clear ? " フラグを解除 (" : " フラグ (") + f.reason + ")");
    return OkStatus();
  }

  // A body's residents_file people, registered as generated residents are (addressing server
  // and J-LIS, tokens acquired by themselves), then its replicas_file records, each person
  // relayed from the 宛名番号 to the 統合宛名番号 the addressing server gave them.
  Status RegisterFilePeople(const BodySpec& b) {
    if (b.file_residents.empty()) return OkStatus();
    World::Body* body = world_->FindBody(b.lgcode);
    for (const addressing::Resident& r : b.file_residents) {
      my_numbers_.push_back(r.my_number);
      auto integrated = world_->RegisterResident(*body, r);
      if (!integrated.ok()) {
        return Error{integrated.error().code, b.residents_file + ": 宛名番号 " + r.atena_number +
                                                  ": " + integrated.error().message};
      }
      file_people_[{b.lgcode, r.atena_number}] = integrated.value();
    }
    for (const FileReplica& f : b.file_replicas) {
      middleware::ReplicaRecord rec = f.record;
      rec.integrated_number = file_people_.at({b.lgcode, f.atena});
      if (Status st = world_->RegisterReplica(*body, rec); !st.ok()) {
        return Error{st.error().code,
                     b.replicas_file + ":" + std::to_string(f.line) + ": " + st.error().message};
      }
    }
    return OkStatus();
  }

  // Registers a vaccination replica as setup does (by the body's replica registrar).
  // Each dose is a record of its own: a new record id and record key "dose-<n>", n counting
  // the person's doses at the body (setup's record is dose 3).
  Status RegisterDose(World::Body& body, const std::string& integrated_number, int dose,
                      const std::string& date, const std::string& tm, const std::string& payload) {
    middleware::ReplicaRecord rec;
    rec.record_id = "VAC-" + body.lgcode + "-" + std::to_string(++replica_serial_);
    rec.integrated_number = integrated_number;
    rec.tm = tm;
    rec.dataset_item_code = "VACC-RECORD";
    rec.record_key = "dose-" + std::to_string(dose);
    rec.data_version = 1;
    rec.publish_from = "2021-04-01";
    rec.ward_code = body.lgcode;
    rec.payload = payload.empty() ? R"({"dose":)" + std::to_string(dose) + R"(,"date":")" + date +
                                        R"(","maker":"ファイザー","lot":"HK)" +
                                        std::to_string(1000 + replica_serial_) + "\"}"
                                  : payload;
    doses_[{body.lgcode, integrated_number}] = dose;
    return world_->RegisterReplica(body, rec);
  }

  Status Schedule() {
    std::vector<const TimelineEvent*> events;
    for (const TimelineEvent& e : s_.timeline) events.push_back(&e);
    // Stable: events at one instant run in file order.
    std::stable_sort(events.begin(), events.end(),
                     [](const TimelineEvent* a, const TimelineEvent* b) { return a->at < b->at; });
    for (const TimelineEvent* e : events) {
      world_->loop().ScheduleAt(s_.start + e->at, [this, e] { Play(*e); });
    }
    if (s_.load) ScheduleLoad(*s_.load);
    return CaptureAttackedQueries();
  }

  // ---- attacks ----

  // The attacker listens on the link from each attacked query's requester to the interface
  // system and keeps the first envelope of each attacked query (a predicate that never drops).
  Status CaptureAttackedQueries() {
    std::set<std::string> requesters;
    for (const TimelineEvent& e : s_.timeline) {
      if (e.kind == TimelineEvent::Kind::kQuery && attacked_.count(e.query.id) != 0) {
        requesters.insert(e.query.from);
      }
    }
    for (const std::string& lgcode : requesters) {
      RENKEI_CHECK_OK(world_->network().DropIf(
          world_->FindBody(lgcode)->institution, world_->core().config().send_via,
          [this](const netsim::Outgoing& o) {
            auto e = netsim::Decode(o.bytes);
            if (!e.ok() || e->type != netsim::MessageType::kQuery) return false;
            auto body = middleware::DecodeQuery(e->body);
            if (!body.ok()) return false;
            auto wanted = captured_.find(body->processing_number);
            if (wanted != captured_.end() && wanted->second.empty()) {
              wanted->second.assign(o.bytes.begin(), o.bytes.end());
            }
            return false;
          }));
    }
    return OkStatus();
  }

  struct Forged {
    netsim::crypto::Bytes bytes;
    std::string processing_number;
  };

  // The attacker's query made from a captured one (AttackSpec).
  Result<Forged> Forge(const netsim::crypto::Bytes& captured, const std::string& kind) {
    RENKEI_TRY(netsim::Envelope e, netsim::Decode(captured));
    RENKEI_TRY(middleware::QueryBody body, middleware::DecodeQuery(e.body));
    const std::string n = std::to_string(++attack_serial_);
    if (kind == "replayed-permit") {
      // A new message id: the same id would be a retransmission, which the provider answers
      // again from its stored answer; a new one is a second use of the permit.
      e.message_id = body.processing_number + ".replay" + n;
      RENKEI_TRY(netsim::crypto::Bytes bytes, netsim::Encode(e));
      return Forged{std::move(bytes), body.processing_number};
    }
    RENKEI_TRY(netsim::ProvisionPermit permit, netsim::ParsePermit(body.permit));
    permit.permit_id = "PMT-FORGED-" + n;
    permit.processing_number = "QFORGED-" + n;
    RENKEI_TRY(std::shared_ptr<const netsim::crypto::PrivateKey> forger,
               netsim::crypto::PrivateKey::FromSeed(netsim::crypto::KeyType::kEd25519,
                                                    std::vector<uint8_t>(32, kForgerKeyByte)));
    // Under the core's key id, so the provider checks the signature against the core's key.
    RENKEI_CHECK_OK(netsim::PermitSigner(permit.key_id, forger).Sign(permit));
    body.permit = netsim::SerializePermit(permit);
    body.processing_number = permit.processing_number;
    RENKEI_TRY(e.body, middleware::EncodeQuery(body));
    e.message_id = permit.processing_number + ".q";
    e.reception_number = permit.processing_number;
    RENKEI_TRY(netsim::crypto::Bytes bytes, netsim::Encode(e));
    return Forged{std::move(bytes), permit.processing_number};
  }

  // Submits a query at `from` and counts it as one of that body's open queries.
  Result<std::string> Submit(World::Body& from, const middleware::QueryRequest& r) {
    RENKEI_TRY(std::string pn, from.server->SubmitQuery(r));
    ++submitted_[from.lgcode];
    ++queries_submitted_;
    return pn;
  }

  // ---- load ----

  // The movers a load picks from: from its provider to its requester (either may be any).
  std::vector<size_t> LoadMovers(const LoadSpec& load) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < movers_.size(); ++i) {
      if ((load.provider == kAnyBody || movers_[i].from == load.provider) &&
          (load.requester == kAnyBody || movers_[i].to == load.requester)) {
        out.push_back(i);
      }
    }
    return out;
  }

  // Mix entries with a payload size: one record of each of their items for every mover the
  // load can pick, at the mover's former body, so that answers carry records of that size
  // (the message sizes the network's bandwidth and the crypto then work on).
  Status RegisterLoadRecords() {
    if (!s_.load) return OkStatus();
    std::map<std::string, int64_t> sizes;  // TM → bytes; the parser made them agree
    for (const LoadMixEntry& m : s_.load->mix) {
      for (const std::string& tm : m.tm) {
        if (m.payload_bytes > 0) sizes[tm] = m.payload_bytes;
      }
    }
    if (sizes.empty()) return OkStatus();
    netsim::Rng rng(summary_.seed, netsim::Rng::StreamId("scenario/load/payloads"));
    const std::vector<size_t> movers = LoadMovers(*s_.load);
    size_t done = 0;
    for (size_t i : movers) {
      const Mover& mover = movers_[i];
      World::Body* from = world_->FindBody(mover.from);
      for (const auto& [tm, bytes] : sizes) {
        middleware::ReplicaRecord rec;
        rec.record_id = "LOAD-" + from->lgcode + "-" + std::to_string(++replica_serial_);
        rec.integrated_number = mover.at_from;
        rec.tm = tm;
        rec.dataset_item_code = "LOAD-RECORD";
        rec.record_key = "load";
        rec.data_version = 1;
        rec.publish_from = "2021-04-01";
        rec.ward_code = from->lgcode;
        rec.payload = LoadPayload(tm, static_cast<size_t>(bytes), rng);
        RENKEI_CHECK_OK(world_->RegisterReplica(*from, rec));
      }
      ++done;
      progress_.Show("records", static_cast<double>(done) / static_cast<double>(movers.size()),
                     std::to_string(done) + "/" + std::to_string(movers.size()));
    }
    return OkStatus();
  }

  // `bytes` of record data: {"item":"TM…","data":"…"} filled out with seeded letters and
  // digits (random, as real data would be, so nothing downstream profits from repetition), or
  // only the letters when the size is below the JSON frame.
  static std::string LoadPayload(const std::string& tm, size_t bytes, netsim::Rng& rng) {
    static constexpr std::string_view kAlphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const std::string head = R"({"item":")" + tm + R"(","data":")";
    const std::string tail = "\"}";
    const bool framed = bytes >= head.size() + tail.size();
    std::string out = framed ? head : std::string();
    out.reserve(bytes);
    const size_t fill = framed ? bytes - head.size() - tail.size() : bytes;
    for (size_t k = 0; k < fill; ++k) out.push_back(kAlphabet[rng.Uniform(kAlphabet.size())]);
    if (framed) out += tail;
    return out;
  }

  void ScheduleLoad(const LoadSpec& load) {
    load_movers_ = LoadMovers(load);
    for (const auto& body : world_->bodies()) {
      body->server->OnQueryFinished([this](const middleware::QueryState& q) { OnLoadFinished(q); });
    }
    for (const LoadMixEntry& m : load.mix) load_weight_ += m.weight;
    const SimTime begin = s_.start + load.at;
    load_end_ = begin + load.Span();
    std::string model;
    if (load.model == LoadSpec::Model::kOpen) {
      model = "open, " + std::to_string(load.stages.size()) +
              (load.stages.size() == 1 ? " stage" : " stages");
      day_ = 0;
      StartDay();
      if (auto first = NextArrival(begin)) ScheduleArrival(*first);
    } else {
      model = "closed, " + std::to_string(load.clients) + " clients";
      for (int c = 0; c < load.clients; ++c) {
        world_->loop().ScheduleAt(begin, [this] { ClientTurn(); });
      }
    }
    const auto side = [this](const std::string& code) {
      return code == kAnyBody ? std::string("各団体 / every body") : Name(code);
    };
    Narrate(begin, "負荷 / load: " + side(load.requester) + " → " + side(load.provider) + " (" +
                       model + ", " + std::to_string(load_movers_.size()) + " movers, " +
                       std::to_string(load.Span().micros() / 1000000) + " s)");
  }

  // Poisson arrivals with a piecewise-linear rate, by thinning (Lewis and Shedler): candidates
  // come at the stage's highest rate and each is kept with probability rate(t) / highest. At a
  // stage's end the candidate stream restarts at the next stage's highest rate (exponential
  // gaps are memoryless, so this is exact). Two draws per candidate, always, so a change of
  // rates does not change how the stream is consumed. With a calendar the stages run again
  // each day at the day's factor; a day whose factor is 0 draws nothing. Returns the first
  // arrival after `from`, or nothing after the last stage of the last day.
  std::optional<SimTime> NextArrival(SimTime from) {
    const LoadSpec& load = *s_.load;
    SimTime t = from;
    while (day_ < load.days) {
      if (stage_ == load.stages.size() || day_factor_ <= 0) {
        ++day_;
        if (day_ == load.days) break;
        StartDay();
        t = stage_begin_;
        continue;
      }
      const LoadStage& stage = load.stages[stage_];
      const SimTime end = stage_begin_ + stage.duration;
      const double highest = std::max(stage.rate, stage.to) * day_factor_;
      const auto gap = static_cast<int64_t>(std::llround(arrival_rng_.Exponential(1e6 / highest)));
      const double u = arrival_rng_.UniformDouble();
      t = t + Duration::Micros(std::max<int64_t>(gap, 1));
      if (t >= end) {
        t = end;
        stage_begin_ = end;
        ++stage_;
        continue;
      }
      const double f = static_cast<double>((t - stage_begin_).micros()) /
                       static_cast<double>(stage.duration.micros());
      const double rate = (stage.rate + (stage.to - stage.rate) * f) * day_factor_;
      if (u * highest < rate) return t;
    }
    return std::nullopt;
  }

  // Enters calendar day day_: its first stage, at the load's time of day, and its factor.
  void StartDay() {
    const LoadSpec& load = *s_.load;
    stage_ = 0;
    stage_begin_ = s_.start + load.at + Duration::Days(day_);
    day_factor_ = load.DayFactor(stage_begin_) * o_.load_scale;
  }

  void ScheduleArrival(SimTime at) {
    world_->loop().ScheduleAt(at, [this] {
      Arrive();
      if (auto next = NextArrival(world_->loop().Now())) ScheduleArrival(*next);
    });
  }

  // The requester's queries submitted by this run and not yet final: submitted minus the
  // server's count of final statuses (a counter, cheap to ask per arrival and per check).
  int64_t OpenAtRequester() {
    World::Body* from = world_->FindBody(s_.load->requester);
    return static_cast<int64_t>(submitted_[from->lgcode]) -
           static_cast<int64_t>(from->server->finished_queries());
  }

  void Arrive() {
    ++summary_.load_arrivals;
    const int64_t limit = s_.load->max_in_flight;
    if (limit > 0 && (!waiting_.empty() || OpenAtRequester() >= limit)) {
      ++summary_.load_started_late;
      waiting_.push_back(world_->loop().Now());
      if (waiting_.size() == 1) {
        world_->loop().ScheduleAfter(kSlotCheck, [this] { StartWaiting(); });
      }
      return;
    }
    (void)SubmitLoad();
  }

  // Starts waiting arrivals, oldest first, while slots are free; checks again while any wait.
  void StartWaiting() {
    while (!waiting_.empty() && OpenAtRequester() < s_.load->max_in_flight) {
      waiting_.pop_front();
      (void)SubmitLoad();
    }
    if (!waiting_.empty()) {
      world_->loop().ScheduleAfter(kSlotCheck, [this] { StartWaiting(); });
    }
  }

  // One load query: a random mover of the load's, asked about by the mover's new body to the
  // former one, a procedure from the weighted mix. Returns the requester and the 処理通番, or
  // nothing when it could not be submitted (a timeline error).
  std::optional<std::pair<World::Body*, std::string>> SubmitLoad() {
    const LoadSpec& load = *s_.load;
    const Mover& mover = movers_[load_movers_[choice_rng_.Uniform(load_movers_.size())]];
    int64_t pick = static_cast<int64_t>(choice_rng_.Uniform(static_cast<uint64_t>(load_weight_)));
    const LoadMixEntry* entry = &load.mix.front();
    for (const LoadMixEntry& m : load.mix) {
      if (pick < m.weight) {
        entry = &m;
        break;
      }
      pick -= m.weight;
    }
    World::Body* from = world_->FindBody(mover.to);
    World::Body* to = world_->FindBody(mover.from);
    middleware::QueryRequest r;
    r.integrated_number = mover.at_to;
    r.provider = to->institution;
    r.jm = entry->jm;
    r.jt = entry->jt;
    r.tm_items = entry->tm;
    char id[32];
    std::snprintf(id, sizeof id, "load-%06llu", static_cast<unsigned long long>(++load_serial_));
    load_submitting_ = true;
    auto pn = Submit(*from, r);
    const bool finished_at_once = !load_submitting_;  // OnLoadFinished ran inside Submit
    load_submitting_ = false;
    if (!pn.ok()) {
      errors_.push_back(load.pos.Describe() + ": load query " + id + ": " + pn.error().message);
      return std::nullopt;
    }
    ++load_submitted_;
    LoadStep(+1);
    if (!finished_at_once) load_open_.insert(from->institution + " " + pn.value());
    // The first ones are told in the outcomes (RunSummary::kMaxLoadOutcomes).
    if (load_serial_ <= RunSummary::kMaxLoadOutcomes) {
      queries_[id] = QueryRun{mover.to, pn.value(), mover.from, true};
    }
    return std::make_pair(from, pn.value());
  }

  // Every body's server reports each finished query here; the load's are counted.
  void OnLoadFinished(const middleware::QueryState& q) {
    if (load_submitting_) {
      load_submitting_ = false;  // the load query being submitted, refused at once
    } else if (load_open_.erase(q.requester + " " + q.processing_number) == 0) {
      return;  // a timeline or batch query
    }
    ++load_finished_;
    ++load_status_counts_[std::string(middleware::RecordStatusCode(q.status))];
    if (q.completed_at) ++latencies_[(*q.completed_at - q.submitted_at).micros()];
    LoadStep(-1);
  }

  // The peak in flight counts what is open at the end of each instant: a slot freed and taken
  // at one instant is one query in flight, whichever event ran first.
  void LoadStep(int step) {
    const SimTime now = world_->loop().Now();
    if (now != load_step_at_) {
      summary_.load_peak_in_flight =
          std::max(summary_.load_peak_in_flight,
                   static_cast<uint64_t>(std::max<int64_t>(load_in_flight_, 0)));
      load_step_at_ = now;
    }
    load_in_flight_ += step;
  }

  // A closed-model client: query, wait for the answer, think, query again, until the load ends.
  void ClientTurn() {
    if (world_->loop().Now() >= load_end_) return;
    ++summary_.load_arrivals;
    std::optional<std::pair<World::Body*, std::string>> pn = SubmitLoad();
    if (!pn) return;  // reported; this client stops
    world_->loop().ScheduleAfter(kFirstCheck,
                                 [this, p = *pn] { CheckClient(p.first, p.second, kFirstCheck); });
  }

  void CheckClient(World::Body* from, const std::string& pn, Duration waited) {
    const SimTime now = world_->loop().Now();
    if (now >= load_end_) return;
    auto state = from->server->QueryStatus(pn);
    if (state.ok() && state->phase == middleware::QueryPhase::kDone) {
      const SimTime done = state->completed_at.value_or(now);
      const SimTime next = std::max(now, done + s_.load->think);
      world_->loop().ScheduleAt(next, [this] { ClientTurn(); });
      return;
    }
    const Duration wait = std::min(waited * 2, kMaxCheck);
    world_->loop().ScheduleAfter(wait, [this, from, pn, wait] { CheckClient(from, pn, wait); });
  }

  void Play(const TimelineEvent& e) {
    const SimTime now = world_->loop().Now();
    if (!e.narration.empty()) Narrate(now, e.narration);
    switch (e.kind) {
      case TimelineEvent::Kind::kQuery: {
        const QuerySpec& q = e.query;
        World::Body* from = world_->FindBody(q.from);
        World::Body* to = world_->FindBody(q.to);
        middleware::QueryRequest r;
        if (q.person > 0) {
          const Mover& mover = movers_.at(static_cast<size_t>(q.person - 1));
          r.integrated_number = q.from == mover.to ? mover.at_to : mover.at_from;
        } else {
          r.integrated_number = file_people_.at({q.from, q.atena});
        }
        r.provider = to->institution;
        r.jm = q.jm;
        r.jt = q.jt;
        r.tm_items = q.tm;
        r.non_disclosure = q.non_disclosure;
        auto pn = Submit(*from, r);
        if (!pn.ok()) {
          errors_.push_back(e.pos.Describe() + ": query " + q.id + ": " + pn.error().message);
          return;
        }
        queries_[q.id] = QueryRun{q.from, pn.value(), q.to};
        // The attacker listens for it from now: SubmitQuery only asks the core for a permit,
        // and the query itself leaves once the permit has arrived.
        if (attacked_.count(q.id) != 0) captured_[pn.value()];
        Narrate(now, q.id + ": " + from->name + " → " + to->name + " 照会 " + q.jt + " (" +
                         pn.value() + ")");
        return;
      }
      case TimelineEvent::Kind::kMoveIn: {
        Mover& mover = movers_.at(static_cast<size_t>(e.move_in.person - 1));
        World::Body* to = world_->FindBody(mover.to);
        if (!mover.pending) {  // the parser allows one move_in per mover
          errors_.push_back(e.pos.Describe() + ": move_in: person " +
                            std::to_string(e.move_in.person) + " is already registered");
          return;
        }
        auto at_to = world_->RegisterResident(*to, *mover.pending);
        if (!at_to.ok()) {
          errors_.push_back(e.pos.Describe() + ": move_in: " + at_to.error().message);
          return;
        }
        mover.at_to = at_to.value();
        mover.pending.reset();
        Narrate(now, "転入 / move-in: 移動者 " + std::to_string(e.move_in.person) + " が " +
                         Name(mover.from) + " から " + to->name +
                         " へ転入（住民登録、符号の取得を開始）");
        return;
      }
      case TimelineEvent::Kind::kBatch:
        PlayBatch(e, now);
        return;
      case TimelineEvent::Kind::kAttack: {
        const AttackSpec& a = e.attack;
        const auto query = queries_.find(a.query);
        const auto bytes = query == queries_.end()
                               ? captured_.end()
                               : captured_.find(query->second.processing_number);
        if (bytes == captured_.end() || bytes->second.empty()) {
          errors_.push_back(e.pos.Describe() + ": attack: query " + a.query +
                            " was not seen on the wire");
          return;
        }
        World::Body* from = world_->FindBody(query->second.body);
        World::Body* to = world_->FindBody(query->second.provider);
        auto forged = Forge(bytes->second, a.kind);
        if (!forged.ok()) {
          errors_.push_back(e.pos.Describe() + ": attack: " + forged.error().message);
          return;
        }
        (void)world_->network().Send(from->institution, world_->core().config().send_via,
                                     std::move(forged->bytes));
        attacks_.push_back(AttackRun{to->lgcode, forged->processing_number, now});
        Narrate(now, "攻撃 / attack: " + a.kind + ": " + to->name + " へ " + a.query +
                         (a.kind == "forged-permit" ? " の許可証を別の鍵で署名し直した照会 ("
                                                    : " の許可証をそのまま再送した照会 (") +
                         forged->processing_number + ")");
        return;
      }
      case TimelineEvent::Kind::kDecision: {
        const DecisionSpec& d = e.decision;
        auto it = queries_.find(d.query);
        if (it == queries_.end()) {
          errors_.push_back(e.pos.Describe() + ": decision: query " + d.query +
                            " was never submitted");
          return;
        }
        World::Body* provider = world_->FindBody(it->second.provider);
        // The review list is looked up by the world's reviewer; the decision is made by `by`.
        auto session = world_->ServerSession(*provider, "reviewer");
        if (!session.ok()) {
          errors_.push_back(e.pos.Describe() + ": reviewer login: " + session.error().message);
          return;
        }
        const std::string by = d.by.empty() ? std::string("reviewer") : d.by;
        auto decider = by == "reviewer" ? session : world_->ServerSession(*provider, by);
        if (!decider.ok()) {
          errors_.push_back(e.pos.Describe() + ": " + by + " login: " + decider.error().message);
          return;
        }
        auto pending = provider->server->PendingReviews(session.value());
        int64_t id = 0;
        if (pending.ok()) {
          for (const middleware::Review& r : pending.value()) {
            if (r.processing_number == it->second.processing_number) id = r.id;
          }
        }
        if (id == 0) {
          errors_.push_back(e.pos.Describe() + ": decision: query " + d.query +
                            " is not held for review at " + provider->name);
          return;
        }
        Status s = d.decision == "refuse" ? provider->server->Refuse(decider.value(), id, d.reason)
                   : d.decision == "approve-partial"
                       ? provider->server->ApprovePartial(decider.value(), id, d.remove, d.reason)
                       : provider->server->Approve(decider.value(), id, d.reason);
        if (!s.ok() && s.error().code == make_error_code(netsim::Errc::kPermissionDenied)) {
          // What the rehearsal may be about: the server refuses, records the attempt, and the
          // query stays held for someone who may decide.
          Narrate(now,
                  provider->name + " 職員 " + by + ": " + d.query + " を " + d.decision +
                      " しようとしたが権限がなく拒否されました / refused: " + s.error().message);
          return;
        }
        if (!s.ok()) {
          errors_.push_back(e.pos.Describe() + ": decision: " + s.error().message);
          return;
        }
        Narrate(now, provider->name + " 職員" + (d.by.empty() ? std::string() : " " + by) + ": " +
                         d.query + " を " + d.decision + " (" + d.reason + ")");
        return;
      }
      case TimelineEvent::Kind::kFlag: {
        const Mover& mover = movers_.at(static_cast<size_t>(e.flag.person - 1));
        if (e.flag.body == mover.to && mover.pending) {  // the parser orders it after move_in
          errors_.push_back(e.pos.Describe() + ": flag: person " + std::to_string(e.flag.person) +
                            " is not registered there yet");
          return;
        }
        if (Status s = ApplyFlag(e.flag, "フラグ / flag: "); !s.ok()) {
          errors_.push_back(e.pos.Describe() + ": flag: " + s.error().message);
        }
        return;
      }
      case TimelineEvent::Kind::kReplica: {
        const ReplicaSpec& r = e.replica;
        const Mover& mover = movers_.at(static_cast<size_t>(r.person - 1));
        const std::string& person = r.body == mover.from ? mover.at_from : mover.at_to;
        if (person.empty()) {  // the parser orders it after the move_in
          errors_.push_back(e.pos.Describe() + ": replica: person " + std::to_string(r.person) +
                            " is not registered there yet");
          return;
        }
        World::Body* body = world_->FindBody(r.body);
        const int dose = doses_[{r.body, person}] + 1;
        if (Status s = RegisterDose(*body, person, dose, netsim::FormatIso(now).substr(0, 10), r.tm,
                                    r.payload);
            !s.ok()) {
          errors_.push_back(e.pos.Describe() + ": replica: " + s.error().message);
          return;
        }
        Narrate(now, "副本登録 / replica: " + body->name + ": 移動者 " + std::to_string(r.person) +
                         " の記録を登録 (" + r.tm + ", dose-" + std::to_string(dose) + ")");
        return;
      }
      case TimelineEvent::Kind::kMoveOut:
      case TimelineEvent::Kind::kDeath: {
        const StatusChangeSpec& c = e.status;
        const bool death = e.kind == TimelineEvent::Kind::kDeath;
        const char* what = death ? "death" : "move_out";
        const Mover& mover = movers_.at(static_cast<size_t>(c.person - 1));
        const std::string& person = c.body == mover.from ? mover.at_from : mover.at_to;
        if (person.empty()) {  // the parser orders it after the move_in
          errors_.push_back(e.pos.Describe() + ": " + what + ": person " +
                            std::to_string(c.person) + " is not registered there yet");
          return;
        }
        World::Body* body = world_->FindBody(c.body);
        const std::string date = netsim::FormatIso(now).substr(0, 10);
        if (Status s = world_->SetResidentStatus(*body, person,
                                                 death ? addressing::ResidentStatus::kDeceased
                                                       : addressing::ResidentStatus::kMovedOut,
                                                 date);
            !s.ok()) {
          errors_.push_back(e.pos.Describe() + ": " + what + ": " + s.error().message);
          return;
        }
        Narrate(now, std::string(death ? "死亡 / death: " : "転出 / move-out: ") + body->name +
                         ": 移動者 " + std::to_string(c.person) +
                         (death ? " の死亡を記録 (" : " の転出を記録 (") + date + ")");
        return;
      }
      case TimelineEvent::Kind::kRotateKey: {
        World::Body* body = world_->FindBody(e.rotate_key.body);
        // Key rotation is system management: the operator's job (Role::kOperator).
        auto session = world_->ServerSession(*body, "operator");
        if (!session.ok()) {
          errors_.push_back(e.pos.Describe() + ": operator login: " + session.error().message);
          return;
        }
        auto key = body->server->RotateReplicaKey(session.value());
        if (!key.ok()) {
          errors_.push_back(e.pos.Describe() + ": rotate_key: " + key.error().message);
          return;
        }
        Narrate(now, "鍵更新 / key rotation: " + body->name + ": 副本の暗号鍵を更新 (key " +
                         std::to_string(key.value()) + ")");
        return;
      }
      case TimelineEvent::Kind::kPartition: {
        std::vector<std::string> nodes;
        std::string labels;
        for (const std::string& code : e.partition.side) {
          World::Body* b = code == "core" ? nullptr : world_->FindBody(code);
          nodes.push_back(b == nullptr ? world_->core().config().node : b->institution);
          labels += (labels.empty() ? "" : ", ") + (b == nullptr ? "NWS core" : b->name);
        }
        // Side B empty: every node not on the list.
        if (Status s = world_->network().AddPartition(nodes, {}, now, now + e.partition.duration);
            !s.ok()) {
          errors_.push_back(e.pos.Describe() + ": partition: " + s.error().message);
          return;
        }
        Narrate(now, "分断 / partition: " + labels + " cut off from the network for " +
                         std::to_string(e.partition.duration.micros() / 1000000) + " s");
        return;
      }
      case TimelineEvent::Kind::kLoss: {
        const LossSpec& l = e.loss;
        const World::Body* b = l.body.empty() ? nullptr : world_->FindBody(l.body);
        const netsim::LossModel loss =
            l.rate > 0 ? netsim::LossModel::Bernoulli(l.rate) : netsim::LossModel::None();
        int changed = 0;
        for (const auto& [from, to] : world_->network().Links()) {
          if (b != nullptr && from != b->institution && to != b->institution) continue;
          // What the link had before, to give back after `for`.
          auto before = world_->network().LossAt(from, to, now);
          Status s = before.ok() ? world_->network().ChangeLoss(from, to, now, loss)
                                 : Status(before.error());
          if (s.ok() && l.duration > Duration()) {
            s = world_->network().ChangeLoss(from, to, now + l.duration, before.value());
          }
          if (!s.ok()) {
            errors_.push_back(e.pos.Describe() + ": loss: " + s.error().message);
            return;
          }
          ++changed;
        }
        char rate[32];
        std::snprintf(rate, sizeof rate, "%g", l.rate);
        Narrate(now, "回線品質 / loss: " + (b == nullptr ? std::string("全回線") : b->name) + " (" +
                         std::to_string(changed) + " links) loss " + rate +
                         (l.duration > Duration()
                              ? " for " + std::to_string(l.duration.micros() / 1000000) + " s"
                              : std::string()));
        return;
      }
      case TimelineEvent::Kind::kFault: {
        const FaultSpec& f = e.fault;
        std::string node = world_->core().config().node;
        std::string label = "NWS core";
        if (f.node_down != "core") {
          World::Body* b = world_->FindBody(f.node_down);
          node = b->institution;
          label = b->name;
        }
        (void)world_->network().NodeDown(node, now);
        (void)world_->network().NodeUp(node, now + f.duration);
        Narrate(now, "障害 / fault: " + label + " down for " +
                         std::to_string(f.duration.micros() / 1000000) + " s");
        return;
      }
    }
  }

  Status Collect() {
    for (const auto& [id, q] : queries_) {
      World::Body* body = world_->FindBody(q.body);
      RENKEI_TRY(middleware::QueryState state, body->server->QueryStatus(q.processing_number));
      final_[id] = state;
    }
    // Timeline queries, in 処理通番 order per body (deterministic), and the load's first ones,
    // which are only listed: the load's counts were kept as its queries finished.
    uint64_t load_listed = 0;
    for (const auto& [id, state] : final_) {
      const QueryRun& run = queries_.at(id);
      load_listed += run.load ? 1 : 0;
      summary_.outcomes.push_back(QueryOutcome{
          id, Name(run.body), Name(run.provider), state.submitted_at, state.completed_at,
          state.phase == middleware::QueryPhase::kDone
              ? std::string(middleware::RecordStatusCode(state.status))
              : "open",
          state.message});
      if (run.load) continue;
      ++summary_.queries;
      if (state.phase == middleware::QueryPhase::kDone) {
        ++summary_.status_counts[std::string(middleware::RecordStatusCode(state.status))];
        if (state.completed_at) ++latencies_[(*state.completed_at - state.submitted_at).micros()];
      } else {
        ++summary_.status_counts["open"];
      }
      Narrate(state.completed_at.value_or(summary_.finished_at),
              id + ": " + std::string(middleware::RecordStatusCode(state.status)) + " " +
                  std::string(middleware::RecordStatusName(state.status)) +
                  (state.message.empty() ? "" : " 「" + state.message + "」"));
    }
    summary_.queries += load_submitted_;
    summary_.outcomes_omitted = load_submitted_ - load_listed;
    for (const auto& [code, n] : load_status_counts_) summary_.status_counts[code] += n;
    if (load_submitted_ > load_finished_) {
      summary_.status_counts["open"] += load_submitted_ - load_finished_;
    }
    LoadStep(0);  // the last instant's count
    if (s_.load) {
      Narrate(load_end_, "負荷 / load: " + std::to_string(summary_.load_arrivals) + " arrivals, " +
                             std::to_string(summary_.load_started_late) +
                             " started late, at most " +
                             std::to_string(summary_.load_peak_in_flight) + " in flight");
    }
    uint64_t done = 0;
    for (const auto& [us, n] : latencies_) done += n;
    summary_.p50 = Percentile(latencies_, done, 0.50);
    summary_.p95 = Percentile(latencies_, done, 0.95);
    summary_.p99 = Percentile(latencies_, done, 0.99);
    summary_.max = latencies_.empty() ? Duration() : Duration::Micros(latencies_.rbegin()->first);
    RENKEI_CHECK_OK(NarrateAttackOutcomes());
    for (const auto& body : world_->bodies()) {
      RENKEI_CHECK_OK(body->server->SealLog());
      logs_.push_back({body->name, body->server->log_path(), body->server->answer_key()});
    }
    return OkStatus();
  }

  // ---- batch files ----

  // Writes the batch query file (one line per person, by 統合宛名番号: the business system has
  // already mapped its 宛名番号) to DIR/batches/<id>.query.csv and submits it at the requester.
  void PlayBatch(const TimelineEvent& e, SimTime now) {
    const BatchSpec& b = e.batch;
    World::Body* from = world_->FindBody(b.from);
    World::Body* to = world_->FindBody(b.to);
    auto fail = [&](const std::string& what) {
      errors_.push_back(e.pos.Describe() + ": batch " + b.id + ": " + what);
    };
    std::string file;
    for (const int person : b.persons) {
      const Mover& mover = movers_.at(static_cast<size_t>(person - 1));
      middleware::BatchQueryRecord r;
      r.numbering = middleware::NumberingSystem::kIntegratedNumber;
      r.integrated_number = b.from == mover.to ? mover.at_to : mover.at_from;
      // The file holds whole milliseconds.
      r.requested_at = SimTime::FromMicros(now.micros() - now.micros() % 1000);
      r.requester_dept = "KENKO-SUISHIN";
      r.requester_user = "scenario";
      r.requester_institution = from->institution;
      r.business_code = b.jm;
      r.procedure_code = b.jt;
      r.provider_institution = to->institution;
      r.data_item_code = b.tm;
      auto line = middleware::WriteBatchQueryLine(r);
      if (!line.ok()) return fail(line.error().message);
      file += line.value();
    }
    if (Status s = Write(BatchDir() / (b.id + ".query.csv"), file); !s.ok()) {
      return fail(s.error().message);
    }
    std::istringstream in(file);
    // Lines name the 統合宛名番号 (numbering 02), so no 宛名番号 needs resolving.
    auto id = from->server->SubmitBatch(in, b.id + ".query.csv", {});
    if (!id.ok()) return fail(id.error().message);
    batches_[b.id] = BatchRun{b.from, id.value(), false, {}, {}};
    Narrate(now, "一括照会 / batch " + b.id + ": " + from->name + " → " + to->name + " " +
                     std::to_string(b.persons.size()) + " 件 " + b.jt + " (batches/" + b.id +
                     ".query.csv)");
    world_->loop().ScheduleAfter(kFirstCheck,
                                 [this, &e] { CheckBatch(e, kFirstCheck, kFirstCheck); });
  }

  std::filesystem::path BatchDir() {
    const fs::path dir = fs::path(o_.out_dir) / "batches";
    if (!batch_dir_ready_) {
      // Recreated on every run, like the data directory: no file of an earlier run remains.
      std::error_code ec;
      fs::remove_all(dir, ec);
      fs::create_directories(dir, ec);
      batch_dir_ready_ = true;
    }
    return dir;
  }

  void CheckBatch(const TimelineEvent& e, Duration waited, Duration total) {
    BatchRun& run = batches_.at(e.batch.id);
    World::Body* from = world_->FindBody(run.requester);
    auto status = from->server->GetBatchStatus(run.id);
    if (status.ok() && status->complete()) {
      FinishBatch(e);
      return;
    }
    if (!status.ok() || total >= kMaxBatchWait) {
      errors_.push_back(e.pos.Describe() + ": batch " + e.batch.id + ": " +
                        (status.ok() ? "not complete after 31 days" : status.error().message));
      return;
    }
    const Duration wait = std::min(waited * 2, kMaxBatchCheck);
    world_->loop().ScheduleAfter(wait,
                                 [this, &e, wait, total] { CheckBatch(e, wait, total + wait); });
  }

  // Writes the result file (照会結果) and the list of persons whose answer holds no record of
  // the item: answered rows (09 or 12) without the item obtained. Rows with other statuses
  // (no token, timeout, refused…) are not on the list: nothing is known about them.
  void FinishBatch(const TimelineEvent& e) {
    const BatchSpec& b = e.batch;
    BatchRun& run = batches_.at(b.id);
    World::Body* from = world_->FindBody(run.requester);
    auto fail = [&](const std::string& what) {
      errors_.push_back(e.pos.Describe() + ": batch " + b.id + ": " + what);
    };
    std::ostringstream out;
    if (Status s = from->server->WriteBatchResult(run.id, out); !s.ok()) {
      return fail(s.error().message);
    }
    const std::string text = out.str();
    if (Status s = Write(BatchDir() / (b.id + ".result.csv"), text); !s.ok()) {
      return fail(s.error().message);
    }
    std::istringstream in(text);
    auto rows = middleware::ParseResultFile(in, b.id + ".result.csv");
    if (!rows.ok()) return fail(rows.error().message);
    if (rows->size() != b.persons.size()) return fail("the result file has another row count");
    std::string list = "line,person\r\n";
    for (size_t i = 0; i < rows->size(); ++i) {
      const middleware::ResultRow& row = (*rows)[i];
      ++run.status_counts[std::string(middleware::RecordStatusCode(row.status))];
      const bool answered = row.status == middleware::RecordStatus::kNormal ||
                            row.status == middleware::RecordStatus::kNoData;
      const bool has_record =
          std::any_of(row.items.begin(), row.items.end(), [](const middleware::ResultItem& item) {
            return item.status == middleware::ItemStatus::kObtained;
          });
      if (answered && !has_record) {
        run.unvaccinated.push_back(b.persons[i]);
        list += std::to_string(i + 1) + "," + std::to_string(b.persons[i]) + "\r\n";
      }
    }
    if (Status s = Write(BatchDir() / (b.id + ".unvaccinated.csv"), list); !s.ok()) {
      return fail(s.error().message);
    }
    run.complete = true;
    std::string counts;
    for (const auto& [code, n] : run.status_counts) {
      counts += (counts.empty() ? "" : ", ") + code + " ×" + std::to_string(n);
    }
    std::string persons;
    for (const int p : run.unvaccinated) {
      persons += (persons.empty() ? ": 移動者 " : ", ") + std::to_string(p);
    }
    Narrate(world_->loop().Now(), "一括照会 / batch " + b.id + ": 照会結果 " +
                                      std::to_string(rows->size()) + " 行 (" + counts +
                                      ") → batches/" + b.id + ".result.csv; 未接種者リスト " +
                                      std::to_string(run.unvaccinated.size()) + " 人" + persons +
                                      " → batches/" + b.id + ".unvaccinated.csv");
  }

  // What each attack left in its provider's provision log (a refusal, nothing provided).
  Status NarrateAttackOutcomes() {
    for (const AttackRun& a : attacks_) {
      World::Body* provider = world_->FindBody(a.provider);
      RENKEI_TRY(netsim::Session viewer, world_->ServerSession(*provider, "viewer"));
      RENKEI_TRY(std::vector<middleware::ProvisionLogRecord> records,
                 provider->server->ReadLog(viewer, 1, std::numeric_limits<int64_t>::max()));
      for (const middleware::ProvisionLogRecord& r : records) {
        if (r.side != middleware::ProvisionSide::kProvider ||
            r.processing_number != a.processing_number || r.at < a.at) {
          continue;
        }
        Narrate(r.at, provider->name + " 提供記録 / provision log: " +
                          std::string(middleware::ProvisionEventName(r.event)) + " " + r.outcome +
                          " (" + r.processing_number + ")");
      }
    }
    return OkStatus();
  }

  void Check() {
    for (const Expectation& x : s_.expect) {
      ExpectationResult r{x, false, ""};
      switch (x.kind) {
        case Expectation::Kind::kQueryStatus: {
          auto it = final_.find(x.query);
          if (it == final_.end()) {
            r.actual = "the query was never submitted";
            break;
          }
          const middleware::QueryState& q = it->second;
          const std::string status(middleware::RecordStatusCode(q.status));
          r.actual = "status " + status;
          r.passed = q.phase == middleware::QueryPhase::kDone && status == x.status;
          if (!x.item.empty()) {
            const std::string item =
                q.items.empty() ? "none"
                                : std::string(middleware::ItemStatusCode(q.items[0].status));
            r.actual += ", item " + item;
            r.passed = r.passed && item == x.item;
          }
          break;
        }
        case Expectation::Kind::kCount: {
          auto it = summary_.status_counts.find(x.status);
          const uint64_t n = it == summary_.status_counts.end() ? 0 : it->second;
          r.actual = std::to_string(n);
          r.passed = static_cast<int64_t>(n) == x.equals;
          break;
        }
        case Expectation::Kind::kLatency: {
          const Duration found = x.percentile == "p50"   ? summary_.p50
                                 : x.percentile == "p95" ? summary_.p95
                                 : x.percentile == "p99" ? summary_.p99
                                                         : summary_.max;
          r.actual = x.percentile + " " +
                     (found.micros() % 1000 == 0 ? std::to_string(found.micros() / 1000) + " ms"
                                                 : std::to_string(found.micros()) + " us");
          r.passed = found <= x.bound;
          break;
        }
        case Expectation::Kind::kProvisions: {
          World::Body* body = world_->FindBody(x.body);
          const middleware::ServerStats stats = body->server->stats();
          const auto it = stats.provide_outcome.find(x.outcome);
          const uint64_t n = it == stats.provide_outcome.end() ? 0 : it->second;
          r.actual = std::to_string(n) + " " + x.outcome + " at " + body->name;
          r.passed = static_cast<int64_t>(n) == x.equals;
          break;
        }
        case Expectation::Kind::kBatchStatus:
        case Expectation::Kind::kUnvaccinated: {
          const auto it = batches_.find(x.batch);
          if (it == batches_.end() || !it->second.complete) {
            r.actual = "the batch did not complete";
            break;
          }
          const BatchRun& b = it->second;
          uint64_t n = b.unvaccinated.size();
          if (x.kind == Expectation::Kind::kBatchStatus) {
            const auto count = b.status_counts.find(x.status);
            n = count == b.status_counts.end() ? 0 : count->second;
          }
          r.actual = std::to_string(n);
          r.passed = static_cast<int64_t>(n) == x.equals;
          break;
        }
        case Expectation::Kind::kLateArrivals:
          r.actual = std::to_string(summary_.load_started_late) + " of " +
                     std::to_string(summary_.load_arrivals) + " arrivals started late";
          r.passed = static_cast<int64_t>(summary_.load_started_late) <= x.max;
          break;
        case Expectation::Kind::kLogsVerify:
        case Expectation::Kind::kNoMyNumber:
          deferred_.push_back(summary_.expectations.size());
          break;
      }
      summary_.expectations.push_back(std::move(r));
    }
  }

  // Expectations that read the files: after the world has closed them.
  void CheckAfterClose() {
    for (size_t index : deferred_) {
      ExpectationResult& r = summary_.expectations[index];
      if (r.expectation.kind == Expectation::Kind::kLogsVerify) {
        r.passed = true;
        for (const auto& log : logs_) {
          auto check = middleware::VerifyLog(log.path, *log.key);
          if (!check.ok() || !check->intact) {
            r.passed = false;
            r.actual = log.body + ": " + (check.ok() ? check->reason : check.error().message);
            break;
          }
        }
        if (r.passed) r.actual = std::to_string(logs_.size()) + " logs intact";
      } else {
        r.passed = true;
        r.actual = "no 個人番号 in any output file";
        const std::unordered_set<std::string_view> numbers(my_numbers_.begin(), my_numbers_.end());
        if (std::optional<std::string> file = FindMyNumberIn(o_.out_dir, numbers)) {
          r.passed = false;
          r.actual = "a 個人番号 appears in " + fs::path(*file).filename().string();
        }
      }
    }
    summary_.timeline_errors = errors_;
  }

  static Status Write(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return MakeError(netsim::Errc::kIoError, "cannot write " + path.string());
    return OkStatus();
  }

  struct LogRef {
    std::string body;
    std::string path;
    std::shared_ptr<const netsim::crypto::PublicKey> key;
  };

  const Scenario& s_;
  const RunOptions& o_;
  RunSummary summary_;
  std::unique_ptr<World> world_;
  std::map<std::string, addressing::ResidentGenerator> generators_;
  std::vector<Mover> movers_;
  Progress progress_{o_.progress};
  std::map<std::string, uint64_t> moved_in_;  // lgcode → people who moved in so far
  std::vector<std::string> my_numbers_;       // only for the leak check; never written anywhere
  std::map<std::string, QueryRun> queries_;   // timeline queries and the load's first ones
  std::map<std::string, middleware::QueryState> final_;
  // Latency (µs) → queries: exact percentiles in memory that grows with the spread of the
  // latencies, not with the number of queries.
  std::map<int64_t, uint64_t> latencies_;
  std::vector<LogRef> logs_;
  std::vector<size_t> deferred_;
  std::vector<std::string> errors_;
  std::set<int> late_movers_;       // persons whose move_in event registers them at `to`
  std::set<std::string> attacked_;  // query ids an attack copies
  // 処理通番 of an attacked query → its envelope as first sent (empty until seen).
  std::map<std::string, netsim::crypto::Bytes> captured_;
  std::vector<AttackRun> attacks_;
  uint64_t attack_serial_ = 0;
  // (地方公共団体コード, 宛名番号) of residents_file people → their 統合宛名番号 there.
  std::map<std::pair<std::string, std::string>, std::string> file_people_;
  uint64_t replica_serial_ = 0;  // record ids of registered replicas, across bodies
  // (lgcode, 統合宛名番号) → the latest dose registered there, for the next record key.
  std::map<std::pair<std::string, std::string>, int> doses_;
  std::map<std::string, BatchRun> batches_;  // batch id → its run
  bool batch_dir_ready_ = false;
  std::map<std::string, uint64_t> submitted_;  // lgcode → queries the run submitted there
  uint64_t queries_submitted_ = 0;             // at every body
  // The load section's state.
  netsim::Rng arrival_rng_;
  netsim::Rng choice_rng_;
  netsim::Rng mover_rng_;            // bodies of movers drawn at random
  std::vector<size_t> load_movers_;  // indices into movers_ from provider to requester
  int64_t load_weight_ = 0;          // sum of the mix's weights
  uint64_t load_serial_ = 0;
  SimTime load_end_;
  int day_ = 0;            // open model: the calendar day NextArrival is in
  double day_factor_ = 1;  // its rates' factor (LoadSpec::DayFactor × load_scale)
  size_t stage_ = 0;       // the stage NextArrival is in
  SimTime stage_begin_;    // and when that stage began
  // The load's queries are accounted for as they finish (World::Body::server's
  // OnQueryFinished), so a run of millions keeps counters, not a record per query: open ones
  // by 処理通番 (as many as are in flight), final statuses, latencies and the peak in flight.
  std::unordered_set<std::string> load_open_;
  bool load_submitting_ = false;  // a query finishing now is the load query being submitted
  uint64_t load_submitted_ = 0;
  uint64_t load_finished_ = 0;
  std::map<std::string, uint64_t> load_status_counts_;
  int64_t load_in_flight_ = 0;
  SimTime load_step_at_;         // the instant of the last submission or completion
  std::deque<SimTime> waiting_;  // arrivals waiting for a slot (max_in_flight), oldest first
  struct NarrationLine {
    SimTime at;
    size_t seq;
    std::string text;
  };
  std::vector<NarrationLine> narration_;
};

}  // namespace

bool RunSummary::passed() const {
  return timeline_errors.empty() &&
         std::all_of(expectations.begin(), expectations.end(),
                     [](const ExpectationResult& r) { return r.passed; });
}

Result<RunSummary> RunScenario(const Scenario& scenario, const RunOptions& options) {
  Run run(scenario, options);
  return run.Go();
}

std::string SummaryJson(const RunSummary& s) {
  json::object o;
  o["scenario"] = s.scenario;
  o["seed"] = s.seed;
  o["renkei_version"] = RENKEI_VERSION;
  o["passed"] = s.passed();
  o["queries"] = s.queries;
  json::object counts;
  for (const auto& [code, n] : s.status_counts) counts[code] = n;
  o["status_counts"] = std::move(counts);
  json::object latency;
  // Integers in microseconds of simulated time: exact, and identical across runs.
  latency["p50_us"] = s.p50.micros();
  latency["p95_us"] = s.p95.micros();
  latency["p99_us"] = s.p99.micros();
  latency["max_us"] = s.max.micros();
  o["latency"] = std::move(latency);
  json::object load;
  load["arrivals"] = s.load_arrivals;
  load["started_late"] = s.load_started_late;
  load["peak_in_flight"] = s.load_peak_in_flight;
  load["outcomes_omitted"] = s.outcomes_omitted;
  load["scale"] = s.load_scale;
  o["load"] = std::move(load);
  o["events"] = s.events;
  o["started_at"] = netsim::FormatIso(s.started_at);
  o["finished_at"] = netsim::FormatIso(s.finished_at);
  json::array expectations;
  for (const ExpectationResult& r : s.expectations) {
    json::object e;
    e["expectation"] = r.expectation.Describe();
    e["where"] = r.expectation.pos.Describe();
    e["passed"] = r.passed;
    e["actual"] = r.actual;
    expectations.push_back(std::move(e));
  }
  o["expectations"] = std::move(expectations);
  json::array timeline_errors;
  for (const std::string& e : s.timeline_errors) timeline_errors.emplace_back(e);
  o["timeline_errors"] = std::move(timeline_errors);
  // Wall-clock figures differ between runs: everything above is byte-identical for a seed.
  const double simulated_seconds =
      static_cast<double>((s.finished_at - s.started_at).micros()) / 1e6;
  o["simulated_queries_per_second"] =
      simulated_seconds > 0 ? static_cast<double>(s.queries) / simulated_seconds : 0.0;
  json::object wall;
  wall["seconds"] = s.wall_seconds;
  wall["setup_seconds"] = s.wall_setup_seconds;
  wall["queries_per_second"] = s.wall_queries_per_second;
  wall["peak_rss_kib"] = s.peak_rss_kib;
  wall["sqlite_heap_peak_kib"] = s.sqlite_heap_peak_kib;
  o["wall"] = std::move(wall);
  return json::serialize(o) + "\n";
}

std::string JunitXml(const RunSummary& s) {
  std::ostringstream x;
  size_t failures = 0;
  for (const auto& r : s.expectations) failures += r.passed ? 0 : 1;
  failures += s.timeline_errors.size();
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuite name=\"" << XmlEscape(s.scenario) << "\" tests=\""
    << s.expectations.size() + s.timeline_errors.size() << "\" failures=\"" << failures << "\">\n";
  for (const auto& r : s.expectations) {
    x << "  <testcase classname=\"" << XmlEscape(s.scenario) << "\" name=\""
      << XmlEscape(r.expectation.Describe()) << "\"";
    if (r.passed) {
      x << "/>\n";
    } else {
      x << ">\n    <failure message=\"" << XmlEscape(r.actual) << "\">"
        << XmlEscape(r.expectation.pos.Describe() + ": expected " + r.expectation.Describe() +
                     ", got " + r.actual)
        << "</failure>\n  </testcase>\n";
    }
  }
  for (const std::string& e : s.timeline_errors) {
    x << "  <testcase classname=\"" << XmlEscape(s.scenario)
      << "\" name=\"timeline\">\n    <failure message=\"" << XmlEscape(e) << "\">" << XmlEscape(e)
      << "</failure>\n  </testcase>\n";
  }
  x << "</testsuite>\n";
  return x.str();
}

}  // namespace renkei::scenarios
