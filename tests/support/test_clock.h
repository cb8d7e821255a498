#pragma once

// A Clock that tests set and move by hand. Thread-safe.

#include <atomic>

#include "common/clock.h"

namespace sesame::testing {

class TestClock final : public Clock {
 public:
  explicit TestClock(int64_t unix_seconds = 1'800'000'000) : now_(unix_seconds) {}
  TimePoint Now() const override { return FromUnixSeconds(now_.load()); }
  void Set(int64_t unix_seconds) { now_.store(unix_seconds); }
  void Advance(Seconds by) { now_.fetch_add(by.count()); }
  int64_t unix_seconds() const { return now_.load(); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace sesame::testing
