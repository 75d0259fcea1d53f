#include "scenarios/world.h"

#include <filesystem>

#include "netsim/envelope.h"
#include "netsim/errors.h"

namespace renkei::scenarios {

namespace crypto = netsim::crypto;
using netsim::Duration;

namespace {

std::string Shipped(const std::string& given, const char* file) {
  if (!given.empty()) return given;
  return std::string(RENKEI_SOURCE_DIR) + "/netsim/data/" + file;
}

// Simulated staff log in thousands of times; the production PBKDF2 cost (600,000 rounds)
// would spend the run hashing. The accounts are synthetic, the iteration count is stated.
constexpr uint32_t kWorldHashIterations = 1000;

struct AccountRoles {
  const char* account;
  middleware::Role role;
};
constexpr AccountRoles kServerAccounts[] = {
    {"registrar", middleware::Role::kReplicaRegistrar}, {"reviewer", middleware::Role::kReviewer},
    {"flagger", middleware::Role::kFlagSetter},         {"viewer", middleware::Role::kLogViewer},
    {"operator", middleware::Role::kOperator},          {"auditor", middleware::Role::kAuditor},
};

// Whether a Bootstrap created the first account (true) or found accounts there (false).
Result<bool> Fresh(const Status& bootstrap) {
  if (bootstrap.ok()) return true;
  if (bootstrap.error().code == make_error_code(netsim::Errc::kPermissionDenied)) return false;
  return bootstrap.error();
}

}  // namespace

// Receives a body's token requests after their registration committed and hands them to the
// event loop: the 住基ネット path runs as its own event, never inside the registration call.
class World::Sink final : public addressing::TokenRequestSink {
 public:
  Sink(World& world, Body& body) : world_(world), body_(body) {}
  void OnTokenRequest(const addressing::TokenRequest& request) override {
    world_.loop_.ScheduleAfter(Duration(),
                               [this, request] { world_.OnTokenRequest(body_, request); });
  }

 private:
  World& world_;
  Body& body_;
};

World::World(WorldOptions options, netsim::InstitutionRegistry registry, netsim::PermitList list)
    : options_(std::move(options)),
      registry_(std::move(registry)),
      list_(std::move(list)),
      loop_(options_.start),
      network_(loop_,
               netsim::SimNetworkConfig{options_.seed, options_.link, options_.record_trace}),
      trust_(std::make_shared<middleware::TrustAnchors>()) {
  if (options_.crypto_threads > 0) {
    workers_ = std::make_unique<netsim::WorkerPool>(options_.crypto_threads);
    loop_.SetWorkers(workers_.get());
  }
}

World::~World() = default;

std::vector<uint8_t> World::Key(std::string_view purpose) const {
  const std::string key = "renkei/world/" + std::to_string(options_.seed);
  auto mac = crypto::HmacSha256::Create(crypto::AsBytes(key)).value();
  const crypto::Digest d = mac.Mac(crypto::AsBytes(purpose)).value();
  return std::vector<uint8_t>(d.begin(), d.end());
}

std::string World::Password(std::string_view body, std::string_view account) const {
  const auto k = Key("password/" + std::string(body) + "/" + std::string(account));
  return "pw-" + crypto::ToHex(std::span<const uint8_t>(k.data(), 12));
}

Result<netsim::InstitutionRegistry> LoadWorldRegistry(RegistryKind kind, const std::string& path) {
  RENKEI_TRY(netsim::InstitutionRegistry shipped,
             netsim::InstitutionRegistry::LoadCsv(Shipped(path, "institutions.csv")));
  if (kind == RegistryKind::kShipped) return shipped;
  return netsim::InstitutionRegistry::GenerateFull(kNationalRegistrySeed, shipped);
}

Result<std::unique_ptr<World>> World::Create(WorldOptions options) {
  RENKEI_TRY(netsim::InstitutionRegistry registry,
             LoadWorldRegistry(options.registry, options.registry_path));
  RENKEI_TRY(netsim::PermitList list,
             netsim::PermitList::LoadCsv(Shipped(options.permit_list_path, "permit_list.csv")));
  std::unique_ptr<World> world(new World(std::move(options), std::move(registry), std::move(list)));
  RENKEI_CHECK_OK(world->Init());
  return world;
}

Status World::Init() {
  if (options_.data_dir != ":memory:") {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(options_.data_dir) / "core", ec);
    if (ec) {
      return MakeError(netsim::Errc::kIoError,
                       "data_dir '" + options_.data_dir + "': cannot create: " + ec.message());
    }
  }
  RENKEI_TRY(netsim::TokenService tokens,
             netsim::TokenService::Create(
                 Key("jlis/id-key"), 1, Key("core/token-key/1"),
                 [this](std::string_view code) { return registry_.Find(code) != nullptr; }));
  tokens_ = std::make_unique<netsim::TokenService>(std::move(tokens));
  RENKEI_TRY(core_key_,
             crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519, Key("core/permit-key/1")));
  signer_ = std::make_unique<netsim::PermitSigner>(1, core_key_);
  const std::string records_path =
      options_.data_dir == ":memory:"
          ? ":memory:"
          : (std::filesystem::path(options_.data_dir) / "core" / "core_records.db").string();
  netsim::sql::OpenOptions storage;
  storage.exclusive = options_.exclusive_files;
  RENKEI_TRY(netsim::CoreRecords records, netsim::CoreRecords::Open(records_path, storage));
  records_ = std::make_unique<netsim::CoreRecords>(std::move(records));
  netsim::NwsCoreConfig core_config = options_.core;
  core_config.send_via = core_config.interface_node;
  core_ = std::make_unique<netsim::NwsCore>(loop_, network_, registry_, list_, *tokens_, *signer_,
                                            *records_, core_config);
  RENKEI_CHECK_OK(core_->Attach());
  relay_ = std::make_unique<netsim::NwsInterface>(network_, core_config.interface_node);
  RENKEI_CHECK_OK(relay_->Attach());
  RENKEI_CHECK_OK(network_.Connect(relay_->node(), core_config.node));
  RENKEI_CHECK_OK(network_.AddNode(kJukinetNode));
  RENKEI_CHECK_OK(network_.Connect(kJukinetNode, core_config.node));
  RENKEI_TRY(auto core_public, crypto::PublicKey::FromPrivate(*core_key_));
  trust_->core_permit_keys[1] = core_public;
  return OkStatus();
}

