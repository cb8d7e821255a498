#include "jose/claims.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "jose/strict_json.h"

namespace sesame::jose {
namespace {

tl::unexpected<Error> Invalid(std::string reason) {
  return MakeError(ErrorCode::kInvalidToken, std::move(reason));
}

// The claims sesame reads, in the order of this table; their index is a bit in a seen-mask, so a
// repeated registered name is caught without comparing names.
enum Known { kIss, kSub, kJti, kSid, kExp, kNbf, kIat, kAud, kRoles, kUsername, kKnownCount };
constexpr std::array<std::string_view, kKnownCount> kKnownNames = {
    "iss", "sub", "jti", "sid", "exp", "nbf", "iat", "aud", "roles", "preferred_username"};

inline int KnownIndex(std::string_view key) {
  if (key.size() == 5) {
    return key == "roles" ? kRoles : -1;
  }
  if (key.size() == 18) {
    return key == "preferred_username" ? kUsername : -1;
  }
  if (key.size() != 3) {
    return -1;
  }
  // Every registered name has three letters: dispatch on the first, confirm the other two.
  auto is = [&](const char* name) { return key[1] == name[1] && key[2] == name[2]; };
  switch (key[0]) {
    case 'i':
      return is("iss") ? kIss : is("iat") ? kIat : -1;
    case 's':
      return is("sub") ? kSub : is("sid") ? kSid : -1;
    case 'j':
      return is("jti") ? kJti : -1;
    case 'e':
      return is("exp") ? kExp : -1;
    case 'n':
      return is("nbf") ? kNbf : -1;
    case 'a':
      return is("aud") ? kAud : -1;
    default:
      return -1;
  }
}

// RFC 7519 §2: a NumericDate is a JSON number of seconds, possibly with a fraction. Values far
// outside any real date are clamped so the arithmetic below cannot overflow.
constexpr int64_t kMaxDate = int64_t{1} << 53;

namespace od = simdjson::ondemand;

std::optional<int64_t> NumericDate(od::value value) {
  od::number number;
  if (value.get_number().get(number) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  switch (number.get_number_type()) {
    case od::number_type::signed_integer:
      return std::clamp(number.get_int64(), -kMaxDate, kMaxDate);
    case od::number_type::unsigned_integer:
      return kMaxDate;  // only values above INT64_MAX are unsigned
    case od::number_type::floating_point_number: {
      const double d = number.get_double();
      if (!std::isfinite(d)) {
        return std::nullopt;
      }
      return static_cast<int64_t>(
          std::clamp(std::floor(d), -static_cast<double>(kMaxDate), static_cast<double>(kMaxDate)));
    }
  }
  return std::nullopt;
}

tl::unexpected<Error> WrongType(int index, const char* expected) {
  return Invalid("claim \"" + std::string(kKnownNames[index]) + "\" must be " + expected);
}

tl::unexpected<Error> NotJson(simdjson::error_code error) {
  return Invalid(std::string("token payload is not valid JSON (") + simdjson::error_message(error) +
                 ")");
}

tl::unexpected<Error> Duplicate() {
  return Invalid("token payload has a member name more than once");
}

// Fills out with the strings of value (an array of strings, or one string if allow_single).
bool ReadStringList(od::value value, bool allow_single, std::vector<std::string_view>& out) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) {
    return false;
  }
  if (allow_single && type == od::json_type::string) {
    std::string_view single;
    if (value.get_string().get(single) != simdjson::SUCCESS) {
      return false;
    }
    out.push_back(single);
    return true;
  }
  od::array array;
  if (type != od::json_type::array || value.get_array().get(array) != simdjson::SUCCESS) {
    return false;
  }
  for (auto item : array) {
    std::string_view text;
    if (item.get_string().get(text) != simdjson::SUCCESS) {
      return false;
    }
    out.push_back(text);
  }
  return true;
}

// Consumes value completely, so that everything in it has been checked: simdjson's On-Demand
// parser validates only what is read. Objects must not repeat a name; depth counts from the
// root object at 1 and is bounded as for the DOM parser.
Result<void> ValidateValue(od::value value, size_t depth) {
  if (depth > detail::kMaxJsonDepth) {
    return Invalid("token payload nests deeper than " + std::to_string(detail::kMaxJsonDepth));
  }
  od::json_type type;
  if (auto error = value.type().get(type); error != simdjson::SUCCESS) {
    return NotJson(error);
  }
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if ((error = value.get_object().get(object)) != simdjson::SUCCESS) {
        return NotJson(error);
      }
      std::vector<std::string_view> names;
      for (auto field_result : object) {
        if (field_result.error() != simdjson::SUCCESS) {
          return NotJson(field_result.error());
        }
        od::field field = std::move(field_result).value_unsafe();
        std::string_view key;
        if ((error = field.unescaped_key().get(key)) != simdjson::SUCCESS) {
          return NotJson(error);
        }
        names.push_back(key);
        if (auto valid = ValidateValue(field.value(), depth + 1); !valid) {
          return valid;
        }
      }
      if (detail::HasDuplicateNames(names)) {
        return Duplicate();
      }
      return {};
    }
    case od::json_type::array: {
      od::array array;
      if ((error = value.get_array().get(array)) != simdjson::SUCCESS) {
        return NotJson(error);
      }
      for (auto item : array) {
        if (item.error() != simdjson::SUCCESS) {
          return NotJson(item.error());
        }
        if (auto valid = ValidateValue(item.value_unsafe(), depth + 1); !valid) {
          return valid;
        }
      }
      return {};
    }
    case od::json_type::string: {
      std::string_view s;
      error = value.get_string().get(s);
      break;
    }
    case od::json_type::number: {
      od::number n;
      error = value.get_number().get(n);
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      error = value.get_bool().get(b);
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      error = value.is_null().get(is_null);
      if (error == simdjson::SUCCESS && !is_null) {
        error = simdjson::N_ATOM_ERROR;
      }
      break;
    }
  }
  if (error != simdjson::SUCCESS) {
    return NotJson(error);
  }
  return {};
}

