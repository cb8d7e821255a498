#pragma once

// The HTTP/1.1 server on Boost.Beast/Asio: keep-alive and pipelining, a fixed number of io
// threads, limits at the edge (request head 16 KiB → 431, body 64 KiB → 413, header, body and
// idle timeouts, a connection cap), and graceful shutdown on SIGINT/SIGTERM (stop accepting,
// finish in-flight requests, close idle connections, return from Run()).
// Each connection is one coroutine on its own strand. Routes that need slow work return a
// Deferred; the connection runs it on the named worker pool and resumes on its strand.
//
// Listen() and Run() from one thread; Stop() from any thread. The router, metrics and access
// log must outlive the server.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/access_log.h"
#include "http/metrics.h"
#include "http/router.h"

namespace sesame::http {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  size_t io_threads = 1;
  size_t max_connections = 10000;
  size_t header_limit = 16 * 1024;
  size_t body_limit = 64 * 1024;
  std::chrono::seconds header_timeout{10};  // first byte to end of head
  std::chrono::seconds body_timeout{20};
  std::chrono::seconds idle_timeout{60};  // keep-alive wait for the next request
  std::chrono::seconds write_timeout{20};
  std::chrono::seconds drain_timeout{15};  // graceful shutdown: then close what remains
  bool handle_signals = true;
  // Peers (IPs or CIDRs) whose X-Forwarded-For and X-Forwarded-Proto are believed; for
  // everyone else the client address is the socket's peer and the scheme is plain http.
  std::vector<std::string> trusted_proxies;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics, AccessLog& access_log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. kInvalidConfig for a bad address, kIoError if it cannot bind.
  [[nodiscard]] Result<uint16_t> Listen();
  // Serves on the io threads until Stop() or a signal, then drains; returns when done.
  void Run();
  void Stop();

  size_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sesame::http
