#include "scenarios/leak_scan.h"

#include <gtest/gtest.h>

#include <string>

#include "cli_test_support.h"

namespace renkei::scenarios {
namespace {

using LeakScanTest = testing::ScratchDir;

constexpr std::string_view kNumber = "123456789018";

TEST_F(LeakScanTest, CleanFilesFindNothing) {
  Write("a.txt", "12345678901 and 23456789012 are not it");
  Write("sub/b.json", R"({"n":"12345678901"})");
  EXPECT_EQ(FindMyNumberIn(dir_.string(), {kNumber}), std::nullopt);
}

TEST_F(LeakScanTest, FindsANumberInANestedFileAndNamesTheFileOnly) {
  Write("a.txt", "nothing here");
  Write("data/152021/log.db", "header\x01" + std::string(kNumber) + "\x02tail");
  const auto found = FindMyNumberIn(dir_.string(), {kNumber});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, "data/152021/log.db");
}

TEST_F(LeakScanTest, FindsANumberInsideALongerRunOfDigits) {
  Write("a.txt", "99" + std::string(kNumber) + "77");
  EXPECT_TRUE(FindMyNumberIn(dir_.string(), {kNumber}).has_value());
}

TEST_F(LeakScanTest, FindsANumberAcrossTheBoundaryOfTheReadChunks) {
  // The scan reads 1 MiB at a time: put the number's first digits at the end of the first
  // chunk and the rest in the second, at every split.
  constexpr size_t kChunk = size_t{1} << 20;
  for (size_t split = 1; split < kNumber.size(); ++split) {
    Write("big.bin", std::string(kChunk - split, 'x') + std::string(kNumber) + "x");
    EXPECT_TRUE(FindMyNumberIn(dir_.string(), {kNumber}).has_value()) << split;
  }
  Write("big.bin", std::string(kChunk - 6, 'x') + std::string(kNumber.substr(0, 11)) + "x");
  EXPECT_FALSE(FindMyNumberIn(dir_.string(), {kNumber}).has_value());
}

TEST_F(LeakScanTest, AMissingDirectoryFindsNothing) {
  EXPECT_EQ(FindMyNumberIn((dir_ / "absent").string(), {kNumber}), std::nullopt);
}

}  // namespace
}  // namespace renkei::scenarios
