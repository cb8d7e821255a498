#pragma once

// Fetching a JWKS document over HTTP(S) for the embeddable verifier and `sesame token verify
// --jwks URL`. https:// verifies the server's certificate chain against the system trust store
// (or a given CA file) and its host name. Bounded: the whole exchange within `timeout`, a body
// of at most 1 MiB, a 2xx answer only, no redirects. Blocking; thread-safe (no shared state).

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sesame::verifier {

struct FetchOptions {
  std::chrono::seconds timeout{5};
  std::string ca_file;  // PEM bundle to trust instead of the system's; empty: the system's
};

// kInvalidRequest for a URL that is not http(s)://host[:port][/path], kUnavailable for anything
// that goes wrong on the way (resolution, connection, TLS, timeout, status, size).
[[nodiscard]] Result<std::string> FetchUrl(std::string_view url, const FetchOptions& options);

}  // namespace sesame::verifier
