#include "middleware/intermediate_server.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "middleware/errors.h"
#include "netsim/envelope.h"
#include "netsim/identifiers.h"
#include "netsim/latency_histogram.h"
#include "netsim/nws_core.h"
#include "netsim/token_service.h"

namespace renkei::middleware {

namespace crypto = netsim::crypto;
namespace sql = netsim::sql;
using netsim::Duration;
using netsim::Envelope;
using netsim::MessageType;
using netsim::SimTime;

namespace {

constexpr Duration kLogRetention = Duration::Days(7 * 365 + 2);  // 7 years, leap days included
constexpr Duration kOperationsOnline = Duration::Days(92);       // 3 months

std::string_view OutcomeName(ProvideOutcome o) {
  switch (o) {
    case ProvideOutcome::kAnswered:
      return "answered";
    case ProvideOutcome::kRetransmitted:
      return "retransmitted";
    case ProvideOutcome::kMalformed:
      return "malformed";
    case ProvideOutcome::kPermitForged:
      return "permit-forged";
    case ProvideOutcome::kPermitExpired:
      return "permit-expired";
    case ProvideOutcome::kPermitNotYetValid:
      return "permit-not-yet-valid";
    case ProvideOutcome::kPermitReused:
      return "permit-reused";
    case ProvideOutcome::kPermitMisaddressed:
      return "permit-misaddressed";
    case ProvideOutcome::kNotPermitted:
      return "not-permitted";
    case ProvideOutcome::kListStale:
      return "list-stale";
    case ProvideOutcome::kNoPerson:
      return "no-person";
    case ProvideOutcome::kNoData:
      return "no-data";
    case ProvideOutcome::kSuppressed:
      return "suppressed";
    case ProvideOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

ProvideOutcome FromPermitCheck(netsim::PermitCheck check) {
  switch (check) {
    case netsim::PermitCheck::kForged:
      return ProvideOutcome::kPermitForged;
    case netsim::PermitCheck::kExpired:
      return ProvideOutcome::kPermitExpired;
    case netsim::PermitCheck::kNotYetValid:
      return ProvideOutcome::kPermitNotYetValid;
    case netsim::PermitCheck::kReused:
      return ProvideOutcome::kPermitReused;
    case netsim::PermitCheck::kMisaddressed:
      return ProvideOutcome::kPermitMisaddressed;
    case netsim::PermitCheck::kMalformed:
    case netsim::PermitCheck::kValid:
      break;
  }
  return ProvideOutcome::kMalformed;
}

LatencySummary Summarise(const netsim::LatencyHistogram& h) {
  LatencySummary s;
  s.count = h.count();
  s.p50 = h.Percentile(0.50);
  s.p95 = h.Percentile(0.95);
  s.p99 = h.Percentile(0.99);
  s.max = h.max();
  return s;
}

std::string FilePath(const std::string& dir, const char* name) {
  if (dir == ":memory:") return ":memory:";
  return (std::filesystem::path(dir) / name).string();
}

// The requester's record of one step of a query.
ProvisionLogRecord RequesterRecord(const QueryState& q, ProvisionEvent event, std::string outcome) {
  ProvisionLogRecord rec;
  rec.side = ProvisionSide::kRequester;
  rec.event = event;
  rec.processing_number = q.processing_number;
  rec.requester = q.requester;
  rec.provider = q.provider;
  rec.jm = q.jm;
  rec.jt = q.jt;
  rec.tm_items = q.tm_items;
  rec.requested_at = q.submitted_at;
  rec.outcome = std::move(outcome);
  rec.non_disclosure = q.non_disclosure;
  rec.integrated_number = q.integrated_number;
  return rec;
}

}  // namespace

std::string_view ProvideOutcomeName(ProvideOutcome outcome) { return OutcomeName(outcome); }

const netsim::RoleCatalog& ServerRoles() {
  static const netsim::RoleCatalog catalog({{RoleBit(Role::kAdministrator), "administrator"},
                                            {RoleBit(Role::kReplicaRegistrar), "replica-registrar"},
                                            {RoleBit(Role::kFlagSetter), "flag-setter"},
                                            {RoleBit(Role::kReviewer), "reviewer"},
                                            {RoleBit(Role::kLogViewer), "log-viewer"},
                                            {RoleBit(Role::kAuditor), "auditor"},
                                            {RoleBit(Role::kOperator), "operator"}});
  return catalog;
}

class IntermediateServer::Impl {
 public:
  Impl(netsim::EventLoop& loop, netsim::SimNetwork& network,
       const netsim::InstitutionRegistry& registry, netsim::PermitList list,
       std::shared_ptr<const TrustAnchors> trust, IntermediateServerConfig config,
       std::unique_ptr<sql::Database> db, std::unique_ptr<ServerState> state,
       std::unique_ptr<ReplicaStore> replicas, ProvisionLog log,
       std::unique_ptr<netsim::SqliteUsedPermitStore> used)
      : loop_(loop),
        network_(network),
        registry_(registry),
        list_(std::move(list)),
        trust_(std::move(trust)),
        config_(std::move(config)),
        db_(std::move(db)),
        state_(std::move(state)),
        replicas_(std::move(replicas)),
        log_(std::move(log)),
        used_(std::move(used)),
        verifier_(config_.institution, *used_),
        signer_(config_.signing_key),
        staff_(*db_, loop_, config_.staff_policy,
               netsim::Rng(config_.seed, netsim::Rng::StreamId("middleware/staff")), ServerRoles(),
               RoleBit(Role::kAdministrator), RoleBit(Role::kAuditor)) {}

  // Installs keys, creates the staff tables and resumes timers.
  Status Init();

  // ---- network ----
  using PermitKeys = std::map<uint32_t, crypto::Verifier>;
  using AnswerKeys = std::map<std::string, crypto::Verifier, std::less<>>;
  // A grant decoded and its permit's signature checked under a snapshot of the permit keys.
  struct GrantCheck {
    Result<netsim::PermitGrantBody> grant;
    std::optional<bool> genuine;  // none: the key was not in the snapshot
  };
  // Pure: runs on a worker.
  static GrantCheck CheckGrant(const PermitKeys& keys, crypto::ByteView body, bool from_core);
  // An answer's signature checked under the key its claimed sender published (none: no key,
  // so it is not believed) and its body decoded.
  struct AnswerCheck {
    bool signed_ok = false;
    Result<AnswerBody> body;
  };
  // Pure: runs on a worker.
  static AnswerCheck CheckAnswer(const crypto::Verifier* key, const Envelope& e);
  // A query as it arrived, parsed, with its permit's signature checked (off the loop thread
  // when there are workers) before Provide reads any state.
  struct ArrivedQuery {
    Envelope e;
    Result<QueryBody> body;
    std::optional<netsim::ProvisionPermit> permit;
    // Whether the signature verifies under the key trusted for the permit's key id when the
    // query arrived; none when that key was unknown then (Provide's permit check then looks
    // again and verifies itself).
    std::optional<bool> signature_valid;
  };
  // What Prepare's job computed while a message travelled here (netsim::Preparer): the
  // envelope decoded, and for a grant, a query or an answer the check OnGrant, OnQuery or
  // OnAnswer would start on arrival, done with the keys as they stood at send time. The
  // handlers use a check only if those are still the keys they would use, so the outcome is
  // the same without it.
  struct PreparedArrival {
    Result<Envelope> envelope;
    std::shared_ptr<const PermitKeys> permit_keys;  // what `grant` was checked under
    std::optional<GrantCheck> grant;
    std::optional<crypto::Verifier> answer_key;  // what `answer` was checked under
    std::optional<AnswerCheck> answer;
    std::optional<ArrivedQuery> query;  // checked under `permit_keys`
  };
  // The preparer of this server's node. It installs no key and builds no verifier: it takes
  // the permit-key snapshot only if it is current, and snapshots the answer verifiers already
  // built, so calling it changes nothing a run's outcome depends on. (That snapshot is copied
  // whenever a new provider's key was built since: quadratic in the providers a body hears
  // from, cheap next to the checks it saves. The job cannot read the trust anchors instead:
  // they are shared with whoever publishes keys, e.g. scenarios::World as bodies join, and
  // change on the loop thread.)
  std::function<netsim::Prepared()> Prepare(std::shared_ptr<const crypto::Bytes> bytes);
  void OnDelivery(const netsim::Delivery& d);
  // A query arriving at this body as provider: its permit checked (in flight, or on the pool
  // now), then Provide after the processing delay.
  void OnQuery(Envelope e, SimTime arrived, PreparedArrival* prepared);
  // Commits `writes` (when given) after storing a query's bytes and before the message leaves.
  void Send(Envelope e, ServerState::Writes* writes = nullptr);
  // The final state of a query, and its kept bytes dropped, in one transaction.
  Status PutFinished(const QueryState& q);

  // ---- requester ----
  Result<std::string> Submit(const QueryRequest& request);
  void SendPermitRequest(const QueryState& q);
  void OnGrant(const Envelope& e, PreparedArrival* prepared);
  // OnGrant's second half, once the permit's signature was checked (`genuine`).
  void OnCheckedGrant(const netsim::ProvisionPermit& permit, bool genuine);
  void OnDenial(const Envelope& e);
  void OnAnswer(Envelope e, PreparedArrival* prepared);
  // OnAnswer's second half, once the signature was checked and the body decoded.
  void OnCheckedAnswer(const Envelope& e, bool signed_ok, const Result<AnswerBody>& body);
  void OnQueryTimer(const std::string& pn);
  void ArmQueryTimer(const std::string& pn, Duration after);
  void Finish(QueryState& q, RecordStatus status, std::string message,
              std::vector<AnswerItem> items);

  // ---- provider ----
  // Pure: runs on a worker.
  static ArrivedQuery ParseArrivedQuery(Envelope e, const PermitKeys& keys);
  void Provide(const ArrivedQuery& a, SimTime arrived);
  // Signs and sends `answer`; `keep` stores it for retransmissions (only for a permit that
  // verified: keying by an unverified permit id would let a forger overwrite an answer).
  // `offload` signs on the worker pool and sends from an event posted now, for callers that
  // are themselves events (Provide); staff calls (reviews) answer before they return.
  void AnswerWith(const Envelope& query, const netsim::ProvisionPermit& permit, AnswerBody answer,
                  bool keep, bool offload = false);
  Result<std::vector<AnswerItem>> ReadItems(const std::string& person,
                                            const std::vector<std::string>& tm_items,
                                            const std::string& as_of,
                                            const std::vector<std::string>& withheld);
  Status Decide(const netsim::Session& session, int64_t review_id, ReviewState decision,
                const std::vector<std::string>& removed, std::string_view reason);
  void ArmReviewTimers(const Review& r);
  void OnReviewTimer(int64_t id, bool expire);
  Status SendReviewAnswer(const Review& r, RecordStatus status, std::vector<AnswerItem> items);

  // ---- tokens, lists ----
  void OnTokenDelivery(const Envelope& e);
  void OnList(const Envelope& e);

  // ---- logs ----
  void Log(ProvisionLogRecord record);
  void ArmSealTimer();
  // Deletes operation-record archive files whose day is before `cutoff`; returns how many.
  Result<int64_t> PurgeArchives(SimTime cutoff);
  void Fail(const Error& e) {
    if (!failure_) failure_ = e;
  }

  Status Authorize(const netsim::Session& session, Role role, std::string_view operation) {
    return staff_.Authorize(session, RoleBit(role), operation);
  }

  netsim::EventLoop& loop_;
  netsim::SimNetwork& network_;
  const netsim::InstitutionRegistry& registry_;
  netsim::PermitList list_;
  std::shared_ptr<const TrustAnchors> trust_;
  IntermediateServerConfig config_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<ReplicaStore> replicas_;
  ProvisionLog log_;
  std::unique_ptr<netsim::SqliteUsedPermitStore> used_;
  netsim::PermitVerifier verifier_;
  crypto::Signer signer_;
  netsim::StaffDirectory staff_;
  // Verifiers built from the trust anchors on first use.
  const crypto::Verifier* AnswerVerifier(const std::string& institution) {
    auto it = answer_verifiers_.find(institution);
    if (it != answer_verifiers_.end()) return &it->second;
    auto key = trust_->answer_keys.find(institution);
    if (key == trust_->answer_keys.end()) return nullptr;
    return &answer_verifiers_.emplace(institution, crypto::Verifier(key->second)).first->second;
  }
  const crypto::Verifier* PermitKeyVerifier(uint32_t key_id) {
    auto it = permit_verifiers_.find(key_id);
    if (it != permit_verifiers_.end()) return &it->second;
    auto key = trust_->core_permit_keys.find(key_id);
    if (key == trust_->core_permit_keys.end()) return nullptr;
    if (!verifier_.AddKey(key_id, key->second).ok()) return nullptr;
    return &permit_verifiers_.emplace(key_id, crypto::Verifier(key->second)).first->second;
  }
  AnswerKeys answer_verifiers_;
  // The answer keys built so far as a value a preparer's job may hold; rebuilt when another
  // was built.
  std::shared_ptr<const AnswerKeys> answer_key_snapshot_;
  std::map<uint32_t, crypto::Verifier> permit_verifiers_;
  // The permit keys as a value a worker job may hold: every core key published so far,
  // installed (the same keys as verifier_'s, which never replaces one). Rebuilt when the
  // trust anchors gained a key; a job that finds no key leaves the check to the loop thread.
  std::shared_ptr<const PermitKeys> PermitKeySnapshot() {
    if (!permit_key_snapshot_ || permit_key_snapshot_->size() != trust_->core_permit_keys.size()) {
      for (const auto& entry : trust_->core_permit_keys) (void)PermitKeyVerifier(entry.first);
      permit_key_snapshot_ = std::make_shared<const PermitKeys>(permit_verifiers_);
    }
    return permit_key_snapshot_;
  }
  std::shared_ptr<const PermitKeys> permit_key_snapshot_;

  std::map<std::string, netsim::EventId, std::less<>> query_timers_;
  std::map<int64_t, std::vector<netsim::EventId>> review_timers_;
  bool seal_armed_ = false;

  ServerStats stats_;
  uint64_t finished_queries_ = 0;
  uint64_t checks_prepared_in_flight_ = 0;
  // Histograms, not samples: a server's statistics over a simulated year stay in fixed memory.
  netsim::LatencyHistogram query_latency_;
  netsim::LatencyHistogram provide_latency_;
  std::optional<Error> failure_;
  std::function<void(const std::string&)> on_token_stored_;
  std::function<void(const QueryState&)> on_query_finished_;
  std::function<void(const std::string&, const std::string&)> on_token_failed_;
};

// ======================================================================================
// Opening
// ======================================================================================

Status IntermediateServer::Impl::Init() {
  if (Status s = staff_.Init(); !s.ok()) return s;
  for (const auto& entry : trust_->core_permit_keys) {
    if (PermitKeyVerifier(entry.first) == nullptr) {
      return Invalid("trust: core permit key " + std::to_string(entry.first) + " is unusable");
    }
  }
  // Resume: open queries get their timers, open reviews their deadlines.
  RENKEI_TRY(std::vector<QueryState> open, state_->OpenQueries());
  for (const QueryState& q : open) {
    const Duration wait = q.phase == QueryPhase::kAwaitingPermit  ? config_.permit_timeout
                          : q.phase == QueryPhase::kPendingManual ? config_.pending_follow_up
                                                                  : config_.answer_timeout;
    ArmQueryTimer(q.processing_number, wait);
  }
  RENKEI_TRY(std::vector<Review> reviews, state_->OpenReviews());
  for (const Review& r : reviews) ArmReviewTimers(r);
  if (log_.PendingCount() > 0) ArmSealTimer();
  return OkStatus();
}

Result<std::unique_ptr<IntermediateServer>> IntermediateServer::Open(
    netsim::EventLoop& loop, netsim::SimNetwork& network,
    const netsim::InstitutionRegistry& registry, netsim::PermitList list,
    std::shared_ptr<const TrustAnchors> trust, IntermediateServerConfig config) {
  if (!trust) return Invalid("trust: the trust anchors are required");
  if (Status s = netsim::ValidateInstitutionCode(config.institution); !s.ok()) {
    return Invalid("institution: " + s.error().message);
  }
  auto lgcode = netsim::LgCodeOfInstitution(config.institution);
  if (!lgcode.ok()) return Invalid("institution: " + lgcode.error().message);
  if (config.master_key.size() != 32) return Invalid("master_key: 32 bytes required");
  if (!config.signing_key || config.signing_key->type() != crypto::KeyType::kEd25519) {
    return Invalid("signing_key: an Ed25519 private key is required");
  }
  if (config.max_attempts < 1) return Invalid("max_attempts: at least 1");
  if (config.core_node.empty() || config.first_hop.empty()) {
    return Invalid("core_node and first_hop: both are required");
  }
  if (config.data_dir.empty()) return Invalid("data_dir: a directory or :memory: is required");
  if (config.data_dir != ":memory:") {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
      return MakeError(Errc::kStorage,
                       "data_dir '" + config.data_dir + "': cannot create: " + ec.message());
    }
  }
  RENKEI_TRY(sql::Database db, StorageResult(sql::Database::Open(
                                   FilePath(config.data_dir, "server.db"), config.storage)));
  RENKEI_TRY(crypto::HmacSha256 kdf,
             CryptoResult(crypto::HmacSha256::Create(config.master_key), "master_key"));
  RENKEI_TRY(crypto::Digest state_key,
             CryptoResult(kdf.Mac(crypto::AsBytes("renkei/server/state-key/" + config.institution)),
                          "master_key"));
  auto db_holder = std::make_unique<sql::Database>(std::move(db));
  RENKEI_TRY(
      std::unique_ptr<ServerState> state,
      ServerState::Open(*db_holder, std::vector<uint8_t>(state_key.begin(), state_key.end())));
  RENKEI_TRY(std::unique_ptr<ReplicaStore> replicas,
             ReplicaStore::Open(FilePath(config.data_dir, "replicas.db"),
                                ReplicaStoreOptions{lgcode.value(), config.master_key,
                                                    config.key_seed, config.storage}));
  ProvisionLogOptions log_options;
  log_options.seal_every = config.seal_every;
  log_options.open = config.storage;
  RENKEI_TRY(ProvisionLog log, ProvisionLog::Open(FilePath(config.data_dir, "provision_log.db"),
                                                  config.signing_key, log_options));
  auto used = netsim::SqliteUsedPermitStore::Open(FilePath(config.data_dir, "used_permits.db"),
                                                  config.storage);
  if (!used.ok()) return Storage(used.error());

  // The state and the staff directory hold references to the database object, which the
  // unique_ptr keeps at one address for the server's lifetime.
  auto impl = std::make_unique<Impl>(loop, network, registry, std::move(list), std::move(trust),
                                     std::move(config), std::move(db_holder), std::move(state),
                                     std::move(replicas), std::move(log), std::move(used).value());
  RENKEI_CHECK_OK(impl->Init());
  return std::unique_ptr<IntermediateServer>(new IntermediateServer(std::move(impl)));
}

// ======================================================================================
// Network
// ======================================================================================

void IntermediateServer::Impl::Send(Envelope e, ServerState::Writes* writes) {
  auto bytes = netsim::Encode(e);
  if (!bytes.ok()) {
    Fail(MakeError(Errc::kInvalidInput, "outgoing " + std::string(MessageTypeName(e.type)) + ": " +
                                            bytes.error().message));
    return;
  }
  // The query's bytes are kept (sealed, in the server database) until it is done: a resend,
  // also after a restart, is then the identical message, which the provider answers from its
  // stored answer instead of providing again.
  if (e.type == MessageType::kQuery) {
    if (Status s = state_->PutSentQuery(e.reception_number, bytes.value()); !s.ok()) {
      Fail(s.error());
      return;
    }
  }
  if (writes != nullptr) {
    if (Status s = writes->Commit(); !s.ok()) {
      Fail(s.error());
      return;
    }
  }
  // A send that finds no link is like a lost message: the timers recover or time out.
  (void)network_.Send(config_.institution, config_.first_hop, std::move(bytes).value());
}

std::function<netsim::Prepared()> IntermediateServer::Impl::Prepare(
    std::shared_ptr<const crypto::Bytes> bytes) {
  std::shared_ptr<const PermitKeys> permit_keys;
  if (permit_key_snapshot_ && permit_key_snapshot_->size() == trust_->core_permit_keys.size()) {
    permit_keys = permit_key_snapshot_;
  }
  if (!answer_key_snapshot_ || answer_key_snapshot_->size() != answer_verifiers_.size()) {
    answer_key_snapshot_ = std::make_shared<const AnswerKeys>(answer_verifiers_);
  }
  return [bytes = std::move(bytes), permit_keys, answer_keys = answer_key_snapshot_,
          core = config_.core_node]() -> netsim::Prepared {
    auto p = std::make_shared<PreparedArrival>(PreparedArrival{
        netsim::Decode(*bytes), nullptr, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
    if (!p->envelope.ok()) return p;
    const Envelope& e = p->envelope.value();
    if (e.type == MessageType::kPermitGrant && permit_keys) {
      p->permit_keys = permit_keys;
      p->grant = CheckGrant(*permit_keys, e.body, e.source == core);
    } else if (e.type == MessageType::kQuery && permit_keys) {
      p->permit_keys = permit_keys;
      p->query = ParseArrivedQuery(e, *permit_keys);
    } else if (e.type == MessageType::kAnswer) {
      if (auto key = answer_keys->find(e.source); key != answer_keys->end()) {
        p->answer_key = key->second;
        p->answer = CheckAnswer(&key->second, e);
      }
    }
    return p;
  };
}

void IntermediateServer::Impl::OnDelivery(const netsim::Delivery& d) {
  auto* prepared = static_cast<PreparedArrival*>(d.prepared.get());
  auto decoded = prepared != nullptr ? std::move(prepared->envelope) : netsim::Decode(d.bytes);
  if (!decoded.ok()) {
    ++stats_.undecodable;
    return;
  }
  Envelope e = std::move(decoded).value();
  switch (e.type) {
    case MessageType::kPermitGrant:
      OnGrant(e, prepared);
      return;
    case MessageType::kPermitDenial:
    case MessageType::kError:
      OnDenial(e);
      return;
    case MessageType::kQuery:
      OnQuery(std::move(e), d.arrived, prepared);
      return;
    case MessageType::kAnswer:
      OnAnswer(std::move(e), prepared);
      return;
    case MessageType::kTokenDelivery:
      OnTokenDelivery(e);
      return;
    case MessageType::kListDistribution:
      OnList(e);
      return;
    default:
      ++stats_.undecodable;
      return;
  }
}

void IntermediateServer::Impl::OnQuery(Envelope e, SimTime arrived, PreparedArrival* prepared) {
  // The permit's signature is checked on the worker pool during the processing delay;
  // Provide runs in the event the delay always had.
  std::shared_ptr<const PermitKeys> keys = PermitKeySnapshot();
  std::optional<ArrivedQuery> ready;
  if (prepared != nullptr && prepared->query && prepared->permit_keys == keys) {
    ready = std::move(prepared->query);  // checked in flight under these very keys
    ++checks_prepared_in_flight_;
  }
  loop_.OffloadUnlessReady(
      config_.processing_delay, std::move(ready),
      [keys = std::move(keys), e = std::move(e)]() mutable {
        return ParseArrivedQuery(std::move(e), *keys);
      },
      [this, arrived](ArrivedQuery a) { Provide(a, arrived); });
}

// ======================================================================================
// Requester side
// ======================================================================================

Result<std::string> IntermediateServer::Impl::Submit(const QueryRequest& r) {
  if (Status s = netsim::ValidateIntegratedNumber(r.integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  if (Status s = netsim::ValidateInstitutionCode(r.provider); !s.ok()) {
    return Invalid("provider: " + s.error().message);
  }
  if (registry_.Find(r.provider) == nullptr) {
    return Invalid("provider: " + r.provider + " is not in the institution registry");
  }
  if (Status s = netsim::ValidateCode(r.jm, netsim::CodeKind::kBusiness); !s.ok()) {
    return Invalid("jm: " + s.error().message);
  }
  if (Status s = netsim::ValidateCode(r.jt, netsim::CodeKind::kProcedure); !s.ok()) {
    return Invalid("jt: " + s.error().message);
  }
  if (r.tm_items.empty()) return Invalid("tm_items: at least one data item is required");
  for (const auto& tm : r.tm_items) {
    if (Status s = netsim::ValidateCode(tm, netsim::CodeKind::kDataItem); !s.ok()) {
      return Invalid("tm_items: " + s.error().message);
    }
  }
  if (r.start_date.empty() != r.end_date.empty()) {
    return Invalid("start_date/end_date: give both or neither");
  }
  if (!r.start_date.empty()) {
    if (!netsim::IsIsoDate(r.start_date)) return Invalid("start_date: YYYY-MM-DD required");
    if (!netsim::IsIsoDate(r.end_date)) return Invalid("end_date: YYYY-MM-DD required");
    if (r.start_date > r.end_date) return Invalid("start_date: after end_date");
  }
  // The 処理通番 and the query's first state commit together.
  RENKEI_TRY(ServerState::Writes writes, state_->BeginWrites());
  RENKEI_TRY(std::string pn, state_->NextProcessingNumber(config_.institution));
  QueryState q;
  q.processing_number = pn;
  q.integrated_number = r.integrated_number;
  q.requester = config_.institution;
  q.provider = r.provider;
  q.jm = r.jm;
  q.jt = r.jt;
  q.tm_items = r.tm_items;
  q.start_date = r.start_date;
  q.end_date = r.end_date;
  q.non_disclosure = r.non_disclosure;
  q.submitted_at = loop_.Now();
  q.batch_id = r.batch_id;
  q.batch_line = r.batch_line;
  RENKEI_TRY(std::optional<std::string> token, state_->TokenOf(r.integrated_number));
  if (!token) {
    RENKEI_CHECK_OK(writes.Commit());
    Finish(q, RecordStatus::kNoToken, NoTokenMessage(r.integrated_number), {});
    if (failure_) return *failure_;
    return pn;
  }
  q.phase = QueryPhase::kAwaitingPermit;
  q.attempts = 1;
  RENKEI_CHECK_OK(state_->PutQuery(q));
  RENKEI_CHECK_OK(writes.Commit());
  SendPermitRequest(q);
  ArmQueryTimer(pn, config_.permit_timeout);
  return pn;
}

void IntermediateServer::Impl::SendPermitRequest(const QueryState& q) {
  auto token = state_->TokenOf(q.integrated_number);
  if (!token.ok() || !token.value()) {
    Fail(token.ok() ? MakeError(Errc::kNotFound, "token vanished for " + q.processing_number)
                    : token.error());
    return;
  }
  netsim::PermitRequestBody body{q.processing_number, q.requester, q.provider, q.jm, q.jt,
                                 q.tm_items,          **token};
  auto encoded = netsim::EncodePermitRequest(body);
  if (!encoded.ok()) {
    Fail(encoded.error());
    return;
  }
  Envelope e;
  e.message_id = q.processing_number + ".p" + std::to_string(q.attempts);
  e.type = MessageType::kPermitRequest;
  e.source = config_.institution;
  e.destination = config_.core_node;
  e.reception_number = q.processing_number;
  e.body = std::move(encoded).value();
  Send(std::move(e));
}

void IntermediateServer::Impl::ArmQueryTimer(const std::string& pn, Duration after) {
  if (auto it = query_timers_.find(pn); it != query_timers_.end()) loop_.Cancel(it->second);
  query_timers_[pn] = loop_.ScheduleAfter(after, [this, pn] { OnQueryTimer(pn); });
}

void IntermediateServer::Impl::Finish(QueryState& q, RecordStatus status, std::string message,
                                      std::vector<AnswerItem> items) {
  const bool was_sent = q.phase != QueryPhase::kAwaitingPermit || !q.permit_id.empty();
  q.phase = QueryPhase::kDone;
  q.status = status;
  q.message = std::move(message);
  q.items = std::move(items);
  q.completed_at = loop_.Now();
  if (auto it = query_timers_.find(q.processing_number); it != query_timers_.end()) {
    loop_.Cancel(it->second);
    query_timers_.erase(it);
  }
  if (Status s = PutFinished(q); !s.ok()) Fail(s.error());
  ++stats_.query_status[std::string(RecordStatusName(status))];
  ++finished_queries_;
  query_latency_.Add(loop_.Now() - q.submitted_at);

  ProvisionLogRecord rec =
      RequesterRecord(q, ProvisionEvent::kAnswerReceived, std::string(RecordStatusName(status)));
  switch (status) {
    case RecordStatus::kNoToken:
    case RecordStatus::kTimeout:
      rec.event = ProvisionEvent::kQueryFailed;
      break;
    case RecordStatus::kNotPermitted:
      rec.event = was_sent ? ProvisionEvent::kAnswerReceived : ProvisionEvent::kPermitDenied;
      break;
    case RecordStatus::kError:
      rec.event =
          q.permit_id.empty() ? ProvisionEvent::kPermitDenied : ProvisionEvent::kAnswerReceived;
      break;
    default:
      rec.event = ProvisionEvent::kAnswerReceived;
      rec.provided_at = loop_.Now();
  }
  Log(std::move(rec));
  if (on_query_finished_) on_query_finished_(q);
}

Status IntermediateServer::Impl::PutFinished(const QueryState& q) {
  RENKEI_TRY(ServerState::Writes writes, state_->BeginWrites());
  RENKEI_CHECK_OK(state_->DeleteSentQuery(q.processing_number));
  RENKEI_CHECK_OK(state_->PutQuery(q));
  return writes.Commit();
}

void IntermediateServer::Impl::OnQueryTimer(const std::string& pn) {
  query_timers_.erase(pn);
  auto got = state_->GetQuery(pn);
  if (!got.ok()) {
    Fail(got.error());
    return;
  }
  if (!got.value() || got.value()->phase == QueryPhase::kDone) return;
  QueryState q = std::move(*got.value());
  const bool permit_phase = q.phase == QueryPhase::kAwaitingPermit;
  std::optional<crypto::Bytes> resend;
  if (!permit_phase) {
    auto sent = state_->GetSentQuery(pn);
    if (!sent.ok()) {
      Fail(sent.error());
      return;
    }
    resend = std::move(sent).value();
  }
  if (q.phase == QueryPhase::kPendingManual) {
    // The provider's final answer may have been lost: ask again now and then with the same
    // bytes (the provider re-sends its stored answer, interim or final), and give up after
    // pending_give_up so no query stays open for ever.
    if (!resend || loop_.Now() - q.submitted_at >= config_.pending_give_up) {
      Finish(q, RecordStatus::kTimeout, StandardMessage(RecordStatus::kTimeout), {});
      return;
    }
    ++stats_.follow_ups;
    (void)network_.Send(config_.institution, config_.first_hop, *resend);
    ArmQueryTimer(pn, config_.pending_follow_up);
    return;
  }
  if (q.attempts >= config_.max_attempts || (!permit_phase && !resend)) {
    Finish(q, RecordStatus::kTimeout, StandardMessage(RecordStatus::kTimeout), {});
    return;
  }
  ++q.attempts;
  if (Status s = state_->PutQuery(q); !s.ok()) {
    Fail(s.error());
    return;
  }
  if (permit_phase) {
    ++stats_.permit_retries;
    SendPermitRequest(q);
    ArmQueryTimer(pn, config_.permit_timeout);
  } else {
    ++stats_.query_retries;
    // The same bytes (same message id and permit): the provider recognises a retransmission.
    (void)network_.Send(config_.institution, config_.first_hop, *resend);
    ArmQueryTimer(pn, config_.answer_timeout);
  }
}

IntermediateServer::Impl::GrantCheck IntermediateServer::Impl::CheckGrant(const PermitKeys& keys,
                                                                          crypto::ByteView body,
                                                                          bool from_core) {
  GrantCheck c{netsim::DecodePermitGrant(body), std::nullopt};
  if (!c.grant.ok()) return c;
  const netsim::ProvisionPermit& permit = c.grant->permit;
  if (!from_core) {
    c.genuine = false;
  } else if (auto key = keys.find(permit.key_id); key != keys.end()) {
    c.genuine = key->second.Verify(netsim::CanonicalPermitBytes(permit), permit.signature).ok();
  }
  return c;
}

void IntermediateServer::Impl::OnGrant(const Envelope& e, PreparedArrival* prepared) {
  // Decoding and the signature check run on the worker pool, with the permit keys as they
  // stand now; a key the snapshot lacks is looked up and checked here afterwards.
  const bool from_core = e.source == config_.core_node;
  auto apply = [this, from_core](GrantCheck c) {
    if (!c.grant.ok()) {
      ++stats_.undecodable;
      return;
    }
    const netsim::ProvisionPermit& permit = c.grant->permit;
    if (!c.genuine) {
      const crypto::Verifier* key = from_core ? PermitKeyVerifier(permit.key_id) : nullptr;
      c.genuine = key != nullptr &&
                  key->Verify(netsim::CanonicalPermitBytes(permit), permit.signature).ok();
    }
    OnCheckedGrant(permit, *c.genuine);
  };
  std::shared_ptr<const PermitKeys> keys = PermitKeySnapshot();
  std::optional<GrantCheck> ready;
  if (prepared != nullptr && prepared->grant && prepared->permit_keys == keys) {
    ready = std::move(prepared->grant);  // checked in flight under these very keys
    ++checks_prepared_in_flight_;
  }
  loop_.OffloadUnlessReady(
      Duration(), std::move(ready),
      [keys = std::move(keys), body = e.body, from_core]() {
        return CheckGrant(*keys, body, from_core);
      },
      std::move(apply));
}

void IntermediateServer::Impl::OnCheckedGrant(const netsim::ProvisionPermit& permit, bool genuine) {
  auto got = state_->GetQuery(permit.processing_number);
  if (!got.ok()) {
    Fail(got.error());
    return;
  }
  // A grant for a query no longer waiting for one (a retry crossed the first grant) is
  // dropped: that permit is never used, so the provider never sees it.
  if (!got.value() || got.value()->phase != QueryPhase::kAwaitingPermit) return;
  QueryState q = std::move(*got.value());
  const bool matches = permit.requester == q.requester && permit.provider == q.provider &&
                       permit.jm == q.jm && permit.jt == q.jt && permit.tm_items == q.tm_items;
  if (!genuine || !matches) {
    ++stats_.rejected_answers;
    return;
  }
  QueryBody body{q.processing_number, netsim::SerializePermit(permit), q.start_date, q.end_date,
                 q.non_disclosure};
  auto encoded = EncodeQuery(body);
  if (!encoded.ok()) {
    Fail(encoded.error());
    return;
  }
  q.phase = QueryPhase::kAwaitingAnswer;
  q.permit_id = permit.permit_id;
  q.attempts = 1;
  // The new phase and the query's bytes (kept for resends) commit together, before it leaves.
  auto writes = state_->BeginWrites();
  if (!writes.ok()) {
    Fail(writes.error());
    return;
  }
  if (Status s = state_->PutQuery(q); !s.ok()) {
    Fail(s.error());
    return;
  }
  Envelope out;
  out.message_id = q.processing_number + ".q";
  out.type = MessageType::kQuery;
  out.source = config_.institution;
  out.destination = q.provider;
  out.reception_number = q.processing_number;
  out.body = std::move(encoded).value();
  Send(std::move(out), &writes.value());
  ArmQueryTimer(q.processing_number, config_.answer_timeout);

  Log(RequesterRecord(q, ProvisionEvent::kQuerySent, permit.permit_id));
}

void IntermediateServer::Impl::OnDenial(const Envelope& e) {
  auto denial = netsim::DecodePermitDenial(e.body);
  if (!denial.ok() || e.source != config_.core_node) {
    ++stats_.undecodable;
    return;
  }
  // A malformed request is answered without a 処理通番; the reception number carries it.
  const std::string pn =
      denial->processing_number.empty() ? e.reception_number : denial->processing_number;
  auto got = state_->GetQuery(pn);
  if (!got.ok()) {
    Fail(got.error());
    return;
  }
  if (!got.value() || got.value()->phase != QueryPhase::kAwaitingPermit) return;
  QueryState q = std::move(*got.value());
  const std::string& status = denial->status;
  if (status == "not_permitted" || status == "item_not_permitted") {
    // The network's wording names the refused item; for a procedure that is not on the list
    // at all, the first requested item.
    std::string subject = q.tm_items.front();
    const auto open = denial->reason.find("「TM");
    if (open != std::string::npos) subject = denial->reason.substr(open + 3, 16);
    Finish(q, RecordStatus::kNotPermitted, NotPermittedMessage(subject), {});
  } else {
    Finish(q, RecordStatus::kError, "permit refused by the NWS (" + status + "): " + denial->reason,
           {});
  }
}

IntermediateServer::Impl::AnswerCheck IntermediateServer::Impl::CheckAnswer(
    const crypto::Verifier* key, const Envelope& e) {
  return AnswerCheck{key != nullptr && netsim::VerifySignature(e, *key).ok(), DecodeAnswer(e.body)};
}

void IntermediateServer::Impl::OnAnswer(Envelope e, PreparedArrival* prepared) {
  // Nothing in an answer is believed before its signature verifies under the key published
  // for the body that claims to have sent it. Signature and decoding run on the worker pool;
  // the key is looked up here, where the trust anchors may be read.
  std::optional<crypto::Verifier> key;
  if (const crypto::Verifier* k = AnswerVerifier(e.source)) key = *k;
  std::optional<AnswerCheck> ready;
  // A copy of a verifier shares its key: the same key object means the same key.
  if (prepared != nullptr && prepared->answer && key && prepared->answer_key &&
      &prepared->answer_key->key() == &key->key()) {
    ready = std::move(prepared->answer);  // checked in flight under this very key
    ++checks_prepared_in_flight_;
  }
  // Shared, not copied: the worker reads the envelope and the event after it uses it.
  auto shared = std::make_shared<const Envelope>(std::move(e));
  loop_.OffloadUnlessReady(
      Duration(), std::move(ready),
      [key = std::move(key), shared] { return CheckAnswer(key ? &*key : nullptr, *shared); },
      [this, shared](AnswerCheck c) { OnCheckedAnswer(*shared, c.signed_ok, c.body); });
}

void IntermediateServer::Impl::OnCheckedAnswer(const Envelope& e, bool signed_ok,
                                               const Result<AnswerBody>& body) {
  std::optional<QueryState> q;
  if (body.ok()) {
    auto got = state_->GetQuery(body->processing_number);
    if (!got.ok()) {
      Fail(got.error());
      return;
    }
    q = std::move(got).value();
  }
  const bool belongs =
      q && q->provider == e.source && q->permit_id == body->permit_id && !q->permit_id.empty();
  if (!signed_ok || !body.ok() || !belongs) {
    ++stats_.rejected_answers;
    if (q) {
      ProvisionLogRecord rec = RequesterRecord(*q, ProvisionEvent::kAnswerRejected,
                                               !signed_ok ? "bad-signature" : "not-this-query");
      rec.provider = e.source;  // who sent it, which need not be the query's provider
      Log(std::move(rec));
    }
    return;
  }
  if (q->phase == QueryPhase::kDone) {
    // Arrived after the query timed out (or a duplicate of the final answer): recorded in the
    // statistics, not applied, so a status the business system has read never changes.
    ++stats_.late_answers;
    return;
  }
  if (!body->final) {
    if (q->phase == QueryPhase::kPendingManual) return;  // a re-sent interim answer
    q->phase = QueryPhase::kPendingManual;
    q->status = RecordStatus::kPendingManual;
    q->message = body->message;
    ArmQueryTimer(q->processing_number, config_.pending_follow_up);
    if (Status s = state_->PutQuery(*q); !s.ok()) Fail(s.error());
    Log(RequesterRecord(*q, ProvisionEvent::kAnswerReceived,
                        std::string(RecordStatusName(RecordStatus::kPendingManual))));
    return;
  }
  Finish(*q, body->status, body->message, body->items);
}

// ======================================================================================
// Provider side: the provision chain
// ======================================================================================

namespace {

// The provider's record of one step's outcome.
ProvisionLogRecord ProviderRecord(const netsim::ProvisionPermit& permit, SimTime arrived,
                                  ProvisionEvent event, std::string outcome) {
  ProvisionLogRecord rec;
  rec.side = ProvisionSide::kProvider;
  rec.event = event;
  rec.processing_number = permit.processing_number;
  rec.requester = permit.requester;
  rec.provider = permit.provider;
  rec.jm = permit.jm;
  rec.jt = permit.jt;
  rec.tm_items = permit.tm_items;
  rec.requested_at = arrived;
  rec.outcome = std::move(outcome);
  return rec;
}

}  // namespace

IntermediateServer::Impl::ArrivedQuery IntermediateServer::Impl::ParseArrivedQuery(
    Envelope e, const PermitKeys& keys) {
  auto body = DecodeQuery(e.body);
  std::optional<netsim::ProvisionPermit> parsed;
  std::optional<bool> signature_valid;
  if (body.ok()) {
    auto p = netsim::ParsePermit(body->permit);
    if (p.ok()) {
      parsed = std::move(p).value();
      if (auto key = keys.find(parsed->key_id); key != keys.end()) {
        signature_valid =
            key->second.Verify(netsim::CanonicalPermitBytes(*parsed), parsed->signature).ok();
      }
    }
  }
  return ArrivedQuery{std::move(e), std::move(body), std::move(parsed), signature_valid};
}

void IntermediateServer::Impl::Provide(const ArrivedQuery& a, SimTime arrived) {
  auto count = [this](ProvideOutcome o) { ++stats_.provide_outcome[std::string(OutcomeName(o))]; };
  const Envelope& e = a.e;
  // Step 1: the query and its permit parse (ParseArrivedQuery).
  const Result<QueryBody>& body = a.body;
  const std::optional<netsim::ProvisionPermit>& parsed = a.permit;
  if (!parsed || parsed->processing_number != body->processing_number) {
    // Nothing trustworthy to answer to: refuse in the log, tell the sender.
    count(ProvideOutcome::kMalformed);
    netsim::ProvisionPermit unknown;
    unknown.processing_number = e.reception_number;
    unknown.requester = e.source;
    unknown.provider = config_.institution;
    ProvisionLogRecord rec =
        ProviderRecord(unknown, arrived, ProvisionEvent::kRefused, "malformed");
    Log(std::move(rec));
    AnswerBody answer{e.reception_number,
                      "",
                      RecordStatus::kError,
                      "malformed query: " + (body.ok() ? std::string("the permit does not parse")
                                                       : body.error().message),
                      {},
                      loop_.Now(),
                      true};
    AnswerWith(e, unknown, std::move(answer), false, /*offload=*/true);
    return;
  }
  const netsim::ProvisionPermit& permit = *parsed;
  bool verified = false;
  auto refuse = [&](ProvideOutcome o, RecordStatus status, std::string message) {
    count(o);
    Log(ProviderRecord(permit, arrived, ProvisionEvent::kRefused, std::string(OutcomeName(o))));
    AnswerWith(e, permit,
               AnswerBody{permit.processing_number,
                          permit.permit_id,
                          status,
                          std::move(message),
                          {},
                          loop_.Now(),
                          true},
               verified, /*offload=*/true);
  };

  // Step 1b: a retransmission of a query already answered gets the same answer again.
  auto sent = state_->GetSentAnswer(permit.permit_id);
  if (!sent.ok()) {
    Fail(sent.error());
    count(ProvideOutcome::kFailed);
    return;
  }
  if (sent.value() && sent.value()->requester == e.source &&
      sent.value()->query_message_id == e.message_id) {
    count(ProvideOutcome::kRetransmitted);
    (void)network_.Send(config_.institution, config_.first_hop, sent.value()->envelope);
    return;
  }

  // Step 2: the permit — sent by the requester it names, then form, signature, addressee,
  // time window and single use (consumed only when everything else passed).
  if (permit.requester != e.source) {
    refuse(ProvideOutcome::kPermitMisaddressed, RecordStatus::kError,
           "provision permit refused (misaddressed): requester " + permit.requester +
               " is not the sender " + e.source);
    return;
  }
  (void)PermitKeyVerifier(permit.key_id);  // installs a core key published since start
  auto verdict = verifier_.Check(permit, loop_.Now(), a.signature_valid);
  if (!verdict.ok()) {
    Fail(verdict.error());
    count(ProvideOutcome::kFailed);
    return;
  }
  if (verdict->check != netsim::PermitCheck::kValid) {
    refuse(FromPermitCheck(verdict->check), RecordStatus::kError,
           "provision permit refused (" + std::string(netsim::PermitCheckName(verdict->check)) +
               "): " + verdict->reason);
    return;
  }
  verified = true;

  // Step 3: the local copy of the permit list, within its staleness window.
  if (!netsim::AcceptableCopy(list_, loop_.Now(), config_.list_staleness)) {
    refuse(ProvideOutcome::kListStale, RecordStatus::kError,
           "the provider's copy of the permit list (" + list_.version() +
               ") is outside its validity and staleness window");
    return;
  }
  const netsim::PermitDecision decision =
      list_.Check(netsim::PermitRequest{permit.requester, permit.jm, permit.jt, config_.institution,
                                        permit.tm_items},
                  registry_, loop_.Now());
  if (!decision.permitted()) {
    std::string subject(decision.subject_view());
    if (subject.rfind("TM", 0) != 0) subject = permit.tm_items.front();
    refuse(ProvideOutcome::kNotPermitted, RecordStatus::kNotPermitted,
           NotPermittedMessage(subject));
    return;
  }

  // Step 4: token → 統合宛名番号. A token that names nobody here (the wrong municipality, or a
  // token of another body) is "no data": the answer says nothing about who exists.
  auto person = state_->PersonOfToken(permit.provider_token);
  if (!person.ok()) {
    Fail(person.error());
    count(ProvideOutcome::kFailed);
    return;
  }
  if (!person.value()) {
    count(ProvideOutcome::kNoPerson);
    Log(ProviderRecord(permit, arrived, ProvisionEvent::kAnswered, "no-data"));
    std::vector<AnswerItem> items;
    for (const auto& tm : permit.tm_items) items.push_back({tm, ItemStatus::kNoData, ""});
    AnswerWith(
        e, permit,
        AnswerBody{permit.processing_number, permit.permit_id, RecordStatus::kNoData,
                   StandardMessage(RecordStatus::kNoData), std::move(items), loop_.Now(), true},
        true, /*offload=*/true);
    provide_latency_.Add(loop_.Now() - arrived);
    return;
  }
  const std::string integrated = *person.value();
  auto self_blocked = state_->HasFlag(integrated, permit.tm_items, FlagKind::kSelfInfoBlocked);
  auto suppressed = state_->HasFlag(integrated, permit.tm_items, FlagKind::kSuppressAutoReply);
  if (!self_blocked.ok() || !suppressed.ok()) {
    Fail(!self_blocked.ok() ? self_blocked.error() : suppressed.error());
    count(ProvideOutcome::kFailed);
    return;
  }
  // The data is read as it stood at the end of the period, never later than today.
  std::string as_of = netsim::FormatIsoDate(loop_.Now());
  if (!body->end_date.empty() && body->end_date < as_of) as_of = body->end_date;

  // Step 5: 自動応答不可 — checked before the replicas are read: a held request is answered
  // from the replicas as they stand when staff decide, and a flagged person's "no data" is
  // no more automatic than their data.
  if (suppressed.value()) {
    Review r;
    r.permit_id = permit.permit_id;
    r.processing_number = permit.processing_number;
    r.requester = permit.requester;
    r.message_id = e.message_id;
    r.jm = permit.jm;
    r.jt = permit.jt;
    r.tm_items = permit.tm_items;
    r.integrated_number = integrated;
    r.as_of = as_of;
    r.non_disclosure = body->non_disclosure;
    r.received_at = arrived;
    r.escalate_at = arrived + config_.review_escalate_after;
    r.expire_at = arrived + config_.review_expire_after;
    auto id = state_->AddReview(r);
    if (!id.ok()) {
      Fail(id.error());
      count(ProvideOutcome::kFailed);
      return;
    }
    r.id = id.value();
    ArmReviewTimers(r);
    count(ProvideOutcome::kSuppressed);
    ProvisionLogRecord rec = ProviderRecord(permit, arrived, ProvisionEvent::kSuppressed,
                                            "review-" + std::to_string(r.id));
    rec.non_disclosure = body->non_disclosure;
    rec.self_info_blocked = self_blocked.value();
    rec.integrated_number = integrated;
    Log(std::move(rec));
    // Kept past the permit's expiry: the requester's follow-ups ask for it until the review
    // ends (and a while after, for the final answer).
    netsim::ProvisionPermit kept = permit;
    kept.expires_at = r.expire_at + config_.pending_give_up;
    AnswerWith(e, kept,
               AnswerBody{permit.processing_number,
                          permit.permit_id,
                          RecordStatus::kPendingManual,
                          StandardMessage(RecordStatus::kPendingManual),
                          {},
                          loop_.Now(),
                          false},
               true, /*offload=*/true);
    return;
  }

  // Step 6: the replicas of each item inside their publication window.
  auto items = ReadItems(integrated, permit.tm_items, as_of, {});
  if (!items.ok()) {
    Fail(items.error());
    count(ProvideOutcome::kFailed);
    return;
  }
  const bool any = std::any_of(items->begin(), items->end(), [](const AnswerItem& i) {
    return i.status == ItemStatus::kObtained;
  });
  const RecordStatus status = any ? RecordStatus::kNormal : RecordStatus::kNoData;
  count(any ? ProvideOutcome::kAnswered : ProvideOutcome::kNoData);

  // Step 7: sign, send, log.
  ProvisionLogRecord rec = ProviderRecord(permit, arrived, ProvisionEvent::kAnswered,
                                          std::string(RecordStatusName(status)));
  rec.provided_at = loop_.Now();
  rec.non_disclosure = body->non_disclosure;
  rec.self_info_blocked = self_blocked.value();
  rec.integrated_number = integrated;
  AnswerWith(e, permit,
             AnswerBody{permit.processing_number, permit.permit_id, status, StandardMessage(status),
                        std::move(items).value(), loop_.Now(), true},
             true, /*offload=*/true);
  Log(std::move(rec));
  provide_latency_.Add(loop_.Now() - arrived);
}

Result<std::vector<AnswerItem>> IntermediateServer::Impl::ReadItems(
    const std::string& person, const std::vector<std::string>& tm_items, const std::string& as_of,
    const std::vector<std::string>& withheld) {
  std::vector<AnswerItem> items;
  for (const auto& tm : tm_items) {
    if (std::find(withheld.begin(), withheld.end(), tm) != withheld.end()) {
      items.push_back({tm, ItemStatus::kWithheld, ""});
      continue;
    }
    RENKEI_TRY(std::vector<ReplicaRecord> rows, replicas_->Lookup(person, tm, as_of));
    if (rows.empty()) {
      items.push_back({tm, ItemStatus::kNoData, ""});
    } else {
      items.push_back({tm, ItemStatus::kObtained, std::move(rows.front().payload)});
    }
  }
  return items;
}

void IntermediateServer::Impl::AnswerWith(const Envelope& query,
                                          const netsim::ProvisionPermit& permit, AnswerBody answer,
                                          bool keep, bool offload) {
  Envelope e;
  e.message_id = "A" + (permit.permit_id.empty() ? query.message_id : permit.permit_id) +
                 (answer.final ? ".f" : ".i");
  e.type = MessageType::kAnswer;
  e.source = config_.institution;
  e.destination = query.source;
  e.reception_number = query.reception_number;
  e.result_code = std::string(RecordStatusCode(answer.status));
  // Pure: a copy of the signer (a shared immutable key) and the answer and envelope it owns.
  auto sign = [signer = signer_, key_id = "answer/" + config_.institution, e = std::move(e),
               answer = std::move(answer)]() mutable -> Result<crypto::Bytes> {
    RENKEI_TRY(e.body, EncodeAnswer(answer));
    RENKEI_CHECK_OK(netsim::Sign(e, signer, std::move(key_id)));
    return netsim::Encode(e);
  };
  std::optional<SentAnswer> kept;
  if (keep) {
    kept = SentAnswer{permit.permit_id, query.source, query.message_id, permit.expires_at, {}};
  }
  auto send = [this, kept = std::move(kept)](Result<crypto::Bytes> bytes) mutable {
    if (!bytes.ok()) {
      Fail(bytes.error());
      return;
    }
    if (kept) {
      kept->envelope = bytes.value();
      if (Status s = state_->PutSentAnswer(*kept); !s.ok()) Fail(s.error());
    }
    (void)network_.Send(config_.institution, config_.first_hop, std::move(bytes).value());
  };
  if (offload) {
    loop_.Offload(Duration(), std::move(sign), std::move(send));
  } else {
    send(sign());
  }
}

// ======================================================================================
// Suppression review
// ======================================================================================

void IntermediateServer::Impl::ArmReviewTimers(const Review& r) {
  std::vector<netsim::EventId>& timers = review_timers_[r.id];
  for (netsim::EventId id : timers) loop_.Cancel(id);
  timers.clear();
  const int64_t id = r.id;
  if (r.state == ReviewState::kPending) {
    timers.push_back(loop_.ScheduleAt(std::max(r.escalate_at, loop_.Now()),
                                      [this, id] { OnReviewTimer(id, false); }));
  }
  timers.push_back(loop_.ScheduleAt(std::max(r.expire_at, loop_.Now()),
                                    [this, id] { OnReviewTimer(id, true); }));
}

namespace {

ProvisionLogRecord ReviewRecord(const Review& r, std::string_view provider, SimTime now,
                                ProvisionEvent event, std::string outcome) {
  ProvisionLogRecord rec;
  rec.side = ProvisionSide::kProvider;
  rec.event = event;
  rec.processing_number = r.processing_number;
  rec.requester = r.requester;
  rec.provider = std::string(provider);
  rec.jm = r.jm;
  rec.jt = r.jt;
  rec.tm_items = r.tm_items;
  rec.requested_at = r.received_at;
  rec.outcome = std::move(outcome);
  rec.non_disclosure = r.non_disclosure;
  rec.staff_id = r.decided_by;
  rec.integrated_number = r.integrated_number;
  if (event != ProvisionEvent::kEscalated) rec.provided_at = now;
  return rec;
}

}  // namespace

void IntermediateServer::Impl::OnReviewTimer(int64_t id, bool expire) {
  auto got = state_->GetReview(id);
  if (!got.ok()) {
    Fail(got.error());
    return;
  }
  if (!got.value() || !got.value()->open()) return;
  Review r = std::move(*got.value());
  if (!expire) {
    if (r.state != ReviewState::kPending) return;
    r.state = ReviewState::kEscalated;
    if (Status s = state_->UpdateReview(r); !s.ok()) {
      Fail(s.error());
      return;
    }
    ProvisionLogRecord rec =
        ReviewRecord(r, config_.institution, loop_.Now(), ProvisionEvent::kEscalated, "escalated");
    Log(std::move(rec));
    return;
  }
  review_timers_.erase(id);
  r.state = ReviewState::kExpired;
  r.decided_at = loop_.Now();
  r.reason = "no decision before the review deadline";
  if (Status s = state_->UpdateReview(r); !s.ok()) {
    Fail(s.error());
    return;
  }
  ++stats_.provide_outcome["review-expired"];
  Log(ReviewRecord(r, config_.institution, loop_.Now(), ProvisionEvent::kExpired,
                   std::string(RecordStatusName(RecordStatus::kExpired))));
  if (Status s = SendReviewAnswer(r, RecordStatus::kExpired, {}); !s.ok()) Fail(s.error());
}

Status IntermediateServer::Impl::SendReviewAnswer(const Review& r, RecordStatus status,
                                                  std::vector<AnswerItem> items) {
  netsim::ProvisionPermit permit;
  permit.permit_id = r.permit_id;
  permit.processing_number = r.processing_number;
  permit.expires_at = loop_.Now() + config_.pending_give_up;
  Envelope query;
  query.message_id = r.message_id;
  query.source = r.requester;
  query.reception_number = r.processing_number;
  AnswerWith(query, permit,
             AnswerBody{r.processing_number, r.permit_id, status, StandardMessage(status),
                        std::move(items), loop_.Now(), true},
             true);
  if (failure_) return *failure_;
  return OkStatus();
}

Status IntermediateServer::Impl::Decide(const netsim::Session& session, int64_t review_id,
                                        ReviewState decision,
                                        const std::vector<std::string>& removed,
                                        std::string_view reason) {
  const char* op = decision == ReviewState::kRefused           ? "review-refuse"
                   : decision == ReviewState::kApprovedPartial ? "review-approve-partial"
                                                               : "review-approve";
  RENKEI_CHECK_OK(Authorize(session, Role::kReviewer, op));
  if (reason.empty()) return Invalid("reason: a decision needs a reason");
  RENKEI_TRY(std::optional<Review> got, state_->GetReview(review_id));
  if (!got) {
    return MakeError(Errc::kNotFound, "review " + std::to_string(review_id) + " does not exist");
  }
  Review r = std::move(*got);
  if (!r.open()) {
    return Invalid("review " + std::to_string(review_id) + " is not pending (it is " +
                   std::string(ReviewStateName(r.state)) + ")");
  }
  if (decision == ReviewState::kApprovedPartial) {
    if (removed.empty() || removed.size() >= r.tm_items.size()) {
      return Invalid("removed_items: name at least one item and leave at least one");
    }
    for (const auto& tm : removed) {
      if (std::find(r.tm_items.begin(), r.tm_items.end(), tm) == r.tm_items.end()) {
        return Invalid("removed_items: " + tm + " is not an item of this request");
      }
    }
  }
  // Read first: a failure here leaves the review open and nothing sent.
  std::vector<AnswerItem> items;
  RecordStatus status = RecordStatus::kRefused;
  if (decision != ReviewState::kRefused) {
    RENKEI_TRY(items, ReadItems(r.integrated_number, r.tm_items, r.as_of, removed));
    const bool any = std::any_of(items.begin(), items.end(), [](const AnswerItem& i) {
      return i.status == ItemStatus::kObtained;
    });
    status = any ? RecordStatus::kNormal : RecordStatus::kNoData;
  }
  r.state = decision;
  r.decided_by = session.staff_id;
  r.decided_at = loop_.Now();
  r.reason = std::string(reason);
  r.removed_items = removed;
  RENKEI_CHECK_OK(state_->UpdateReview(r));
  for (netsim::EventId id : review_timers_[r.id]) loop_.Cancel(id);
  review_timers_.erase(r.id);
  const ProvisionEvent event = decision == ReviewState::kRefused ? ProvisionEvent::kStaffRefused
                               : decision == ReviewState::kApprovedPartial
                                   ? ProvisionEvent::kStaffApprovedPartial
                                   : ProvisionEvent::kStaffApproved;
  ++stats_.provide_outcome[std::string(ReviewStateName(decision))];
  Log(ReviewRecord(r, config_.institution, loop_.Now(), event,
                   std::string(RecordStatusName(status))));
  RENKEI_CHECK_OK(staff_.Record(session.staff_id, op, r.integrated_number,
                                "review " + std::to_string(r.id) + ": " + std::string(reason),
                                true));
  return SendReviewAnswer(r, status, std::move(items));
}

// ======================================================================================
// Tokens and the permit list
// ======================================================================================

void IntermediateServer::Impl::OnTokenDelivery(const Envelope& e) {
  auto body = netsim::DecodeTokenDelivery(e.body);
  if (!body.ok() || e.source != config_.core_node) {
    ++stats_.undecodable;
    return;
  }
  if (body->outcome == "issued") {
    if (!netsim::Token::Parse(body->token).ok()) {
      ++stats_.undecodable;
      return;
    }
    auto stored = state_->StoreToken(body->acquisition_number, body->token, loop_.Now());
    if (!stored.ok()) {
      if (stored.error().code == make_error_code(Errc::kStorage)) Fail(stored.error());
      ++stats_.undecodable;
      return;
    }
    ++stats_.tokens_stored;
    if (on_token_stored_) on_token_stored_(body->acquisition_number);
    return;
  }
  const std::string reason = body->outcome + (body->reason.empty() ? "" : ": " + body->reason);
  if (Status s = state_->FailToken(body->acquisition_number, reason); !s.ok()) {
    ++stats_.undecodable;
    return;
  }
  if (on_token_failed_) on_token_failed_(body->acquisition_number, reason);
}

void IntermediateServer::Impl::OnList(const Envelope& e) {
  auto body = netsim::DecodeListDistribution(e.body);
  if (!body.ok() || e.source != config_.core_node) {
    ++stats_.undecodable;
    return;
  }
  auto list = netsim::ReceiveList(body.value());
  if (!list.ok()) {
    ++stats_.undecodable;
    return;
  }
  list_ = std::move(list).value();
}

// ======================================================================================
// Logs
// ======================================================================================

void IntermediateServer::Impl::Log(ProvisionLogRecord record) {
  record.at = loop_.Now();
  if (Status s = log_.Append(record); !s.ok()) {
    Fail(s.error());
    return;
  }
  ArmSealTimer();
}

void IntermediateServer::Impl::ArmSealTimer() {
  // Sealing runs as its own event, never inside a request's handling: a full batch is sealed
  // as soon as the request that filled it is done, the rest on the interval.
  if (log_.PendingCount() >= config_.seal_every) {
    loop_.ScheduleAfter(Duration(), [this] {
      if (auto sealed = log_.SealPending(SealMode::kFullBatches); !sealed.ok()) {
        Fail(sealed.error());
      }
    });
  }
  if (seal_armed_) return;
  seal_armed_ = true;
  loop_.ScheduleAfter(config_.seal_interval, [this] {
    seal_armed_ = false;
    if (auto sealed = log_.SealPending(SealMode::kAll); !sealed.ok()) Fail(sealed.error());
  });
}

// ======================================================================================
// Public surface
// ======================================================================================

IntermediateServer::IntermediateServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IntermediateServer::~IntermediateServer() = default;

Status IntermediateServer::Attach() {
  RENKEI_CHECK_OK(impl_->network_.AddNode(
      impl_->config_.institution, [this](const netsim::Delivery& d) { impl_->OnDelivery(d); }));
  return impl_->network_.SetPreparer(impl_->config_.institution,
                                     [this](std::shared_ptr<const crypto::Bytes> bytes) {
                                       return impl_->Prepare(std::move(bytes));
                                     });
}

const std::string& IntermediateServer::institution() const { return impl_->config_.institution; }

std::shared_ptr<const crypto::PublicKey> IntermediateServer::answer_key() const {
  return crypto::PublicKey::FromPrivate(*impl_->config_.signing_key).value();
}

Status IntermediateServer::ExpectToken(std::string_view acquisition_number,
                                       std::string_view integrated_number) {
  if (Status s = netsim::ValidateIntegratedNumber(integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  if (acquisition_number.empty() || acquisition_number.size() > 64) {
    return Invalid("acquisition_number: 1-64 characters required");
  }
  return impl_->state_->ExpectToken(acquisition_number, integrated_number, impl_->loop_.Now());
}

void IntermediateServer::OnTokenStored(std::function<void(const std::string&)> callback) {
  impl_->on_token_stored_ = std::move(callback);
}

void IntermediateServer::OnQueryFinished(std::function<void(const QueryState&)> callback) {
  impl_->on_query_finished_ = std::move(callback);
}

void IntermediateServer::OnTokenFailed(
    std::function<void(const std::string&, const std::string&)> callback) {
  impl_->on_token_failed_ = std::move(callback);
}

Result<std::string> IntermediateServer::SubmitQuery(const QueryRequest& request) {
  return impl_->Submit(request);
}

Result<QueryState> IntermediateServer::QueryStatus(std::string_view processing_number) {
  RENKEI_TRY(std::optional<QueryState> q, impl_->state_->GetQuery(processing_number));
  if (!q) {
    return MakeError(Errc::kNotFound,
                     "処理通番 '" + std::string(processing_number) + "' is not known here");
  }
  return std::move(*q);
}

netsim::StaffDirectory& IntermediateServer::staff() { return impl_->staff_; }

Status IntermediateServer::RegisterReplica(const netsim::Session& session,
                                           const ReplicaRecord& record) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kReplicaRegistrar, "replica-register"));
  Status s = impl_->replicas_->Register(record);
  RENKEI_CHECK_OK(impl_->staff_.Record(
      session.staff_id, "replica-register", s.ok() ? record.integrated_number : "",
      "record " + record.record_id + (s.ok() ? "" : " refused: " + s.error().message), s.ok()));
  return s;
}

Result<ImportSummary> IntermediateServer::ImportReplicas(const netsim::Session& session,
                                                         std::istream& in,
                                                         std::string_view source_name) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kReplicaRegistrar, "replica-import"));
  auto summary = impl_->replicas_->ImportCsv(in, source_name);
  const std::string detail =
      std::string(source_name) + (summary.ok()
                                      ? ": " + std::to_string(summary->accepted) + " accepted, " +
                                            std::to_string(summary->rejected) + " rejected"
                                      : ": failed: " + summary.error().message);
  RENKEI_CHECK_OK(
      impl_->staff_.Record(session.staff_id, "replica-import", "", detail, summary.ok()));
  return summary;
}

Status IntermediateServer::RemoveReplica(const netsim::Session& session,
                                         std::string_view record_id) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kReplicaRegistrar, "replica-remove"));
  Status s = impl_->replicas_->Remove(record_id);
  RENKEI_CHECK_OK(impl_->staff_.Record(session.staff_id, "replica-remove", "",
                                       "record " + std::string(record_id), s.ok()));
  return s;
}

