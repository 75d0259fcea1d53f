#include "scenarios/bench_compare.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "netsim/errors.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using netsim::Errc;

// Exact p-values while the subset count stays small: the DP below costs about
// n × k × n² steps for n values in all and k in the smaller sample.
constexpr size_t kExactBelow = 8;
constexpr size_t kExactMaxTotal = 100;

std::string Quote(std::string_view s) {
  std::string out = "'";
  out += s;
  out += '\'';
  return out;
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(Errc::kIoError, path.string() + ": cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return MakeError(Errc::kIoError, path.string() + ": read failed");
  return text.str();
}

// Every file a path stands for: itself, or the *.json files below a directory, sorted.
Result<std::vector<fs::path>> Expand(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    return MakeError(Errc::kNotFound, path + ": no such file or directory");
  }
  if (!fs::is_directory(status)) return std::vector<fs::path>{fs::path(path)};
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".json") files.push_back(it->path());
  }
  if (ec) return MakeError(Errc::kIoError, path + ": cannot list: " + ec.message());
  if (files.empty()) return MakeError(Errc::kInvalidArgument, path + ": no *.json file in it");
  std::sort(files.begin(), files.end());
  return files;
}

// A non-negative finite number, or an error naming the file and the field.
Result<double> NonNegative(const json::value& v, const std::string& where) {
  double x = 0;
  if (v.is_double()) {
    x = v.get_double();
  } else if (v.is_int64()) {
    x = static_cast<double>(v.get_int64());
  } else if (v.is_uint64()) {
    x = static_cast<double>(v.get_uint64());
  } else {
    return MakeError(Errc::kInvalidArgument, where + " must be a number");
  }
  if (!std::isfinite(x)) return MakeError(Errc::kInvalidArgument, where + " is not finite");
  if (x < 0) return MakeError(Errc::kInvalidArgument, where + " is negative");
  return x;
}

Result<double> UnitToNanoseconds(const json::object& entry, const std::string& where) {
  const json::value* unit = entry.if_contains("time_unit");
  if (unit == nullptr) return 1.0;  // Google Benchmark's default unit
  if (!unit->is_string()) return MakeError(Errc::kInvalidArgument, where + " must be a string");
  const json::string& u = unit->get_string();
  if (u == "ns") return 1.0;
  if (u == "us") return 1e3;
  if (u == "ms") return 1e6;
  if (u == "s") return 1e9;
  return MakeError(Errc::kInvalidArgument,
                   where + " is " + Quote(u) + "; expected ns, us, ms or s");
}

// Adds samples to `out`, keeping metrics in order of first appearance.
class Collector {
 public:
  explicit Collector(BenchSamples& out) : out_(out) {
    for (size_t i = 0; i < out_.metrics.size(); ++i) index_[out_.metrics[i].name] = i;
  }
  void Add(const std::string& name, std::string_view unit, Better better, double value) {
    auto [it, inserted] = index_.try_emplace(name, out_.metrics.size());
    if (inserted) out_.metrics.push_back({name, std::string(unit), better, {}});
    out_.metrics[it->second].samples.push_back(value);
  }

 private:
  BenchSamples& out_;
  std::map<std::string, size_t> index_;
};

