#pragma once

// Accounts: creating users, changing passwords, roles and the disabled flag, listing. Used by
// the admin API, registration and the command line alike, so each rule lives once:
// usernames are normalised (auth/username.h) and may not look like a taken one
// (auth/username_skeleton.h), passwords hashed with argon2id (blocking: call
// from a worker, never an io thread), disabling a user revokes every session, and every
// change is audited. Thread-safe; collaborators must outlive it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/session_service.h"
#include "common/clock.h"
#include "common/result.h"
#include "crypto/password_hasher.h"
#include "store/user_store.h"

namespace sesame::auth {

// Role names: 1-64 of [a-z0-9_.:-].
[[nodiscard]] Result<void> CheckRoleName(std::string_view role);

class AccountService {
 public:
  AccountService(store::UserStore& users, SessionService& sessions, AuditTrail& audit,
                 const crypto::PasswordHasher& hasher, const Clock& clock);

  // kInvalidRequest (shape), kUsernameTaken (the key, or the confusable skeleton, is another
  // user's), kUnavailable.
  [[nodiscard]] Result<store::User> CreateUser(std::string_view username, std::string_view password,
                                               const std::vector<std::string>& roles,
                                               const Actor& actor);
  // Normalises the name first; nullopt if no such user.
  [[nodiscard]] Result<std::optional<store::User>> FindByName(std::string_view username);
  [[nodiscard]] Result<std::optional<store::User>> FindById(std::string_view user_id);
  [[nodiscard]] Result<std::vector<store::User>> List(std::string_view search, size_t limit);
  [[nodiscard]] Result<size_t> Count();

  // kNotFound for an unknown user. Disabling revokes every session of the user.
  [[nodiscard]] Result<void> SetDisabled(std::string_view user_id, bool is_disabled,
                                         const Actor& actor);
  [[nodiscard]] Result<void> SetRoles(std::string_view user_id,
                                      const std::vector<std::string>& roles, const Actor& actor);
  // An administrator's reset (API, page, command line): revokes every session of the user.
  [[nodiscard]] Result<void> SetPassword(std::string_view user_id, std::string_view password,
                                         const Actor& actor);
  // Whether the user exists, is enabled and holds `role` now, as the store says (not as a
  // token issued earlier says): what a change to accounts is authorised by.
  [[nodiscard]] Result<bool> HasCurrentRole(std::string_view user_id, std::string_view role);

 private:
  store::UserStore& users_;
  SessionService& sessions_;
  AuditTrail& audit_;
  const crypto::PasswordHasher& hasher_;
  const Clock& clock_;
};

}  // namespace sesame::auth
