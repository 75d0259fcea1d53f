#include "addressing/addressing_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>

#include "addressing/errors.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "test_support.h"

namespace renkei::addressing {
namespace {

using testing::AddressingTest;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(AddressingTest, AssignsValidFifteenDigitNumberOnFirstRegistration) {
  auto out = server_->Register(registrar_, Taro());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->newly_numbered);
  EXPECT_EQ(out->integrated_number.size(), 15u);
  EXPECT_TRUE(netsim::ValidateIntegratedNumber(out->integrated_number).ok());
  EXPECT_FALSE(Contains(out->integrated_number, "983205673214"));
}

TEST_F(AddressingTest, SameMyNumberAlwaysMapsToSameNumber) {
  auto first = server_->Register(registrar_, Taro("JUKI", "1"));
  auto second = server_->Register(registrar_, Taro("KENKO", "77"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->integrated_number, second->integrated_number);
  EXPECT_FALSE(second->newly_numbered);
  EXPECT_TRUE(second->link_added);
  auto repeat = server_->Register(registrar_, Taro("KENKO", "77"));
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->newly_numbered);
  EXPECT_FALSE(repeat->link_added);
}

TEST_F(AddressingTest, DifferentPersonsGetDistinctNumbers) {
  std::set<std::string> numbers;
  for (uint64_t i = 0; i < 200; ++i) {
    Registration r = Taro("JUKI", std::to_string(1000 + i));
    r.my_number = netsim::MakeMyNumber(12345678900ULL + i);
    auto out = server_->Register(registrar_, r);
    ASSERT_TRUE(out.ok()) << out.error().message;
    numbers.insert(out->integrated_number);
  }
  EXPECT_EQ(numbers.size(), 200u);
}

TEST_F(AddressingTest, NumbersAreNeverReusedAfterReopen) {
  auto first = server_->Register(registrar_, Taro());
  ASSERT_TRUE(first.ok());
  server_.reset();
  auto reopened = AddressingServer::Open(path_, testing::TestOptions(), clock_, &sink_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto session = reopened.value()->staff().Login("reg01", testing::kPassword);
  ASSERT_TRUE(session.ok());
  Registration other = Taro("JUKI", "2");
  other.my_number = netsim::MakeMyNumber(11111111111ULL);
  auto second = reopened.value()->Register(session.value(), other);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE(second->integrated_number, first->integrated_number);
  // The first person is still known under the same number.
  auto again = reopened.value()->Register(session.value(), Taro());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->integrated_number, first->integrated_number);
}

TEST_F(AddressingTest, SameKeyAndOrderGiveSameNumbersInAFreshDatabase) {
  auto first = server_->Register(registrar_, Taro());
  ASSERT_TRUE(first.ok());
  netsim::ManualClock clock(clock_.Now());
  auto other = AddressingServer::Open(testing::FreshDbPath("twin"), testing::TestOptions(), clock);
  ASSERT_TRUE(other.ok());
  auto& staff = other.value()->staff();
  ASSERT_TRUE(staff.Bootstrap("admin", "管理者", testing::kPassword).ok());
  auto admin = staff.Login("admin", testing::kPassword).value();
  ASSERT_TRUE(
      staff.CreateStaff(admin, "reg01", "登録係", RoleBit(Role::kRegistrar), testing::kPassword)
          .ok());
  ASSERT_TRUE(other.value()->RegisterBusinessSystem(admin, {"JUKI", "住基"}).ok());
  auto reg = staff.Login("reg01", testing::kPassword).value();
  auto twin = other.value()->Register(reg, Taro());
  ASSERT_TRUE(twin.ok());
  EXPECT_EQ(twin->integrated_number, first->integrated_number);
}

TEST_F(AddressingTest, RejectsBadCheckDigitWithoutEchoingTheNumber) {
  Registration r = Taro();
  r.my_number = "983205673215";
  auto out = server_->Register(registrar_, r);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, make_error_code(Errc::kInvalidInput));
  EXPECT_TRUE(Contains(out.error().message, "my_number")) << out.error().message;
  EXPECT_FALSE(Contains(out.error().message, "98320567321")) << out.error().message;
  EXPECT_EQ(server_->Count()->persons, 0);
}

