// Includes and templates: see scenario_include.h for how they fit between YAML and the parser,
// and docs/scenarios.md ("Includes and templates") for the language.
#include "scenario_include.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "netsim/errors.h"

namespace renkei::scenarios::internal {

namespace fs = std::filesystem;

fs::path PathFromFile(std::string_view file, std::string_view written) {
  const fs::path path(written);
  if (path.is_absolute()) return path;
  return (fs::path(file).parent_path() / path).lexically_normal();
}

const SourceFile& SourceMap::Add(std::string name, std::string text) {
  SourceFile f;
  // One spare line between files, so that a mark past a file's last line (yaml-cpp counts a
  // lone '\r' as a line break too) still falls into that file.
  f.first_line = files_.empty() ? 0
                                : files_.back().first_line +
                                      static_cast<int>(files_.back().line_starts.size()) + 1;
  f.name = std::move(name);
  f.text = std::move(text);
  f.line_starts.push_back(0);
  for (size_t i = 0; i < f.text.size(); ++i) {
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  }
  total_bytes_ += f.text.size();
  files_.push_back(std::move(f));
  return files_.back();
}

const SourceFile& SourceMap::FileOf(const YAML::Mark& m) const {
  if (m.is_null() || m.line < 0) return files_.front();
  // The last file whose first line is at or before the mark's.
  auto it = std::upper_bound(files_.begin(), files_.end(), m.line,
                             [](int line, const SourceFile& f) { return line < f.first_line; });
  return it == files_.begin() ? files_.front() : *std::prev(it);
}

SourcePos SourceMap::Pos(const YAML::Mark& m) const {
  const SourceFile& f = FileOf(m);
  SourcePos p{f.name, 1, 1};
  if (m.is_null() || m.line < 0 || m.column < 0) return p;
  const int local = m.line - f.first_line;
  p.line = local + 1;
  const auto line = static_cast<size_t>(local);
  if (local < 0 || line >= f.line_starts.size()) {
    p.column = m.column + 1;
    return p;
  }
  // Marks count bytes; people count characters.
  const size_t begin = f.line_starts[line];
  const size_t end = std::min(f.text.size(), begin + static_cast<size_t>(m.column));
  int chars = 0;
  for (size_t i = begin; i < end && f.text[i] != '\n'; ++i) {
    if ((static_cast<unsigned char>(f.text[i]) & 0xC0) != 0x80) ++chars;
  }
  p.column = chars + 1;
  return p;
}

YAML::Mark SourceMap::MarkAt(const SourceFile& file, size_t offset) {
  YAML::Mark m;
  const auto line = static_cast<size_t>(
      std::upper_bound(file.line_starts.begin(), file.line_starts.end(), offset) -
      file.line_starts.begin() - 1);
  m.pos = static_cast<int>(offset);
  m.line = file.first_line + static_cast<int>(line);
  m.column = static_cast<int>(offset - file.line_starts[line]);
  return m;
}

namespace {

// Walks deeper than this are refused rather than followed: YAML aliases can make a node
// contain itself, and no scenario section nests anywhere near this deep.
constexpr int kMaxNesting = 64;

bool IsPlaceholderNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// A template in the merged document.
struct Template {
  YAML::Node body;
  YAML::Mark mark;  // its name's key, for messages
};

// One include on the chain from the scenario file: its path for messages and its identity.
struct ChainLink {
  std::string name;
  fs::path canonical;
};

class Composer {
 public:
  Composer(SourceMap& sources, const YamlErrorFn& yaml_error)
      : sources_(sources), yaml_error_(yaml_error) {}

  Result<YAML::Node> Compose(const YAML::Node& root) {
    const SourceFile& file = sources_.FileOf(root.Mark());
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(fs::path(file.name), ec);
    chain_.push_back(ChainLink{file.name, ec ? fs::path(file.name) : canonical});
    included_[chain_.back().canonical] = root.Mark();
    RENKEI_TRY(YAML::Node merged, ComposeFile(root, file.name));
    RENKEI_CHECK_OK(ExpandTimeline(merged));
    RENKEI_CHECK_OK(RefuseLeftPlaceholders(merged, merged.Mark(), 0));
    return merged;
  }

