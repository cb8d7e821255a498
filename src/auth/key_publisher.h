#pragma once

// The server's view of the key ring file: an immutable snapshot (the signing key, the keys that
// verify live tokens, and the public JWKS document) swapped whole, so readers on any thread
// never see a half-updated ring. Refresh() reloads when the file changed on disk (a `sesame
// keys rotate` while the server runs), when a retired key's last token expires (so it leaves the
// JWKS then) and at least every minute. Symmetric (HS*) keys verify but are never
// published. Thread-safe.

#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <string>

#include "auth/key_ring.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/result.h"
#include "jose/claims.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"

namespace sesame::auth {

class KeyPublisher {
 public:
  struct Snapshot {
    jose::Jwk signer;
    std::shared_ptr<const jose::KeySet> verification_keys;
    std::string jwks_json;  // {"keys":[...public keys...]}
    // Verifies this server's access tokens against verification_keys with the claims policy.
    std::shared_ptr<const jose::JwtVerifier> verifier;
    uint64_t version = 0;  // grows with every rebuild
  };

  // Loads (or creates) the ring at `path` with `alg` for a new ring. `token_lifetime`: how long
  // a signed token lives (access TTL plus leeway). `claims`: what the verifier requires of a
  // token besides its signature.
  [[nodiscard]] static Result<std::unique_ptr<KeyPublisher>> Open(std::string path,
                                                                  jose::Algorithm alg,
                                                                  Seconds token_lifetime,
                                                                  jose::ClaimsPolicy claims,
                                                                  const Clock& clock);

  std::shared_ptr<const Snapshot> current() const { return current_.load(); }
  // The current snapshot's version, without touching the shared_ptr's reference count: a
  // hot path keeps its own copy of the snapshot and reloads when this moves.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Reloads if the file changed or the snapshot is a minute old. A file that cannot be read
  // keeps the previous snapshot and returns the error.
  [[nodiscard]] Result<void> Refresh();

  KeyPublisher(std::string path, Seconds token_lifetime, jose::ClaimsPolicy claims,
               const Clock& clock)
      : path_(std::move(path)),
        token_lifetime_(token_lifetime),
        claims_(std::move(claims)),
        clock_(clock) {}

 private:
  [[nodiscard]] Result<void> Rebuild(const KeyRing& ring) SESAME_REQUIRES(refresh_mu_);

  const std::string path_;
  const Seconds token_lifetime_;
  const jose::ClaimsPolicy claims_;
  const Clock& clock_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> version_{0};
  Mutex refresh_mu_;
  timespec file_mtime_ SESAME_GUARDED_BY(refresh_mu_){};
  off_t file_size_ SESAME_GUARDED_BY(refresh_mu_) = -1;
  TimePoint built_at_ SESAME_GUARDED_BY(refresh_mu_){};
  TimePoint next_expiry_ SESAME_GUARDED_BY(refresh_mu_) = TimePoint::max();  // a retired key leaves
};

}  // namespace sesame::auth
