// The scenario parser: YAML text → Scenario, refusing every mistake with file:line:column.
//
// yaml-cpp builds the node tree (and throws on malformed YAML, which is caught here and turned
// into the same kind of message); everything else is checked by hand, field by field, so that
// every message can say where the value is, what is wrong with it and what was expected.
// yaml-cpp keeps scalars as text and records only whether they were quoted (tag "!") or plain
// (tag "?"); this file decides the types: a number or true/false must be plain, a text may be
// either. Marks count bytes; messages count characters, so a column after Japanese text is the
// column an editor shows.
//
// Values quoted in messages go through QuoteValue, which never echoes anything that could be a
// 個人番号 (a run of 12 or more digits), so a scenario that carries one by mistake does not leak
// it into a terminal or a CI log.
#include "scenarios/scenario.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "addressing/bulk_import.h"
#include "addressing/resident_generator.h"
#include "middleware/batch_file.h"
#include "middleware/intermediate_server.h"
#include "netsim/csv.h"
#include "netsim/errors.h"
#include "netsim/identifiers.h"
#include "netsim/institution_registry.h"
#include "netsim/permit_list.h"
#include "scenario_include.h"
#include "scenarios/world.h"

namespace renkei::scenarios {

std::string SourcePos::Describe() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Expectation::Describe() const {
  switch (kind) {
    case Kind::kQueryStatus:
      return query + " status " + status + (item.empty() ? "" : " item " + item);
    case Kind::kCount:
      return "count of status " + status + " equals " + std::to_string(equals);
    case Kind::kLogsVerify:
      return "provision logs verify";
    case Kind::kNoMyNumber:
      return "no 個人番号 in outputs";
    case Kind::kLatency:
      // Whole milliseconds read better; anything finer stays exact.
      return "latency " + percentile + " at most " +
             (bound.micros() % 1000 == 0 ? std::to_string(bound.micros() / 1000) + " ms"
                                         : std::to_string(bound.micros()) + " us");
    case Kind::kLateArrivals:
      return "late arrivals at most " + std::to_string(max);
    case Kind::kProvisions:
      return "provisions at " + body + " with outcome " + outcome + " equals " +
             std::to_string(equals);
    case Kind::kBatchStatus:
      return "batch " + batch + " rows of status " + status + " equals " + std::to_string(equals);
    case Kind::kUnvaccinated:
      return "batch " + batch + " unvaccinated list equals " + std::to_string(equals);
  }
  return "unknown expectation";
}

netsim::LinkProfile LinkSpec::Profile() const {
  netsim::LinkProfile p;
  p.latency = latency.model;
  p.loss = loss > 0 ? netsim::LossModel::Bernoulli(loss) : netsim::LossModel::None();
  p.bandwidth_bps = bandwidth_bps;
  p.in_order = in_order;
  return p;
}

netsim::Duration LoadSpec::Span() const {
  if (model == Model::kClosed) return duration;
  netsim::Duration total = netsim::Duration::Days(days - 1);
  for (const LoadStage& stage : stages) total += stage.duration;
  return total;
}

namespace {

// The calendar day (JST) of a time, as days since 2000-01-01: LoadSpec::closed's unit.
int64_t DayNumber(netsim::SimTime t) {
  const netsim::CivilTime c = netsim::ToCivil(t);
  return netsim::DaysFromCivil(c.year, c.month, c.day);
}

}  // namespace

double LoadSpec::DayFactor(netsim::SimTime day_start) const {
  const int64_t day = DayNumber(day_start);
  if (std::binary_search(closed.begin(), closed.end(), day)) return 0;
  // 2000-01-01, day 0, was a Saturday; Monday is 0.
  const int64_t weekday = ((day + 5) % 7 + 7) % 7;
  return weekly[static_cast<size_t>(weekday)] *
         monthly[static_cast<size_t>(netsim::ToCivil(day_start).month - 1)];
}

double LoadSpec::ExpectedArrivals(netsim::SimTime start, double scale) const {
  if (model != Model::kOpen) return 0;
  double one_day = 0;
  for (const LoadStage& stage : stages) {
    one_day += (stage.rate + stage.to) / 2 * static_cast<double>(stage.duration.micros()) / 1e6;
  }
  double total = 0;
  for (int d = 0; d < days; ++d)
    total += one_day * DayFactor(start + at + netsim::Duration::Days(d));
  return total * scale;
}

namespace {

namespace fs = std::filesystem;

using netsim::Duration;

constexpr int64_t kMaxResidentsPerBody = 1'000'000;
constexpr int64_t kMaxMoversPerEntry = 10'000;
constexpr int64_t kMaxMovers = 100'000;
constexpr double kMaxRatePerSecond = 10'000;
constexpr int64_t kMaxClients = 10'000;
constexpr int64_t kMaxWeight = 1'000'000;
constexpr int64_t kMaxInFlight = 1'000'000;
constexpr int64_t kMaxLoadDays = 365;
constexpr double kMaxFactor = 100;  // a day's or month's rate factor
constexpr std::string_view kLoadQueryPrefix = "load-";
constexpr size_t kMaxQueryIdLength = 32;
constexpr std::string_view kEventKinds =
    "query, decide, fault, move_in, move_out, death, attack, batch, flag, replica, rotate_key, "
    "partition, loss";
constexpr size_t kMaxPayloadBytes = size_t{1} << 20;  // the replica store's limit
constexpr size_t kMaxFileBytes = size_t{16} << 20;
constexpr size_t kMaxQuotedChars = 60;
constexpr Duration kMaxDuration = Duration::Days(365);
constexpr int64_t kMaxBandwidthBps = 1'000'000'000'000;  // 1000Gbps
constexpr netsim::CivilTime kDefaultStart{2024, 6, 3, 9, 0, 0, 0};

// Every outcome of the provision chain, for the provisions expectation's names.
constexpr middleware::ProvideOutcome kProvideOutcomes[] = {
    middleware::ProvideOutcome::kAnswered,      middleware::ProvideOutcome::kRetransmitted,
    middleware::ProvideOutcome::kMalformed,     middleware::ProvideOutcome::kPermitForged,
    middleware::ProvideOutcome::kPermitExpired, middleware::ProvideOutcome::kPermitNotYetValid,
    middleware::ProvideOutcome::kPermitReused,  middleware::ProvideOutcome::kPermitMisaddressed,
    middleware::ProvideOutcome::kNotPermitted,  middleware::ProvideOutcome::kListStale,
    middleware::ProvideOutcome::kNoPerson,      middleware::ProvideOutcome::kNoData,
    middleware::ProvideOutcome::kSuppressed,    middleware::ProvideOutcome::kFailed,
};

constexpr std::string_view kDurationForm =
    "written as a whole number followed by ms, s, m, h or d, such as 90s or 5m";

std::string RegistryPath() {
  return std::string(RENKEI_SOURCE_DIR) + "/netsim/data/institutions.csv";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// True when `text` holds a run of 12 or more digits, ASCII or full-width (U+FF10..U+FF19, EF BC
// 90..99 in UTF-8): such a value might be a 個人番号 and is never echoed.
bool MayHoldMyNumber(std::string_view text) {
  int run = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (IsDigit(text[i])) {
      ++i;
      if (++run >= 12) return true;
    } else if (c == 0xEF && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xBC &&
               static_cast<unsigned char>(text[i + 2]) >= 0x90 &&
               static_cast<unsigned char>(text[i + 2]) <= 0x99) {
      i += 3;
      if (++run >= 12) return true;
    } else {
      ++i;
      run = 0;
    }
  }
  return false;
}

// 'value' for messages: shortened past kMaxQuotedChars characters, withheld when it might be a
// 個人番号.
std::string QuoteValue(std::string_view value) {
  if (MayHoldMyNumber(value)) return "(a value with 12 or more digits, not shown)";
  size_t chars = 0;
  size_t end = 0;
  for (; end < value.size(); ++end) {
    if ((static_cast<unsigned char>(value[end]) & 0xC0) != 0x80 && chars++ == kMaxQuotedChars) {
      return "'" + std::string(value.substr(0, end)) + "…'";
    }
  }
  return "'" + std::string(value) + "'";
}

std::string JoinNames(std::initializer_list<std::string_view> names) {
  std::string out;
  for (const std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// The first byte offset of a malformed UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

// A value in the document: its node, where to point at it (the key's mark when the value is
// empty, since yaml-cpp marks an empty value at the next token) and what to call it.
struct Value {
  YAML::Node node;
  YAML::Mark mark;
  std::string name;
  YAML::Mark key_mark;  // where its key is, for a map's field; else the same as `mark`
};

// A map whose keys were checked against the allowed ones.
struct Fields {
  YAML::Mark mark;
  std::vector<Value> values;

  const Value* Find(std::string_view name) const {
    for (const Value& v : values) {
      if (v.name == name) return &v;
    }
    return nullptr;
  }
};

bool IsQuoted(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

// How a value looks, for "X is <this>; expected …".
std::string Shape(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (!node.IsDefined() || node.IsNull()) return "empty";
  if (IsQuoted(node)) return "the quoted text " + QuoteValue(node.Scalar());
  return QuoteValue(node.Scalar());
}

class Parser {
 public:
  Parser(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
    sources_.Add(source_, std::string(text_));
  }

  Result<Scenario> Parse() {
    if (const size_t bad = FirstInvalidUtf8(text_); bad != std::string_view::npos) {
      YAML::Mark m;
      m.pos = static_cast<int>(bad);
      m.line = static_cast<int>(std::upper_bound(line_starts_.begin(), line_starts_.end(), bad) -
                                line_starts_.begin() - 1);
      m.column = static_cast<int>(bad - line_starts_[static_cast<size_t>(m.line)]);
      return Fail(m, "a byte that is not UTF-8", "UTF-8 text");
    }
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(std::string(text_));
    } catch (const YAML::DeepRecursion& e) {
      return Fail(e.mark, "the YAML nests too deeply", "a scenario a few levels deep");
    } catch (const YAML::Exception& e) {
      return YamlError(e);
    }
    YAML::Mark start;
    if (docs.empty() || !docs.front().IsDefined() || docs.front().IsNull()) {
      return Fail(start, "the scenario is empty",
                  "a map with at least scenario and world (docs/scenarios.md)");
    }
    if (docs.size() > 1) {
      return Fail(docs[1].Mark(), "a second YAML document in the file",
                  "one scenario per file (no second '---')");
    }
    try {
      // Includes and templates first (scenario_include.h): the rest checks one merged tree.
      const internal::YamlErrorFn yaml_error = [this](const YAML::Exception& e) {
        return YamlError(e);
      };
      RENKEI_TRY(const YAML::Node root,
                 internal::ComposeDocument(docs.front(), sources_, yaml_error));
      Status status = ParseRoot(Value{root, root.Mark(), "the scenario", root.Mark()});
      if (!status.ok()) return status.error();
    } catch (const YAML::Exception& e) {
      return YamlError(e);
    }
    return std::move(scenario_);
  }

 private:
  // ---- positions and errors ----

  // The file of the mark (the scenario file or an include) and the position in it, counted in
  // characters.
  SourcePos Pos(const YAML::Mark& m) const { return sources_.Pos(m); }

  SourcePos Pos(const Value& v) const { return Pos(v.mark); }

  Error Fail(const YAML::Mark& m, std::string_view what, std::string_view expected) const {
    return MakeError(netsim::Errc::kInvalidArgument, Pos(m).Describe() + ": " + std::string(what) +
                                                         "; expected " + std::string(expected));
  }
  Error Fail(const Value& v, std::string_view what, std::string_view expected) const {
    return Fail(v.mark, what, expected);
  }

  // yaml-cpp's own complaint, with a hint for the usual causes.
  Error YamlError(const YAML::Exception& e) const {
    // A tab in the indentation of a line with content, at or before the failure, is the usual
    // cause of "illegal map value" and friends; point at the tab itself. (Unclosed brackets and
    // unknown anchors have their own cause, and tabs inside brackets are legal.)
    const bool flow_or_alias = e.msg == YAML::ErrorMsg::END_OF_SEQ_FLOW ||
                               e.msg == YAML::ErrorMsg::END_OF_MAP_FLOW ||
                               e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR;
    // The file the mark is in: the scenario file or an include (scenario_include.h).
    const internal::SourceFile& file = sources_.FileOf(e.mark);
    const std::string_view text = file.text;
    const std::vector<size_t>& line_starts = file.line_starts;
    const size_t last_line =
        e.mark.is_null() || e.mark.line < file.first_line
            ? line_starts.size() - 1
            : std::min(line_starts.size() - 1, static_cast<size_t>(e.mark.line - file.first_line));
    for (size_t line = 0; !flow_or_alias && line <= last_line; ++line) {
      size_t i = line_starts[line];
      size_t first_tab = std::string_view::npos;
      for (; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
        if (text[i] == '\t' && first_tab == std::string_view::npos) first_tab = i;
      }
      const bool content = i < text.size() && text[i] != '\n' && text[i] != '\r' && text[i] != '#';
      if (first_tab != std::string_view::npos && content) {
        YAML::Mark m;
        m.line = file.first_line + static_cast<int>(line);
        m.column = static_cast<int>(first_tab - line_starts[line]);
        return Fail(m, "a tab in the indentation (YAML allows only spaces there)",
                    "spaces for indentation");
      }
    }
    std::string expected = "well-formed YAML";
    if (e.msg == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
      expected = "']' closing the list opened with '['";
    } else if (e.msg == YAML::ErrorMsg::END_OF_MAP_FLOW) {
      expected = "'}' closing the map opened with '{'";
    } else if (e.msg == YAML::ErrorMsg::MAP_VALUE || e.msg == YAML::ErrorMsg::MAP_KEY) {
      expected = "one 'key: value' per line, nested keys indented with spaces";
    } else if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
      expected = "an alias (*name) naming an anchor (&name) defined before it";
    }
    const std::string msg = MayHoldMyNumber(e.msg) ? "(details not shown)" : e.msg;
    return Fail(e.mark, "malformed YAML: " + msg, expected);
  }

  // ---- shapes ----

  // `v` as a map whose keys are all in `allowed`; `what` names it in messages ("world").
  Result<Fields> MapOf(const Value& v, std::string_view what,
                       std::initializer_list<std::string_view> allowed) const {
    if (!v.node.IsMap()) {
      return Fail(
          v, std::string(what) + " is " + Shape(v.node),
          std::string("a map with ") + (allowed.size() == 1 ? "" : "any of ") + JoinNames(allowed));
    }
    Fields fields;
    // A map made by merging or a template (scenario_include.h) has no mark: use its key's.
    fields.mark = v.node.Mark().is_null() ? v.mark : v.node.Mark();
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        return Fail(key.Mark(), "a key in " + std::string(what) + " is " + Shape(key),
                    "a field name (one of " + JoinNames(allowed) + ")");
      }
      const std::string& name = key.Scalar();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        return Fail(key.Mark(), "unknown field " + QuoteValue(name) + " in " + std::string(what),
                    "one of " + JoinNames(allowed));
      }
      if (const Value* earlier = fields.Find(name)) {
        return Fail(key.Mark(),
                    "field '" + name + "' appears twice in " + std::string(what) + " (first at " +
                        Pos(earlier->key_mark).Describe() + ")",
                    "each field once");
      }
      const YAML::Mark mark =
          (value.IsNull() || value.Mark().is_null()) ? key.Mark() : value.Mark();
      fields.values.push_back(Value{value, mark, name, key.Mark()});
    }
    return fields;
  }