 private:
  Error Fail(const YAML::Mark& m, std::string_view what, std::string_view expected) const {
    return MakeError(netsim::Errc::kInvalidArgument, sources_.Pos(m).Describe() + ": " +
                                                         std::string(what) + "; expected " +
                                                         std::string(expected));
  }
  std::string Where(const YAML::Mark& m) const { return sources_.Pos(m).Describe(); }

  static YAML::Mark MarkOf(const YAML::Node& value, const YAML::Mark& fallback) {
    return (!value.IsDefined() || value.IsNull() || value.Mark().is_null()) ? fallback
                                                                            : value.Mark();
  }

  static std::string Kind(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    if (!n.IsDefined() || n.IsNull()) return "empty";
    return "a single value";
  }

  // The one pair of `map` whose key is `name` (nullptr when none); a second one is an error.
  struct Pair {
    YAML::Node key;
    YAML::Node value;
  };
  Result<std::vector<Pair>> PairsOf(const YAML::Node& map, std::string_view what) const {
    std::vector<Pair> pairs;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        return Fail(key.Mark(), "a key in " + std::string(what) + " is " + Kind(key),
                    "a field name");
      }
      for (const Pair& earlier : pairs) {
        if (earlier.key.Scalar() == key.Scalar()) {
          return Fail(key.Mark(),
                      "field '" + key.Scalar() + "' appears twice in " + std::string(what) +
                          " (first at " + Where(earlier.key.Mark()) + ")",
                      "each field once");
        }
      }
      pairs.push_back(Pair{key, it->second});
    }
    return pairs;
  }

  // ---- includes ----

  // `root` is one file's document (a map): merges its includes under it, registers and
  // removes its templates, and returns the merged map (`root` itself, changed).
  Result<YAML::Node> ComposeFile(YAML::Node root, const std::string& name) {
    if (!root.IsMap()) return root;  // the parser says what the scenario file should be
    RENKEI_TRY(const std::vector<Pair> pairs, PairsOf(root, "the scenario"));
    std::vector<YAML::Node> children;
    for (const Pair& p : pairs) {
      if (p.key.Scalar() == "templates") {
        RENKEI_CHECK_OK(RegisterTemplates(p.value, p.key.Mark()));
        root.remove(std::string("templates"));
      } else if (p.key.Scalar() == "include") {
        RENKEI_TRY(const std::vector<Pair> files, IncludeEntries(p.value, p.key.Mark()));
        root.remove(std::string("include"));
        for (const Pair& entry : files) {
          RENKEI_TRY(YAML::Node child, ReadInclude(entry.value, name));
          children.push_back(child);
        }
      }
    }
    if (children.empty()) return root;
    // Included documents first, in order, the including file last.
    std::vector<YAML::Node> merged{children.front()};
    for (size_t i = 1; i < children.size(); ++i) {
      RENKEI_TRY(YAML::Node m, Merge(merged.back(), children[i], children[i].Mark(), "", 0));
      merged.push_back(m);
    }
    return Merge(merged.back(), root, root.Mark(), "", 0);
  }

  // `include: file` or `include: [a, b]`: each entry a file name (Pair.value; key unused).
  Result<std::vector<Pair>> IncludeEntries(const YAML::Node& v, const YAML::Mark& key) const {
    const std::string expected =
        "a file name or a list of file names, such as "
        "include: ../templates/two_cities.yaml";
    std::vector<Pair> out;
    if (v.IsSequence()) {
      for (auto it = v.begin(); it != v.end(); ++it) out.push_back(Pair{YAML::Node(), *it});
      if (out.empty()) return Fail(MarkOf(v, key), "include is an empty list", expected);
    } else {
      out.push_back(Pair{YAML::Node(), v});
    }
    for (const Pair& p : out) {
      if (!p.value.IsScalar() || p.value.Scalar().empty()) {
        return Fail(MarkOf(p.value, key), "an include entry is " + Kind(p.value), expected);
      }
    }
    return out;
  }

  std::string ChainText(const std::string& last) const {
    std::string out;
    for (const ChainLink& link : chain_) out += link.name + " → ";
    return out + last;
  }

