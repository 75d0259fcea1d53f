// ServerState: the intermediate server's own bookkeeping in the body's server database
// (SQLite, WAL): tokens (符号管理), queries by 処理通番, the suppression review queue, the
// auto-reply suppression and self-information flags, the answers it has sent (so a
// retransmitted query gets the same answer, never a second provision) and batch jobs.
//
// Received and sent data (answer items, answer bytes) are sealed with AES-256-GCM under a key
// derived from the body's master key (HMAC-SHA-256(master, "renkei/server/state-key/" +
// 機関コード)); the nonce is derived from the row key and a revision drawn from one counter
// of the whole database on every write, so no (key, nonce) pair repeats, not even for a row
// deleted and written again. The associated data names the row, so a blob copied into
// another row does not open there.
//
// Nothing here holds a 個人番号: persons are named by 団体内統合宛名番号, other bodies' persons
// only by the token the core converted.
//
// Thread safety: not thread-safe; one per intermediate server, on its event loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "middleware/batch_file.h"
#include "middleware/exchange.h"
#include "netsim/crypto.h"
#include "netsim/result.h"
#include "netsim/sqlite.h"
#include "netsim/time.h"

namespace renkei::middleware {

// Where a query stands at the requester.
enum class QueryPhase {
  kAwaitingPermit,  // permit requested from the core
  kAwaitingAnswer,  // query sent to the provider
  kPendingManual,   // the provider holds it for staff review (status kPendingManual)
  kDone,            // final: see status
};
std::string_view QueryPhaseName(QueryPhase phase);

struct QueryState {
  std::string processing_number;
  std::string integrated_number;
  std::string requester;  // this body's 機関コード
  std::string provider;
  std::string jm, jt;
  std::vector<std::string> tm_items;
  std::string start_date, end_date;  // YYYY-MM-DD or empty
  bool non_disclosure = false;
  netsim::SimTime submitted_at;
  std::optional<netsim::SimTime> completed_at;
  QueryPhase phase = QueryPhase::kAwaitingPermit;
  RecordStatus status = RecordStatus::kError;  // meaningful in kPendingManual and kDone
  std::string message;
  std::vector<AnswerItem> items;
  std::string permit_id;
  int attempts = 0;      // permit requests or query sends in the current phase
  int64_t batch_id = 0;  // 0: an online query
  int batch_line = 0;    // line in the batch query file
};

enum class ReviewState { kPending, kEscalated, kApproved, kApprovedPartial, kRefused, kExpired };
std::string_view ReviewStateName(ReviewState state);

// One request held back by the auto-reply suppression flag.
struct Review {
  int64_t id = 0;
  std::string permit_id;
  std::string processing_number;
  std::string requester;
  std::string message_id;  // of the query, to answer it
  std::string jm, jt;
  std::vector<std::string> tm_items;
  std::string integrated_number;
  std::string as_of;  // YYYY-MM-DD the replicas are read at
  bool non_disclosure = false;
  netsim::SimTime received_at;
  netsim::SimTime escalate_at;
  netsim::SimTime expire_at;
  ReviewState state = ReviewState::kPending;
  std::string decided_by;
  std::optional<netsim::SimTime> decided_at;
  std::string reason;
  std::vector<std::string> removed_items;

  bool open() const { return state == ReviewState::kPending || state == ReviewState::kEscalated; }
};

enum class FlagKind { kSuppressAutoReply, kSelfInfoBlocked };
std::string_view FlagKindName(FlagKind kind);

struct Flag {
  std::string integrated_number;
  std::string tm;  // empty: every item of the person
  FlagKind kind = FlagKind::kSuppressAutoReply;
  std::string set_by;
  netsim::SimTime set_at;
  std::string reason;
};

// An answer as sent, for retransmissions of the same query.
struct SentAnswer {
  std::string permit_id;
  std::string requester;
  std::string query_message_id;
  netsim::SimTime expires_at;      // the permit's
  netsim::crypto::Bytes envelope;  // the encoded, signed answer envelope
};

struct BatchJob {
  int64_t id = 0;
  std::string source;
  netsim::SimTime submitted_at;
  int lines = 0;     // records in the file (good and bad)
  int rejected = 0;  // lines the parser refused (answered with status 90)
};

class ServerState {
 public:
  // Opens or creates the tables in `db` (which the caller keeps open). `state_key` is 32 bytes.
  static Result<std::unique_ptr<ServerState>> Open(netsim::sql::Database& db,
                                                   const std::vector<uint8_t>& state_key);
  ~ServerState();
  ServerState(const ServerState&) = delete;
  ServerState& operator=(const ServerState&) = delete;