TEST_F(AddressingTest, RejectsUnknownBusinessSystemAndWritesNothing) {
  auto before = server_->Count().value();
  auto out = server_->Register(registrar_, Taro("TAX", "1"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, make_error_code(Errc::kUnknownBusinessSystem));
  EXPECT_TRUE(Contains(out.error().message, "system_id: 'TAX'"));
  auto after = server_->Count().value();
  EXPECT_EQ(after.persons, before.persons);
  EXPECT_EQ(after.links, before.links);
  EXPECT_TRUE(sink_.requests.empty());
}

TEST_F(AddressingTest, RejectsSameMyNumberWithDifferentFourInformation) {
  ASSERT_TRUE(server_->Register(registrar_, Taro()).ok());
  Registration changed = Taro("KENKO", "5");
  changed.four_info.birth_date = "1981-04-01";
  changed.four_info.name = "山田 次郎";
  const auto before = server_->Count().value();
  auto out = server_->Register(registrar_, changed);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, make_error_code(Errc::kConflict));
  EXPECT_TRUE(Contains(out.error().message, "name")) << out.error().message;
  EXPECT_TRUE(Contains(out.error().message, "birth_date")) << out.error().message;
  EXPECT_FALSE(Contains(out.error().message, "983205673214"));
  EXPECT_EQ(server_->Count()->links, before.links);
}

TEST_F(AddressingTest, AcceptsSamePersonWrittenInAnotherForm) {
  ASSERT_TRUE(server_->Register(registrar_, Taro()).ok());
  Registration variant = Taro("KENKO", "9");
  variant.four_info = FourInfo{"山田　太郎", "やまだ たろう", Sex::kMale, "昭和55年4月1日",
                               "新潟県長岡市大手通1-4-10"};
  auto out = server_->Register(registrar_, variant);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_TRUE(out->link_added);
}

TEST_F(AddressingTest, RejectsAtenaNumberLinkedToAnotherPerson) {
  ASSERT_TRUE(server_->Register(registrar_, Taro("JUKI", "1")).ok());
  Registration other = Taro("JUKI", "1");
  other.my_number = netsim::MakeMyNumber(22222222222ULL);
  other.four_info.name = "佐藤 花子";
  auto out = server_->Register(registrar_, other);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, make_error_code(Errc::kDuplicateLink));
  EXPECT_EQ(server_->Count()->persons, 1);
}

TEST_F(AddressingTest, RejectsMalformedFieldsNamingTheField) {
  struct Case {
    std::function<void(Registration&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](Registration& r) { r.atena_number = "12a"; }, "atena_number"},
      {[](Registration& r) { r.atena_number = "1234567890123456"; }, "atena_number"},
      {[](Registration& r) { r.four_info.name = ""; }, "name"},
      {[](Registration& r) { r.four_info.name_kana = ""; }, "name_kana"},
      {[](Registration& r) { r.four_info.sex = Sex::kNotKnown; }, "sex"},
      {[](Registration& r) { r.four_info.birth_date = "2023-02-29"; }, "birth"},
      {[](Registration& r) { r.four_info.address = ""; }, "address"},
      {[](Registration& r) { r.system_id = "bad id"; }, "system_id"},
  };
  for (const auto& c : cases) {
    Registration r = Taro();
    c.spoil(r);
    auto out = server_->Register(registrar_, r);
    ASSERT_FALSE(out.ok()) << c.field;
    EXPECT_TRUE(Contains(out.error().message, c.field)) << out.error().message;
  }
  EXPECT_EQ(server_->Count()->persons, 0);
}

TEST_F(AddressingTest, LinksResolveInBothDirections) {
  auto out = server_->Register(registrar_, Taro("JUKI", "1"));
  ASSERT_TRUE(server_->Register(registrar_, Taro("KENKO", "500")).ok());
  auto number = server_->IntegratedNumberForAtena(viewer_, "KENKO", "500");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number.value(), out->integrated_number);
  auto person = server_->LookupByIntegratedNumber(viewer_, out->integrated_number);
  ASSERT_TRUE(person.ok());
  ASSERT_EQ(person->links.size(), 2u);
  EXPECT_EQ(person->links[0].system_id, "JUKI");
  EXPECT_EQ(person->links[1].system_id, "KENKO");
  EXPECT_EQ(person->links[1].atena_number, "500");
}

TEST_F(AddressingTest, LooksUpByAtenaAndByMyNumber) {
  auto out = server_->Register(registrar_, Taro());
  auto by_atena = server_->LookupByAtena(viewer_, "JUKI", "100000000000001");
  ASSERT_TRUE(by_atena.ok());
  EXPECT_EQ(by_atena->integrated_number, out->integrated_number);
  EXPECT_EQ(by_atena->four_info.name, "山田 太郎");
  auto by_number = server_->LookupByMyNumber(viewer_, "983205673214");
  ASSERT_TRUE(by_number.ok());
  EXPECT_EQ(by_number->integrated_number, out->integrated_number);
}

