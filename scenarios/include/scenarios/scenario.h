// Scenario: what a scenario file describes, as plain values. The parser (LoadScenario) reads
// YAML into it and refuses every mistake with file:line:column and what was expected; the
// runner (scenarios/runner.h) builds a World from it, plays the timeline and checks the
// expectations. docs/scenarios.md is the language reference.
//
// A rehearsal in a few lines:
//
//   scenario: 転入者の接種記録照会
//   narration:
//     ja: 仙台市から長岡市へ転入した住民の接種記録を照会します。
//     en: Nagaoka queries Sendai for the vaccination record of a resident who moved in.
//   seed: 42
//   start: 2024-06-03T09:00:00
//   world:
//     bodies: [{code: "152021"}, {code: "041009"}]
//     movers: [{from: "041009", to: "152021", count: 3, vaccinated: true}]
//   timeline:
//     - {at: 1m, query: {id: q1, from: "152021", to: "041009", person: 1}}
//   expect:
//     - {query: q1, status: "09"}
//     - {logs_verify: true}
//
// Durations are "<n>ms", "<n>s", "<n>m", "<n>h" or "<n>d". Codes (地方公共団体コード, JM, JT,
// TM, status codes) are strings; quote digit-only codes so YAML keeps their leading zeros.
//
// Thread safety: values only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "addressing/resident_generator.h"
#include "middleware/replica_store.h"
#include "netsim/result.h"
#include "netsim/sim_network.h"
#include "netsim/time.h"

