#include "netsim/sim_network.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>

#include "netsim/envelope.h"
#include "netsim/errors.h"

namespace renkei::netsim {
namespace {

// GCC's 128-bit integer, named through __extension__ so -Wpedantic accepts it.
__extension__ using U128 = unsigned __int128;

// The trace's content fingerprint: 64 bits, word at a time (a byte-wise FNV-1a cost more than
// the rest of a send for 1 KiB messages). Words are read little-endian explicitly so the value
// is the same on every platform; the SplitMix64 finaliser spreads the last word's bits.
uint64_t Fingerprint(crypto::ByteView bytes) {
  uint64_t h = 0xcbf29ce484222325ULL ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w = 0;
    for (size_t k = 0; k < 8; ++k) w |= uint64_t{bytes[i + k]} << (8 * k);
    h = ((h ^ w) * 0x100000001b3ULL);
    h ^= h >> 32;
  }
  for (; i < bytes.size(); ++i) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
  return h ^ (h >> 31);
}

bool IsProbability(double p) { return p >= 0.0 && p <= 1.0; }  // false for NaN

std::optional<std::string> CheckLoss(const LossModel& m) {
  switch (m.kind) {
    case LossModel::Kind::kNone:
      return std::nullopt;
    case LossModel::Kind::kBernoulli:
      if (!IsProbability(m.p)) return "loss p must be in [0, 1]";
      return std::nullopt;
    case LossModel::Kind::kGilbertElliott:
      if (!IsProbability(m.p_good_to_bad) || !IsProbability(m.p_bad_to_good) ||
          !IsProbability(m.loss_good) || !IsProbability(m.loss_bad)) {
        return "Gilbert-Elliott probabilities must be in [0, 1]";
      }
      return std::nullopt;
  }
  return "unknown loss model";
}

std::optional<std::string> CheckProfile(const LinkProfile& p) {
  const LatencyModel& l = p.latency;
  switch (l.kind) {
    case LatencyModel::Kind::kFixed:
      if (l.fixed < Duration()) return "fixed latency must not be negative";
      break;
    case LatencyModel::Kind::kUniform:
      if (l.min < Duration() || l.max < l.min) return "uniform latency needs 0 <= min <= max";
      break;
    case LatencyModel::Kind::kLogNormal:
      if (l.median <= Duration()) return "log-normal median must be positive";
      if (!(l.sigma >= 0.0 && l.sigma <= 10.0)) return "log-normal sigma must be in [0, 10]";
      if (l.cap < Duration()) return "latency cap must not be negative";
      break;
    default:
      return "unknown latency model";
  }
  if (p.bandwidth_bps < 0) return "bandwidth must not be negative";
  return CheckLoss(p.loss);
}

Error Invalid(std::string message) {
  return MakeError(Errc::kInvalidArgument, "sim network: " + std::move(message));
}

bool ValidNodeName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

LatencyModel LatencyModel::Fixed(Duration d) {
  LatencyModel m;
  m.kind = Kind::kFixed;
  m.fixed = d;
  return m;
}

LatencyModel LatencyModel::Uniform(Duration lo, Duration hi) {
  LatencyModel m;
  m.kind = Kind::kUniform;
  m.min = lo;
  m.max = hi;
  return m;
}

LatencyModel LatencyModel::LogNormal(Duration median_latency, double log_sigma) {
  LatencyModel m;
  m.kind = Kind::kLogNormal;
  m.median = median_latency;
  m.sigma = log_sigma;
  return m;
}

LossModel LossModel::None() { return LossModel{}; }

LossModel LossModel::Bernoulli(double loss_p) {
  LossModel m;
  m.kind = Kind::kBernoulli;
  m.p = loss_p;
  return m;
}

LossModel LossModel::GilbertElliott(double good_to_bad, double bad_to_good, double in_good,
                                    double in_bad) {
  LossModel m;
  m.kind = Kind::kGilbertElliott;
  m.p_good_to_bad = good_to_bad;
  m.p_bad_to_good = bad_to_good;
  m.loss_good = in_good;
  m.loss_bad = in_bad;
  return m;
}

std::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kLoss:
      return "loss";
    case DropReason::kPartition:
      return "partition";
    case DropReason::kNodeDown:
      return "node-down";
    case DropReason::kDropList:
      return "drop-list";
  }
  return "?";
}