namespace {

Status CheckFlagTarget(std::string_view integrated_number, std::string_view tm) {
  if (Status s = netsim::ValidateIntegratedNumber(integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  if (!tm.empty()) {
    if (Status s = netsim::ValidateCode(tm, netsim::CodeKind::kDataItem); !s.ok()) {
      return Invalid("tm: " + s.error().message);
    }
  }
  return OkStatus();
}

}  // namespace

Status IntermediateServer::SetSuppression(const netsim::Session& session,
                                          std::string_view integrated_number, std::string_view tm,
                                          std::string_view reason) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kFlagSetter, "flag-suppress-set"));
  RENKEI_CHECK_OK(CheckFlagTarget(integrated_number, tm));
  if (reason.empty()) return Invalid("reason: setting a flag needs a reason");
  RENKEI_CHECK_OK(impl_->state_->SetFlag(Flag{std::string(integrated_number), std::string(tm),
                                              FlagKind::kSuppressAutoReply, session.staff_id,
                                              impl_->loop_.Now(), std::string(reason)}));
  return impl_->staff_.Record(
      session.staff_id, "flag-suppress-set", integrated_number,
      (tm.empty() ? std::string("all items") : std::string(tm)) + ": " + std::string(reason), true);
}

Status IntermediateServer::ClearSuppression(const netsim::Session& session,
                                            std::string_view integrated_number, std::string_view tm,
                                            std::string_view reason) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kFlagSetter, "flag-suppress-clear"));
  RENKEI_CHECK_OK(CheckFlagTarget(integrated_number, tm));
  if (reason.empty()) return Invalid("reason: clearing a flag needs a reason");
  RENKEI_CHECK_OK(impl_->state_->ClearFlag(integrated_number, tm, FlagKind::kSuppressAutoReply));
  return impl_->staff_.Record(
      session.staff_id, "flag-suppress-clear", integrated_number,
      (tm.empty() ? std::string("all items") : std::string(tm)) + ": " + std::string(reason), true);
}

