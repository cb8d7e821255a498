#include "http/pages/user_agent.h"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace sesame::http {
namespace {

TEST(DescribeUserAgent, NamesCommonBrowsersAndSystems) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
       "Safari/537.36",
       "Chrome 126 on Linux"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
       "Firefox 128 on Windows"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
       "Edge 126 on Windows"},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
       "Safari 17 on iPhone"},
      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.5 Safari/605.1.15",
       "Safari 17 on macOS"},
      {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/126.0.6478.122 Mobile Safari/537.36",
       "Chrome 126 on Android"},
      {"Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) "
       "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
       "Samsung Internet 25 on Android"},
      {"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "CriOS/126.0.6478.153 Mobile/15E148 Safari/604.1",
       "Chrome 126 on iPad"},
      {"curl/8.5.0", "curl 8"},
      {"python-requests/2.31.0", "Python 2"},
      {"", "Unknown device"},
      {"SomeBot", "Other client"},
      {"Mozilla/5.0 (X11; Linux x86_64)", "Browser on Linux"},
  };
  for (const auto& [ua, want] : cases) {
    EXPECT_EQ(DescribeUserAgent(ua), want) << ua;
  }
}

TEST(DescribeUserAgent, AVersionIsDigitsOnlyAndShort) {
  EXPECT_EQ(DescribeUserAgent("curl/<b>"), "curl");
  EXPECT_EQ(DescribeUserAgent("curl/12345678901"), "curl 123456");
}

}  // namespace
}  // namespace sesame::http
