#pragma once

// Follows sesame's revocation feed (GET /v1/revocations) for the embeddable verifier: Start()
// fetches a snapshot synchronously, then a thread of its own long-polls with the cursor,
// applying snapshots (replace) and increments (add) to a RevocationList, pruning what has
// expired, and reconnecting with a jittered exponential backoff (1 s to 30 s) after a failure.
// While the feed answers, a revocation reaches Check() one feed round trip after sesame saw it;
// once no answer has come for longer than max_staleness, Check() says kStale (fail closed).
//
// Thread-safe. Check() never blocks on the network. The destructor cancels a fetch in progress
// and joins the thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "verifier/jwks_fetch.h"
#include "verifier/revocation_list.h"

namespace sesame::verifier {

// Fetches one feed answer. `query` is the query string to append ("since=12&wait=25", or
// "wait=0" for the first snapshot); `wait` is the hold asked of the server, which the fetch's
// timeout must allow for; `canceller` ends the fetch early on shutdown.
using FeedFetch = std::function<Result<std::string>(
    const std::string& query, std::chrono::seconds wait, FetchCanceller& canceller)>;

struct FollowerOptions {
  std::chrono::seconds wait{25};            // 0..30
  std::chrono::seconds max_staleness{300};  // 0: never stale
  // Clocks; null: the real ones. Tests move them. steady_now measures staleness only: pauses
  // between requests always take real time.
  std::function<std::chrono::steady_clock::time_point()> steady_now;
  std::function<int64_t()> unix_now;
};

class RevocationFollower {
 public:
  enum class Verdict { kLive, kRevoked, kStale };

  RevocationFollower(FeedFetch fetch, FollowerOptions options);
  ~RevocationFollower();
  RevocationFollower(const RevocationFollower&) = delete;
  RevocationFollower& operator=(const RevocationFollower&) = delete;

  // The first snapshot, then the thread. Errors: whatever the fetch or the parse said
  // (kUnavailable when sesame is unreachable or refuses the credentials, kInvalidRequest for an
  // answer that is not the feed's). Call once.
  [[nodiscard]] Result<void> Start();

  // The verify path: revoked wins over stale.
  Verdict Check(std::string_view session_id, std::string_view user_id, int64_t issued_at) const;

  uint64_t answers() const { return answers_.load(std::memory_order_relaxed); }
  size_t entries() const { return list_.size(); }
  int64_t cursor() const { return cursor_.load(std::memory_order_relaxed); }
  // Seconds since the last answer (for monitoring).
  int64_t seconds_since_answer() const;
  std::string last_error() const;

 private:
  std::chrono::steady_clock::time_point SteadyNow() const;
  int64_t UnixNow() const;
  Result<FeedAnswer> FetchOnce(std::chrono::seconds wait);
  void Loop();
  // Waits until `deadline` (real steady time) or the destructor; false when stopping.
  bool Pause(std::chrono::steady_clock::time_point deadline);

  const FeedFetch fetch_;
  const FollowerOptions options_;
  RevocationList list_;
  FetchCanceller canceller_;
  std::atomic<int64_t> cursor_{0};
  std::atomic<bool> has_cursor_{false};
  std::atomic<int64_t> last_answer_ns_{0};  // steady clock, since its epoch
  std::atomic<uint64_t> answers_{0};
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;   // guarded by mu_
  std::string last_error_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sesame::verifier
