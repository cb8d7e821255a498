#pragma once

// The in-process cache of hot sessions, keyed by the SHA-256 of the session secret (the
// secret itself is never kept). It lets a request be verified without going to the store.
//
// Strict invalidation: a revoked session must never be served from here, by any thread.
// Revokers first commit the revocation to the store, then call Invalidate*(), which bumps an
// epoch before erasing. A filler reads the epoch before its store read (BeginFill) and
// inserts only if no invalidation happened since (Insert checks under the shard lock), so a
// store read that raced with a revocation can never put the stale record back.
//
// Thread-safe. Entries are immutable snapshots (shared_ptr<const CachedSession>) plus two
// atomics for the sliding idle timeout.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/session_store.h"

namespace sesame::auth {

using SecretHash = std::array<uint8_t, 32>;

// SHA-256 of a session (or refresh) secret; its base64url form is what the store keeps.
SecretHash HashSecret(std::string_view secret);
std::string SecretHashText(const SecretHash& hash);

// What a request needs to know about its session and user. Immutable.
struct CachedSession {
  std::string session_id;
  std::string user_id;
  std::string username;
  std::vector<std::string> roles;
  std::string roles_joined;  // "a,b": the X-Sesame-Roles value
  store::SessionMode mode = store::SessionMode::kSession;
  store::Transport transport = store::Transport::kCookie;
  std::string csrf_token;
  TimePoint created_at;
  TimePoint absolute_expires_at;
  Seconds idle_timeout{0};

  bool HasRole(std::string_view role) const;
};

class SessionCache {
 public:
  struct Entry {
    std::shared_ptr<const CachedSession> session;
    std::atomic<int64_t> last_seen{0};     // unix seconds, updated on every use
    std::atomic<int64_t> last_written{0};  // last_seen as last written to the store
    int64_t loaded_at = 0;                 // unix seconds
  };
  using EntryPtr = std::shared_ptr<Entry>;

  explicit SessionCache(size_t max_entries = 1 << 20) : max_entries_(max_entries) {}

  EntryPtr Find(const SecretHash& key) const;

  // Token for a fill: read before the store read, pass to Insert.
  uint64_t BeginFill() const { return epoch_.load(std::memory_order_acquire); }
  // Inserts unless an invalidation happened since `fill_epoch`. Returns the cached entry
  // (or a detached one when not inserted).
  EntryPtr Insert(const SecretHash& key, std::shared_ptr<const CachedSession> session,
                  int64_t last_seen, int64_t last_written, int64_t now, uint64_t fill_epoch);

  // O(1): the caller knows the session's secret hash (the store record has it).
  void Invalidate(const SecretHash& key);
  // Scans every entry: for rare events (a user's roles or disabled flag changed).
  void InvalidateUser(std::string_view user_id);
  void Clear();
  size_t size() const;

  // Secrets that can never become valid again (unknown: secrets are 256 random bits minted by
  // the server; revoked or expired: both are permanent) are remembered with their error, so
  // garbage or dead tokens do not cost a store read each. Kept apart from live entries, with
  // their own bound, so a flood of garbage cannot push hot sessions out.
  void InsertDead(const SecretHash& key, ErrorCode code);
  std::optional<ErrorCode> FindDead(const SecretHash& key) const;

 private:
  struct KeyHash {
    size_t operator()(const SecretHash& k) const;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<SecretHash, EntryPtr, KeyHash> entries;  // guarded by mu
    std::unordered_map<SecretHash, ErrorCode, KeyHash> dead;    // guarded by mu
  };
  static constexpr size_t kMaxDeadPerShard = 4096;
  static constexpr size_t kShards = 16;

  Shard& ShardFor(const SecretHash& key) { return shards_[key[0] % kShards]; }
  const Shard& ShardFor(const SecretHash& key) const { return shards_[key[0] % kShards]; }
  template <typename Pred>
  void EraseIf(Pred pred);

  const size_t max_entries_;
  std::atomic<uint64_t> epoch_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace sesame::auth