World::Body* World::FindBody(std::string_view code) {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : it->second;
}

Result<World::Body*> World::AddBody(std::string_view lgcode) {
  const netsim::Institution* inst = registry_.FindByLgCode(lgcode);
  if (inst == nullptr) {
    return MakeError(netsim::Errc::kNotFound,
                     "body " + std::string(lgcode) + ": not in the institution registry");
  }
  if (FindBody(lgcode) != nullptr) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     "body " + std::string(lgcode) + ": already in the world");
  }
  auto body = std::make_unique<Body>();
  body->lgcode = std::string(lgcode);
  body->institution = inst->code;
  body->name = inst->name;
  std::string dir = ":memory:";
  if (options_.data_dir != ":memory:") {
    dir = (std::filesystem::path(options_.data_dir) / body->lgcode).string();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return MakeError(netsim::Errc::kIoError, "body dir '" + dir + "': " + ec.message());
    }
  }

  // The addressing server, with the 住基ネット link's officer account.
  auto sink = std::make_unique<Sink>(*this, *body);
  addressing::AddressingOptions aopt;
  aopt.lgcode = body->lgcode;
  aopt.master_key = Key("addressing/master/" + body->lgcode);
  aopt.staff_policy.hash.iterations = kWorldHashIterations;
  aopt.seed = options_.seed;
  aopt.storage.exclusive = options_.exclusive_files;
  const std::string apath =
      dir == ":memory:" ? dir : (std::filesystem::path(dir) / "addressing.db").string();
  RENKEI_TRY(body->addressing, addressing::AddressingServer::Open(apath, aopt, loop_, sink.get()));
  // A body whose files exist (a world reopened on its data_dir) keeps its accounts: Bootstrap
  // is refused with kPermissionDenied once any account exists.
  RENKEI_TRY(const bool fresh_addressing,
             Fresh(body->addressing->staff().Bootstrap("admin", "管理者",
                                                       Password(body->lgcode, "a-admin"))));
  if (fresh_addressing) {
    netsim::StaffDirectory& staff = body->addressing->staff();
    RENKEI_TRY(netsim::Session admin, staff.Login("admin", Password(body->lgcode, "a-admin")));
    RENKEI_CHECK_OK(staff.CreateStaff(admin, "registrar", "登録担当",
                                      addressing::RoleBit(addressing::Role::kRegistrar) |
                                          addressing::RoleBit(addressing::Role::kViewer),
                                      Password(body->lgcode, "a-registrar")));
    RENKEI_CHECK_OK(staff.CreateStaff(admin, "jukinet", "住基ネット連携",
                                      addressing::RoleBit(addressing::Role::kMyNumberOfficer),
                                      Password(body->lgcode, "a-jukinet")));
    RENKEI_CHECK_OK(body->addressing->RegisterBusinessSystem(
        admin, addressing::BusinessSystem{body->business_system, "健康管理システム"}));
    RENKEI_CHECK_OK(staff.Logout(admin));
  }

  // The intermediate server.
  middleware::IntermediateServerConfig config = options_.server;
  config.institution = body->institution;
  config.data_dir = dir == ":memory:" ? dir : (std::filesystem::path(dir) / "middleware").string();
  config.master_key = Key("middleware/master/" + body->lgcode);
  config.key_seed = Key("middleware/replica-keys/" + body->lgcode);
  RENKEI_TRY(config.signing_key,
             crypto::PrivateKey::FromSeed(crypto::KeyType::kEd25519,
                                          Key("middleware/answer-key/" + body->lgcode)));
  config.core_node = core_->config().node;
  config.first_hop = relay_->node();
  config.staff_policy.hash.iterations = kWorldHashIterations;
  config.seed = options_.seed;
  config.storage.exclusive = options_.exclusive_files;
  RENKEI_TRY(body->server, middleware::IntermediateServer::Open(loop_, network_, registry_, list_,
                                                                trust_, config));
  RENKEI_CHECK_OK(body->server->Attach());
  const auto own_link = options_.body_links.find(body->lgcode);
  RENKEI_CHECK_OK(own_link == options_.body_links.end()
                      ? network_.Connect(body->institution, relay_->node())
                      : network_.Connect(body->institution, relay_->node(), own_link->second));
  trust_->answer_keys[body->institution] = body->server->answer_key();
  RENKEI_TRY(const bool fresh_server, Fresh(body->server->staff().Bootstrap(
                                          "admin", "管理者", Password(body->lgcode, "m-admin"))));
  if (fresh_server) {
    netsim::StaffDirectory& staff = body->server->staff();
    RENKEI_TRY(netsim::Session admin, staff.Login("admin", Password(body->lgcode, "m-admin")));
    for (const AccountRoles& a : kServerAccounts) {
      RENKEI_CHECK_OK(staff.CreateStaff(admin, a.account, a.account, middleware::RoleBit(a.role),
                                        Password(body->lgcode, std::string("m-") + a.account)));
    }
    RENKEI_CHECK_OK(staff.Logout(admin));
  }
  Body* raw = body.get();
  raw->server->OnTokenStored([raw, this](const std::string& acquisition_number) {
    if (Status s = raw->addressing->MarkTokenAcquired(acquisition_number); !s.ok()) {
      if (!failure_) failure_ = s.error();
    }
  });
  raw->server->OnTokenFailed(
      [raw, this](const std::string& acquisition_number, const std::string& reason) {
        if (Status s = raw->addressing->MarkTokenFailed(acquisition_number, reason); !s.ok()) {
          if (!failure_) failure_ = s.error();
        }
      });
  sinks_.push_back(std::move(sink));
  by_code_[raw->lgcode] = raw;
  by_code_[raw->institution] = raw;
  bodies_.push_back(std::move(body));
  return raw;
}