  Result<YAML::Node> ReadInclude(const YAML::Node& entry, const std::string& including) {
    const YAML::Mark at = entry.Mark();
    const fs::path tried = PathFromFile(including, entry.Scalar());
    const std::string shown = tried.string();
    std::error_code ec;
    const fs::file_status st = fs::status(tried, ec);
    if (ec || !fs::exists(st)) {
      return Fail(at,
                  "included file " + QuoteForMessage(entry.Scalar()) + " does not exist (tried " +
                      shown + ")",
                  "a path relative to the directory of " + including);
    }
    if (!fs::is_regular_file(st)) {
      return Fail(at, "included " + shown + " is not a regular file", "a scenario file (YAML)");
    }
    const fs::path canonical = fs::weakly_canonical(tried, ec);
    for (const ChainLink& link : chain_) {
      if (!ec && link.canonical == canonical) {
        return Fail(at, "include cycle: " + ChainText(shown),
                    "includes that never lead back to a file that includes them");
      }
    }
    if (const auto earlier = included_.find(canonical); !ec && earlier != included_.end()) {
      return Fail(at,
                  shown + " is included a second time (first at " + Where(earlier->second) + ")",
                  "each file included once (lists would hold its entries twice)");
    }
    if (static_cast<int>(chain_.size()) >= kMaxIncludeDepth + 1) {
      return Fail(at,
                  "includes nest " + std::to_string(chain_.size()) + " deep: " + ChainText(shown),
                  "at most " + std::to_string(kMaxIncludeDepth) + " levels of includes");
    }
    if (sources_.size() >= kMaxIncludedFiles) {
      return Fail(at, "more than " + std::to_string(kMaxIncludedFiles - 1) + " included files",
                  "a scenario with fewer includes");
    }
    const auto size = fs::file_size(tried, ec);
    if (ec || sources_.total_bytes() + size > kMaxScenarioBytes) {
      return Fail(at, "with " + shown + " the scenario's files have more than 16 MiB",
                  "a scenario and its includes of at most 16 MiB together");
    }
    std::ifstream in(tried, std::ios::binary);
    std::ostringstream buffer;
    if (in) buffer << in.rdbuf();
    if (!in || in.bad()) return Fail(at, shown + " cannot be read", "a readable scenario file");
    std::string text = std::move(buffer).str();
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // a BOM is not text
    const SourceFile& file = sources_.Add(shown, std::move(text));
    if (const size_t bad = FirstInvalidUtf8Byte(file.text); bad != std::string::npos) {
      return Fail(SourceMap::MarkAt(file, bad), "a byte that is not UTF-8", "UTF-8 text");
    }
    std::vector<YAML::Node> docs;
    try {
      // The blank lines give this file's nodes marks of their own (scenario_include.h).
      docs = YAML::LoadAll(std::string(static_cast<size_t>(file.first_line), '\n') + file.text);
    } catch (const YAML::DeepRecursion& e) {
      return Fail(e.mark, "the YAML nests too deeply", "a scenario a few levels deep");
    } catch (const YAML::Exception& e) {
      return yaml_error_(e);
    }
    if (docs.empty() || !docs.front().IsDefined() || docs.front().IsNull()) {
      return Fail(at, "included " + shown + " is empty",
                  "a map of scenario sections, such as world and expect");
    }
    if (docs.size() > 1) {
      return Fail(docs[1].Mark(), "a second YAML document in the file",
                  "one document per file (no second '---')");
    }
    const YAML::Node doc = docs.front();
    if (!doc.IsMap()) {
      return Fail(doc.Mark(),
                  "the included file is " + Kind(doc) + " (included at " + Where(at) + ")",
                  "a map of scenario sections, such as world and expect");
    }
    chain_.push_back(ChainLink{shown, ec ? tried : canonical});
    included_[chain_.back().canonical] = at;
    auto composed = ComposeFile(doc, shown);
    chain_.pop_back();
    return composed;
  }

