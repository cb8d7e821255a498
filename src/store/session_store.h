#pragma once

// SessionStore: one record per login, whatever the mode (DESIGN.md "One session, two ways to
// carry it"). The store keeps only hashes of secrets. Every state change that others must see
// (a revocation, a user's sessions revoked, a user changed) is also appended to a change feed
// in the same transaction, which lets other processes (the CLI, other nodes) invalidate their
// caches. A store that cannot answer returns kUnavailable and changes nothing. Implementations
// are thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::store {

enum class SessionMode { kSession, kJwt };
enum class Transport { kCookie, kHeader };

std::string_view SessionModeName(SessionMode mode);   // "session", "jwt"
std::string_view TransportName(Transport transport);  // "cookie", "header"
std::optional<SessionMode> ParseSessionMode(std::string_view name);
std::optional<Transport> ParseTransport(std::string_view name);

struct Session {
  std::string id;  // public ("s_" + random): safe to show and log
  std::string user_id;
  SessionMode mode = SessionMode::kSession;
  Transport transport = Transport::kCookie;
  std::string secret_hash;  // SHA-256 of the session secret, base64url; empty in jwt mode
  std::string csrf_token;   // synchronizer token for cookie transport
  TimePoint created_at;
  TimePoint last_seen_at;
  TimePoint idle_expires_at;      // last_seen_at + idle timeout; slides on use
  TimePoint absolute_expires_at;  // never moves
  std::string ip;
  std::string user_agent;
  bool remember = false;
  std::optional<TimePoint> revoked_at;
  std::string revoke_reason;  // "logout", "logout_all", "admin", "disabled", "evicted", ...

  // Refresh rotation state (jwt mode, DESIGN.md): unused in session mode.
  int64_t refresh_generation = 0;
  std::string refresh_hash;           // hash of the current refresh secret
  std::string previous_refresh_hash;  // hash of the one it replaced
  std::optional<TimePoint> rotated_at;

  bool IsRevoked() const { return revoked_at.has_value(); }
  // Live: not revoked, neither timeout passed.
  bool IsLiveAt(TimePoint now) const {
    return !IsRevoked() && now < idle_expires_at && now < absolute_expires_at;
  }
};

enum class OnLimit { kEvictOldest, kRefuse };

struct DeviceLimit {
  size_t max_per_user = 0;  // 0: no limit
  OnLimit on_limit = OnLimit::kEvictOldest;
};

// A revoked session, as the revocation set needs it at start (DESIGN.md "Revocation that
// reaches stateless tokens").
struct RevokedSession {
  std::string session_id;
  std::string user_id;
  TimePoint revoked_at;
};

// One refresh rotation (DESIGN.md "Refresh rotation"): from generation `from_generation` to the
// next, whose secret hashes to `new_hash`. The rotation is also a use of the session: it slides
// the idle expiry to `idle_expires_at`.
struct RefreshRotation {
  int64_t from_generation = 0;
  std::string new_hash;
  TimePoint now;
  TimePoint idle_expires_at;
};

struct CreateSessionOutcome {
  std::vector<std::string> evicted_session_ids;  // revoked with reason "evicted"
};

// One entry of the change feed. `seq` grows strictly.
struct Change {
  enum class Kind { kSessionRevoked, kUserSessionsRevoked, kUserChanged };
  int64_t seq = 0;
  Kind kind = Kind::kSessionRevoked;
  std::string session_id;  // kSessionRevoked
  std::string user_id;     // every kind
  TimePoint at;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Inserts `session`; first applies the device limit counting the user's live sessions
  // at `now`, all in one transaction: with kEvictOldest the oldest live sessions (by
  // created_at) are revoked to make room; with kRefuse it returns kForbidden and writes
  // nothing.
  [[nodiscard]] virtual Result<CreateSessionOutcome> CreateSession(const Session& session,
                                                                   DeviceLimit limit,
                                                                   TimePoint now) = 0;
  // Any state (revoked and expired included) until purged.
  [[nodiscard]] virtual Result<std::optional<Session>> FindSessionById(
      std::string_view session_id) = 0;
  [[nodiscard]] virtual Result<std::optional<Session>> FindSessionBySecretHash(
      std::string_view secret_hash) = 0;
  // The user's live sessions at `now`, newest first.
  [[nodiscard]] virtual Result<std::vector<Session>> ListLiveSessions(std::string_view user_id,
                                                                      TimePoint now) = 0;
  // All live sessions at `now` (for `sesame session list`), newest first, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<Session>> ListAllLiveSessions(TimePoint now,
                                                                         size_t limit) = 0;
  [[nodiscard]] virtual Result<size_t> CountLiveSessions(TimePoint now) = 0;

  // Slides the idle expiry. Never resurrects: a revoked session stays revoked, and an
  // expiry never moves backwards. Unknown ids are ignored.
  [[nodiscard]] virtual Result<void> TouchSession(std::string_view session_id,
                                                  TimePoint last_seen_at,
                                                  TimePoint idle_expires_at) = 0;

  // The compare-and-set of refresh rotation, atomic: if the session is live at rotation.now and
  // still at rotation.from_generation, then previous hash := current hash, current hash :=
  // new_hash, generation + 1, rotated_at := now, idle expiry slid; returns true. Otherwise
  // (another rotation won, revoked, expired, unknown) changes nothing and returns false. Two
  // concurrent rotations from one generation can never both succeed.
  [[nodiscard]] virtual Result<bool> RotateRefresh(std::string_view session_id,
                                                   const RefreshRotation& rotation) = 0;

  // Marks a session revoked (first revocation wins; revoking again changes nothing).
  // Returns true if this call revoked it.
  [[nodiscard]] virtual Result<bool> RevokeSession(std::string_view session_id,
                                                   std::string_view reason, TimePoint now) = 0;
  // Revokes every unrevoked session of the user; returns their ids.
  [[nodiscard]] virtual Result<std::vector<std::string>> RevokeUserSessions(
      std::string_view user_id, std::string_view reason, TimePoint now) = 0;

  // Sessions in jwt mode revoked at or after `since` (their access tokens may still be within
  // exp), oldest first.
  [[nodiscard]] virtual Result<std::vector<RevokedSession>> ListRevokedJwtSessions(
      TimePoint since) = 0;

  // Appends a kUserChanged entry (roles, disabled flag or password changed elsewhere).
  [[nodiscard]] virtual Result<void> RecordUserChanged(std::string_view user_id, TimePoint now) = 0;
  // Change feed entries with seq > after_seq, oldest first, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<Change>> ChangesSince(int64_t after_seq,
                                                                 size_t limit) = 0;
  [[nodiscard]] virtual Result<int64_t> LatestChangeSeq() = 0;

  // Deletes sessions whose absolute expiry (or revocation) is older than `before`, and
  // change feed entries older than `before`. Returns the number of sessions deleted.
  [[nodiscard]] virtual Result<size_t> PurgeSessions(TimePoint before) = 0;
};

}  // namespace sesame::store
