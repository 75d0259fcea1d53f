#include "netsim/sim_network.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "netsim/envelope.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/worker_pool.h"

namespace renkei::netsim {
namespace {

using crypto::Bytes;

SimTime At(int64_t us) { return SimTime::FromMicros(us); }
SimTime Ms(int64_t ms) { return SimTime() + Duration::Millis(ms); }

LinkProfile Fixed(Duration latency) {
  LinkProfile p;
  p.latency = LatencyModel::Fixed(latency);
  return p;
}

// One arrival seen by a node's handler.
struct Arrival {
  std::string from;
  int64_t sent_us;
  int64_t arrived_us;
  uint64_t seq;
  size_t size;
  friend bool operator==(const Arrival&, const Arrival&) = default;
};

// A network with nodes "a", "b" (and more on request) whose handlers record arrivals.
class Harness {
 public:
  explicit Harness(SimNetworkConfig config = {}) : net(loop, config) {}

  void Node(const std::string& name) {
    ASSERT_TRUE(net.AddNode(name,
                            [this, name](const Delivery& d) {
                              arrivals[name].push_back(Arrival{d.from, d.sent.micros(),
                                                               d.arrived.micros(), d.seq,
                                                               d.bytes.size()});
                            })
                    .ok());
  }
  void SendAt(SimTime at, const std::string& from, const std::string& to, size_t size = 100) {
    loop.ScheduleAt(
        at, [this, from, to, size] { ASSERT_TRUE(net.Send(from, to, Bytes(size, 0x5a)).ok()); });
  }
  const std::vector<Arrival>& At(const std::string& node) { return arrivals[node]; }

  EventLoop loop;
  SimNetwork net;
  std::map<std::string, std::vector<Arrival>> arrivals;
};

TEST(SimNetworkTest, DeliversAfterFixedLatency) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration::Millis(7))).ok());
  h.SendAt(Ms(1), "a", "b", 42);
  h.loop.Run();
  ASSERT_EQ(h.At("b").size(), 1u);
  EXPECT_EQ(h.At("b")[0], (Arrival{"a", 1000, 8000, 1, 42}));
  const LinkCounters c = h.net.Counters("a", "b").value();
  EXPECT_EQ(c.sent, 1u);
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(c.bytes_sent, 42u);
  EXPECT_EQ(c.bytes_delivered, 42u);
}

TEST(SimNetworkTest, UsesDefaultProfileWhenNoneGiven) {
  SimNetworkConfig config;
  config.default_profile = Fixed(Duration::Micros(1234));
  Harness h(config);
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.Connect("a", "b").ok());
  h.SendAt(At(0), "b", "a");
  h.loop.Run();
  ASSERT_EQ(h.At("a").size(), 1u);
  EXPECT_EQ(h.At("a")[0].arrived_us, 1234);
}

TEST(SimNetworkTest, SendOnUnknownLinkIsNotFound) {
  Harness h;
  h.Node("a");
  h.Node("b");
  const auto r = h.net.Send("a", "b", Bytes(1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, make_error_code(Errc::kNotFound));
  EXPECT_FALSE(h.net.Send("a", "nowhere", Bytes(1)).ok());
}

TEST(SimNetworkTest, RejectsDuplicateAndBadNodes) {
  Harness h;
  h.Node("a");
  EXPECT_FALSE(h.net.AddNode("a").ok());
  EXPECT_FALSE(h.net.AddNode("").ok());
  EXPECT_FALSE(h.net.AddNode("has space").ok());
  EXPECT_FALSE(h.net.AddLink("a", "a").ok());
}

TEST(SimNetworkTest, RejectsBadProfiles) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p;
  p.loss = LossModel::Bernoulli(1.5);
  EXPECT_FALSE(h.net.AddLink("a", "b", p).ok());
  p = LinkProfile{};
  p.latency = LatencyModel::Uniform(Duration::Millis(3), Duration::Millis(2));
  EXPECT_FALSE(h.net.AddLink("a", "b", p).ok());
  p = LinkProfile{};
  p.latency = LatencyModel::LogNormal(Duration(), 0.5);
  EXPECT_FALSE(h.net.AddLink("a", "b", p).ok());
  p = LinkProfile{};
  p.bandwidth_bps = -1;
  EXPECT_FALSE(h.net.AddLink("a", "b", p).ok());
  p = LinkProfile{};
  p.loss = LossModel::GilbertElliott(0.1, -0.1, 0, 1);
  const Status s = h.net.AddLink("a", "b", p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kInvalidArgument));
  EXPECT_TRUE(h.net.AddLink("a", "b").ok());
  EXPECT_FALSE(h.net.AddLink("a", "b").ok());  // already exists
}