void World::OnTokenRequest(Body& body, const addressing::TokenRequest& request) {
  auto fail = [this](const Error& e) {
    if (!failure_) failure_ = e;
  };
  if (Status s = body.server->ExpectToken(request.acquisition_number, request.integrated_number);
      !s.ok()) {
    fail(s.error());
    return;
  }
  // The 住基ネット CS reads the 個人番号 back (recorded at the addressing server) and J-LIS
  // resolves it; only the 住民票コード travels on, and only on the J-LIS → core path.
  auto my_number = WithKeptSession<std::string>(
      body, KeptAt::kAddressing, "jukinet", [&](const netsim::Session& s) {
        return body.addressing->RevealMyNumber(s, request.integrated_number);
      });
  std::string juminhyo;
  if (my_number.ok()) {
    auto resolved = jlis_.Resolve(my_number.value());
    if (resolved.ok()) juminhyo = std::move(resolved).value();
  } else {
    fail(my_number.error());
    return;
  }
  netsim::Envelope e;
  e.message_id = "JK" + std::to_string(++token_messages_);
  e.type = netsim::MessageType::kTokenRequest;
  e.source = body.institution;
  e.destination = core_->config().node;
  e.body =
      netsim::EncodeTokenRequest({request.acquisition_number, body.institution, juminhyo}).value();
  auto bytes = netsim::Encode(e);
  if (!bytes.ok()) {
    fail(bytes.error());
    return;
  }
  (void)network_.Send(kJukinetNode, core_->config().node, std::move(bytes).value());
}

