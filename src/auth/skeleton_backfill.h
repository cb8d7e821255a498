#pragma once

// The start-up back-fill of usernames' confusable skeletons (auth/username_skeleton.h): gives
// each account made before skeletons were stored the skeleton of the NFKC case fold of its name,
// oldest first (created_at, then id). It never deletes, renames or re-keys an account. Where two
// existing accounts look alike, the older one keeps the skeleton and the later one stays without
// (a NULL in the store, which blocks nobody); the pair is reported for an operator to resolve,
// at every start until they do. Accounts that have a skeleton cost nothing: the store lists only
// those without. Blocking (store calls): run before serving. Pure apart from the store; the
// caller logs the report (auth has no logger).

#include <cstddef>
#include <vector>

#include "common/result.h"
#include "store/user_store.h"

namespace sesame::auth {

struct SkeletonCollision {
  store::User account;  // the later account: stays without a skeleton
  store::User holder;   // the account that has the skeleton (empty if it vanished meanwhile)
};

struct SkeletonBackfillReport {
  size_t filled = 0;  // accounts given their skeleton now
  std::vector<SkeletonCollision> collisions;
  // Accounts whose stored key is not the NFKC case fold of their name: named under the earlier
  // NFC rules with compatibility characters (full-width letters) or invisible ones. They keep
  // their key, so a password login by name no longer finds them.
  std::vector<store::User> outdated_keys;
};

// kUnavailable (store), kInternal (no confusables data). Filled skeletons stay filled on error.
[[nodiscard]] Result<SkeletonBackfillReport> BackfillUsernameSkeletons(store::UserStore& users);

}  // namespace sesame::auth
