#pragma once

// A short, human name for a device from its User-Agent header ("Firefox 128 on Windows",
// "Safari on iPhone", "curl 8"), for the device lists. A best guess from well-known tokens,
// never a security decision: the header is whatever the client says. Pure; thread-safe.

#include <string>
#include <string_view>

namespace sesame::http {

std::string DescribeUserAgent(std::string_view user_agent);

}  // namespace sesame::http
