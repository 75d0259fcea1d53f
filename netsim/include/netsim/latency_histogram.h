// Percentiles of simulated latencies in fixed memory, for statistics kept over runs of millions
// of queries (an intermediate server's ServerStats over a simulated year).
//
// Log-linear buckets: below 2^kSubBits µs every microsecond is its own bucket; above, each
// power of two is split into 2^kSubBits equal buckets, so a percentile is within 1/2^kSubBits
// (0.8 %) of the exact nearest-rank sample, and never outside the exact minimum and maximum.
// About 18 KiB per histogram whatever the count, against 8 bytes per sample for a sorted vector.
// Thread safety: a plain value.
#pragma once

#include <array>
#include <cstdint>

#include "netsim/time.h"

namespace renkei::netsim {

class LatencyHistogram {
 public:
  // Negative durations count as 0; durations past about 2^40 µs (12.7 days) share the last
  // bucket (the maximum stays exact).
  void Add(Duration d);
  uint64_t count() const { return count_; }
  Duration min() const { return Duration::Micros(min_); }
  Duration max() const { return Duration::Micros(max_); }
  // Nearest rank: the smallest value with at least p of the samples at or below it, as the
  // lower edge of its bucket clamped to [min, max]. 0 when empty; p in [0, 1].
  Duration Percentile(double p) const;

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kOctaves = 41 - kSubBits;  // up to 2^41 µs
  static constexpr size_t kBuckets = (static_cast<size_t>(kOctaves) + 1) << kSubBits;
  static size_t BucketOf(int64_t us);
  static int64_t LowerEdge(size_t bucket);

  std::array<uint32_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace renkei::netsim
