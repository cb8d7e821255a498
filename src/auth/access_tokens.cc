#include "auth/access_tokens.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "auth/sharded.h"
#include "common/base64url.h"
#include "common/secret_bytes.h"
#include "crypto/random.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"

namespace sesame::auth {
namespace {

constexpr std::string_view kAccessTokenType = "at+jwt";

// The signature segment is the tail of a token and, for every algorithm sesame signs with,
// unpredictable: hashing its last 64 bytes spreads tokens as well as hashing all of them.
uint64_t TokenHash(std::string_view token) {
  const size_t tail = std::min<size_t>(token.size(), 64);
  return std::hash<std::string_view>()(token.substr(token.size() - tail));
}

std::string JoinRoles(const std::vector<std::string>& roles) {
  std::string out;
  for (size_t i = 0; i < roles.size(); ++i) {
    out.append(i ? "," : "").append(roles[i]);
  }
  return out;
}

}  // namespace

jose::ClaimsPolicy AccessClaimsPolicy(const AccessTokenPolicy& policy) {
  jose::ClaimsPolicy claims;
  claims.leeway = policy.leeway;
  claims.issuer = policy.issuer;
  claims.audience = policy.audience;
  claims.expected_typ = std::string(kAccessTokenType);
  claims.required_claims = {"exp", "iat", "sub", "sid", "jti"};
  return claims;
}

AccessTokens::AccessTokens(const KeyPublisher& keys, const RevocationSet& revocations,
                           const Clock& clock, AccessTokenPolicy policy)
    : keys_(keys), revocations_(revocations), clock_(clock), policy_(std::move(policy)) {}

std::shared_ptr<const KeyPublisher::Snapshot> AccessTokens::Keys() const {
  // Versions are unique across publishers, so a per-thread copy keyed by version alone is
  // never another publisher's.
  thread_local std::shared_ptr<const KeyPublisher::Snapshot> snapshot;
  if (!snapshot || snapshot->version != keys_.version()) {
    snapshot = keys_.current();
  }
  return snapshot;
}

Result<IssuedAccessToken> AccessTokens::Issue(const store::Session& session,
                                              const store::User& user) const {
  const TimePoint now = clock_.Now();
  const TimePoint expires_at = std::min(now + policy_.ttl, session.absolute_expires_at);
  const int64_t now_s = ToUnixSeconds(now);
  nlohmann::json claims = {{"sub", user.id},
                           {"exp", ToUnixSeconds(expires_at)},
                           {"iat", now_s},
                           {"nbf", now_s},
                           {"jti", crypto::RandomToken().substr(0, 22)},  // 128 bits
                           {"sid", session.id},
                           {"roles", user.roles},
                           {"preferred_username", user.username}};
  if (!policy_.issuer.empty()) {
    claims["iss"] = policy_.issuer;
  }
  if (!policy_.audience.empty()) {
    claims["aud"] = policy_.audience;
  }
  auto signed_token = jose::SignJwt(keys_.current()->signer, claims.dump(), kAccessTokenType);
  if (!signed_token) {
    return tl::unexpected(signed_token.error());
  }
  return IssuedAccessToken{std::move(*signed_token), expires_at};
}

Result<void> AccessTokens::CheckLive(std::string_view session_id, std::string_view user_id,
                                     int64_t issued_at, int64_t expires_at, int64_t now) const {
  if (now >= expires_at + policy_.leeway.count()) {
    return MakeError(ErrorCode::kTokenExpired, "access token expired; refresh it");
  }
  switch (revocations_.Standing(session_id, user_id, issued_at)) {
    case TokenStanding::kLive:
      return {};
    case TokenStanding::kRevoked:
      return MakeError(ErrorCode::kSessionRevoked, "the session of this token was revoked");
    case TokenStanding::kStale:
      return MakeError(ErrorCode::kTokenExpired, "the account changed; refresh the token");
  }
  return {};
}

Result<std::shared_ptr<const CachedSession>> AccessTokens::Authenticate(std::string_view token) {
  const int64_t now = ToUnixSeconds(clock_.Now());
  const std::shared_ptr<const KeyPublisher::Snapshot> keys = Keys();
  const uint64_t hash = TokenHash(token);
  Shard& shard = shards_[(hash >> 56) % kShards];
  {
    std::shared_ptr<const CachedSession> session;
    int64_t expires_at = 0;
    int64_t issued_at = 0;
    {
      std::lock_guard lock(shard.mu);
      const auto it = shard.entries.find(hash);
      if (it != shard.entries.end() && it->second.key_version == keys->version &&
          ConstantTimeEquals(it->second.token, token)) {
        session = it->second.session;
        expires_at = it->second.expires_at;
        issued_at = it->second.issued_at;
      }
    }
    if (session) {
      if (auto live = CheckLive(session->session_id, session->user_id, issued_at, expires_at, now);
          !live) {
        return tl::unexpected(live.error());
      }
      return session;
    }
  }

  auto claims = keys->verifier->VerifyView(token, FromUnixSeconds(now));
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  const std::string_view session_id = *claims->sid;
  const std::string_view user_id = *claims->sub;
  if (auto live = CheckLive(session_id, user_id, *claims->iat, *claims->exp, now); !live) {
    return tl::unexpected(live.error());
  }
  auto session = std::make_shared<CachedSession>();
  session->session_id = std::string(session_id);
  session->user_id = std::string(user_id);
  session->username = std::string(claims->preferred_username.value_or(""));
  session->roles.assign(claims->roles.begin(), claims->roles.end());
  session->roles_joined = JoinRoles(session->roles);
  session->mode = store::SessionMode::kJwt;
  session->created_at = FromUnixSeconds(*claims->iat);
  session->absolute_expires_at = FromUnixSeconds(*claims->exp);

  if (policy_.max_cached >= kShards) {
    Entry entry{std::string(token), session, *claims->exp, *claims->iat, keys->version};
    std::lock_guard lock(shard.mu);
    if (shard.entries.size() >= policy_.max_cached / kShards) {
      shard.entries.clear();
    }
    shard.entries.insert_or_assign(hash, std::move(entry));
  }
  return std::shared_ptr<const CachedSession>(std::move(session));
}

Result<jose::Claims> AccessTokens::Inspect(std::string_view token) const {
  const TimePoint now = clock_.Now();
  auto claims = keys_.current()->verifier->Verify(token, now);
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  if (auto live =
          CheckLive(*claims->sid, *claims->sub, *claims->iat, *claims->exp, ToUnixSeconds(now));
      !live) {
    return tl::unexpected(live.error());
  }
  return claims;
}

Result<std::string> AccessTokens::ExpiredSessionId(std::string_view token) const {
  // The expiry comes from the unverified payload only to pick the moment to verify at; the
  // verification below is what vouches for the token.
  auto parts = jose::SplitCompact(token);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  const auto payload = Base64UrlDecode(parts->payload_b64);
  if (!payload) {
    return MakeError(ErrorCode::kInvalidToken, "payload is not base64url");
  }
  auto unverified = jose::ParseClaims(*payload, {"exp"});
  if (!unverified) {
    return tl::unexpected(unverified.error());
  }
  const int64_t exp = *unverified->exp;
  const bool expired = exp <= ToUnixSeconds(clock_.Now()) - policy_.leeway.count();
  auto claims =
      keys_.current()->verifier->Verify(token, expired ? FromUnixSeconds(exp - 1) : clock_.Now());
  if (!claims) {
    return tl::unexpected(claims.error());
  }
  // A token within its life is renewable only when an account change made its claims stale.
  if (!expired &&
      revocations_.Standing(*claims->sid, *claims->sub, *claims->iat) != TokenStanding::kStale) {
    return MakeError(ErrorCode::kInvalidToken, "the token has not expired");
  }
  return std::string(*claims->sid);
}

size_t AccessTokens::cached() const {
  return CountShardEntries(shards_);
}

}  // namespace sesame::auth
