#include "http/cookies.h"

namespace sesame::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string SessionCookieName(const CookiePolicy& policy) {
  return policy.secure ? "__Host-sesame_session" : "sesame_session";
}

std::string DeviceCookieName(const CookiePolicy& policy) {
  return policy.secure ? "__Host-sesame_device" : "sesame_device";
}

std::string RefreshCookieName(const CookiePolicy& policy) {
  return policy.secure ? "__Secure-sesame_refresh" : "sesame_refresh";
}

std::optional<std::string_view> FindCookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    const size_t semi = cookie_header.find(';');
    const std::string_view pair = Trim(cookie_header.substr(0, semi));
    cookie_header =
        semi == std::string_view::npos ? std::string_view() : cookie_header.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (Trim(pair.substr(0, eq)) == name) {
      std::string_view value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return std::nullopt;
}

std::string BuildSetCookie(std::string_view name, std::string_view value,
                           const CookiePolicy& policy, long long max_age_seconds,
                           std::string_view path) {
  std::string out;
  out.reserve(160);
  out.append(name).append("=").append(value).append("; Path=").append(path);
  out.append("; HttpOnly; SameSite=");
  out.append(policy.same_site);
  if (policy.secure) {
    out.append("; Secure");
  }
  if (max_age_seconds >= 0) {
    out.append("; Max-Age=").append(std::to_string(max_age_seconds));
  }
  return out;
}

}  // namespace sesame::http