SimNetwork::SimNetwork(EventLoop& loop, SimNetworkConfig config)
    : loop_(loop), config_(std::move(config)) {}

Result<uint32_t> SimNetwork::NodeIndex(std::string_view name) const {
  const auto it = node_index_.find(name);
  if (it == node_index_.end()) {
    return MakeError(Errc::kNotFound, "sim network: no node '" + std::string(name) + "'");
  }
  return it->second;
}

Result<uint32_t> SimNetwork::LinkIndex(std::string_view from, std::string_view to) const {
  RENKEI_TRY(const uint32_t f, NodeIndex(from));
  RENKEI_TRY(const uint32_t t, NodeIndex(to));
  const auto it = link_index_.find({f, t});
  if (it == link_index_.end()) {
    return MakeError(Errc::kNotFound,
                     "sim network: no link " + std::string(from) + " -> " + std::string(to));
  }
  return it->second;
}

Status SimNetwork::AddNode(std::string name, DeliveryHandler handler) {
  if (!ValidNodeName(name)) {
    return Invalid("node name must be 1-64 printable ASCII characters without spaces");
  }
  if (node_index_.contains(name)) return Invalid("node '" + name + "' already exists");
  const auto index = static_cast<uint32_t>(nodes_.size());
  node_index_.emplace(name, index);
  nodes_.push_back(Node{std::move(name), std::move(handler), {}, {}});
  return OkStatus();
}

Status SimNetwork::SetHandler(std::string_view node, DeliveryHandler handler) {
  RENKEI_TRY(const uint32_t i, NodeIndex(node));
  nodes_[i].handler = std::move(handler);
  return OkStatus();
}

Status SimNetwork::SetPreparer(std::string_view node, Preparer preparer) {
  RENKEI_TRY(const uint32_t i, NodeIndex(node));
  nodes_[i].preparer = std::move(preparer);
  return OkStatus();
}

Status SimNetwork::AddLink(std::string_view from, std::string_view to, const LinkProfile& profile) {
  RENKEI_TRY(const uint32_t f, NodeIndex(from));
  RENKEI_TRY(const uint32_t t, NodeIndex(to));
  if (f == t) return Invalid("a link needs two different nodes");
  if (link_index_.contains({f, t})) {
    return Invalid("link " + std::string(from) + " -> " + std::string(to) + " already exists");
  }
  if (auto why = CheckProfile(profile)) {
    return Invalid("link " + std::string(from) + " -> " + std::string(to) + ": " + *why);
  }
  const std::string stream = "link/" + std::string(from) + "/" + std::string(to);
  const auto index = static_cast<uint32_t>(links_.size());
  links_.emplace_back(f, t, profile, Rng(config_.seed, Rng::StreamId(stream)));
  link_index_.emplace(std::make_pair(f, t), index);
  return OkStatus();
}

Status SimNetwork::AddLink(std::string_view from, std::string_view to) {
  return AddLink(from, to, config_.default_profile);
}

Status SimNetwork::Connect(std::string_view a, std::string_view b, const LinkProfile& profile) {
  RENKEI_CHECK_OK(AddLink(a, b, profile));
  return AddLink(b, a, profile);
}

Status SimNetwork::Connect(std::string_view a, std::string_view b) {
  return Connect(a, b, config_.default_profile);
}

bool SimNetwork::Down(uint32_t node, SimTime at) const {
  const auto& changes = nodes_[node].down_changes;
  auto it = changes.upper_bound(at.micros());
  if (it == changes.begin()) return false;
  return std::prev(it)->second;
}

bool SimNetwork::IsNodeDown(std::string_view node, SimTime at) const {
  const auto i = NodeIndex(node);
  return i.ok() && Down(*i, at);
}

Status SimNetwork::ScheduleState(std::string_view node, SimTime at, bool down) {
  RENKEI_TRY(const uint32_t i, NodeIndex(node));
  // A change in the past would rewrite outcomes already traced.
  if (at < loop_.Now()) return Invalid("node state change in the past");
  nodes_[i].down_changes[at.micros()] = down;
  return OkStatus();
}

Status SimNetwork::NodeDown(std::string_view node, SimTime at) {
  return ScheduleState(node, at, true);
}

