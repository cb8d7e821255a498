#include "auth/login_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <string>

namespace sesame::auth {
namespace {

std::string FailureKey(std::string_view username_key, std::string_view ip) {
  std::string key = "login_fail:";
  key += AddressPrefix(ip);
  key += ':';
  key += username_key;
  return key;
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
  std::string text(ip);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    return std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
           std::to_string(bytes[2]) + ".0/24";
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    char out[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes.data(), out, sizeof(out));
    return std::string(out) + "/64";
  }
  return text;
}

Seconds LoginLimiter::DelayAfter(int64_t failures) const {
  if (failures < 3) {
    return Seconds(0);
  }
  return backoff_ * (int64_t{1} << std::min<int64_t>(failures - 3, 20));
}

Result<void> LoginLimiter::Admit(std::string_view username_key, std::string_view ip,
                                 TimePoint now) {
  auto failures = rates_.GetCounter(FailureKey(username_key, ip), now);
  if (!failures) {
    return tl::unexpected(failures.error());
  }
  if (failures->count > 0) {
    if (failures->count >= failures_per_user_.count) {
      return tl::unexpected(Limited((failures->window_end - now).count(),
                                    "too many failed logins for this account from here"));
    }
    const TimePoint allowed_at = failures->last_hit + DelayAfter(failures->count);
    if (now < allowed_at) {
      return tl::unexpected(
          Limited((allowed_at - now).count(), "wait before trying this account again"));
    }
  }
  return AdmitAddress(ip, now);
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

Result<int64_t> LoginLimiter::RecordFailure(std::string_view username_key, std::string_view ip,
                                            TimePoint now) {
  auto counter = rates_.Hit(FailureKey(username_key, ip), failures_per_user_.window, now);
  if (!counter) {
    return tl::unexpected(counter.error());
  }
  return counter->count;
}

Result<void> LoginLimiter::RecordSuccess(std::string_view username_key, std::string_view ip) {
  return rates_.ClearCounter(FailureKey(username_key, ip));
}

}  // namespace sesame::auth
