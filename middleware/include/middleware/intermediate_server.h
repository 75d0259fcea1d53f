// IntermediateServer (中間サーバー): one body's node between its business systems and the NWS.
//
// It runs on the simulation's event loop and talks to the network only in encoded envelopes
// (netsim/envelope.h) over the transport (the simulated links now). Its ten functions (issue
// "The intermediate server"), and where they live:
//   1. token management     tokens stored on delivery from the core (ServerState)
//   2. query                SubmitQuery → permit from the core → query with the permit →
//                           verified answer stored under the 処理通番; QueryStatus polls
//   3. provision            the provision chain (ProvideStep, one closed outcome per step)
//   4. business interface   the calls below and the batch files (SubmitBatch, WriteBatchResult)
//   5. provision logs       ProvisionLog on both sides, sealed off the request path
//   6. replicas             ReplicaStore (encrypted at rest)
//   7. data exchange        timeouts and bounded retries; a retransmitted query gets the stored
//                           answer again, never a second provision
//   8. security             replica and state encryption, answer signatures, permit
//                           verification against the core's key
//   9. staff                netsim::StaffDirectory with the roles below, operation records
//  10. system management    Stats, Health, Purge
//
// Files (data_dir, or all in memory when data_dir is ":memory:"): server.db (state, staff,
// operation records), replicas.db, provision_log.db, used_permits.db. Each body has its own.
//
// Calls that come from the body's own systems over the system link (SubmitQuery, QueryStatus,
// token bookkeeping) take no staff session, as in the addressing server; calls a person makes
// (replica registration, flags, review decisions, log viewing, system management) take one
// and are recorded in the operation record.
//
// The intermediate server never holds a 個人番号: persons are 統合宛名番号 here.
// Thread safety: none; everything runs on the event loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "middleware/batch_file.h"
#include "middleware/exchange.h"
#include "middleware/provision_log.h"
#include "middleware/replica_store.h"
#include "middleware/server_state.h"
#include "netsim/crypto.h"
#include "netsim/event_loop.h"
#include "netsim/institution_registry.h"
#include "netsim/permit_list.h"
#include "netsim/provision_permit.h"
#include "netsim/result.h"
#include "netsim/sim_network.h"
#include "netsim/sqlite.h"
#include "netsim/staff.h"

