// docs/scenario.schema.json, the JSON Schema editors use, stays true to the language:
// (a) every shipped scenario and template library conforms to it, checked by a small validator
// of the structural subset the schema uses (type, properties, required, additionalProperties,
// enum, items, oneOf, anyOf, $ref; no pattern: the schema has none, and std::regex is not used
// in this codebase); (b) for each map of the language, the field names the schema lists are
// the ones the parser accepts, read from the parser's "expected one of …" message for an
// unknown field.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace renkei::scenarios {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string SourcePath(const std::string& rel) {
  return std::string(RENKEI_SOURCE_DIR) + "/" + rel;
}

json::value LoadSchema() {
  std::ifstream in(SourcePath("docs/scenario.schema.json"), std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string Str(const json::value& v) {
  const json::string& s = v.as_string();
  return std::string(s.data(), s.size());
}

// The JSON type a YAML tool gives a node: quoted scalars are strings, plain ones are read as
// YAML 1.2's core schema reads them.
std::string YamlType(const YAML::Node& n) {
  if (n.IsMap()) return "object";
  if (n.IsSequence()) return "array";
  if (!n.IsDefined() || n.IsNull()) return "null";
  if (n.Tag() == "!") return "string";
  const std::string& s = n.Scalar();
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return "boolean";
  }
  const size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  const bool digits = s.size() > sign && std::all_of(s.begin() + static_cast<long>(sign), s.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
  if (digits) return "integer";
  // A float only when the whole scalar reads as one (so a date such as 2022-04-29 is a string).
  double x = 0;
  const char* first = s.data() + (sign == 1 && s[0] == '+' ? 1 : 0);
  const auto [end, ec] = std::from_chars(first, s.data() + s.size(), x);
  const bool numeric = s.size() > sign &&
                       s.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                       ec == std::errc() && end == s.data() + s.size();
  if (numeric) return "number";
  return "string";
}

class SchemaChecker {
 public:
  explicit SchemaChecker(const json::value& root) : root_(root) {}

  const json::object& Resolve(const json::value& schema) const {
    const json::object& o = schema.as_object();
    if (const json::value* ref = o.if_contains("$ref")) {
      const std::string r = Str(*ref);
      const std::string prefix = "#/$defs/";
      EXPECT_EQ(r.rfind(prefix, 0), 0u) << r;
      return Resolve(root_.at("$defs").at(r.substr(prefix.size())));
    }
    return o;
  }

  // Appends a line to `errors` for each place where `n` does not conform.
  void Check(const YAML::Node& n, const json::value& schema, const std::string& where,
             std::vector<std::string>& errors) const {
    const json::object& s = Resolve(schema);
    const std::string type = YamlType(n);
    if (const json::value* t = s.if_contains("type")) {
      std::vector<std::string> allowed;
      if (t->is_string()) allowed.push_back(Str(*t));
      if (t->is_array()) {
        for (const json::value& x : t->as_array()) allowed.push_back(Str(x));
      }
      const bool ok = std::any_of(allowed.begin(), allowed.end(), [&type](const std::string& a) {
        return a == type || (a == "number" && type == "integer");
      });
      if (!ok) {
        errors.push_back(where + ": " + type + " where the schema wants " + json::serialize(*t));
        return;
      }
    }
    if (const json::value* e = s.if_contains("enum")) {
      bool found = false;
      for (const json::value& x : e->as_array()) {
        found = found || (x.is_string() && n.IsScalar() && Str(x) == n.Scalar()) ||
                (x.is_bool() && type == "boolean" &&
                 (x.as_bool() == (n.Scalar()[0] == 't' || n.Scalar()[0] == 'T')));
      }
      if (!found) errors.push_back(where + ": not one of " + json::serialize(*e));
    }
    for (const char* combiner : {"oneOf", "anyOf"}) {
      if (const json::value* c = s.if_contains(combiner)) {
        int matches = 0;
        for (const json::value& branch : c->as_array()) {
          std::vector<std::string> branch_errors;
          Check(n, branch, where, branch_errors);
          matches += branch_errors.empty() ? 1 : 0;
        }
        const bool ok = std::string(combiner) == "oneOf" ? matches == 1 : matches >= 1;
        if (!ok) {
          errors.push_back(where + ": " + std::to_string(matches) + " branches of " + combiner +
                           " match");
        }
      }
    }
    if (n.IsMap()) {
      const json::object* props =
          s.contains("properties") ? &s.at("properties").as_object() : nullptr;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar();
        const std::string at = where + "." + key;
        if (props != nullptr && props->contains(key)) {
          Check(it->second, props->at(key), at, errors);
        } else if (const json::value* extra = s.if_contains("additionalProperties")) {
          if (extra->is_bool() && !extra->as_bool()) {
            errors.push_back(at + ": a field the schema does not list");
          } else if (extra->is_object()) {
            Check(it->second, *extra, at, errors);
          }
        }
      }
      if (const json::value* required = s.if_contains("required")) {
        for (const json::value& r : required->as_array()) {
          if (!n[Str(r)].IsDefined()) errors.push_back(where + ": no " + Str(r));
        }
      }
    }
    if (n.IsSequence()) {
      if (const json::value* items = s.if_contains("items")) {
        int i = 0;
        for (auto it = n.begin(); it != n.end(); ++it) {
          Check(*it, *items, where + "[" + std::to_string(i++) + "]", errors);
        }
      }
    }
  }

  // The schema of a map at `path`: steps separated by '/', "x" a property, "x[]" its items;
  // unions are entered at their first branch that has what the step needs.
  const json::object& At(const std::string& path) const {
    const json::object* s = &Resolve(root_);
    size_t begin = 0;
    while (begin < path.size()) {
      size_t end = path.find('/', begin);
      if (end == std::string::npos) end = path.size();
      std::string step = path.substr(begin, end - begin);
      const bool items = step.size() > 2 && step.substr(step.size() - 2) == "[]";
      if (items) step.resize(step.size() - 2);
      s = &Resolve(Branch(*s, "properties").at("properties").at(step));
      if (items) s = &Resolve(Branch(*s, "items").at("items"));
      s = &Branch(*s, "properties");
      begin = end + 1;
    }
    return *s;
  }

  std::set<std::string> Fields(const std::string& path) const {
    std::set<std::string> out;
    for (const auto& kv : At(path).at("properties").as_object()) {
      out.insert(std::string(kv.key()));
    }
    return out;
  }

 private:
  const json::object& Branch(const json::object& s, const char* wanted) const {
    if (s.contains(wanted)) return s;
    for (const char* combiner : {"oneOf", "anyOf"}) {
      if (const json::value* c = s.if_contains(combiner)) {
        for (const json::value& branch : c->as_array()) {
          const json::object& b = Resolve(branch);
          if (b.contains(wanted)) return b;
        }
      }
    }
    return s;
  }

  const json::value& root_;
};

TEST(ScenarioSchemaTest, IsDraft202012WithClosedMaps) {
  const json::value schema = LoadSchema();
  EXPECT_EQ(Str(schema.at("$schema")), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_FALSE(schema.at("additionalProperties").as_bool());
}

TEST(ScenarioSchemaTest, EveryShippedScenarioAndTemplateConforms) {
  const json::value schema = LoadSchema();
  const SchemaChecker checker(schema);
  int files = 0;
  for (const char* dir : {"scenarios/shipped", "scenarios/templates"}) {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(SourcePath(dir))) {
      if (entry.path().extension() == ".yaml") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const fs::path& path : paths) {
      std::vector<std::string> errors;
      checker.Check(YAML::LoadFile(path.string()), schema, path.filename().string(), errors);
      EXPECT_TRUE(errors.empty()) << path << ":\n" << ::testing::PrintToString(errors);
      ++files;
    }
  }
  EXPECT_GE(files, 14);
}

TEST(ScenarioSchemaTest, CheckerRefusesWhatTheSchemaRefuses) {
  const json::value schema = LoadSchema();
  const SchemaChecker checker(schema);
  for (const char* bad :
       {"scenario: t\npersn: 1\n", "seed: \"42\"\n", "world: {registry: galaxy}\n",
        "expect: [{logs_verify: false}]\n",
        "timeline: [{at: 1m, query: {id: q1, from: a, to: b}}]\n",
        "expect: [{query: q1, status: \"99\"}]\n",
        "timeline: [{at: 1m, fault: {node_down: core, for: 1m}, loss: {rate: 0}}]\n",
        "timeline: [{at: 1m}]\n", "expect: [{logs_verify: true, query: q1}]\n"}) {
    std::vector<std::string> errors;
    checker.Check(YAML::Load(bad), schema, "bad", errors);
    EXPECT_FALSE(errors.empty()) << bad;
  }
}

// The field names the parser accepts in the map at the place of "zz_unknown".
std::set<std::string> ParserFields(const std::string& yaml) {
  const Result<Scenario> r = ParseScenario(yaml, "fields.yaml");
  EXPECT_FALSE(r.ok()) << yaml;
  if (r.ok()) return {};
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("unknown field 'zz_unknown'"), std::string::npos) << m;
  const std::string marker = "; expected one of ";
  const size_t at = m.find(marker);
  if (at == std::string::npos) return {};
  std::string list = m.substr(at + marker.size());
  list = list.substr(0, list.find(" ("));
  std::set<std::string> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(", ", begin);
    if (end == std::string::npos) end = list.size();
    out.insert(list.substr(begin, end - begin));
    begin = end + 2;
  }
  return out;
}