Status IntermediateServer::SetSelfInfoBlocked(const netsim::Session& session,
                                              std::string_view integrated_number, bool blocked,
                                              std::string_view reason) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kFlagSetter, "flag-self-info"));
  RENKEI_CHECK_OK(CheckFlagTarget(integrated_number, ""));
  if (reason.empty()) return Invalid("reason: changing a flag needs a reason");
  if (blocked) {
    RENKEI_CHECK_OK(
        impl_->state_->SetFlag(Flag{std::string(integrated_number), "", FlagKind::kSelfInfoBlocked,
                                    session.staff_id, impl_->loop_.Now(), std::string(reason)}));
  } else {
    RENKEI_CHECK_OK(impl_->state_->ClearFlag(integrated_number, "", FlagKind::kSelfInfoBlocked));
  }
  return impl_->staff_.Record(session.staff_id,
                              blocked ? "flag-self-info-set" : "flag-self-info-clear",
                              integrated_number, std::string(reason), true);
}

Result<std::vector<Review>> IntermediateServer::PendingReviews(const netsim::Session& session) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kReviewer, "review-list"));
  return impl_->state_->OpenReviews();
}

Status IntermediateServer::Approve(const netsim::Session& session, int64_t review_id,
                                   std::string_view reason) {
  return impl_->Decide(session, review_id, ReviewState::kApproved, {}, reason);
}

