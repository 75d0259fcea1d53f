#include "netsim/time.h"

#include <gtest/gtest.h>

namespace renkei::netsim {
namespace {

TEST(TimeTest, DurationsConvertExactly) {
  EXPECT_EQ(Duration::Millis(3).micros(), 3000);
  EXPECT_EQ(Duration::Days(1).micros(), 86400LL * 1000000);
  EXPECT_EQ((Duration::Seconds(2) - Duration::Millis(500)).micros(), 1500000);
}

TEST(TimeTest, SimTimeArithmeticAndOrdering) {
  const SimTime a = SimTime::FromMicros(100);
  const SimTime b = a + Duration::Micros(50);
  EXPECT_LT(a, b);
  EXPECT_EQ((b - a).micros(), 50);
  EXPECT_EQ(b - Duration::Micros(50), a);
}

TEST(TimeTest, EpochIsTwoThousandJanuaryFirst) {
  EXPECT_EQ(FormatIso(SimTime()), "2000-01-01T00:00:00.000000");
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1999, 12, 31), -1);
}

TEST(TimeTest, CivilRoundTripAcrossLeapDays) {
  for (const CivilTime c :
       {CivilTime{2024, 2, 29, 23, 59, 59, 999999}, CivilTime{1970, 1, 1, 0, 0, 0, 0},
        CivilTime{2100, 3, 1, 12, 0, 0, 1}, CivilTime{1926, 12, 25, 0, 0, 0, 0}}) {
    const CivilTime back = ToCivil(FromCivil(c));
    EXPECT_EQ(back.year, c.year);
    EXPECT_EQ(back.month, c.month);
    EXPECT_EQ(back.day, c.day);
    EXPECT_EQ(back.hour, c.hour);
    EXPECT_EQ(back.micros, c.micros);
  }
}

TEST(TimeTest, FormatsBatchFileDates) { EXPECT_EQ(FormatYmd(FromCivil({2023, 6, 8})), "20230608"); }

TEST(TimeTest, ValidatesCalendarDates) {
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(2023, 13, 1));
  EXPECT_FALSE(IsValidDate(2023, 0, 1));
}

TEST(TimeTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(SimTime::FromMicros(10));
  EXPECT_EQ(clock.Now().micros(), 10);
  clock.Advance(Duration::Seconds(1));
  EXPECT_EQ(clock.Now().micros(), 1000010);
}

}  // namespace
}  // namespace renkei::netsim