Status World::RegisterAtJlis(const addressing::Resident& resident) {
  return jlis_.Register(resident.my_number, resident.juminhyo_code);
}

Result<std::string> World::RegisterResident(Body& body, const addressing::Resident& resident) {
  RENKEI_CHECK_OK(RegisterAtJlis(resident));
  addressing::Registration r;
  r.my_number = resident.my_number;
  r.system_id = body.business_system;
  r.atena_number = resident.atena_number;
  r.four_info = addressing::FourInfo{resident.name, resident.name_kana, resident.sex,
                                     addressing::FormatDate(resident.birth_date), resident.address};
  return WithKeptSession<std::string>(
      body, KeptAt::kAddressing, "registrar", [&](const netsim::Session& s) -> Result<std::string> {
        RENKEI_TRY(addressing::RegistrationOutcome outcome, body.addressing->Register(s, r));
        return outcome.integrated_number;
      });
}

template <typename T>
Result<T> World::WithKeptSession(Body& body, KeptAt at, std::string_view account,
                                 const std::function<Result<T>(const netsim::Session&)>& call) {
  const std::string_view prefix = at == KeptAt::kAddressing ? "a-" : "m-";
  const std::string key = std::string(prefix) + body.lgcode + "/" + std::string(account);
  for (int attempt = 0;; ++attempt) {
    auto it = kept_sessions_.find(key);
    if (it == kept_sessions_.end()) {
      netsim::StaffDirectory& staff =
          at == KeptAt::kAddressing ? body.addressing->staff() : body.server->staff();
      RENKEI_TRY(netsim::Session s, LoginRenewing(staff, body.lgcode, account, prefix));
      it = kept_sessions_.emplace(key, s).first;
    }
    Result<T> result = call(it->second);
    if (result.ok() || attempt > 0 ||
        result.error().code != make_error_code(netsim::Errc::kSessionInvalid)) {
      return result;
    }
    kept_sessions_.erase(it);
  }
}

Status World::RegisterReplica(Body& body, const middleware::ReplicaRecord& record) {
  return WithKeptSession<Ok>(body, KeptAt::kServer, "registrar", [&](const netsim::Session& s) {
    return body.server->RegisterReplica(s, record);
  });
}

Status World::SetResidentStatus(Body& body, std::string_view integrated_number,
                                addressing::ResidentStatus status, std::string_view date) {
  return WithKeptSession<Ok>(body, KeptAt::kAddressing, "registrar", [&](const netsim::Session& s) {
    return body.addressing->SetStatus(s, integrated_number, status, date);
  });
}

Status World::AddServerStaff(Body& body, std::string_view account, std::string_view name,
                             netsim::RoleSet roles) {
  netsim::StaffDirectory& staff = body.server->staff();
  RENKEI_TRY(netsim::Session admin, LoginRenewing(staff, body.lgcode, "admin", "m-"));
  Status created = staff.CreateStaff(admin, account, name, roles,
                                     Password(body.lgcode, "m-" + std::string(account)));
  RENKEI_CHECK_OK(staff.Logout(admin));
  return created;
}

Result<netsim::Session> World::ServerSession(Body& body, std::string_view account) {
  return LoginRenewing(body.server->staff(), body.lgcode, account, "m-");
}

Result<netsim::Session> World::AddressingSession(Body& body) {
  return LoginRenewing(body.addressing->staff(), body.lgcode, "registrar", "a-");
}

Result<netsim::Session> World::LoginRenewing(netsim::StaffDirectory& staff, std::string_view lgcode,
                                             std::string_view account, std::string_view prefix) {
  // Passwords expire (policy.password_lifetime) during long simulations. The accounts then
  // alternate between two passwords derived from the seed: the one in use is found by trying
  // (a wrong try is cleared by the next successful login), so a world reopened on its files
  // still logs in.
  const std::string key = std::string(prefix) + std::string(account);
  const std::string passwords[2] = {Password(lgcode, key), Password(lgcode, key + "#renewed")};
  Error last;
  for (int i = 0; i < 2; ++i) {
    auto session = staff.Login(account, passwords[i]);
    if (session.ok()) return session;
    last = session.error();
    if (last.code == make_error_code(netsim::Errc::kPasswordExpired)) {
      RENKEI_CHECK_OK(staff.ChangePassword(account, passwords[i], passwords[1 - i]));
      return staff.Login(account, passwords[1 - i]);
    }
    if (last.code != make_error_code(netsim::Errc::kWrongPassword)) return last;
  }
  return last;
}

void World::Run() { loop_.Run(); }
void World::RunUntil(netsim::SimTime until) { loop_.RunUntil(until); }

}  // namespace renkei::scenarios
