#pragma once

// Failed and throttled logins as one JSON line each on a file descriptor (stderr in the server),
// for fail2ban-style tools (API.md "Operations"):
//   {"event":"login_failed","username":"alice","ip":"203.0.113.7","reason":"wrong password"}
// `event` is login_failed or login_throttled. The username is the one the client typed (JSON-
// escaped, so no control character reaches the log); never a password. Each line is written
// with one write(2), so lines from several threads never interleave. Thread-safe.

#include <string_view>

namespace sesame::auth {

class LoginEventLog {
 public:
  explicit LoginEventLog(int fd) : fd_(fd) {}

  void Write(std::string_view event, std::string_view username, std::string_view ip,
             std::string_view reason) const;

 private:
  const int fd_;
};

}  // namespace sesame::auth
