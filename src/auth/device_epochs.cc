#include "auth/device_epochs.h"

#include <algorithm>
#include <string>

namespace sesame::auth {
namespace {

// Longer than a token lives, so a window that ends has outlived every token issued before it.
constexpr Seconds kEpochWindow = kDeviceTokenLife + Seconds(24 * 3600);

std::string EpochKey(std::string_view user_id) {
  return "device_epoch:" + std::string(user_id);
}

}  // namespace

Result<int64_t> DeviceEpochs::Current(std::string_view user_id, TimePoint now) {
  auto counter = rates_.GetCounter(EpochKey(user_id), now);
  if (!counter) {
    return tl::unexpected(counter.error());
  }
  if (counter->count == 0) {
    return 0;
  }
  // The window's start is part of the epoch: a later window that counts up to the same number
  // must not bring back a token of the earlier one.
  constexpr int64_t kCountBits = 20;
  const int64_t count = std::min<int64_t>(counter->count, (int64_t{1} << kCountBits) - 1);
  return (ToUnixSeconds(counter->window_start) << kCountBits) | count;
}

Result<void> DeviceEpochs::Advance(std::string_view user_id, TimePoint now) {
  auto counter = rates_.Hit(EpochKey(user_id), kEpochWindow, now);
  if (!counter) {
    return tl::unexpected(counter.error());
  }
  return {};
}

}  // namespace sesame::auth