namespace renkei::middleware {

// Roles of the intermediate server's staff (bits of a netsim::RoleSet).
enum class Role : uint32_t {
  kAdministrator = 1,     // staff accounts
  kReplicaRegistrar = 2,  // replica registration and bulk import
  kFlagSetter = 4,        // auto-reply suppression and self-information flags
  kReviewer = 8,          // decisions on suppressed requests
  kLogViewer = 16,        // reading provision logs and a person's history
  kAuditor = 32,          // reading and archiving the operation record
  kOperator = 64,         // system management: statistics, batch jobs, purge, key rotation
};
constexpr netsim::RoleSet RoleBit(Role r) { return static_cast<netsim::RoleSet>(r); }
// "administrator", "replica-registrar", "flag-setter", "reviewer", "log-viewer", "auditor",
// "operator".
const netsim::RoleCatalog& ServerRoles();

// Public keys the server trusts: the core's permit keys by key id, and each body's answer key
// by 機関コード. Shared by every server of a simulation and read at each verification, so a
// body added later (or a rotated core key) is trusted from then on.
struct TrustAnchors {
  std::map<uint32_t, std::shared_ptr<const netsim::crypto::PublicKey>> core_permit_keys;
  std::map<std::string, std::shared_ptr<const netsim::crypto::PublicKey>, std::less<>> answer_keys;
};

struct IntermediateServerConfig {
  std::string institution;          // this body's 機関コード; also its node name
  std::string data_dir;             // ":memory:" keeps everything in memory (tests)
  std::vector<uint8_t> master_key;  // 32 bytes: replica data keys and server state
  std::vector<uint8_t> key_seed;    // optional, >= 32 bytes: deterministic replica data keys
  // Ed25519: signs answers and seals the provision log.
  std::shared_ptr<const netsim::crypto::PrivateKey> signing_key;
  std::string core_node;  // the NWS core's node (destination of permit requests)
  std::string first_hop;  // where every envelope is sent: the interface system, or the core
  netsim::Duration processing_delay = netsim::Duration::Millis(5);  // provider chain
  netsim::Duration permit_timeout = netsim::Duration::Seconds(30);
  netsim::Duration answer_timeout = netsim::Duration::Seconds(60);
  int max_attempts = 3;  // sends per phase, the first included
  // While the provider holds a query for review, the requester asks again this often (the
  // same bytes: a lost final answer is re-sent), and gives up (status 30) after the last.
  netsim::Duration pending_follow_up = netsim::Duration::Days(1);
  netsim::Duration pending_give_up = netsim::Duration::Days(30);
  netsim::Duration review_escalate_after = netsim::Duration::Days(3);
  netsim::Duration review_expire_after = netsim::Duration::Days(14);
  netsim::Duration list_staleness = netsim::Duration::Days(1);
  int64_t seal_every = 1000;
  netsim::Duration seal_interval = netsim::Duration::Minutes(1);
  netsim::Duration query_retention = netsim::Duration::Days(90);
  netsim::StaffPolicy staff_policy;
  uint64_t seed = 1;
  // How every database file of the server is opened (netsim::sql::OpenOptions::exclusive for
  // a simulation that owns its files).
  netsim::sql::OpenOptions storage;
};

// What the business system submits (after the addressing server mapped its 宛名番号).
struct QueryRequest {
  std::string integrated_number;
  std::string provider;  // 機関コード
  std::string jm, jt;
  std::vector<std::string> tm_items;
  std::string start_date, end_date;  // YYYY-MM-DD, both or neither
  bool non_disclosure = false;
  int64_t batch_id = 0;
  int batch_line = 0;
};

// The outcome of each provision step (the chain of issue item 3), closed.
enum class ProvideOutcome {
  kAnswered,       // built, signed and sent
  kRetransmitted,  // the same query again: the stored answer was re-sent
  kMalformed,      // the query or its permit does not parse
  kPermitForged,   // signature does not verify (or edited, or unknown key)
  kPermitExpired,
  kPermitNotYetValid,
  kPermitReused,        // the permit was answered before (a replay)
  kPermitMisaddressed,  // the permit names another provider, or another requester sent it
  kNotPermitted,        // the local copy of the permit list refuses the request
  kListStale,           // the local copy is past its staleness window
  kNoPerson,            // the token names nobody here: "no data", nothing disclosed
  kNoData,              // the person has no replica for any item in its window
  kSuppressed,          // 自動応答不可: queued for staff review
  kFailed,              // a storage or crypto failure here
};
std::string_view ProvideOutcomeName(ProvideOutcome outcome);

// Percentiles within 0.8 % below the exact nearest-rank sample, maximum exact
// (netsim::LatencyHistogram: a server's statistics stay in fixed memory over a long run).
struct LatencySummary {
  uint64_t count = 0;
  netsim::Duration p50, p95, p99, max;
};

struct ServerStats {
  // Requester side: final statuses of this body's queries, by RecordStatusName.
  std::map<std::string, uint64_t, std::less<>> query_status;
  // Provider side: outcomes of the provision chain, by ProvideOutcomeName.
  std::map<std::string, uint64_t, std::less<>> provide_outcome;
  uint64_t permit_retries = 0;
  uint64_t query_retries = 0;
  uint64_t follow_ups = 0;        // re-sends while the provider holds a query for review
  uint64_t late_answers = 0;      // arrived after the query timed out; logged, not applied
  uint64_t rejected_answers = 0;  // failed verification; discarded
  uint64_t undecodable = 0;       // envelopes that did not decode
  uint64_t tokens_stored = 0;
  LatencySummary query_latency;    // submit → final status (simulated time)
  LatencySummary provide_latency;  // query arrival → answer sent (simulated time)
};

struct Health {
  bool ok = true;
  std::vector<std::string> notices;  // each a sentence: storage failure, stale list, backlog...
  int64_t open_queries = 0;
  int64_t open_reviews = 0;
  int64_t escalated_reviews = 0;
  int64_t unsealed_log_records = 0;
  std::string permit_list_version;
};

struct BatchStatus {
  int64_t id = 0;
  int lines = 0;
  int rejected = 0;
  int done = 0;
  int pending_manual = 0;
  int in_flight = 0;
  bool complete() const { return done + rejected == lines; }
};

// One line of the citizen view (やりとり履歴).
struct HistoryEntry {
  netsim::SimTime at;
  std::string direction;        // "provided-to" (this body gave data) or "received-from"
  std::string other_body;       // 機関コード
  std::string other_body_name;  // from the registry
  std::string jm, jt;
  std::vector<std::string> tm_items;
  std::string outcome;
};

struct CitizenView {
  std::vector<HistoryEntry> history;    // non-disclosure records left out
  std::vector<ReplicaRecord> own_data;  // empty when self-information is blocked
  bool self_info_blocked = false;
};

struct PurgeReport {
  int64_t archive_files = 0;  // operation-record archives past 7 years
  int64_t log_records = 0;
  int64_t used_permits = 0;
  int64_t sent_answers = 0;
  int64_t queries = 0;
};

class IntermediateServer {
 public:
  // Opens (creating when missing) the body's files and resumes: open queries get their
  // timers back, open reviews their deadlines. `list` is the local copy of the permit list
  // until a distribution replaces it.
  static Result<std::unique_ptr<IntermediateServer>> Open(
      netsim::EventLoop& loop, netsim::SimNetwork& network,
      const netsim::InstitutionRegistry& registry, netsim::PermitList list,
      std::shared_ptr<const TrustAnchors> trust, IntermediateServerConfig config);
  ~IntermediateServer();
  IntermediateServer(const IntermediateServer&) = delete;
  IntermediateServer& operator=(const IntermediateServer&) = delete;

