// Strict reading and canonical writing of the small JSON documents carried in envelope bodies
// (permit requests, grants, queries, answers). Shared by the NWS core and the intermediate
// server so that every body on the network applies one rule: every field required, no field
// unknown, each field of the stated JSON type, messages naming the document and the field.
//
// Writing: Boost.JSON serialises an object's members in insertion order, so a writer that
// inserts in a fixed order produces one canonical text per value, and Parse accepts only that
// text (it re-serialises what it parsed and compares).
// Thread safety: value types and free functions.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/crypto.h"
#include "netsim/errors.h"
#include "netsim/result.h"

namespace renkei::netsim::jsonbody {
namespace json = boost::json;

// The first member name that appears twice in one object of `text`, which must be valid JSON
// (the parser keeps only the last copy, so the duplicate is found on the text itself).
inline std::optional<std::string> FirstDuplicateKey(std::string_view text) {
  std::vector<std::set<std::string>> objects;  // member names seen, per open object
  std::vector<char> open;                      // '{' or '[' per nesting level
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' || c == '[') {
      open.push_back(c);
      if (c == '{') objects.emplace_back();
    } else if (c == '}' || c == ']') {
      if (!open.empty() && open.back() == '{') objects.pop_back();
      if (!open.empty()) open.pop_back();
    } else if (c == '"') {
      std::string str;
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size()) str += text[j++];
        str += text[j];
      }
      i = j;
      size_t k = j + 1;
      while (k < text.size() &&
             (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r')) {
        ++k;
      }
      const bool is_key = k < text.size() && text[k] == ':' && !open.empty() && open.back() == '{';
      if (is_key && !objects.back().insert(str).second) return str;
    }
  }
  return std::nullopt;
}

// Strict reading of a body object: every field required, no field unknown, strings only
// (arrays of strings where stated). Messages name the document and the field.
class Fields {
 public:
  static Result<Fields> Parse(crypto::ByteView bytes, std::string_view what) {
    json::error_code ec;
    json::value v = json::parse(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), ec);
    if (ec) return MakeError(Errc::kParseError, std::string(what) + ": not JSON: " + ec.message());
    if (!v.is_object()) return MakeError(Errc::kParseError, std::string(what) + ": not an object");
    // One value, one text: the bytes must be exactly what the writer produces. This refuses
    // duplicate members (which the parser would silently collapse), whitespace and escapes
    // a writer never emits, so what was signed or logged is what was read.
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (json::serialize(v) != text) {
      if (auto key = FirstDuplicateKey(text)) {
        return MakeError(Errc::kParseError,
                         std::string(what) + ": field '" + *key + "' is given twice");
      }
      return MakeError(Errc::kParseError,
                       std::string(what) + ": not in canonical form (whitespace or escapes)");
    }
    return Fields(std::move(v).as_object(), what);
  }
  Result<std::string> String(std::string_view key) {
    seen_.insert(std::string(key));
    const json::value* v = obj_.if_contains(key);
    if (v == nullptr) return Missing(key);
    if (!v->is_string()) return WrongType(key, "a string");
    return std::string(v->as_string());
  }
  Result<std::vector<std::string>> Strings(std::string_view key) {
    seen_.insert(std::string(key));
    const json::value* v = obj_.if_contains(key);
    if (v == nullptr) return Missing(key);
    if (!v->is_array()) return WrongType(key, "an array of strings");
    std::vector<std::string> out;
    for (const json::value& item : v->as_array()) {
      if (!item.is_string()) return WrongType(key, "an array of strings");
      out.emplace_back(item.as_string());
    }
    return out;
  }
  Result<int64_t> Int(std::string_view key) {
    seen_.insert(std::string(key));
    const json::value* v = obj_.if_contains(key);
    if (v == nullptr) return Missing(key);
    if (!v->is_int64()) return WrongType(key, "an integer");
    return v->as_int64();
  }
  Result<bool> Bool(std::string_view key) {
    seen_.insert(std::string(key));
    const json::value* v = obj_.if_contains(key);
    if (v == nullptr) return Missing(key);
    if (!v->is_bool()) return WrongType(key, "true or false");
    return v->as_bool();
  }
  // An array of objects, each read strictly as document `item_what`.
  Result<std::vector<Fields>> Objects(std::string_view key, std::string_view item_what) {
    seen_.insert(std::string(key));
    const json::value* v = obj_.if_contains(key);
    if (v == nullptr) return Missing(key);
    if (!v->is_array()) return WrongType(key, "an array of objects");
    std::vector<Fields> out;
    for (const json::value& item : v->as_array()) {
      if (!item.is_object()) return WrongType(key, "an array of objects");
      out.push_back(Fields(item.as_object(), item_what));
    }
    return out;
  }
  Status NoOthers() const {
    for (const auto& kv : obj_) {
      if (!seen_.contains(std::string(kv.key()))) {
        return MakeError(Errc::kParseError,
                         what_ + ": unknown field '" + std::string(kv.key()) + "'");
      }
    }
    return OkStatus();
  }

 private:
  Fields(json::object obj, std::string_view what) : obj_(std::move(obj)), what_(what) {}
  Error Missing(std::string_view key) const {
    return MakeError(Errc::kParseError, what_ + ": missing field '" + std::string(key) + "'");
  }
  Error WrongType(std::string_view key, const char* expected) const {
    return MakeError(Errc::kParseError,
                     what_ + ": field '" + std::string(key) + "' must be " + expected);
  }
  json::object obj_;
  std::string what_;
  std::set<std::string> seen_;
};

inline crypto::Bytes ToBytes(const json::object& o) {
  const std::string text = json::serialize(o);
  return crypto::Bytes(text.begin(), text.end());
}

inline json::array ToArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

}  // namespace renkei::netsim::jsonbody
