#pragma once

// The server's view of the key ring file: an immutable snapshot (the signing key, the keys that
// verify live tokens, and the public JWKS document) swapped whole, so readers on any thread
// never see a half-updated ring. Refresh() reloads when the file changed on disk (a `sesame
// keys rotate` while the server runs) and rebuilds at least every minute, so retired keys leave
// the JWKS once their last token has expired. Symmetric (HS*) keys verify but are never
// published. Thread-safe.

#include <sys/types.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "auth/key_ring.h"
#include "common/clock.h"
#include "common/result.h"
#include "jose/jwk.h"
#include "jose/key_set.h"

namespace sesame::auth {

class KeyPublisher {
 public:
  struct Snapshot {
    jose::Jwk signer;
    std::shared_ptr<const jose::KeySet> verification_keys;
    std::string jwks_json;  // {"keys":[...public keys...]}
  };

  // Loads (or creates) the ring at `path` with `alg` for a new ring. `token_lifetime`: how long
  // a signed token lives (access TTL plus leeway).
  [[nodiscard]] static Result<std::unique_ptr<KeyPublisher>> Open(std::string path,
                                                                  jose::Algorithm alg,
                                                                  Seconds token_lifetime,
                                                                  const Clock& clock);

  std::shared_ptr<const Snapshot> current() const { return current_.load(); }

  // Reloads if the file changed or the snapshot is a minute old. A file that cannot be read
  // keeps the previous snapshot and returns the error.
  [[nodiscard]] Result<void> Refresh();

  KeyPublisher(std::string path, Seconds token_lifetime, const Clock& clock)
      : path_(std::move(path)), token_lifetime_(token_lifetime), clock_(clock) {}

 private:
  [[nodiscard]] Result<void> Rebuild(const KeyRing& ring);

  const std::string path_;
  const Seconds token_lifetime_;
  const Clock& clock_;
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::mutex refresh_mu_;
  timespec file_mtime_{};  // guarded by refresh_mu_
  off_t file_size_ = -1;   // guarded by refresh_mu_
  TimePoint built_at_{};   // guarded by refresh_mu_
};

}  // namespace sesame::auth
