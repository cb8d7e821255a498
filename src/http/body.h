#pragma once

// Request bodies: a JSON object (application/json) or, where a route allows it, an HTML form
// (application/x-www-form-urlencoded), read into typed fields by a small spec. Malformed
// input, a missing required field or a wrong type is kInvalidRequest naming the field.
// Unknown fields are ignored. Pure functions; thread-safe.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "http/request.h"

namespace sesame::http {

enum class FieldType { kString, kBool, kStringList };

struct FieldSpec {
  std::string_view name;
  FieldType type = FieldType::kString;
  bool required = false;
};

struct BodyFields {
  bool is_form = false;
  std::map<std::string, std::string, std::less<>> strings;
  std::map<std::string, bool, std::less<>> bools;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;

  std::optional<std::string_view> String(std::string_view name) const;
  std::optional<bool> Bool(std::string_view name) const;
  const std::vector<std::string>* List(std::string_view name) const;
};

[[nodiscard]] Result<BodyFields> ParseBody(const Request& request, std::span<const FieldSpec> specs,
                                           bool allow_form);

bool IsFormRequest(const Request& request);

// One field of a form body, decoded; empty if the body is not a form, or lacks or garbles it.
std::string FormField(const Request& request, std::string_view name);

}  // namespace sesame::http
