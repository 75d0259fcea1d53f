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
#include <sstream>

#include "addressing/resident_generator.h"
#include "middleware/batch_file.h"
#include "netsim/errors.h"
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

struct Mover {
  std::string from, to;
  std::string at_from, at_to;  // 統合宛名番号 at each body
};

struct QueryRun {
  std::string body;  // requester lgcode
  std::string processing_number;
  std::string provider;  // lgcode
  bool load = false;     // one of the load section's queries
};

std::string Clock(SimTime t) { return netsim::FormatIso(t).substr(11, 12); }

Duration Percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return Duration();
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  if (i > 0) --i;
  return Duration::Micros(sorted[std::min(i, sorted.size() - 1)]);
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

class Run {
 public:
  Run(const Scenario& s, const RunOptions& o)
      : s_(s),
        o_(o),
        arrival_rng_(o.seed.value_or(s.seed), netsim::Rng::StreamId("scenario/load/arrivals")),
        choice_rng_(o.seed.value_or(s.seed), netsim::Rng::StreamId("scenario/load/choices")) {}

  Result<RunSummary> Go() {
    const auto wall_start = std::chrono::steady_clock::now();
    summary_.scenario = s_.name;
    summary_.seed = o_.seed.value_or(s_.seed);
    const fs::path data = fs::path(o_.out_dir) / "data";
    std::error_code ec;
    fs::remove_all(data, ec);
    fs::create_directories(data, ec);
    if (ec) {
      return MakeError(netsim::Errc::kIoError,
                       "out dir '" + data.string() + "': cannot create: " + ec.message());
    }
    WorldOptions wo;
    wo.seed = summary_.seed;
    wo.start = s_.start - kSetup;
    wo.data_dir = data.string();
    wo.link.latency = netsim::LatencyModel::Fixed(s_.network.latency);
    if (s_.network.loss > 0) wo.link.loss = netsim::LossModel::Bernoulli(s_.network.loss);
    RENKEI_TRY(world_, World::Create(wo));
    Narrate(s_.start - kSetup, "準備 / setup: " + std::to_string(s_.world.bodies.size()) +
                                   " bodies, " + std::to_string(MoverCount()) + " movers");
    RENKEI_CHECK_OK(BuildWorld());
    world_->RunUntil(s_.start);
    if (world_->failure()) return *world_->failure();
    RENKEI_CHECK_OK(Schedule());
    world_->Run();
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
    for (const NarrationLine& l : narration_) {
      summary_.narration.push_back("[" + Clock(l.at) + "] " + l.text);
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
      RENKEI_TRY(addressing::ResidentGenerator g,
                 addressing::ResidentGenerator::Create(summary_.seed, lgcode));
      it = generators_.emplace(lgcode, std::move(g)).first;
    }
    return &it->second;
  }

