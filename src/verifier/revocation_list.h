#pragma once

// What the embeddable verifier knows of revocations, from sesame's revocation feed
// (GET /v1/revocations): revoked session ids, and per user a not-before time (every token of
// the user issued before it is dead). A snapshot answer replaces the whole list, an increment
// adds to it; an entry is dropped `horizon` seconds after it was made, when every token it
// covers has expired.
//
// Thread-safe: IsRevoked (the verify path) takes a shared lock for two hash lookups, and none
// at all while the list is empty; Apply and Prune take the exclusive lock briefly (a snapshot
// is built outside it and swapped in).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"

namespace sesame::verifier {

// One answer of the feed, as sesame sends it (README "Revocation feed").
struct FeedAnswer {
  struct Session {
    std::string session_id;  // sid
    std::string user_id;     // sub
    int64_t at = 0;          // unix seconds
  };
  struct User {
    std::string user_id;  // sub
    int64_t not_before = 0;
  };
  int64_t cursor = 0;
  bool snapshot = false;
  int64_t horizon = 0;  // seconds
  std::vector<Session> sessions;
  std::vector<User> users;
};

// kInvalidRequest for anything but the feed's JSON shape (a cursor of decimal digits, a
// positive horizon, the two lists).
[[nodiscard]] Result<FeedAnswer> ParseFeedAnswer(std::string_view json);

class RevocationList {
 public:
  // Replaces everything (a snapshot) or adds (an increment); skips what has expired at `now`
  // (unix seconds).
  void Apply(const FeedAnswer& answer, int64_t now);
  // Whether a token of this session and user, issued at `issued_at`, is revoked.
  bool IsRevoked(std::string_view session_id, std::string_view user_id, int64_t issued_at) const;
  // Drops entries whose every token has expired at `now`.
  void Prune(int64_t now);
  size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct UserCutoff {
    int64_t not_before = 0;
    int64_t until = 0;
  };
  using SessionMap = std::unordered_map<std::string, int64_t, Hash, std::equal_to<>>;  // → until
  using UserMap = std::unordered_map<std::string, UserCutoff, Hash, std::equal_to<>>;

  static void Add(const FeedAnswer& answer, int64_t now, SessionMap& sessions, UserMap& users);

  mutable std::shared_mutex mu_;
  SessionMap sessions_;  // guarded by mu_
  UserMap users_;        // guarded by mu_
  std::atomic<size_t> size_{0};
};

}  // namespace sesame::verifier
