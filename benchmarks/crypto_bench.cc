// Cost of the cryptographic primitives. Signatures are the cost floor of the whole simulator
// (every permit and answer is signed and verified), so these figures bound its throughput.
//
//   bench_crypto --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "netsim/crypto.h"

namespace renkei::netsim::crypto {
namespace {

Bytes Filled(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 31 + 7);
  return b;
}

// About the size of a signed permit.
const Bytes& PermitMessage() {
  static const Bytes msg = Filled(512);
  return msg;
}

std::shared_ptr<const PrivateKey> SeededKey(benchmark::State& state, KeyType type) {
  auto key = PrivateKey::FromSeed(type, Filled(32));
  if (!key.ok()) {
    state.SkipWithError(key.error().message.c_str());
    return nullptr;
  }
  return *key;
}

void BM_Sign(benchmark::State& state, KeyType type) {
  const auto key = SeededKey(state, type);
  if (!key) return;
  const Signer signer(key);
  for (auto _ : state) {
    auto sig = signer.Sign(PermitMessage());
    if (!sig.ok()) {
      state.SkipWithError(sig.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(sig);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * PermitMessage().size()));
}

void BM_Verify(benchmark::State& state, KeyType type) {
  const auto key = SeededKey(state, type);
  if (!key) return;
  auto pub = PublicKey::FromPrivate(*key);
  auto sig = Signer(key).Sign(PermitMessage());
  if (!pub.ok() || !sig.ok()) {
    state.SkipWithError("setup failed");
    return;
  }
  const Verifier verifier(*pub);
  for (auto _ : state) {
    auto ok = verifier.Verify(PermitMessage(), *sig);
    if (!ok.ok()) {
      state.SkipWithError(ok.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * PermitMessage().size()));
}

void BM_EcdsaP256Sign(benchmark::State& state) { BM_Sign(state, KeyType::kEcdsaP256); }
void BM_EcdsaP256Verify(benchmark::State& state) { BM_Verify(state, KeyType::kEcdsaP256); }
void BM_Ed25519Sign(benchmark::State& state) { BM_Sign(state, KeyType::kEd25519); }
void BM_Ed25519Verify(benchmark::State& state) { BM_Verify(state, KeyType::kEd25519); }
BENCHMARK(BM_EcdsaP256Sign);
BENCHMARK(BM_EcdsaP256Verify);
BENCHMARK(BM_Ed25519Sign);
BENCHMARK(BM_Ed25519Verify);

constexpr size_t kAeadSize = 1024;

void BM_Aes256GcmSeal1KiB(benchmark::State& state) {
  auto aead = Aes256Gcm::Create(Filled(Aes256Gcm::kKeySize));
  if (!aead.ok()) {
    state.SkipWithError(aead.error().message.c_str());
    return;
  }
  const Bytes nonce = Filled(Aes256Gcm::kNonceSize);
  const Bytes text = Filled(kAeadSize);
  const Bytes aad = Filled(16);
  for (auto _ : state) {
    // Nonce reuse is fine here: only the cost is measured, nothing is kept.
    auto sealed = aead->Seal(nonce, text, aad);
    if (!sealed.ok()) {
      state.SkipWithError(sealed.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(sealed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kAeadSize));
}
BENCHMARK(BM_Aes256GcmSeal1KiB);

void BM_Aes256GcmOpen1KiB(benchmark::State& state) {
  auto aead = Aes256Gcm::Create(Filled(Aes256Gcm::kKeySize));
  if (!aead.ok()) {
    state.SkipWithError(aead.error().message.c_str());
    return;
  }
  const Bytes nonce = Filled(Aes256Gcm::kNonceSize);
  const Bytes aad = Filled(16);
  auto sealed = aead->Seal(nonce, Filled(kAeadSize), aad);
  if (!sealed.ok()) {
    state.SkipWithError(sealed.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto opened = aead->Open(nonce, *sealed, aad);
    if (!opened.ok()) {
      state.SkipWithError(opened.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(opened);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kAeadSize));
}
BENCHMARK(BM_Aes256GcmOpen1KiB);

void BM_HmacSha256_64B(benchmark::State& state) {
  auto hmac = HmacSha256::Create(Filled(32));
  if (!hmac.ok()) {
    state.SkipWithError(hmac.error().message.c_str());
    return;
  }
  const Bytes data = Filled(64);
  for (auto _ : state) {
    auto mac = hmac->Mac(data);
    if (!mac.ok()) {
      state.SkipWithError(mac.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(mac);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_HmacSha256_64B);

void BM_Sha256_1KiB(benchmark::State& state) {
  const Bytes data = Filled(1024);
  for (auto _ : state) {
    Digest d = Sha256(data);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Sha256_1KiB);

// One staff-login check at the iteration count tests use; the production default (600,000)
// costs about 600 times this.
void BM_Pbkdf2Sha256_1000Iterations(benchmark::State& state) {
  PasswordHashParams params;
  params.iterations = 1000;
  auto encoded = HashPassword("correct horse battery staple", params, Filled(16));
  if (!encoded.ok()) {
    state.SkipWithError(encoded.error().message.c_str());
    return;
  }
  for (auto _ : state) {
    auto ok = VerifyPassword("correct horse battery staple", *encoded);
    if (!ok.ok()) {
      state.SkipWithError(ok.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_Pbkdf2Sha256_1000Iterations);

}  // namespace
}  // namespace renkei::netsim::crypto
