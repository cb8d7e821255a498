#include "jose/jws.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "jose/strict_json.h"

namespace sesame::jose {
namespace {

tl::unexpected<Error> Invalid(std::string reason) {
  return MakeError(ErrorCode::kInvalidToken, std::move(reason));
}

// Large enough for RSA-8192 (1024 bytes); every other signature is shorter.
constexpr size_t kMaxSignatureSize = 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool TypMatches(std::string_view typ, std::string_view expected) {
  if (typ == expected) {
    return true;  // the usual case, without case folding
  }
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && EqualsIgnoreCase(typ.substr(0, kPrefix.size()), kPrefix)) {
    typ.remove_prefix(kPrefix.size());
  }
  return EqualsIgnoreCase(typ, expected);
}

Result<JwsParts> SplitCompact(std::string_view token) {
  if (token.size() > kMaxTokenSize) {
    return Invalid("token is larger than 8 KiB");
  }
  const size_t first = token.find('.');
  if (first == std::string_view::npos) {
    return Invalid("token is not a compact JWS (no '.')");
  }
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return Invalid("token has 2 segments; a compact JWS has 3");
  }
  if (token.find('.', second + 1) != std::string_view::npos) {
    // A JWE has 5 segments; anything other than 3 is not a JWS.
    return Invalid("token has more than 3 segments; a compact JWS has 3");
  }
  JwsParts parts;
  parts.header_b64 = token.substr(0, first);
  parts.payload_b64 = token.substr(first + 1, second - first - 1);
  parts.signature_b64 = token.substr(second + 1);
  parts.signing_input = token.substr(0, second);
  if (parts.header_b64.empty()) {
    return Invalid("token header is empty");
  }
  return parts;
}

Result<JwsHeader> ParseHeader(std::string_view header_b64) {
  thread_local detail::PaddedBuffer buffer;
  const auto size = Base64UrlDecodedSize(header_b64.size());
  if (!size) {
    return Invalid("token header is not canonical base64url");
  }
  if (!Base64UrlDecodeInto(header_b64, buffer.Prepare(*size))) {
    return Invalid("token header is not canonical base64url");
  }
  auto obj =
      detail::ParseStrictObjectPadded(detail::ThreadParser(0), buffer.view(*size), "token header");
  if (!obj) {
    return tl::unexpected(obj.error());
  }

  JwsHeader header;
  bool has_alg = false;
  bool has_b64 = false;
  simdjson::dom::array crit;
  bool has_crit = false;
  for (auto field : *obj) {
    const std::string_view key = field.key;
    if (key == "alg") {
      std::string_view name;
      if (field.value.get(name) != simdjson::SUCCESS) {
        return Invalid("token header \"alg\" is not a string");
      }
      if (EqualsIgnoreCase(name, "none")) {
        return Invalid("alg \"none\" is never accepted");
      }
      const auto alg = ParseAlgorithm(name);
      if (!alg) {
        return Invalid("token alg is not a supported algorithm");
      }
      header.alg = *alg;
      has_alg = true;
    } else if (key == "kid") {
      std::string_view kid;
      if (field.value.get(kid) != simdjson::SUCCESS) {
        return Invalid("token header \"kid\" is not a string");
      }
      header.kid = kid;
    } else if (key == "typ") {
      std::string_view typ;
      if (field.value.get(typ) != simdjson::SUCCESS) {
        return Invalid("token header \"typ\" is not a string");
      }
      header.typ = typ;
    } else if (key == "b64") {
      bool b64 = false;
      if (field.value.get(b64) != simdjson::SUCCESS || !b64) {
        return Invalid("token header \"b64\" must be true (unencoded payloads are not accepted)");
      }
      has_b64 = true;
    } else if (key == "crit") {
      if (field.value.get(crit) != simdjson::SUCCESS || crit.size() == 0) {
        return Invalid("token header \"crit\" must be a non-empty array");
      }
      has_crit = true;
    }
    // Other parameters (jwk, jku, x5u, x5c, cty, ...) are ignored: keys come only from the set.
  }
  if (!has_alg) {
    return Invalid("token header has no \"alg\"");
  }
  if (has_crit) {
    // RFC 7515 §4.1.11: every listed name must be understood and present.
    for (auto item : crit) {
      std::string_view name;
      if (item.get(name) != simdjson::SUCCESS) {
        return Invalid("token header \"crit\" must list names");
      }
      if (name != "b64") {
        return Invalid("token header \"crit\" lists a parameter sesame does not understand");
      }
      if (!has_b64) {
        return Invalid("token header \"crit\" lists \"b64\" but the header has none");
      }
    }
  }
  return header;
}

