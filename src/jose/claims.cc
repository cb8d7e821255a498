#include "jose/claims.h"

#include <cmath>
#include <limits>

#include "jose/strict_json.h"

namespace sesame::jose {
namespace {

tl::unexpected<Error> Invalid(std::string reason) {
  return MakeError(ErrorCode::kInvalidToken, std::move(reason));
}

// RFC 7519 §2: a NumericDate is a JSON number of seconds, possibly with a fraction. Values far
// outside any real date are clamped so the arithmetic below cannot overflow.
constexpr int64_t kMaxDate = int64_t{1} << 53;

std::optional<int64_t> NumericDate(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64:
      return std::clamp(value.get_int64().value_unsafe(), -kMaxDate, kMaxDate);
    case simdjson::dom::element_type::UINT64:
      return kMaxDate;  // only values above INT64_MAX are typed UINT64
    case simdjson::dom::element_type::DOUBLE: {
      const double d = value.get_double().value_unsafe();
      if (!std::isfinite(d)) {
        return std::nullopt;
      }
      const double clamped =
          std::clamp(std::floor(d), -static_cast<double>(kMaxDate), static_cast<double>(kMaxDate));
      return static_cast<int64_t>(clamped);
    }
    default:
      return std::nullopt;
  }
}

Result<void> ReadString(simdjson::dom::element value, std::string_view name,
                        std::optional<std::string>& out) {
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) {
    return Invalid("claim \"" + std::string(name) + "\" must be a string");
  }
  out.emplace(text);
  return {};
}

Result<void> ReadDate(simdjson::dom::element value, std::string_view name,
                      std::optional<int64_t>& out) {
  out = NumericDate(value);
  if (!out) {
    return Invalid("claim \"" + std::string(name) + "\" must be a number of seconds");
  }
  return {};
}

Result<void> ReadStringList(simdjson::dom::element value, std::string_view name, bool allow_single,
                            std::vector<std::string>& out) {
  std::string_view single;
  if (allow_single && value.get(single) == simdjson::SUCCESS) {
    out.emplace_back(single);
    return {};
  }
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) {
    return Invalid("claim \"" + std::string(name) + "\" must be " +
                   (allow_single ? "a string or " : "") + "an array of strings");
  }
  out.reserve(array.size());
  for (auto item : array) {
    std::string_view text;
    if (item.get(text) != simdjson::SUCCESS) {
      return Invalid("claim \"" + std::string(name) + "\" must hold only strings");
    }
    out.emplace_back(text);
  }
  return {};
}

Result<void> ReadClaim(std::string_view key, simdjson::dom::element value, Claims& claims) {
  if (key == "iss") {
    return ReadString(value, key, claims.iss);
  }
  if (key == "sub") {
    return ReadString(value, key, claims.sub);
  }
  if (key == "jti") {
    return ReadString(value, key, claims.jti);
  }
  if (key == "sid") {
    return ReadString(value, key, claims.sid);
  }
  if (key == "exp") {
    return ReadDate(value, key, claims.exp);
  }
  if (key == "nbf") {
    return ReadDate(value, key, claims.nbf);
  }
  if (key == "iat") {
    return ReadDate(value, key, claims.iat);
  }
  if (key == "aud") {
    claims.aud.emplace();
    return ReadStringList(value, key, true, *claims.aud);
  }
  if (key == "roles") {
    return ReadStringList(value, key, false, claims.roles);
  }
  return {};  // private claims are allowed and ignored
}

}  // namespace

Result<Claims> ParseClaims(std::string_view payload_json,
                           const std::vector<std::string>& required_claims) {
  auto obj = detail::ParseStrictObject(detail::ThreadParser(1), payload_json, "token payload");
  if (!obj) {
    return tl::unexpected(obj.error());
  }
  Claims claims;
  for (auto field : *obj) {
    if (auto read = ReadClaim(field.key, field.value, claims); !read) {
      return tl::unexpected(read.error());
    }
  }
  for (const std::string& name : required_claims) {
    if (obj->at_key(name).error() == simdjson::NO_SUCH_FIELD) {
      return Invalid("token lacks the required claim \"" + name + "\"");
    }
  }
  return claims;
}

Result<void> ValidateClaims(const Claims& claims, const ClaimsPolicy& policy, TimePoint now) {
  const int64_t t = ToUnixSeconds(now);
  const int64_t leeway = policy.leeway.count();
  if (claims.exp && t >= *claims.exp + leeway) {
    return MakeError(ErrorCode::kTokenExpired, "token expired at " + std::to_string(*claims.exp) +
                                                   " (" + std::to_string(t - *claims.exp) +
                                                   " s ago)");
  }
  if (claims.nbf && t + leeway < *claims.nbf) {
    return Invalid("token is not valid before " + std::to_string(*claims.nbf));
  }
  if (claims.iat && t + leeway < *claims.iat) {
    return Invalid("token was issued in the future (iat " + std::to_string(*claims.iat) + ")");
  }
  if (!policy.issuer.empty() && claims.iss != policy.issuer) {
    return Invalid("token iss is not the expected issuer");
  }
  if (!policy.audience.empty()) {
    bool found = false;
    if (claims.aud) {
      for (const std::string& aud : *claims.aud) {
        found = found || aud == policy.audience;
      }
    }
    if (!found) {
      return Invalid("token aud does not include the expected audience");
    }
  }
  return {};
}

}  // namespace sesame::jose
