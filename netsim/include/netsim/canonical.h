// Building blocks of renkei's canonical byte encodings (permits, core records, provision-log
// records and seals), and the guard that keeps 個人番号-shaped text out of records.
//
// Canonical encodings are what gets hashed and signed, so they must never change for a given
// value: integers big-endian at fixed width, strings as a u32 length then the bytes.
// Thread safety: free functions on values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"

namespace renkei::netsim::canonical {

inline void PutU8(uint8_t v, crypto::Bytes& out) { out.push_back(v); }
inline void PutU32(uint32_t v, crypto::Bytes& out) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline void PutI64(int64_t v, crypto::Bytes& out) {
  const auto u = static_cast<uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(u >> shift));
}
inline void PutStr(std::string_view s, crypto::Bytes& out) {
  PutU32(static_cast<uint32_t>(s.size()), out);
  out.insert(out.end(), s.begin(), s.end());
}

// True when `s` holds a maximal run of exactly twelve digits, ASCII or full-width (U+FF10 to
// U+FF19, UTF-8 EF BC 90-99): the shape of a 個人番号. Records refuse any such run, valid check
// digit or not, because a mistyped 個人番号 is still personal data.
bool HoldsTwelveDigitRun(std::string_view s);

// The name of the first field, or "tm" for any of `tm_items`, that holds such a run; empty when
// none does. Records name the field in their own error, never the value.
struct NamedField {
  std::string_view name;
  std::string_view value;
};
std::string_view FirstTwelveDigitField(std::initializer_list<NamedField> fields,
                                       const std::vector<std::string>& tm_items);

}  // namespace renkei::netsim::canonical