// 10,000 messages over a Bernoulli 5 % link: the exact count for seed 1 is pinned.
TEST(SimNetworkTest, BernoulliLossExactCountForSeed) {
  SimNetworkConfig config;
  config.seed = 1;
  Harness h(config);
  h.Node("a");
  h.Node("b");
  LinkProfile p = Fixed(Duration::Millis(1));
  p.loss = LossModel::Bernoulli(0.05);
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  for (int i = 0; i < 10000; ++i) h.SendAt(At(i * 10), "a", "b");
  h.loop.Run();
  const LinkCounters c = h.net.Counters("a", "b").value();
  EXPECT_EQ(c.sent, 10000u);
  EXPECT_EQ(c.delivered, 9500u);
  EXPECT_EQ(c.dropped_loss, 500u);
  EXPECT_EQ(c.delivered + c.dropped(), c.sent);
  EXPECT_EQ(h.At("b").size(), c.delivered);
}

// Mean length of runs of consecutive losses.
double MeanBurst(const std::vector<bool>& lost) {
  int bursts = 0;
  int losses = 0;
  for (size_t i = 0; i < lost.size(); ++i) {
    if (!lost[i]) continue;
    ++losses;
    if (i == 0 || !lost[i - 1]) ++bursts;
  }
  return bursts == 0 ? 0.0 : static_cast<double>(losses) / bursts;
}

std::vector<bool> LossPattern(const LossModel& loss, int n, uint64_t seed) {
  SimNetworkConfig config;
  config.seed = seed;
  Harness h(config);
  h.Node("a");
  h.Node("b");
  LinkProfile p = Fixed(Duration());
  p.loss = loss;
  EXPECT_TRUE(h.net.AddLink("a", "b", p).ok());
  std::vector<bool> lost(static_cast<size_t>(n), true);
  for (int i = 0; i < n; ++i) h.SendAt(At(i), "a", "b");
  h.loop.Run();
  for (const Arrival& a : h.At("b")) lost[a.seq - 1] = false;
  return lost;
}

TEST(SimNetworkTest, GilbertElliottLossComesInBursts) {
  // Stationary bad share = 0.01 / (0.01 + 0.2) ≈ 4.8 %; loss in bad 0.9: about 4.3 % expected.
  const auto ge = LossPattern(LossModel::GilbertElliott(0.01, 0.2, 0.0, 0.9), 20000, 1);
  const auto lost_ge = std::count(ge.begin(), ge.end(), true);
  EXPECT_EQ(lost_ge, 733);  // pinned for seed 1
  const auto bern =
      LossPattern(LossModel::Bernoulli(static_cast<double>(lost_ge) / 20000), 20000, 1);
  // Same loss rate, very different shape: Bernoulli runs average ~1.05, Gilbert–Elliott ~4.
  EXPECT_LT(MeanBurst(bern), 1.2);
  EXPECT_GT(MeanBurst(ge), 3.0);
}

TEST(SimNetworkTest, LogNormalLatencyHasConfiguredMedian) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p;
  p.latency = LatencyModel::LogNormal(Duration::Millis(20), 0.8);
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  for (int i = 0; i < 10001; ++i) h.SendAt(At(0), "a", "b");
  h.loop.Run();
  std::vector<int64_t> latencies;
  for (const Arrival& a : h.At("b")) latencies.push_back(a.arrived_us - a.sent_us);
  ASSERT_EQ(latencies.size(), 10001u);
  std::nth_element(latencies.begin(), latencies.begin() + 5000, latencies.end());
  const int64_t median = latencies[5000];
  EXPECT_NEAR(static_cast<double>(median), 20000.0, 20000.0 * 0.04);
  // The tail is long: the largest is far above the median but below the cap.
  const int64_t max = *std::max_element(latencies.begin(), latencies.end());
  EXPECT_GT(max, 5 * 20000);
  EXPECT_LE(max, p.latency.cap.micros());
}