Status IntermediateServer::ApprovePartial(const netsim::Session& session, int64_t review_id,
                                          const std::vector<std::string>& removed_items,
                                          std::string_view reason) {
  return impl_->Decide(session, review_id, ReviewState::kApprovedPartial, removed_items, reason);
}

Status IntermediateServer::Refuse(const netsim::Session& session, int64_t review_id,
                                  std::string_view reason) {
  return impl_->Decide(session, review_id, ReviewState::kRefused, {}, reason);
}

Result<std::vector<ProvisionLogRecord>> IntermediateServer::ReadLog(const netsim::Session& session,
                                                                    int64_t from, int64_t to) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kLogViewer, "log-read"));
  return impl_->log_.Read(from, to);
}

Result<std::vector<ProvisionLogRecord>> IntermediateServer::PersonLog(
    const netsim::Session& session, std::string_view integrated_number) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kLogViewer, "log-person"));
  RENKEI_CHECK_OK(impl_->staff_.Record(session.staff_id, "log-person", integrated_number,
                                       "provision log of one person", true));
  return impl_->log_.ForPerson(integrated_number);
}

Result<CitizenView> IntermediateServer::CitizenHistory(std::string_view integrated_number) {
  if (Status s = netsim::ValidateIntegratedNumber(integrated_number); !s.ok()) {
    return Invalid("integrated_number: " + s.error().message);
  }
  CitizenView view;
  RENKEI_TRY(std::vector<ProvisionLogRecord> records, impl_->log_.ForPerson(integrated_number));
  for (const ProvisionLogRecord& r : records) {
    if (r.non_disclosure) continue;
    // The history shows exchanges that happened: data given or received, or a refusal that
    // concerns the person. Internal steps (query sent, escalation) are not exchanges.
    const bool shown =
        r.event == ProvisionEvent::kAnswerReceived || r.event == ProvisionEvent::kAnswered ||
        r.event == ProvisionEvent::kStaffApproved ||
        r.event == ProvisionEvent::kStaffApprovedPartial ||
        r.event == ProvisionEvent::kStaffRefused || r.event == ProvisionEvent::kExpired;
    if (!shown || r.outcome == std::string(RecordStatusName(RecordStatus::kPendingManual))) {
      continue;
    }
    HistoryEntry h;
    h.at = r.at;
    const bool provider = r.side == ProvisionSide::kProvider;
    h.direction = provider ? "provided-to" : "received-from";
    h.other_body = provider ? r.requester : r.provider;
    const netsim::Institution* inst = impl_->registry_.Find(h.other_body);
    h.other_body_name = inst != nullptr ? inst->name : h.other_body;
    h.jm = r.jm;
    h.jt = r.jt;
    h.tm_items = r.tm_items;
    h.outcome = r.outcome;
    view.history.push_back(std::move(h));
  }
  RENKEI_TRY(view.self_info_blocked,
             impl_->state_->HasFlag(integrated_number, {}, FlagKind::kSelfInfoBlocked));
  if (!view.self_info_blocked) {
    RENKEI_TRY(view.own_data, impl_->replicas_->LookupPerson(
                                  integrated_number, netsim::FormatIsoDate(impl_->loop_.Now())));
  }
  return view;
}

