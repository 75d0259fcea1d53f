// Simulation time: signed 64-bit microseconds in strong types.
//
// SimTime is a point on the simulation's virtual timeline (microseconds since the scenario's
// epoch, 2000-01-01T00:00:00 JST by convention); Duration is a span between two points. Neither
// converts silently to or from a plain integer or to floating point, so model code cannot mix
// them up or drift through rounding.
//
// Clock is the interface through which model code reads the time; a simulation drives a
// ManualClock (or the event loop), production-style services use the same interface.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace renkei::netsim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Micros(int64_t us) { return Duration(us); }
  static constexpr Duration Millis(int64_t ms) { return Duration(ms * 1000); }
  static constexpr Duration Seconds(int64_t s) { return Duration(s * 1000000); }
  static constexpr Duration Minutes(int64_t m) { return Seconds(m * 60); }
  static constexpr Duration Hours(int64_t h) { return Minutes(h * 60); }
  static constexpr Duration Days(int64_t d) { return Hours(d * 24); }

  constexpr int64_t micros() const { return us_; }
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return Duration(us_ + o.us_); }
  constexpr Duration operator-(Duration o) const { return Duration(us_ - o.us_); }
  constexpr Duration operator*(int64_t k) const { return Duration(us_ * k); }
  constexpr Duration& operator+=(Duration o) {
    us_ += o.us_;
    return *this;
  }

 private:
  constexpr explicit Duration(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

class SimTime {
 public:
  constexpr SimTime() = default;
  static constexpr SimTime FromMicros(int64_t us) { return SimTime(us); }
  constexpr int64_t micros() const { return us_; }
  constexpr auto operator<=>(const SimTime&) const = default;
  constexpr SimTime operator+(Duration d) const { return SimTime(us_ + d.micros()); }
  constexpr SimTime operator-(Duration d) const { return SimTime(us_ - d.micros()); }
  constexpr Duration operator-(SimTime o) const { return Duration::Micros(us_ - o.us_); }

 private:
  constexpr explicit SimTime(int64_t us) : us_(us) {}
  int64_t us_ = 0;
};

// A civil date and time in JST (the network's only time zone). Used to print SimTime and to
// build it from scenario dates; the proleptic Gregorian calendar, no leap seconds.
struct CivilTime {
  int year = 2000, month = 1, day = 1, hour = 0, minute = 0, second = 0, micros = 0;
};

// Days since 2000-01-01 for a civil date (negative before it).
int64_t DaysFromCivil(int year, int month, int day);
CivilTime ToCivil(SimTime t);
SimTime FromCivil(const CivilTime& c);
// True when year/month/day name a real calendar day.
bool IsValidDate(int year, int month, int day);
// "YYYY-MM-DD" naming a real day. Such strings sort in date order, so SQL compares them as text.
bool IsIsoDate(std::string_view text);
// "2024-04-01T09:30:00.000000" (JST).
std::string FormatIso(SimTime t);
// "2024-04-01" (JST): the date form replicas and queries use.
std::string FormatIsoDate(SimTime t);
// "20240401" — the batch files' date form.
std::string FormatYmd(SimTime t);

// Reads the current simulation time. Implementations decide how it advances.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SimTime Now() const = 0;
};

// A clock that moves only when told to: tests and the event loop drive it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SimTime start = SimTime()) : now_(start) {}
  SimTime Now() const override { return now_; }
  void Set(SimTime t) { now_ = t; }
  void Advance(Duration d) { now_ = now_ + d; }

 private:
  SimTime now_;
};

}  // namespace renkei::netsim