TEST(SimNetworkTest, UniformLatencyStaysWithinBounds) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p;
  p.latency = LatencyModel::Uniform(Duration::Micros(100), Duration::Micros(104));
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  for (int i = 0; i < 1000; ++i) h.SendAt(At(0), "a", "b");
  h.loop.Run();
  std::vector<int> seen(5, 0);
  for (const Arrival& a : h.At("b")) {
    const int64_t l = a.arrived_us - a.sent_us;
    ASSERT_GE(l, 100);
    ASSERT_LE(l, 104);
    ++seen[static_cast<size_t>(l - 100)];
  }
  for (const int n : seen) EXPECT_GT(n, 150);  // every value, both ends included
}

TEST(SimNetworkTest, BandwidthQueuesMessagesFifo) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p = Fixed(Duration::Millis(5));
  p.bandwidth_bps = 1'000'000;  // 1250 bytes = 10,000 bits = 10 ms
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  for (int i = 0; i < 3; ++i) h.SendAt(At(0), "a", "b", 1250);
  h.SendAt(Ms(12), "a", "b", 125);   // waits for the third until 30 ms, then 1 ms
  h.SendAt(Ms(100), "a", "b", 125);  // idle link: starts at once
  h.loop.Run();
  std::vector<int64_t> arrived;
  for (const Arrival& a : h.At("b")) arrived.push_back(a.arrived_us);
  EXPECT_EQ(arrived, (std::vector<int64_t>{15000, 25000, 35000, 36000, 106000}));
}

TEST(SimNetworkTest, SerializationDelayRoundsUpToWholeMicroseconds) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p = Fixed(Duration());
  p.bandwidth_bps = 3;  // 8 bits at 3 bit/s = 2.666667 s
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  h.SendAt(At(0), "a", "b", 1);
  h.loop.Run();
  ASSERT_EQ(h.At("b").size(), 1u);
  EXPECT_EQ(h.At("b")[0].arrived_us, 2666667);
}

TEST(SimNetworkTest, LostMessagesStillOccupyTheLink) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile p = Fixed(Duration());
  p.bandwidth_bps = 8'000'000;  // 1000 bytes = 1 ms
  ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
  ASSERT_TRUE(h.net.DropNth("a", "b", 1).ok());
  h.SendAt(At(0), "a", "b", 1000);
  h.SendAt(At(0), "a", "b", 1000);
  h.loop.Run();
  ASSERT_EQ(h.At("b").size(), 1u);
  EXPECT_EQ(h.At("b")[0].arrived_us, 2000);
}

TEST(SimNetworkTest, JitterReordersUnlessInOrder) {
  for (const bool in_order : {false, true}) {
    Harness h;
    h.Node("a");
    h.Node("b");
    LinkProfile p;
    p.latency = LatencyModel::Uniform(Duration::Micros(0), Duration::Millis(10));
    p.in_order = in_order;
    ASSERT_TRUE(h.net.AddLink("a", "b", p).ok());
    for (int i = 0; i < 200; ++i) h.SendAt(At(i * 100), "a", "b");
    h.loop.Run();
    std::vector<uint64_t> seqs;
    for (const Arrival& a : h.At("b")) seqs.push_back(a.seq);
    EXPECT_EQ(std::is_sorted(seqs.begin(), seqs.end()), in_order);
  }
}

TEST(SimNetworkTest, PartitionWindowIsHalfOpenAtSendTime) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.Connect("a", "b", Fixed(Duration())).ok());
  ASSERT_TRUE(h.net.AddPartition({"a"}, {"b"}, Ms(10), Ms(20)).ok());
  for (const int64_t t : {9999, 10000, 19999, 20000}) {
    h.SendAt(At(t), "a", "b");
    h.SendAt(At(t), "b", "a");  // both directions are cut
  }
  h.loop.Run();
  std::vector<int64_t> got;
  for (const Arrival& a : h.At("b")) got.push_back(a.sent_us);
  EXPECT_EQ(got, (std::vector<int64_t>{9999, 20000}));
  EXPECT_EQ(h.At("a").size(), 2u);
  EXPECT_EQ(h.net.Counters("a", "b")->dropped_partition, 2u);
  EXPECT_EQ(h.net.Totals().dropped_partition, 4u);
}

