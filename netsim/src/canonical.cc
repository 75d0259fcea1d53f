#include "netsim/canonical.h"

namespace renkei::netsim::canonical {

bool HoldsTwelveDigitRun(std::string_view s) {
  int run = 0;
  size_t i = 0;
  while (i <= s.size()) {
    if (i == s.size()) return run == 12;
    const auto c = static_cast<unsigned char>(s[i]);
    size_t width = 0;
    if (c >= '0' && c <= '9') {
      width = 1;
    } else if (c == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBC &&
               static_cast<unsigned char>(s[i + 2]) >= 0x90 &&
               static_cast<unsigned char>(s[i + 2]) <= 0x99) {
      width = 3;
    }
    if (width == 0) {
      if (run == 12) return true;
      run = 0;
      ++i;
    } else {
      ++run;
      i += width;
    }
  }
  return false;
}

std::string_view FirstTwelveDigitField(std::initializer_list<NamedField> fields,
                                       const std::vector<std::string>& tm_items) {
  for (const NamedField& f : fields) {
    if (HoldsTwelveDigitRun(f.value)) return f.name;
  }
  for (const std::string& tm : tm_items) {
    if (HoldsTwelveDigitRun(tm)) return "tm";
  }
  return {};
}

}  // namespace renkei::netsim::canonical
