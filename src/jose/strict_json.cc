#include "jose/strict_json.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sesame::jose::detail {
namespace {

// Up to this many names are compared pairwise (fast for real tokens, about ten members); more
// are sorted, so a crafted 8 KiB object cannot cost quadratic time.
constexpr size_t kPairwiseLimit = 16;

Result<simdjson::dom::object> RootObject(simdjson::simdjson_result<simdjson::dom::element> doc,
                                         std::string_view what) {
  if (doc.error()) {
    return MakeError(ErrorCode::kInvalidToken, std::string(what) + " is not valid JSON (" +
                                                   simdjson::error_message(doc.error()) + ")");
  }
  simdjson::dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kInvalidToken, std::string(what) + " is not a JSON object");
  }
  return root;
}

bool ObjectHasDuplicateKeys(simdjson::dom::object object) {
  const size_t n = object.size();
  if (n < 2) {
    return false;
  }
  if (n <= kPairwiseLimit) {
    std::string_view keys[kPairwiseLimit];
    size_t i = 0;
    for (simdjson::dom::key_value_pair field : object) {
      keys[i++] = field.key;
    }
    return HasDuplicateNames(std::span<const std::string_view>(keys, n));
  }
  std::vector<std::string_view> keys;
  keys.reserve(n);
  for (simdjson::dom::key_value_pair field : object) {
    keys.push_back(field.key);
  }
  return HasDuplicateNames(keys);
}

}  // namespace

bool HasDuplicateNames(std::span<const std::string_view> names) {
  if (names.size() <= kPairwiseLimit) {
    for (size_t i = 1; i < names.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        // Length and first byte first: most pairs differ there, and the full compare is a call.
        if (names[i].size() == names[j].size() &&
            (names[i].empty() || names[i][0] == names[j][0]) && names[i] == names[j]) {
          return true;
        }
      }
    }
    return false;
  }
  std::vector<std::string_view> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
}

// Depth is bounded by the parser's max_depth, so this recursion is too.
bool HasDuplicateKeysAnywhere(simdjson::dom::element element) {
  simdjson::dom::object object;
  if (element.get(object) == simdjson::SUCCESS) {
    if (ObjectHasDuplicateKeys(object)) {
      return true;
    }
    for (simdjson::dom::key_value_pair field : object) {
      if (HasDuplicateKeysAnywhere(field.value)) {
        return true;
      }
    }
    return false;
  }
  simdjson::dom::array array;
  if (element.get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) {
      if (HasDuplicateKeysAnywhere(item)) {
        return true;
      }
    }
  }
  return false;
}

simdjson::dom::parser& ThreadParser(int slot) {
  thread_local simdjson::dom::parser parsers[2] = {
      simdjson::dom::parser(simdjson::SIMDJSON_MAXSIZE_BYTES),
      simdjson::dom::parser(simdjson::SIMDJSON_MAXSIZE_BYTES)};
  thread_local bool configured = false;
  if (!configured) {
    for (auto& p : parsers) {
      // Capacity grows on demand; only the depth is fixed here.
      if (p.allocate(4096, kMaxJsonDepth) != simdjson::SUCCESS) {
        std::abort();  // out of memory at thread start
      }
    }
    configured = true;
  }
  return parsers[slot & 1];
}

Result<simdjson::dom::object> ParseObjectPadded(simdjson::dom::parser& parser,
                                                std::string_view text, std::string_view what) {
  return RootObject(parser.parse(text.data(), text.size(), /*realloc_if_needed=*/false), what);
}

Result<simdjson::dom::object> ParseStrictObjectPadded(simdjson::dom::parser& parser,
                                                      std::string_view text,
                                                      std::string_view what) {
  auto doc = parser.parse(text.data(), text.size(), /*realloc_if_needed=*/false);
  auto root = RootObject(doc, what);
  if (root && HasDuplicateKeysAnywhere(doc.value_unsafe())) {
    return MakeError(ErrorCode::kInvalidToken,
                     std::string(what) + " has a member name more than once");
  }
  return root;
}

Result<simdjson::dom::object> ParseStrictObject(simdjson::dom::parser& parser,
                                                std::string_view text, std::string_view what) {
  // simdjson's own copying path allocates a fresh padded buffer per call; a per-thread scratch
  // buffer does not. The parsed document keeps its strings in the parser, not in this buffer.
  thread_local PaddedBuffer scratch;
  std::span<uint8_t> room = scratch.Prepare(text.size());
  if (!text.empty()) {
    std::memcpy(room.data(), text.data(), text.size());
  }
  return ParseStrictObjectPadded(parser, scratch.view(text.size()), what);
}

std::span<uint8_t> PaddedBuffer::Prepare(size_t size) {
  if (bytes_.size() < size + simdjson::SIMDJSON_PADDING) {
    bytes_.resize(size + simdjson::SIMDJSON_PADDING);
  }
  return {bytes_.data(), size};
}

}  // namespace sesame::jose::detail