TEST(SimNetworkTest, PartitionDropsMessagesInFlightOnArrival) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration::Millis(5))).ok());
  ASSERT_TRUE(h.net.AddPartition({"a"}, {}, Ms(10), Ms(20)).ok());  // a against the rest
  h.SendAt(At(4999), "a", "b");                                     // arrives 9999: through
  h.SendAt(At(5000), "a", "b");                                     // arrives 10000: cut on arrival
  h.SendAt(At(15000), "a", "b");                                    // sent inside: cut at send
  h.SendAt(At(20000), "a", "b");
  h.loop.Run();
  std::vector<int64_t> got;
  for (const Arrival& a : h.At("b")) got.push_back(a.sent_us);
  EXPECT_EQ(got, (std::vector<int64_t>{4999, 20000}));
  EXPECT_NE(h.net.TraceText().find("10000 drop 2 a b"), std::string::npos);
  EXPECT_NE(h.net.TraceText().find("15000 drop 3 a b"), std::string::npos);
}

TEST(SimNetworkTest, PartitionSpareNodesOutsideIt) {
  Harness h;
  for (const char* n : {"a", "b", "c"}) h.Node(n);
  ASSERT_TRUE(h.net.AddLink("b", "c", Fixed(Duration())).ok());
  ASSERT_TRUE(h.net.AddPartition({"a"}, {"b"}, Ms(0), Ms(10)).ok());
  h.SendAt(Ms(1), "b", "c");
  h.loop.Run();
  EXPECT_EQ(h.At("c").size(), 1u);
}

TEST(SimNetworkTest, RejectsBadPartitions) {
  Harness h;
  h.Node("a");
  h.Node("b");
  EXPECT_FALSE(h.net.AddPartition({}, {"b"}, Ms(0), Ms(1)).ok());
  EXPECT_FALSE(h.net.AddPartition({"a"}, {"b"}, Ms(1), Ms(1)).ok());
  EXPECT_FALSE(h.net.AddPartition({"a"}, {"a"}, Ms(0), Ms(1)).ok());
  EXPECT_FALSE(h.net.AddPartition({"a"}, {"x"}, Ms(0), Ms(1)).ok());
}

TEST(SimNetworkTest, NodeDownWindowIsHalfOpen) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.Connect("a", "b", Fixed(Duration())).ok());
  ASSERT_TRUE(h.net.NodeDown("b", Ms(10)).ok());
  ASSERT_TRUE(h.net.NodeUp("b", Ms(20)).ok());
  EXPECT_FALSE(h.net.IsNodeDown("b", At(9999)));
  EXPECT_TRUE(h.net.IsNodeDown("b", At(10000)));
  EXPECT_TRUE(h.net.IsNodeDown("b", At(19999)));
  EXPECT_FALSE(h.net.IsNodeDown("b", At(20000)));
  for (const int64_t t : {9999, 10000, 19999, 20000}) {
    h.SendAt(At(t), "a", "b");  // to a down node
    h.SendAt(At(t), "b", "a");  // from a down node
  }
  h.loop.Run();
  std::vector<int64_t> got;
  for (const Arrival& a : h.At("b")) got.push_back(a.sent_us);
  EXPECT_EQ(got, (std::vector<int64_t>{9999, 20000}));
  got.clear();
  for (const Arrival& a : h.At("a")) got.push_back(a.sent_us);
  EXPECT_EQ(got, (std::vector<int64_t>{9999, 20000}));
  EXPECT_EQ(h.net.Totals().dropped_node_down, 4u);
}

TEST(SimNetworkTest, NodeGoingDownLosesMessagesInFlight) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration::Millis(5))).ok());
  ASSERT_TRUE(h.net.NodeDown("b", Ms(10)).ok());
  h.SendAt(At(4999), "a", "b");  // arrives 9999
  h.SendAt(At(5000), "a", "b");  // arrives 10000, b is down
  h.loop.Run();
  ASSERT_EQ(h.At("b").size(), 1u);
  EXPECT_EQ(h.At("b")[0].sent_us, 4999);
  // 100 bytes of 0x5a: the fingerprint covers whole words and the tail.
  EXPECT_NE(h.net.TraceText().find("10000 drop 2 a b 100 cce6d39a6d052a2d node-down\n"),
            std::string::npos);
  EXPECT_NE(h.net.TraceText().find("node-down"), std::string::npos);
}