Status AddGoogleBenchmark(const json::object& doc, const std::string& file, BenchTimeField field,
                          Collector& collector, std::vector<std::string>& failed_runs) {
  const json::value& benchmarks = doc.at("benchmarks");
  if (!benchmarks.is_array()) {
    return MakeError(Errc::kInvalidArgument, file + ": 'benchmarks' must be an array");
  }
  const char* time_key = field == BenchTimeField::kCpuTime ? "cpu_time" : "real_time";
  size_t aggregates = 0;
  size_t repetitions = 0;
  const json::array& entries = benchmarks.get_array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string at = file + ": benchmarks[" + std::to_string(i) + "]";
    if (!entries[i].is_object()) return MakeError(Errc::kInvalidArgument, at + " is not an object");
    const json::object& entry = entries[i].get_object();
    if (const json::value* type = entry.if_contains("run_type")) {
      if (!type->is_string()) {
        return MakeError(Errc::kInvalidArgument, at + ".run_type must be a string");
      }
      if (type->get_string() == "aggregate") {
        ++aggregates;
        continue;
      }
      if (type->get_string() != "iteration") {
        return MakeError(Errc::kInvalidArgument, at + ".run_type is " + Quote(type->get_string()) +
                                                     "; expected iteration or aggregate");
      }
    }
    // run_name is the benchmark without the aggregate suffix; older versions only have name.
    const json::value* name = entry.if_contains("run_name");
    if (name == nullptr) name = entry.if_contains("name");
    if (name == nullptr || !name->is_string() || name->get_string().empty()) {
      return MakeError(Errc::kInvalidArgument, at + ".run_name must be a non-empty string");
    }
    const std::string metric(name->get_string());
    const std::string named = at + " (" + metric + ")";
    // A repetition that called SkipWithError has no meaningful time; leaving it out shows up
    // as a smaller sample (or a removed metric), never as a fake speed-up.
    if (const json::value* failed = entry.if_contains("error_occurred");
        failed != nullptr && failed->is_bool() && failed->get_bool()) {
      const json::value* message = entry.if_contains("error_message");
      failed_runs.push_back(file + ": " + metric + ": " +
                            (message != nullptr && message->is_string()
                                 ? std::string(message->get_string())
                                 : std::string("error")));
      continue;
    }
    const json::value* time = entry.if_contains(time_key);
    if (time == nullptr) {
      return MakeError(Errc::kInvalidArgument, named + ": missing " + time_key);
    }
    RENKEI_TRY(const double value, NonNegative(*time, named + "." + time_key));
    RENKEI_TRY(const double scale, UnitToNanoseconds(entry, named + ".time_unit"));
    collector.Add(metric, "ns", Better::kLower, value * scale);
    ++repetitions;
  }
  if (repetitions == 0 && aggregates > 0) {
    return MakeError(Errc::kInvalidArgument,
                     file +
                         ": only aggregates, no repetitions; run the benchmark without "
                         "--benchmark_report_aggregates_only");
  }
  return OkStatus();
}

struct SummaryField {
  const char* object;  // nullptr: a top-level key
  const char* key;
  const char* metric;
  const char* unit;
  Better better;
};

// What a load scenario's run is judged on. Simulated latencies are deterministic for a seed, so
// they change only when the model does; wall throughput and memory measure the simulator itself.
constexpr SummaryField kSummaryFields[] = {
    {"wall", "queries_per_second", "throughput", "q/s", Better::kHigher},
    {nullptr, "simulated_queries_per_second", "simulated throughput", "q/s", Better::kHigher},
    {"latency", "p95_us", "latency p95", "us", Better::kLower},
    {"latency", "p99_us", "latency p99", "us", Better::kLower},
    {"wall", "peak_rss_kib", "peak RSS", "KiB", Better::kLower},
};

Status AddRunSummary(const json::object& doc, const std::string& file, Collector& collector) {
  const json::value& scenario = doc.at("scenario");
  if (!scenario.is_string()) {
    return MakeError(Errc::kInvalidArgument, file + ": 'scenario' must be a string");
  }
  const std::string prefix = std::string(scenario.get_string()) + ": ";
  for (const SummaryField& f : kSummaryFields) {
    const json::object* holder = &doc;
    std::string where = file + ": ";
    if (f.object != nullptr) {
      const json::value* sub = doc.if_contains(f.object);
      // Older summaries lack some figures: the file then adds no sample of that metric.
      if (sub == nullptr) continue;
      if (!sub->is_object()) {
        return MakeError(Errc::kInvalidArgument, where + Quote(f.object) + " must be an object");
      }
      holder = &sub->get_object();
      where += std::string(f.object) + ".";
    }
    const json::value* v = holder->if_contains(f.key);
    if (v == nullptr) continue;
    RENKEI_TRY(const double value, NonNegative(*v, where + f.key));
    collector.Add(prefix + f.metric, f.unit, f.better, value);
  }
  return OkStatus();
}

std::string_view FormatName(BenchFormat f) {
  return f == BenchFormat::kGoogleBenchmark ? "Google Benchmark JSON" : "renkei summary.json";
}

// Ranks 1..n of the pooled values, ties sharing their mid-rank, doubled so they stay integers.
std::vector<int64_t> DoubledMidRanks(const std::vector<double>& pooled,
                                     std::vector<size_t>* tie_sizes) {
  std::vector<size_t> order(pooled.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pooled[a] < pooled[b]; });
  std::vector<int64_t> ranks(pooled.size());
  for (size_t lo = 0; lo < order.size();) {
    size_t hi = lo;
    while (hi + 1 < order.size() && pooled[order[hi + 1]] == pooled[order[lo]]) ++hi;
    // Positions lo..hi (0-based) are ranks lo+1..hi+1; their mid-rank doubled is lo+hi+2.
    for (size_t k = lo; k <= hi; ++k) ranks[order[k]] = static_cast<int64_t>(lo + hi + 2);
    tie_sizes->push_back(hi - lo + 1);
    lo = hi + 1;
  }
  return ranks;
}

