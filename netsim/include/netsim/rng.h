// Seeded random streams, identical on every platform.
//
// A simulation has one seed; each component draws from its own stream, derived from
// (seed, stream id), so adding a component or changing how often one draws never shifts the
// numbers another sees (the ns-3 seed × run × stream idea). The generator is xoshiro256**
// seeded through SplitMix64. Distributions are written here, not taken from <random>, whose
// distributions differ between standard libraries.
//
// Thread safety: an Rng is a value; give each thread or component its own.
#pragma once

#include <cstdint>
#include <string_view>

namespace renkei::netsim {

class Rng {
 public:
  // The stream `stream` of simulation seed `seed`.
  Rng(uint64_t seed, uint64_t stream);

  // Stream ids from names ("body/152021/links"), stable across runs and platforms (FNV-1a).
  static uint64_t StreamId(std::string_view name);

  uint64_t Next();
  // Uniform in [0, n); n > 0. Unbiased (Lemire's method with rejection).
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi], inclusive.
  int64_t UniformRange(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double UniformDouble();
  bool Bernoulli(double p);
  // Exponential with the given mean (> 0).
  double Exponential(double mean);
  // Standard normal, Box-Muller (one value per call; the pair's twin is discarded so that the
  // number of draws per call is fixed).
  double Normal();
  // exp(N(mu, sigma)): the log-normal given the log's mean and standard deviation.
  double LogNormal(double mu, double sigma);

 private:
  uint64_t s_[4];
};

}  // namespace renkei::netsim