TEST(SimNetworkTest, RejectsNodeStateChangeInThePast) {
  Harness h;
  h.Node("a");
  h.loop.RunUntil(Ms(5));
  EXPECT_FALSE(h.net.NodeDown("a", Ms(4)).ok());
  EXPECT_TRUE(h.net.NodeDown("a", Ms(5)).ok());
  EXPECT_FALSE(h.net.NodeDown("x", Ms(6)).ok());
}

TEST(SimNetworkTest, DropNthDropsExactlyThoseMessages) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration())).ok());
  ASSERT_TRUE(h.net.DropNth("a", "b", 2).ok());
  ASSERT_TRUE(h.net.DropNth("a", "b", 5).ok());
  EXPECT_FALSE(h.net.DropNth("a", "b", 0).ok());
  for (int i = 0; i < 6; ++i) h.SendAt(At(i), "a", "b");
  h.loop.Run();
  std::vector<uint64_t> seqs;
  for (const Arrival& a : h.At("b")) seqs.push_back(a.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 3, 4, 6}));
  EXPECT_EQ(h.net.Counters("a", "b")->dropped_drop_list, 2u);
}

TEST(SimNetworkTest, DropIfDropsMatchingMessages) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration())).ok());
  ASSERT_TRUE(h.net.DropIf("a", "b", [](const Outgoing& m) { return m.bytes.size() > 100; }).ok());
  h.SendAt(At(0), "a", "b", 100);
  h.SendAt(At(1), "a", "b", 101);
  h.SendAt(At(2), "a", "b", 99);
  h.loop.Run();
  std::vector<size_t> sizes;
  for (const Arrival& a : h.At("b")) sizes.push_back(a.size);
  EXPECT_EQ(sizes, (std::vector<size_t>{100, 99}));
}

Bytes EnvelopeBytes(const std::string& id) {
  Envelope e;
  e.message_id = id;
  e.type = MessageType::kPermitRequest;
  e.source = InstitutionCodeForLgCode("152021");
  e.destination = InstitutionCodeForLgCode("011002");
  e.body = {'{', '}'};
  return Encode(e).value();
}

TEST(SimNetworkTest, DropMessageIdsMatchesEnvelopes) {
  EventLoop loop;
  SimNetwork net(loop, {});
  std::vector<std::string> got;
  ASSERT_TRUE(net.AddNode("a").ok());
  ASSERT_TRUE(net.AddNode("nws-interface",
                          [&got](const Delivery& d) {
                            const auto e = Decode(d.bytes);
                            got.push_back(e.ok() ? e->message_id : "?");
                          })
                  .ok());
  ASSERT_TRUE(net.AddLink("a", "nws-interface").ok());
  ASSERT_TRUE(net.DropMessageIds("a", "nws-interface", {"m-2", "m-4"}).ok());
  for (const char* id : {"m-1", "m-2", "m-3", "m-4"}) {
    ASSERT_TRUE(net.Send("a", "nws-interface", EnvelopeBytes(id)).ok());
  }
  ASSERT_TRUE(net.Send("a", "nws-interface", Bytes{'m', '-', '2'}).ok());  // not an envelope
  loop.Run();
  EXPECT_EQ(got, (std::vector<std::string>{"m-1", "m-3", "?"}));
  EXPECT_EQ(net.Counters("a", "nws-interface")->dropped_drop_list, 2u);
}

TEST(SimNetworkTest, LossChangeAppliesFromItsTime) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration::Millis(1))).ok());
  ASSERT_TRUE(h.net.ChangeLoss("a", "b", Ms(10), LossModel::Bernoulli(1.0)).ok());
  ASSERT_TRUE(h.net.ChangeLoss("a", "b", Ms(20), LossModel::None()).ok());
  EXPECT_FALSE(h.net.ChangeLoss("a", "b", Ms(30), LossModel::Bernoulli(2.0)).ok());
  for (const int64_t t : {9999, 10000, 19999, 20000}) h.SendAt(At(t), "a", "b");
  h.loop.Run();
  std::vector<int64_t> got;
  for (const Arrival& a : h.At("b")) got.push_back(a.sent_us);
  EXPECT_EQ(got, (std::vector<int64_t>{9999, 20000}));
  EXPECT_EQ(h.net.Counters("a", "b")->dropped_loss, 2u);
}