Status IntermediateServer::SealLog() {
  RENKEI_TRY(int64_t sealed, impl_->log_.SealPending(SealMode::kAll));
  (void)sealed;
  return OkStatus();
}

Result<LogCheck> IntermediateServer::CheckLog() { return impl_->log_.Check(); }

std::string IntermediateServer::log_path() const {
  return FilePath(impl_->config_.data_dir, "provision_log.db");
}

uint64_t IntermediateServer::checks_prepared_in_flight() const {
  return impl_->checks_prepared_in_flight_;
}

ServerStats IntermediateServer::stats() const {
  ServerStats s = impl_->stats_;
  s.query_latency = Summarise(impl_->query_latency_);
  s.provide_latency = Summarise(impl_->provide_latency_);
  return s;
}

Result<Health> IntermediateServer::CheckHealth() {
  Health h;
  RENKEI_TRY(std::vector<QueryState> open, impl_->state_->OpenQueries());
  h.open_queries = static_cast<int64_t>(open.size());
  RENKEI_TRY(std::vector<Review> reviews, impl_->state_->OpenReviews());
  h.open_reviews = static_cast<int64_t>(reviews.size());
  for (const Review& r : reviews) {
    if (r.state == ReviewState::kEscalated) ++h.escalated_reviews;
  }
  h.unsealed_log_records = impl_->log_.PendingCount();
  h.permit_list_version = impl_->list_.version();
  if (impl_->failure_) {
    h.ok = false;
    h.notices.push_back("storage or crypto failure: " + impl_->failure_->message);
  }
  const SimTime now = impl_->loop_.Now();
  if (!netsim::AcceptableCopy(impl_->list_, now, impl_->config_.list_staleness)) {
    h.ok = false;
    h.notices.push_back("the permit list copy " + impl_->list_.version() +
                        " is outside its validity and staleness window: every query is refused");
  } else if (now > impl_->list_.valid_to()) {
    h.notices.push_back("the permit list copy " + impl_->list_.version() +
                        " has ended; relying on the staleness window");
  }
  if (h.escalated_reviews > 0) {
    h.notices.push_back(std::to_string(h.escalated_reviews) +
                        " suppressed request(s) escalated past their review deadline");
  }
  return h;
}