  // `base` from earlier files, `overlay` from a later one (the including file last). Maps merge
  // key by key and lists are concatenated; a scalar in both is the overlay's. `overlay` maps
  // are changed in place, so that the merged map keeps the overlay's position for messages.
  Result<YAML::Node> Merge(const YAML::Node& base, YAML::Node overlay, const YAML::Mark& at,
                           const std::string& path, int depth) {
    if (depth > kMaxNesting) return Fail(at, "the YAML nests too deeply", "a flatter scenario");
    const std::string what = path.empty() ? "the scenario" : path;
    if (base.IsMap() && overlay.IsMap()) {
      RENKEI_TRY(const std::vector<Pair> mine, PairsOf(overlay, what));
      RENKEI_TRY(const std::vector<Pair> theirs, PairsOf(base, what));
      for (const Pair& b : theirs) {
        const auto same = std::find_if(mine.begin(), mine.end(), [&b](const Pair& p) {
          return p.key.Scalar() == b.key.Scalar();
        });
        if (same == mine.end()) {
          overlay.force_insert(b.key, b.value);
          continue;
        }
        const std::string child = path.empty() ? b.key.Scalar() : path + "." + b.key.Scalar();
        RENKEI_TRY(
            YAML::Node merged,
            Merge(b.value, same->value, MarkOf(same->value, same->key.Mark()), child, depth + 1));
        if (!merged.is(same->value)) {
          overlay.remove(same->key.Scalar());
          overlay.force_insert(same->key, merged);
        }
      }
      return overlay;
    }
    if (base.IsSequence() && overlay.IsSequence()) {
      YAML::Node list(YAML::NodeType::Sequence);
      for (auto it = base.begin(); it != base.end(); ++it) list.push_back(*it);
      for (auto it = overlay.begin(); it != overlay.end(); ++it) list.push_back(*it);
      return list;
    }
    const bool base_scalar = !base.IsMap() && !base.IsSequence();
    const bool overlay_scalar = !overlay.IsMap() && !overlay.IsSequence();
    if (base_scalar && overlay_scalar) return overlay;
    return Fail(at,
                what + " is " + Kind(overlay) + " here but " + Kind(base) + " in " +
                    Where(MarkOf(base, at)) + ", so the two cannot be merged",
                "the same kind of value in both files (maps merge, lists are joined, a single "
                "value replaces the included one)");
  }

  // ---- templates ----

  Status RegisterTemplates(const YAML::Node& v, const YAML::Mark& key) {
    if (!v.IsMap()) {
      return Fail(MarkOf(v, key), "templates is " + Kind(v),
                  "a map of template names to events without at, such as "
                  "templates: {ask: {query: {id: \"${id}\", …}}}");
    }
    RENKEI_TRY(const std::vector<Pair> pairs, PairsOf(v, "templates"));
    for (const Pair& p : pairs) {
      const std::string& name = p.key.Scalar();
      if (const auto earlier = templates_.find(name); earlier != templates_.end()) {
        return Fail(p.key.Mark(),
                    "template '" + name + "' is defined twice (first at " +
                        Where(earlier->second.mark) + ")",
                    "each template name once across the scenario and its includes");
      }
      if (!p.value.IsMap()) {
        return Fail(MarkOf(p.value, p.key.Mark()), "template '" + name + "' is " + Kind(p.value),
                    "an event without at, such as {query: {id: \"${id}\", from: 長岡市, …}}");
      }
      for (auto it = p.value.begin(); it != p.value.end(); ++it) {
        const YAML::Node k = it->first;
        if (k.IsScalar() && (k.Scalar() == "at" || k.Scalar() == "use" || k.Scalar() == "with")) {
          return Fail(k.Mark(), "template '" + name + "' has " + k.Scalar(),
                      "an event without at, use and with (the timeline entry that uses the "
                      "template gives at)");
        }
      }
      templates_[name] = Template{p.value, p.key.Mark()};
    }
    return OkStatus();
  }

  std::string TemplateNames() const {
    if (templates_.empty()) return "a template under templates: (none is defined)";
    std::string out = "one of ";
    bool first = true;
    for (const auto& [name, t] : templates_) {
      out += (first ? "" : ", ") + name;
      first = false;
    }
    return out;
  }

