#include "auth/refresh_service.h"

#include <algorithm>

#include "auth/session_cache.h"
#include "common/secret_bytes.h"

namespace sesame::auth {
namespace {

// A lost compare-and-set means another rotation just won; looking again then answers. More
// than a few losses in a row cannot happen without a flood of rotations of one session.
constexpr int kMaxAttempts = 4;

Error Invalid() {
  return Error{ErrorCode::kInvalidToken, "unknown refresh token"};
}

}  // namespace

std::string_view RefreshOutcomeName(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::kOk:
      return "ok";
    case RefreshOutcome::kRace:
      return "race";
    case RefreshOutcome::kTheft:
      return "theft";
  }
  return "ok";
}

RefreshService::RefreshService(store::SessionStore& sessions, store::UserStore& users,
                               SessionService& session_service, const SessionSecrets& secrets,
                               AuditTrail& audit, const Clock& clock, RefreshPolicy policy,
                               AuthCounters& counters)
    : sessions_(sessions),
      users_(users),
      session_service_(session_service),
      secrets_(secrets),
      audit_(audit),
      clock_(clock),
      policy_(policy),
      counters_(counters) {}

std::optional<std::string> RefreshService::SessionIdOf(std::string_view refresh_token) const {
  auto parts = secrets_.OpenRefreshToken(refresh_token);
  if (!parts) {
    return std::nullopt;
  }
  return std::string(parts->session_id);
}

Result<Refreshed> RefreshService::Refresh(std::string_view refresh_token, const Actor& actor) {
  const auto parts = secrets_.OpenRefreshToken(refresh_token);
  if (!parts) {
    return tl::unexpected(Invalid());
  }
  const std::string session_id(parts->session_id);
  const int64_t generation = parts->generation;
  const std::string presented_hash = SecretHashText(HashSecret(refresh_token));

  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto found = sessions_.FindSessionById(session_id);
    if (!found) {
      return tl::unexpected(found.error());
    }
    if (!*found || (*found)->mode != store::SessionMode::kJwt || (*found)->refresh_hash.empty()) {
      return tl::unexpected(Invalid());
    }
    store::Session& s = **found;
    if (s.IsRevoked()) {
      return MakeError(ErrorCode::kSessionRevoked, "session was revoked (" + s.revoke_reason + ")");
    }
    const TimePoint now = clock_.Now();
    if (now >= s.absolute_expires_at || now >= s.idle_expires_at) {
      return MakeError(ErrorCode::kSessionExpired, "session timed out; log in again");
    }

    if (generation == s.refresh_generation) {
      if (!ConstantTimeEquals(presented_hash, s.refresh_hash)) {
        return tl::unexpected(Invalid());
      }
      const TimePoint issued_at = s.rotated_at.value_or(s.created_at);
      if (now >= issued_at + policy_.refresh_ttl) {
        return MakeError(ErrorCode::kSessionExpired, "refresh token expired; log in again");
      }
      std::string successor = secrets_.RefreshToken(session_id, generation + 1);
      std::string successor_hash = SecretHashText(HashSecret(successor));
      const TimePoint idle_expires_at = now + session_service_.policy().idle_timeout;
      auto rotated = sessions_.RotateRefresh(
          session_id, store::RefreshRotation{generation, successor_hash, now, idle_expires_at});
      if (!rotated) {
        return tl::unexpected(rotated.error());
      }
      if (!*rotated) {
        continue;  // another rotation won (or the session just died): look again
      }
      s.previous_refresh_hash = std::move(s.refresh_hash);
      s.refresh_hash = std::move(successor_hash);
      s.refresh_generation = generation + 1;
      s.rotated_at = now;
      s.last_seen_at = std::max(s.last_seen_at, now);
      s.idle_expires_at = std::max(s.idle_expires_at, idle_expires_at);
      return Answer(RefreshOutcome::kOk, std::move(s), std::move(successor), now, actor);
    }

    if (generation == s.refresh_generation - 1 &&
        ConstantTimeEquals(presented_hash, s.previous_refresh_hash) && s.rotated_at &&
        now - *s.rotated_at <= policy_.grace) {
      const TimePoint issued_at = *s.rotated_at;
      // The successor the winning rotation handed out, recomputed: the same token.
      return Answer(RefreshOutcome::kRace, std::move(s),
                    secrets_.RefreshToken(session_id, generation + 1), issued_at, actor);
    }

    if (generation > s.refresh_generation) {
      return tl::unexpected(Invalid());  // never minted for this session
    }
    // A spent token came back after the grace window: the family is compromised.
    AuthCounters::Bump(counters_.refreshes_theft);
    audit_.Record("refresh", s.user_id, session_id, actor, "theft");
    auto revoked = session_service_.Revoke(session_id, "refresh_token_reused", actor);
    if (!revoked) {
      return tl::unexpected(revoked.error());
    }
    return MakeError(ErrorCode::kRefreshTokenReused,
                     "this refresh token was already used; the session is now revoked");
  }
  return MakeError(ErrorCode::kUnavailable, "the session is being refreshed too often; retry");
}

Result<std::optional<Refreshed>> RefreshService::Inspect(std::string_view refresh_token) {
  const auto parts = secrets_.OpenRefreshToken(refresh_token);
  if (!parts) {
    return std::nullopt;
  }
  auto found = sessions_.FindSessionById(parts->session_id);
  if (!found) {
    return tl::unexpected(found.error());
  }
  const TimePoint now = clock_.Now();
  if (!*found || (*found)->mode != store::SessionMode::kJwt || !(*found)->IsLiveAt(now) ||
      (*found)->refresh_generation != parts->generation ||
      !ConstantTimeEquals(SecretHashText(HashSecret(refresh_token)), (*found)->refresh_hash)) {
    return std::nullopt;
  }
  const TimePoint issued_at = (*found)->rotated_at.value_or((*found)->created_at);
  if (now >= issued_at + policy_.refresh_ttl) {
    return std::nullopt;
  }
  auto user = users_.FindUserById((*found)->user_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user || (*user)->is_disabled) {
    return std::nullopt;
  }
  Refreshed out;
  out.refresh_expires_at = std::min(issued_at + policy_.refresh_ttl, (*found)->absolute_expires_at);
  out.session = std::move(**found);
  out.user = std::move(**user);
  return out;
}

Result<Refreshed> RefreshService::Answer(RefreshOutcome outcome, store::Session session,
                                         std::string refresh_token, TimePoint issued_at,
                                         const Actor& actor) {
  auto user = users_.FindUserById(session.user_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user || (*user)->is_disabled) {
    return MakeError(ErrorCode::kSessionRevoked, "the account is disabled");
  }
  AuthCounters::Bump(outcome == RefreshOutcome::kOk ? counters_.refreshes_ok
                                                    : counters_.refreshes_race);
  audit_.Record("refresh", session.user_id, session.id, actor, RefreshOutcomeName(outcome));
  Refreshed out;
  out.outcome = outcome;
  out.refresh_token = std::move(refresh_token);
  out.refresh_expires_at = std::min(issued_at + policy_.refresh_ttl, session.absolute_expires_at);
  out.session = std::move(session);
  out.user = std::move(**user);
  return out;
}

}  // namespace sesame::auth