Result<PurgeReport> IntermediateServer::Purge(const netsim::Session& session) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kOperator, "purge"));
  const SimTime now = impl_->loop_.Now();
  PurgeReport report;
  RENKEI_TRY(report.archive_files, impl_->PurgeArchives(now - kLogRetention));
  RENKEI_TRY(report.log_records, impl_->log_.Purge(now - kLogRetention));
  auto used = impl_->used_->PurgeExpired(now);
  if (!used.ok()) return Storage(used.error());
  report.used_permits = used.value();
  RENKEI_TRY(report.sent_answers, impl_->state_->PurgeSentAnswers(now));
  RENKEI_TRY(report.queries, impl_->state_->PurgeQueries(now - impl_->config_.query_retention));
  RENKEI_CHECK_OK(impl_->staff_.Record(session.staff_id, "purge", "",
                                       std::to_string(report.log_records) + " log records, " +
                                           std::to_string(report.used_permits) + " used permits, " +
                                           std::to_string(report.sent_answers) + " sent answers, " +
                                           std::to_string(report.queries) + " queries",
                                       true));
  return report;
}

Result<uint32_t> IntermediateServer::RotateReplicaKey(const netsim::Session& session) {
  RENKEI_CHECK_OK(impl_->Authorize(session, Role::kOperator, "replica-key-rotate"));
  RENKEI_TRY(uint32_t id, impl_->replicas_->RotateDataKey());
  RENKEI_CHECK_OK(impl_->staff_.Record(session.staff_id, "replica-key-rotate", "",
                                       "data key " + std::to_string(id), true));
  return id;
}