TEST(SimNetworkTest, LossAtTellsTheModelInForceAndLinksListsEveryLink) {
  Harness h;
  h.Node("a");
  h.Node("b");
  LinkProfile lossy = Fixed(Duration::Millis(1));
  lossy.loss = LossModel::Bernoulli(0.25);
  ASSERT_TRUE(h.net.AddLink("a", "b", lossy).ok());
  ASSERT_TRUE(h.net.AddLink("b", "a").ok());
  ASSERT_TRUE(h.net.ChangeLoss("a", "b", Ms(10), LossModel::Bernoulli(0.5)).ok());
  EXPECT_EQ(h.net.LossAt("a", "b", Ms(9))->p, 0.25);
  EXPECT_EQ(h.net.LossAt("a", "b", Ms(10))->p, 0.5);
  EXPECT_EQ(h.net.LossAt("b", "a", Ms(10))->kind, LossModel::Kind::kNone);
  EXPECT_FALSE(h.net.LossAt("a", "c", Ms(0)).ok());
  EXPECT_EQ(h.net.Links(),
            (std::vector<std::pair<std::string, std::string>>{{"a", "b"}, {"b", "a"}}));
}

TEST(SimNetworkTest, TraceTextHasCanonicalLines) {
  Harness h;
  h.Node("a");
  h.Node("b");
  ASSERT_TRUE(h.net.AddLink("a", "b", Fixed(Duration::Millis(2))).ok());
  ASSERT_TRUE(h.net.DropNth("a", "b", 2).ok());
  h.SendAt(At(0), "a", "b", 1);
  h.SendAt(At(5), "a", "b", 1);
  h.loop.Run();
  // c355c1c8e76214f4 is the fingerprint of the single byte 0x5a (a Python model agrees).
  EXPECT_EQ(h.net.TraceText(),
            "0 send 1 a b 1 c355c1c8e76214f4\n"
            "5 send 2 a b 1 c355c1c8e76214f4\n"
            "5 drop 2 a b 1 c355c1c8e76214f4 drop-list\n"
            "2000 deliver 1 a b 1 c355c1c8e76214f4\n");
}

// A small mixed scenario: log-normal lossy links both ways, bandwidth, a partition, a node
// outage, a loss change and replies sent from handlers.
std::string RunScenario(uint64_t seed) {
  EventLoop loop;
  SimNetworkConfig config;
  config.seed = seed;
  SimNetwork net(loop, config);
  LinkProfile p;
  p.latency = LatencyModel::LogNormal(Duration::Millis(3), 0.6);
  p.loss = LossModel::GilbertElliott(0.02, 0.3, 0.01, 0.7);
  p.bandwidth_bps = 10'000'000;
  const std::string nws = "nws-interface";
  const std::string body = InstitutionCodeForLgCode("152021");
  EXPECT_TRUE(net.AddNode(nws,
                          [&net, &nws](const Delivery& d) {
                            EXPECT_TRUE(
                                net.Send(nws, d.from, Bytes(d.bytes.begin(), d.bytes.end())).ok());
                          })
                  .ok());
  EXPECT_TRUE(net.AddNode(body).ok());
  EXPECT_TRUE(net.Connect(body, nws, p).ok());
  EXPECT_TRUE(net.AddPartition({body}, {nws}, Ms(300), Ms(350)).ok());
  EXPECT_TRUE(net.NodeDown(nws, Ms(600)).ok());
  EXPECT_TRUE(net.NodeUp(nws, Ms(640)).ok());
  EXPECT_TRUE(net.ChangeLoss(body, nws, Ms(800), LossModel::Bernoulli(0.2)).ok());
  for (int i = 0; i < 1000; ++i) {
    loop.ScheduleAt(Ms(i), [&net, &body, &nws, i] {
      EXPECT_TRUE(net.Send(body, nws, Bytes(200 + static_cast<size_t>(i % 50), 1)).ok());
    });
  }
  loop.Run();
  return net.TraceText();
}

TEST(SimNetworkTest, SameSeedGivesByteIdenticalTrace) {
  const std::string first = RunScenario(7);
  EXPECT_EQ(first, RunScenario(7));
  EXPECT_NE(first, RunScenario(8));
  // Every kind of outcome happened, so the comparison covered them all.
  for (const char* what : {" deliver ", " loss\n", " partition\n", " node-down\n"}) {
    EXPECT_NE(first.find(what), std::string::npos) << what;
  }
}

