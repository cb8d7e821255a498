#include "http/scrape_pacer.h"

#include <chrono>

#include <gtest/gtest.h>

namespace sesame::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(ScrapePacer, TheFirstGoesAtOnceAndEachNextWaitsForTheInterval) {
  ScrapePacer pacer(milliseconds(30));
  const auto start = steady_clock::now();
  pacer.Pace();
  pacer.Pace();
  pacer.Pace();
  // Three slots: at 0, 30 and 60 ms after the first (sleep_until never wakes early).
  EXPECT_GE(steady_clock::now() - start, milliseconds(60));
}

}  // namespace
}  // namespace sesame::http