TEST_F(AddressingTest, LookupOfUnknownPersonIsNotFound) {
  auto missing = server_->LookupByMyNumber(viewer_, netsim::MakeMyNumber(55555555555ULL));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, make_error_code(Errc::kNotFound));
  EXPECT_FALSE(Contains(missing.error().message, "5555555555"));
  auto no_link = server_->LookupByAtena(viewer_, "JUKI", "999");
  EXPECT_EQ(no_link.error().code, make_error_code(Errc::kNotFound));
  auto bad = server_->LookupByIntegratedNumber(viewer_, "12345");
  EXPECT_EQ(bad.error().code, make_error_code(Errc::kInvalidInput));
}

TEST_F(AddressingTest, SearchSeesThroughWritingVariants) {
  auto taro = server_->Register(registrar_, Taro());
  Registration hanako{netsim::MakeMyNumber(33333333333ULL), "JUKI", "2",
                      FourInfo{"髙橋 花子", "タカハシ ハナコ", Sex::kFemale, "1990-01-08",
                               "新潟県長岡市大手通二丁目1番5号"}};
  ASSERT_TRUE(server_->Register(registrar_, hanako).ok());

  auto by_kana = server_->Search(viewer_, FourInfo{"", "やまだ　たろう", Sex::kNotKnown, "", ""});
  ASSERT_TRUE(by_kana.ok()) << by_kana.error().message;
  ASSERT_EQ(by_kana->size(), 1u);
  EXPECT_EQ(by_kana->front().integrated_number, taro->integrated_number);
  EXPECT_TRUE(by_kana->front().matched.kana);
  EXPECT_FALSE(by_kana->front().matched.name);

  auto full = server_->Search(
      viewer_, FourInfo{"高橋花子", "", Sex::kFemale, "平成2年1月8日", "新潟県長岡市大手通2-1-5"});
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->size(), 1u);
  const MatchResult& m = full->front().matched;
  EXPECT_TRUE(m.name && m.sex && m.birth_date && m.address);
  EXPECT_EQ(m.score(), 4);
}

TEST_F(AddressingTest, SearchRanksBetterMatchesFirst) {
  ASSERT_TRUE(server_->Register(registrar_, Taro()).ok());
  Registration twin{
      netsim::MakeMyNumber(44444444444ULL), "JUKI", "3",
      FourInfo{"山田 太郎", "ヤマダ タロウ", Sex::kMale, "1975-07-07", "新潟県長岡市城内町1-1-1"}};
  auto twin_out = server_->Register(registrar_, twin);
  ASSERT_TRUE(twin_out.ok());
  auto found = server_->Search(viewer_, FourInfo{"山田太郎", "", Sex::kMale, "1975-07-07", ""});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ(found->front().integrated_number, twin_out->integrated_number);
  EXPECT_GT(found->at(0).matched.score(), found->at(1).matched.score());
}

TEST_F(AddressingTest, SearchWithoutNameKanaOrBirthDateIsRefused) {
  auto found = server_->Search(viewer_, FourInfo{"", "", Sex::kMale, "", "新潟県"});
  ASSERT_FALSE(found.ok());
  EXPECT_TRUE(Contains(found.error().message, "at least one of"));
}

TEST_F(AddressingTest, StatusChangesAreKeptWithDates) {
  auto out = server_->Register(registrar_, Taro());
  ASSERT_TRUE(
      server_
          ->SetStatus(registrar_, out->integrated_number, ResidentStatus::kMovedOut, "2024-03-31")
          .ok());
  ASSERT_TRUE(server_
                  ->SetStatus(registrar_, out->integrated_number, ResidentStatus::kDeceased,
                              "令和6年5月1日")
                  .ok());
  auto p = server_->LookupByIntegratedNumber(viewer_, out->integrated_number);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->status, ResidentStatus::kDeceased);
  EXPECT_EQ(p->status_date, "2024-05-01");
  ASSERT_EQ(p->status_history.size(), 2u);
  EXPECT_EQ(p->status_history[0].status, ResidentStatus::kMovedOut);
  EXPECT_EQ(p->status_history[0].effective_date, "2024-03-31");
}

