#pragma once

// Brute-force limits for logins that cannot be turned against the account owner
// (API.md "limits", DESIGN.md "Who is asking"). Two counters, both in the RateStore so every
// process sees them:
// - failures per (account, client address prefix): from the third failure on, the next attempt
//   waits `backoff`, then twice as long after each further failure (1 s, 2 s, 4 s, ... by
//   default), and at `failures_per_user.count`
//   failures the pair is blocked until its window ends. An attacker on another network
//   prefix counts separately, so they cannot keep the real user out;
// - attempts per client address prefix, whatever the account: a budget per window;
// - failures per account across all networks, for logins from unknown devices only, so that
//   guessing from many networks stops while the owner's known devices still get in.
// Nothing is permanent; windows expire. Thread-safe if the RateStore is.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "store/rate_store.h"

namespace sesame::auth {

// At most `count` events per `window`.
struct RateLimit {
  int64_t count = 0;
  Seconds window{0};
};

// The /24 of an IPv4 address or the /64 of an IPv6 address, as text ("203.0.113.0/24").
std::string AddressPrefix(std::string_view ip);

class LoginLimiter {
 public:
  LoginLimiter(store::RateStore& rates, RateLimit failures_per_user, RateLimit attempts_per_ip,
               Seconds backoff = Seconds(1),
               RateLimit failures_per_account = RateLimit{50, Seconds(15 * 60)})
      : rates_(rates),
        failures_per_user_(failures_per_user),
        attempts_per_ip_(attempts_per_ip),
        failures_per_account_(failures_per_account),
        backoff_(backoff) {}

  // Takes a failure slot of the (account, address prefix) pair *before* the password is
  // checked, atomically in the RateStore, and counts an attempt against the address budget:
  // concurrent guesses can never run more password checks than the limits allow. The slot
  // counts as a failure unless RecordSuccess() or GiveBack() follows. Returns this attempt's
  // number within the pair's window. kRateLimited with retry_after_seconds; kUnavailable.
  [[nodiscard]] Result<int64_t> Admit(std::string_view username_key, std::string_view ip,
                                      TimePoint now);
  // Counts an attempt against the address budget only (registration, where there is no
  // account yet). kRateLimited with retry_after_seconds, kUnavailable.
  [[nodiscard]] Result<void> AdmitAddress(std::string_view ip, TimePoint now);
  // The admitted attempt failed: its slot stays taken, and the growing wait counts from now.
  [[nodiscard]] Result<void> RecordFailure(std::string_view username_key, std::string_view ip,
                                           TimePoint now);
  // The password was right: the pair's failures are forgotten.
  [[nodiscard]] Result<void> RecordSuccess(std::string_view username_key, std::string_view ip);
  // The admitted attempt never reached a verdict (a store or hash error): its slot goes back.
  void GiveBack(std::string_view username_key, std::string_view ip);

  // The account's budget across every network (limits.login_failures_per_account), for a login
  // that does not come from a known device: takes a slot atomically, like Admit(). The slot
  // stays taken if the attempt fails; AccountGiveBack() returns it otherwise. kRateLimited with
  // retry_after_seconds, kUnavailable.
  [[nodiscard]] Result<void> AdmitAccount(std::string_view username_key, TimePoint now);
  void AccountGiveBack(std::string_view username_key);

  // Delay required after `failures` failures (0 for the first two).
  Seconds DelayAfter(int64_t failures) const { return Rule().GapAfter(failures); }

 private:
  store::SlotRule Rule() const {
    return store::SlotRule{failures_per_user_.count, failures_per_user_.window, backoff_, 2};
  }

  store::RateStore& rates_;
  const RateLimit failures_per_user_;
  const RateLimit attempts_per_ip_;
  const RateLimit failures_per_account_;
  const Seconds backoff_;
};

}  // namespace sesame::auth
