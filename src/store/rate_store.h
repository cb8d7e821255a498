#pragma once

// RateStore: counters for brute-force limits, kept in the store so that every process (and
// later every node) sees the same counts. A counter lives in a fixed window that starts at
// its first hit and ends `window` later; after that it reads as zero. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::store {

struct RateCounter {
  int64_t count = 0;
  TimePoint window_start;  // first hit of the current window
  TimePoint window_end;    // when the count falls back to zero
  TimePoint last_hit;
};

class RateStore {
 public:
  virtual ~RateStore() = default;

  // The counter at `now` (count 0 if absent or its window has passed).
  [[nodiscard]] virtual Result<RateCounter> GetCounter(std::string_view key, TimePoint now) = 0;
  // Atomically adds one and returns the new state; opens a new window of length `window`
  // if there is none at `now`.
  [[nodiscard]] virtual Result<RateCounter> Hit(std::string_view key, Seconds window,
                                                TimePoint now) = 0;
  [[nodiscard]] virtual Result<void> ClearCounter(std::string_view key) = 0;
  // Deletes counters whose window ended before `now`.
  [[nodiscard]] virtual Result<void> PurgeCounters(TimePoint now) = 0;
};

}  // namespace sesame::store
