#include "auth/account_service.h"

#include <algorithm>

#include "auth/ids.h"
#include "auth/username.h"
#include "auth/username_skeleton.h"

namespace sesame::auth {

Result<void> CheckRoleName(std::string_view role) {
  const bool ok =
      !role.empty() && role.size() <= 64 && std::all_of(role.begin(), role.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == ':' || c == '-';
      });
  if (!ok) {
    return MakeError(ErrorCode::kInvalidRequest, "a role is 1 to 64 of a-z 0-9 _ . : -");
  }
  return {};
}

namespace {

Result<std::vector<std::string>> CleanRoles(const std::vector<std::string>& roles) {
  std::vector<std::string> out;
  for (const std::string& role : roles) {
    if (auto ok = CheckRoleName(role); !ok) {
      return tl::unexpected(ok.error());
    }
    if (std::find(out.begin(), out.end(), role) == out.end()) {
      out.push_back(role);
    }
  }
  return out;
}

}  // namespace

AccountService::AccountService(store::UserStore& users, SessionService& sessions, AuditTrail& audit,
                               const crypto::PasswordHasher& hasher, const Clock& clock)
    : users_(users), sessions_(sessions), audit_(audit), hasher_(hasher), clock_(clock) {}

Result<store::User> AccountService::CreateUser(std::string_view username, std::string_view password,
                                               const std::vector<std::string>& roles,
                                               const Actor& actor) {
  auto name = NormalizeUsername(username);
  if (!name) {
    return tl::unexpected(name.error());
  }
  // Of the key, not the display: "Admin" and "аdmin" must meet, and skeletons keep case.
  auto skeleton = UsernameSkeleton(name->key);
  if (!skeleton) {
    return tl::unexpected(skeleton.error());
  }
  if (auto ok = CheckPasswordShape(password); !ok) {
    return tl::unexpected(ok.error());
  }
  auto clean_roles = CleanRoles(roles);
  if (!clean_roles) {
    return tl::unexpected(clean_roles.error());
  }
  auto hash = hasher_.Hash(password);
  if (!hash) {
    return tl::unexpected(hash.error());
  }
  store::User user;
  user.id = NewUserId();
  user.username = std::move(name->display);
  user.username_key = std::move(name->key);
  user.username_skeleton = std::move(*skeleton);
  user.password_hash = std::move(*hash);
  user.roles = std::move(*clean_roles);
  user.created_at = clock_.Now();
  user.updated_at = user.created_at;
  if (auto created = users_.CreateUser(user); !created) {
    return tl::unexpected(created.error());
  }
  audit_.Record("user_created", user.id, {}, actor, user.username);
  return user;
}

Result<std::optional<store::User>> AccountService::FindByName(std::string_view username) {
  auto name = NormalizeUsername(username);
  if (!name) {
    return std::optional<store::User>();
  }
  return users_.FindUserByKey(name->key);
}

Result<std::optional<store::User>> AccountService::FindById(std::string_view user_id) {
  return users_.FindUserById(user_id);
}

Result<std::vector<store::User>> AccountService::List(std::string_view search, size_t limit) {
  std::string key;
  if (!search.empty()) {
    auto name = NormalizeUsername(search);
    if (!name) {
      return std::vector<store::User>();
    }
    key = name->key;
  }
  return users_.ListUsers(key, limit);
}

Result<size_t> AccountService::Count() {
  return users_.CountUsers();
}

Result<void> AccountService::SetDisabled(std::string_view user_id, bool is_disabled,
                                         const Actor& actor) {
  if (auto set = users_.SetDisabled(user_id, is_disabled, clock_.Now()); !set) {
    return set;
  }
  sessions_.UserChanged(user_id);
  audit_.Record(is_disabled ? "user_disabled" : "user_enabled", user_id, {}, actor, {});
  if (is_disabled) {
    if (auto revoked = sessions_.RevokeAll(user_id, "disabled", actor); !revoked) {
      return tl::unexpected(revoked.error());
    }
  }
  return {};
}

Result<void> AccountService::SetRoles(std::string_view user_id,
                                      const std::vector<std::string>& roles, const Actor& actor) {
  auto clean_roles = CleanRoles(roles);
  if (!clean_roles) {
    return tl::unexpected(clean_roles.error());
  }
  if (auto set = users_.SetRoles(user_id, *clean_roles, clock_.Now()); !set) {
    return set;
  }
  sessions_.UserChanged(user_id);
  std::string joined;
  for (const auto& role : *clean_roles) {
    joined += (joined.empty() ? "" : ",") + role;
  }
  audit_.Record("user_roles_changed", user_id, {}, actor, joined);
  return {};
}

Result<void> AccountService::SetPassword(std::string_view user_id, std::string_view password,
                                         const Actor& actor) {
  if (auto ok = CheckPasswordShape(password); !ok) {
    return ok;
  }
  auto hash = hasher_.Hash(password);
  if (!hash) {
    return tl::unexpected(hash.error());
  }
  if (auto set = users_.SetPasswordHash(user_id, *hash, clock_.Now()); !set) {
    return set;
  }
  audit_.Record("password_changed", user_id, {}, actor, "set by an administrator");
  // Whoever held the old password (the reason it is being reset) holds no session either.
  if (auto revoked = sessions_.RevokeAll(user_id, "password_reset", actor); !revoked) {
    return tl::unexpected(revoked.error());
  }
  return {};
}

Result<bool> AccountService::HasCurrentRole(std::string_view user_id, std::string_view role) {
  auto user = users_.FindUserById(user_id);
  if (!user) {
    return tl::unexpected(user.error());
  }
  if (!*user || (*user)->is_disabled) {
    return false;
  }
  const auto& roles = (*user)->roles;
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

}  // namespace sesame::auth