  Status ExpandTimeline(const YAML::Node& root) {
    if (!root.IsMap()) return OkStatus();
    const YAML::Node timeline = root["timeline"];
    if (!timeline.IsDefined() || !timeline.IsSequence()) return OkStatus();
    for (auto it = timeline.begin(); it != timeline.end(); ++it) {
      const YAML::Node entry = *it;
      if (entry.IsMap() && entry["use"].IsDefined()) RENKEI_CHECK_OK(ExpandUse(entry));
    }
    return OkStatus();
  }

  // Arguments of one use, and which of them the template used.
  struct Use {
    std::string name;
    YAML::Mark at;  // the entry, for messages
    std::map<std::string, Pair> args;
    std::map<std::string, bool> used;
  };

  // `{at, use, with, narration}` becomes the event: at and narration from the entry, the rest
  // from the template with its placeholders filled. The entry itself is changed in place, so
  // that the event keeps the entry's position.
  Status ExpandUse(YAML::Node entry) {
    RENKEI_TRY(const std::vector<Pair> pairs, PairsOf(entry, "a template use"));
    Use use;
    use.at = entry.Mark();
    YAML::Node use_value;
    YAML::Mark use_mark;
    YAML::Node with;
    YAML::Mark with_mark;
    bool has_with = false;  // a default YAML::Node counts as defined
    bool own_narration = false;
    for (const Pair& p : pairs) {
      const std::string& k = p.key.Scalar();
      if (k == "use") {
        use_value = p.value;
        use_mark = MarkOf(p.value, p.key.Mark());
      } else if (k == "with") {
        with = p.value;
        has_with = true;
        with_mark = MarkOf(p.value, p.key.Mark());
      } else if (k == "narration") {
        own_narration = true;
      } else if (k != "at") {
        return Fail(p.key.Mark(), "unknown field '" + k + "' in a template use",
                    "one of at, use, with, narration (the template gives the event)");
      }
    }
    if (!use_value.IsScalar() || use_value.Scalar().empty()) {
      return Fail(use_mark, "use is " + Kind(use_value), "the name of a template");
    }
    use.name = use_value.Scalar();
    const auto t = templates_.find(use.name);
    if (t == templates_.end()) {
      return Fail(use_mark, "unknown template " + QuoteForMessage(use.name), TemplateNames());
    }
    if (has_with) {
      if (!with.IsMap()) {
        return Fail(with_mark, "with is " + Kind(with),
                    "a map of the template's parameters, such as with: {id: q1, person: 1}");
      }
      RENKEI_TRY(const std::vector<Pair> args, PairsOf(with, "with"));
      for (const Pair& a : args) {
        use.args[a.key.Scalar()] = a;
        use.used[a.key.Scalar()] = false;
      }
    }
    const YAML::Mark missing_at = has_with ? with_mark : use_mark;
    std::vector<Pair> filled;
    for (auto it = t->second.body.begin(); it != t->second.body.end(); ++it) {
      const YAML::Node key = it->first;
      if (own_narration && key.IsScalar() && key.Scalar() == "narration") continue;
      RENKEI_TRY(YAML::Node value,
                 Fill(it->second, MarkOf(it->second, key.Mark()), use, missing_at, 0));
      filled.push_back(Pair{key, value});
    }
    for (const auto& [name, used] : use.used) {
      if (!used) {
        return Fail(use.args.at(name).key.Mark(),
                    "parameter '" + name + "' is not used by template '" + use.name + "' (at " +
                        Where(t->second.mark) + ")",
                    "only parameters that the template's ${…} placeholders name");
      }
    }
    entry.remove(std::string("use"));
    if (has_with) entry.remove(std::string("with"));
    for (const Pair& p : filled) entry.force_insert(p.key, p.value);
    return OkStatus();
  }