TEST(SimNetworkTest, AddingUnrelatedLinkDoesNotChangeOutcomes) {
  const auto run = [](bool extra) {
    EventLoop loop;
    SimNetwork net(loop, {});
    LinkProfile p;
    p.latency = LatencyModel::LogNormal(Duration::Millis(3), 0.6);
    p.loss = LossModel::Bernoulli(0.1);
    std::vector<std::pair<int64_t, int64_t>> arrivals;  // (sent, arrived) at b
    EXPECT_TRUE(net.AddNode("a").ok());
    if (extra) {
      // Added first, so it even takes the node and link indexes "a"->"b" had before.
      EXPECT_TRUE(net.AddNode("c").ok());
      EXPECT_TRUE(net.AddNode("d").ok());
      EXPECT_TRUE(net.AddLink("c", "d", p).ok());
    }
    EXPECT_TRUE(net.AddNode("b",
                            [&arrivals](const Delivery& d) {
                              arrivals.emplace_back(d.sent.micros(), d.arrived.micros());
                            })
                    .ok());
    EXPECT_TRUE(net.AddLink("a", "b", p).ok());
    for (int i = 0; i < 2000; ++i) {
      loop.ScheduleAt(At(i * 100), [&net, extra] {
        EXPECT_TRUE(net.Send("a", "b", Bytes(10)).ok());
        if (extra) {
          EXPECT_TRUE(net.Send("c", "d", Bytes(10)).ok());
        }
      });
    }
    loop.Run();
    return std::make_pair(arrivals, net.Counters("a", "b").value());
  };
  const auto [alone, alone_counters] = run(false);
  const auto [shared, shared_counters] = run(true);
  EXPECT_EQ(alone, shared);
  EXPECT_EQ(alone_counters, shared_counters);
  EXPECT_GT(alone_counters.dropped_loss, 0u);
}

// Faults do not consume or skip draws: the messages after a node outage meet the same fate
// as without it.
TEST(SimNetworkTest, FaultWindowDoesNotShiftLaterDraws) {
  const auto run = [](bool outage) {
    Harness h;
    h.Node("a");
    h.Node("b");
    LinkProfile p;
    p.latency = LatencyModel::Uniform(Duration::Millis(1), Duration::Millis(9));
    p.loss = LossModel::Bernoulli(0.2);
    EXPECT_TRUE(h.net.AddLink("a", "b", p).ok());
    if (outage) {
      EXPECT_TRUE(h.net.NodeDown("b", Ms(100)).ok());
      EXPECT_TRUE(h.net.NodeUp("b", Ms(200)).ok());
    }
    for (int i = 0; i < 500; ++i) h.SendAt(Ms(i), "a", "b");
    h.loop.Run();
    std::vector<Arrival> after;
    for (const Arrival& a : h.At("b")) {
      if (a.sent_us >= 200000) after.push_back(a);
    }
    return after;
  };
  const auto plain = run(false);
  EXPECT_FALSE(plain.empty());
  EXPECT_EQ(plain, run(true));
}

