// The simulated network: nodes joined by directed links on the discrete-event loop.
//
// A node is a name: a body's 機関コード or a system name such as "nws-interface". A link from
// one node to another carries serialized bytes only (an encoded Envelope in practice), never a
// C++ object, and delivers them to the receiving node's handler after the link's serialization
// delay and latency, unless the message is lost. Each link has a LinkProfile (latency model,
// loss model, bandwidth); SimNetworkConfig::default_profile is used where none is given.
//
// What happens to a message sent at time t on link (from, to), in this order:
//   1. The link's random stream draws the loss decision and the latency, always, whatever
//      happens next, so a partition, a node outage or a drop list never shifts the numbers
//      later messages see. Each link has its own stream Rng(seed, StreamId("link/<from>/<to>")),
//      so adding a link or a node does not change any other link's draws.
//   2. Dropped at t with reason node-down if `from` or `to` is down at t, else with reason
//      partition if a partition separates them at t. These messages never occupy the link.
//   3. Otherwise the message joins the link's FIFO transmit queue: it starts transmitting when
//      the previous message on the link has finished, and takes size × 8 / bandwidth (rounded
//      up to a whole microsecond). Then it is dropped at t with reason drop-list if a drop rule
//      matches, or with reason loss if the loss draw says so; such messages still occupied the
//      link (they were lost on the wire, after being sent).
//   4. Otherwise it arrives at transmit end + latency. On arrival it is dropped with reason
//      node-down if `to` is down then (in-flight messages to a node that went down are lost),
//      or partition if a partition began meanwhile; otherwise the handler runs.
// Down windows and partitions are half-open [from, until): a message at exactly `from` is
// dropped, one at exactly `until` goes through. Loss changes apply to messages sent at or after
// their time. Messages at equal times are handled in the order of the event loop (FIFO).
//
// Every send, delivery and drop is appended to an in-memory trace; TraceText renders it in a
// canonical text form, so the same inputs and seed give a byte-identical trace.
//
// Thread safety: none. A SimNetwork and its EventLoop belong to one thread. Handlers run on the
// loop and may call Send (and anything else here) re-entrantly.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/event_loop.h"
#include "netsim/result.h"
#include "netsim/rng.h"
#include "netsim/time.h"

namespace renkei::netsim {

// How long a message travels once fully transmitted.
struct LatencyModel {
  enum class Kind { kFixed, kUniform, kLogNormal };
  Kind kind = Kind::kFixed;
  // kFixed: always `fixed`.
  Duration fixed = Duration::Millis(2);
  // kUniform: uniform over [min, max] in whole microseconds.
  Duration min = Duration::Millis(1);
  Duration max = Duration::Millis(3);
  // kLogNormal: exp(N(ln(median), sigma)), rounded to whole microseconds and capped at `cap`
  // (a log-normal tail is unbounded; a latency of days would only stall a simulation).
  Duration median = Duration::Millis(2);
  double sigma = 0.5;
  Duration cap = Duration::Seconds(60);

  static LatencyModel Fixed(Duration d);
  static LatencyModel Uniform(Duration min, Duration max);
  static LatencyModel LogNormal(Duration median, double sigma);
};

// Which messages are lost on the wire.
struct LossModel {
  enum class Kind { kNone, kBernoulli, kGilbertElliott };
  Kind kind = Kind::kNone;
  // kBernoulli: each message lost independently with probability `p`.
  double p = 0.0;
  // kGilbertElliott: a two-state Markov chain (good, bad) that steps once per message sent on
  // the link, before the message's loss is drawn with the state's loss probability. Long bad
  // spells give bursts of losses. The chain starts good.
  double p_good_to_bad = 0.01;
  double p_bad_to_good = 0.3;
  double loss_good = 0.0;
  double loss_bad = 0.8;