namespace renkei::scenarios {

// Where a value came from, for messages about it after parsing ("file:line:col").
struct SourcePos {
  std::string file;
  int line = 0;                  // 1-based
  int column = 0;                // 1-based
  std::string Describe() const;  // "file:line:column"
};

// A record of a body's replicas_file: the person is named by the body's 宛名番号 (of its
// residents_file), as a business system registers through the addressing server.
struct FileReplica {
  int64_t line = 0;  // in the replicas_file, for messages
  std::string atena;
  middleware::ReplicaRecord record;  // integrated_number empty until setup relays the 宛名番号
};

struct BodySpec {
  std::string lgcode;  // from `code` or resolved from `name`
  std::string name;    // the registry's name for it, e.g. 長岡市
  int residents = 0;   // residents of this body only, generated (ResidentGenerator)
  // `residents_file`: people from a CSV as `renkei gen residents` writes it, registered at
  // setup under their own 宛名番号 (path as resolved against the file that names it).
  std::string residents_file;
  std::vector<addressing::Resident> file_residents;
  // `replicas_file`: replica records for people of the residents_file.
  std::string replicas_file;
  std::vector<FileReplica> file_replicas;
  SourcePos pos;
};

// Stands for a body drawn at random (movers) or for whichever body a mover involves (load).
inline constexpr std::string_view kAnyBody = "any";

// People who lived in `from` and now live in `to`: registered at both bodies (the transfer-in
// case). Movers are numbered from 1 in the order of the file: `person: 3` is the third mover.
// `from` or `to` kAnyBody: each mover's body is drawn (seeded) from the world's municipalities
// whose residents can be generated; such movers cannot be named by `person:`.
struct MoverSpec {
  std::string from;  // 地方公共団体コード or kAnyBody
  std::string to;
  int count = 0;
  bool vaccinated = true;  // `from` holds a vaccination replica for each of them
  SourcePos pos;
};

struct FlagSpec {
  std::string body;  // 地方公共団体コード holding the flag
  int person = 0;    // mover number
  std::string kind;  // "suppress" | "self-info-blocked"
  std::string tm;    // empty: every item
  std::string reason;
  // A timeline `flag` event only: clears the flag (ClearSuppression, or self-info unblocked)
  // instead of setting it.
  bool clear = false;
  SourcePos pos;
};

// A staff account of a body's intermediate server beyond the ones every body gets
// (scenarios::kWorldAccounts), with the roles of middleware::ServerRoles(): for rehearsing who
// may do what, such as a decision by someone without the reviewer role.
struct StaffSpec {
  std::string body;        // 地方公共団体コード
  std::string account;     // 1-32 of a-z, 0-9, '_' or '-'; not a kWorldAccounts name or admin
  std::string name;        // shown in the operation record; default the account
  uint32_t roles = 0;      // netsim::RoleSet of middleware::Role bits, at least one
  std::string role_names;  // as written, comma-separated, for narration
  SourcePos pos;
};

struct WorldSpec {
  // `permit_list`: the 照会許可用照合リスト as a CSV in the format of netsim/data/permit_list.csv
  // (path as resolved); empty: the shipped list.
  std::string permit_list;
  // `registry: national`: the shipped registry completed to all 1,788 local bodies (synthetic
  // ones among them, scenarios::LoadWorldRegistry); their residents get generic town names.
  bool national = false;
  // `bodies: all`: every local body of the registry (prefectures too), in code order.
  bool all_bodies = false;
  std::vector<BodySpec> bodies;
  std::vector<MoverSpec> movers;
  std::vector<FlagSpec> flags;
  std::vector<StaffSpec> staff;
};

// narration.ja as read from a folded YAML block, without the spaces the folding put between
// two lines of Japanese (a space next to ASCII text stays).
std::string UnfoldJapanese(std::string_view text);

// The municipalities of `world` whose residents can be generated: the bodies movers drawn at
// random (from: any, to: any) come from and go to, in the order of world.bodies. Prefectures
// (municipal digits 000) never are; the others are when the world is national (generic town
// names) or the resident generator has an address table for them.
std::vector<std::string> RandomMoverBodies(const WorldSpec& world);

// A link's one-way latency as the file gives it: `4ms` (fixed) or a distribution map
// (`{fixed: …}`, `{uniform: [min, max]}`, `{lognormal: {median: …, sigma: …}}`).
struct LatencySpec {
  netsim::LatencyModel model = netsim::LatencyModel::Fixed(netsim::Duration::Millis(4));
  // True when the latency is fixed at `fixed`: the plain form `latency: 4ms` still reads as
  // the duration it is (`spec.network.latency == Duration::Millis(4)`).
  bool operator==(netsim::Duration fixed) const {
    return model.kind == netsim::LatencyModel::Kind::kFixed && model.fixed == fixed;
  }
};

// One link's profile: the network's default, or a body's link to the interface system.
struct LinkSpec {
  LatencySpec latency;
  double loss = 0.0;                    // Bernoulli
  int64_t bandwidth_bps = 0;            // 0: unlimited (no serialization delay)
  bool in_order = false;                // true: arrivals never overtake each other on the link
  netsim::LinkProfile Profile() const;  // what World and SimNetwork take
};

// A body's own link (both directions, body ↔ interface system): the network's profile with
// the fields the entry gives replaced.
struct BodyLinkSpec {
  std::string body;  // 地方公共団体コード
  LinkSpec link;
  SourcePos pos;
};

// The network section: its own fields (inherited) are the profile of every link no entry of
// `bodies` replaces.
struct NetworkSpec : LinkSpec {
  std::vector<BodyLinkSpec> bodies;  // in file order, each body once
  // `nws:` delays. Empty: the component's own default stays (netsim::NwsCoreConfig's
  // permit_check_delay and token_turnaround, middleware::IntermediateServerConfig's
  // processing_delay), so the defaults live in one place.
  std::optional<netsim::Duration> permit_check;         // the core's list check and signing
  std::optional<netsim::Duration> token_turnaround;     // the core's 符号取得 turnaround
  std::optional<netsim::Duration> provider_processing;  // each provider's chain, per query
};

struct QuerySpec {
  std::string id;  // names the query for decisions and expectations; unique
  std::string from;
  std::string to;
  std::string jm = "JM00160200000000";
  std::string jt = "JT00160200000001";
  std::vector<std::string> tm = {"TM00160200000001"};
  int person = 0;  // mover number (the requester's 統合宛名番号 of that mover), or 0 with atena
  // Instead of person: the requester's 宛名番号 of a person of its residents_file.
  std::string atena;
  bool non_disclosure = false;
};

struct DecisionSpec {
  std::string query;                // id of a query held for review at its provider
  std::string decision;             // "approve" | "approve-partial" | "refuse"
  std::vector<std::string> remove;  // TM items, approve-partial only
  std::string reason;
  // The provider's staff account that decides (world.staff or a kWorldAccounts name); empty:
  // "reviewer". An account without the reviewer role is refused by the server and the
  // narration says so: the query stays held (20) until someone decides or it expires (22).
  std::string by;
};

struct FaultSpec {
  std::string node_down;      // 地方公共団体コード of a body, or "core"
  netsim::Duration duration;  // how long it stays down
};

// A mover's registration at its new home (転入届) now instead of during setup: until this event
// the person is registered only at the mover entry's `from`, so the new home has no token for
// them yet and its token acquisition (住基ネット, J-LIS, core) starts here.
struct MoveInSpec {
  int person = 0;  // mover number
};

// A change of a mover's resident status at one of their bodies' addressing servers, recorded
// by its registrar with the event's date (SetStatus): `move_out` (転出, moved out) or `death`
// (死亡, deceased). The records and the links stay: a former body still provides what it holds,
// which is how the transfer-in case works. A deceased person's status never changes again.
struct StatusChangeSpec {
  std::string body;  // 地方公共団体コード where the person is registered
  int person = 0;    // mover number
};

// An attacker on the requester's link sends the provider a query made from a genuine one
// (`query`, captured on the wire when it was sent): "forged-permit" re-signs its permit, under
// a new permit id and 処理通番, with a key that is not the core's; "replayed-permit" sends the
// captured bytes again as a new message, permit and all.
struct AttackSpec {
  std::string kind;   // "forged-permit" | "replayed-permit"
  std::string query;  // id of the genuine query in the timeline
};

// A batch query file (一括照会) from the requester's business system: one line per person, all
// to one provider and for one data item. The runner writes the file and its result file
// (照会結果) under DIR/batches/ and lists the persons whose answer holds no record of the item
// (for the vaccination item: the unvaccinated list, 未接種者リスト).
struct BatchSpec {
  std::string id;  // names the batch for expectations and file names; unique among query ids
  std::string from;
  std::string to;
  std::string jm = "JM00160200000000";
  std::string jt = "JT00160200000001";
  std::string tm = "TM00160200000001";  // one data item per line of the file
  std::vector<int> persons;             // mover numbers in line order (`movers: all` expanded)
};

// A vaccination replica (副本) registered during the run by the body's replica registrar, as
// setup registers one for each vaccinated mover: a new dose is a new record (its own record
// id and record key "dose-<n>", n counting the person's doses at the body).
struct ReplicaSpec {
  std::string body;  // 地方公共団体コード of the body holding the replica
  int person = 0;    // mover number, registered at `body`
  std::string tm = "TM00160200000001";
  std::string payload;  // empty: a generated dose record (JSON)
};

// The body's replica data key is rotated by its operator (RotateReplicaKey): new records are
// sealed under the new key, older ones stay readable under theirs.
struct RotateKeySpec {
  std::string body;  // 地方公共団体コード
};

// The listed nodes are cut off from every other node for `duration` (SimNetwork::AddPartition):
// messages between them and the rest are dropped, the nodes themselves keep running. The
// network is a star (each body's one link goes to the interface system, which links to the
// core), so a body on the list loses its link, and `core` loses the core's links.
struct PartitionSpec {
  std::vector<std::string> side;  // 地方公共団体コード of bodies, or "core"; each once
  netsim::Duration duration;
};

// Messages on some links are lost with probability `rate` from now (SimNetwork::ChangeLoss):
// the body's two links (to and from the interface system), or every link of the network.
struct LossSpec {
  std::string body;  // 地方公共団体コード; empty: every link
  double rate = 0;   // 0 up to but not including 1
  // Above zero: each link gets its earlier loss model back after this long. Zero: the change
  // stays (until a later loss event).
  netsim::Duration duration;
};

struct TimelineEvent {
  netsim::Duration at;  // after the scenario's start
  enum class Kind {
    kQuery,
    kDecision,
    kFault,
    kMoveIn,
    kAttack,
    kBatch,
    kFlag,
    kReplica,
    kRotateKey,
    kPartition,
    kLoss,
    kMoveOut,
    kDeath,
  } kind = Kind::kQuery;
  QuerySpec query;
  DecisionSpec decision;
  FaultSpec fault;
  MoveInSpec move_in;
  AttackSpec attack;
  BatchSpec batch;
  FlagSpec flag;  // kFlag: set (or, with `clear`, clear) a flag as world.flags sets one
  ReplicaSpec replica;
  RotateKeySpec rotate_key;
  PartitionSpec partition;
  LossSpec loss;
  StatusChangeSpec status;  // kMoveOut, kDeath
  std::string narration;    // optional line shown with --narrate
  SourcePos pos;
};

// The load section: many queries from one requester to one provider, each for a mover picked
// at random (the seeded stream "scenario/load/choices"), arriving by an open model (Poisson
// arrivals at a rate that may ramp, stream "scenario/load/arrivals") or a closed model
// (clients that query, wait for the answer, think, and query again).
struct LoadStage {
  netsim::Duration duration;  // above 0; stages run back to back from LoadSpec::at
  double rate = 0;            // arrivals per second at the stage's start, above 0
  double to = 0;              // per second at its end: a linear ramp; equal to rate when constant
  SourcePos pos;
};

struct LoadMixEntry {
  int64_t weight = 1;  // relative share of the load's queries, 1 or more
  std::string jm = "JM00160200000000";
  std::string jt = "JT00160200000001";
  std::vector<std::string> tm = {"TM00160200000001"};
  // `payload: 2KB`: before the load, every mover it can pick gets one replica record of each
  // of the entry's items at their former body (the provider), whose stored data is this many
  // bytes; answers then carry records of this size. 0: only the records the world registers
  // anyway (the vaccination record of vaccinated movers).
  int64_t payload_bytes = 0;
  SourcePos payload_pos;
};

struct LoadSpec {
  // 地方公共団体コード of the body that queries, or kAnyBody: each query is made by the new body
  // of the mover it is about.
  std::string requester;
  // Of the body that answers (movers from provider to requester exist), or kAnyBody: the
  // mover's former body.
  std::string provider;
  netsim::Duration at;  // when the load begins, after the scenario's start
  enum class Model { kOpen, kClosed } model = Model::kOpen;
  std::vector<LoadStage> stages;  // open model: not empty
  // Open model, the calendar: the stages are one day's curve, run again every 24 hours from
  // `at` on `days` consecutive days (a stage may not run past the next day's start), each
  // day's rates multiplied by its weekday's and month's factors, and 0 on `closed` dates
  // (public holidays, the year-end break). One day and factors of 1 leave the stages as they are.
  int days = 1;
  std::array<double, 7> weekly = {1, 1, 1, 1, 1, 1, 1};                   // Monday first
  std::array<double, 12> monthly = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};  // January first
  std::vector<int64_t> closed;    // days since 2000-01-01 (netsim::DaysFromCivil), sorted, unique
  int clients = 0;                // closed model: 1 or more
  netsim::Duration think;         // closed model: pause after each answer, 0 or more
  netsim::Duration duration;      // closed model: how long clients keep querying, above 0
  std::vector<LoadMixEntry> mix;  // not empty (default: one transfer-in entry)
  // Open model only: an arrival finding this many of the requester's queries open waits for a
  // slot and is counted as started late. 0: no limit.
  int64_t max_in_flight = 0;
  SourcePos pos;
  // The time from `at` to the end of the last stage of the last day (open) or `duration`
  // (closed).
  netsim::Duration Span() const;
  // Open model: the factor of day `day` (0 = the day `at` falls on) that starts at `day_start`
  // (the calendar date decides weekday, month and closure).
  double DayFactor(netsim::SimTime day_start) const;
  // Open model: the arrivals the calendar brings on average (the integral of its rates), for
  // people sizing a run; times `scale` (RunOptions::load_scale).
  double ExpectedArrivals(netsim::SimTime start, double scale = 1) const;
};