// P(S ≤ s_obs) and P(S ≥ s_obs) for S the doubled rank sum of k values drawn without
// replacement from `ranks`: count the k-subsets by sum (a knapsack over the values).
std::pair<double, double> ExactTails(const std::vector<int64_t>& ranks, size_t k, int64_t s_obs) {
  int64_t total = 0;
  for (int64_t r : ranks) total += r;
  const size_t width = static_cast<size_t>(total) + 1;
  // ways[j * width + s]: subsets of size j with doubled rank sum s. Doubles hold the counts
  // exactly up to 2^53, far above C(100, 7).
  std::vector<double> ways((k + 1) * width, 0.0);
  ways[0] = 1;
  for (int64_t r : ranks) {
    const size_t step = static_cast<size_t>(r);
    for (size_t j = k; j >= 1; --j) {
      double* to = &ways[j * width];
      const double* from = &ways[(j - 1) * width];
      for (size_t s = width - 1; s + 1 > step; --s) to[s] += from[s - step];
    }
  }
  double all = 0, below = 0, above = 0;
  for (size_t s = 0; s < width; ++s) {
    const double w = ways[k * width + s];
    all += w;
    if (static_cast<int64_t>(s) <= s_obs) below += w;
    if (static_cast<int64_t>(s) >= s_obs) above += w;
  }
  return {below / all, above / all};
}

// Four significant digits, but never an exponent for large figures ("15230", not "1.523e+04").
std::string FormatNumber(double x) {
  char buf[64];
  if (std::abs(x) >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", x);
  }
  return buf;
}

// Terminal columns of UTF-8 text: scenario names are often Japanese, and a wide character
// takes two columns. Close enough for alignment (East Asian Wide and Fullwidth blocks).
size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xF0) {
      cp = c & 0x07u;
      len = 4;
    } else if (c >= 0xE0) {
      cp = c & 0x0Fu;
      len = 3;
    } else if (c >= 0xC0) {
      cp = c & 0x1Fu;
      len = 2;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    i += len;
    const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

// Benchmark times in the largest unit that keeps them ≥ 1; other units as they are.
std::string FormatValue(double x, const std::string& unit) {
  if (unit != "ns") return FormatNumber(x) + " " + unit;
  char buf[64];
  if (x >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3f s", x / 1e9);
  } else if (x >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3f ms", x / 1e6);
  } else if (x >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.3f us", x / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ns", x);
  }
  return buf;
}

std::string FormatChange(double pct) {
  if (std::isinf(pct)) return pct > 0 ? "+inf%" : "-inf%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", pct);
  return buf;
}

std::string FormatP(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, p < 0.001 ? "%.1e" : "%.4f", p);
  return buf;
}

// A whole-string decimal number (no trailing junk); strtod also rejects the empty string.
bool ParseDouble(std::string_view text, double& value) {
  const std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size() && std::isfinite(value);
}

}  // namespace

Result<BenchSamples> LoadBenchSamples(const std::vector<std::string>& paths, BenchTimeField field) {
  if (paths.empty()) return MakeError(Errc::kInvalidArgument, "no input file given");
  BenchSamples out;
  Collector collector(out);
  bool have_format = false;
  for (const std::string& path : paths) {
    RENKEI_TRY(const std::vector<fs::path> files, Expand(path));
    for (const fs::path& p : files) {
      const std::string file = p.string();
      RENKEI_TRY(const std::string text, ReadFile(p));
      boost::system::error_code ec;
      const json::value doc = json::parse(text, ec);
      if (ec) return MakeError(Errc::kParseError, file + ": not JSON: " + ec.message());
      BenchFormat format;
      if (doc.is_object() && doc.get_object().contains("benchmarks")) {
        format = BenchFormat::kGoogleBenchmark;
      } else if (doc.is_object() && doc.get_object().contains("scenario") &&
                 doc.get_object().contains("latency")) {
        format = BenchFormat::kRunSummary;
      } else {
        return MakeError(Errc::kInvalidArgument,
                         file +
                             ": neither Google Benchmark JSON (an object with 'benchmarks') "
                             "nor a renkei summary.json (an object with 'scenario' and "
                             "'latency')");
      }
      if (have_format && format != out.format) {
        return MakeError(Errc::kInvalidArgument, file + ": is " + std::string(FormatName(format)) +
                                                     " but " + out.files.front() + " is " +
                                                     std::string(FormatName(out.format)) +
                                                     "; one side must hold one format");
      }
      out.format = format;
      have_format = true;
      out.files.push_back(file);
      if (format == BenchFormat::kGoogleBenchmark) {
        RENKEI_CHECK_OK(
            AddGoogleBenchmark(doc.get_object(), file, field, collector, out.failed_runs));
      } else {
        RENKEI_CHECK_OK(AddRunSummary(doc.get_object(), file, collector));
      }
    }
  }
  if (out.metrics.empty()) {
    std::string list;
    for (const std::string& p : paths) list += (list.empty() ? "" : ", ") + p;
    return MakeError(Errc::kInvalidArgument, list + ": no samples (no benchmark repetitions)");
  }
  return out;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return lower + (upper - lower) / 2;
}