  // Adds the node to the network with this server as its handler (links are the caller's).
  Status Attach();
  const std::string& institution() const;
  std::shared_ptr<const netsim::crypto::PublicKey> answer_key() const;

  // ---- token management (system link from the addressing server) ----
  Status ExpectToken(std::string_view acquisition_number, std::string_view integrated_number);
  // Called with the integrated number whenever a token is stored (the addressing server marks
  // its outbox entry acquired).
  void OnTokenStored(std::function<void(const std::string& acquisition_number)> callback);
  void OnTokenFailed(
      std::function<void(const std::string& acquisition_number, const std::string& reason)>
          callback);

  // Called once per query of this body's when it reaches its final status (phase kDone), after
  // the status is stored and logged: for callers that account for many queries as they finish
  // instead of asking about each later. Runs on the event loop, possibly inside SubmitQuery
  // (a query refused at once); it must not call back into this server.
  void OnQueryFinished(std::function<void(const QueryState& query)> callback);

  // ---- query (business interface) ----
  // Validates the request and starts it; returns the 処理通番 to poll. A person without a
  // token yields a 処理通番 whose status is already kNoToken with the public message. Bad
  // input (codes, dates) is kInvalidInput naming the field; nothing is stored.
  Result<std::string> SubmitQuery(const QueryRequest& request);
  // kNotFound for an unknown 処理通番.
  Result<QueryState> QueryStatus(std::string_view processing_number);

  // ---- batch files ----
  // Resolves a business system's 宛名番号 to the 統合宛名番号 (the addressing server's job);
  // an error becomes that line's result (status 90 with the error's message).
  using AtenaResolver = std::function<Result<std::string>(std::string_view atena_number)>;
  // Reads a batch query file: every good line becomes a query, every bad line is answered with
  // status 90 and its reason. Returns the batch id. A file-level failure (not CRLF, unreadable)
  // is kInvalidInput and starts nothing.
  Result<int64_t> SubmitBatch(std::istream& in, std::string_view source_name,
                              const AtenaResolver& resolver);
  Result<BatchStatus> GetBatchStatus(int64_t batch_id);
  // Writes the result file, one row per line of the query file in order. kInvalidInput while
  // the batch is not complete (a query still in flight or pending manual).
  Status WriteBatchResult(int64_t batch_id, std::ostream& out);

