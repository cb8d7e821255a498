#include "auth/username_skeleton.h"

#include <unicode/uspoof.h>

#include <cstdint>
#include <limits>

#include "auth/username.h"

namespace sesame::auth {
namespace {

// One checker for the process. ICU documents uspoof_getSkeleton as safe to call from many
// threads on one checker whose configuration no longer changes; opening one costs little (the
// data is cached by ICU) but there is no reason to pay it per call.
const USpoofChecker* SharedChecker() {
  static const icu::LocalUSpoofCheckerPointer checker([] {
    UErrorCode status = U_ZERO_ERROR;
    USpoofChecker* opened = uspoof_open(&status);
    if (U_FAILURE(status)) {
      uspoof_close(opened);
      return static_cast<USpoofChecker*>(nullptr);
    }
    return opened;
  }());
  return checker.getAlias();
}

}  // namespace

Result<std::string> UsernameSkeleton(std::string_view key) {
  const USpoofChecker* checker = SharedChecker();
  if (checker == nullptr) {
    return MakeError(ErrorCode::kInternal, "ICU's confusables data cannot be loaded");
  }
  // ICU would quietly read ill-formed UTF-8 as U+FFFD, so that any two such inputs would meet:
  // the fold checks it first (and is a no-op on a key, which is already folded).
  auto folded = FoldUsername(key);
  if (!folded) {
    return tl::unexpected(folded.error());
  }
  if (folded->size() > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 8)) {
    return MakeError(ErrorCode::kInvalidRequest, "username is too long for a skeleton");
  }
  const auto length = static_cast<int32_t>(folded->size());
  // Preflight for the size, then fill. A skeleton can be longer than its input ("m" is "rn").
  UErrorCode status = U_ZERO_ERROR;
  const int32_t needed =
      uspoof_getSkeletonUTF8(checker, 0, folded->data(), length, nullptr, 0, &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) {
    return MakeError(ErrorCode::kInvalidRequest,
                     std::string("username has no skeleton: ") + u_errorName(status));
  }
  std::string skeleton(static_cast<size_t>(needed), '\0');
  status = U_ZERO_ERROR;
  uspoof_getSkeletonUTF8(checker, 0, folded->data(), length, skeleton.data(), needed, &status);
  // Exactly `needed` bytes leave no room for a NUL: ICU says so with a warning, not an error.
  if (U_FAILURE(status)) {
    return MakeError(ErrorCode::kInvalidRequest,
                     std::string("username has no skeleton: ") + u_errorName(status));
  }
  return FoldUsername(skeleton);
}

}  // namespace sesame::auth
