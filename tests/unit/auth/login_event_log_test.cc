#include "auth/login_event_log.h"

#include <unistd.h>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sesame::auth {
namespace {

std::string WriteAndRead(std::string_view username, std::string_view reason) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  LoginEventLog(fds[1]).Write("login_failed", username, "203.0.113.7", reason);
  close(fds[1]);
  std::string out(4096, '\0');
  const ssize_t n = read(fds[0], out.data(), out.size());
  close(fds[0]);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

TEST(LoginEventLog, WritesOneJsonLinePerEvent) {
  const std::string line = WriteAndRead("alice", "wrong password");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json, (nlohmann::json{{"event", "login_failed"},
                                  {"username", "alice"},
                                  {"ip", "203.0.113.7"},
                                  {"reason", "wrong password"}}));
}

TEST(LoginEventLog, AHostileUsernameCannotForgeALine) {
  const std::string line = WriteAndRead("bob\n{\"event\":\"login_ok\"}\x1b[31m\xff", "x");
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the name holds
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(json.is_discarded());
  EXPECT_EQ(json["event"], "login_failed");
}

}  // namespace
}  // namespace sesame::auth
