// ReplicaStore: one body's replicas (副本), the data its business systems have registered as
// providable, in the body's own SQLite file (WAL), with every payload encrypted at rest.
//
// The intermediate server answers information-provision requests from these rows; the 正本
// stays in the business system. A record is keyed by its レコード識別番号 and found by
// (統合宛名番号, 特定個人情報名コード, date): Lookup returns the rows whose publication window
// contains the date, latest data version first. The store never holds a 個人番号: the person
// column accepts only a 15-digit 団体内統合宛名番号, so a 12-digit value is refused.
//
// Keys (issue 4 item 8). Each payload is sealed with AES-256-GCM under the body's current
// *data key*; data keys live in the file only *wrapped* (AES-256-GCM) by the *master key*
// given to Open, so the file alone opens nothing. RotateDataKey adds a new data key (key id + 1)
// that new records use; each row keeps the id of the key that sealed it, so old rows stay
// readable. Rewrap re-wraps every data key under a new master key without touching payloads.
//  - Nonces are deterministic: key id (4 bytes, big-endian) ‖ a per-key counter (8 bytes), so
//    a run with a fixed key seed writes the same file. Counters are *reserved* before use: a
//    write first commits "counters below N may be used" in its own transaction (a batch
//    reserves its size, single registrations 4,096 at a time), and Open starts at the stored
//    reservation. A process killed mid-batch, whose uncommitted ciphertexts may already sit in
//    the WAL, therefore only skips counter values; no nonce ever repeats under a key.
//  - The associated data is record_id ‖ 0x1F ‖ integrated_number ‖ 0x1F ‖ tm, so a payload
//    copied into another row does not open there (Lookup reports kCrypto naming the record).
//
// Errors are middleware::Errc values whose messages name the field (or the CSV line) and never
// carry payload bytes. Every write is one transaction: a refused record leaves nothing behind.
//
// Thread safety: a ReplicaStore owns one SQLite connection and cipher contexts; it is not
// thread-safe. Use one per thread (each opening the same file) or serialise calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netsim/result.h"
#include "netsim/sqlite.h"

namespace renkei::middleware {

// One replica row as registered and as returned (payload in clear).
struct ReplicaRecord {
  std::string record_id;  // レコード識別番号: 1-64 of [0-9A-Za-z_-], unique in the store
  std::string integrated_number;  // 団体内統合宛名番号: 15 digits (never a 12-digit 個人番号)
  std::string tm;                 // 特定個人情報名コード: "TM" + 14 digits
  std::string dataset_item_code;  // データセット項目コード: 1-64 printable ASCII, no spaces
  std::string record_key;         // レコードキー: 1-256 bytes, no control characters
  int64_t data_version = 0;       // データ項目バージョン: >= 0; higher is newer
  // 公開開始日 / 公開終了日, "YYYY-MM-DD", both inclusive. An empty publish_to means the
  // window is open-ended (no end date has been set yet); otherwise publish_from <= publish_to.
  std::string publish_from;
  std::string publish_to;
  std::string ward_code;  // 6-digit 地方公共団体コード (check digit) in the body's prefecture
  std::string payload;  // the provided data: UTF-8 text or JSON, at most 1 MiB

  friend bool operator==(const ReplicaRecord&, const ReplicaRecord&) = default;
};

struct ReplicaStoreOptions {
  // The body's 地方公共団体コード; fixed at creation (a reopen with another code is refused).
  std::string lgcode;
  // 32 bytes. Wraps the data keys; a different master at a reopen is kCrypto.
  std::vector<uint8_t> master_key;
  // Empty: data keys come from OpenSSL's CSPRNG (production). Otherwise (>= 32 bytes) data key
  // n is HMAC-SHA-256(key_seed, "renkei/replica/data-key/" + lgcode + "/" + n), so a simulation
  // with a fixed seed writes byte-identical files.
  std::vector<uint8_t> key_seed;
  netsim::sql::OpenOptions storage;  // how the database file is opened
};

struct ImportRejection {
  size_t line = 0;  // 1-based physical line where the row starts (the header is line 1)
  std::string reason;
};

struct ImportSummary {
  size_t accepted = 0;
  size_t rejected = 0;
  std::vector<ImportRejection> rejections;  // in line order
};

// The checks a record passes before it is stored, but for its integrated_number: for a file
// that names people by a business system's 宛名番号 until the addressing server relays them.
// kInvalidInput "<field>: <rule>".
Status ValidateReplicaFields(const ReplicaRecord& record, std::string_view body_lgcode);

class ReplicaStore {
 public:
  // Opens (creating when missing) the store at `path` (":memory:" for tests). A new file gets
  // data key 1. kInvalidInput for a bad lgcode or master key size; kCrypto when the master key
  // does not unwrap the stored data keys; kStorage when SQLite fails.
  static Result<std::unique_ptr<ReplicaStore>> Open(const std::string& path,
                                                    const ReplicaStoreOptions& options);
  ~ReplicaStore();
  ReplicaStore(const ReplicaStore&) = delete;
  ReplicaStore& operator=(const ReplicaStore&) = delete;

  // Validates and stores one record. kDuplicate 「「レコード識別番号」が既に存在しています。」
  // (followed by the id) when the id exists; kInvalidInput naming the field otherwise.
  Status Register(const ReplicaRecord& record);

  // The records of (integrated_number, tm) whose window contains `date` ("YYYY-MM-DD"),
  // ordered by data_version descending, then record_id. Empty when none. kInvalidInput for a
  // malformed argument; kCrypto naming the record when a payload fails to open (tampering).
  Result<std::vector<ReplicaRecord>> Lookup(std::string_view integrated_number, std::string_view tm,
                                            std::string_view date);

  // Every record of one person whose window contains `date`, ordered by TM, then as Lookup
  // (the citizen's own-data view).
  Result<std::vector<ReplicaRecord>> LookupPerson(std::string_view integrated_number,
                                                  std::string_view date);

  // Deletes one record; kNotFound when there is none.
  Status Remove(std::string_view record_id);

  // Creates the next data key (id = current + 1) and makes it current. Returns the new id.
  Result<uint32_t> RotateDataKey();
  // Re-wraps every data key under `new_master` (32 bytes) in one transaction; afterwards only
  // `new_master` opens the store.
  Status Rewrap(const std::vector<uint8_t>& new_master);
  uint32_t current_key_id() const;

  // Bulk import. The first row is a header naming exactly these columns in this order:
  //   record_id,integrated_number,tm,dataset_item_code,record_key,data_version,
  //   publish_from,publish_to,ward_code,payload
  // RFC 4180 as netsim::CsvReader reads it: fields separated by commas, optionally in double
  // quotes; inside quotes a doubled quote is a quote and commas and line breaks are data. Lines
  // end in LF or CRLF; empty lines and a leading byte-order mark are skipped. Each bad row
  // (column count, quoting, any field rule, a duplicate id in the store or earlier in the same
  // file) is rejected with the line it starts on; good rows are stored, `batch_size` rows per
  // transaction. A bad header, a zero batch size or a storage failure is an error for the whole
  // call (batches already committed stay).
  Result<ImportSummary> ImportCsv(std::istream& in, std::string_view source_name,
                                  size_t batch_size = 50000);

  // Number of stored records.
  Result<int64_t> Count();

  class Impl;

 private:
  explicit ReplicaStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace renkei::middleware