// ---- batch files ----

namespace {

// "YYYYMMDD" → "YYYY-MM-DD"; with fiscal years, widened to the whole 年度 (April to March)
// containing the date: the start to April 1, the end to March 31.
std::string BatchDate(const std::string& ymd, bool fiscal, bool is_end) {
  int year = std::stoi(ymd.substr(0, 4));
  const int month = std::stoi(ymd.substr(4, 2));
  if (!fiscal) return ymd.substr(0, 4) + "-" + ymd.substr(4, 2) + "-" + ymd.substr(6, 2);
  if (month < 4) --year;  // January-March belong to the 年度 that began the previous April
  return is_end ? std::to_string(year + 1) + "-03-31" : std::to_string(year) + "-04-01";
}

}  // namespace

Result<int64_t> IntermediateServer::SubmitBatch(std::istream& in, std::string_view source_name,
                                                const AtenaResolver& resolver) {
  RENKEI_TRY(BatchParse parse, ParseBatchQueryFile(in, source_name));
  const std::vector<int> bad = parse.BadLines();
  BatchJob job;
  job.source = std::string(source_name);
  job.submitted_at = impl_->loop_.Now();
  job.lines = static_cast<int>(parse.records.size() + bad.size());
  job.rejected = static_cast<int>(bad.size());
  RENKEI_TRY(job.id, impl_->state_->AddBatch(job));
  // The first error of each bad line answers that line.
  int last_line = 0;
  for (const BatchLineError& error : parse.errors) {
    if (error.line == last_line) continue;
    last_line = error.line;
    RENKEI_CHECK_OK(
        impl_->state_->AddBatchRejection(job.id, error.line, RejectedLineRow(error).message));
  }
  for (const BatchQueryLine& line : parse.records) {
    const BatchQueryRecord& r = line.record;
    auto reject = [&](const std::string& message) {
      return impl_->state_->AddBatchRejection(job.id, line.line, message);
    };
    if (r.requester_institution != impl_->config_.institution) {
      RENKEI_CHECK_OK(reject("requester_institution: " + r.requester_institution +
                             " is not this body (" + impl_->config_.institution + ")"));
      continue;
    }
    std::string integrated = r.integrated_number;
    if (r.numbering == NumberingSystem::kAtenaNumber) {
      auto resolved = resolver ? resolver(r.atena_number)
                               : Result<std::string>(Invalid("no addressing server is linked"));
      if (!resolved.ok()) {
        // The resolver's own message may quote the 宛名番号 (personal data): the result file
        // names only the field, as every batch message does.
        RENKEI_CHECK_OK(reject("atena_number: no person is linked to this 宛名番号 here"));
        continue;
      }
      integrated = std::move(resolved).value();
    }
    QueryRequest q;
    q.integrated_number = integrated;
    q.provider = r.provider_institution;
    q.jm = r.business_code;
    q.jt = r.procedure_code;
    q.tm_items = {r.data_item_code};
    if (r.condition_type == '1') {
      q.start_date = BatchDate(r.start_date, r.fiscal_year_type == '1', false);
      q.end_date = BatchDate(r.end_date, r.fiscal_year_type == '1', true);
    }
    q.non_disclosure = r.non_disclosure;
    q.batch_id = job.id;
    q.batch_line = line.line;
    auto pn = impl_->Submit(q);
    if (!pn.ok()) {
      if (pn.error().code != make_error_code(Errc::kInvalidInput)) return pn.error();
      RENKEI_CHECK_OK(reject(pn.error().message));
    }
  }
  return job.id;
}

