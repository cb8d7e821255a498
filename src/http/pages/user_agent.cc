#include "http/pages/user_agent.h"

#include <array>

namespace sesame::http {
namespace {

struct Token {
  std::string_view marker;  // as it appears in the header, followed by '/' and a version
  std::string_view name;
};

// First match wins, so browsers built on others come before them (Edge and Opera say
// "Chrome/" too; Chrome says "Safari/").
constexpr std::array<Token, 12> kBrowsers{{
    {"Edg/", "Edge"},
    {"EdgA/", "Edge"},
    {"OPR/", "Opera"},
    {"SamsungBrowser/", "Samsung Internet"},
    {"Firefox/", "Firefox"},
    {"FxiOS/", "Firefox"},
    {"HeadlessChrome/", "Headless Chrome"},
    {"CriOS/", "Chrome"},
    {"Chrome/", "Chrome"},
    {"curl/", "curl"},
    {"python-requests/", "Python"},
    {"Python-urllib/", "Python"},
}};

struct System {
  std::string_view marker;
  std::string_view name;
};

constexpr std::array<System, 8> kSystems{{
    {"iPhone", "iPhone"},
    {"iPad", "iPad"},
    {"Android", "Android"},
    {"Windows", "Windows"},
    {"CrOS", "ChromeOS"},
    {"Macintosh", "macOS"},
    {"Mac OS X", "macOS"},
    {"Linux", "Linux"},
}};

// The major version after `marker` ("Firefox/128.0" → "128"); empty if none.
std::string_view MajorVersion(std::string_view user_agent, size_t marker_end) {
  size_t end = marker_end;
  while (end < user_agent.size() && end - marker_end < 6 && user_agent[end] >= '0' &&
         user_agent[end] <= '9') {
    ++end;
  }
  return user_agent.substr(marker_end, end - marker_end);
}

}  // namespace

std::string DescribeUserAgent(std::string_view user_agent) {
  std::string browser;
  for (const Token& token : kBrowsers) {
    if (const size_t at = user_agent.find(token.marker); at != std::string_view::npos) {
      browser = std::string(token.name);
      if (const auto version = MajorVersion(user_agent, at + token.marker.size());
          !version.empty()) {
        browser.append(" ").append(version);
      }
      break;
    }
  }
  // Safari names itself by "Version/x ... Safari/"; other WebKit browsers matched above.
  if (browser.empty() && user_agent.find("Safari/") != std::string_view::npos) {
    browser = "Safari";
    if (const size_t at = user_agent.find("Version/"); at != std::string_view::npos) {
      if (const auto version = MajorVersion(user_agent, at + 8); !version.empty()) {
        browser.append(" ").append(version);
      }
    }
  }
  std::string_view system;
  for (const System& s : kSystems) {
    if (user_agent.find(s.marker) != std::string_view::npos) {
      system = s.name;
      break;
    }
  }
  if (browser.empty() && system.empty()) {
    return user_agent.empty() ? "Unknown device" : "Other client";
  }
  if (browser.empty()) {
    return "Browser on " + std::string(system);
  }
  if (system.empty()) {
    return browser;
  }
  return browser + " on " + std::string(system);
}

}  // namespace sesame::http