double HodgesLehmannShift(std::span<const double> baseline, std::span<const double> current) {
  std::vector<double> differences;
  differences.reserve(baseline.size() * current.size());
  for (double c : current) {
    for (double b : baseline) differences.push_back(c - b);
  }
  return Median(std::move(differences));
}

MannWhitneyResult MannWhitneyU(std::span<const double> baseline, std::span<const double> current) {
  const size_t n1 = baseline.size(), n2 = current.size(), n = n1 + n2;
  if (n1 == 0 || n2 == 0) {
    std::fprintf(stderr, "renkei: MannWhitneyU needs two non-empty samples\n");
    std::abort();
  }
  std::vector<double> pooled(baseline.begin(), baseline.end());
  pooled.insert(pooled.end(), current.begin(), current.end());
  std::vector<size_t> ties;
  const std::vector<int64_t> ranks = DoubledMidRanks(pooled, &ties);
  int64_t current_sum2 = 0;
  for (size_t i = n1; i < n; ++i) current_sum2 += ranks[i];
  MannWhitneyResult r;
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  r.u = static_cast<double>(current_sum2) / 2 - d2 * (d2 + 1) / 2;

  if (std::min(n1, n2) < kExactBelow && n <= kExactMaxTotal) {
    // Count over the smaller sample: the DP's cost grows with the subset size.
    const bool current_smaller = n2 <= n1;
    int64_t s_obs = 0;
    for (size_t i = current_smaller ? n1 : 0; i < (current_smaller ? n : n1); ++i) {
      s_obs += ranks[i];
    }
    const auto [below, above] = ExactTails(ranks, std::min(n1, n2), s_obs);
    r.p_value = std::min(1.0, 2 * std::min(below, above));
    r.exact = true;
    return r;
  }
  const double dn = static_cast<double>(n);
  double tie_term = 0;
  for (size_t t : ties) {
    const double dt = static_cast<double>(t);
    tie_term += dt * dt * dt - dt;
  }
  const double variance = d1 * d2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1)));
  if (variance <= 0) {
    r.p_value = 1;  // every value equal: nothing to tell apart
    return r;
  }
  const double z = std::max(0.0, std::abs(r.u - d1 * d2 / 2) - 0.5) / std::sqrt(variance);
  r.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return r;
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kRegression:
      return "REGRESSION";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kTooFewSamples:
      return "too few samples";
    case Verdict::kAdded:
      return "added";
    case Verdict::kRemoved:
      return "removed";
  }
  return "?";
}

size_t BenchComparison::Count(Verdict verdict) const {
  return static_cast<size_t>(
      std::count_if(metrics.begin(), metrics.end(),
                    [&](const MetricComparison& m) { return m.verdict == verdict; }));
}

double SmallestPValue(size_t n_baseline, size_t n_current) {
  std::vector<double> b(n_baseline), c(n_current);
  for (size_t i = 0; i < n_baseline; ++i) b[i] = static_cast<double>(i);
  for (size_t i = 0; i < n_current; ++i) c[i] = static_cast<double>(n_baseline + i);
  return MannWhitneyU(b, c).p_value;
}

