#pragma once

// Access JWTs (API.md "Access JWT", RFC 9068): issuing them for a session, and authenticating
// a request that carries one, statelessly: signature and claims against the key publisher's
// current snapshot, then the revocation set. No store is read.
//
// Verified tokens are cached by their exact bytes (compared in constant time), so a token
// used again costs a hash lookup instead of a signature check. A hit still checks expiry and
// revocation, and a cached verdict is dropped when the key set changes (a key removed from the
// ring stops verifying at once). The cache is bounded: a full shard is emptied.
//
// Thread-safe; collaborators must outlive it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/key_publisher.h"
#include "auth/revocation_set.h"
#include "auth/session_cache.h"
#include "common/clock.h"
#include "common/result.h"
#include "jose/claims.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::auth {

struct AccessTokenPolicy {
  std::string issuer;
  std::string audience;
  Seconds ttl{30 * 60};
  // Clock skew allowed between the nodes that sign and verify, for exp, nbf and iat.
  Seconds leeway{5};
  size_t max_cached = 1 << 16;  // verified tokens kept
};

// What the key publisher's verifier must require of sesame's access tokens.
jose::ClaimsPolicy AccessClaimsPolicy(const AccessTokenPolicy& policy);

struct IssuedAccessToken {
  std::string token;
  TimePoint expires_at;
};

class AccessTokens {
 public:
  AccessTokens(const KeyPublisher& keys, const RevocationSet& revocations, const Clock& clock,
               AccessTokenPolicy policy);

  const AccessTokenPolicy& policy() const { return policy_; }

  // Signs a token for the session with the active key. It expires after the TTL, or at the
  // session's absolute expiry if that comes first. kInternal if signing fails.
  [[nodiscard]] Result<IssuedAccessToken> Issue(const store::Session& session,
                                                const store::User& user) const;

  // Hot path. kInvalidToken, kTokenExpired, kSessionRevoked. The session view holds what the
  // token says (ids, username, roles); its csrf_token is empty (derive it where needed:
  // SessionSecrets::CsrfToken).
  [[nodiscard]] Result<std::shared_ptr<const CachedSession>> Authenticate(std::string_view token);

  // The verified claims (for introspection), revocation included. Bypasses the cache.
  [[nodiscard]] Result<jose::Claims> Inspect(std::string_view token) const;

  // The session id of a token that is authentic and was valid until it expired (signature,
  // issuer, audience and type as Authenticate checks them, at the moment before its exp), or
  // whose claims an account change made stale. For the pages, which offer to refresh such a
  // session (its refresh cookie decides). kInvalidToken for anything else, including a live
  // token.
  [[nodiscard]] Result<std::string> ExpiredSessionId(std::string_view token) const;

  size_t cached() const;

 private:
  struct Entry {
    std::string token;
    std::shared_ptr<const CachedSession> session;
    int64_t expires_at = 0;
    int64_t issued_at = 0;
    uint64_t key_version = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, Entry> entries;  // guarded by mu; by token hash
  };
  static constexpr size_t kShards = 16;

  std::shared_ptr<const KeyPublisher::Snapshot> Keys() const;
  Result<void> CheckLive(std::string_view session_id, std::string_view user_id, int64_t issued_at,
                         int64_t expires_at, int64_t now) const;

  const KeyPublisher& keys_;
  const RevocationSet& revocations_;
  const Clock& clock_;
  const AccessTokenPolicy policy_;
  std::array<Shard, kShards> shards_;
};

}  // namespace sesame::auth
