#include "auth/skeleton_backfill.h"

#include <optional>
#include <string>
#include <utility>

#include "auth/username.h"
#include "auth/username_skeleton.h"

namespace sesame::auth {
namespace {

constexpr size_t kPageSize = 500;

// The skeleton an account gets: from the fold of its stored name, as a new account's comes from
// the fold of its NFKC name, so old and new names compare alike. The fold (not the stored key)
// also drops the invisible characters that older rules let through.
Result<std::string> SkeletonOfStoredName(const store::User& user, bool& key_is_outdated) {
  auto key = FoldUsername(user.username);
  if (!key) {
    return tl::unexpected(key.error());
  }
  key_is_outdated = *key != user.username_key;
  return UsernameSkeleton(*key);
}

}  // namespace

Result<SkeletonBackfillReport> BackfillUsernameSkeletons(store::UserStore& users) {
  SkeletonBackfillReport report;
  std::optional<store::UserPosition> after;
  for (;;) {
    auto page = users.ListUsersWithoutSkeleton(after, kPageSize);
    if (!page) {
      return tl::unexpected(page.error());
    }
    for (const store::User& user : *page) {
      bool key_is_outdated = false;
      auto skeleton = SkeletonOfStoredName(user, key_is_outdated);
      if (!skeleton) {
        return tl::unexpected(skeleton.error());
      }
      if (key_is_outdated) {
        report.outdated_keys.push_back(user);
      }
      // Read before writing: a collision already known (the usual case at later starts) then
      // costs no write lock, so the command line opens while a server writes.
      auto holder = users.FindUserBySkeleton(*skeleton);
      if (!holder) {
        return tl::unexpected(holder.error());
      }
      if (!holder->has_value()) {
        auto set = users.SetUsernameSkeleton(user.id, *skeleton);
        if (set) {
          report.filled += *set ? 1 : 0;
          continue;
        }
        if (set.error().code != ErrorCode::kUsernameTaken) {
          return tl::unexpected(set.error());
        }
        // Another writer took the skeleton between the read and the write.
        holder = users.FindUserBySkeleton(*skeleton);
        if (!holder) {
          return tl::unexpected(holder.error());
        }
      }
      if (holder->has_value() && (*holder)->id == user.id) {
        continue;  // another node's back-fill gave it its own skeleton meanwhile
      }
      report.collisions.push_back(SkeletonCollision{user, holder->value_or(store::User())});
    }
    if (page->size() < kPageSize) {
      return report;
    }
    after = store::UserPosition{page->back().created_at, page->back().id};
  }
}

}  // namespace sesame::auth