  // One transaction for several writes: while a Writes is open, every write joins it instead
  // of committing on its own, and lands when Commit succeeds; dropping it uncommitted rolls
  // them all back. An event that changes a query and its sent message together commits once
  // and is never seen half-done after a crash. At most one is open at a time.
  class Writes {
   public:
    Writes(Writes&& o) noexcept;
    Writes& operator=(Writes&&) = delete;
    ~Writes();
    Status Commit();

   private:
    friend class ServerState;
    Writes(netsim::sql::Transaction txn, bool* open) : txn_(std::move(txn)), open_(open) {}
    netsim::sql::Transaction txn_;
    bool* open_;  // the state's flag; null once moved from or finished
  };
  Result<Writes> BeginWrites();

  // ---- tokens (符号管理) ----
  // A token request left the addressing server with this acquisition number.
  Status ExpectToken(std::string_view acquisition_number, std::string_view integrated_number,
                     netsim::SimTime at);
  // The core delivered the token: stores token ↔ integrated number; returns the integrated
  // number. kNotFound for an acquisition number this body never sent; kInvalidInput when the
  // token is already held for another person.
  Result<std::string> StoreToken(std::string_view acquisition_number, std::string_view token,
                                 netsim::SimTime at);
  Status FailToken(std::string_view acquisition_number, std::string_view reason);
  Result<std::optional<std::string>> TokenOf(std::string_view integrated_number);
  Result<std::optional<std::string>> PersonOfToken(std::string_view token);
  Result<int64_t> TokenCount();

  // ---- queries ----
  // The next 処理通番 for `institution`: "Q<機関コード>-<10 digits>", never reused.
  Result<std::string> NextProcessingNumber(std::string_view institution);
  // Inserts the row or updates it in place; answer items are sealed, a row without any is not.
  Status PutQuery(const QueryState& query);
  Result<std::optional<QueryState>> GetQuery(std::string_view processing_number);
  // Queries not yet done, in 処理通番 order (to resume timers after a restart).
  Result<std::vector<QueryState>> OpenQueries();
  Result<std::vector<QueryState>> BatchQueries(int64_t batch_id);
  // Deletes done queries completed before `cutoff`; returns how many.
  Result<int64_t> PurgeQueries(netsim::SimTime cutoff);

  // ---- reviews ----
  Result<int64_t> AddReview(const Review& review);  // returns the id
  Status UpdateReview(const Review& review);
  Result<std::optional<Review>> GetReview(int64_t id);
  Result<std::vector<Review>> OpenReviews();

  // ---- flags ----
  Status SetFlag(const Flag& flag);
  // kNotFound when the flag is not set.
  Status ClearFlag(std::string_view integrated_number, std::string_view tm, FlagKind kind);
  // Whether the person carries the flag for any of `tm_items` (or for every item).
  Result<bool> HasFlag(std::string_view integrated_number, const std::vector<std::string>& tm_items,
                       FlagKind kind);
  Result<std::vector<Flag>> FlagsOf(std::string_view integrated_number);

  // ---- sent answers ----
  Status PutSentAnswer(const SentAnswer& answer);
  Result<std::optional<SentAnswer>> GetSentAnswer(std::string_view permit_id);
  // Forgets answers whose permit expired before `cutoff` (a retransmission after that fails
  // the permit's expiry check anyway).
  Result<int64_t> PurgeSentAnswers(netsim::SimTime cutoff);

  // ---- sent queries (requester side) ----
  // The encoded query envelope of a query waiting for its answer, kept for retransmission
  // (identical bytes, so the provider recognises a retransmission, never a new query).
  Status PutSentQuery(std::string_view processing_number, const netsim::crypto::Bytes& envelope);
  Result<std::optional<netsim::crypto::Bytes>> GetSentQuery(std::string_view processing_number);
  Status DeleteSentQuery(std::string_view processing_number);

  // ---- batch jobs ----
  Result<int64_t> AddBatch(const BatchJob& job);
  Result<std::optional<BatchJob>> GetBatch(int64_t id);
  Status AddBatchRejection(int64_t batch_id, int line, std::string_view message);
  // (line, message) of the rejected lines, in line order.
  Result<std::vector<std::pair<int, std::string>>> BatchRejections(int64_t batch_id);

  netsim::sql::Database& db() { return db_; }

  class Impl;

 private:
  ServerState(netsim::sql::Database& db, std::unique_ptr<Impl> impl);
  netsim::sql::Database& db_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace renkei::middleware