  // `node` of a template with its placeholders filled from `use`: a scalar that is exactly
  // ${name} becomes the argument itself (any value, keeping its quotes and its position for
  // messages); ${name} inside a longer text is replaced by the argument's text. Unchanged parts
  // are shared, never copied or changed: a template is used many times.
  Result<YAML::Node> Fill(const YAML::Node& node, const YAML::Mark& at, Use& use,
                          const YAML::Mark& missing_at, int depth) {
    if (depth > kMaxNesting) return Fail(at, "the template nests too deeply", "a flatter event");
    if (node.IsMap()) {
      YAML::Node out(YAML::NodeType::Map);
      bool changed = false;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        RENKEI_TRY(YAML::Node v,
                   Fill(it->second, MarkOf(it->second, key.Mark()), use, missing_at, depth + 1));
        changed = changed || !v.is(it->second);
        out.force_insert(key, v);
      }
      return changed ? out : node;
    }
    if (node.IsSequence()) {
      YAML::Node out(YAML::NodeType::Sequence);
      bool changed = false;
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node item = *it;
        RENKEI_TRY(YAML::Node v, Fill(item, MarkOf(item, at), use, missing_at, depth + 1));
        changed = changed || !v.is(item);
        out.push_back(v);
      }
      return changed ? out : node;
    }
    if (!node.IsScalar()) return node;
    const std::string& s = node.Scalar();
    if (s.find("${") == std::string::npos) return node;
    std::string text;
    size_t i = 0;
    while (i < s.size()) {
      const size_t open = s.find("${", i);
      if (open == std::string::npos) {
        text += s.substr(i);
        break;
      }
      text += s.substr(i, open - i);
      const size_t close = s.find('}', open + 2);
      const std::string name =
          close == std::string::npos ? "" : s.substr(open + 2, close - open - 2);
      if (name.empty() || !std::all_of(name.begin(), name.end(), IsPlaceholderNameChar)) {
        return Fail(at, "malformed placeholder in " + QuoteForMessage(s),
                    "${name} with a name of letters, digits, '_' or '-'");
      }
      const auto arg = use.args.find(name);
      if (arg == use.args.end()) {
        return Fail(missing_at,
                    "template '" + use.name + "' needs parameter '" + name + "' (${" + name +
                        "} at " + Where(at) + "), which this use does not give",
                    "with: {" + name + ": …}");
      }
      use.used[name] = true;
      if (open == 0 && close + 1 == s.size()) return arg->second.value;  // the whole value
      if (!arg->second.value.IsScalar()) {
        return Fail(MarkOf(arg->second.value, arg->second.key.Mark()),
                    "parameter '" + name + "' is " + Kind(arg->second.value) +
                        ", but the template puts it inside the text " + QuoteForMessage(s) +
                        " (at " + Where(at) + ")",
                    "a single value for a placeholder inside a text");
      }
      text += arg->second.value.Scalar();
      i = close + 1;
    }
    YAML::Node out(text);
    out.SetTag(node.Tag());  // quoted stays text, plain stays plain
    return out;
  }

  // After expansion no ${…} is left: one outside a template, or inside an argument (arguments
  // are not expanded again), is a mistake rather than text to pass on.
  Status RefuseLeftPlaceholders(const YAML::Node& node, const YAML::Mark& at, int depth) const {
    if (depth > kMaxNesting) return OkStatus();  // an alias loop; the parser reports the rest
    if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        RENKEI_CHECK_OK(RefuseLeftPlaceholders(key, key.Mark(), depth + 1));
        RENKEI_CHECK_OK(
            RefuseLeftPlaceholders(it->second, MarkOf(it->second, key.Mark()), depth + 1));
      }
    } else if (node.IsSequence()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node item = *it;
        RENKEI_CHECK_OK(RefuseLeftPlaceholders(item, MarkOf(item, at), depth + 1));
      }
    } else if (node.IsScalar() && node.Scalar().find("${") != std::string::npos) {
      return Fail(MarkOf(node, at),
                  "placeholder left unresolved in " + QuoteForMessage(node.Scalar()),
                  "${…} only in a template under templates:, filled by a timeline entry's "
                  "use: and with: (arguments are not expanded again)");
    }
    return OkStatus();
  }

  SourceMap& sources_;
  const YamlErrorFn& yaml_error_;
  std::vector<ChainLink> chain_;               // the scenario file, then the open includes
  std::map<fs::path, YAML::Mark> included_;    // every file read so far → where it was included
  std::map<std::string, Template> templates_;  // by name, from every file
};

}  // namespace

Result<YAML::Node> ComposeDocument(const YAML::Node& root, SourceMap& sources,
                                   const YamlErrorFn& yaml_error) {
  Composer composer(sources, yaml_error);
  return composer.Compose(root);
}

}  // namespace renkei::scenarios::internal