  Result<std::vector<Value>> ListOf(const Value& v, std::string_view item) const {
    if (!v.node.IsSequence()) {
      return Fail(v, v.name + " is " + Shape(v.node), "a list of " + std::string(item));
    }
    std::vector<Value> out;
    size_t index = 0;
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node node = *it;
      ++index;
      const YAML::Mark mark = node.Mark().is_null() ? v.mark : node.Mark();
      out.push_back(Value{node, mark, v.name + "[" + std::to_string(index) + "]", mark});
    }
    return out;
  }

  Error Missing(const Fields& f, std::string_view what, std::string_view field,
                std::string_view expected) const {
    return Fail(f.mark, std::string(what) + " has no " + std::string(field), expected);
  }

  // ---- scalars ----

  Result<std::string> Text(const Value& v, std::string_view expected) const {
    if (!v.node.IsScalar()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    return v.node.Scalar();
  }

  Result<std::string> NonEmptyText(const Value& v, std::string_view expected) const {
    RENKEI_TRY(std::string text, Text(v, expected));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Fail(v, v.name + " is blank", expected);
    }
    return text;
  }

  // A plain (unquoted) decimal integer in [min, max].
  Result<int64_t> Integer(const Value& v, int64_t min, int64_t max) const {
    const std::string expected =
        "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v.node.IsScalar() || IsQuoted(v.node)) {
      return Fail(v, v.name + " is " + Shape(v.node), expected + " (without quotes)");
    }
    const std::string& s = v.node.Scalar();
    int64_t n = 0;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    const bool digits =
        !s.empty() && std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(), IsDigit) && s != "-";
    const auto [ptr, ec] = std::from_chars(first, last, n);
    if (!digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not an integer", expected);
    }
    if (ec == std::errc::result_out_of_range || ptr != last || n < min || n > max) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is out of range", expected);
    }
    return n;
  }

  Result<bool> Bool(const Value& v) const {
    if (v.node.IsScalar() && !IsQuoted(v.node)) {
      const std::string& s = v.node.Scalar();
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
    }
    return Fail(v, v.name + " is " + Shape(v.node), "true or false (without quotes)");
  }

  // "<n>ms", "<n>s", "<n>m", "<n>h", "<n>d" or a bare "0"; never negative, above zero when
  // `positive`, at most kMaxDuration.
  Result<Duration> DurationOf(const Value& v, bool positive) const {
    const std::string expected =
        std::string(positive ? "a duration above 0, " : "a duration of 0 or more, ") +
        std::string(kDurationForm);
    if (!v.node.IsScalar()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    const std::string& s = v.node.Scalar();
    size_t digits = 0;
    const bool negative = !s.empty() && s[0] == '-';
    const size_t begin = negative ? 1 : 0;
    while (begin + digits < s.size() && IsDigit(s[begin + digits])) ++digits;
    const std::string_view unit = std::string_view(s).substr(begin + digits);
    int64_t unit_us = 0;
    if (unit == "ms") {
      unit_us = Duration::Millis(1).micros();
    } else if (unit == "s") {
      unit_us = Duration::Seconds(1).micros();
    } else if (unit == "m") {
      unit_us = Duration::Minutes(1).micros();
    } else if (unit == "h") {
      unit_us = Duration::Hours(1).micros();
    } else if (unit == "d") {
      unit_us = Duration::Days(1).micros();
    } else if (unit.empty() && digits > 0 && s.find_first_not_of('0', begin) == std::string::npos) {
      unit_us = 1;  // a bare 0 needs no unit
    }
    if (digits == 0 || unit_us == 0) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not a duration", expected);
    }
    if (negative) return Fail(v, v.name + " " + QuoteValue(s) + " is negative", expected);
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(s.data() + begin, s.data() + begin + digits, n);
    if (ec != std::errc() || n > kMaxDuration.micros() / unit_us ||
        Duration::Micros(n * unit_us) > kMaxDuration) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is too long", "a duration of at most 365d");
    }
    const Duration d = Duration::Micros(n * unit_us);
    if (positive && d <= Duration()) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is zero", expected);
    }
    return d;
  }

  // A plain (unquoted) finite decimal number; `expected` says which range the caller wants.
  Result<double> Number(const Value& v, std::string_view expected) const {
    if (!v.node.IsScalar() || IsQuoted(v.node)) {
      return Fail(v, v.name + " is " + Shape(v.node), expected);
    }
    const std::string& s = v.node.Scalar();
    const bool chars_ok = !s.empty() && s.find_first_not_of("0123456789.eE+-") == std::string::npos;
    double x = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
    if (!chars_ok || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(x)) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not a number", expected);
    }
    return x;
  }

  // A plain decimal number in [0, 1).
  Result<double> Probability(const Value& v) const {
    const std::string expected = "a number from 0 up to but not including 1, such as 0.01";
    RENKEI_TRY(const double x, Number(v, expected));
    if (x < 0 || x >= 1) {
      return Fail(v, v.name + " " + QuoteValue(v.node.Scalar()) + " is out of range", expected);
    }
    return x;
  }

  // A JM, JT or TM code.
  Result<std::string> Code(const Value& v, netsim::CodeKind kind) const {
    const std::string prefix(netsim::CodeKindPrefix(kind));
    const std::string expected =
        "a " + prefix + " code: " + prefix + " followed by 14 digits, such as " + prefix +
        (kind == netsim::CodeKind::kBusiness ? "00160200000000" : "00160200000001");
    RENKEI_TRY(std::string code, Text(v, expected));
    if (auto ok = netsim::ValidateCode(code, kind); !ok.ok()) {
      return Fail(v, v.name + ": " + ok.error().Describe(), expected);
    }
    return code;
  }

  // One TM code or a non-empty list of them.
  Result<std::vector<std::string>> TmCodes(const Value& v) const {
    std::vector<std::string> codes;
    if (!v.node.IsSequence()) {
      RENKEI_TRY(std::string one, Code(v, netsim::CodeKind::kDataItem));
      codes.push_back(std::move(one));
      return codes;
    }
    RENKEI_TRY(std::vector<Value> items, ListOf(v, "TM codes"));
    if (items.empty()) return Fail(v, v.name + " is an empty list", "at least one TM code");
    for (const Value& item : items) {
      RENKEI_TRY(std::string code, Code(item, netsim::CodeKind::kDataItem));
      codes.push_back(std::move(code));
    }
    return codes;
  }

  // A two-digit record or item status code.
  Result<std::string> StatusCode(const Value& v, bool item) const {
    std::string known;
    for (int i = 0; i < 100; ++i) {
      const std::string code{static_cast<char>('0' + i / 10), static_cast<char>('0' + i % 10)};
      if (item ? middleware::ParseItemStatus(code).ok()
               : middleware::ParseRecordStatus(code).ok()) {
        if (!known.empty()) known += ", ";
        known += code;
        if (!item) {
          known += " (" +
                   std::string(middleware::RecordStatusName(*middleware::ParseRecordStatus(code))) +
                   ")";
        }
      }
    }
    const std::string expected =
        std::string(item ? "an item status code: one of " : "a record status code: one of ") +
        known + " (quoted, such as \"09\")";
    RENKEI_TRY(std::string code, Text(v, expected));
    const bool ok =
        item ? middleware::ParseItemStatus(code).ok() : middleware::ParseRecordStatus(code).ok();
    if (!ok) {
      return Fail(
          v,
          std::string(item ? "unknown item status " : "unknown record status ") + QuoteValue(code),
          expected);
    }
    return code;
  }

  // ---- bodies ----

  // The declared bodies for a message; a world of the whole country is summed up after ten.
  std::string DeclaredBodies() const {
    constexpr size_t kListed = 10;
    std::string out;
    for (size_t i = 0; i < scenario_.world.bodies.size() && i < kListed; ++i) {
      const BodySpec& b = scenario_.world.bodies[i];
      if (!out.empty()) out += ", ";
      out += b.lgcode + " " + b.name;
    }
    if (scenario_.world.bodies.size() > kListed) {
      out += ", … " + std::to_string(scenario_.world.bodies.size()) + " in all";
    }
    return out;
  }

  // A body declared in world.bodies, by 地方公共団体コード or name; "core" too when allowed.
  Result<std::string> BodyRef(const Value& v, bool allow_core, bool allow_any = false) const {
    const std::string expected = "the code or name of a body in world.bodies (" + DeclaredBodies() +
                                 (allow_core ? ") or core" : ")") + (allow_any ? " or any" : "");
    RENKEI_TRY(std::string text, Text(v, expected));
    if (allow_core && text == "core") return text;
    if (allow_any && text == kAnyBody) return text;
    for (const BodySpec& b : scenario_.world.bodies) {
      if (b.lgcode == text || b.name == text) return b.lgcode;
    }
    return Fail(v, v.name + " " + QuoteValue(text) + " is not a body declared in world.bodies",
                expected);
  }

  const BodySpec& DeclaredBody(const std::string& lgcode) const {
    for (const BodySpec& b : scenario_.world.bodies) {
      if (b.lgcode == lgcode) return b;
    }
    return scenario_.world.bodies.front();  // unreachable: callers pass codes from BodyRef
  }

  // OK when the resident generator has an address table for the body.
  Status Generatable(const Value& v, const std::string& lgcode, std::string_view purpose) const {
    // A national world gives bodies without a table generic town names; a body `any` is drawn
    // among generatable ones at run time.
    if (scenario_.world.national || lgcode == kAnyBody) return OkStatus();
    std::string supported;
    for (const addressing::MunicipalityInfo& m : addressing::SupportedMunicipalities()) {
      if (m.lgcode == lgcode) return OkStatus();
      if (!supported.empty()) supported += ", ";
      supported.append(m.lgcode).append(" ").append(m.name);
    }
    return Fail(v,
                "body " + lgcode + " (" + DeclaredBody(lgcode).name +
                    ") has no address table for generated " + std::string(purpose),
                "a municipality the resident generator supports: " + supported);
  }

  // Persons are mover numbers, 1 to the total of world.movers, registered at `body`.
  Result<int> Person(const Value& v, const std::string& body, std::string_view role) const {
    if (total_movers_ == 0) {
      return Fail(v, v.name + " names a mover, but world.movers declares none",
                  "movers in world.movers (person: N is the N-th mover)");
    }
    RENKEI_TRY(const int64_t person, Integer(v, 1, total_movers_));
    int64_t first = 1;
    for (const MoverSpec& m : scenario_.world.movers) {
      if (person < first + m.count) {
        if (m.from == kAnyBody || m.to == kAnyBody) {
          return Fail(v,
                      "person " + std::to_string(person) +
                          " is one of the movers whose bodies are drawn at random (" +
                          m.pos.Describe() + ")",
                      "a mover of an entry with both from: and to: naming bodies");
        }
        if (m.from != body && m.to != body) {
          return Fail(v,
                      "person " + std::to_string(person) + " moved from " + m.from + " to " + m.to +
                          " and is not registered at " + body,
                      "a mover registered at the " + std::string(role) + " (" + body + ")");
        }
        break;
      }
      first += m.count;
    }
    return static_cast<int>(person);
  }

  // ---- the document ----

  Status ParseRoot(const Value& root) {
    RENKEI_TRY(const Fields f, MapOf(root, "the scenario",
                                     {"scenario", "narration", "seed", "start", "world", "network",
                                      "load", "timeline", "expect", "include", "templates"}));
    scenario_.source = source_;
    const Value* name = f.Find("scenario");
    if (name == nullptr) {
      return Missing(f, "the scenario", "'scenario' field", "scenario: <a name for people>");
    }
    RENKEI_TRY(scenario_.name, NonEmptyText(*name, "a name for the scenario"));
    if (const Value* v = f.Find("narration")) RENKEI_CHECK_OK(ParseNarration(*v));
    if (const Value* v = f.Find("seed")) {
      if (!v->node.IsScalar() || IsQuoted(v->node) || v->node.Scalar().empty() ||
          !std::all_of(v->node.Scalar().begin(), v->node.Scalar().end(), IsDigit)) {
        const std::string shape = v->node.IsScalar() && !IsQuoted(v->node)
                                      ? QuoteValue(v->node.Scalar())
                                      : Shape(v->node);
        return Fail(*v, "seed is " + shape, "a non-negative integer, such as 42");
      }
      const std::string& s = v->node.Scalar();
      const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), scenario_.seed);
      if (ec != std::errc()) {
        return Fail(*v, "seed " + QuoteValue(s) + " is out of range",
                    "a non-negative integer below 2^64");
      }
    }
    scenario_.start = netsim::FromCivil(kDefaultStart);
    if (const Value* v = f.Find("start")) {
      RENKEI_TRY(scenario_.start, Start(*v));
    }
    const Value* world = f.Find("world");
    if (world == nullptr) {
      return Missing(f, "the scenario", "'world' field", "world: {bodies: [...]}");
    }
    RENKEI_CHECK_OK(ParseWorld(*world));
    if (const Value* v = f.Find("network")) RENKEI_CHECK_OK(ParseNetwork(*v));
    if (const Value* v = f.Find("load")) RENKEI_CHECK_OK(ParseLoad(*v));
    if (const Value* v = f.Find("timeline")) RENKEI_CHECK_OK(ParseTimeline(*v));
    if (const Value* v = f.Find("expect")) RENKEI_CHECK_OK(ParseExpect(*v));
    return OkStatus();
  }

  Status ParseNarration(const Value& v) {
    RENKEI_TRY(const Fields f, MapOf(v, "narration", {"ja", "en"}));
    if (const Value* ja = f.Find("ja")) {
      RENKEI_TRY(const std::string text, Text(*ja, "a text"));
      scenario_.narration_ja = UnfoldJapanese(text);
    }
    if (const Value* en = f.Find("en")) {
      RENKEI_TRY(scenario_.narration_en, Text(*en, "a text"));
    }
    return OkStatus();
  }

  // "YYYY-MM-DDTHH:MM:SS", JST.
  Result<netsim::SimTime> Start(const Value& v) const {
    const std::string expected =
        "a JST date and time YYYY-MM-DDTHH:MM:SS, such as 2024-06-03T09:00:00";
    RENKEI_TRY(const std::string s, Text(v, expected));
    const auto num = [&s](size_t at, size_t len) {
      int n = 0;
      for (size_t i = at; i < at + len; ++i) n = n * 10 + (s[i] - '0');
      return n;
    };
    bool shape = s.size() == 19;
    for (size_t i = 0; shape && i < s.size(); ++i) {
      const char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : '0';
      shape = want == '0' ? IsDigit(s[i]) : s[i] == want;
    }
    if (!shape) return Fail(v, "start " + QuoteValue(s) + " is not a date and time", expected);
    netsim::CivilTime c{num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), 0};
    if (!netsim::IsValidDate(c.year, c.month, c.day) || c.hour > 23 || c.minute > 59 ||
        c.second > 59) {
      return Fail(v, "start " + QuoteValue(s) + " is not a real date and time", expected);
    }
    return netsim::FromCivil(c);
  }

  Status ParseWorld(const Value& v) {
    RENKEI_TRY(
        const Fields f,
        MapOf(v, "world", {"registry", "bodies", "movers", "flags", "permit_list", "staff"}));
    if (const Value* p = f.Find("permit_list")) {
      const std::string expected =
          "a CSV file in the format of netsim/data/permit_list.csv (docs/nws.md)";
      std::ifstream in;
      RENKEI_TRY(scenario_.world.permit_list, DataFile(*p, in, expected));
      auto list = netsim::PermitList::LoadCsv(scenario_.world.permit_list);
      if (!list.ok()) return Fail(*p, list.error().message, expected);
    }
    if (const Value* r = f.Find("registry")) {
      RENKEI_TRY(const std::string kind, Text(*r, "shipped or national"));
      if (kind != "shipped" && kind != "national") {
        return Fail(*r, "unknown registry " + QuoteValue(kind),
                    "shipped (netsim/data/institutions.csv) or national (all 1,788 local bodies)");
      }
      scenario_.world.national = kind == "national";
    }
    const Value* bodies = f.Find("bodies");
    if (bodies == nullptr) {
      return Missing(f, "world", "'bodies' field", "bodies: [{code: \"152021\"}, ...]");
    }
    RENKEI_TRY(const netsim::InstitutionRegistry registry, LoadRegistry(*bodies));
    if (bodies->node.IsScalar() && !IsQuoted(bodies->node) && bodies->node.Scalar() == "all") {
      // Every local body, prefectures included: they are all on the network.
      for (const netsim::Institution& i : registry) {
        if (i.kind != netsim::InstitutionKind::kMunicipality &&
            i.kind != netsim::InstitutionKind::kPrefecture) {
          continue;
        }
        BodySpec body;
        body.lgcode = i.lg_code;
        body.name = i.name;
        body.pos = Pos(bodies->mark);
        scenario_.world.bodies.push_back(std::move(body));
      }
      scenario_.world.all_bodies = true;
    } else {
      RENKEI_TRY(const std::vector<Value> items,
                 ListOf(*bodies, "bodies (or all, for every body of the registry)"));
      if (items.empty()) {
        return Fail(*bodies, "world.bodies is an empty list",
                    "at least one body, such as {code: \"152021\"}");
      }
      for (const Value& item : items) RENKEI_CHECK_OK(ParseBody(item, registry));
    }
    if (const Value* staff = f.Find("staff")) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(*staff, "staff accounts"));
      for (const Value& item : items) RENKEI_CHECK_OK(ParseStaff(item));
    }
    if (const Value* movers = f.Find("movers")) {
      RENKEI_TRY(const std::vector<Value> list, ListOf(*movers, "movers"));
      for (const Value& item : list) RENKEI_CHECK_OK(ParseMover(item));
    }
    if (const Value* flags = f.Find("flags")) {
      RENKEI_TRY(const std::vector<Value> list, ListOf(*flags, "flags"));
      for (const Value& item : list) RENKEI_CHECK_OK(ParseFlag(item));
    }
    return OkStatus();
  }

  Result<netsim::InstitutionRegistry> LoadRegistry(const Value& at) const {
    auto loaded = LoadWorldRegistry(
        scenario_.world.national ? RegistryKind::kNational : RegistryKind::kShipped,
        RegistryPath());
    if (!loaded.ok()) {
      return Fail(at,
                  "the shipped institution registry cannot be read: " + loaded.error().Describe(),
                  "a readable " + RegistryPath());
    }
    return std::move(loaded).value();
  }

  Status ParseBody(const Value& v, const netsim::InstitutionRegistry& registry) {
    RENKEI_TRY(
        const Fields f,
        MapOf(v, "a body", {"code", "name", "residents", "residents_file", "replicas_file"}));
    BodySpec body;
    body.pos = Pos(f.mark);
    const Value* code = f.Find("code");
    const Value* name = f.Find("name");
    if (code == nullptr && name == nullptr) {
      return Missing(f, "a body", "code or name",
                     "code: \"152021\" (地方公共団体コード) or name: 長岡市");
    }
    const netsim::Institution* found = nullptr;
    if (code != nullptr) {
      const std::string expected = "a 6-digit 地方公共団体コード of a municipality in " +
                                   std::string("netsim/data/institutions.csv, such as \"152021\"");
      RENKEI_TRY(const std::string lgcode, Text(*code, expected));
      if (auto ok = netsim::ValidateLgCode(lgcode); !ok.ok()) {
        return Fail(*code, "code: " + ok.error().Describe(), expected);
      }
      found = registry.FindByLgCode(lgcode);
      if (found == nullptr) {
        return Fail(*code, "地方公共団体コード " + lgcode + " is not in the institution registry",
                    expected);
      }
    }
    if (name != nullptr) {
      const std::string expected =
          "the Japanese name of a municipality in "
          "netsim/data/institutions.csv, such as 長岡市";
      RENKEI_TRY(const std::string text, NonEmptyText(*name, expected));
      auto by_name = registry.FindByName(text);
      if (!by_name.ok()) {
        if (by_name.error().code == netsim::Errc::kNotFound) {
          return Fail(*name, "no body named " + QuoteValue(text) + " in the institution registry",
                      expected);
        }
        return Fail(*name, "name: " + by_name.error().Describe(), "code: instead of name:");
      }
      if (found != nullptr && found != *by_name) {
        return Fail(*name,
                    "name " + QuoteValue(text) + " is not the body with code " + found->lg_code +
                        " (" + found->name + ")",
                    "code and name of the same body, or only one of them");
      }
      found = *by_name;
    }
    if (found->kind != netsim::InstitutionKind::kMunicipality) {
      return Fail(code != nullptr ? *code : *name,
                  found->name + " is a " + std::string(netsim::InstitutionKindName(found->kind)),
                  "a municipality (市区町村)");
    }
    body.lgcode = found->lg_code;
    body.name = found->name;
    for (const BodySpec& earlier : scenario_.world.bodies) {
      if (earlier.lgcode == body.lgcode) {
        return Fail(v,
                    "body " + body.lgcode + " (" + body.name + ") is declared twice (first at " +
                        earlier.pos.Describe() + ")",
                    "each body once");
      }
    }
    scenario_.world.bodies.push_back(body);
    if (const Value* r = f.Find("residents")) {
      RENKEI_TRY(const int64_t residents, Integer(*r, 0, kMaxResidentsPerBody));
      if (residents > 0) RENKEI_CHECK_OK(Generatable(*r, body.lgcode, "residents"));
      scenario_.world.bodies.back().residents = static_cast<int>(residents);
    }
    if (const Value* file = f.Find("residents_file")) {
      RENKEI_CHECK_OK(ParseResidentsFile(*file, scenario_.world.bodies.back()));
    }
    if (const Value* file = f.Find("replicas_file")) {
      if (f.Find("residents_file") == nullptr) {
        return Fail(file->key_mark, "replicas_file without residents_file",
                    "a residents_file too: its rows name people by the 宛名番号 it gives them");
      }
      RENKEI_CHECK_OK(ParseReplicasFile(*file, scenario_.world.bodies.back()));
    }
    return OkStatus();
  }

  Status ParseStaff(const Value& v) {
    RENKEI_TRY(const Fields f, MapOf(v, "a staff account", {"body", "account", "name", "roles"}));
    for (const char* required : {"body", "account", "roles"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a staff account", "'" + std::string(required) + "'",
                       "a staff account with body, account and roles");
      }
    }
    StaffSpec st;
    st.pos = Pos(f.mark);
    RENKEI_TRY(st.body, BodyRef(*f.Find("body"), false));
    const Value& account = *f.Find("account");
    const std::string rule = "an account name of 1-32 of a-z, 0-9, '_' or '-'";
    RENKEI_TRY(st.account, Text(account, rule));
    const bool valid = !st.account.empty() && st.account.size() <= 32 &&
                       std::all_of(st.account.begin(), st.account.end(), [](char c) {
                         return IsDigit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
                       });
    if (!valid) return Fail(account, "account " + QuoteValue(st.account) + " is not valid", rule);
    bool reserved = st.account == "admin";
    for (const char* a : kWorldAccounts) reserved = reserved || st.account == a;
    if (reserved) {
      return Fail(account, "account " + st.account + " is one every body already has",
                  "a name other than admin, registrar, reviewer, flagger, viewer, operator and "
                  "auditor (decide with by: reviewer needs no staff entry)");
    }
    for (const StaffSpec& earlier : scenario_.world.staff) {
      if (earlier.body == st.body && earlier.account == st.account) {
        return Fail(account,
                    "account " + st.account + " of " + st.body + " is declared twice (first at " +
                        earlier.pos.Describe() + ")",
                    "each account once per body");
      }
    }
    st.name = st.account;
    if (const Value* name = f.Find("name")) {
      RENKEI_TRY(st.name, NonEmptyText(*name, "the person's name for the operation record"));
    }
    const Value& roles = *f.Find("roles");
    std::vector<std::string> names;
    if (roles.node.IsSequence()) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(roles, "roles"));
      for (const Value& r : items) {
        RENKEI_TRY(std::string n, Text(r, "a role name"));
        names.push_back(std::move(n));
      }
    } else {
      RENKEI_TRY(std::string n, Text(roles, "a role name or a list of them"));
      names.push_back(std::move(n));
    }
    std::string joined;
    for (const std::string& n : names) joined += (joined.empty() ? "" : ",") + n;
    auto set = middleware::ServerRoles().Parse(joined);
    if (!set.ok()) {
      return Fail(roles, "roles: " + set.error().message,
                  "roles of the intermediate server: administrator, replica-registrar, "
                  "flag-setter, reviewer, log-viewer, auditor, operator");
    }
    st.roles = set.value();
    st.role_names = joined;
    scenario_.world.staff.push_back(std::move(st));
    return OkStatus();
  }

  // Opens a data file a field names, or says why it cannot.
  Result<std::string> DataFile(const Value& v, std::ifstream& in, const std::string& expected) {
    RENKEI_TRY(const std::string written, NonEmptyText(v, expected));
    // Relative to the file the value came from, which may be an included one.
    const std::string path = internal::PathFromFile(Pos(v).file, written).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return Fail(v,
                  v.name + " " + QuoteValue(written) + " is not a file (looked for " + path + ")",
                  expected);
    }
    in.open(path, std::ios::binary);
    if (!in) return Fail(v, v.name + " " + QuoteValue(written) + " cannot be read", expected);
    return path;
  }

  // Serials of 宛名番号 that renkei numbers itself at a body: generated residents and movers
  // from it count up from 1; movers into it from kMovedInSerials (500,000,001).
  static constexpr int64_t kFileSerialsFrom = 100'000'000;
  static constexpr int64_t kFileSerialsTo = 499'999'999;

  Status ParseResidentsFile(const Value& v, BodySpec& body) {
    const std::string expected =
        "a CSV file of residents as renkei gen residents writes it (header " +
        std::string("個人番号,住民票コード,宛名番号,氏名,氏名カナ,性別,生年月日,住所)");
    std::ifstream in;
    RENKEI_TRY(body.residents_file, DataFile(v, in, expected));
    auto residents = addressing::ReadResidentsCsv(in, body.residents_file);
    if (!residents.ok()) return Fail(v, residents.error().message, expected);
    if (residents->empty()) return Fail(v, body.residents_file + " has no residents", expected);
    for (size_t i = 0; i < residents->size(); ++i) {
      const std::string& atena = (*residents)[i].atena_number;
      const int64_t serial = std::stoll(atena.substr(6));
      const std::string where = body.residents_file + ": resident " + std::to_string(i + 1) +
                                " (line " + std::to_string(i + 2) + ")";
      if (atena.compare(0, 6, body.lgcode) != 0) {
        return Fail(v, where + ": 宛名番号 " + atena + " is not numbered by " + body.lgcode,
                    "宛名番号 of the body: its 地方公共団体コード and 9 digits, such as " +
                        body.lgcode + "100000001");
      }
      if (serial < kFileSerialsFrom || serial > kFileSerialsTo) {
        return Fail(v, where + ": 宛名番号 " + atena + " is in a series renkei numbers itself",
                    "serials 100000000 to 499999999 (1-99999999 are generated residents and "
                    "movers from the body, 500000001 and up movers into it)");
      }
    }
    body.file_residents = std::move(residents).value();
    return OkStatus();
  }

  Status ParseReplicasFile(const Value& v, BodySpec& body) {
    static constexpr std::array<std::string_view, 10> kReplicaHeader = {
        "record_id",    "atena_number", "tm",         "dataset_item_code", "record_key",
        "data_version", "publish_from", "publish_to", "ward_code",         "payload"};
    std::string header;
    for (std::string_view h : kReplicaHeader) {
      if (!header.empty()) header += ',';
      header += h;
    }
    const std::string expected = "a CSV file of replica records with the header " + header +
                                 " (atena_number: a 宛名番号 of the body's residents_file)";
    std::ifstream in;
    RENKEI_TRY(body.replicas_file, DataFile(v, in, expected));
    std::map<std::string, bool> known;
    for (const addressing::Resident& r : body.file_residents) known[r.atena_number] = true;
    std::map<std::string, int64_t> ids;  // record_id → line
    int64_t line_no = 1;
    auto bad = [&](const std::string& why) {
      return Fail(v, body.replicas_file + ":" + std::to_string(line_no) + ": " + why, expected);
    };
    // The replica store's import format, read as the store reads it: a payload may hold
    // quoted line breaks.
    netsim::CsvReader reader(in);
    netsim::CsvRecord record;
    const Result<bool> first = reader.Next(record);
    if (first.ok() && !*first) return bad("empty file; expected the header " + header);
    line_no = record.line;
    if (!first.ok() || !std::ranges::equal(record.fields, kReplicaHeader)) {
      return bad("the header must be " + header);
    }
    for (;;) {
      const Result<bool> read = reader.Next(record);
      line_no = record.line;
      if (!read.ok()) return bad(read.error().message);
      if (!*read) break;
      const std::vector<std::string>& c = record.fields;
      for (const std::string& field : c) {
        if (FirstInvalidUtf8(field) != std::string_view::npos) {
          return bad("encoding: the line is not valid UTF-8");
        }
      }
      if (c.size() != kReplicaHeader.size()) {
        return bad("expected " + std::to_string(kReplicaHeader.size()) + " columns, got " +
                   std::to_string(c.size()));
      }
      FileReplica fr;
      fr.line = line_no;
      fr.atena = c[1];
      if (known.count(fr.atena) == 0) {
        return bad("atena_number " + QuoteValue(fr.atena) + " is not a resident of " +
                   body.residents_file);
      }
      middleware::ReplicaRecord& r = fr.record;
      r.record_id = c[0];
      r.tm = c[2];
      r.dataset_item_code = c[3];
      r.record_key = c[4];
      const auto [ptr, ec] =
          std::from_chars(c[5].data(), c[5].data() + c[5].size(), r.data_version);
      if (c[5].empty() || ec != std::errc() || ptr != c[5].data() + c[5].size()) {
        return bad("data_version: a whole number required, got " + QuoteValue(c[5]));
      }
      r.publish_from = c[6];
      r.publish_to = c[7];
      r.ward_code = c[8];
      r.payload = c[9];
      if (Status s = middleware::ValidateReplicaFields(r, body.lgcode); !s.ok()) {
        return bad(s.error().message);
      }
      if (const auto [earlier, fresh] = ids.emplace(r.record_id, line_no); !fresh) {
        return bad("record_id " + r.record_id + " appears twice (first at line " +
                   std::to_string(earlier->second) + ")");
      }
      body.file_replicas.push_back(std::move(fr));
    }
    return OkStatus();
  }

  Status ParseMover(const Value& v) {
    RENKEI_TRY(const Fields f, MapOf(v, "a mover entry", {"from", "to", "count", "vaccinated"}));
    MoverSpec mover;
    mover.pos = Pos(f.mark);
    const Value* from = f.Find("from");
    const Value* to = f.Find("to");
    if (from == nullptr) return Missing(f, "a mover entry", "'from'", "from: <body moved from>");
    if (to == nullptr) return Missing(f, "a mover entry", "'to'", "to: <body moved to>");
    RENKEI_TRY(mover.from, BodyRef(*from, false, true));
    RENKEI_CHECK_OK(Generatable(*from, mover.from, "movers"));
    RENKEI_TRY(mover.to, BodyRef(*to, false, true));
    RENKEI_CHECK_OK(Generatable(*to, mover.to, "movers"));
    if (mover.from == kAnyBody || mover.to == kAnyBody) {
      // Drawn among municipalities that can generate residents, at least two of them.
      if (RandomMoverBodies(scenario_.world).size() < 2) {
        return Fail(mover.from == kAnyBody ? *from : *to,
                    "movers between bodies drawn at random, but fewer than two declared "
                    "municipalities can generate residents",
                    "two or more such bodies in world.bodies, or registry: national");
      }
    }
    if (mover.from == mover.to && mover.from != kAnyBody) {
      return Fail(*to, "a mover from " + mover.from + " to the same body",
                  "to: a body other than from:");
    }
    mover.count = 1;
    if (const Value* c = f.Find("count")) {
      RENKEI_TRY(const int64_t count, Integer(*c, 1, kMaxMoversPerEntry));
      if (total_movers_ + count > kMaxMovers) {
        return Fail(*c, "movers add up to " + std::to_string(total_movers_ + count),
                    "at most " + std::to_string(kMaxMovers) + " movers in all");
      }
      mover.count = static_cast<int>(count);
    }
    if (const Value* b = f.Find("vaccinated")) {
      RENKEI_TRY(mover.vaccinated, Bool(*b));
    }
    total_movers_ += mover.count;
    scenario_.world.movers.push_back(std::move(mover));
    return OkStatus();
  }

  Status ParseFlag(const Value& v) {
    RENKEI_TRY(const Fields f, MapOf(v, "a flag", {"body", "person", "kind", "tm", "reason"}));
    FlagSpec flag;
    flag.pos = Pos(f.mark);
    const Value* body = f.Find("body");
    const Value* person = f.Find("person");
    const Value* kind = f.Find("kind");
    const Value* reason = f.Find("reason");
    if (body == nullptr) return Missing(f, "a flag", "'body'", "body: <the body holding the flag>");
    if (person == nullptr) return Missing(f, "a flag", "'person'", "person: <mover number>");
    if (kind == nullptr) {
      return Missing(f, "a flag", "'kind'", "kind: suppress or self-info-blocked");
    }
    if (reason == nullptr) return Missing(f, "a flag", "'reason'", "reason: <why, for the record>");
    RENKEI_TRY(flag.body, BodyRef(*body, false));
    RENKEI_TRY(flag.person, Person(*person, flag.body, "flag's body"));
    RENKEI_TRY(flag.kind, Text(*kind, "suppress or self-info-blocked"));
    if (flag.kind != "suppress" && flag.kind != "self-info-blocked") {
      return Fail(*kind, "unknown flag kind " + QuoteValue(flag.kind),
                  "suppress or self-info-blocked");
    }
    if (const Value* tm = f.Find("tm")) {
      RENKEI_TRY(flag.tm, Code(*tm, netsim::CodeKind::kDataItem));
    }
    RENKEI_TRY(flag.reason, NonEmptyText(*reason, "a reason for the record"));
    scenario_.world.flags.push_back(std::move(flag));
    return OkStatus();
  }

  // ---- network ----

  Status ParseNetwork(const Value& v) {
    RENKEI_TRY(const Fields f,
               MapOf(v, "network", {"latency", "loss", "bandwidth", "in_order", "bodies", "nws"}));
    // The network's own fields first, wherever they stand in the map: a body's link starts
    // from them.
    LinkSpec& defaults = scenario_.network;
    RENKEI_CHECK_OK(ParseLinkFields(f, defaults));
    if (const Value* bodies = f.Find("bodies")) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(*bodies, "bodies' links"));
      for (const Value& item : items) RENKEI_CHECK_OK(ParseBodyLink(item));
    }
    if (const Value* nws = f.Find("nws")) RENKEI_CHECK_OK(ParseNws(*nws));
    return OkStatus();
  }

  // The link fields `f` holds, into `link`; the others keep the values `link` had.
  Status ParseLinkFields(const Fields& f, LinkSpec& link) const {
    if (const Value* l = f.Find("latency")) {
      RENKEI_TRY(link.latency, Latency(*l));
    }
    if (const Value* l = f.Find("loss")) {
      RENKEI_TRY(link.loss, Probability(*l));
    }
    if (const Value* b = f.Find("bandwidth")) {
      RENKEI_TRY(link.bandwidth_bps, Bandwidth(*b));
    }
    if (const Value* o = f.Find("in_order")) {
      RENKEI_TRY(link.in_order, Bool(*o));
    }
    return OkStatus();
  }

  Status ParseBodyLink(const Value& v) {
    const std::string what = "a body's link";
    RENKEI_TRY(const Fields f,
               MapOf(v, what, {"body", "latency", "loss", "bandwidth", "in_order"}));
    const Value* body = f.Find("body");
    if (body == nullptr) {
      return Missing(f, what, "'body'", "body: <a body declared in world.bodies>");
    }
    BodyLinkSpec entry;
    entry.pos = Pos(f.mark);
    RENKEI_TRY(entry.body, BodyRef(*body, false));
    for (const BodyLinkSpec& earlier : scenario_.network.bodies) {
      if (earlier.body == entry.body) {
        return Fail(*body,
                    "body " + entry.body + " (" + DeclaredBody(entry.body).name +
                        ") has two entries in network.bodies (first at " + earlier.pos.Describe() +
                        ")",
                    "each body once (one entry may set latency, loss, bandwidth and in_order "
                    "together)");
      }
    }
    // An entry that sets nothing is most likely a field left out by mistake.
    if (f.values.size() == 1) {
      return Missing(f, what, "field besides body",
                     "at least one of latency, loss, bandwidth, in_order for the body's link");
    }
    entry.link = scenario_.network;  // the network's link fields, then the entry's
    RENKEI_CHECK_OK(ParseLinkFields(f, entry.link));
    scenario_.network.bodies.push_back(std::move(entry));
    return OkStatus();
  }

  Status ParseNws(const Value& v) {
    RENKEI_TRY(const Fields f,
               MapOf(v, "nws", {"permit_check", "token_turnaround", "provider_processing"}));
    if (const Value* d = f.Find("permit_check")) {
      RENKEI_TRY(scenario_.network.permit_check, DurationOf(*d, false));
    }
    if (const Value* d = f.Find("token_turnaround")) {
      RENKEI_TRY(scenario_.network.token_turnaround, DurationOf(*d, false));
    }
    if (const Value* d = f.Find("provider_processing")) {
      RENKEI_TRY(scenario_.network.provider_processing, DurationOf(*d, false));
    }
    return OkStatus();
  }

  // `4ms` (fixed), or a map with one distribution: {fixed: 4ms}, {uniform: [2ms, 10ms]},
  // {lognormal: {median: 4ms, sigma: 0.5}} (optionally with cap:).
  Result<LatencySpec> Latency(const Value& v) const {
    const std::string forms =
        "a duration such as 4ms, or one distribution: {fixed: 4ms}, {uniform: [2ms, 10ms]} or "
        "{lognormal: {median: 4ms, sigma: 0.5}}";
    LatencySpec spec;
    if (v.node.IsScalar()) {
      RENKEI_TRY(const Duration fixed, DurationOf(v, false));
      spec.model = netsim::LatencyModel::Fixed(fixed);
      return spec;
    }
    if (!v.node.IsMap()) return Fail(v, v.name + " is " + Shape(v.node), forms);
    // The distribution's name is the map's one key; an unknown one is named as a distribution
    // rather than as an unknown field.
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      if (key.IsScalar() && key.Scalar() != "fixed" && key.Scalar() != "uniform" &&
          key.Scalar() != "lognormal") {
        return Fail(key.Mark(), "unknown latency distribution " + QuoteValue(key.Scalar()),
                    "fixed, uniform or lognormal (" + forms + ")");
      }
    }
    RENKEI_TRY(const Fields f, MapOf(v, v.name, {"fixed", "uniform", "lognormal"}));
    if (f.values.empty()) return Fail(v, v.name + " is an empty map", forms);
    if (f.values.size() > 1) {
      return Fail(f.values[1].key_mark,
                  v.name + " with both " + f.values[0].name + " and " + f.values[1].name,
                  "exactly one distribution");
    }
    const Value& d = f.values.front();
    if (d.name == "fixed") {
      RENKEI_TRY(const Duration fixed, DurationOf(d, false));
      spec.model = netsim::LatencyModel::Fixed(fixed);
    } else if (d.name == "uniform") {
      RENKEI_TRY(spec.model, Uniform(d));
    } else {
      RENKEI_TRY(spec.model, LogNormal(d));
    }
    return spec;
  }

  Result<netsim::LatencyModel> Uniform(const Value& v) const {
    const std::string expected =
        "[min, max]: two durations with min at most max, such as [2ms, 10ms]";
    if (!v.node.IsSequence()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    RENKEI_TRY(const std::vector<Value> items, ListOf(v, "two durations"));
    if (items.size() != 2) {
      return Fail(v, v.name + " has " + std::to_string(items.size()) + " values", expected);
    }
    RENKEI_TRY(const Duration min, DurationOf(items[0], false));
    RENKEI_TRY(const Duration max, DurationOf(items[1], false));
    if (max < min) {
      return Fail(items[1],
                  v.name + "'s max " + QuoteValue(items[1].node.Scalar()) + " is below its min " +
                      QuoteValue(items[0].node.Scalar()),
                  expected);
    }
    return netsim::LatencyModel::Uniform(min, max);
  }

  // The sigma bound keeps the tail plausible for a network: at sigma 3 one message in a
  // hundred already takes a thousand times the median. Zero would be a fixed latency.
  Result<netsim::LatencyModel> LogNormal(const Value& v) const {
    RENKEI_TRY(const Fields f, MapOf(v, v.name, {"median", "sigma", "cap"}));
    const Value* median = f.Find("median");
    const Value* sigma = f.Find("sigma");
    if (median == nullptr) {
      return Missing(f, v.name, "'median'", "median: <the typical latency, such as 4ms>");
    }
    if (sigma == nullptr) {
      return Missing(f, v.name, "'sigma'",
                     "sigma: <the spread, above 0 and at most 3, such as 0.5>");
    }
    RENKEI_TRY(const Duration m, DurationOf(*median, true));
    const std::string sigma_rule =
        "a number above 0 and at most 3, such as 0.5 (for no spread, use {fixed: …})";
    RENKEI_TRY(const double s, Number(*sigma, sigma_rule));
    if (!(s > 0 && s <= 3)) {
      return Fail(*sigma, "sigma " + QuoteValue(sigma->node.Scalar()) + " is out of range",
                  sigma_rule);
    }
    netsim::LatencyModel model = netsim::LatencyModel::LogNormal(m, s);
    if (const Value* cap = f.Find("cap")) {
      RENKEI_TRY(model.cap, DurationOf(*cap, true));
      if (model.cap < m) {
        return Fail(*cap,
                    "cap " + QuoteValue(cap->node.Scalar()) + " is below the median " +
                        QuoteValue(median->node.Scalar()),
                    "a cap at or above the median (the longest latency a message may take)");
      }
    }
    return model;
  }

  struct Unit {
    std::string_view suffix;
    int64_t per;
  };

  // A whole number followed by one of `units` ("100Mbps", "2KiB"), or a bare 0 when
  // `bare_zero`; at most `max` once scaled. `what` names the kind of value in messages.
  Result<int64_t> WholeWithUnit(const Value& v, std::initializer_list<Unit> units, bool bare_zero,
                                int64_t max, std::string_view what, const std::string& expected,
                                const std::string& max_text) const {
    if (!v.node.IsScalar()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    const std::string& s = v.node.Scalar();
    const bool negative = !s.empty() && s[0] == '-';
    const size_t begin = negative ? 1 : 0;
    size_t digits = 0;
    while (begin + digits < s.size() && IsDigit(s[begin + digits])) ++digits;
    const std::string_view unit = std::string_view(s).substr(begin + digits);
    int64_t per = 0;
    for (const Unit& u : units) {
      if (unit == u.suffix) per = u.per;
    }
    if (bare_zero && unit.empty() && digits > 0 &&
        s.find_first_not_of('0', begin) == std::string::npos) {
      per = 1;  // a bare 0 needs no unit
    }
    if (digits == 0 || per == 0) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not " + std::string(what), expected);
    }
    if (negative) return Fail(v, v.name + " " + QuoteValue(s) + " is negative", expected);
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(s.data() + begin, s.data() + begin + digits, n);
    if (ec != std::errc() || n > max / per) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is too high", max_text);
    }
    return n * per;
  }

  // "<n>bps", "<n>kbps", "<n>Mbps", "<n>Gbps" (decimal units) or a bare 0; 0 is unlimited.
  Result<int64_t> Bandwidth(const Value& v) const {
    return WholeWithUnit(
        v, {{"bps", 1}, {"kbps", 1'000}, {"Mbps", 1'000'000}, {"Gbps", 1'000'000'000}}, true,
        kMaxBandwidthBps, "a bandwidth",
        "a bandwidth written as a whole number followed by bps, kbps, Mbps or Gbps, such as "
        "100Mbps, or 0 for unlimited",
        "a bandwidth of at most 1000Gbps");
  }

  // A record size: "<n>B", "<n>KB", "<n>MB" (decimal) or "<n>KiB", "<n>MiB"; 1 byte up to the
  // replica store's limit.
  Result<int64_t> ByteSize(const Value& v) const {
    const std::string expected =
        "a size written as a whole number followed by B, KB, KiB, MB or MiB, such as 2KB, from "
        "1B to 1MiB";
    RENKEI_TRY(
        const int64_t bytes,
        WholeWithUnit(
            v, {{"B", 1}, {"KB", 1'000}, {"KiB", 1'024}, {"MB", 1'000'000}, {"MiB", 1'048'576}},
            false, static_cast<int64_t>(kMaxPayloadBytes), "a size", expected,
            "a size of at most 1MiB (the replica store's limit)"));
    if (bytes == 0)
      return Fail(v, v.name + " " + QuoteValue(v.node.Scalar()) + " is empty", expected);
    return bytes;
  }

  // ---- load ----

  Status ParseLoad(const Value& v) {
    RENKEI_TRY(const Fields f,
               MapOf(v, "load",
                     {"requester", "provider", "at", "open", "closed", "mix", "max_in_flight"}));
    LoadSpec load;
    load.pos = Pos(f.mark);
    const Value* requester = f.Find("requester");
    const Value* provider = f.Find("provider");
    if (requester == nullptr) {
      return Missing(f, "load", "'requester'", "requester: <the body that queries>");
    }
    if (provider == nullptr) {
      return Missing(f, "load", "'provider'", "provider: <the body that answers>");
    }
    RENKEI_TRY(load.requester, BodyRef(*requester, false, true));
    RENKEI_TRY(load.provider, BodyRef(*provider, false, true));
    if (load.requester == load.provider && load.requester != kAnyBody) {
      return Fail(*provider, "a load from " + load.requester + " to itself",
                  "provider: a body other than requester:");
    }
    // A mover entry may serve the load; with `any` on either side the run draws which do.
    const auto matches = [](const std::string& want, const std::string& have) {
      return want == kAnyBody || have == kAnyBody || want == have;
    };
    const bool has_movers =
        std::any_of(scenario_.world.movers.begin(), scenario_.world.movers.end(),
                    [&load, &matches](const MoverSpec& m) {
                      return matches(load.provider, m.from) && matches(load.requester, m.to);
                    });
    if (!has_movers) {
      return Fail(
          *provider,
          "the load has nobody to query: no movers from " + load.provider + " to " + load.requester,
          "a world.movers entry with from: " + load.provider + " and to: " + load.requester);
    }
    if (const Value* at = f.Find("at")) {
      RENKEI_TRY(load.at, DurationOf(*at, false));
    }
    const Value* open = f.Find("open");
    const Value* closed = f.Find("closed");
    if (open != nullptr && closed != nullptr) {
      const Value* second = open->key_mark.pos > closed->key_mark.pos ? open : closed;
      return Fail(second->key_mark, "a load with both open and closed",
                  "exactly one of open (arrival rates) and closed (clients)");
    }
    if (open == nullptr && closed == nullptr) {
      return Missing(f, "load", "open or closed",
                     "open: {stages: [...]} or closed: {clients: N, think: 2s, duration: 30m}");
    }
    if (open != nullptr) {
      load.model = LoadSpec::Model::kOpen;
      RENKEI_CHECK_OK(ParseOpenLoad(*open, load));
    } else {
      load.model = LoadSpec::Model::kClosed;
      RENKEI_CHECK_OK(ParseClosedLoad(*closed, load));
    }
    if (const Value* mix = f.Find("mix")) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(*mix, "procedures"));
      if (items.empty()) {
        return Fail(*mix, "load.mix is an empty list",
                    "at least one entry, such as {weight: 1, jt: JT00160200000001}");
      }
      // A data item's records are registered once per mover, so every entry that sets a
      // payload for an item must give it the same size.
      std::map<std::string, size_t> sized;  // TM → the mix entry that sized it
      for (const Value& item : items) {
        RENKEI_TRY(LoadMixEntry entry, ParseMixEntry(item));
        load.mix.push_back(std::move(entry));
        const LoadMixEntry& added = load.mix.back();
        if (added.payload_bytes == 0) continue;
        for (const std::string& tm : added.tm) {
          const auto [earlier, fresh] = sized.emplace(tm, load.mix.size() - 1);
          const LoadMixEntry& first = load.mix[earlier->second];
          if (!fresh && first.payload_bytes != added.payload_bytes) {
            return Fail(item,
                        tm + " gets records of " + std::to_string(added.payload_bytes) +
                            " bytes here and " + std::to_string(first.payload_bytes) +
                            " bytes at " + first.payload_pos.Describe(),
                        "one payload size per data item across the mix");
          }
        }
      }
    } else {
      load.mix.push_back(LoadMixEntry{});
    }
    if (const Value* m = f.Find("max_in_flight")) {
      if (load.model == LoadSpec::Model::kClosed) {
        return Fail(m->key_mark, "max_in_flight with a closed load",
                    "max_in_flight only with open (a closed load's clients bound what is in "
                    "flight)");
      }
      if (load.requester == kAnyBody) {
        return Fail(m->key_mark, "max_in_flight with requester: any",
                    "max_in_flight with one requester (it bounds that body's open queries)");
      }
      RENKEI_TRY(load.max_in_flight, Integer(*m, 1, kMaxInFlight));
    }
    scenario_.load = std::move(load);
    return OkStatus();
  }

  Status ParseOpenLoad(const Value& v, LoadSpec& load) const {
    RENKEI_TRY(const Fields f, MapOf(v, "open", {"stages", "days", "weekly", "monthly", "closed"}));
    const Value* stages = f.Find("stages");
    if (stages == nullptr) {
      return Missing(f, "open", "'stages'", "stages: [{duration: 10m, rate: 2/s}, ...]");
    }
    RENKEI_TRY(const std::vector<Value> items, ListOf(*stages, "stages"));
    if (items.empty()) {
      return Fail(*stages, "open.stages is an empty list",
                  "at least one stage, such as {duration: 10m, rate: 2/s}");
    }
    for (const Value& item : items) {
      // Stages follow each other; a start of their own could only make them overlap or leave
      // gaps, so it is refused with that reason rather than as an unknown field.
      if (item.node.IsMap()) {
        for (auto it = item.node.begin(); it != item.node.end(); ++it) {
          const YAML::Node key = it->first;
          if (key.IsScalar() && (key.Scalar() == "start" || key.Scalar() == "at")) {
            return Fail(key.Mark(),
                        "a stage with its own " + key.Scalar() +
                            " (stages run back to back, so they can neither overlap nor leave "
                            "gaps)",
                        "duration, rate and to only; load.at sets when the first stage starts");
          }
        }
      }
      RENKEI_TRY(const Fields stage, MapOf(item, "a stage", {"duration", "rate", "to"}));
      LoadStage s;
      s.pos = Pos(stage.mark);
      const Value* duration = stage.Find("duration");
      const Value* rate = stage.Find("rate");
      if (duration == nullptr) {
        return Missing(stage, "a stage", "'duration'", "duration: <how long, such as 10m>");
      }
      if (rate == nullptr) {
        return Missing(stage, "a stage", "'rate'", "rate: <arrivals, such as 2/s>");
      }
      RENKEI_TRY(s.duration, DurationOf(*duration, true));
      RENKEI_TRY(s.rate, Rate(*rate));
      s.to = s.rate;
      if (const Value* to = stage.Find("to")) {
        RENKEI_TRY(s.to, Rate(*to));
      }
      load.stages.push_back(s);
    }
    return ParseCalendar(f, load);
  }

  // The calendar of an open load: days, weekly, monthly and closed (LoadSpec).
  Status ParseCalendar(const Fields& f, LoadSpec& load) const {
    const Value* days = f.Find("days");
    if (days != nullptr) {
      RENKEI_TRY(const int64_t n, Integer(*days, 1, kMaxLoadDays));
      load.days = static_cast<int>(n);
    }
    Duration one_day;
    for (const LoadStage& stage : load.stages) one_day += stage.duration;
    if (load.days > 1 && one_day > Duration::Days(1)) {
      return Fail(*days,
                  "the stages last " + std::to_string(one_day.micros() / 1000000) +
                      " s, longer than the day they repeat on",
                  "stages of at most 24h in all with days above 1");
    }
    if (load.at + load.Span() > kMaxDuration) {
      return Fail(days != nullptr ? *days : *f.Find("stages"),
                  "the load ends more than 365 days after the start",
                  "at, the stages and days within 365d");
    }
    if (const Value* w = f.Find("weekly")) {
      static constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu",
                                                                "fri", "sat", "sun"};
      RENKEI_CHECK_OK(Factors(*w, kDays, load.weekly));
    }
    if (const Value* m = f.Find("monthly")) {
      static constexpr std::array<std::string_view, 12> kMonths = {
          "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
      RENKEI_CHECK_OK(Factors(*m, kMonths, load.monthly));
    }
    if (const Value* c = f.Find("closed")) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(*c, "dates or date ranges"));
      const netsim::SimTime first_day = scenario_.start + load.at;
      const netsim::SimTime last_day = first_day + Duration::Days(load.days - 1);
      for (const Value& item : items) {
        RENKEI_TRY(const auto range, DateRange(item));
        if (range.first < DayNumber(first_day) || range.second > DayNumber(last_day)) {
          return Fail(
              item,
              item.name + " " + QuoteValue(item.node.Scalar()) + " is not among the load's days",
              "dates from " + netsim::FormatIsoDate(first_day) + " to " +
                  netsim::FormatIsoDate(last_day));
        }
        for (int64_t d = range.first; d <= range.second; ++d) load.closed.push_back(d);
      }
      std::sort(load.closed.begin(), load.closed.end());
      load.closed.erase(std::unique(load.closed.begin(), load.closed.end()), load.closed.end());
    }
    return OkStatus();
  }

  // {mon: 1.1, sat: 0.05}: a factor of 0 or more per named day or month; those not named stay 1.
  template <size_t N>
  Status Factors(const Value& v, const std::array<std::string_view, N>& names,
                 std::array<double, N>& out) const {
    const std::string expected = "a map such as {" + std::string(names[0]) + ": 1.2, " +
                                 std::string(names[N - 1]) + ": 0.1} with factors of 0 or more";
    if (!v.node.IsMap()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    std::array<bool, N> seen{};
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      const std::string name = key.IsScalar() ? key.Scalar() : std::string();
      const auto at = std::find(names.begin(), names.end(), name);
      if (at == names.end()) {
        std::string all;
        for (std::string_view n : names) all += (all.empty() ? "" : ", ") + std::string(n);
        return Fail(
            key.Mark(),
            "unknown name " + (key.IsScalar() ? QuoteValue(name) : Shape(key)) + " in " + v.name,
            "one of " + all);
      }
      const auto i = static_cast<size_t>(at - names.begin());
      if (seen[i]) {
        return Fail(key.Mark(), "'" + name + "' appears twice in " + v.name, "each name once");
      }
      seen[i] = true;
      const YAML::Node value = it->second;
      const Value factor{value, value.Mark().is_null() ? key.Mark() : value.Mark(),
                         v.name + "." + name, key.Mark()};
      RENKEI_TRY(const double x, Number(factor, "a factor of 0 or more, such as 1.2"));
      if (x < 0 || x > kMaxFactor) {
        return Fail(factor, factor.name + " " + QuoteValue(value.Scalar()) + " is out of range",
                    "a factor from 0 to " + std::to_string(static_cast<int>(kMaxFactor)));
      }
      out[i] = x;
    }
    return OkStatus();
  }

  // "2022-12-29" or "2022-12-29..2023-01-03" (both ends included): days since 2000-01-01.
  Result<std::pair<int64_t, int64_t>> DateRange(const Value& v) const {
    const std::string expected = "a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD";
    if (!v.node.IsScalar()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    const std::string& s = v.node.Scalar();
    const size_t dots = s.find("..");
    const std::string_view from = std::string_view(s).substr(0, dots);
    const std::string_view to =
        dots == std::string::npos ? from : std::string_view(s).substr(dots + 2);
    const Result<addressing::Date> first = addressing::ParseDate(from);
    const Result<addressing::Date> last = addressing::ParseDate(to);
    if (!first.ok() || !last.ok()) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not a date", expected);
    }
    const int64_t a = netsim::DaysFromCivil(first->year, first->month, first->day);
    const int64_t b = netsim::DaysFromCivil(last->year, last->month, last->day);
    if (b < a) {
      return Fail(v, v.name + " " + QuoteValue(s) + " ends before it begins",
                  "a range whose second date is not before its first");
    }
    return std::make_pair(a, b);
  }

  Status ParseClosedLoad(const Value& v, LoadSpec& load) const {
    RENKEI_TRY(const Fields f, MapOf(v, "closed", {"clients", "think", "duration"}));
    const Value* clients = f.Find("clients");
    const Value* duration = f.Find("duration");
    if (clients == nullptr) {
      return Missing(f, "closed", "'clients'", "clients: <how many query at once>");
    }
    if (duration == nullptr) {
      return Missing(f, "closed", "'duration'", "duration: <how long they query, such as 30m>");
    }
    RENKEI_TRY(const int64_t n, Integer(*clients, 1, kMaxClients));
    load.clients = static_cast<int>(n);
    if (const Value* think = f.Find("think")) {
      RENKEI_TRY(load.think, DurationOf(*think, false));
    }
    RENKEI_TRY(load.duration, DurationOf(*duration, true));
    return OkStatus();
  }

  Result<LoadMixEntry> ParseMixEntry(const Value& v) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a mix entry", {"weight", "jm", "jt", "tm", "payload"}));
    LoadMixEntry entry;
    if (const Value* w = f.Find("weight")) {
      RENKEI_TRY(entry.weight, Integer(*w, 1, kMaxWeight));
    }
    if (const Value* jm = f.Find("jm")) {
      RENKEI_TRY(entry.jm, Code(*jm, netsim::CodeKind::kBusiness));
    }
    if (const Value* jt = f.Find("jt")) {
      RENKEI_TRY(entry.jt, Code(*jt, netsim::CodeKind::kProcedure));
    }
    if (const Value* tm = f.Find("tm")) {
      RENKEI_TRY(entry.tm, TmCodes(*tm));
    }
    if (const Value* payload = f.Find("payload")) {
      RENKEI_TRY(entry.payload_bytes, ByteSize(*payload));
      entry.payload_pos = Pos(payload->mark);
    }
    return entry;
  }

  // "<n>/s", "<n>/m" or "<n>/h": arrivals per second, minute or hour; n a plain decimal such as
  // 2 or 0.5. Returned per second; above 0 and at most kMaxRatePerSecond.
  Result<double> Rate(const Value& v) const {
    const std::string expected =
        "a rate above 0 written as <n>/s, <n>/m or <n>/h, such as 2/s, 0.5/s or 30/m";
    if (!v.node.IsScalar()) return Fail(v, v.name + " is " + Shape(v.node), expected);
    const std::string& s = v.node.Scalar();
    const size_t slash = s.find('/');
    const std::string_view number = std::string_view(s).substr(0, slash);
    const std::string_view unit =
        slash == std::string::npos ? std::string_view() : std::string_view(s).substr(slash + 1);
    double per = 0;
    if (unit == "s") {
      per = 1;
    } else if (unit == "m") {
      per = 60;
    } else if (unit == "h") {
      per = 3600;
    }
    if (!number.empty() && number[0] == '-') {
      return Fail(v, v.name + " " + QuoteValue(s) + " is negative", expected);
    }
    const size_t dot = number.find('.');
    const bool digits_ok =
        !number.empty() && number.front() != '.' && number.back() != '.' &&
        number.find('.', dot == std::string_view::npos ? number.size() : dot + 1) ==
            std::string_view::npos &&
        std::all_of(number.begin(), number.end(), [](char c) { return IsDigit(c) || c == '.'; });
    double n = 0;
    if (digits_ok) {
      const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
      if (ec != std::errc() || ptr != number.data() + number.size()) n = -1;
    }
    if (per == 0 || !digits_ok || n < 0 || !std::isfinite(n)) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is not a rate", expected);
    }
    if (n == 0) return Fail(v, v.name + " " + QuoteValue(s) + " is zero", expected);
    const double per_second = n / per;
    if (per_second > kMaxRatePerSecond) {
      return Fail(v, v.name + " " + QuoteValue(s) + " is too high", "a rate of at most 10000/s");
    }
    return per_second;
  }

  // ---- timeline ----

  struct PendingDecision {
    size_t event;
    Value query;
    Value remove;  // node undefined when absent
    Value by;      // node undefined when absent
  };

  Status ParseTimeline(const Value& v) {
    RENKEI_TRY(const std::vector<Value> items, ListOf(v, "events"));
    std::vector<PendingDecision> decisions;
    std::vector<PendingRef> move_ins;
    std::vector<PendingRef> attacks;
    for (const Value& item : items) {
      RENKEI_TRY(const Fields f, MapOf(item, "an event",
                                       {"at", "query", "decide", "fault", "move_in", "move_out",
                                        "death", "attack", "batch", "flag", "replica", "rotate_key",
                                        "partition", "loss", "narration", "use", "with"}));
      TimelineEvent event;
      event.pos = Pos(f.mark);
      const Value* kind = nullptr;
      for (const Value& field : f.values) {
        if (field.name == "at" || field.name == "narration") continue;
        // `use` entries were expanded from their templates before this parse (they are listed
        // as fields for the message about unknown ones), so `with` here came without `use`.
        if (field.name == "with") {
          return Fail(field.key_mark, "an event with 'with' but no 'use'",
                      "use: <a template's name> next to with: <its parameters>");
        }
        if (kind != nullptr) {
          return Fail(field.key_mark, "an event with both " + kind->name + " and " + field.name,
                      "exactly one of " + std::string(kEventKinds) + " per event");
        }
        kind = &field;
      }
      if (kind == nullptr) {
        return Missing(f, "an event", "event kind",
                       "exactly one of " + std::string(kEventKinds) + " per event");
      }
      const Value* at = f.Find("at");
      if (at == nullptr) {
        return Missing(f, "an event", "'at'", "at: <time after start, such as 5m>");
      }
      RENKEI_TRY(event.at, DurationOf(*at, false));
      if (const Value* n = f.Find("narration")) {
        RENKEI_TRY(event.narration, Text(*n, "a text"));
      }
      if (kind->name == "query") {
        event.kind = TimelineEvent::Kind::kQuery;
        RENKEI_TRY(event.query, ParseQuery(*kind));
        query_events_[event.query.id] = scenario_.timeline.size();
      } else if (kind->name == "move_in") {
        event.kind = TimelineEvent::Kind::kMoveIn;
        RENKEI_TRY(Value person, ParseMoveIn(*kind, event.move_in));
        move_ins.push_back(PendingRef{scenario_.timeline.size(), std::move(person)});
      } else if (kind->name == "batch") {
        event.kind = TimelineEvent::Kind::kBatch;
        RENKEI_TRY(event.batch, ParseBatch(*kind));
        batch_events_[event.batch.id] = scenario_.timeline.size();
      } else if (kind->name == "attack") {
        event.kind = TimelineEvent::Kind::kAttack;
        RENKEI_TRY(Value query, ParseAttack(*kind, event.attack));
        attacks.push_back(PendingRef{scenario_.timeline.size(), std::move(query)});
      } else if (kind->name == "flag") {
        event.kind = TimelineEvent::Kind::kFlag;
        RENKEI_TRY(Value person, ParseFlagEvent(*kind, event.flag));
        person_events_.push_back(PendingRef{scenario_.timeline.size(), std::move(person)});
      } else if (kind->name == "replica") {
        event.kind = TimelineEvent::Kind::kReplica;
        RENKEI_TRY(Value person, ParseReplicaEvent(*kind, event.replica));
        person_events_.push_back(PendingRef{scenario_.timeline.size(), std::move(person)});
      } else if (kind->name == "move_out" || kind->name == "death") {
        event.kind =
            kind->name == "death" ? TimelineEvent::Kind::kDeath : TimelineEvent::Kind::kMoveOut;
        RENKEI_TRY(Value person, ParseStatusChange(*kind, event.status));
        person_events_.push_back(PendingRef{scenario_.timeline.size(), std::move(person)});
      } else if (kind->name == "rotate_key") {
        event.kind = TimelineEvent::Kind::kRotateKey;
        RENKEI_TRY(const Fields rf, MapOf(*kind, "a rotate_key", {"body"}));
        const Value* body = rf.Find("body");
        if (body == nullptr) {
          return Missing(rf, "a rotate_key", "'body'",
                         "body: <the body whose replica key rotates>");
        }
        RENKEI_TRY(event.rotate_key.body, BodyRef(*body, false));
      } else if (kind->name == "partition") {
        event.kind = TimelineEvent::Kind::kPartition;
        RENKEI_TRY(event.partition, ParsePartition(*kind));
      } else if (kind->name == "loss") {
        event.kind = TimelineEvent::Kind::kLoss;
        RENKEI_TRY(event.loss, ParseLoss(*kind));
      } else if (kind->name == "decide") {
        event.kind = TimelineEvent::Kind::kDecision;
        RENKEI_TRY(PendingDecision pending, ParseDecision(*kind, event.decision));
        pending.event = scenario_.timeline.size();
        decisions.push_back(std::move(pending));
      } else {
        event.kind = TimelineEvent::Kind::kFault;
        RENKEI_TRY(event.fault, ParseFault(*kind));
      }
      scenario_.timeline.push_back(std::move(event));
    }
    // Decisions may name queries that come later in the file (`at` need not be sorted).
    std::map<std::string, SourcePos> decided;
    for (const PendingDecision& d : decisions) {
      const DecisionSpec& decision = scenario_.timeline[d.event].decision;
      const auto q = query_events_.find(decision.query);
      if (q == query_events_.end()) {
        return Fail(d.query,
                    "decide names query " + QuoteValue(decision.query) +
                        ", which no event of the timeline defines",
                    "the id of a query in the timeline" + KnownQueries());
      }
      const auto [earlier, fresh] = decided.emplace(decision.query, Pos(d.query));
      if (!fresh) {
        return Fail(d.query,
                    "query " + decision.query + " is decided twice (first at " +
                        earlier->second.Describe() + ")",
                    "one decision per query");
      }
      const QuerySpec& query = scenario_.timeline[q->second].query;
      if (!decision.by.empty()) {
        bool known = false;
        for (const char* a : kWorldAccounts) known = known || decision.by == a;
        for (const StaffSpec& st : scenario_.world.staff) {
          known = known || (st.body == query.to && st.account == decision.by);
        }
        if (!known) {
          return Fail(d.by,
                      "by names " + QuoteValue(decision.by) + ", which is no staff account of " +
                          query.to + " (the provider of query " + query.id + ")",
                      "an account of world.staff at the provider, or reviewer");
        }
      }
      if (d.remove.node.IsDefined()) {
        for (const std::string& tm : decision.remove) {
          if (std::find(query.tm.begin(), query.tm.end(), tm) == query.tm.end()) {
            return Fail(d.remove,
                        "remove names " + tm + ", which query " + query.id + " does not ask for",
                        "TM codes of the query's tm");
          }
        }
      }
    }
    RENKEI_CHECK_OK(CheckMoveIns(move_ins));
    RENKEI_CHECK_OK(CheckAttacks(attacks));
    return OkStatus();
  }

  // A later check of one event: the event's index and the value to point at.
  struct PendingRef {
    size_t event;
    Value value;
  };

  const MoverSpec& MoverOf(int person) const {
    int64_t first = 1;
    for (const MoverSpec& m : scenario_.world.movers) {
      if (person < first + m.count) return m;
      first += m.count;
    }
    return scenario_.world.movers.back();  // unreachable: persons are checked against the total
  }

  // A mover who moves in during the timeline is registered at the new home only then, so
  // nothing may use that registration earlier: no flag there, no load that may pick them, no
  // query from there before the move (at one instant, events run in file order).
  Status CheckMoveIns(const std::vector<PendingRef>& move_ins) const {
    std::map<int, size_t> seen;  // person → the move_in event
    for (const PendingRef& m : move_ins) {
      const TimelineEvent& event = scenario_.timeline[m.event];
      const int person = event.move_in.person;
      const std::string who = "person " + std::to_string(person);
      const MoverSpec& mover = MoverOf(person);
      if (const auto [it, fresh] = seen.emplace(person, m.event); !fresh) {
        return Fail(m.value,
                    who + " moves in twice (first at " +
                        scenario_.timeline[it->second].pos.Describe() + ")",
                    "one move_in per mover");
      }
      for (const FlagSpec& flag : scenario_.world.flags) {
        if (flag.person == person && flag.body == mover.to) {
          return Fail(m.value,
                      who + " moves in to " + mover.to +
                          " during the timeline but has a flag there (" + flag.pos.Describe() + ")",
                      "flags at the new home only for movers registered there during setup");
        }
      }
      if (scenario_.load &&
          (scenario_.load->provider == mover.from || scenario_.load->provider == kAnyBody) &&
          (scenario_.load->requester == mover.to || scenario_.load->requester == kAnyBody)) {
        return Fail(m.value,
                    who + " is one of the movers the load picks from (" + mover.from + " to " +
                        mover.to + "), who must be registered from the start",
                    "a move_in for a mover of another world.movers entry");
      }
      for (const auto& [id, index] : query_events_) {
        const TimelineEvent& q = scenario_.timeline[index];
        if (q.query.person != person || q.query.from != mover.to) continue;
        if (q.at < event.at || (q.at == event.at && index < m.event)) {
          return Fail(query_persons_.at(id),
                      "query " + id + " asks from " + mover.to + " about " + who +
                          " before they move in there (at " + event.pos.Describe() + ")",
                      "a query after the move_in (at the same time: later in the file)");
        }
      }
      for (const auto& [id, index] : batch_events_) {
        const TimelineEvent& b = scenario_.timeline[index];
        if (b.batch.from != mover.to || std::find(b.batch.persons.begin(), b.batch.persons.end(),
                                                  person) == b.batch.persons.end()) {
          continue;
        }
        if (b.at < event.at || (b.at == event.at && index < m.event)) {
          return Fail(batch_persons_.at(id),
                      "batch " + id + " asks from " + mover.to + " about " + who +
                          " before they move in there (at " + event.pos.Describe() + ")",
                      "a batch after the move_in (at the same time: later in the file)");
        }
      }
    }
    for (const PendingRef& p : person_events_) {
      for (const PendingRef& m : move_ins) {
        const TimelineEvent& move = scenario_.timeline[m.event];
        const TimelineEvent& event = scenario_.timeline[p.event];
        const auto [body, person] = PersonEventTarget(event);
        if (person != move.move_in.person || body != MoverOf(person).to) continue;
        if (event.at < move.at || (event.at == move.at && p.event < m.event)) {
          return Fail(p.value,
                      PersonEventName(event) + " at " + body + " for person " +
                          std::to_string(person) + " before they move in there (at " +
                          move.pos.Describe() + ")",
                      "an event after the move_in (at the same time: later in the file)");
        }
      }
    }
    return CheckDeaths();
  }

  // The body and mover a flag, replica, move_out or death event is about.
  static std::pair<std::string, int> PersonEventTarget(const TimelineEvent& e) {
    switch (e.kind) {
      case TimelineEvent::Kind::kFlag:
        return {e.flag.body, e.flag.person};
      case TimelineEvent::Kind::kReplica:
        return {e.replica.body, e.replica.person};
      default:
        return {e.status.body, e.status.person};
    }
  }
  static std::string PersonEventName(const TimelineEvent& e) {
    switch (e.kind) {
      case TimelineEvent::Kind::kFlag:
        return "flag";
      case TimelineEvent::Kind::kReplica:
        return "replica";
      case TimelineEvent::Kind::kDeath:
        return "death";
      default:
        return "move_out";
    }
  }

  // The addressing server refuses to change a deceased person's status, so a rehearsal that
  // records a death and later another status change for the person at that body is a mistake
  // in the file, found before the run (events at one instant run in file order).
  Status CheckDeaths() const {
    for (const PendingRef& d : person_events_) {
      const TimelineEvent& death = scenario_.timeline[d.event];
      if (death.kind != TimelineEvent::Kind::kDeath) continue;
      for (const PendingRef& p : person_events_) {
        const TimelineEvent& event = scenario_.timeline[p.event];
        if (p.event == d.event || (event.kind != TimelineEvent::Kind::kDeath &&
                                   event.kind != TimelineEvent::Kind::kMoveOut)) {
          continue;
        }
        if (PersonEventTarget(event) != PersonEventTarget(death)) continue;
        if (death.at < event.at || (death.at == event.at && d.event < p.event)) {
          return Fail(p.value,
                      PersonEventName(event) + " at " + death.status.body + " for person " +
                          std::to_string(death.status.person) + " after their death there (at " +
                          death.pos.Describe() + ")",
                      "no status change after a death");
        }
      }
    }
    return OkStatus();
  }

  // A batch query file's lines: the persons listed, or every mover who moved from the
  // provider to the requester (`movers: all`, in mover order).
  Result<BatchSpec> ParseBatch(const Value& v) {
    RENKEI_TRY(const Fields f,
               MapOf(v, "a batch", {"id", "from", "to", "jm", "jt", "tm", "persons", "movers"}));
    BatchSpec b;
    for (const char* required : {"id", "from", "to"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a batch", "'" + std::string(required) + "'",
                       "a batch with id, from, to and persons or movers");
      }
    }
    const Value& id = *f.Find("id");
    const std::string id_rule = "an id of 1-32 letters, digits, '_' or '-', such as b1";
    RENKEI_TRY(b.id, Text(id, id_rule));
    const bool id_ok = !b.id.empty() && b.id.size() <= kMaxQueryIdLength &&
                       std::all_of(b.id.begin(), b.id.end(), [](char c) {
                         return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                c == '_' || c == '-';
                       });
    if (!id_ok) return Fail(id, "batch id " + QuoteValue(b.id) + " is not a valid id", id_rule);
    const auto query = query_events_.find(b.id);
    const auto batch = batch_events_.find(b.id);
    if (query != query_events_.end() || batch != batch_events_.end()) {
      const size_t earlier = query != query_events_.end() ? query->second : batch->second;
      return Fail(id,
                  "batch id " + b.id + " is already used (at " +
                      scenario_.timeline[earlier].pos.Describe() + ")",
                  "a unique id per query and batch");
    }
    RENKEI_TRY(b.from, BodyRef(*f.Find("from"), false));
    RENKEI_TRY(b.to, BodyRef(*f.Find("to"), false));
    if (b.from == b.to) {
      return Fail(*f.Find("to"), "a batch from " + b.from + " to itself",
                  "to: a body other than from: (the provider)");
    }
    if (const Value* jm = f.Find("jm")) {
      RENKEI_TRY(b.jm, Code(*jm, netsim::CodeKind::kBusiness));
    }
    if (const Value* jt = f.Find("jt")) {
      RENKEI_TRY(b.jt, Code(*jt, netsim::CodeKind::kProcedure));
    }
    if (const Value* tm = f.Find("tm")) {
      RENKEI_TRY(b.tm, Code(*tm, netsim::CodeKind::kDataItem));
    }
    const Value* persons = f.Find("persons");
    const Value* movers = f.Find("movers");
    if (persons != nullptr && movers != nullptr) {
      const Value* second = persons->key_mark.pos > movers->key_mark.pos ? persons : movers;
      return Fail(second->key_mark, "a batch with both persons and movers",
                  "exactly one of persons (a list of mover numbers) and movers: all");
    }
    if (persons == nullptr && movers == nullptr) {
      return Missing(f, "a batch", "persons or movers", "persons: [1, 2, ...] or movers: all");
    }
    if (persons != nullptr) {
      RENKEI_TRY(const std::vector<Value> items, ListOf(*persons, "mover numbers"));
      if (items.empty()) {
        return Fail(*persons, "persons is an empty list", "at least one mover number");
      }
      for (const Value& item : items) {
        RENKEI_TRY(const int person, Person(item, b.from, "requester"));
        b.persons.push_back(person);
      }
      batch_persons_[b.id] = *persons;
      return b;
    }
    const std::string all_rule =
        "all: every mover from the provider (to:) to the requester (from:)";
    RENKEI_TRY(const std::string all, Text(*movers, all_rule));
    if (all != "all") return Fail(*movers, "movers " + QuoteValue(all) + " is not all", all_rule);
    int first = 1;
    for (const MoverSpec& m : scenario_.world.movers) {
      if (m.from == b.to && m.to == b.from) {
        for (int i = 0; i < m.count; ++i) b.persons.push_back(first + i);
      }
      first += m.count;
    }
    if (b.persons.empty()) {
      return Fail(*movers, "movers: all finds no movers from " + b.to + " to " + b.from,
                  "a world.movers entry with from: " + b.to + " and to: " + b.from);
    }
    batch_persons_[b.id] = *movers;
    return b;
  }

  // An attack copies a query that was sent earlier: it names one, and comes after it.
  Status CheckAttacks(const std::vector<PendingRef>& attacks) const {
    for (const PendingRef& a : attacks) {
      const TimelineEvent& event = scenario_.timeline[a.event];
      const auto q = query_events_.find(event.attack.query);
      if (q == query_events_.end()) {
        return Fail(a.value,
                    "attack names query " + QuoteValue(event.attack.query) +
                        ", which no event of the timeline defines",
                    "the id of a query in the timeline" + KnownQueries());
      }
      const TimelineEvent& query = scenario_.timeline[q->second];
      if (event.at <= query.at) {
        return Fail(a.value,
                    "the attack comes no later than query " + query.query.id + " (at " +
                        query.pos.Describe() + "), which has not been sent to copy yet",
                    "an attack at a later time than the query it copies");
      }
    }
    return OkStatus();
  }

  Result<Value> ParseMoveIn(const Value& v, MoveInSpec& m) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a move_in", {"person"}));
    const Value* person = f.Find("person");
    if (person == nullptr) {
      return Missing(f, "a move_in", "'person'", "person: <the mover who moves in>");
    }
    if (total_movers_ == 0) {
      return Fail(*person, person->name + " names a mover, but world.movers declares none",
                  "movers in world.movers (person: N is the N-th mover)");
    }
    RENKEI_TRY(const int64_t n, Integer(*person, 1, total_movers_));
    // Person refuses movers with drawn bodies: their new home is not known before the run.
    RENKEI_TRY(m.person, Person(*person, MoverOf(static_cast<int>(n)).to, "new home"));
    return *person;
  }

  Result<Value> ParseAttack(const Value& v, AttackSpec& a) const {
    RENKEI_TRY(const Fields f, MapOf(v, "an attack", {"kind", "query"}));
    const Value* kind = f.Find("kind");
    const Value* query = f.Find("query");
    const std::string kinds = "forged-permit or replayed-permit";
    if (kind == nullptr) return Missing(f, "an attack", "'kind'", "kind: " + kinds);
    if (query == nullptr) {
      return Missing(f, "an attack", "'query'", "query: <the id of the query it copies>");
    }
    RENKEI_TRY(a.kind, Text(*kind, kinds));
    if (a.kind != "forged-permit" && a.kind != "replayed-permit") {
      return Fail(*kind, "unknown attack kind " + QuoteValue(a.kind), kinds);
    }
    RENKEI_TRY(a.query, Text(*query, "the id of a query in the timeline"));
    return *query;
  }

  std::string KnownQueries() const {
    if (query_events_.empty()) return " (the timeline has no queries)";
    std::string out;
    for (const auto& [id, index] : query_events_) {
      out += out.empty() ? ": " : ", ";
      out += id;
    }
    return out;
  }

  Result<QuerySpec> ParseQuery(const Value& v) {
    RENKEI_TRY(const Fields f,
               MapOf(v, "a query",
                     {"id", "from", "to", "jm", "jt", "tm", "person", "atena", "non_disclosure"}));
    QuerySpec q;
    for (const char* required : {"id", "from", "to"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a query", "'" + std::string(required) + "'",
                       "a query with id, from, to and person (or atena)");
      }
    }
    const Value* person = f.Find("person");
    const Value* atena = f.Find("atena");
    if (person == nullptr && atena == nullptr) {
      return Missing(f, "a query", "'person' or 'atena'",
                     "person: <a mover number> or atena: <the requester's 宛名番号 of a person "
                     "of its residents_file>");
    }
    if (person != nullptr && atena != nullptr) {
      const Value* second = person->key_mark.pos > atena->key_mark.pos ? person : atena;
      return Fail(second->key_mark, "a query with both person and atena",
                  "one of person (a mover number) and atena (a 宛名番号)");
    }
    const Value& id = *f.Find("id");
    const std::string id_rule = "an id of 1-32 letters, digits, '_' or '-', such as q1";
    RENKEI_TRY(q.id, Text(id, id_rule));
    const bool id_ok = !q.id.empty() && q.id.size() <= kMaxQueryIdLength &&
                       std::all_of(q.id.begin(), q.id.end(), [](char c) {
                         return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                c == '_' || c == '-';
                       });
    if (!id_ok) return Fail(id, "query id " + QuoteValue(q.id) + " is not a valid id", id_rule);
    if (q.id.rfind(kLoadQueryPrefix, 0) == 0) {
      return Fail(
          id,
          "query id " + QuoteValue(q.id) + " starts with 'load-', which names the load's queries",
          "an id that does not start with 'load-'");
    }
    if (const auto earlier = query_events_.find(q.id); earlier != query_events_.end()) {
      return Fail(id,
                  "query id " + q.id + " is already used (at " +
                      scenario_.timeline[earlier->second].pos.Describe() + ")",
                  "a unique id per query");
    }
    if (const auto batch = batch_events_.find(q.id); batch != batch_events_.end()) {
      return Fail(id,
                  "query id " + q.id + " is already a batch's id (at " +
                      scenario_.timeline[batch->second].pos.Describe() + ")",
                  "a unique id per query and batch");
    }
    RENKEI_TRY(q.from, BodyRef(*f.Find("from"), false));
    RENKEI_TRY(q.to, BodyRef(*f.Find("to"), false));
    if (q.from == q.to) {
      return Fail(*f.Find("to"), "a query from " + q.from + " to itself",
                  "to: a body other than from: (the provider)");
    }
    if (const Value* jm = f.Find("jm")) {
      RENKEI_TRY(q.jm, Code(*jm, netsim::CodeKind::kBusiness));
    }
    if (const Value* jt = f.Find("jt")) {
      RENKEI_TRY(q.jt, Code(*jt, netsim::CodeKind::kProcedure));
    }
    if (const Value* tm = f.Find("tm")) {
      RENKEI_TRY(q.tm, TmCodes(*tm));
    }
    if (person != nullptr) {
      RENKEI_TRY(q.person, Person(*person, q.from, "requester"));
      query_persons_[q.id] = *person;
    } else {
      RENKEI_TRY(q.atena, Text(*atena, "a 宛名番号 of 15 digits"));
      const BodySpec& requester = DeclaredBody(q.from);
      const bool known =
          std::any_of(requester.file_residents.begin(), requester.file_residents.end(),
                      [&q](const addressing::Resident& r) { return r.atena_number == q.atena; });
      if (!known) {
        return Fail(
            *atena,
            "atena " + QuoteValue(q.atena) + " is not a resident of " +
                (requester.residents_file.empty() ? requester.name + " (it has no residents_file)"
                                                  : requester.residents_file),
            "the requester's 宛名番号 of a person of its residents_file");
      }
      query_persons_[q.id] = *atena;
    }
    if (const Value* nd = f.Find("non_disclosure")) {
      RENKEI_TRY(q.non_disclosure, Bool(*nd));
    }
    return q;
  }

  Result<PendingDecision> ParseDecision(const Value& v, DecisionSpec& d) const {
    RENKEI_TRY(const Fields f,
               MapOf(v, "a decision", {"query", "decision", "remove", "reason", "by"}));
    for (const char* required : {"query", "decision", "reason"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a decision", "'" + std::string(required) + "'",
                       "a decision with query, decision and reason");
      }
    }
    const Value& query = *f.Find("query");
    RENKEI_TRY(d.query, Text(query, "the id of a query in the timeline"));
    const Value& decision = *f.Find("decision");
    const std::string kinds = "approve, approve-partial or refuse";
    RENKEI_TRY(d.decision, Text(decision, kinds));
    if (d.decision != "approve" && d.decision != "approve-partial" && d.decision != "refuse") {
      return Fail(decision, "unknown decision " + QuoteValue(d.decision), kinds);
    }
    PendingDecision pending{0, query, Value{}, Value{}};
    const Value* remove = f.Find("remove");
    if (d.decision == "approve-partial") {
      if (remove == nullptr) {
        return Missing(f, "an approve-partial decision", "'remove'",
                       "remove: the TM codes to withhold");
      }
      RENKEI_TRY(d.remove, TmCodes(*remove));
      pending.remove = *remove;
    } else if (remove != nullptr) {
      return Fail(*remove, "remove in a decision to " + d.decision,
                  "remove only with decision: approve-partial");
    }
    RENKEI_TRY(d.reason, NonEmptyText(*f.Find("reason"), "a reason for the record"));
    if (const Value* by = f.Find("by")) {
      RENKEI_TRY(d.by, NonEmptyText(*by, "a staff account of the provider"));
      pending.by = *by;
    }
    return pending;
  }

  Result<FaultSpec> ParseFault(const Value& v) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a fault", {"node_down", "for"}));
    FaultSpec fault;
    const Value* node = f.Find("node_down");
    const Value* span = f.Find("for");
    if (node == nullptr) {
      return Missing(f, "a fault", "'node_down'", "node_down: <a declared body or core>");
    }
    if (span == nullptr) return Missing(f, "a fault", "'for'", "for: <how long, such as 5m>");
    RENKEI_TRY(fault.node_down, BodyRef(*node, true));
    RENKEI_TRY(fault.duration, DurationOf(*span, true));
    return fault;
  }

  Result<PartitionSpec> ParsePartition(const Value& v) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a partition", {"side", "for"}));
    const Value* side = f.Find("side");
    const Value* span = f.Find("for");
    if (side == nullptr) {
      return Missing(f, "a partition", "'side'", "side: <a body, core, or a list of them>");
    }
    if (span == nullptr) return Missing(f, "a partition", "'for'", "for: <how long, such as 30s>");
    PartitionSpec p;
    std::vector<Value> nodes;
    if (side->node.IsSequence()) {
      RENKEI_TRY(nodes, ListOf(*side, "bodies or core"));
      if (nodes.empty()) {
        return Fail(*side, "side is an empty list", "at least one body or core");
      }
    } else {
      nodes.push_back(*side);
    }
    for (const Value& node : nodes) {
      RENKEI_TRY(std::string code, BodyRef(node, true));
      if (std::find(p.side.begin(), p.side.end(), code) != p.side.end()) {
        return Fail(node, "side names " + code + " twice", "each body (or core) once");
      }
      p.side.push_back(std::move(code));
    }
    RENKEI_TRY(p.duration, DurationOf(*span, true));
    return p;
  }

  Result<LossSpec> ParseLoss(const Value& v) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a loss change", {"body", "rate", "for"}));
    const Value* rate = f.Find("rate");
    if (rate == nullptr) {
      return Missing(f, "a loss change", "'rate'", "rate: <a probability, such as 0.2>");
    }
    LossSpec l;
    if (const Value* body = f.Find("body")) {
      RENKEI_TRY(l.body, BodyRef(*body, false));
    }
    RENKEI_TRY(l.rate, Probability(*rate));
    if (const Value* span = f.Find("for")) {
      RENKEI_TRY(l.duration, DurationOf(*span, true));
    }
    return l;
  }

  // A flag set or cleared during the run: world.flags' fields, and `clear`.
  Result<Value> ParseFlagEvent(const Value& v, FlagSpec& flag) const {
    RENKEI_TRY(const Fields f,
               MapOf(v, "a flag event", {"body", "person", "kind", "tm", "reason", "clear"}));
    flag.pos = Pos(f.mark);
    for (const char* required : {"body", "person", "kind", "reason"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a flag event", "'" + std::string(required) + "'",
                       "a flag with body, person, kind and reason");
      }
    }
    const Value& person = *f.Find("person");
    const Value& kind = *f.Find("kind");
    RENKEI_TRY(flag.body, BodyRef(*f.Find("body"), false));
    RENKEI_TRY(flag.person, Person(person, flag.body, "flag's body"));
    RENKEI_TRY(flag.kind, Text(kind, "suppress or self-info-blocked"));
    if (flag.kind != "suppress" && flag.kind != "self-info-blocked") {
      return Fail(kind, "unknown flag kind " + QuoteValue(flag.kind),
                  "suppress or self-info-blocked");
    }
    if (const Value* tm = f.Find("tm")) {
      // The self-information block covers the whole person (SetSelfInfoBlocked has no item).
      if (flag.kind != "suppress") {
        return Fail(tm->key_mark, "tm with kind: " + flag.kind,
                    "tm only with kind: suppress (a self-info block covers every item)");
      }
      RENKEI_TRY(flag.tm, Code(*tm, netsim::CodeKind::kDataItem));
    }
    RENKEI_TRY(flag.reason, NonEmptyText(*f.Find("reason"), "a reason for the record"));
    if (const Value* clear = f.Find("clear")) {
      RENKEI_TRY(flag.clear, Bool(*clear));
    }
    return person;
  }

  Result<Value> ParseStatusChange(const Value& v, StatusChangeSpec& c) const {
    const std::string what = v.name == "death" ? "a death" : "a move_out";
    RENKEI_TRY(const Fields f, MapOf(v, what, {"body", "person"}));
    for (const char* required : {"body", "person"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, what, "'" + std::string(required) + "'",
                       what + " with body (where the person is registered) and person");
      }
    }
    const Value& person = *f.Find("person");
    RENKEI_TRY(c.body, BodyRef(*f.Find("body"), false));
    RENKEI_TRY(c.person, Person(person, c.body, "body"));
    return person;
  }

  Result<Value> ParseReplicaEvent(const Value& v, ReplicaSpec& r) const {
    RENKEI_TRY(const Fields f, MapOf(v, "a replica", {"body", "person", "tm", "payload"}));
    for (const char* required : {"body", "person"}) {
      if (f.Find(required) == nullptr) {
        return Missing(f, "a replica", "'" + std::string(required) + "'",
                       "a replica with body and person");
      }
    }
    const Value& person = *f.Find("person");
    RENKEI_TRY(r.body, BodyRef(*f.Find("body"), false));
    RENKEI_TRY(r.person, Person(person, r.body, "replica's body"));
    if (const Value* tm = f.Find("tm")) {
      RENKEI_TRY(r.tm, Code(*tm, netsim::CodeKind::kDataItem));
    }
    if (const Value* payload = f.Find("payload")) {
      const std::string rule = "the record's text (JSON or UTF-8), not blank, at most 1 MiB";
      RENKEI_TRY(r.payload, NonEmptyText(*payload, rule));
      if (r.payload.size() > kMaxPayloadBytes) {
        return Fail(*payload, "payload of " + std::to_string(r.payload.size()) + " bytes", rule);
      }
    }
    return person;
  }

  // ---- expectations ----

  Status ParseExpect(const Value& v) {
    RENKEI_TRY(const std::vector<Value> items, ListOf(v, "expectations"));
    const std::string kinds =
        "one of query, count, provisions, batch, unvaccinated, latency, late_arrivals, "
        "logs_verify, no_mynumber_in_outputs";
    for (const Value& item : items) {
      if (!item.node.IsMap()) {
        return Fail(item, item.name + " is " + Shape(item.node), "a map with " + kinds);
      }
      const Value* kind = nullptr;
      std::vector<Value> keys;
      for (auto it = item.node.begin(); it != item.node.end(); ++it) {
        const YAML::Node key = it->first;
        if (!key.IsScalar()) return Fail(key.Mark(), "a key is " + Shape(key), kinds);
        keys.push_back(Value{it->second, key.Mark(), key.Scalar(), key.Mark()});
      }
      for (const Value& key : keys) {
        if (key.name != "query" && key.name != "count" && key.name != "provisions" &&
            key.name != "batch" && key.name != "unvaccinated" && key.name != "latency" &&
            key.name != "late_arrivals" && key.name != "logs_verify" &&
            key.name != "no_mynumber_in_outputs") {
          continue;
        }
        if (kind != nullptr) {
          return Fail(key, "an expectation of two kinds, " + kind->name + " and " + key.name,
                      "exactly " + kinds + " per entry");
        }
        kind = &key;
      }
      if (kind == nullptr) {
        for (const Value& key : keys) {
          if (key.name != "status" && key.name != "item" && key.name != "equals") {
            return Fail(key, "unknown expectation " + QuoteValue(key.name), kinds);
          }
        }
        return Fail(item, "an expectation without a kind", kinds);
      }
      Expectation e;
      e.pos = Pos(item.mark);
      if (kind->name == "query") {
        RENKEI_CHECK_OK(ParseQueryExpectation(item, e));
      } else if (kind->name == "count") {
        RENKEI_CHECK_OK(ParseCountExpectation(item, e));
      } else if (kind->name == "provisions") {
        RENKEI_CHECK_OK(ParseProvisionsExpectation(item, e));
      } else if (kind->name == "batch" || kind->name == "unvaccinated") {
        RENKEI_CHECK_OK(ParseBatchExpectation(item, kind->name, e));
      } else if (kind->name == "latency") {
        RENKEI_CHECK_OK(ParseLatencyExpectation(item, e));
      } else if (kind->name == "late_arrivals") {
        RENKEI_CHECK_OK(ParseLateExpectation(item, *kind, e));
      } else {
        const bool logs = kind->name == "logs_verify";
        RENKEI_TRY(const Fields f,
                   MapOf(item, logs ? "a logs_verify expectation" : "a no_mynumber expectation",
                         {kind->name}));
        const Value& flag = f.values.front();
        RENKEI_TRY(const bool on, Bool(flag));
        if (!on) {
          return Fail(flag, flag.name + ": false checks nothing",
                      flag.name + ": true, or no entry");
        }
        e.kind = logs ? Expectation::Kind::kLogsVerify : Expectation::Kind::kNoMyNumber;
      }
      scenario_.expect.push_back(std::move(e));
    }
    return OkStatus();
  }

  Status ParseQueryExpectation(const Value& item, Expectation& e) const {
    RENKEI_TRY(const Fields f, MapOf(item, "a query expectation", {"query", "status", "item"}));
    e.kind = Expectation::Kind::kQueryStatus;
    const Value& query = *f.Find("query");
    RENKEI_TRY(e.query, Text(query, "the id of a query in the timeline"));
    if (query_events_.find(e.query) == query_events_.end()) {
      return Fail(query,
                  "expectation names query " + QuoteValue(e.query) +
                      ", which no event of the timeline defines",
                  "the id of a query in the timeline" + KnownQueries());
    }
    const Value* status = f.Find("status");
    if (status == nullptr) {
      return Missing(f, "a query expectation", "'status'",
                     "status: a record status such as \"09\"");
    }
    RENKEI_TRY(e.status, StatusCode(*status, false));
    if (const Value* it = f.Find("item")) {
      RENKEI_TRY(e.item, StatusCode(*it, true));
    }
    return OkStatus();
  }

  Status ParseCountExpectation(const Value& item, Expectation& e) const {
    RENKEI_TRY(const Fields f, MapOf(item, "a count expectation", {"count", "equals"}));
    e.kind = Expectation::Kind::kCount;
    RENKEI_TRY(const Fields count, MapOf(*f.Find("count"), "count", {"status"}));
    const Value* status = count.Find("status");
    if (status == nullptr) {
      return Missing(count, "count", "'status'", "count: {status: \"09\"}");
    }
    RENKEI_TRY(e.status, StatusCode(*status, false));
    const Value* equals = f.Find("equals");
    if (equals == nullptr) {
      return Missing(f, "a count expectation", "'equals'", "equals: <the number of queries>");
    }
    RENKEI_TRY(e.equals, Integer(*equals, 0, std::numeric_limits<int64_t>::max()));
    return OkStatus();
  }

  Status ParseProvisionsExpectation(const Value& item, Expectation& e) const {
    RENKEI_TRY(const Fields f, MapOf(item, "a provisions expectation", {"provisions", "equals"}));
    e.kind = Expectation::Kind::kProvisions;
    RENKEI_TRY(const Fields p, MapOf(*f.Find("provisions"), "provisions", {"body", "outcome"}));
    const Value* body = p.Find("body");
    const Value* outcome = p.Find("outcome");
    if (body == nullptr) {
      return Missing(p, "provisions", "'body'", "body: <the providing body>");
    }
    if (outcome == nullptr) {
      return Missing(p, "provisions", "'outcome'",
                     "outcome: <a provision outcome, such as answered>");
    }
    RENKEI_TRY(e.body, BodyRef(*body, false));
    std::string known;
    for (const middleware::ProvideOutcome o : kProvideOutcomes) {
      known += known.empty() ? "" : ", ";
      known += middleware::ProvideOutcomeName(o);
    }
    RENKEI_TRY(e.outcome, Text(*outcome, "a provision outcome: one of " + known));
    bool found = false;
    for (const middleware::ProvideOutcome o : kProvideOutcomes) {
      found = found || middleware::ProvideOutcomeName(o) == e.outcome;
    }
    if (!found) {
      return Fail(*outcome, "unknown provision outcome " + QuoteValue(e.outcome),
                  "one of " + known);
    }
    const Value* equals = f.Find("equals");
    if (equals == nullptr) {
      return Missing(f, "a provisions expectation", "'equals'",
                     "equals: <the number of provisions>");
    }
    RENKEI_TRY(e.equals, Integer(*equals, 0, std::numeric_limits<int64_t>::max()));
    return OkStatus();
  }

  // {batch: {id: b1, status: "12"}, equals: N} or {unvaccinated: {batch: b1}, equals: N}.
  Status ParseBatchExpectation(const Value& item, const std::string& kind, Expectation& e) const {
    const bool rows = kind == "batch";
    const std::string what = rows ? "a batch expectation" : "an unvaccinated expectation";
    RENKEI_TRY(const Fields f, MapOf(item, what, {kind, "equals"}));
    e.kind = rows ? Expectation::Kind::kBatchStatus : Expectation::Kind::kUnvaccinated;
    const std::string id_field = rows ? "id" : "batch";
    RENKEI_TRY(const Fields inner, rows ? MapOf(*f.Find(kind), kind, {"id", "status"})
                                        : MapOf(*f.Find(kind), kind, {"batch"}));
    const Value* id = inner.Find(id_field);
    if (id == nullptr) {
      return Missing(inner, kind, "'" + id_field + "'", id_field + ": <the id of a batch>");
    }
    RENKEI_TRY(e.batch, Text(*id, "the id of a batch in the timeline"));
    if (batch_events_.find(e.batch) == batch_events_.end()) {
      std::string known;
      for (const auto& [name, index] : batch_events_) known += (known.empty() ? ": " : ", ") + name;
      return Fail(*id,
                  "expectation names batch " + QuoteValue(e.batch) +
                      ", which no event of the timeline defines",
                  "the id of a batch in the timeline" +
                      (known.empty() ? std::string(" (the timeline has no batches)") : known));
    }
    if (rows) {
      const Value* status = inner.Find("status");
      if (status == nullptr) {
        return Missing(inner, "batch", "'status'", "status: a record status such as \"12\"");
      }
      RENKEI_TRY(e.status, StatusCode(*status, false));
    }
    const Value* equals = f.Find("equals");
    if (equals == nullptr) {
      return Missing(f, what, "'equals'", "equals: <the number of rows>");
    }
    RENKEI_TRY(e.equals, Integer(*equals, 0, std::numeric_limits<int64_t>::max()));
    return OkStatus();
  }

  Status ParseLatencyExpectation(const Value& item, Expectation& e) const {
    RENKEI_TRY(const Fields f, MapOf(item, "a latency expectation", {"latency"}));
    e.kind = Expectation::Kind::kLatency;
    RENKEI_TRY(const Fields bounds,
               MapOf(*f.Find("latency"), "latency", {"p50", "p95", "p99", "max"}));
    if (bounds.values.empty()) {
      return Missing(bounds, "latency", "percentile",
                     "one of p50, p95, p99, max with an upper bound, such as {p95: 2s}");
    }
    if (bounds.values.size() > 1) {
      return Fail(bounds.values[1].key_mark,
                  "latency with both " + bounds.values[0].name + " and " + bounds.values[1].name,
                  "one percentile per expectation (write one entry for each)");
    }
    e.percentile = bounds.values[0].name;
    RENKEI_TRY(e.bound, DurationOf(bounds.values[0], false));
    return OkStatus();
  }

  Status ParseLateExpectation(const Value& item, const Value& kind, Expectation& e) const {
    RENKEI_TRY(const Fields f, MapOf(item, "a late_arrivals expectation", {"late_arrivals"}));
    e.kind = Expectation::Kind::kLateArrivals;
    if (!scenario_.load) {
      return Fail(kind.key_mark, "late_arrivals without a load section",
                  "a load section (late arrivals are the load's), or no such expectation");
    }
    RENKEI_TRY(const Fields bound, MapOf(*f.Find("late_arrivals"), "late_arrivals", {"max"}));
    const Value* max = bound.Find("max");
    if (max == nullptr) {
      return Missing(bound, "late_arrivals", "'max'", "late_arrivals: {max: <how many at most>}");
    }
    RENKEI_TRY(e.max, Integer(*max, 0, std::numeric_limits<int64_t>::max()));
    return OkStatus();
  }

  std::string_view text_;
  std::string source_;
  std::vector<size_t> line_starts_;
  internal::SourceMap sources_;  // the scenario file and its includes, for positions
  Scenario scenario_;
  int64_t total_movers_ = 0;
  std::map<std::string, size_t> query_events_;  // query id → index in the timeline
  std::map<std::string, Value> query_persons_;  // query id → its person value, for messages
  std::map<std::string, size_t> batch_events_;  // batch id → index in the timeline
  std::map<std::string, Value> batch_persons_;  // batch id → its persons or movers value
  // flag and replica events: each needs its mover registered at its body when it happens.
  std::vector<PendingRef> person_events_;
};

}  // namespace

