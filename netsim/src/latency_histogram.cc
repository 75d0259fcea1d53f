#include "netsim/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace renkei::netsim {

size_t LatencyHistogram::BucketOf(int64_t us) {
  const auto v = static_cast<uint64_t>(std::max<int64_t>(us, 0));
  constexpr uint64_t kLinear = uint64_t{1} << kSubBits;
  if (v < kLinear) return static_cast<size_t>(v);
  // v in [2^e, 2^(e+1)), e >= kSubBits: octave e - kSubBits + 1, sub-bucket from the next bits.
  const int e = std::bit_width(v) - 1;
  const size_t octave = static_cast<size_t>(e - kSubBits + 1);
  const size_t sub = static_cast<size_t>((v >> (e - kSubBits)) - kLinear);
  return std::min((octave << kSubBits) + sub, kBuckets - 1);
}

int64_t LatencyHistogram::LowerEdge(size_t bucket) {
  constexpr size_t kLinear = size_t{1} << kSubBits;
  if (bucket < kLinear) return static_cast<int64_t>(bucket);
  const size_t octave = bucket >> kSubBits;
  const size_t sub = bucket & (kLinear - 1);
  const int e = static_cast<int>(octave) + kSubBits - 1;
  return static_cast<int64_t>((kLinear + sub) << (e - kSubBits));
}

void LatencyHistogram::Add(Duration d) {
  const int64_t us = std::max<int64_t>(d.micros(), 0);
  uint32_t& slot = counts_[BucketOf(us)];
  if (slot != UINT32_MAX) ++slot;  // saturates; 4 billion samples in one bucket is far off
  min_ = count_ == 0 ? us : std::min(min_, us);
  max_ = count_ == 0 ? us : std::max(max_, us);
  ++count_;
}

Duration LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return Duration();
  auto rank =
      static_cast<uint64_t>(std::ceil(std::clamp(p, 0.0, 1.0) * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) return Duration::Micros(std::clamp(LowerEdge(b), min_, max_));
  }
  return max();
}

}  // namespace renkei::netsim
