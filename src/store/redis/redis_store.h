#pragma once

// Redis backend for SessionStore and RateStore (store.sessions = "redis://..."), for several
// sesame nodes sharing one Redis. Same semantics as the SQLite store (the conformance suite
// runs on both); every record carries a Redis expiry matching its lifetime.
//
// Key layout (docs/scaling.md), Redis Cluster ready: everything one user's device limit,
// revocation and refresh rotation touch shares the hash tag {u:<user id>}, so each of those
// scripts runs in one slot atomically:
//   <p>{u:U}:s:<sid>     hash   the session record (times as unix seconds)
//   <p>{u:U}:sessions    zset   the user's session ids by creation order (device list, limit)
//   <p>{u:U}:n           string creation counter (orders sessions created in one second)
// Lookups by id or secret hash, which do not know the user, go through small index keys:
//   <p>sid:<sid>         string user id
//   <p>sh:<secret hash>  string "<user id> <sid>"
//   <p>live              zset   "<uid> <sid>" by min(idle, absolute) expiry, unrevoked only
//   <p>expiry            zset   "<uid> <sid>" by absolute expiry or revocation (purge)
// The change feed shares the tag {feed}: a counter, a stream of entries with id <seq>-0, and
// the revoked jwt sessions by time; every append also PUBLISHes the new seq on <p>changes,
// which other nodes follow (RedisSubscriber) to apply revocations within milliseconds.
//   <p>rate:<key>        hash   one rate counter, expiring with its window
//
// Cross-slot steps (an index, the feed) are separate commands issued right after the one-slot
// script commits, in an order where a failure in between can only refuse, never admit: the
// indexes are written before the session (a dangling index finds nothing), and a revocation's
// feed entry follows the revocation itself (the session is revoked in the store whatever
// happens to the feed; the feed only carries it to stateless checks on other nodes).
//
// Needs Redis 7.0 or later (EXPIRE with GT/LT). Thread-safe.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/rate_store.h"
#include "store/redis/redis_client.h"
#include "store/session_store.h"

namespace sesame::store {

struct RedisOptions {
  size_t pool_size = 8;
  std::string key_prefix = "sesame:";  // letters, digits and : _ - . only
  // How long a session record stays after its absolute expiry or revocation (late requests
  // read session_revoked rather than invalid_token; PurgeSessions may delete sooner).
  Seconds retention{86400};
};

class RedisStore final : public SessionStore, public RateStore {
 public:
  // Connects once to check the URL and the server (kInvalidConfig, kUnavailable).
  [[nodiscard]] static Result<std::unique_ptr<RedisStore>> Open(std::string_view url,
                                                                RedisOptions options);
  ~RedisStore() override;

  const RedisEndpoint& endpoint() const { return client_.endpoint(); }
  // The pub/sub channel that carries change feed sequence numbers.
  const std::string& channel() const { return channel_; }
  [[nodiscard]] Result<void> Ping();
  // Bytes Redis uses for one session record and its index entries (MEMORY USAGE), for the
  // capacity numbers in docs/scaling.md.
  [[nodiscard]] Result<size_t> SessionMemoryUsage(std::string_view session_id);

  // SessionStore.
  [[nodiscard]] Result<CreateSessionOutcome> CreateSession(const Session& session,
                                                           DeviceLimit limit,
                                                           TimePoint now) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionById(
      std::string_view session_id) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionBySecretHash(
      std::string_view secret_hash) override;
  [[nodiscard]] Result<std::vector<Session>> ListLiveSessions(std::string_view user_id,
                                                              TimePoint now) override;
  [[nodiscard]] Result<std::vector<Session>> ListAllLiveSessions(TimePoint now,
                                                                 size_t limit) override;
  [[nodiscard]] Result<size_t> CountLiveSessions(TimePoint now) override;
  [[nodiscard]] Result<void> TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                          TimePoint idle_expires_at) override;
  [[nodiscard]] Result<bool> RotateRefresh(std::string_view session_id,
                                           const RefreshRotation& rotation) override;
  [[nodiscard]] Result<bool> RevokeSession(std::string_view session_id, std::string_view reason,
                                           TimePoint now) override;
  [[nodiscard]] Result<std::vector<std::string>> RevokeUserSessions(std::string_view user_id,
                                                                    std::string_view reason,
                                                                    TimePoint now) override;
  [[nodiscard]] Result<std::vector<RevokedSession>> ListRevokedJwtSessions(
      TimePoint since) override;
  [[nodiscard]] Result<void> RecordUserChanged(std::string_view user_id, TimePoint now) override;
  [[nodiscard]] Result<std::vector<Change>> ChangesSince(int64_t after_seq, size_t limit) override;
  [[nodiscard]] Result<int64_t> LatestChangeSeq() override;
  [[nodiscard]] Result<size_t> PurgeSessions(TimePoint before) override;

  // RateStore.
  [[nodiscard]] Result<RateCounter> GetCounter(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<RateCounter> Hit(std::string_view key, Seconds window,
                                        TimePoint now) override;
  [[nodiscard]] Result<void> ClearCounter(std::string_view key) override;
  [[nodiscard]] Result<SlotAnswer> TakeSlot(std::string_view key, const SlotRule& rule,
                                            TimePoint now) override;
  [[nodiscard]] Result<void> MarkSlot(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<void> ReturnSlot(std::string_view key) override;
  [[nodiscard]] Result<void> PurgeCounters(TimePoint now) override;

  // One feed entry to append (kind 'S' session revoked, 'U' user's sessions revoked, 'C' user
  // changed, 'J' a revoked jwt session recorded for ListRevokedJwtSessions only).
  struct FeedEntry {
    char kind;
    std::string session_id;
    std::string user_id;
    int64_t at;
    bool jwt;
  };

 private:
  RedisStore(RedisEndpoint endpoint, RedisOptions options);

  std::string UserTag(std::string_view user_id) const;
  std::string SessionKey(std::string_view user_id, std::string_view session_id) const;
  Result<std::optional<std::string>> UserOfSession(std::string_view session_id);
  Result<std::optional<Session>> LoadSession(std::string_view user_id, std::string_view session_id);
  Result<void> AppendFeed(const std::vector<FeedEntry>& entries);
  // After a use (touch, rotation): the live index's score moves forward to min(idle, absolute).
  Result<void> SlideLive(std::string_view user_id, std::string_view session_id, int64_t score);
  // After a revocation committed: drop it from the live index, bring its purge time forward.
  Result<void> IndexRevoked(const std::vector<std::pair<std::string, std::string>>& user_sessions,
                            int64_t at);

  const RedisOptions options_;
  const std::string prefix_;
  const std::string channel_;
  RedisClient client_;
};

}  // namespace sesame::store