std::vector<double> KeepBest(std::vector<double> samples, double fraction, Better better) {
  if (better == Better::kLower) {
    std::sort(samples.begin(), samples.end());
  } else {
    std::sort(samples.begin(), samples.end(), std::greater<>());
  }
  const auto keep = std::max<size_t>(
      1, static_cast<size_t>(std::ceil(fraction * static_cast<double>(samples.size()) - 1e-9)));
  if (keep < samples.size()) samples.resize(keep);
  return samples;
}

Result<double> ParseKeepBest(std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  const std::string number(percent ? text.substr(0, text.size() - 1) : text);
  const std::string rule = "a fraction above 0 and at most 1 (0.5) or a percentage (50%)";
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size() ||
      !std::isfinite(value)) {
    return MakeError(Errc::kInvalidArgument,
                     "--keep-best '" + std::string(text) + "' is not a number; expected " + rule);
  }
  if (percent) value /= 100;
  if (value <= 0 || value > 1) {
    return MakeError(Errc::kInvalidArgument,
                     "--keep-best '" + std::string(text) + "' is out of range; expected " + rule);
  }
  return value;
}

Result<BenchComparison> CompareBench(const BenchSamples& baseline, const BenchSamples& current,
                                     const CompareOptions& options) {
  if (baseline.format != current.format) {
    return MakeError(Errc::kInvalidArgument,
                     "baseline is " + std::string(FormatName(baseline.format)) +
                         " but current is " + std::string(FormatName(current.format)));
  }
  BenchComparison out;
  out.format = baseline.format;
  std::map<std::string, const BenchMetric*> in_current;
  for (const BenchMetric& m : current.metrics) in_current[m.name] = &m;
  std::map<std::string, bool> seen;
  auto compare = [&](const BenchMetric* b, const BenchMetric* c) {
    MetricComparison m;
    const BenchMetric& any = b != nullptr ? *b : *c;
    m.name = any.name;
    m.unit = any.unit;
    m.better = any.better;
    if (b != nullptr) {
      m.n_baseline = b->samples.size();
      m.baseline_median = Median(b->samples);
    }
    if (c != nullptr) {
      m.n_current = c->samples.size();
      m.current_median = Median(c->samples);
    }
    if (b == nullptr || c == nullptr) {
      m.verdict = b == nullptr ? Verdict::kAdded : Verdict::kRemoved;
      out.metrics.push_back(std::move(m));
      return;
    }
    const std::vector<double> kept_b = KeepBest(b->samples, options.keep_best, m.better);
    const std::vector<double> kept_c = KeepBest(c->samples, options.keep_best, m.better);
    if (options.keep_best < 1) {  // the medians shown are those the change is relative to
      m.baseline_median = Median(kept_b);
      m.current_median = Median(kept_c);
    }
    const MannWhitneyResult test = MannWhitneyU(kept_b, kept_c);
    m.p_value = test.p_value;
    m.exact = test.exact;
    const double shift = HodgesLehmannShift(kept_b, kept_c);
    if (m.baseline_median > 0) {
      m.change_pct = shift / m.baseline_median * 100;
    } else if (shift != 0) {
      constexpr double kInf = std::numeric_limits<double>::infinity();
      m.change_pct = shift > 0 ? kInf : -kInf;
    }
    const double worse = m.better == Better::kLower ? m.change_pct : -m.change_pct;
    const bool significant = m.p_value < options.alpha;
    // With few samples kept even complete separation is not significant (3 against 3: p 0.1).
    const bool can_reach_alpha = SmallestPValue(kept_b.size(), kept_c.size()) < options.alpha;
    if (m.n_baseline < options.min_samples || m.n_current < options.min_samples ||
        !can_reach_alpha) {
      m.verdict = Verdict::kTooFewSamples;
    } else if (significant && worse > 0 && worse >= options.min_effect_pct) {
      m.verdict = Verdict::kRegression;
    } else if (significant && worse < 0 && -worse >= options.min_effect_pct) {
      m.verdict = Verdict::kImprovement;
    } else {
      m.verdict = Verdict::kUnchanged;
    }
    out.metrics.push_back(std::move(m));
  };
  for (const BenchMetric& b : baseline.metrics) {
    seen[b.name] = true;
    auto it = in_current.find(b.name);
    compare(&b, it == in_current.end() ? nullptr : it->second);
  }
  for (const BenchMetric& c : current.metrics) {
    if (!seen.count(c.name)) compare(nullptr, &c);
  }
  return out;
}