  // ---- staff ----
  netsim::StaffDirectory& staff();

  // ---- replicas (replica-registrar) ----
  Status RegisterReplica(const netsim::Session& session, const ReplicaRecord& record);
  Result<ImportSummary> ImportReplicas(const netsim::Session& session, std::istream& in,
                                       std::string_view source_name);
  Status RemoveReplica(const netsim::Session& session, std::string_view record_id);

  // ---- flags (flag-setter) ----
  // `tm` empty: every item of the person. kInvalidInput for a malformed number or TM code.
  Status SetSuppression(const netsim::Session& session, std::string_view integrated_number,
                        std::string_view tm, std::string_view reason);
  Status ClearSuppression(const netsim::Session& session, std::string_view integrated_number,
                          std::string_view tm, std::string_view reason);
  Status SetSelfInfoBlocked(const netsim::Session& session, std::string_view integrated_number,
                            bool blocked, std::string_view reason);

  // ---- suppression review (reviewer) ----
  Result<std::vector<Review>> PendingReviews(const netsim::Session& session);
  // Each sends the final answer to the requester and logs the decision. kInvalidInput when the
  // review is not open (already decided or expired) or the reason is empty; kNotFound for an
  // unknown id; ApprovePartial: `removed_items` must be a non-empty proper subset of the
  // review's items.
  Status Approve(const netsim::Session& session, int64_t review_id, std::string_view reason);
  Status ApprovePartial(const netsim::Session& session, int64_t review_id,
                        const std::vector<std::string>& removed_items, std::string_view reason);
  Status Refuse(const netsim::Session& session, int64_t review_id, std::string_view reason);

  // ---- provision logs (log-viewer) ----
  Result<std::vector<ProvisionLogRecord>> ReadLog(const netsim::Session& session, int64_t from,
                                                  int64_t to);
  Result<std::vector<ProvisionLogRecord>> PersonLog(const netsim::Session& session,
                                                    std::string_view integrated_number);
  // The citizen's own view (マイナポータル's やりとり履歴 and 自己情報): the system link asks on
  // the authenticated citizen's behalf, so no staff session.
  Result<CitizenView> CitizenHistory(std::string_view integrated_number);
  // Seals every pending log record now (shutdown, tests); normally a timer does it.
  Status SealLog();
  Result<LogCheck> CheckLog();
  std::string log_path() const;

  // ---- system management (operator) ----
  ServerStats stats() const;
  // This body's queries with a final status so far (the sum of stats().query_status), without
  // building the statistics: for callers that ask often, such as a load generator.
  uint64_t finished_queries() const;
  // Grant, answer and query checks that a worker finished while the message was in flight
  // (netsim::Preparer) and that the arrival used. Depends on the crypto thread count (0
  // without workers), so it is a diagnostic for benchmarks and tests, not part of stats().
  uint64_t checks_prepared_in_flight() const;
  Result<Health> CheckHealth();
  // Removes what is past retention at `now`: operation-record archives and log batches older
  // than 7 years, used permits and sent answers past their permit's expiry, done queries older
  // than query_retention.
  Result<PurgeReport> Purge(const netsim::Session& session);
  Result<uint32_t> RotateReplicaKey(const netsim::Session& session);
  // Moves operation records older than 3 months (simulated time) to the CSV file
  // DATA_DIR/archive/operations-<YYYYMMDD>.csv, kept for 7 years (Purge deletes older files).
  // Needs the auditor role; kInvalidInput for a server kept in memory. Returns the count.
  Result<int64_t> ArchiveOperations(const netsim::Session& auditor);

  // The first storage failure met on the event loop, if any (the simulation should stop).
  const std::optional<Error>& failure() const;

  class Impl;

 private:
  explicit IntermediateServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace renkei::middleware