  Status BuildWorld() {
    for (const BodySpec& b : s_.world.bodies) {
      RENKEI_TRY(World::Body * body, world_->AddBody(b.lgcode));
      (void)body;
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
    int serial = 0;
    for (const MoverSpec& m : s_.world.movers) {
      World::Body* from = world_->FindBody(m.from);
      World::Body* to = world_->FindBody(m.to);
      RENKEI_TRY(addressing::ResidentGenerator * gen, Generator(m.from));
      RENKEI_TRY(netsim::Session registrar, world_->ServerSession(*from, "registrar"));
      for (int i = 0; i < m.count; ++i) {
        addressing::Resident r = gen->Next();
        my_numbers_.push_back(r.my_number);
        Mover mover{m.from, m.to, "", ""};
        RENKEI_TRY(mover.at_from, world_->RegisterResident(*from, r));
        r.atena_number = m.to + r.atena_number.substr(6);
        RENKEI_TRY(mover.at_to, world_->RegisterResident(*to, r));
        if (m.vaccinated) {
          middleware::ReplicaRecord rec;
          rec.record_id = "VAC-" + m.from + "-" + std::to_string(++serial);
          rec.integrated_number = mover.at_from;
          rec.tm = "TM00160200000001";
          rec.dataset_item_code = "VACC-RECORD";
          rec.record_key = "dose-3";
          rec.data_version = 1;
          rec.publish_from = "2021-04-01";
          rec.ward_code = m.from;
          rec.payload = R"({"dose":3,"date":"2023-10-12","maker":"ファイザー","lot":"HK)" +
                        std::to_string(1000 + serial) + "\"}";
          RENKEI_CHECK_OK(from->server->RegisterReplica(registrar, rec));
        }
        movers_.push_back(std::move(mover));
      }
    }
    for (const FlagSpec& f : s_.world.flags) {
      World::Body* body = world_->FindBody(f.body);
      const Mover& mover = movers_.at(static_cast<size_t>(f.person - 1));
      const std::string& person = f.body == mover.from ? mover.at_from : mover.at_to;
      RENKEI_TRY(netsim::Session flagger, world_->ServerSession(*body, "flagger"));
      if (f.kind == "suppress") {
        RENKEI_CHECK_OK(body->server->SetSuppression(flagger, person, f.tm, f.reason));
      } else {
        RENKEI_CHECK_OK(body->server->SetSelfInfoBlocked(flagger, person, true, f.reason));
      }
      Narrate(world_->loop().Now(), Name(f.body) + ": 移動者 " + std::to_string(f.person) + " に " +
                                        f.kind + " フラグ (" + f.reason + ")");
    }
    return OkStatus();
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
    return OkStatus();
  }

  // Submits a query at `from` and counts it as one of that body's open queries.
  Result<std::string> Submit(World::Body& from, const middleware::QueryRequest& r) {
    RENKEI_TRY(std::string pn, from.server->SubmitQuery(r));
    ++submitted_[from.lgcode];
    return pn;
  }

  // ---- load ----

  void ScheduleLoad(const LoadSpec& load) {
    for (size_t i = 0; i < movers_.size(); ++i) {
      if (movers_[i].from == load.provider && movers_[i].to == load.requester) {
        load_movers_.push_back(i);
      }
    }
    for (const LoadMixEntry& m : load.mix) load_weight_ += m.weight;
    const SimTime begin = s_.start + load.at;
    load_end_ = begin + load.Span();
    std::string model;
    if (load.model == LoadSpec::Model::kOpen) {
      model = "open, " + std::to_string(load.stages.size()) +
              (load.stages.size() == 1 ? " stage" : " stages");
      stage_begin_ = begin;
      if (auto first = NextArrival(begin)) ScheduleArrival(*first);
    } else {
      model = "closed, " + std::to_string(load.clients) + " clients";
      for (int c = 0; c < load.clients; ++c) {
        world_->loop().ScheduleAt(begin, [this] { ClientTurn(); });
      }
    }
    Narrate(begin, "負荷 / load: " + Name(load.requester) + " → " + Name(load.provider) + " (" +
                       model + ", " + std::to_string(load.Span().micros() / 1000000) + " s)");
  }

