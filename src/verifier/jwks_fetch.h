#pragma once

// Fetching a document over HTTP(S) for the embeddable verifier (the JWKS, the revocation feed)
// and `sesame token verify --jwks URL`: one GET. https:// verifies the server's certificate
// chain against the system trust store (or a given CA file) and its host name. Bounded: the
// whole exchange within `timeout`, a body of at most `max_body`, a 2xx answer only, no
// redirects. Blocking; thread-safe (no shared state but the canceller, which is itself
// thread-safe).

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/mutex.h"
#include "common/result.h"

namespace sesame::verifier {

// Lets another thread end a fetch in progress at once (for shutdown: a long-poll may otherwise
// block for its whole timeout), and refuses every fetch after that. Thread-safe.
class FetchCanceller {
 public:
  void Cancel();
  bool is_cancelled() const;

  // For FetchUrl: registers how to stop the fetch in progress; false if already cancelled.
  bool Attach(std::function<void()> stop);
  void Detach();

 private:
  mutable Mutex mu_;
  bool cancelled_ SESAME_GUARDED_BY(mu_) = false;
  std::function<void()> stop_ SESAME_GUARDED_BY(mu_);
};

struct FetchOptions {
  std::chrono::seconds timeout{5};
  std::string ca_file;        // PEM bundle to trust instead of the system's; empty: the system's
  std::string authorization;  // the Authorization header's value, if not empty; never logged
  std::string accept = "application/jwk-set+json, application/json";
  size_t max_body = size_t{1} << 20;
  FetchCanceller* canceller = nullptr;  // must outlive the fetch
};

// kInvalidRequest for a URL that is not http(s)://host[:port][/path], kUnavailable for anything
// that goes wrong on the way (resolution, connection, TLS, timeout, status, size, cancelled).
[[nodiscard]] Result<std::string> FetchUrl(std::string_view url, const FetchOptions& options);

}  // namespace sesame::verifier