Status SimNetwork::NodeUp(std::string_view node, SimTime at) {
  return ScheduleState(node, at, false);
}

Status SimNetwork::AddPartition(std::vector<std::string> side_a, std::vector<std::string> side_b,
                                SimTime from, SimTime until) {
  if (side_a.empty()) return Invalid("a partition needs at least one node on side A");
  if (!(from < until)) return Invalid("a partition needs from < until");
  Partition p{std::vector<bool>(nodes_.size()), std::vector<bool>(nodes_.size()), side_b.empty(),
              from, until};
  for (const std::string& n : side_a) {
    RENKEI_TRY(const uint32_t i, NodeIndex(n));
    p.in_a[i] = true;
  }
  for (const std::string& n : side_b) {
    RENKEI_TRY(const uint32_t i, NodeIndex(n));
    if (p.in_a[i]) return Invalid("node '" + n + "' is on both sides of a partition");
    p.in_b[i] = true;
  }
  partitions_.push_back(std::move(p));
  return OkStatus();
}

bool SimNetwork::Partitioned(uint32_t a, uint32_t b, SimTime at) const {
  for (const Partition& p : partitions_) {
    if (at < p.from || !(at < p.until)) continue;
    const auto in_a = [&p](uint32_t n) { return n < p.in_a.size() && p.in_a[n]; };
    const auto in_b = [&p, &in_a](uint32_t n) {
      return p.b_is_rest ? !in_a(n) : n < p.in_b.size() && p.in_b[n];
    };
    if ((in_a(a) && in_b(b)) || (in_a(b) && in_b(a))) return true;
  }
  return false;
}

Status SimNetwork::ChangeLoss(std::string_view from, std::string_view to, SimTime at,
                              LossModel loss) {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  if (auto why = CheckLoss(loss)) return Invalid(*why);
  if (at < loop_.Now()) return Invalid("loss change in the past");
  links_[i].loss_changes[at.micros()] = loss;
  return OkStatus();
}

Result<LossModel> SimNetwork::LossAt(std::string_view from, std::string_view to, SimTime at) const {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  const Link& link = links_[i];
  auto it = link.loss_changes.upper_bound(at.micros());
  return it == link.loss_changes.begin() ? link.profile.loss : std::prev(it)->second;
}

std::vector<std::pair<std::string, std::string>> SimNetwork::Links() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(links_.size());
  for (const Link& l : links_) out.emplace_back(nodes_[l.from].name, nodes_[l.to].name);
  return out;
}

Status SimNetwork::DropNth(std::string_view from, std::string_view to, uint64_t n) {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  if (n == 0) return Invalid("DropNth counts messages from 1");
  auto& v = links_[i].drop_nth;
  v.insert(std::upper_bound(v.begin(), v.end(), n), n);
  return OkStatus();
}

Status SimNetwork::DropIf(std::string_view from, std::string_view to, DropPredicate predicate) {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  if (!predicate) return Invalid("DropIf needs a predicate");
  links_[i].drop_predicates.push_back(std::move(predicate));
  return OkStatus();
}

Status SimNetwork::DropMessageIds(std::string_view from, std::string_view to,
                                  std::vector<std::string> message_ids) {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  auto& v = links_[i].drop_ids;
  v.insert(v.end(), std::make_move_iterator(message_ids.begin()),
           std::make_move_iterator(message_ids.end()));
  std::sort(v.begin(), v.end());
  return OkStatus();
}

Result<LinkCounters> SimNetwork::Counters(std::string_view from, std::string_view to) const {
  RENKEI_TRY(const uint32_t i, LinkIndex(from, to));
  return links_[i].counters;
}

LinkCounters SimNetwork::Totals() const {
  LinkCounters t;
  for (const Link& l : links_) {
    t.sent += l.counters.sent;
    t.delivered += l.counters.delivered;
    t.dropped_loss += l.counters.dropped_loss;
    t.dropped_partition += l.counters.dropped_partition;
    t.dropped_node_down += l.counters.dropped_node_down;
    t.dropped_drop_list += l.counters.dropped_drop_list;
    t.bytes_sent += l.counters.bytes_sent;
    t.bytes_delivered += l.counters.bytes_delivered;
  }
  return t;
}