struct Expectation {
  enum class Kind {
    kQueryStatus,   // {query: q1, status: "09"} (also item: "01" for the first item)
    kCount,         // {count: {status: "09"}, equals: 3}
    kLogsVerify,    // {logs_verify: true}
    kNoMyNumber,    // {no_mynumber_in_outputs: true}
    kLatency,       // {latency: {p95: 2s}}: the percentile is at most the bound
    kLateArrivals,  // {late_arrivals: {max: 10}}: load arrivals started late, at most max
    // {provisions: {body: 仙台市, outcome: answered}, equals: 3}: queries that reached the
    // body's provision chain and ended with that outcome (middleware::ProvideOutcomeName)
    kProvisions,
    kBatchStatus,   // {batch: {id: b1, status: "12"}, equals: 1}: rows of its result file
    kUnvaccinated,  // {unvaccinated: {batch: b1}, equals: 1}: answered rows without the item
  } kind = Kind::kQueryStatus;
  std::string query;
  std::string status;  // record status code
  std::string item;    // item status code of the first item, optional
  int64_t equals = 0;
  std::string percentile;  // kLatency: "p50", "p95", "p99" or "max"
  netsim::Duration bound;  // kLatency: upper bound, inclusive
  int64_t max = 0;         // kLateArrivals: upper bound, inclusive
  std::string body;        // kProvisions: 地方公共団体コード of the providing body
  std::string outcome;     // kProvisions: a provision outcome name, such as permit-forged
  std::string batch;       // kBatchStatus, kUnvaccinated: the batch's id
  SourcePos pos;
  std::string Describe() const;  // one line for reports: "q1 status 09"
};

