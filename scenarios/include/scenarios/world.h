// World: the composition root of a linkage simulation. It builds the national network (the
// NWS core, the interface system, J-LIS and the 住基ネット path) and, per body, an integrated
// addressing server and an intermediate server, wires them with simulated links, and carries
// the token-acquisition path between them:
//
//   addressing server ──TokenRequest(acq no.)──▶ intermediate server.ExpectToken
//          │ (住基ネット CS: 個人番号 → 住民票コード by J-LIS, read back by the mynumber-officer
//          ▼  account of the body's 住基ネット link)
//   jukinet node ──kTokenRequest──▶ core ──kTokenDelivery──▶ intermediate server
//          ──OnTokenStored──▶ addressing server.MarkTokenAcquired
//
// Everything runs on one event loop with one seed: keys, passwords, salts and link randomness
// derive from it, so a world built twice with one seed behaves identically. The scenario
// runner builds its worlds here; tests build small ones.
//
// Thread safety: none; one thread drives the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "addressing/addressing_server.h"
#include "addressing/resident_generator.h"
#include "middleware/intermediate_server.h"
#include "netsim/core_records.h"
#include "netsim/event_loop.h"
#include "netsim/institution_registry.h"
#include "netsim/nws_core.h"
#include "netsim/nws_interface.h"
#include "netsim/permit_list.h"
#include "netsim/provision_permit.h"
#include "netsim/sim_network.h"
#include "netsim/token_service.h"
#include "netsim/worker_pool.h"

namespace renkei::scenarios {

// Which bodies a world can hold: the shipped registry (netsim/data/institutions.csv: every
// prefecture, 30 real municipalities, national bodies), or the national one: the shipped
// registry completed by InstitutionRegistry::GenerateFull to all 1,788 local bodies. The
// synthetic part is drawn with kNationalRegistrySeed, not the world's seed, so a body's code
// and name stay the same whatever seed a run uses (scenario files name them).
enum class RegistryKind { kShipped, kNational };
inline constexpr uint64_t kNationalRegistrySeed = 2022;
// Loads one; `path` overrides the shipped file (empty: netsim/data/institutions.csv).
Result<netsim::InstitutionRegistry> LoadWorldRegistry(RegistryKind kind,
                                                      const std::string& path = "");

struct WorldOptions {
  uint64_t seed = 1;
  netsim::SimTime start;
  // ":memory:" keeps every database in memory; otherwise each body gets DIR/<lgcode>/ and the
  // core DIR/core/.
  std::string data_dir = ":memory:";
  std::string registry_path;  // empty: the shipped netsim/data/institutions.csv
  RegistryKind registry = RegistryKind::kShipped;
  std::string permit_list_path;  // empty: the shipped netsim/data/permit_list.csv
  netsim::LinkProfile link;      // every link's profile, but for those in body_links
  // lgcode → the profile of that body's link to the interface system (both directions), for a
  // body on a slower or lossier line than the rest; used when AddBody adds the body.
  std::map<std::string, netsim::LinkProfile, std::less<>> body_links;
  netsim::NwsCoreConfig core;  // node names and delays (send_via is set to the interface)
  // Timeouts, retries, deadlines for every intermediate server (institution, keys and paths
  // are filled in per body).
  middleware::IntermediateServerConfig server;
  bool record_trace = false;
  // Every database opened with locking_mode=EXCLUSIVE (netsim::sql::OpenOptions::exclusive):
  // for a run that owns its data_dir, ten file descriptors per body instead of fifteen.
  bool exclusive_files = false;
  // File descriptors a world of `bodies` bodies holds open with exclusive_files (five
  // databases and their WALs per body, the core's, and a margin for the rest of the process).
  static constexpr uint64_t FilesNeeded(uint64_t bodies) { return bodies * 10 + 64; }
  // Worker threads for the signatures and verifications of linkages (netsim::WorkerPool on
  // the loop, EventLoop::Offload); 0 computes them on the loop thread. Results and their
  // order are the same for every value: only the wall time changes.
  size_t crypto_threads = 0;
};

// The staff accounts every body gets, one per job. Passwords derive from the seed.
inline constexpr const char* kWorldAccounts[] = {"registrar", "reviewer", "flagger",
                                                 "viewer",    "operator", "auditor"};

class World {
 public:
  struct Body {
    std::string lgcode;
    std::string institution;  // 機関コード, also the intermediate server's node
    std::string name;
    std::unique_ptr<addressing::AddressingServer> addressing;
    std::unique_ptr<middleware::IntermediateServer> server;
    // Business systems registered at the addressing server.
    std::string business_system = "KENKO";
  };