TEST_F(AddressingTest, DeceasedStatusIsFinal) {
  auto out = server_->Register(registrar_, Taro());
  ASSERT_TRUE(
      server_
          ->SetStatus(registrar_, out->integrated_number, ResidentStatus::kDeceased, "2024-05-01")
          .ok());
  auto again = server_->SetStatus(registrar_, out->integrated_number, ResidentStatus::kResident,
                                  "2024-06-01");
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(Contains(again.error().message, "deceased"));
}

TEST_F(AddressingTest, StatusChangeRejectsBadDateAndUnknownPerson) {
  auto out = server_->Register(registrar_, Taro());
  auto bad_date = server_->SetStatus(registrar_, out->integrated_number, ResidentStatus::kMovedOut,
                                     "2024-13-01");
  ASSERT_FALSE(bad_date.ok());
  EXPECT_TRUE(Contains(bad_date.error().message, "effective_date"));
  auto unknown = server_->SetStatus(registrar_, netsim::MakeIntegratedNumber(12345678901234ULL),
                                    ResidentStatus::kMovedOut, "2024-03-01");
  EXPECT_EQ(unknown.error().code, make_error_code(Errc::kNotFound));
  EXPECT_EQ(ParseResidentStatus("gone").error().code, make_error_code(Errc::kInvalidInput));
}

