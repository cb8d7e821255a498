#pragma once

// Counters the domain services bump and /metrics reads. Relaxed atomics; thread-safe.

#include <atomic>
#include <cstdint>

namespace sesame::auth {

struct AuthCounters {
  std::atomic<uint64_t> logins_succeeded{0};
  std::atomic<uint64_t> logins_failed{0};
  std::atomic<uint64_t> logins_rate_limited{0};
  std::atomic<uint64_t> sessions_created{0};
  std::atomic<uint64_t> sessions_revoked{0};
  std::atomic<uint64_t> sessions_evicted{0};
  std::atomic<uint64_t> session_cache_hits{0};
  std::atomic<uint64_t> session_cache_misses{0};
  std::atomic<uint64_t> refreshes_ok{0};
  std::atomic<uint64_t> refreshes_race{0};
  std::atomic<uint64_t> refreshes_theft{0};
  // Live sessions in the store, counted off the request path (app/maintenance.h) so a /metrics
  // scrape costs no store work; -1 until the first count.
  std::atomic<int64_t> sessions_active{-1};

  static void Bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
  }
};

}  // namespace sesame::auth
