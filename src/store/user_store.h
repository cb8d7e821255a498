#pragma once

// UserStore: accounts (username, argon2id hash, roles, disabled flag). The domain (auth/)
// normalises usernames before they get here: `username` is the NFKC form shown to people,
// `username_key` the NFKC case-folded form that is unique, and `username_skeleton` its UTS #39
// confusable skeleton, unique too where set. A store that cannot answer (down,
// locked, full, corrupt) returns kUnavailable, never "not found". Implementations are
// thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::store {

struct User {
  std::string id;            // opaque, public ("u_" + random)
  std::string username;      // NFKC, as the user wrote it
  std::string username_key;  // NFKC case fold: the unique key
  // The confusable skeleton of username_key (auth/username_skeleton.h): unique where set.
  // Empty for an account made before skeletons were stored, until the start-up back-fill
  // gives it one, and for good for the later of two such accounts that look alike.
  std::string username_skeleton;
  std::string password_hash;  // argon2id encoded hash (never a password)
  std::vector<std::string> roles;
  bool is_disabled = false;
  TimePoint created_at;
  TimePoint updated_at;

  bool HasRole(std::string_view role) const {
    for (const auto& r : roles) {
      if (r == role) {
        return true;
      }
    }
    return false;
  }
};

// Where a walk in creation order (created_at, then id) stands: the last user it saw.
struct UserPosition {
  TimePoint created_at;
  std::string id;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // kUsernameTaken if username_key exists, or if username_skeleton is not empty and another
  // user has it. Nothing is written then.
  [[nodiscard]] virtual Result<void> CreateUser(const User& user) = 0;
  [[nodiscard]] virtual Result<std::optional<User>> FindUserById(std::string_view user_id) = 0;
  [[nodiscard]] virtual Result<std::optional<User>> FindUserByKey(
      std::string_view username_key) = 0;
  // The user whose skeleton this is; an empty skeleton matches nobody.
  [[nodiscard]] virtual Result<std::optional<User>> FindUserBySkeleton(
      std::string_view username_skeleton) = 0;
  // Users whose username_key contains `key_substring` (all when empty), ordered by
  // username_key, at most `limit`.
  [[nodiscard]] virtual Result<std::vector<User>> ListUsers(std::string_view key_substring,
                                                            size_t limit) = 0;
  [[nodiscard]] virtual Result<size_t> CountUsers() = 0;
  // Users without a skeleton in creation order (created_at, then id), after `after` when
  // given, at most `limit`: what the start-up back-fill walks.
  [[nodiscard]] virtual Result<std::vector<User>> ListUsersWithoutSkeleton(
      const std::optional<UserPosition>& after, size_t limit) = 0;
  // Gives a user without a skeleton this one (the back-fill). True if set; false if the user
  // already has one, which it keeps (another node's back-fill got there first).
  // kUsernameTaken if another user has it, kNotFound for an unknown id, kInvalidRequest for
  // an empty skeleton. Never changes updated_at: nothing its owner could see has changed.
  [[nodiscard]] virtual Result<bool> SetUsernameSkeleton(std::string_view user_id,
                                                         std::string_view username_skeleton) = 0;

  // Targeted updates, so that two writers touching different fields never undo each other.
  // Each returns kNotFound for an unknown id.
  [[nodiscard]] virtual Result<void> SetPasswordHash(std::string_view user_id,
                                                     const std::string& password_hash,
                                                     TimePoint now) = 0;
  // Compare-and-set for rehash on login: replaces the hash only if it is still `expected`.
  // Returns false (and changes nothing) if someone changed the password meanwhile.
  [[nodiscard]] virtual Result<bool> ReplacePasswordHash(std::string_view user_id,
                                                         const std::string& expected,
                                                         const std::string& password_hash,
                                                         TimePoint now) = 0;
  [[nodiscard]] virtual Result<void> SetDisabled(std::string_view user_id, bool is_disabled,
                                                 TimePoint now) = 0;
  [[nodiscard]] virtual Result<void> SetRoles(std::string_view user_id,
                                              const std::vector<std::string>& roles,
                                              TimePoint now) = 0;
};

}  // namespace sesame::store