struct Scenario {
  std::string name;
  std::string narration_ja;
  std::string narration_en;
  uint64_t seed = 1;
  netsim::SimTime start;
  WorldSpec world;
  NetworkSpec network;
  std::vector<TimelineEvent> timeline;  // in file order; `at` need not be sorted
  std::optional<LoadSpec> load;
  std::vector<Expectation> expect;
  std::string source;  // the file it came from
};

// Reads and checks a scenario file. Every error is kInvalidArgument with a message
// "file:line:column: what is wrong; expected …" for the first mistake: unknown or missing
// fields, wrong types, bad codes, unknown bodies (not in the shipped registry, or not declared
// in world.bodies), negative or malformed durations, movers or persons out of range, duplicate
// query or batch ids, decisions or attacks naming unknown queries (or an attack not after its
// query), a move_in after a use of the registration it creates (a query, batch, flag or
// replica at the new home), a partition naming a node twice, link profiles out of bounds
// (unknown latency distributions, a uniform min above its max, a log-normal sigma outside
// (0, 3], bandwidths in other units, a body's link given twice), expectations naming unknown
// batches, unknown expectation kinds, statuses or provision outcomes.
//
// Files named by `include:` are read relative to the including file and merged in first (the
// including file last), and timeline `use:` entries are expanded from `templates:` before the
// checks; messages name the file (the scenario or an include) the mistake is in.
// docs/scenarios.md, "Includes and templates".
Result<Scenario> LoadScenario(const std::string& path);
// The same from text; `source_name` stands in for the file name in messages, and includes are
// read relative to its directory.
Result<Scenario> ParseScenario(std::string_view yaml, const std::string& source_name);

}  // namespace renkei::scenarios
