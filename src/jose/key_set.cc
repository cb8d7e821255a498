#include "jose/key_set.h"

#include <simdjson.h>

#include "jose/strict_json.h"

namespace sesame::jose {

Result<KeySet> KeySet::Create(std::vector<Jwk> keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (keys[i].kid() == keys[j].kid()) {
        return MakeError(ErrorCode::kInvalidKey, "two keys share kid \"" + keys[i].kid() + "\"");
      }
    }
  }
  return KeySet(std::move(keys));
}

Result<KeySet> KeySet::FromJson(std::string_view json) {
  auto obj = detail::ParseStrictObject(detail::ThreadParser(0), json, "JWKS");
  if (!obj) {
    return MakeError(ErrorCode::kInvalidKey, obj.error().detail);
  }
  simdjson::dom::element keys_member;
  if (obj->at_key("keys").get(keys_member) == simdjson::NO_SUCH_FIELD) {
    auto single = Jwk::FromJson(json);  // a lone JWK
    if (!single) {
      return tl::unexpected(single.error());
    }
    std::vector<Jwk> one;
    one.push_back(std::move(*single));
    return KeySet(std::move(one));
  }
  simdjson::dom::array array;
  if (keys_member.get(array) != simdjson::SUCCESS) {
    return MakeError(ErrorCode::kInvalidKey, "JWKS \"keys\" must be an array");
  }
  // Jwk::FromJson parses on its own parser slot; serialise each member first, because the
  // document behind `array` lives on this thread's slot-0 parser.
  std::vector<std::string> members;
  for (simdjson::dom::element item : array) {
    std::string_view use;
    if (item.is_object() && item["use"].get(use) == simdjson::SUCCESS && use == "enc") {
      continue;
    }
    members.push_back(simdjson::minify(item));
  }
  std::vector<Jwk> keys;
  for (size_t i = 0; i < members.size(); ++i) {
    auto key = Jwk::FromJson(members[i]);
    if (!key) {
      return MakeError(ErrorCode::kInvalidKey,
                       "JWKS key " + std::to_string(i) + ": " + key.error().detail);
    }
    keys.push_back(std::move(*key));
  }
  return Create(std::move(keys));
}

const Jwk* KeySet::Find(std::string_view kid) const {
  for (const Jwk& key : keys_) {
    if (key.kid() == kid) {
      return &key;
    }
  }
  return nullptr;
}

const Jwk* KeySet::FindOnly(Algorithm alg) const {
  const Jwk* found = nullptr;
  for (const Jwk& key : keys_) {
    if (key.algorithm() == alg) {
      if (found != nullptr) {
        return nullptr;
      }
      found = &key;
    }
  }
  return found;
}

KeySet KeySet::PublicOnly() const {
  std::vector<Jwk> keys;
  for (const Jwk& key : keys_) {
    if (auto pub = key.PublicOnly()) {
      keys.push_back(std::move(*pub));
    }
  }
  return KeySet(std::move(keys));
}

std::string KeySet::ToJson(bool include_private) const {
  std::string out = R"({"keys":[)";
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    out += keys_[i].ToJson(include_private);
  }
  out += "]}";
  return out;
}

}  // namespace sesame::jose