TEST_F(AddressingTest, UpdateFourInfoChangesTheSearchKeys) {
  auto out = server_->Register(registrar_, Taro());
  FourInfo moved = Taro().four_info;
  moved.address = "新潟県長岡市城内町三丁目8番26号";
  ASSERT_TRUE(server_->UpdateFourInfo(registrar_, out->integrated_number, moved).ok());
  auto found =
      server_->Search(viewer_, FourInfo{"山田太郎", "", Sex::kNotKnown, "", "新潟県長岡市城内町3"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_TRUE(found->front().matched.address);
}

TEST_F(AddressingTest, TokenRequestIsEmittedOnNumberingWithoutTheMyNumber) {
  auto out = server_->Register(registrar_, Taro());
  ASSERT_EQ(sink_.requests.size(), 1u);
  const TokenRequest& req = sink_.requests.front();
  EXPECT_EQ(req.integrated_number, out->integrated_number);
  EXPECT_EQ(req.lgcode, "152021");
  EXPECT_EQ(req.acquisition_number, "152021-0000000001");
  EXPECT_FALSE(Contains(req.acquisition_number + req.integrated_number, "983205673214"));
  // A second link to the same person asks for no new token.
  ASSERT_TRUE(server_->Register(registrar_, Taro("KENKO", "1")).ok());
  EXPECT_EQ(sink_.requests.size(), 1u);
  EXPECT_EQ(server_->Count()->pending_tokens, 1);
}

TEST_F(AddressingTest, TokenStateFollowsTheCoreAnswer) {
  auto out = server_->Register(registrar_, Taro());
  const std::string acq = sink_.requests.front().acquisition_number;
  ASSERT_TRUE(server_->MarkTokenAcquired(acq).ok());
  EXPECT_EQ(server_->Count()->pending_tokens, 0);
  auto p = server_->LookupByIntegratedNumber(viewer_, out->integrated_number);
  EXPECT_EQ(p->token_state, TokenState::kAcquired);
  EXPECT_EQ(server_->MarkTokenAcquired(acq).error().code, make_error_code(Errc::kNotFound));
  EXPECT_EQ(server_->MarkTokenFailed("152021-9999999999", "unknown person").error().code,
            make_error_code(Errc::kNotFound));
}

TEST_F(AddressingTest, PendingTokenRequestsCanBeResent) {
  ASSERT_TRUE(server_->Register(registrar_, Taro()).ok());
  sink_.requests.clear();
  auto resent = server_->ResendPendingTokenRequests();
  ASSERT_TRUE(resent.ok());
  EXPECT_EQ(resent.value(), 1);
  EXPECT_EQ(sink_.requests.size(), 1u);
}

TEST_F(AddressingTest, OnlyMyNumberOfficerCanRevealTheNumber) {
  auto out = server_->Register(registrar_, Taro());
  auto denied = server_->RevealMyNumber(viewer_, out->integrated_number);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  auto revealed = server_->RevealMyNumber(officer_, out->integrated_number);
  ASSERT_TRUE(revealed.ok()) << revealed.error().message;
  EXPECT_EQ(revealed.value(), "983205673214");
}

TEST_F(AddressingTest, EveryOperationChecksTheCallersRole) {
  auto by_viewer = server_->Register(viewer_, Taro());
  EXPECT_EQ(by_viewer.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  EXPECT_TRUE(Contains(by_viewer.error().message, "registrar"));
  auto out = server_->Register(registrar_, Taro());
  auto by_registrar = server_->LookupByIntegratedNumber(registrar_, out->integrated_number);
  EXPECT_EQ(by_registrar.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  auto search = server_->Search(auditor_, Taro().four_info);
  EXPECT_EQ(search.error().code, make_error_code(netsim::Errc::kPermissionDenied));
  auto system = server_->RegisterBusinessSystem(registrar_, {"TAX", "税務"});
  EXPECT_EQ(system.error().code, make_error_code(netsim::Errc::kPermissionDenied));
}

TEST_F(AddressingTest, LookupsAndChangesAreRecordedByIntegratedNumber) {
  auto out = server_->Register(registrar_, Taro());
  ASSERT_TRUE(server_->LookupByIntegratedNumber(viewer_, out->integrated_number).ok());
  ASSERT_TRUE(server_->LookupByMyNumber(viewer_, "983205673214").ok());
  auto records = server_->staff().Operations(auditor_, out->integrated_number);
  ASSERT_TRUE(records.ok());
  std::vector<std::string> actions;
  for (const auto& r : *records) {
    actions.push_back(r.staff_id + ":" + r.action);
    EXPECT_FALSE(Contains(r.detail, "983205673214"));
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"reg01:register", "view01:lookup", "view01:lookup"}));
}

TEST_F(AddressingTest, MyNumberIsNeverStoredInClear) {
  ASSERT_TRUE(server_->Register(registrar_, Taro()).ok());
  ASSERT_TRUE(server_->LookupByMyNumber(viewer_, "983205673214").ok());
  server_.reset();  // closes the database and checkpoints the WAL
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream f(path_ + suffix, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_FALSE(Contains(bytes, "983205673214")) << path_ << suffix;
  }
}

TEST_F(AddressingTest, BatchRegistrationIsAllOrNothing) {
  std::vector<Registration> batch = {Taro("JUKI", "1"), Taro("JUKI", "2")};
  batch[1].my_number = netsim::MakeMyNumber(66666666666ULL);
  batch[1].system_id = "NOPE";
  auto out = server_->RegisterBatch(registrar_, batch);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Contains(out.error().message, "item 1")) << out.error().message;
  EXPECT_EQ(server_->Count()->persons, 0);
  EXPECT_TRUE(sink_.requests.empty());
}

TEST_F(AddressingTest, RegisterEachJudgesItemsSeparately) {
  std::vector<Registration> batch = {Taro("JUKI", "1"), Taro("JUKI", "2"), Taro("KENKO", "3")};
  batch[1].my_number = netsim::MakeMyNumber(66666666666ULL);
  batch[1].system_id = "NOPE";
  auto out = server_->RegisterEach(registrar_, batch);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 3u);
  EXPECT_TRUE((*out)[0].ok());
  EXPECT_EQ((*out)[1].error().code, make_error_code(Errc::kUnknownBusinessSystem));
  EXPECT_TRUE((*out)[2].ok());
  EXPECT_EQ(server_->Count()->persons, 1);
  EXPECT_EQ(server_->Count()->links, 2);
}

TEST_F(AddressingTest, RejectsBadOptions) {
  auto bad_code = testing::TestOptions();
  bad_code.lgcode = "152022";
  auto a = AddressingServer::Open(":memory:", bad_code, clock_);
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(Contains(a.error().message, "lgcode"));
  auto bad_key = testing::TestOptions();
  bad_key.master_key.resize(16);
  auto b = AddressingServer::Open(":memory:", bad_key, clock_);
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(Contains(b.error().message, "master_key"));
}

TEST_F(AddressingTest, RejectsDuplicateOrMalformedBusinessSystem) {
  auto dup = server_->RegisterBusinessSystem(admin_, {"JUKI", "again"});
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(Contains(dup.error().message, "already registered"));
  auto bad = server_->RegisterBusinessSystem(admin_, {"vrs", "lower case"});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.error().message, "system id"));
  auto systems = server_->BusinessSystems(viewer_);
  ASSERT_TRUE(systems.ok());
  EXPECT_EQ(systems->size(), 2u);
}

}  // namespace
}  // namespace renkei::addressing