  static Result<std::unique_ptr<World>> Create(WorldOptions options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Adds a municipality by 地方公共団体コード (it must be in the registry).
  Result<Body*> AddBody(std::string_view lgcode);
  Body* FindBody(std::string_view lgcode_or_institution);

  // Registers a resident at a body's addressing server (KENKO system, the generated 宛名番号)
  // and at J-LIS; the token acquisition starts by itself. Returns the 統合宛名番号.
  Result<std::string> RegisterResident(Body& body, const addressing::Resident& resident);
  // Registers a person at J-LIS only (a resident of no simulated body, or before moving in).
  Status RegisterAtJlis(const addressing::Resident& resident);

  // Creates a further staff account at a body's intermediate server (by its administrator),
  // with a password derived from the seed as for kWorldAccounts; ServerSession then logs in.
  Status AddServerStaff(Body& body, std::string_view account, std::string_view name,
                        netsim::RoleSet roles);
  // A fresh session at a body's intermediate server for one of kWorldAccounts. An expired
  // password is renewed on the way (simulations run for years).
  Result<netsim::Session> ServerSession(Body& body, std::string_view account);
  // A fresh addressing-server session with registrar and viewer roles.
  Result<netsim::Session> AddressingSession(Body& body);
  // Registers a replica (副本) by the body's replica registrar, which stays logged in at the
  // intermediate server as a business system's link does: setting up a world of the whole
  // country registers tens of thousands, and a timeline registers more hours later.
  Status RegisterReplica(Body& body, const middleware::ReplicaRecord& record);
  // Records a status change (転出, 死亡) at the body's addressing server by its registrar link,
  // effective on `date` (YYYY-MM-DD).
  Status SetResidentStatus(Body& body, std::string_view integrated_number,
                           addressing::ResidentStatus status, std::string_view date);

  // Runs the loop until nothing is left to do, or until `until`.
  void Run();
  void RunUntil(netsim::SimTime until);

  netsim::EventLoop& loop() { return loop_; }
  netsim::SimNetwork& network() { return network_; }
  netsim::NwsCore& core() { return *core_; }
  netsim::CoreRecords& core_records() { return *records_; }
  const netsim::InstitutionRegistry& registry() const { return registry_; }
  const netsim::PermitList& permit_list() const { return list_; }
  netsim::TokenService& tokens() { return *tokens_; }
  const std::shared_ptr<const netsim::crypto::PrivateKey>& core_key() const { return core_key_; }
  const std::vector<std::unique_ptr<Body>>& bodies() const { return bodies_; }
  const WorldOptions& options() const { return options_; }
  // The first failure of a component (token path, storage), if any.
  const std::optional<Error>& failure() const { return failure_; }

  static constexpr const char* kJukinetNode = "jukinet";

 private:
  World(WorldOptions options, netsim::InstitutionRegistry registry, netsim::PermitList list);
  Status Init();
  std::string Password(std::string_view body, std::string_view account) const;
  Result<netsim::Session> LoginRenewing(netsim::StaffDirectory& staff, std::string_view lgcode,
                                        std::string_view account, std::string_view prefix);
  // Calls `call` with the body's kept session for `account` at its addressing server or its
  // intermediate server (a link system
  // stays logged in, as the 住基ネット CS does; a world of the whole country acquires tens of
  // thousands of tokens in its setup), logging in again once if the directory no longer knows
  // the session (idle timeout, password expiry).
  enum class KeptAt { kAddressing, kServer };
  template <typename T>
  Result<T> WithKeptSession(Body& body, KeptAt at, std::string_view account,
                            const std::function<Result<T>(const netsim::Session&)>& call);
  std::vector<uint8_t> Key(std::string_view purpose) const;
  void OnTokenRequest(Body& body, const addressing::TokenRequest& request);

  class Sink;

  WorldOptions options_;
  netsim::InstitutionRegistry registry_;
  netsim::PermitList list_;
  // Before the loop: the loop's pending events hold the pool's jobs.
  std::unique_ptr<netsim::WorkerPool> workers_;
  netsim::EventLoop loop_;
  netsim::SimNetwork network_;
  std::unique_ptr<netsim::TokenService> tokens_;
  netsim::JlisDirectory jlis_;
  std::shared_ptr<const netsim::crypto::PrivateKey> core_key_;
  std::unique_ptr<netsim::PermitSigner> signer_;
  std::unique_ptr<netsim::CoreRecords> records_;
  std::unique_ptr<netsim::NwsCore> core_;
  std::unique_ptr<netsim::NwsInterface> relay_;
  std::shared_ptr<middleware::TrustAnchors> trust_;
  std::vector<std::unique_ptr<Body>> bodies_;
  // lgcode and 機関コード → body: runs of the whole country look bodies up per query.
  std::map<std::string, Body*, std::less<>> by_code_;
  std::map<std::string, netsim::Session> kept_sessions_;  // "a-|m-<lgcode>/<account>"
  std::vector<std::unique_ptr<Sink>> sinks_;
  uint64_t token_messages_ = 0;
  std::optional<Error> failure_;
};

}  // namespace renkei::scenarios