void SimNetwork::Record(TraceRecord::Event event, DropReason reason, SimTime at, uint64_t seq,
                        uint32_t link, uint32_t size, uint64_t digest) {
  if (config_.record_trace)
    trace_.push_back(TraceRecord{at, event, reason, seq, link, size, digest});
}

void SimNetwork::Drop(Link& link, DropReason reason, SimTime at, uint64_t seq, uint32_t link_index,
                      uint32_t size, uint64_t digest) {
  switch (reason) {
    case DropReason::kLoss:
      ++link.counters.dropped_loss;
      break;
    case DropReason::kPartition:
      ++link.counters.dropped_partition;
      break;
    case DropReason::kNodeDown:
      ++link.counters.dropped_node_down;
      break;
    case DropReason::kDropList:
      ++link.counters.dropped_drop_list;
      break;
  }
  Record(TraceRecord::Event::kDrop, reason, at, seq, link_index, size, digest);
}

Result<uint64_t> SimNetwork::Send(std::string_view from, std::string_view to, crypto::Bytes bytes) {
  RENKEI_TRY(const uint32_t li, LinkIndex(from, to));
  if (bytes.size() > UINT32_MAX) return Invalid("message above 4 GiB");
  Link& link = links_[li];
  const SimTime now = loop_.Now();
  const uint64_t seq = next_seq_++;
  const uint64_t link_count = ++link.count;
  const auto size = static_cast<uint32_t>(bytes.size());
  const uint64_t digest = config_.record_trace ? Fingerprint(bytes) : 0;

  // 1. The draws, always and in a fixed order: loss first, then latency.
  const LossModel* loss = &link.profile.loss;
  if (!link.loss_changes.empty()) {
    auto it = link.loss_changes.upper_bound(now.micros());
    if (it != link.loss_changes.begin()) loss = &std::prev(it)->second;
  }
  bool lost = false;
  switch (loss->kind) {
    case LossModel::Kind::kNone:
      break;
    case LossModel::Kind::kBernoulli:
      lost = link.rng.Bernoulli(loss->p);
      break;
    case LossModel::Kind::kGilbertElliott: {
      const bool flip = link.rng.Bernoulli(link.ge_bad ? loss->p_bad_to_good : loss->p_good_to_bad);
      if (flip) link.ge_bad = !link.ge_bad;
      lost = link.rng.Bernoulli(link.ge_bad ? loss->loss_bad : loss->loss_good);
      break;
    }
  }
  const LatencyModel& lat = link.profile.latency;
  Duration latency;
  switch (lat.kind) {
    case LatencyModel::Kind::kFixed:
      latency = lat.fixed;
      break;
    case LatencyModel::Kind::kUniform:
      latency = Duration::Micros(link.rng.UniformRange(lat.min.micros(), lat.max.micros()));
      break;
    case LatencyModel::Kind::kLogNormal: {
      const double us =
          link.rng.LogNormal(std::log(static_cast<double>(lat.median.micros())), lat.sigma);
      const auto cap = static_cast<double>(lat.cap.micros());
      latency = Duration::Micros(static_cast<int64_t>(std::llround(std::min(us, cap))));
      break;
    }
  }

  ++link.counters.sent;
  link.counters.bytes_sent += size;
  Record(TraceRecord::Event::kSend, DropReason::kLoss, now, seq, li, size, digest);

  // 2. Faults that keep the message off the link.
  if (Down(link.from, now) || Down(link.to, now)) {
    Drop(link, DropReason::kNodeDown, now, seq, li, size, digest);
    return seq;
  }
  if (!partitions_.empty() && Partitioned(link.from, link.to, now)) {
    Drop(link, DropReason::kPartition, now, seq, li, size, digest);
    return seq;
  }

  // 3. The transmit queue: a message waits for the one ahead of it on this link.
  const SimTime tx_start = std::max(now, link.busy_until);
  Duration serialization;
  if (link.profile.bandwidth_bps > 0) {
    const U128 bits_us = static_cast<U128>(size) * 8 * 1'000'000;
    const auto bps = static_cast<U128>(link.profile.bandwidth_bps);
    serialization = Duration::Micros(static_cast<int64_t>((bits_us + bps - 1) / bps));
  }
  link.busy_until = tx_start + serialization;

  bool listed = std::binary_search(link.drop_nth.begin(), link.drop_nth.end(), link_count);
  if (!listed && !link.drop_predicates.empty()) {
    const Outgoing out{nodes_[link.from].name, nodes_[link.to].name, bytes, now, seq, link_count};
    for (const DropPredicate& p : link.drop_predicates) listed = listed || p(out);
  }
  if (!listed && !link.drop_ids.empty()) {
    const auto envelope = Decode(bytes);
    listed = envelope.ok() &&
             std::binary_search(link.drop_ids.begin(), link.drop_ids.end(), envelope->message_id);
  }
  if (listed) {
    Drop(link, DropReason::kDropList, now, seq, li, size, digest);
    return seq;
  }
  if (lost) {
    Drop(link, DropReason::kLoss, now, seq, li, size, digest);
    return seq;
  }

  // 4. In flight until arrival.
  SimTime arrival = link.busy_until + latency;
  if (link.profile.in_order) arrival = std::max(arrival, link.last_arrival);
  link.last_arrival = std::max(link.last_arrival, arrival);
  // The receiver's preparation runs while the message travels; the arrival waits for it.
  // Nothing is drawn or scheduled differently with or without it. Only a message that spends
  // time in flight: one arriving at the instant it was sent gains nothing over the receiver
  // posting the work on arrival (Offload), and costs a hand-over.
  WorkerPool* pool = loop_.workers();
  if (pool != nullptr && arrival > now && nodes_[link.to].preparer) {
    auto shared = std::make_shared<const crypto::Bytes>(std::move(bytes));
    PreparedJob prep;
    if (std::function<Prepared()> work = nodes_[link.to].preparer(shared)) {
      prep.result = std::make_shared<Prepared>();
      prep.job = pool->Submit([out = prep.result, work = std::move(work)] { *out = work(); });
    }
    loop_.ScheduleAt(arrival, [this, li, seq, now, digest, b = std::move(shared),
                               prep = std::move(prep)] { Arrive(li, seq, now, *b, digest, prep); });
    return seq;
  }
  loop_.ScheduleAt(arrival, [this, li, seq, now, digest, b = std::move(bytes)] {
    Arrive(li, seq, now, b, digest, PreparedJob{});
  });
  return seq;
}

