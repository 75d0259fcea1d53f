// The addressing module's error codes. Messages that accompany them name the field, the rule
// and (for files) the line; they never carry a 個人番号.
#pragma once

#include <system_error>

namespace renkei::addressing {

enum class Errc {
  kInvalidInput = 1,       // a field broke a rule (check digit, empty name, bad date)
  kUnknownBusinessSystem,  // the business system id is not registered
  kConflict,               // the same 個人番号 arrived with different 4 information
  kDuplicateLink,          // a 宛名番号 is already linked to another person
  kNotFound,               // no such person, link or acquisition number
  kBadCsv,                 // a CSV file is malformed as a whole (no header, wrong header)
  kStorage,                // the SQLite store failed
};
// Staff failures (unknown staff, locked, expired, wrong or weak password, permission denied,
// invalid session) are netsim::Errc codes: the staff component is shared (netsim/staff.h).

const std::error_category& ErrorCategory();
std::error_code make_error_code(Errc e);

}  // namespace renkei::addressing

template <>
struct std::is_error_code_enum<renkei::addressing::Errc> : std::true_type {};