Result<const JwsHeader*> ParseHeaderCached(std::string_view header_b64) {
  struct Entry {
    std::string header_b64;
    JwsHeader header;
  };
  // A handful of entries covers a key rotation (old and new key) and a few issuers; replaced
  // round-robin. Headers are at most kMaxTokenSize, so each entry is bounded.
  constexpr size_t kEntries = 4;
  thread_local std::array<Entry, kEntries> cache;
  thread_local size_t filled = 0;
  thread_local size_t next = 0;
  for (size_t i = 0; i < filled; ++i) {
    if (cache[i].header_b64 == header_b64) {
      return &cache[i].header;
    }
  }
  auto header = ParseHeader(header_b64);
  if (!header) {
    return tl::unexpected(header.error());
  }
  Entry& slot = cache[next];
  next = (next + 1) % kEntries;
  filled = std::max(filled, next == 0 ? kEntries : next);
  slot.header_b64.assign(header_b64);
  slot.header = std::move(*header);
  return &slot.header;
}

Result<void> VerifySignature(const JwsParts& parts, const JwsHeader& header, const KeySet& keys) {
  const Jwk* key = header.kid.empty() ? keys.FindOnly(header.alg) : keys.Find(header.kid);
  if (key == nullptr) {
    return Invalid(header.kid.empty() ? "token has no kid and no single key fits its alg"
                                      : "token kid is not in the key set");
  }
  if (key->algorithm() != header.alg) {
    return Invalid("token alg " + std::string(AlgorithmName(header.alg)) +
                   " is not the key's algorithm " + std::string(AlgorithmName(key->algorithm())));
  }
  const auto size = Base64UrlDecodedSize(parts.signature_b64.size());
  if (!size || *size > kMaxSignatureSize) {
    return Invalid("token signature has the wrong length");
  }
  std::array<uint8_t, kMaxSignatureSize> signature;
  if (!Base64UrlDecodeInto(parts.signature_b64, signature)) {
    return Invalid("token signature is not canonical base64url");
  }
  if (!key->Verify(parts.signing_input, std::span<const uint8_t>(signature.data(), *size))) {
    return Invalid("token signature does not verify");
  }
  return {};
}

Result<VerifiedJws> VerifyCompact(std::string_view token, const KeySet& keys) {
  auto parts = SplitCompact(token);
  if (!parts) {
    return tl::unexpected(parts.error());
  }
  auto header = ParseHeader(parts->header_b64);
  if (!header) {
    return tl::unexpected(header.error());
  }
  if (auto verified = VerifySignature(*parts, *header, keys); !verified) {
    return tl::unexpected(verified.error());
  }
  auto payload = Base64UrlDecode(parts->payload_b64);
  if (!payload) {
    return Invalid("token payload is not canonical base64url");
  }
  return VerifiedJws{std::move(*header), std::move(*payload)};
}

Result<std::string> SignCompact(const Jwk& key, std::string_view payload, std::string_view typ) {
  nlohmann::ordered_json header;
  header["alg"] = AlgorithmName(key.algorithm());
  if (!typ.empty()) {
    header["typ"] = typ;
  }
  header["kid"] = key.kid();
  std::string token = Base64UrlEncode(header.dump());
  token += '.';
  Base64UrlEncodeAppend(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()),
      token);
  auto signature = key.Sign(token);
  if (!signature) {
    return tl::unexpected(signature.error());
  }
  token += '.';
  token += Base64UrlEncode(*signature);
  return token;
}

}  // namespace sesame::jose
