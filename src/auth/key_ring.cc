#include "auth/key_ring.h"

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/files.h"

namespace sesame::auth {
namespace {

constexpr int kFormatVersion = 1;

Result<RingKey> NewKey(jose::Algorithm alg, KeyState state, TimePoint now) {
  auto jwk = jose::Jwk::Generate(alg);
  if (!jwk) {
    return tl::unexpected(jwk.error());
  }
  return RingKey{std::move(*jwk), state, now, std::nullopt};
}

tl::unexpected<Error> Bad(const std::string& path, const std::string& what) {
  return MakeError(ErrorCode::kInvalidKey, path + ": " + what);
}

}  // namespace

std::string_view KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kActive:
      return "active";
    case KeyState::kNext:
      return "next";
    case KeyState::kRetired:
      return "retired";
  }
  return "retired";
}

Result<KeyRing> KeyRing::Create(jose::Algorithm alg, TimePoint now) {
  auto active = NewKey(alg, KeyState::kActive, now);
  if (!active) {
    return tl::unexpected(active.error());
  }
  auto next = NewKey(alg, KeyState::kNext, now);
  if (!next) {
    return tl::unexpected(next.error());
  }
  std::vector<RingKey> keys;
  keys.push_back(std::move(*active));
  keys.push_back(std::move(*next));
  return KeyRing(std::move(keys));
}

Result<KeyRing> KeyRing::Load(const std::string& path) {
  auto text = ReadSecretFile(path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  const auto doc = nlohmann::json::parse(text->view(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array() ||
      doc.value("sesame_key_ring", 0) != kFormatVersion) {
    return Bad(path, "not a sesame key ring (version " + std::to_string(kFormatVersion) + ")");
  }
  std::vector<RingKey> keys;
  int active = 0;
  int next = 0;
  for (const auto& item : doc["keys"]) {
    if (!item.is_object() || !item.contains("jwk") || !item["jwk"].is_object() ||
        !item.contains("state") || !item["state"].is_string() || !item.contains("created_at") ||
        !item["created_at"].is_number_integer()) {
      return Bad(path, "a key entry needs jwk, state and created_at");
    }
    auto jwk = jose::Jwk::FromJson(item["jwk"].dump());
    if (!jwk) {
      return Bad(path, jwk.error().detail);
    }
    if (!jwk->has_private()) {
      return Bad(path, "key " + jwk->kid() + " has no private half");
    }
    const std::string state = item["state"].get<std::string>();
    RingKey key{std::move(*jwk), KeyState::kRetired,
                FromUnixSeconds(item["created_at"].get<int64_t>()), std::nullopt};
    if (state == "active") {
      key.state = KeyState::kActive;
      ++active;
    } else if (state == "next") {
      key.state = KeyState::kNext;
      ++next;
    } else if (state == "retired") {
      if (!item.contains("retired_at") || !item["retired_at"].is_number_integer()) {
        return Bad(path, "a retired key needs retired_at");
      }
      key.retired_at = FromUnixSeconds(item["retired_at"].get<int64_t>());
    } else {
      return Bad(path, "unknown key state \"" + state + "\"");
    }
    keys.push_back(std::move(key));
  }
  if (active != 1 || next != 1) {
    return Bad(path, "a key ring has exactly one active and one next key");
  }
  return KeyRing(std::move(keys));
}

Result<KeyRing> KeyRing::LoadOrCreate(const std::string& path, jose::Algorithm alg, TimePoint now) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return Load(path);
  }
  auto ring = Create(alg, now);
  if (!ring) {
    return ring;
  }
  if (auto saved = ring->Save(path); !saved) {
    return tl::unexpected(saved.error());
  }
  return ring;
}

Result<void> KeyRing::Save(const std::string& path) const {
  nlohmann::json doc = {{"sesame_key_ring", kFormatVersion}, {"keys", nlohmann::json::array()}};
  for (const RingKey& key : keys_) {
    nlohmann::json entry = {{"state", KeyStateName(key.state)},
                            {"created_at", ToUnixSeconds(key.created_at)},
                            {"jwk", nlohmann::json::parse(key.jwk.ToJson(true))}};
    if (key.retired_at) {
      entry["retired_at"] = ToUnixSeconds(*key.retired_at);
    }
    doc["keys"].push_back(std::move(entry));
  }
  std::string text = doc.dump(2) + "\n";
  auto written = WriteFileAtomically(path, text, 0600);
  SecureWipe(text.data(), text.size());
  return written;
}

Result<void> KeyRing::Rotate(jose::Algorithm next_alg, TimePoint now, Seconds token_lifetime,
                             bool force) {
  auto next = std::find_if(keys_.begin(), keys_.end(),
                           [](const RingKey& k) { return k.state == KeyState::kNext; });
  if (!force && now - next->created_at < kJwksMaxAge) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "the next key was published " +
                         std::to_string((now - next->created_at).count()) +
                         " s ago and verifiers may cache the JWKS for " +
                         std::to_string(kJwksMaxAge.count()) + " s; wait, or force the rotation");
  }
  auto fresh = NewKey(next_alg, KeyState::kNext, now);
  if (!fresh) {
    return tl::unexpected(fresh.error());
  }
  for (RingKey& key : keys_) {
    if (key.state == KeyState::kActive) {
      key.state = KeyState::kRetired;
      key.retired_at = now;
    } else if (key.state == KeyState::kNext) {
      key.state = KeyState::kActive;
    }
  }
  std::erase_if(keys_, [&](const RingKey& k) {
    return k.state == KeyState::kRetired && *k.retired_at + token_lifetime <= now;
  });
  keys_.push_back(std::move(*fresh));
  return {};
}

const jose::Jwk& KeyRing::active() const {
  for (const RingKey& key : keys_) {
    if (key.state == KeyState::kActive) {
      return key.jwk;
    }
  }
  return keys_.front().jwk;  // unreachable: Load and Create guarantee an active key
}

Result<jose::KeySet> KeyRing::VerificationKeys(TimePoint now, Seconds token_lifetime) const {
  std::vector<jose::Jwk> keys;
  for (const RingKey& key : keys_) {
    if (key.state == KeyState::kRetired && *key.retired_at + token_lifetime <= now) {
      continue;
    }
    if (key.jwk.is_symmetric()) {
      keys.push_back(key.jwk);
      continue;
    }
    auto pub = key.jwk.PublicOnly();
    if (!pub) {
      return tl::unexpected(pub.error());
    }
    keys.push_back(std::move(*pub));
  }
  return jose::KeySet::Create(std::move(keys));
}

}  // namespace sesame::auth
