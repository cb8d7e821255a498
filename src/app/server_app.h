#pragma once

// `sesame serve`: builds a Node, the worker pools, the routes and the HTTP server from the
// configuration, serves until SIGINT/SIGTERM, then shuts down in order (stop accepting,
// finish in-flight requests, drain the pools, flush the logs).

#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace sesame::app {

struct ServeOptions {
  // Called once the socket listens, with the bound port (tests bind port 0).
  std::function<void(uint16_t port)> on_listening;
};

// Returns after a graceful shutdown; an error if the server could not start.
[[nodiscard]] Result<void> Serve(const config::Config& config, const ServeOptions& options);

// Whether cookies get the Secure attribute for this configuration (cookie.secure = auto: on
// unless the server speaks plain http on a loopback address).
bool CookiesAreSecure(const config::Config& config);

}  // namespace sesame::app