TEST(ScenarioSchemaTest, FieldNamesEqualWhatTheParserAccepts) {
  const json::value schema = LoadSchema();
  const SchemaChecker checker(schema);
  const std::string bodies = "  bodies: [{code: \"152021\"}, {code: \"041009\"}]\n";
  const std::string head = "scenario: t\nworld:\n" + bodies +
                           "  movers: [{from: \"041009\", to: \"152021\", count: 3}]\n";
  const std::string load = "load: {requester: \"152021\", provider: \"041009\", ";
  struct Case {
    std::string path;
    std::string yaml;
  };
  const std::vector<Case> cases = {
      {"", head + "zz_unknown: 1\n"},
      {"narration", head + "narration: {zz_unknown: 1}\n"},
      {"world", "scenario: t\nworld:\n  zz_unknown: 1\n" + bodies},
      {"world/bodies[]", "scenario: t\nworld: {bodies: [{code: \"152021\", zz_unknown: 1}]}\n"},
      {"world/movers[]", "scenario: t\nworld:\n" + bodies + "  movers: [{zz_unknown: 1}]\n"},
      {"world/flags[]", head + "  flags: [{zz_unknown: 1}]\n"},
      {"network", head + "network: {zz_unknown: 1}\n"},
      {"network/bodies[]", head + "network: {bodies: [{zz_unknown: 1}]}\n"},
      {"network/nws", head + "network: {nws: {zz_unknown: 1}}\n"},
      {"network/latency/lognormal", head + "network: {latency: {lognormal: {zz_unknown: 1}}}\n"},
      {"load", head + "load: {zz_unknown: 1}\n"},
      {"load/open", head + load + "open: {zz_unknown: 1}}\n"},
      {"load/open/stages[]",
       head + load + "open: {stages: [{duration: 1m, rate: 1/s, zz_unknown: 1}]}}\n"},
      {"load/closed", head + load + "closed: {zz_unknown: 1}}\n"},
      {"load/mix[]", head + load + "closed: {clients: 1, duration: 1m}, mix: [{zz_unknown: 1}]}\n"},
      {"expect[]/count", head + "expect: [{count: {zz_unknown: 1}, equals: 1}]\n"},
      {"expect[]/provisions", head + "expect: [{provisions: {zz_unknown: 1}, equals: 1}]\n"},
      {"expect[]/batch", head + "expect: [{batch: {zz_unknown: 1}, equals: 1}]\n"},
      {"expect[]/unvaccinated", head + "expect: [{unvaccinated: {zz_unknown: 1}, equals: 1}]\n"},
      {"expect[]/latency", head + "expect: [{latency: {zz_unknown: 1s}}]\n"},
  };
  for (const Case& c : cases) {
    const std::set<std::string> parsed = ParserFields(c.yaml);
    EXPECT_FALSE(parsed.empty()) << "at '" << c.path << "'";
    EXPECT_EQ(checker.Fields(c.path), parsed) << "at '" << c.path << "'";
  }
  // A timeline event: the parser's fields, and use and with, which the template step takes.
  std::set<std::string> event = ParserFields(head + "timeline: [{at: 1m, zz_unknown: 1}]\n");
  event.insert({"use", "with"});
  EXPECT_EQ(checker.Fields("timeline[]"), event);
  for (const char* kind : {"query", "decide", "fault", "move_in", "move_out", "death", "attack",
                           "batch", "flag", "replica", "rotate_key", "partition", "loss"}) {
    EXPECT_EQ(checker.Fields(std::string("timeline[]/") + kind),
              ParserFields(head + "timeline: [{at: 1m, " + kind + ": {zz_unknown: 1}}]\n"))
        << kind;
  }
}

}  // namespace
}  // namespace renkei::scenarios
