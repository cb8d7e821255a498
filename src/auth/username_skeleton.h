#pragma once

// The confusable skeleton of a username (UTS #39 §4): names that look alike, such as "admin"
// and "аdmin" with a Cyrillic а, or "adm1n" and "admln", have the same skeleton, and a new
// account whose skeleton is another account's is refused (store/user_store.h keeps skeletons
// unique). Computed with ICU's spoof checker and its confusables data, never a table of ours.
// Leaves normalisation and the shape rules to auth/username.h. Pure; thread-safe (ICU's
// checker is shared read-only, which its documentation allows).

#include <string>
#include <string_view>

#include "common/result.h"

namespace sesame::auth {

// The skeleton of a username key (Username::key: NFKC case-folded, so "Admin" and "аdmin"
// meet; other text is folded first), case-folded once more: ICU's prototypes include capitals
// (digit zero's is "O"), and a key holds only folded letters, so without this "bob0" would not meet
// "BOBO". Only for comparing; never shown. kInvalidRequest if `key` is not valid UTF-8, kInternal
// if ICU's confusables data cannot be loaded.
[[nodiscard]] Result<std::string> UsernameSkeleton(std::string_view key);

}  // namespace sesame::auth
