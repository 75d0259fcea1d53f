// The permit list (照会許可用照合リスト): which body may ask which body for which data items in
// which procedure. The NWS core checks every permit request against it, and every provider's
// intermediate server checks incoming requests against its own copy.
//
// The list is versioned data with a validity period, never code. File format (UTF-8; docs/nws.md
// has it with examples): '#' lines and blank lines are ignored; the first three other lines are
//     version,<text>            e.g. version,2024.04
//     valid_from,YYYY-MM-DD     first day the list is in force (from 00:00 JST)
//     valid_to,YYYY-MM-DD       last day the list is in force (through 23:59:59.999999 JST)
// then the header
//     row_id,requester,jm,jt,provider,tm_items,valid_from,valid_to,weight,note
// then one row per line. requester and provider are a 16-digit 機関コード or "kind:<kind>"
// (kind names as in institution_registry.h); tm_items is one or more TM codes separated by ';'.
// Row dates are inclusive days like the list's. weight is the row's relative share of traffic
// (a non-negative integer; load generators draw rows in proportion to it). note is free text
// without commas.
//
// A file is refused whole (kParseError; the message lists every problem as
// "file:line: field: reason") when any row is malformed, when it has no rows, or when it
// contradicts itself:
//   - a row valid on a day the list is not (row validity must lie within the list's);
//   - two rows with the same requester, JM, JT and provider (same text: the same 機関コード or the
//     same kind) whose validity periods overlap: one procedure has one set of items at a time,
//     so a change of items is written as one row ending and another starting;
//   - one JT under two different JMs (a procedure belongs to exactly one business).
//
// Thread safety: a PermitList is immutable after construction; Check may be called from any
// number of threads at once. Check does no allocation and no linear scan: rows are indexed by
// (JM, JT) at load time.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/institution_registry.h"
#include "netsim/result.h"
#include "netsim/time.h"

namespace renkei::netsim {

// Who a row names on one side: one body by code, or every body of a kind.
struct PartySpec {
  bool is_kind = true;
  InstitutionKind kind = InstitutionKind::kMunicipality;  // when is_kind
  std::string code;                                       // 機関コード when !is_kind

  // "kind:municipality" or the code, as in the file.
  std::string ToString() const;
  bool operator==(const PartySpec&) const = default;
};

struct PermitRow {
  std::string id;  // unique in the list, e.g. "16の2-1" (別表第二 item and a serial)
  PartySpec requester;
  std::string jm;  // 事務コード
  std::string jt;  // 事務手続コード
  PartySpec provider;
  std::vector<std::string> tm_items;  // 特定個人情報名コード, sorted, unique, at least one
  SimTime valid_from;                 // first microsecond (00:00 JST of the first day)
  SimTime valid_to;                   // last microsecond (23:59:59.999999 JST of the last day)
  uint32_t weight = 1;                // relative traffic share
  std::string note;                   // what the row is for, for people

  bool operator==(const PermitRow&) const = default;
};

// A request to check: who asks whom, in which procedure, for which items. The list does not
// care about the person; tokens and 処理通番 travel elsewhere.
struct PermitRequest {
  std::string requester;  // 機関コード
  std::string jm;
  std::string jt;
  std::string provider;  // 機関コード
  std::vector<std::string> tm_items;
};

enum class PermitStatus : uint8_t {
  kPermitted,         // a row in force matches the parties and procedure and covers every item
  kNotPermitted,      // no row in force matches requester, JM, JT and provider
  kUnknownRequester,  // the requester's 機関コード is not in the registry
  kUnknownProvider,   // the provider's 機関コード is not in the registry
  kListExpired,       // the list's validity ended before `now`
  kNotYetValid,       // the list's validity starts after `now`
  kItemNotPermitted,  // rows match, but none covers every requested item (or none was asked)
};
std::string_view PermitStatusName(PermitStatus status);

// The outcome of a check. Holds no heap memory, so a check never allocates; row_id and
// list_version view the PermitList and stay valid while it lives.
struct PermitDecision {
  PermitStatus status = PermitStatus::kNotPermitted;
  // The matching row (kPermitted), or the first row that matched the parties but not the items
  // (kItemNotPermitted); empty otherwise.
  std::string_view row_id;
  std::string_view list_version;
  // The code the decision is about: the unknown requester or provider, the refused TM item
  // (first requested item for kNotPermitted); at most 16 bytes are kept.
  std::array<char, 16> subject{};
  uint8_t subject_size = 0;
  bool subject_truncated = false;
  // The list's validity bound that was crossed (kListExpired: valid_to; kNotYetValid: valid_from).
  SimTime bound;