  static LossModel None();
  static LossModel Bernoulli(double p);
  static LossModel GilbertElliott(double p_good_to_bad, double p_bad_to_good, double loss_good,
                                  double loss_bad);
};

struct LinkProfile {
  LatencyModel latency;
  LossModel loss;
  // Bits per second; 0 means unlimited (no serialization delay, no queueing).
  int64_t bandwidth_bps = 0;
  // True keeps arrivals in send order even when latency varies (a TCP-like stream): a message
  // never arrives before the one sent ahead of it. False lets jitter reorder (datagrams).
  bool in_order = false;
};

struct SimNetworkConfig {
  uint64_t seed = 1;
  LinkProfile default_profile;
  // Off for long benchmark runs; counters are kept either way.
  bool record_trace = true;
};

enum class DropReason { kLoss, kPartition, kNodeDown, kDropList };
// "loss", "partition", "node-down", "drop-list".
std::string_view DropReasonName(DropReason reason);

// What a node's Preparer computed from a message's bytes while it was in flight; only that
// node knows the type behind it.
using Prepared = std::shared_ptr<void>;

// A message arriving at a node; the views are valid only during the handler call.
struct Delivery {
  const std::string& from;
  const std::string& to;
  crypto::ByteView bytes;
  SimTime sent;
  SimTime arrived;
  // Network-wide sequence number of the message, from 1 in send order.
  uint64_t seq;
  // The node's Preparer result for these bytes; null when it has none, when the loop has no
  // worker pool, or when the preparer declined. The handler may move from it.
  Prepared prepared = nullptr;
};
using DeliveryHandler = std::function<void(const Delivery&)>;

// Pure work on the bytes of a message sent to a node (decoding, signature checks), started on
// the loop's worker pool when the message goes on the link, so a worker computes it while the
// message is in flight instead of the loop thread waiting for it on arrival. Called on the
// loop thread at send time; returns the work, or an empty function for none. The preparer
// must not change anything a run's outcome depends on, and the work must be pure (it runs on
// another thread and owns what it reads): the handler gets the result in Delivery::prepared
// and must reach the same outcome as without it, so results do not depend on thread count.
// The work may keep `bytes`: they are the message's own, shared, never changed. Not called
// for a message that is dropped when sent, nor for one that arrives at the instant it was
// sent (no time in flight to use: work posted on arrival has the same slack).
using Preparer =
    std::function<std::function<Prepared()>(std::shared_ptr<const crypto::Bytes> bytes)>;

// A message being sent, as drop rules see it.
struct Outgoing {
  const std::string& from;
  const std::string& to;
  crypto::ByteView bytes;
  SimTime sent;
  uint64_t seq;
  // 1 for the first message ever sent on this link, counting dropped ones.
  uint64_t link_count;
};
using DropPredicate = std::function<bool(const Outgoing&)>;

struct LinkCounters {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_partition = 0;
  uint64_t dropped_node_down = 0;
  uint64_t dropped_drop_list = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_delivered = 0;

  uint64_t dropped() const {
    return dropped_loss + dropped_partition + dropped_node_down + dropped_drop_list;
  }
  friend bool operator==(const LinkCounters&, const LinkCounters&) = default;
};

struct TraceRecord {
  enum class Event { kSend, kDeliver, kDrop };
  SimTime at;
  Event event;
  DropReason reason;  // meaningful for kDrop only
  uint64_t seq;
  uint32_t link;
  uint32_t size;
  // A 64-bit fingerprint of the bytes (not a cryptographic hash): the trace shows that
  // contents match too, not just sizes.
  uint64_t digest;
};

class SimNetwork {
 public:
  SimNetwork(EventLoop& loop, SimNetworkConfig config);
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // A node named `name` (1-64 printable ASCII characters without spaces; unique), delivering
  // to `handler` (none: messages are counted as delivered and discarded).
  Status AddNode(std::string name, DeliveryHandler handler = {});
  Status SetHandler(std::string_view node, DeliveryHandler handler);
  // Work to start for each message sent to `node` (see Preparer); none by default. Used only
  // when the loop has a worker pool: without one, nothing could run it ahead of arrival.
  Status SetPreparer(std::string_view node, Preparer preparer);
  // A directed link; both nodes must exist and the link must be new. kInvalidArgument for a
  // profile that breaks a rule (negative times, probabilities outside [0, 1], min > max, ...).
  Status AddLink(std::string_view from, std::string_view to, const LinkProfile& profile);
  Status AddLink(std::string_view from, std::string_view to);
  // Links in both directions with the same profile.
  Status Connect(std::string_view a, std::string_view b, const LinkProfile& profile);
  Status Connect(std::string_view a, std::string_view b);

  // Sends `bytes` on link (from, to) now; returns the message's sequence number. Whether it
  // arrives is a domain outcome (trace and counters), not an error: only an unknown link is
  // kNotFound, and a message above 4 GiB is kInvalidArgument.
  Result<uint64_t> Send(std::string_view from, std::string_view to, crypto::Bytes bytes);

