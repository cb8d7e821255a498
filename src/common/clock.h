#pragma once

// The one source of "now" in sesame. Production code takes a Clock& and never calls
// std::chrono::system_clock directly, so tests can move time (tests/support/test_clock.h).
// SystemClock is stateless and thread-safe; implementations must be thread-safe.

#include <chrono>
#include <cstdint>

namespace sesame {

using Seconds = std::chrono::seconds;
using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
  }
};

inline int64_t ToUnixSeconds(TimePoint t) {
  return t.time_since_epoch().count();
}
inline TimePoint FromUnixSeconds(int64_t s) {
  return TimePoint(Seconds(s));
}

}  // namespace sesame