  bool permitted() const { return status == PermitStatus::kPermitted; }
  std::string_view subject_view() const { return {subject.data(), subject_size}; }
  // A sentence for people. Refusals of items use the network's own wording:
  // 「指定された特定個人情報名「TM…」の照会は許可されていません。」
  std::string Reason() const;
};

class PermitList {
 public:
  // kIoError when the file cannot be opened, kParseError as described above.
  static Result<PermitList> LoadCsv(const std::string& path);
  static Result<PermitList> FromCsv(std::istream& in, std::string_view source_name);

  // A realistic full-size list: 2,000 rows (~1,500 procedures) over ~200 businesses, requesters
  // and providers by kind in proportions like the real table (municipalities ask most), 1-4 items
  // each from a pool of 400 TM codes. 30 rows are "high traffic" and carry about 80 % of the
  // total weight (Zipf, s = 1, over their ranks); every other row has weight 1. All codes start
  // with "9" after the prefix, so they never collide with the shipped list's. Version
  // "generated-<seed>", valid 2024-04-01 to 2027-03-31. Deterministic for a seed.
  static PermitList GenerateFull(uint64_t seed);
  static constexpr int kGeneratedRows = 2000;
  static constexpr int kGeneratedHighTrafficRows = 30;

  // Writes the list in the file format; FromCsv reads it back equal (TM items sorted).
  void WriteCsv(std::ostream& out) const;

  // Decides a request at time `now`. In order: list validity (kNotYetValid, kListExpired), the
  // requester and provider in `registry` (kUnknownRequester, kUnknownProvider), then the rows
  // indexed under (JM, JT) that are in force at `now` and match both parties (by code or by
  // the body's kind in `registry`): the first in file order covering every requested item
  // permits; if some match but none covers, kItemNotPermitted; if none matches, kNotPermitted.
  // Never allocates.
  PermitDecision Check(const PermitRequest& request, const InstitutionRegistry& registry,
                       SimTime now) const;

  const std::string& version() const { return version_; }
  SimTime valid_from() const { return valid_from_; }            // first microsecond in force
  SimTime valid_to() const { return valid_to_; }                // last microsecond in force
  const std::vector<PermitRow>& rows() const { return rows_; }  // file order
  uint64_t TotalWeight() const { return total_weight_; }

  bool operator==(const PermitList& o) const {
    return version_ == o.version_ && valid_from_ == o.valid_from_ && valid_to_ == o.valid_to_ &&
           rows_ == o.rows_;
  }

 private:
  PermitList() = default;
  // Compiles the rows into the index; rows were validated by the caller.
  void BuildIndex();

  struct CompiledParty {
    bool is_kind = true;
    InstitutionKind kind = InstitutionKind::kMunicipality;
    uint64_t code = 0;
  };
  struct CompiledRow {
    CompiledParty requester, provider;
    int64_t from = 0, to = 0;           // microseconds, inclusive
    uint32_t tm_begin = 0, tm_end = 0;  // into tm_codes_, sorted
  };
  // (JM, JT) digits → the rows' range in index_rows_; open addressing, load <= 1/2.
  struct IndexSlot {
    uint64_t jm = 0, jt = 0;
    uint32_t begin = 0, end = 0;  // end == 0: empty (a used range is never empty)
  };

  std::string version_;
  SimTime valid_from_, valid_to_;
  std::vector<PermitRow> rows_;
  uint64_t total_weight_ = 0;

  std::vector<CompiledRow> compiled_;  // parallel to rows_
  std::vector<uint64_t> tm_codes_;     // the 14 digits of each row's TM items, row by row
  std::vector<uint32_t> index_rows_;   // row indices grouped by (JM, JT), file order inside
  std::vector<IndexSlot> index_;
  int index_shift_ = 64;
};

// Whether a provider may still rely on its local copy of the list at `now`: from the copy's
// valid_from through valid_to + staleness_window, both inclusive. A copy not yet in force is
// not acceptable (the provider must keep using the one that is); one past its end is accepted
// for the window, which covers the time a new version takes to reach every body.
bool AcceptableCopy(const PermitList& local, SimTime now, Duration staleness_window);

}  // namespace renkei::netsim
