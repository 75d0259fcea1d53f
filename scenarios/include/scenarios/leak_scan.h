// The 個人番号 leak scan of a run's outputs (expectation no_mynumber_in_outputs): every file
// under a directory is searched for any of the given numbers, also inside longer runs of
// digits, in chunks, so files of any size take fixed memory.
//
// Thread safety: a plain function; the numbers are only read.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace renkei::scenarios {

// The path (relative to `dir`) of the first file, in directory order, holding one of
// `numbers` (each 12 digits), or nothing. Never returns the number itself. Unreadable
// entries are skipped.
std::optional<std::string> FindMyNumberIn(const std::string& dir,
                                          const std::unordered_set<std::string_view>& numbers);

}  // namespace renkei::scenarios