Result<void> ReadKnown(int index, od::value value, ClaimsView& claims,
                       std::vector<std::string_view>& aud, std::vector<std::string_view>& roles) {
  std::optional<std::string_view>* text = nullptr;
  std::optional<int64_t>* date = nullptr;
  switch (index) {
    case kIss:
      text = &claims.iss;
      break;
    case kSub:
      text = &claims.sub;
      break;
    case kJti:
      text = &claims.jti;
      break;
    case kSid:
      text = &claims.sid;
      break;
    case kUsername:
      text = &claims.preferred_username;
      break;
    case kExp:
      date = &claims.exp;
      break;
    case kNbf:
      date = &claims.nbf;
      break;
    case kIat:
      date = &claims.iat;
      break;
    case kAud:
      claims.has_aud = true;
      if (!ReadStringList(value, /*allow_single=*/true, aud)) {
        return WrongType(index, "a string or an array of strings");
      }
      return {};
    case kRoles:
      if (!ReadStringList(value, /*allow_single=*/false, roles)) {
        return WrongType(index, "an array of strings");
      }
      return {};
    default:
      return {};
  }
  if (text != nullptr) {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) {
      return WrongType(index, "a string");
    }
    *text = s;
    return {};
  }
  *date = NumericDate(value);
  if (!*date) {
    return WrongType(index, "a number of seconds");
  }
  return {};
}

}  // namespace

namespace {

// Per-thread state behind ClaimsView: the padded input, the parser whose string buffer holds
// the views, and the lists. Cleared, never shrunk, so nothing is allocated after warm-up.
struct ClaimsScratch {
  detail::PaddedBuffer input;
  od::parser parser;
  std::vector<std::string_view> aud, roles, other_names;
};

ClaimsScratch& Scratch() {
  thread_local ClaimsScratch scratch;
  return scratch;
}

}  // namespace

std::span<uint8_t> ClaimsInputBuffer(size_t size) {
  return Scratch().input.Prepare(size);
}

