// Fills a data directory's SQLite store with live sessions through the store API (never by
// hand-written SQL), for benchmarks that need a large store: bench/metrics_scrape.py.
//
//   session_fill DATA_DIR USERNAME_KEY COUNT
//
// The user must exist (sesame user add). Sessions are spread over COUNT/10 fake devices' worth
// of IPs and user agents, half of them jwt mode, every one live for a day.

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_store.h"

namespace {

using sesame::Seconds;
using sesame::TimePoint;

int Fail(const std::string& what) {
  std::fprintf(stderr, "session_fill: %s\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    return Fail("usage: session_fill DATA_DIR USERNAME_KEY COUNT");
  }
  size_t count = 0;
  const std::string_view count_text = argv[3];
  if (std::from_chars(count_text.data(), count_text.data() + count_text.size(), count).ec !=
      std::errc()) {
    return Fail("COUNT must be a number");
  }
  auto store = sesame::store::SqliteStore::Open(std::string(argv[1]) + "/sesame.db");
  if (!store) {
    return Fail(store.error().detail);
  }
  auto user = (*store)->FindUserByKey(argv[2]);
  if (!user || !*user) {
    return Fail(std::string("no user ") + argv[2]);
  }
  const auto started = std::chrono::steady_clock::now();
  const TimePoint now = std::chrono::time_point_cast<Seconds>(std::chrono::system_clock::now());
  for (size_t i = 0; i < count; ++i) {
    sesame::store::Session s;
    s.id = "s_fill" + std::to_string(i);
    s.user_id = (*user)->id;
    s.mode = i % 2 == 0 ? sesame::store::SessionMode::kSession : sesame::store::SessionMode::kJwt;
    s.transport = sesame::store::Transport::kHeader;
    s.secret_hash = s.mode == sesame::store::SessionMode::kSession ? "h_fill" + std::to_string(i)
                                                                   : std::string();
    s.created_at = now;
    s.last_seen_at = now;
    s.idle_expires_at = now + Seconds(86400);
    s.absolute_expires_at = now + Seconds(86400);
    s.ip = "198.51." + std::to_string(i / 250 % 250) + "." + std::to_string(i % 250);
    s.user_agent = "bench/" + std::to_string(i % 10);
    auto created = (*store)->CreateSession(s, sesame::store::DeviceLimit{}, now);
    if (!created) {
      return Fail("session " + std::to_string(i) + ": " + created.error().detail);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%zu sessions in %.1f s\n", count, seconds);
  return 0;
}