TEST(SimNetworkTest, HandlersMaySendReentrantly) {
  EventLoop loop;
  SimNetwork net(loop, {});
  int pongs = 0;
  ASSERT_TRUE(net.AddNode("ping", [&pongs](const Delivery&) { ++pongs; }).ok());
  ASSERT_TRUE(net.AddNode("pong",
                          [&net](const Delivery& d) {
                            EXPECT_TRUE(
                                net.Send(d.to, d.from, Bytes(d.bytes.begin(), d.bytes.end())).ok());
                          })
                  .ok());
  ASSERT_TRUE(net.Connect("ping", "pong", Fixed(Duration::Millis(1))).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(net.Send("ping", "pong", Bytes(3)).ok());
  loop.Run();
  EXPECT_EQ(pongs, 10);
  EXPECT_EQ(loop.Now(), Ms(2));
  const LinkCounters t = net.Totals();
  EXPECT_EQ(t.sent, 20u);
  EXPECT_EQ(t.delivered, 20u);
  EXPECT_EQ(t.bytes_delivered, 60u);
}

TEST(SimNetworkTest, TraceCanBeTurnedOff) {
  EventLoop loop;
  SimNetworkConfig config;
  config.record_trace = false;
  SimNetwork net(loop, config);
  ASSERT_TRUE(net.AddNode("a").ok());
  ASSERT_TRUE(net.AddNode("b").ok());
  ASSERT_TRUE(net.AddLink("a", "b").ok());
  ASSERT_TRUE(net.Send("a", "b", Bytes(1)).ok());
  loop.Run();
  EXPECT_TRUE(net.trace().empty());
  EXPECT_EQ(net.Totals().delivered, 1u);
}

// ---- preparers ----

// Two nodes over a link (5 ms unless told), "b" with a preparer that sums the bytes; `pool`
// null: none.
struct PreparedRun {
  std::vector<int64_t> sums;  // per delivery to "b": the prepared sum, or -1 for none
  int prepared_calls = 0;
  std::string trace;
};

PreparedRun RunWithPreparer(WorkerPool* pool, LossModel loss = LossModel::None(),
                            Duration latency = Duration::Millis(5)) {
  PreparedRun out;
  EventLoop loop;
  loop.SetWorkers(pool);
  SimNetwork net(loop, SimNetworkConfig{});
  EXPECT_TRUE(net.AddNode("a").ok());
  EXPECT_TRUE(net.AddNode("b",
                          [&out](const Delivery& d) {
                            out.sums.push_back(d.prepared ? *static_cast<int64_t*>(d.prepared.get())
                                                          : -1);
                          })
                  .ok());
  EXPECT_TRUE(net.SetPreparer("b",
                              [&out](std::shared_ptr<const Bytes> bytes) {
                                ++out.prepared_calls;
                                return [bytes]() -> Prepared {
                                  int64_t sum = 0;
                                  for (uint8_t b : *bytes) sum += b;
                                  return std::make_shared<int64_t>(sum);
                                };
                              })
                  .ok());
  LinkProfile p = Fixed(latency);
  p.loss = loss;
  EXPECT_TRUE(net.AddLink("a", "b", p).ok());
  for (int i = 1; i <= 3; ++i) {
    loop.ScheduleAt(Ms(i), [&net, i] {
      EXPECT_TRUE(net.Send("a", "b", Bytes(static_cast<size_t>(i), 7)).ok());
    });
  }
  loop.Run();
  out.trace = net.TraceText();
  return out;
}

TEST(SimNetworkTest, PreparerResultReachesTheHandlerWhenTheLoopHasWorkers) {
  WorkerPool pool(1);
  const PreparedRun run = RunWithPreparer(&pool);
  EXPECT_EQ(run.prepared_calls, 3);
  EXPECT_EQ(run.sums, (std::vector<int64_t>{7, 14, 21}));
}

TEST(SimNetworkTest, PreparerIsNotCalledWithoutWorkers) {
  const PreparedRun run = RunWithPreparer(nullptr);
  EXPECT_EQ(run.prepared_calls, 0);
  EXPECT_EQ(run.sums, (std::vector<int64_t>{-1, -1, -1}));
}

TEST(SimNetworkTest, PreparerDoesNotChangeTheTrace) {
  WorkerPool pool(2);
  EXPECT_EQ(RunWithPreparer(&pool).trace, RunWithPreparer(nullptr).trace);
}

TEST(SimNetworkTest, LostMessageIsNotPrepared) {
  WorkerPool pool(1);
  const PreparedRun run = RunWithPreparer(&pool, LossModel::Bernoulli(1.0));
  EXPECT_EQ(run.prepared_calls, 0);
  EXPECT_TRUE(run.sums.empty());
}

TEST(SimNetworkTest, MessageArrivingAtOnceIsNotPrepared) {
  WorkerPool pool(1);
  const PreparedRun run = RunWithPreparer(&pool, LossModel::None(), Duration());
  EXPECT_EQ(run.prepared_calls, 0);
  EXPECT_EQ(run.sums, (std::vector<int64_t>{-1, -1, -1}));
}

TEST(SimNetworkTest, PreparerOfUnknownNodeIsNotFound) {
  EventLoop loop;
  SimNetwork net(loop, SimNetworkConfig{});
  const Status s = net.SetPreparer("nowhere", {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, make_error_code(Errc::kNotFound));
  EXPECT_NE(s.error().message.find("nowhere"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace renkei::netsim