namespace internal {
std::string QuoteForMessage(std::string_view value) { return QuoteValue(value); }
size_t FirstInvalidUtf8Byte(std::string_view text) { return FirstInvalidUtf8(text); }
}  // namespace internal

Result<Scenario> ParseScenario(std::string_view yaml, const std::string& source_name) {
  // A byte-order mark is not part of the text people see; columns count from after it.
  if (yaml.substr(0, 3) == "\xEF\xBB\xBF") yaml.remove_prefix(3);
  if (yaml.size() > kMaxFileBytes) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     source_name + ":1:1: the scenario has " + std::to_string(yaml.size()) +
                         " bytes; expected a scenario of at most 16 MiB");
  }
  try {
    return Parser(yaml, source_name).Parse();
  } catch (const std::exception& e) {
    // yaml-cpp is the only thrower here, and Parse catches its exceptions; this is the last
    // line for allocation failures, so that a caller never sees an exception.
    return MakeError(netsim::Errc::kInvalidArgument,
                     source_name + ":1:1: the scenario could not be read (" + e.what() +
                         "); expected a scenario file of reasonable size");
  }
}

std::string UnfoldJapanese(std::string_view text) {
  // A folded block (`>-`) joins its lines with a space, which English needs and Japanese does
  // not: 照会は 保留 should read 照会は保留. Both neighbours being parts of multi-byte UTF-8
  // characters marks a join between Japanese lines; a space next to ASCII stays.
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const bool between_multibyte = text[i] == ' ' && i > 0 && i + 1 < text.size() &&
                                   static_cast<unsigned char>(text[i - 1]) >= 0x80 &&
                                   static_cast<unsigned char>(text[i + 1]) >= 0x80;
    if (!between_multibyte) out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string> RandomMoverBodies(const WorldSpec& world) {
  std::vector<std::string> out;
  for (const BodySpec& b : world.bodies) {
    if (b.lgcode.size() != 6 || b.lgcode.compare(2, 3, "000") == 0) continue;
    bool generatable = world.national;
    for (const addressing::MunicipalityInfo& m : addressing::SupportedMunicipalities()) {
      generatable = generatable || m.lgcode == b.lgcode;
    }
    if (generatable) out.push_back(b.lgcode);
  }
  return out;
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     path + ": no such file; expected the path of a scenario file (YAML)");
  }
  if (!fs::is_regular_file(st)) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     path + ": not a regular file; expected the path of a scenario file (YAML)");
  }
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     path + ": the file has " + std::to_string(size) +
                         " bytes; expected a scenario file of at most 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return MakeError(netsim::Errc::kInvalidArgument,
                     path + ": cannot be read; expected a readable scenario file (YAML)");
  }
  return ParseScenario(text.str(), path);
}

}  // namespace renkei::scenarios
