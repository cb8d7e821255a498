#pragma once

// Strict JSON for untrusted JOSE input, on simdjson's DOM parser: the text must be one object,
// valid UTF-8, no member name twice in any object (RFC 7515 §5.2 step 4, RFC 7519 §4), nesting at
// most kMaxJsonDepth deep. Private to jose/*.cc: simdjson types stay out of every other header.
// A parser is not thread-safe; each thread keeps its own (ThreadParser), and a parsed document
// (with every string view into it) lives only until the next parse on the same parser.

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "common/result.h"

namespace sesame::jose::detail {

inline constexpr size_t kMaxJsonDepth = 16;

// A parser for this thread, limited to kMaxJsonDepth. Slots 0 and 1 are independent, for when
// two documents must be alive at once.
simdjson::dom::parser& ThreadParser(int slot = 0);

// Parses text that is followed in memory by at least simdjson::SIMDJSON_PADDING readable bytes
// (see PaddedBuffer). what names the document in errors ("token header").
Result<simdjson::dom::object> ParseStrictObjectPadded(simdjson::dom::parser& parser,
                                                      std::string_view text, std::string_view what);
// The same for any text; copies it into padded per-thread memory first.
Result<simdjson::dom::object> ParseStrictObject(simdjson::dom::parser& parser,
                                                std::string_view text, std::string_view what);

// Like ParseStrictObjectPadded, but leaves the duplicate-name check to the caller, who must then
// check every object with the functions below. For parsers that already dispatch on each member
// and can spot repeats of the names they know more cheaply.
Result<simdjson::dom::object> ParseObjectPadded(simdjson::dom::parser& parser,
                                                std::string_view text, std::string_view what);
// True if a name occurs twice among these names (escapes already resolved by simdjson).
bool HasDuplicateNames(std::span<const std::string_view> names);
// True if some object anywhere inside element (itself included) has a name twice.
bool HasDuplicateKeysAnywhere(simdjson::dom::element element);

// A growable byte buffer that keeps simdjson's padding after its contents; one per thread and
// purpose, so decoding a token allocates nothing after warm-up.
class PaddedBuffer {
 public:
  // Room for size bytes plus padding; returns the writable span of size bytes.
  std::span<uint8_t> Prepare(size_t size);
  std::string_view view(size_t size) const {
    return {reinterpret_cast<const char*>(bytes_.data()), size};
  }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace sesame::jose::detail
