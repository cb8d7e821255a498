#pragma once

// Each user's device epoch (API.md "Device cookie"): device tokens carry the epoch they were
// issued in (auth/session_secrets.h), and a password change or a "sign out everywhere" moves
// it, which invalidates every device token issued before.
//
// Kept as a RateStore counter whose window is longer than a device token lives
// (kDeviceTokenLife): when the window ends the epoch reads 0 again, and every token issued
// before the window began is older than its life by then, so none comes back to life. The
// epoch is only ever an exemption from the account-wide failed-login limit, never a login: a
// store that loses it (a Redis wipe) at worst lets devices that once signed in past that limit
// again. Thread-safe if the RateStore is.

#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "store/rate_store.h"

namespace sesame::auth {

// How long a device token is honoured (and its cookie kept).
inline constexpr Seconds kDeviceTokenLife{365 * 24 * 3600};

class DeviceEpochs {
 public:
  explicit DeviceEpochs(store::RateStore& rates) : rates_(rates) {}

  // kUnavailable when the store is down.
  [[nodiscard]] Result<int64_t> Current(std::string_view user_id, TimePoint now);
  [[nodiscard]] Result<void> Advance(std::string_view user_id, TimePoint now);

 private:
  store::RateStore& rates_;
};

}  // namespace sesame::auth