void SimNetwork::Arrive(uint32_t link_index, uint64_t seq, SimTime sent, const crypto::Bytes& bytes,
                        uint64_t digest, const PreparedJob& prep) {
  Link& link = links_[link_index];
  const SimTime now = loop_.Now();
  const auto size = static_cast<uint32_t>(bytes.size());
  if (Down(link.to, now)) {
    Drop(link, DropReason::kNodeDown, now, seq, link_index, size, digest);
    return;
  }
  if (!partitions_.empty() && Partitioned(link.from, link.to, now)) {
    Drop(link, DropReason::kPartition, now, seq, link_index, size, digest);
    return;
  }
  ++link.counters.delivered;
  link.counters.bytes_delivered += size;
  Record(TraceRecord::Event::kDeliver, DropReason::kLoss, now, seq, link_index, size, digest);
  const Node& to = nodes_[link.to];
  if (to.handler) {
    // Copy the handler: it may replace itself (SetHandler) while running.
    const DeliveryHandler handler = to.handler;
    Prepared prepared;
    if (prep.job) {
      loop_.workers()->Wait(prep.job);
      prepared = std::move(*prep.result);
    }
    handler(Delivery{nodes_[link.from].name, to.name, bytes, sent, now, seq, std::move(prepared)});
  }
}

std::string SimNetwork::TraceText() const {
  static constexpr std::string_view kEvents[] = {"send", "deliver", "drop"};
  std::string out;
  out.reserve(trace_.size() * 80);
  char digest[17];
  for (const TraceRecord& r : trace_) {
    const Link& l = links_[r.link];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(r.digest));
    out += std::to_string(r.at.micros());
    out += ' ';
    out += kEvents[static_cast<size_t>(r.event)];
    out += ' ';
    out += std::to_string(r.seq);
    out += ' ';
    out += nodes_[l.from].name;
    out += ' ';
    out += nodes_[l.to].name;
    out += ' ';
    out += std::to_string(r.size);
    out += ' ';
    out += digest;
    if (r.event == TraceRecord::Event::kDrop) {
      out += ' ';
      out += DropReasonName(r.reason);
    }
    out += '\n';
  }
  return out;
}

}  // namespace renkei::netsim