  // Poisson arrivals with a piecewise-linear rate, by thinning (Lewis and Shedler): candidates
  // come at the stage's highest rate and each is kept with probability rate(t) / highest. At a
  // stage's end the candidate stream restarts at the next stage's highest rate (exponential
  // gaps are memoryless, so this is exact). Two draws per candidate, always, so a change of
  // rates does not change how the stream is consumed. Returns the first arrival after `from`,
  // or nothing after the last stage.
  std::optional<SimTime> NextArrival(SimTime from) {
    const LoadSpec& load = *s_.load;
    SimTime t = from;
    while (stage_ < load.stages.size()) {
      const LoadStage& stage = load.stages[stage_];
      const SimTime end = stage_begin_ + stage.duration;
      const double highest = std::max(stage.rate, stage.to);
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
      const double rate = stage.rate + (stage.to - stage.rate) * f;
      if (u * highest < rate) return t;
    }
    return std::nullopt;
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

  // One load query: a random mover between the two bodies, a procedure from the weighted mix.
  // Returns its 処理通番, or nothing when it could not be submitted (a timeline error).
  std::optional<std::string> SubmitLoad() {
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
    World::Body* from = world_->FindBody(load.requester);
    World::Body* to = world_->FindBody(load.provider);
    middleware::QueryRequest r;
    r.integrated_number = mover.at_to;
    r.provider = to->institution;
    r.jm = entry->jm;
    r.jt = entry->jt;
    r.tm_items = entry->tm;
    char id[32];
    std::snprintf(id, sizeof id, "load-%06llu", static_cast<unsigned long long>(++load_serial_));
    auto pn = Submit(*from, r);
    if (!pn.ok()) {
      errors_.push_back(load.pos.Describe() + ": load query " + id + ": " + pn.error().message);
      return std::nullopt;
    }
    queries_[id] = QueryRun{load.requester, pn.value(), load.provider, true};
    return pn.value();
  }

  // A closed-model client: query, wait for the answer, think, query again, until the load ends.
  void ClientTurn() {
    if (world_->loop().Now() >= load_end_) return;
    ++summary_.load_arrivals;
    std::optional<std::string> pn = SubmitLoad();
    if (!pn) return;  // reported; this client stops
    world_->loop().ScheduleAfter(kFirstCheck, [this, p = *pn] { CheckClient(p, kFirstCheck); });
  }

  void CheckClient(const std::string& pn, Duration waited) {
    const SimTime now = world_->loop().Now();
    if (now >= load_end_) return;
    World::Body* from = world_->FindBody(s_.load->requester);
    auto state = from->server->QueryStatus(pn);
    if (state.ok() && state->phase == middleware::QueryPhase::kDone) {
      const SimTime done = state->completed_at.value_or(now);
      const SimTime next = std::max(now, done + s_.load->think);
      world_->loop().ScheduleAt(next, [this] { ClientTurn(); });
      return;
    }
    const Duration wait = std::min(waited * 2, kMaxCheck);
    world_->loop().ScheduleAfter(wait, [this, pn, wait] { CheckClient(pn, wait); });
  }

  void Play(const TimelineEvent& e) {
    const SimTime now = world_->loop().Now();
    if (!e.narration.empty()) Narrate(now, e.narration);
    switch (e.kind) {
      case TimelineEvent::Kind::kQuery: {
        const QuerySpec& q = e.query;
        World::Body* from = world_->FindBody(q.from);
        World::Body* to = world_->FindBody(q.to);
        const Mover& mover = movers_.at(static_cast<size_t>(q.person - 1));
        middleware::QueryRequest r;
        r.integrated_number = q.from == mover.to ? mover.at_to : mover.at_from;
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
        Narrate(now, q.id + ": " + from->name + " → " + to->name + " 照会 " + q.jt + " (" +
                         pn.value() + ")");
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
        auto session = world_->ServerSession(*provider, "reviewer");
        if (!session.ok()) {
          errors_.push_back(e.pos.Describe() + ": reviewer login: " + session.error().message);
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
        Status s = d.decision == "refuse" ? provider->server->Refuse(session.value(), id, d.reason)
                   : d.decision == "approve-partial"
                       ? provider->server->ApprovePartial(session.value(), id, d.remove, d.reason)
                       : provider->server->Approve(session.value(), id, d.reason);
        if (!s.ok()) {
          errors_.push_back(e.pos.Describe() + ": decision: " + s.error().message);
          return;
        }
        Narrate(now,
                provider->name + " 職員: " + d.query + " を " + d.decision + " (" + d.reason + ")");
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
    std::vector<int64_t> latencies;
    // (time, +1 submitted / -1 completed) of the load's queries, for the peak in flight.
    std::vector<std::pair<int64_t, int>> load_steps;
    uint64_t load_outcomes = 0;
    for (const auto& [id, q] : queries_) {
      World::Body* body = world_->FindBody(q.body);
      RENKEI_TRY(middleware::QueryState state, body->server->QueryStatus(q.processing_number));
      final_[id] = state;
    }
    // Every query of the run, in 処理通番 order per body (deterministic), for counts.
    for (const auto& [id, state] : final_) {
      ++summary_.queries;
      const QueryRun& run = queries_.at(id);
      if (run.load) {
        load_steps.emplace_back(state.submitted_at.micros(), 1);
        if (state.phase == middleware::QueryPhase::kDone && state.completed_at) {
          load_steps.emplace_back(state.completed_at->micros(), -1);
        }
      }
      if (!run.load || load_outcomes++ < RunSummary::kMaxLoadOutcomes) {
        summary_.outcomes.push_back(QueryOutcome{
            id, Name(run.body), Name(run.provider), state.submitted_at, state.completed_at,
            state.phase == middleware::QueryPhase::kDone
                ? std::string(middleware::RecordStatusCode(state.status))
                : "open",
            state.message});
      } else {
        ++summary_.outcomes_omitted;
      }
      if (state.phase == middleware::QueryPhase::kDone) {
        ++summary_.status_counts[std::string(middleware::RecordStatusCode(state.status))];
        if (state.completed_at)
          latencies.push_back((*state.completed_at - state.submitted_at).micros());
      } else {
        ++summary_.status_counts["open"];
      }
      if (run.load) continue;  // the load's queries are summed up below, not told one by one
      Narrate(state.completed_at.value_or(summary_.finished_at),
              id + ": " + std::string(middleware::RecordStatusCode(state.status)) + " " +
                  std::string(middleware::RecordStatusName(state.status)) +
                  (state.message.empty() ? "" : " 「" + state.message + "」"));
    }
    // Completions sort before submissions at one instant: a slot freed and taken at once.
    std::sort(load_steps.begin(), load_steps.end());
    int64_t open = 0;
    for (const auto& [at, step] : load_steps) {
      open += step;
      summary_.load_peak_in_flight =
          std::max(summary_.load_peak_in_flight, static_cast<uint64_t>(std::max<int64_t>(open, 0)));
    }
    if (s_.load) {
      Narrate(load_end_, "負荷 / load: " + std::to_string(summary_.load_arrivals) + " arrivals, " +
                             std::to_string(summary_.load_started_late) +
                             " started late, at most " +
                             std::to_string(summary_.load_peak_in_flight) + " in flight");
    }
    std::sort(latencies.begin(), latencies.end());
    summary_.p50 = Percentile(latencies, 0.50);
    summary_.p95 = Percentile(latencies, 0.95);
    summary_.p99 = Percentile(latencies, 0.99);
    summary_.max = latencies.empty() ? Duration() : Duration::Micros(latencies.back());
    for (const auto& body : world_->bodies()) {
      RENKEI_CHECK_OK(body->server->SealLog());
      logs_.push_back({body->name, body->server->log_path(), body->server->answer_key()});
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
        std::error_code ec;
        for (const auto& entry : fs::recursive_directory_iterator(o_.out_dir, ec)) {
          if (!entry.is_regular_file()) continue;
          std::ifstream in(entry.path(), std::ios::binary);
          const std::string bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
          for (const std::string& n : my_numbers_) {
            if (bytes.find(n) != std::string::npos) {
              r.passed = false;
              r.actual = "a 個人番号 appears in " + entry.path().filename().string();
            }
          }
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
  std::vector<std::string> my_numbers_;  // only for the leak check; never written anywhere
  std::map<std::string, QueryRun> queries_;
  std::map<std::string, middleware::QueryState> final_;
  std::vector<LogRef> logs_;
  std::vector<size_t> deferred_;
  std::vector<std::string> errors_;
  std::map<std::string, uint64_t> submitted_;  // lgcode → queries the run submitted there
  // The load section's state.
  netsim::Rng arrival_rng_;
  netsim::Rng choice_rng_;
  std::vector<size_t> load_movers_;  // indices into movers_ from provider to requester
  int64_t load_weight_ = 0;          // sum of the mix's weights
  uint64_t load_serial_ = 0;
  SimTime load_end_;
  size_t stage_ = 0;             // open model: the stage NextArrival is in
  SimTime stage_begin_;          // and when that stage began
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
  wall["queries_per_second"] = s.wall_queries_per_second;
  wall["peak_rss_kib"] = s.peak_rss_kib;
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
