#include "netsim/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "netsim/rng.h"

namespace renkei::netsim {
namespace {

// The nearest-rank percentile of a sorted vector: what the histogram approximates.
int64_t Exact(const std::vector<int64_t>& sorted, double p) {
  auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  if (i > 0) --i;
  return sorted[std::min(i, sorted.size() - 1)];
}

TEST(LatencyHistogramTest, EmptyGivesZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.95), Duration());
  EXPECT_EQ(h.max(), Duration());
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t us = 0; us < 128; ++us) h.Add(Duration::Micros(us));
  EXPECT_EQ(h.Percentile(0.5), Duration::Micros(63));
  EXPECT_EQ(h.Percentile(1.0), Duration::Micros(127));
  EXPECT_EQ(h.min(), Duration());
}

TEST(LatencyHistogramTest, OneRepeatedValueIsExactThroughTheClamp) {
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) h.Add(Duration::Millis(5));
  EXPECT_EQ(h.Percentile(0.5), Duration::Millis(5));
  EXPECT_EQ(h.Percentile(0.99), Duration::Millis(5));
  EXPECT_EQ(h.max(), Duration::Millis(5));
}

TEST(LatencyHistogramTest, PercentilesStayWithinTheBucketPrecisionOfTheExactOnes) {
  Rng rng(7, Rng::StreamId("histogram"));
  std::vector<int64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    // Log-normal around 40 ms with a long tail, as the national day's latencies.
    const auto us = static_cast<int64_t>(40'000 * std::exp(0.6 * rng.Normal()));
    samples.push_back(us);
    h.Add(Duration::Micros(us));
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {0.01, 0.5, 0.95, 0.99, 0.999}) {
    const double exact = static_cast<double>(Exact(samples, p));
    const double got = static_cast<double>(h.Percentile(p).micros());
    EXPECT_LE(got, exact) << p;  // the lower edge of the exact sample's bucket
    EXPECT_GE(got, exact * (1 - 1.0 / 128)) << p;
  }
  EXPECT_EQ(h.max(), Duration::Micros(samples.back()));
  EXPECT_EQ(h.count(), samples.size());
}

TEST(LatencyHistogramTest, HugeAndNegativeDurationsAreKeptInRange) {
  LatencyHistogram h;
  h.Add(Duration::Micros(-5));
  h.Add(Duration::Days(400));
  EXPECT_EQ(h.Percentile(0.5), Duration());
  EXPECT_EQ(h.max(), Duration::Days(400));
  EXPECT_LE(h.Percentile(1.0), Duration::Days(400));
  EXPECT_GT(h.Percentile(1.0), Duration::Days(12));
}

}  // namespace
}  // namespace renkei::netsim
