#include "scenarios/leak_scan.h"

#include <filesystem>
#include <fstream>

#include "netsim/identifiers.h"

namespace renkei::scenarios {

namespace fs = std::filesystem;

std::optional<std::string> FindMyNumberIn(const std::string& dir,
                                          const std::unordered_set<std::string_view>& numbers) {
  // Every 12-digit window of every digit run is looked up, which finds a number wherever a
  // substring search would. A chunk's last 11 bytes are carried into the next, so a number
  // across the boundary is still seen.
  constexpr auto kLength = static_cast<size_t>(netsim::kMyNumberLength);
  constexpr size_t kChunk = size_t{1} << 20;
  std::string window;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    window.clear();
    size_t run = 0;  // digits ending at the window's end
    while (in) {
      const size_t kept = window.size();
      window.resize(kept + kChunk);
      in.read(window.data() + kept, static_cast<std::streamsize>(kChunk));
      window.resize(kept + static_cast<size_t>(in.gcount()));
      for (size_t i = kept; i < window.size(); ++i) {
        run = window[i] >= '0' && window[i] <= '9' ? run + 1 : 0;
        if (run >= kLength &&
            numbers.count(std::string_view(window).substr(i + 1 - kLength, kLength)) != 0) {
          return fs::relative(it->path(), dir).string();
        }
      }
      if (window.size() >= kLength) window.erase(0, window.size() - (kLength - 1));
    }
  }
  return std::nullopt;
}

}  // namespace renkei::scenarios