Result<ClaimsView> ParseClaimsView(std::string_view payload_json,
                                   const std::vector<std::string>& required_claims) {
  std::span<uint8_t> room = ClaimsInputBuffer(payload_json.size());
  std::copy(payload_json.begin(), payload_json.end(), room.begin());
  return ParseClaimsViewInPlace(payload_json.size(), required_claims);
}

Result<ClaimsView> ParseClaimsViewInPlace(size_t size,
                                          const std::vector<std::string>& required_claims) {
  ClaimsScratch& scratch = Scratch();
  auto& [buffer, parser, aud, roles, other_names] = scratch;
  aud.clear();
  roles.clear();
  other_names.clear();
  const std::string_view payload_json = buffer.view(size);

  od::document doc;
  if (auto error = parser
                       .iterate(buffer.view(payload_json.size()),
                                payload_json.size() + simdjson::SIMDJSON_PADDING)
                       .get(doc);
      error != simdjson::SUCCESS) {
    return NotJson(error);
  }
  od::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Invalid("token payload is not a JSON object");
  }
  ClaimsView claims;
  unsigned seen = 0;
  for (auto field_result : obj) {
    if (field_result.error() != simdjson::SUCCESS) {
      return NotJson(field_result.error());
    }
    od::field field = std::move(field_result).value_unsafe();
    std::string_view key;
    if (auto error = field.unescaped_key().get(key); error != simdjson::SUCCESS) {
      return NotJson(error);
    }
    od::value value = field.value();
    const int index = KnownIndex(key);
    if (index < 0) {
      // Private claims are allowed and otherwise ignored, but stay strict JSON.
      other_names.push_back(key);
      if (auto valid = ValidateValue(value, 2); !valid) {
        return tl::unexpected(valid.error());
      }
      continue;
    }
    if (seen & (1u << index)) {
      return Duplicate();
    }
    seen |= 1u << index;
    if (auto read = ReadKnown(index, value, claims, aud, roles); !read) {
      return tl::unexpected(read.error());
    }
  }
  // Nothing may follow the object: at the end of input the iterator has no location left.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Invalid("token payload has content after its JSON object");
  }
  // Registered names were checked by the mask; the others cannot equal a registered one.
  if (detail::HasDuplicateNames(other_names)) {
    return Duplicate();
  }
  claims.aud = aud;
  claims.roles = roles;
  for (const std::string& name : required_claims) {
    const int index = KnownIndex(name);
    const bool present =
        index >= 0 ? (seen & (1u << index)) != 0
                   : std::find(other_names.begin(), other_names.end(), name) != other_names.end();
    if (!present) {
      return Invalid("token lacks the required claim \"" + name + "\"");
    }
  }
  return claims;
}

Claims ToClaims(const ClaimsView& view) {
  Claims claims;
  auto copy = [](const std::optional<std::string_view>& v) {
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  claims.iss = copy(view.iss);
  claims.sub = copy(view.sub);
  claims.jti = copy(view.jti);
  claims.sid = copy(view.sid);
  claims.preferred_username = copy(view.preferred_username);
  if (view.has_aud) {
    claims.aud.emplace(view.aud.begin(), view.aud.end());
  }
  claims.exp = view.exp;
  claims.nbf = view.nbf;
  claims.iat = view.iat;
  claims.roles.assign(view.roles.begin(), view.roles.end());
  return claims;
}

Result<Claims> ParseClaims(std::string_view payload_json,
                           const std::vector<std::string>& required_claims) {
  auto view = ParseClaimsView(payload_json, required_claims);
  if (!view) {
    return tl::unexpected(view.error());
  }
  return ToClaims(*view);
}

Result<void> ValidateClaims(const ClaimsView& claims, const ClaimsPolicy& policy, TimePoint now) {
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
  const std::string_view issuer = policy.issuer;
  const std::string_view audience = policy.audience;
  if (!issuer.empty() && claims.iss != issuer) {
    return Invalid("token iss is not the expected issuer");
  }
  if (!audience.empty() &&
      std::find(claims.aud.begin(), claims.aud.end(), audience) == claims.aud.end()) {
    return Invalid("token aud does not include the expected audience");
  }
  return {};
}

}  // namespace sesame::jose
