// What several world tests register: one vaccination replica per person, the same third dose.
#pragma once

#include <string>
#include <utility>

#include "middleware/replica_store.h"

namespace renkei::scenarios::testing {

// A third-dose vaccination record (TM00160200000001) of the person `integrated_number` at the
// body whose ward is `ward_code`, published from 2023-04-01.
inline middleware::ReplicaRecord DoseThreeRecord(std::string record_id,
                                                 std::string integrated_number,
                                                 std::string ward_code) {
  middleware::ReplicaRecord rec;
  rec.record_id = std::move(record_id);
  rec.integrated_number = std::move(integrated_number);
  rec.tm = "TM00160200000001";
  rec.dataset_item_code = "VACC-RECORD";
  rec.record_key = "dose-3";
  rec.data_version = 1;
  rec.publish_from = "2023-04-01";
  rec.ward_code = std::move(ward_code);
  rec.payload = R"({"dose":3,"date":"2023-10-12","maker":"ファイザー","lot":"HK1234"})";
  return rec;
}

}  // namespace renkei::scenarios::testing
