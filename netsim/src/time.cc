#include "netsim/time.h"

#include <cstdio>

namespace renkei::netsim {
namespace {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
// days_from_civil(2000, 1, 1) in Howard Hinnant's algorithm (days since 1970-01-01).
constexpr int64_t kEpochShift = 10957;

int64_t DaysFrom1970(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFrom1970(int64_t z, int& year, int& month, int& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(y + (month <= 2));
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

int64_t DaysFromCivil(int year, int month, int day) {
  return DaysFrom1970(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) - kEpochShift;
}

bool IsValidDate(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

CivilTime ToCivil(SimTime t) {
  const int64_t us = t.micros();
  const int64_t days = FloorDiv(us, kMicrosPerDay);
  int64_t rem = us - days * kMicrosPerDay;
  CivilTime c;
  CivilFrom1970(days + kEpochShift, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600000000LL);
  rem %= 3600000000LL;
  c.minute = static_cast<int>(rem / 60000000LL);
  rem %= 60000000LL;
  c.second = static_cast<int>(rem / 1000000LL);
  c.micros = static_cast<int>(rem % 1000000LL);
  return c;
}

SimTime FromCivil(const CivilTime& c) {
  const int64_t days = DaysFromCivil(c.year, c.month, c.day);
  return SimTime::FromMicros(days * kMicrosPerDay + c.hour * 3600000000LL + c.minute * 60000000LL +
                             c.second * 1000000LL + c.micros);
}

std::string FormatIso(SimTime t) {
  const CivilTime c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06d", c.year, c.month, c.day,
                c.hour, c.minute, c.second, c.micros);
  return buf;
}

std::string FormatYmd(SimTime t) {
  const CivilTime c = ToCivil(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", c.year, c.month, c.day);
  return buf;
}

std::string FormatIsoDate(SimTime t) { return FormatIso(t).substr(0, 10); }

bool IsIsoDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  int parts[3] = {0, 0, 0};
  int part = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i == 4 || i == 7) {
      ++part;
      continue;
    }
    if (d[i] < '0' || d[i] > '9') return false;
    parts[part] = parts[part] * 10 + (d[i] - '0');
  }
  return IsValidDate(parts[0], parts[1], parts[2]);
}

}  // namespace renkei::netsim
