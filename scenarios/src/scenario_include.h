// Includes and templates of scenario files: the step between reading YAML and checking it.
//
// The parser (scenario.cc) parses the scenario file itself, then hands its root node to
// ComposeDocument, which reads the files named by `include:` (relative to the including file),
// merges every document into the root (included documents first, in order, the including
// file last: lists concatenated, maps merged key by key, a scalar given twice taken from the
// including file), and expands the timeline's `use:` entries from `templates:`. What comes out
// is one YAML tree that the parser checks as if it had been written in one file.
//
// Messages must still name the file a value came from. yaml-cpp's marks carry only a line and
// a column, and nodes cannot be re-marked, so each included file is parsed with as many blank
// lines in front of it as all earlier files have lines: a mark's line is then unique across
// the files, and SourceMap turns it back into file:line:column. This header is private to the
// scenarios library; docs/scenarios.md describes the language.
//
// Thread safety: none; one SourceMap and one composition per parse.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"
#include "scenarios/scenario.h"

namespace renkei::scenarios::internal {

// How deep includes may nest: the scenario file's includes are level 1.
inline constexpr int kMaxIncludeDepth = 8;
// At most this many files take part in one scenario (the scenario file and its includes), and
// together at most kMaxScenarioBytes: each file's blank-line prefix grows with the files
// before it, so both bound the work of a parse.
inline constexpr size_t kMaxIncludedFiles = 64;
inline constexpr size_t kMaxScenarioBytes = size_t{16} << 20;

// One file of a scenario, as the YAML marks of its nodes see it.
struct SourceFile {
  std::string name;                 // as in messages: the path as given or formed
  std::string text;                 // without a byte-order mark
  int first_line = 0;               // the 0-based mark line of its first line
  std::vector<size_t> line_starts;  // byte offset of each line in `text`
};

// The files of one scenario and the mark lines each one occupies.
class SourceMap {
 public:
  // Adds a file after the earlier ones; its marks start at first_line (see ParseText).
  const SourceFile& Add(std::string name, std::string text);
  // The file a mark belongs to (the first file for a null mark).
  const SourceFile& FileOf(const YAML::Mark& m) const;
  // file:line:column with 1-based lines and columns counted in characters, not bytes.
  SourcePos Pos(const YAML::Mark& m) const;
  // The mark of byte `offset` of `file`.
  static YAML::Mark MarkAt(const SourceFile& file, size_t offset);
  size_t size() const { return files_.size(); }
  size_t total_bytes() const { return total_bytes_; }

 private:
  std::deque<SourceFile> files_;  // a deque: references handed out stay valid
  size_t total_bytes_ = 0;
};

// The path that `written`, a path given in `file` (an include, a data file), names: an absolute
// path as it is, a relative one from the directory of `file`, lexically normalised so that
// messages show a/data.csv rather than a/./data.csv.
std::filesystem::path PathFromFile(std::string_view file, std::string_view written);

// The parser's own description of malformed YAML (with its hints), for included files too.
using YamlErrorFn = std::function<Error(const YAML::Exception&)>;

// Merges the includes of `root` (parsed from the first file of `sources`) into it and expands
// its templates, adding each included file to `sources`. Returns the tree to check; every
// error is "file:line:column: what; expected …" naming the file the mistake is in.
Result<YAML::Node> ComposeDocument(const YAML::Node& root, SourceMap& sources,
                                   const YamlErrorFn& yaml_error);

// From scenario.cc, so that messages here follow the same rules: values quoted, shortened and
// never echoed when they might be a 個人番号; the first byte that is not UTF-8.
std::string QuoteForMessage(std::string_view value);
size_t FirstInvalidUtf8Byte(std::string_view text);

}  // namespace renkei::scenarios::internal
