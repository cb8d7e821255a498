#pragma once

// Revocation that reaches stateless tokens (DESIGN.md): an access JWT is checked by signature
// and claims alone, so a revoked session's tokens would live until `exp`. Every node keeps this
// in-memory set of what was revoked:
// - session id → the revocation time: every token of the session is dead;
// - user id → not-before: every token of the user issued before it is dead.
// An entry is dropped once every token it covers has expired (`horizon` after it was made: the
// longest an access token lives, leeway included). The check is two hash lookups under a
// shard lock, no store round trip; with nothing revoked it is one atomic load.
//
// RevocationBus is the seam revocations travel through. SessionService publishes every
// revocation it commits to the store; on one node the bus is this set itself (Publish applies
// at once, so a revocation is effective on this node when the call that made it returns). A
// multi-node bus publishes to the other nodes too and applies what they publish here; a node
// rebuilds its set from the store at start (SessionService::RebuildRevocations) so a restart
// resurrects nothing.
//
// Thread-safe.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace sesame::auth {

struct Revocation {
  // kSession: every token of the session is dead. kUser: every token of the user issued before
  // `at`'s second is dead (its sessions were revoked). kUserClaims: the user's roles, password
  // or second factors changed at `at`, so every token issued up to and including that second
  // carries stale claims: it fails as expired and the client refreshes (API.md "Changes to an
  // account reach every credential"). The second itself is included because a token issued
  // earlier within it cannot be told apart by `iat`; a token issued later within it is
  // refreshed once more.
  enum class Kind { kSession, kUser, kUserClaims };
  Kind kind = Kind::kSession;
  std::string id;  // a session id (kSession) or a user id
  TimePoint at;
};

// What the revocation set says of one access token.
enum class TokenStanding { kLive, kRevoked, kStale };

class RevocationBus {
 public:
  virtual ~RevocationBus() = default;
  // Called after the revocation is committed to the store. Returns once it is effective on
  // this node.
  virtual void Publish(const Revocation& revocation) = 0;
};

class RevocationSet final : public RevocationBus {
 public:
  explicit RevocationSet(Seconds horizon) : horizon_(horizon) {}

  void Publish(const Revocation& revocation) override;

  // Hot path: whether an access token of this session and user, issued at `issued_at` (unix
  // seconds), is revoked.
  TokenStanding Standing(std::string_view session_id, std::string_view user_id,
                         int64_t issued_at) const;
  bool IsRevoked(std::string_view session_id, std::string_view user_id, int64_t issued_at) const {
    return Standing(session_id, user_id, issued_at) == TokenStanding::kRevoked;
  }

  // Drops entries whose tokens have all expired at `now`.
  void Prune(TimePoint now);
  size_t size() const { return count_.load(std::memory_order_acquire); }
  Seconds horizon() const { return horizon_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct UserCutoff {
    int64_t not_before = 0;     // tokens issued before: revoked
    int64_t stale_through = 0;  // tokens issued up to and including: stale
    int64_t until = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> sessions;  // id → until
    std::unordered_map<std::string, UserCutoff, Hash, std::equal_to<>> users;
  };
  static constexpr size_t kShards = 16;
  const Shard& ShardFor(std::string_view id) const { return shards_[Hash()(id) % kShards]; }
  Shard& ShardFor(std::string_view id) { return shards_[Hash()(id) % kShards]; }

  const Seconds horizon_;
  std::atomic<size_t> count_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace sesame::auth
