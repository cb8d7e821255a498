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

// The brute-force limiter's rule for one counter (auth/login_limiter.h): at most `limit` hits
// per `window`, and once more than `free_hits` are counted, each next hit at least GapAfter()
// after the last one.
struct SlotRule {
  int64_t limit = 0;
  Seconds window{0};
  Seconds backoff{0};  // 0: no spacing
  int64_t free_hits = 2;
  // 0 up to free_hits hits, then backoff, doubling with each further hit (capped at 2^20).
  Seconds GapAfter(int64_t count) const {
    if (count <= free_hits || backoff.count() <= 0) {
      return Seconds(0);
    }
    const int64_t doublings = count - free_hits - 1;
    return backoff * (int64_t{1} << (doublings < 20 ? doublings : 20));
  }
};

struct SlotAnswer {
  bool granted = false;
  RateCounter counter;  // after the grant; as found when refused
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
  // One atomic step for a limit that must hold under concurrency: if the counter at `now` has
  // fewer than rule.limit slots taken and its last *marked* hit (MarkSlot) is at least
  // rule.GapAfter(count) ago, adds one (opening a window of rule.window, with no mark yet, if
  // none is open) and grants; otherwise changes nothing. Two callers can never both take the
  // last slot. Taking does not move last_hit: a burst of attempts is bounded by the limit, the
  // spacing by the marks of attempts that failed.
  [[nodiscard]] virtual Result<SlotAnswer> TakeSlot(std::string_view key, const SlotRule& rule,
                                                    TimePoint now) = 0;
  // Marks a taken slot as used at `now` (the attempt failed): sets last_hit.
  [[nodiscard]] virtual Result<void> MarkSlot(std::string_view key, TimePoint now) = 0;
  // Gives one slot back (an attempt that turned out not to count); never below zero.
  [[nodiscard]] virtual Result<void> ReturnSlot(std::string_view key) = 0;
  // Deletes counters whose window ended before `now`.
  [[nodiscard]] virtual Result<void> PurgeCounters(TimePoint now) = 0;
};

}  // namespace sesame::store
