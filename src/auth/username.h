#pragma once

// Username and password shape rules of API.md: usernames are 1-64 characters after Unicode
// NFC normalisation and compare case-insensitively (by their NFC case fold); passwords are
// 8-1024 characters. Both must be valid UTF-8 without control characters (passwords may
// contain spaces). Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/result.h"

namespace sesame::auth {

struct Username {
  std::string display;  // NFC, as written
  std::string key;      // NFC case fold: what is unique and looked up
};

// kInvalidRequest naming the rule that failed.
[[nodiscard]] Result<Username> NormalizeUsername(std::string_view raw);
[[nodiscard]] Result<void> CheckPasswordShape(std::string_view password);

}  // namespace sesame::auth
