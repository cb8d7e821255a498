#pragma once

// Username and password shape rules of API.md. A username is normalised to Unicode NFKC first;
// that form must be 1-64 characters without control characters, white space, bidi controls
// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) or other default-ignorable code
// points, and it compares case-insensitively, by its NFKC case fold. Passwords are 8-1024
// characters, not normalised. Both must be valid UTF-8 without control characters (passwords
// may contain spaces). The confusable skeleton of a name is in auth/username_skeleton.h.
// Implemented with ICU. Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "common/result.h"

namespace sesame::auth {

struct Username {
  std::string display;  // NFKC, as written: what is shown, and what X-Sesame-Username carries
  std::string key;      // NFKC case fold (NFKC_Casefold) of display: unique, looked up
};

// kInvalidRequest naming the rule that failed.
[[nodiscard]] Result<Username> NormalizeUsername(std::string_view raw);

// The NFKC case fold of any valid UTF-8 text, without the shape rules (it drops
// default-ignorable code points rather than refusing them): the key of a name stored before
// the rules, for comparing it with names made under them. kInvalidRequest if not UTF-8.
[[nodiscard]] Result<std::string> FoldUsername(std::string_view text);

// `text` (a stored name) made safe for a log line or a terminal: control, white-space, bidi
// control and other default-ignorable code points are written as <U+XXXX>, ill-formed bytes as
// <0xXX>, everything else as it is. A name stored before the rules may hold any of them.
[[nodiscard]] std::string PrintableUsername(std::string_view text);

[[nodiscard]] Result<void> CheckPasswordShape(std::string_view password);

}  // namespace sesame::auth
