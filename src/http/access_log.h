#pragma once

// The access log: one JSON line per request on stdout (method, route pattern, status,
// latency, session id, client address), written by a background thread so that no io thread
// waits on the terminal or a pipe. Never a secret: the route pattern is logged, not the path
// or query, and the session id is the public id. Thread-safe.

#include <chrono>
#include <memory>
#include <string_view>

namespace spdlog {
class logger;
}

namespace sesame::http {

class AccessLog {
 public:
  explicit AccessLog(bool enabled);
  ~AccessLog();

  void Write(std::string_view method, std::string_view route, int status,
             std::chrono::nanoseconds latency, std::string_view session_id,
             std::string_view client_ip);
  void Flush();

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace sesame::http
