#pragma once

// Refresh token rotation (API.md POST /v1/auth/refresh; DESIGN.md "Refresh rotation as a small
// state machine"). A presented refresh token of generation g, for a session now at generation G:
// - g == G: rotate to G + 1 with one compare-and-set in the store → outcome ok. Of two
//   concurrent rotations one wins; the loser looks again and is the next case;
// - g == G - 1 and the rotation to G happened within the grace window: a concurrent retry (two
//   tabs, a lost response) → outcome race, answered with the same successor (generation G,
//   recomputed, see session_secrets.h), nothing rotated or revoked: no second live branch;
// - g < G otherwise: a spent token came back → outcome theft: the session (the token family)
//   is revoked, which kills its refresh token and every access JWT it was given;
// - not a token this server minted: kInvalidToken, nothing revoked.
// Every outcome is counted and audited ("refresh", detail ok/race/theft). The session's
// absolute expiry caps everything and never moves; a rotation slides the idle expiry.
//
// Blocking (store): call it from a worker. Thread-safe; collaborators must outlive it.

#include <optional>
#include <string>
#include <string_view>

#include "auth/audit_trail.h"
#include "auth/auth_counters.h"
#include "auth/session_secrets.h"
#include "auth/session_service.h"
#include "common/clock.h"
#include "common/result.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::auth {

enum class RefreshOutcome { kOk, kRace, kTheft };
std::string_view RefreshOutcomeName(RefreshOutcome outcome);  // "ok", "race", "theft"

struct RefreshPolicy {
  Seconds refresh_ttl{14 * 24 * 3600};  // a refresh token's own lifetime
  Seconds grace{30};
};

struct Refreshed {
  RefreshOutcome outcome = RefreshOutcome::kOk;
  store::Session session;  // as it is after this refresh
  store::User user;
  std::string refresh_token;  // the successor; never logged
  TimePoint refresh_expires_at;
};

class RefreshService {
 public:
  RefreshService(store::SessionStore& sessions, store::UserStore& users,
                 SessionService& session_service, const SessionSecrets& secrets, AuditTrail& audit,
                 const Clock& clock, RefreshPolicy policy, AuthCounters& counters);

  const RefreshPolicy& policy() const { return policy_; }

  // kInvalidToken, kSessionRevoked, kSessionExpired, kRefreshTokenReused (the session is now
  // revoked), kUnavailable.
  [[nodiscard]] Result<Refreshed> Refresh(std::string_view refresh_token, const Actor& actor);

  // For introspection (RFC 7662), passive: the session and user of a refresh token that is the
  // current token of a live session (refresh_token and outcome unset); nullopt for any other
  // token. Never rotates or revokes. kUnavailable.
  [[nodiscard]] Result<std::optional<Refreshed>> Inspect(std::string_view refresh_token);

  // The session id a refresh token names, if this server minted it (no store read).
  std::optional<std::string> SessionIdOf(std::string_view refresh_token) const;

 private:
  Result<Refreshed> Answer(RefreshOutcome outcome, store::Session session,
                           std::string refresh_token, TimePoint issued_at, const Actor& actor);

  store::SessionStore& sessions_;
  store::UserStore& users_;
  SessionService& session_service_;
  const SessionSecrets& secrets_;
  AuditTrail& audit_;
  const Clock& clock_;
  const RefreshPolicy policy_;
  AuthCounters& counters_;
};

}  // namespace sesame::auth
