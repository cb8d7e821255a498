#include "http/body.h"

#include <nlohmann/json.hpp>

namespace sesame::http {
namespace {

tl::unexpected<Error> Bad(std::string detail) {
  return MakeError(ErrorCode::kInvalidRequest, std::move(detail));
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

Result<BodyFields> ParseForm(std::string_view body, std::span<const FieldSpec> specs) {
  BodyFields out;
  out.is_form = true;
  bool malformed = false;
  ForEachFormPair(body, [&](std::string_view raw_name, std::string_view raw_value) {
    auto name = FormDecode(raw_name);
    auto value = FormDecode(raw_value);
    if (!name || !value) {
      malformed = true;
      return false;
    }
    for (const FieldSpec& spec : specs) {
      if (spec.name != *name) {
        continue;
      }
      switch (spec.type) {
        case FieldType::kString:
          out.strings[*name] = *value;
          break;
        case FieldType::kBool:
          // An HTML checkbox sends "on" when ticked and nothing otherwise.
          out.bools[*name] = *value == "on" || *value == "true" || *value == "1";
          break;
        case FieldType::kStringList:
          out.lists[*name].push_back(*value);
          break;
      }
    }
    return true;
  });
  if (malformed) {
    return Bad("malformed form body");
  }
  return out;
}

Result<BodyFields> ParseJson(std::string_view body, std::span<const FieldSpec> specs) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Bad("malformed JSON body");
  }
  if (!doc.is_object()) {
    return Bad("the JSON body must be an object");
  }
  BodyFields out;
  for (const FieldSpec& spec : specs) {
    const auto it = doc.find(spec.name);
    if (it == doc.end() || it->is_null()) {
      continue;
    }
    const std::string name(spec.name);
    switch (spec.type) {
      case FieldType::kString:
        if (!it->is_string()) {
          return Bad("field \"" + name + "\" must be a string");
        }
        out.strings[name] = it->get<std::string>();
        break;
      case FieldType::kBool:
        if (!it->is_boolean()) {
          return Bad("field \"" + name + "\" must be true or false");
        }
        out.bools[name] = it->get<bool>();
        break;
      case FieldType::kStringList: {
        if (!it->is_array()) {
          return Bad("field \"" + name + "\" must be an array of strings");
        }
        std::vector<std::string> list;
        for (const auto& item : *it) {
          if (!item.is_string()) {
            return Bad("field \"" + name + "\" must be an array of strings");
          }
          list.push_back(item.get<std::string>());
        }
        out.lists[name] = std::move(list);
        break;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<std::string_view> BodyFields::String(std::string_view name) const {
  auto it = strings.find(name);
  if (it == strings.end()) {
    return std::nullopt;
  }
  const std::string_view value = it->second;
  return value;
}

std::optional<bool> BodyFields::Bool(std::string_view name) const {
  auto it = bools.find(name);
  if (it == bools.end()) {
    return std::nullopt;
  }
  return it->second;
}

const std::vector<std::string>* BodyFields::List(std::string_view name) const {
  auto it = lists.find(name);
  return it == lists.end() ? nullptr : &it->second;
}

bool IsFormRequest(const Request& request) {
  return StartsWithIgnoreCase(request.Header("Content-Type"), "application/x-www-form-urlencoded");
}

std::string FormField(const Request& request, std::string_view name) {
  if (!IsFormRequest(request)) {
    return {};
  }
  std::string value;
  ForEachFormPair(request.body, [&](std::string_view raw_name, std::string_view raw_value) {
    if (FormDecode(raw_name).value_or("") != name) {
      return true;
    }
    value = FormDecode(raw_value).value_or("");
    return false;
  });
  return value;
}

Result<BodyFields> ParseBody(const Request& request, std::span<const FieldSpec> specs,
                             bool allow_form) {
  const std::string_view type = request.Header("Content-Type");
  Result<BodyFields> fields;
  if (allow_form && IsFormRequest(request)) {
    fields = ParseForm(request.body, specs);
  } else if (StartsWithIgnoreCase(type, "application/json")) {
    fields = ParseJson(request.body, specs);
  } else {
    return Bad(allow_form ? "Content-Type must be application/json or a form"
                          : "Content-Type must be application/json");
  }
  if (!fields) {
    return fields;
  }
  for (const FieldSpec& spec : specs) {
    if (!spec.required) {
      continue;
    }
    const bool present = fields->strings.count(spec.name) || fields->bools.count(spec.name) ||
                         fields->lists.count(spec.name);
    if (!present) {
      return Bad("field \"" + std::string(spec.name) + "\" is required");
    }
  }
  return fields;
}

}  // namespace sesame::http