  // The node is down from `at` until a later NodeUp (kInvalidArgument for a time in the past).
  // Both may be scheduled ahead; the latest call for one instant wins.
  Status NodeDown(std::string_view node, SimTime at);
  Status NodeUp(std::string_view node, SimTime at);
  bool IsNodeDown(std::string_view node, SimTime at) const;
  // Messages between any node of `side_a` and any node of `side_b` (both directions) are
  // dropped during [from, until). An empty `side_b` means every node not in `side_a`.
  Status AddPartition(std::vector<std::string> side_a, std::vector<std::string> side_b,
                      SimTime from, SimTime until);
  // The link's loss model becomes `loss` for messages sent at or after `at` (a scenario
  // "fault" event). A Gilbert–Elliott chain keeps its state across changes.
  Status ChangeLoss(std::string_view from, std::string_view to, SimTime at, LossModel loss);
  // The loss model of link (from, to) for a message sent at `at`: its profile's, or the latest
  // ChangeLoss at or before `at` (so a temporary change can restore what was there).
  Result<LossModel> LossAt(std::string_view from, std::string_view to, SimTime at) const;
  // Every link as (from, to), in the order they were added.
  std::vector<std::pair<std::string, std::string>> Links() const;

  // Deterministic drops for compliance tests, checked for every message on the link.
  // The `n`-th message ever sent on the link (from 1).
  Status DropNth(std::string_view from, std::string_view to, uint64_t n);
  // Messages for which `predicate` is true.
  Status DropIf(std::string_view from, std::string_view to, DropPredicate predicate);
  // Encoded envelopes whose MessageId is in `message_ids` (bytes that do not decode never
  // match).
  Status DropMessageIds(std::string_view from, std::string_view to,
                        std::vector<std::string> message_ids);

  Result<LinkCounters> Counters(std::string_view from, std::string_view to) const;
  LinkCounters Totals() const;

  const std::vector<TraceRecord>& trace() const { return trace_; }
  // One line per record, in the order they happened:
  //   "<µs> send <seq> <from> <to> <size> <digest>"
  //   "<µs> deliver <seq> <from> <to> <size> <digest>"
  //   "<µs> drop <seq> <from> <to> <size> <digest> <reason>"
  // with the time as the integer microseconds of SimTime and the digest as 16 hex digits.
  std::string TraceText() const;

 private:
  struct Node {
    std::string name;
    DeliveryHandler handler;
    Preparer preparer;
    // Up/down changes by time (µs): the state at t is the last change at or before t.
    std::map<int64_t, bool> down_changes;
  };
  struct Link {
    Link(uint32_t f, uint32_t t, const LinkProfile& p, Rng r)
        : from(f), to(t), profile(p), rng(r) {}
    uint32_t from;
    uint32_t to;
    LinkProfile profile;
    Rng rng;
    std::map<int64_t, LossModel> loss_changes;
    bool ge_bad = false;
    uint64_t count = 0;
    SimTime busy_until;
    SimTime last_arrival;
    std::vector<uint64_t> drop_nth;  // sorted
    std::vector<DropPredicate> drop_predicates;
    std::vector<std::string> drop_ids;  // sorted
    LinkCounters counters;
  };
  struct Partition {
    std::vector<bool> in_a;  // by node index, sized at creation
    std::vector<bool> in_b;
    bool b_is_rest;
    SimTime from;
    SimTime until;
  };

  Result<uint32_t> NodeIndex(std::string_view name) const;
  Result<uint32_t> LinkIndex(std::string_view from, std::string_view to) const;
  bool Down(uint32_t node, SimTime at) const;
  bool Partitioned(uint32_t a, uint32_t b, SimTime at) const;
  Status ScheduleState(std::string_view node, SimTime at, bool down);
  void Record(TraceRecord::Event event, DropReason reason, SimTime at, uint64_t seq, uint32_t link,
              uint32_t size, uint64_t digest);
  void Drop(Link& link, DropReason reason, SimTime at, uint64_t seq, uint32_t link_index,
            uint32_t size, uint64_t digest);
  // A receiver's preparation in flight: the job and where it leaves its result.
  struct PreparedJob {
    WorkerPool::JobPtr job;
    std::shared_ptr<Prepared> result;
  };
  void Arrive(uint32_t link_index, uint64_t seq, SimTime sent, const crypto::Bytes& bytes,
              uint64_t digest, const PreparedJob& prep);

  EventLoop& loop_;
  SimNetworkConfig config_;
  // A deque so that names handed to handlers by reference stay put when nodes are added.
  std::deque<Node> nodes_;
  std::map<std::string, uint32_t, std::less<>> node_index_;
  std::deque<Link> links_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> link_index_;
  std::vector<Partition> partitions_;
  std::vector<TraceRecord> trace_;
  uint64_t next_seq_ = 1;
};

}  // namespace renkei::netsim