Result<double> ParseAlpha(std::string_view text) {
  double alpha = 0;
  if (!ParseDouble(text, alpha)) {
    return MakeError(Errc::kInvalidArgument,
                     "--alpha " + Quote(text) + " is not a number (expected e.g. 0.05)");
  }
  if (!(alpha > 0 && alpha < 1)) {
    return MakeError(Errc::kInvalidArgument,
                     "--alpha " + Quote(text) + " must lie strictly between 0 and 1");
  }
  return alpha;
}

Result<double> ParseMinEffect(std::string_view text) {
  std::string_view number = text;
  if (!number.empty() && number.back() == '%') number.remove_suffix(1);
  double pct = 0;
  if (!ParseDouble(number, pct)) {
    return MakeError(Errc::kInvalidArgument,
                     "--min-effect " + Quote(text) + " is not a percentage (expected e.g. 5%)");
  }
  if (pct < 0 || pct >= 1000) {
    return MakeError(Errc::kInvalidArgument,
                     "--min-effect " + Quote(text) + " must lie in [0%, 1000%)");
  }
  return pct;
}

std::string FormatBenchTable(const BenchComparison& comparison) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"metric", "baseline", "current", "change", "p", "n", "verdict"});
  for (const MetricComparison& m : comparison.metrics) {
    const bool both = m.n_baseline > 0 && m.n_current > 0;
    rows.push_back({m.name, m.n_baseline > 0 ? FormatValue(m.baseline_median, m.unit) : "-",
                    m.n_current > 0 ? FormatValue(m.current_median, m.unit) : "-",
                    both ? FormatChange(m.change_pct) : "-",
                    both ? FormatP(m.p_value) + (m.exact ? " (exact)" : "") : "-",
                    std::to_string(m.n_baseline) + "/" + std::to_string(m.n_current),
                    std::string(VerdictName(m.verdict))});
  }
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  }
  std::ostringstream os;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - DisplayWidth(row[i]), ' ');
      // Names and verdicts read left to right; numbers line up on their right edge.
      const bool left = i == 0 || i + 1 == row.size();
      line += left ? row[i] + (i + 1 == row.size() ? "" : pad) : pad + row[i];
      if (i + 1 < row.size()) line += "  ";
    }
    os << line << "\n";
  }
  const size_t regressions = comparison.Count(Verdict::kRegression);
  os << comparison.metrics.size() << " metrics: " << regressions
     << (regressions == 1 ? " regression, " : " regressions, ")
     << comparison.Count(Verdict::kImprovement) << " improved, "
     << comparison.Count(Verdict::kUnchanged) << " unchanged, "
     << comparison.Count(Verdict::kTooFewSamples) << " too few samples, "
     << comparison.Count(Verdict::kAdded) << " added, " << comparison.Count(Verdict::kRemoved)
     << " removed\n";
  return os.str();
}

std::string FormatBenchJson(const BenchComparison& comparison, const CompareOptions& options) {
  json::object o;
  o["format"] =
      comparison.format == BenchFormat::kGoogleBenchmark ? "google-benchmark" : "run-summary";
  o["test"] = "mann-whitney-u-two-sided";
  o["change"] = "hodges-lehmann-shift-over-baseline-median";
  o["alpha"] = options.alpha;
  o["min_effect_pct"] = options.min_effect_pct;
  o["min_samples"] = options.min_samples;
  o["keep_best"] = options.keep_best;
  json::array metrics;
  for (const MetricComparison& m : comparison.metrics) {
    json::object e;
    e["name"] = m.name;
    e["unit"] = m.unit;
    e["better"] = m.better == Better::kLower ? "lower" : "higher";
    e["n_baseline"] = m.n_baseline;
    e["n_current"] = m.n_current;
    const bool both = m.n_baseline > 0 && m.n_current > 0;
    e["baseline_median"] = m.n_baseline > 0 ? json::value(m.baseline_median) : json::value();
    e["current_median"] = m.n_current > 0 ? json::value(m.current_median) : json::value();
    // JSON has no infinity: a change from a zero baseline is null, like a missing side.
    e["change_pct"] =
        both && std::isfinite(m.change_pct) ? json::value(m.change_pct) : json::value();
    e["p_value"] = both ? json::value(m.p_value) : json::value();
    e["exact"] = m.exact;
    e["verdict"] = VerdictName(m.verdict);
    metrics.push_back(std::move(e));
  }
  o["metrics"] = std::move(metrics);
  o["regressed"] = comparison.regressed();
  return json::serialize(o) + "\n";
}

}  // namespace renkei::scenarios
