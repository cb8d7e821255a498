#include "auth/login_limiter.h"

#include <algorithm>
#include <string>

#include "common/ip_address.h"

namespace sesame::auth {
namespace {

std::string FailureKey(std::string_view username_key, std::string_view ip) {
  std::string key = "login_fail:";
  key += AddressPrefix(ip);
  key += ':';
  key += username_key;
  return key;
}

std::string AccountKey(std::string_view username_key) {
  return "login_account:" + std::string(username_key);
}

std::string AttemptKey(std::string_view ip) {
  return "login_ip:" + AddressPrefix(ip);
}

Error Limited(int64_t retry_after, std::string detail) {
  Error e{ErrorCode::kRateLimited, std::move(detail)};
  e.retry_after_seconds = std::max<int64_t>(retry_after, 1);
  return e;
}

}  // namespace

std::string AddressPrefix(std::string_view ip) {
  // IpAddress unmaps ::ffff:a.b.c.d, so an IPv4 client of a dual-stack listener gets its own
  // /24, not the /64 that every IPv4 address would share.
  const auto address = IpAddress::Parse(ip);
  if (!address) {
    return std::string(ip);
  }
  return address->NetworkText(address->is_v4() ? 24 : 64);
}

Result<int64_t> LoginLimiter::Admit(std::string_view username_key, std::string_view ip,
                                    TimePoint now) {
  const std::string key = FailureKey(username_key, ip);
  auto slot = rates_.TakeSlot(key, Rule(), now);
  if (!slot) {
    return tl::unexpected(slot.error());
  }
  const store::RateCounter& counter = slot->counter;
  if (!slot->granted) {
    if (counter.count >= failures_per_user_.count) {
      return tl::unexpected(Limited((counter.window_end - now).count(),
                                    "too many failed logins for this account from here"));
    }
    const TimePoint allowed_at = counter.last_hit + DelayAfter(counter.count);
    return tl::unexpected(
        Limited((allowed_at - now).count(), "wait before trying this account again"));
  }
  if (auto address = AdmitAddress(ip, now); !address) {
    (void)rates_.ReturnSlot(key);
    return tl::unexpected(address.error());
  }
  return counter.count;
}

Result<void> LoginLimiter::AdmitAddress(std::string_view ip, TimePoint now) {
  auto attempts = rates_.Hit(AttemptKey(ip), attempts_per_ip_.window, now);
  if (!attempts) {
    return tl::unexpected(attempts.error());
  }
  if (attempts->count > attempts_per_ip_.count) {
    return tl::unexpected(
        Limited((attempts->window_end - now).count(), "too many login attempts from here"));
  }
  return {};
}

Result<void> LoginLimiter::RecordFailure(std::string_view username_key, std::string_view ip,
                                         TimePoint now) {
  return rates_.MarkSlot(FailureKey(username_key, ip), now);
}

Result<void> LoginLimiter::RecordSuccess(std::string_view username_key, std::string_view ip) {
  return rates_.ClearCounter(FailureKey(username_key, ip));
}

Result<void> LoginLimiter::AdmitAccount(std::string_view username_key, TimePoint now) {
  const store::SlotRule rule{failures_per_account_.count, failures_per_account_.window, Seconds(0),
                             0};
  auto slot = rates_.TakeSlot(AccountKey(username_key), rule, now);
  if (!slot) {
    return tl::unexpected(slot.error());
  }
  if (!slot->granted) {
    return tl::unexpected(Limited((slot->counter.window_end - now).count(),
                                  "too many failed logins for this account; use a known device"));
  }
  return {};
}

void LoginLimiter::AccountGiveBack(std::string_view username_key) {
  (void)rates_.ReturnSlot(AccountKey(username_key));
}

void LoginLimiter::GiveBack(std::string_view username_key, std::string_view ip) {
  // Best effort: a slot that cannot be returned counts as one failure, erring on the safe side.
  (void)rates_.ReturnSlot(FailureKey(username_key, ip));
}

}  // namespace sesame::auth
