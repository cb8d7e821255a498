#pragma once

// Cookie parsing (RFC 6265 §5.4 "Cookie" header) and Set-Cookie building with the attributes
// API.md requires: HttpOnly, SameSite, Path, Secure and the __Host- prefix when Secure.
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace sesame::http {

struct CookiePolicy {
  bool secure = true;
  std::string same_site = "Lax";  // "Lax" or "Strict"
};

// The session cookie's name: "__Host-sesame_session" when Secure, else "sesame_session".
std::string SessionCookieName(const CookiePolicy& policy);
// The device cookie's name (API.md "Device cookie"): "__Host-sesame_device" when Secure, else
// "sesame_device".
std::string DeviceCookieName(const CookiePolicy& policy);

// The refresh cookie's name (jwt mode): "__Secure-sesame_refresh" when Secure (__Host- does not
// allow a Path other than /), else "sesame_refresh".
std::string RefreshCookieName(const CookiePolicy& policy);

// The value of the first cookie named `name` in a Cookie header; nullopt if absent.
std::optional<std::string_view> FindCookie(std::string_view cookie_header, std::string_view name);

// max_age_seconds < 0: a browser-session cookie (no Max-Age); 0: delete it.
std::string BuildSetCookie(std::string_view name, std::string_view value,
                           const CookiePolicy& policy, long long max_age_seconds,
                           std::string_view path = "/");

}  // namespace sesame::http
