#pragma once

// The revocation feed for services that verify access JWTs themselves (GET /v1/revocations,
// followed by include/sesame/verifier.h): what was revoked after a cursor, read from the store's
// change feed, or a snapshot of everything whose tokens may still be live when the cursor cannot
// be continued. The cursor is a change sequence number (store::Change::seq).
//
// A long-poll that finds nothing after its cursor blocks in WaitBeyond() until the change feed
// moves past it, its deadline passes or the server shuts down. The feed keeps only the latest
// sequence number this node has seen; the changes themselves are always read from the store,
// which stays the one source of truth. Whoever follows the store (the server's maintenance loop,
// after SessionService::FollowChanges) reports each new sequence number with Advance(), so a
// waiter wakes at most one maintenance tick after a revocation is committed by any process that
// shares the store.
//
// Thread-safe. Read() blocks on the store and Poll()/WaitBeyond() block until their deadline:
// call them from a worker pool of their own, never from an io thread. The store and clock must
// outlive the feed.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/session_store.h"

namespace sesame::auth {

// Every access token of the user issued before `not_before` (whole seconds) is dead.
struct RevokedUser {
  std::string user_id;
  TimePoint not_before;
};

struct RevocationPage {
  // Where the next request continues (the last change this page covers).
  int64_t cursor = 0;
  // A snapshot replaces everything the follower holds; otherwise the page adds to it.
  bool snapshot = false;
  // Sessions whose every access token is dead. An increment may name session-mode sessions too
  // (their ids never appear in a token, so they change nothing).
  std::vector<store::RevokedSession> sessions;
  std::vector<RevokedUser> users;
};

class RevocationFeed {
 public:
  static constexpr size_t kPageSize = 1000;  // changes per incremental page, at most

  // `horizon`: the longest an access token lives (its TTL plus the clock leeway). Entries older
  // than this are left out, and a follower may forget an entry this long after it was made.
  RevocationFeed(store::SessionStore& sessions, const Clock& clock, Seconds horizon)
      : sessions_(sessions), clock_(clock), horizon_(horizon) {}
  RevocationFeed(const RevocationFeed&) = delete;
  RevocationFeed& operator=(const RevocationFeed&) = delete;

  // What changed after `since`, without waiting. A snapshot (every jwt-mode session revoked
  // within the horizon, cursor = the latest sequence number read before it, so nothing falls
  // between a snapshot and the increments after it) when `since` is absent, when it is 0 and the
  // feed is not empty, when it is beyond the latest sequence number (a cursor from another
  // deployment), or when the store no longer holds the change right after it (purged).
  // Otherwise up to kPageSize changes: a session revocation names the session; a "revoke all
  // sessions of a user" names the user (not_before = its time) and the user's jwt-mode sessions
  // revoked at or after it (tokens issued within that same second); any other change only moves
  // the cursor. kUnavailable when the store is down.
  [[nodiscard]] Result<RevocationPage> Read(std::optional<int64_t> since, size_t limit = kPageSize);

  // Read(), but when it finds nothing after `since`, waits (WaitBeyond) until `deadline` for a
  // change and reads once more. On a timeout or after Stop(): an empty page at `since`.
  [[nodiscard]] Result<RevocationPage> Poll(std::optional<int64_t> since,
                                            std::chrono::steady_clock::time_point deadline);

  // The store's change feed reached `latest_seq`. Wakes every waiter when it grew; a smaller or
  // equal value changes nothing (the sequence never goes back).
  void Advance(int64_t latest_seq);

  // Blocks until the latest sequence number reported by Advance() is beyond `since`, `deadline`
  // passes or Stop() is called, whichever comes first. Returns whether it is beyond `since`.
  bool WaitBeyond(int64_t since, std::chrono::steady_clock::time_point deadline);

  // Wakes every waiter now and makes every later wait return at once: for shutdown, so that a
  // held request never delays the exit. Cannot be undone.
  void Stop();

  // The latest sequence number reported by Advance(), -1 before the first.
  int64_t latest() const;
  bool is_stopped() const;
  Seconds horizon() const { return horizon_; }

 private:
  Result<RevocationPage> Snapshot(int64_t latest);

  store::SessionStore& sessions_;
  const Clock& clock_;
  const Seconds horizon_;
  mutable std::mutex mu_;
  std::condition_variable moved_;
  int64_t latest_ = -1;   // guarded by mu_
  bool stopped_ = false;  // guarded by mu_
};

}  // namespace sesame::auth