Result<BatchStatus> IntermediateServer::GetBatchStatus(int64_t batch_id) {
  RENKEI_TRY(std::optional<BatchJob> job, impl_->state_->GetBatch(batch_id));
  if (!job) {
    return MakeError(Errc::kNotFound, "batch " + std::to_string(batch_id) + " does not exist");
  }
  BatchStatus status;
  status.id = batch_id;
  status.lines = job->lines;
  RENKEI_TRY(auto rejections, impl_->state_->BatchRejections(batch_id));
  status.rejected = static_cast<int>(rejections.size());
  RENKEI_TRY(std::vector<QueryState> queries, impl_->state_->BatchQueries(batch_id));
  for (const QueryState& q : queries) {
    if (q.phase == QueryPhase::kDone) {
      ++status.done;
    } else if (q.phase == QueryPhase::kPendingManual) {
      ++status.pending_manual;
    } else {
      ++status.in_flight;
    }
  }
  return status;
}

Status IntermediateServer::WriteBatchResult(int64_t batch_id, std::ostream& out) {
  RENKEI_TRY(BatchStatus status, GetBatchStatus(batch_id));
  if (!status.complete()) {
    return Invalid("batch " + std::to_string(batch_id) +
                   " is not complete: " + std::to_string(status.in_flight) + " in flight, " +
                   std::to_string(status.pending_manual) + " pending manual");
  }
  RENKEI_TRY(auto rejections, impl_->state_->BatchRejections(batch_id));
  RENKEI_TRY(std::vector<QueryState> queries, impl_->state_->BatchQueries(batch_id));
  // Both lists are in line order; merge them so the rows line up with the query file.
  std::ostringstream rows;
  size_t r = 0, q = 0;
  while (r < rejections.size() || q < queries.size()) {
    const bool take_rejection =
        q == queries.size() ||
        (r < rejections.size() && rejections[r].first < queries[q].batch_line);
    ResultRow row;
    if (take_rejection) {
      row = ResultRow{RecordStatus::kError, rejections[r].second, {}};
      ++r;
    } else {
      const QueryState& query = queries[q];
      row.status = query.status;
      row.message = query.message;
      for (const AnswerItem& item : query.items) row.items.push_back({item.status, item.value});
      ++q;
    }
    RENKEI_CHECK_OK(WriteResultRow(rows, row));
  }
  // Written in one go, so a failure above leaves the caller's stream untouched.
  out << rows.str();
  if (!out) return MakeError(Errc::kStorage, "result file: write failed");
  return OkStatus();
}

Result<int64_t> IntermediateServer::ArchiveOperations(const netsim::Session& auditor) {
  if (impl_->config_.data_dir == ":memory:") {
    return Invalid("archive: a server kept in memory has no archive directory");
  }
  const std::filesystem::path dir = std::filesystem::path(impl_->config_.data_dir) / "archive";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(Errc::kStorage, "archive: cannot create " + dir.string());
  const SimTime now = impl_->loop_.Now();
  const std::string path = (dir / ("operations-" + netsim::FormatYmd(now) + ".csv")).string();
  auto n = impl_->staff_.ArchiveOperations(auditor, now - kOperationsOnline, path);
  if (!n.ok()) return n.error();
  return n.value();
}

Result<int64_t> IntermediateServer::Impl::PurgeArchives(SimTime cutoff) {
  if (config_.data_dir == ":memory:") return int64_t{0};
  const std::filesystem::path dir = std::filesystem::path(config_.data_dir) / "archive";
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return int64_t{0};
  // Archive files carry their day in the name; one is deleted once that day is past retention.
  const std::string last_day = netsim::FormatYmd(cutoff);
  std::vector<std::filesystem::path> old;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 23 && name.starts_with("operations-") && name.ends_with(".csv") &&
        name.substr(11, 8) < last_day) {
      old.push_back(entry.path());
    }
  }
  std::sort(old.begin(), old.end());
  for (const auto& p : old) {
    if (!std::filesystem::remove(p, ec) || ec) {
      return MakeError(Errc::kStorage, "archive: cannot delete " + p.string());
    }
  }
  return static_cast<int64_t>(old.size());
}

uint64_t IntermediateServer::finished_queries() const { return impl_->finished_queries_; }

const std::optional<Error>& IntermediateServer::failure() const { return impl_->failure_; }

}  // namespace renkei::middleware
