#include "jose/jwk.h"

#include <nlohmann/json.hpp>

#include "common/base64url.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "jose/strict_json.h"

namespace sesame::jose {
namespace {

using simdjson::dom::object;

tl::unexpected<Error> KeyError(std::string what) {
  return MakeError(ErrorCode::kInvalidKey, std::move(what));
}

std::string_view CurveName(crypto::Curve curve) {
  switch (curve) {
    case crypto::Curve::kP256:
      return "P-256";
    case crypto::Curve::kP384:
      return "P-384";
    case crypto::Curve::kP521:
      return "P-521";
  }
  return "";
}

std::optional<crypto::Curve> ParseCurve(std::string_view name) {
  if (name == "P-256") {
    return crypto::Curve::kP256;
  }
  if (name == "P-384") {
    return crypto::Curve::kP384;
  }
  if (name == "P-521") {
    return crypto::Curve::kP521;
  }
  return std::nullopt;
}

Algorithm EcAlgorithm(crypto::Curve curve) {
  switch (curve) {
    case crypto::Curve::kP256:
      return Algorithm::kES256;
    case crypto::Curve::kP384:
      return Algorithm::kES384;
    case crypto::Curve::kP521:
      return Algorithm::kES512;
  }
  return Algorithm::kES256;
}

// Reads an optional string member; an absent member is an empty string.
Result<std::string_view> StringMember(object obj, std::string_view name) {
  auto member = obj.at_key(name);
  if (member.error() == simdjson::NO_SUCH_FIELD) {
    return std::string_view();
  }
  std::string_view value;
  if (member.get(value) != simdjson::SUCCESS) {
    return KeyError("JWK member \"" + std::string(name) + "\" must be a string");
  }
  return value;
}

// A required base64url member, decoded.
Result<std::string> BytesMember(object obj, std::string_view name, bool required = true) {
  auto text = StringMember(obj, name);
  if (!text) {
    return tl::unexpected(text.error());
  }
  if (text->empty()) {
    if (required) {
      return KeyError("JWK lacks \"" + std::string(name) + "\"");
    }
    return std::string();
  }
  auto bytes = Base64UrlDecode(*text);
  if (!bytes) {
    return KeyError("JWK member \"" + std::string(name) + "\" is not canonical base64url");
  }
  return std::move(*bytes);
}

// An optional private member, decoded straight into SecretBytes.
Result<SecretBytes> SecretMember(object obj, std::string_view name) {
  auto text = StringMember(obj, name);
  if (!text) {
    return tl::unexpected(text.error());
  }
  const auto size = Base64UrlDecodedSize(text->size());
  if (!size) {
    return KeyError("JWK member \"" + std::string(name) + "\" is not canonical base64url");
  }
  SecretBytes secret(*size);
  if (!Base64UrlDecodeInto(*text, secret.mutable_span())) {
    return KeyError("JWK member \"" + std::string(name) + "\" is not canonical base64url");
  }
  return secret;
}

std::string B64(std::string_view bytes) {
  return Base64UrlEncode(bytes);
}
std::string B64(const SecretBytes& bytes) {
  return Base64UrlEncode(bytes.span());
}

Result<Jwk> ParseJwk(object obj, auto&& from_hmac, auto&& make) {
  auto kty = StringMember(obj, "kty");
  auto alg_name = StringMember(obj, "alg");
  auto kid = StringMember(obj, "kid");
  auto use = StringMember(obj, "use");
  for (const auto* r : {&kty, &alg_name, &kid, &use}) {
    if (!*r) {
      return tl::unexpected(r->error());
    }
  }
  if (!use->empty() && *use != "sig") {
    return KeyError("JWK \"use\" is \"" + std::string(*use) + "\"; only \"sig\" keys can verify");
  }
  std::optional<Algorithm> alg;
  if (!alg_name->empty()) {
    alg = ParseAlgorithm(*alg_name);
    if (!alg) {
      return KeyError("JWK \"alg\" \"" + std::string(*alg_name) + "\" is not supported");
    }
  }
  const std::string kid_text(*kid);

  if (*kty == "oct") {
    if (!alg) {
      return KeyError("an oct JWK needs \"alg\" (HS256, HS384 or HS512)");
    }
    auto k = SecretMember(obj, "k");
    if (!k) {
      return tl::unexpected(k.error());
    }
    if (k->empty()) {
      return KeyError("JWK lacks \"k\"");
    }
    return from_hmac(*alg, std::move(*k), kid_text);
  }

  if (*kty == "RSA") {
    if (!alg) {
      return KeyError("an RSA JWK needs \"alg\" (RS256/384/512 or PS256/384/512)");
    }
    crypto::RsaComponents c;
    auto n = BytesMember(obj, "n");
    auto e = BytesMember(obj, "e");
    if (!n || !e) {
      return tl::unexpected(!n ? n.error() : e.error());
    }
    c.n = std::move(*n);
    c.e = std::move(*e);
    const std::pair<const char*, SecretBytes*> privates[] = {
        {"d", &c.d}, {"p", &c.p}, {"q", &c.q}, {"dp", &c.dp}, {"dq", &c.dq}, {"qi", &c.qi}};
    for (auto [name, out] : privates) {
      auto value = SecretMember(obj, name);
      if (!value) {
        return tl::unexpected(value.error());
      }
      *out = std::move(*value);
    }
    auto key = crypto::AsymmetricKey::FromRsa(c);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return make(*alg, kid_text, std::move(*key));
  }

  if (*kty == "EC") {
    auto crv = StringMember(obj, "crv");
    if (!crv) {
      return tl::unexpected(crv.error());
    }
    const auto curve = ParseCurve(*crv);
    if (!curve) {
      return KeyError("EC JWK \"crv\" must be P-256, P-384 or P-521");
    }
    crypto::EcComponents c;
    c.curve = *curve;
    auto x = BytesMember(obj, "x");
    auto y = BytesMember(obj, "y");
    auto d = SecretMember(obj, "d");
    if (!x || !y || !d) {
      return tl::unexpected(!x ? x.error() : !y ? y.error() : d.error());
    }
    c.x = std::move(*x);
    c.y = std::move(*y);
    c.d = std::move(*d);
    auto key = crypto::AsymmetricKey::FromEc(c);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return make(alg.value_or(EcAlgorithm(*curve)), kid_text, std::move(*key));
  }

  if (*kty == "OKP") {
    auto crv = StringMember(obj, "crv");
    if (!crv) {
      return tl::unexpected(crv.error());
    }
    if (*crv != "Ed25519") {
      return KeyError("OKP JWK \"crv\" must be Ed25519");
    }
    crypto::Ed25519Components c;
    auto x = BytesMember(obj, "x");
    auto d = SecretMember(obj, "d");
    if (!x || !d) {
      return tl::unexpected(!x ? x.error() : d.error());
    }
    c.x = std::move(*x);
    c.d = std::move(*d);
    auto key = crypto::AsymmetricKey::FromEd25519(c);
    if (!key) {
      return tl::unexpected(key.error());
    }
    return make(alg.value_or(Algorithm::kEdDSA), kid_text, std::move(*key));
  }

  if (kty->empty()) {
    return KeyError("JWK lacks \"kty\"");
  }
  return KeyError("JWK \"kty\" \"" + std::string(*kty) + "\" is not supported");
}

}  // namespace

Result<Jwk> Jwk::Make(Algorithm alg, std::string kid, KeyMaterial key) {
  if (const auto* asym = std::get_if<crypto::AsymmetricKey>(&key)) {
    const KeyFamily family = FamilyOf(alg);
    const bool fits = (family == KeyFamily::kRsa && asym->kind() == crypto::KeyKind::kRsa) ||
                      (family == KeyFamily::kEc && asym->kind() == crypto::KeyKind::kEc &&
                       asym->curve() == CurveOf(alg)) ||
                      (family == KeyFamily::kOkp && asym->kind() == crypto::KeyKind::kEd25519);
    if (!fits) {
      return KeyError("key type or curve does not fit alg " + std::string(AlgorithmName(alg)));
    }
  } else if (FamilyOf(alg) != KeyFamily::kOct) {
    return KeyError("an HMAC secret cannot serve alg " + std::string(AlgorithmName(alg)));
  }
  Jwk jwk(alg, std::move(kid), std::move(key));
  if (jwk.kid_.empty()) {
    jwk.kid_ = jwk.Thumbprint();
  }
  return jwk;
}

Result<Jwk> Jwk::Generate(Algorithm alg) {
  switch (FamilyOf(alg)) {
    case KeyFamily::kOct:
      return FromHmacSecret(alg, crypto::RandomSecret(64));
    case KeyFamily::kRsa: {
      auto key = crypto::AsymmetricKey::GenerateRsa(2048);
      if (!key) {
        return tl::unexpected(key.error());
      }
      return Make(alg, "", std::move(*key));
    }
    case KeyFamily::kEc: {
      auto key = crypto::AsymmetricKey::GenerateEc(*CurveOf(alg));
      if (!key) {
        return tl::unexpected(key.error());
      }
      return Make(alg, "", std::move(*key));
    }
    case KeyFamily::kOkp: {
      auto key = crypto::AsymmetricKey::GenerateEd25519();
      if (!key) {
        return tl::unexpected(key.error());
      }
      return Make(alg, "", std::move(*key));
    }
  }
  return KeyError("unsupported algorithm");
}

Result<Jwk> Jwk::FromHmacSecret(Algorithm alg, SecretBytes secret, std::string kid) {
  if (FamilyOf(alg) != KeyFamily::kOct) {
    return KeyError("an HMAC secret cannot serve alg " + std::string(AlgorithmName(alg)));
  }
  auto key = crypto::HmacKey::Create(HashOf(alg), std::move(secret));
  if (!key) {
    return tl::unexpected(key.error());
  }
  return Make(alg, std::move(kid), std::move(*key));
}

Result<Jwk> Jwk::FromJson(std::string_view json) {
  auto obj = detail::ParseStrictObject(detail::ThreadParser(1), json, "JWK");
  if (!obj) {
    return KeyError(obj.error().detail);
  }
  return ParseJwk(
      *obj,
      [](Algorithm alg, SecretBytes secret, const std::string& kid) {
        return FromHmacSecret(alg, std::move(secret), kid);
      },
      [](Algorithm alg, const std::string& kid, crypto::AsymmetricKey key) {
        return Make(alg, kid, std::move(key));
      });
}

bool Jwk::has_private() const {
  if (const auto* asym = std::get_if<crypto::AsymmetricKey>(&key_)) {
    return asym->has_private();
  }
  return true;
}

Result<Jwk> Jwk::PublicOnly() const {
  const auto* asym = std::get_if<crypto::AsymmetricKey>(&key_);
  if (asym == nullptr) {
    return KeyError("an HMAC key has no public part");
  }
  return Jwk(alg_, kid_, asym->PublicOnly());
}

std::string Jwk::Thumbprint() const {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace. All values
  // are base64url or fixed names, so no escaping is needed.
  std::string canonical;
  if (const auto* hmac = std::get_if<crypto::HmacKey>(&key_)) {
    canonical = R"({"k":")" + B64(hmac->secret()) + R"(","kty":"oct"})";
  } else {
    const auto& asym = std::get<crypto::AsymmetricKey>(key_);
    switch (asym.kind()) {
      case crypto::KeyKind::kRsa: {
        auto c = asym.ExportRsa(false);
        canonical = R"({"e":")" + B64(c->e) + R"(","kty":"RSA","n":")" + B64(c->n) + R"("})";
        break;
      }
      case crypto::KeyKind::kEc: {
        auto c = asym.ExportEc(false);
        canonical = R"({"crv":")" + std::string(CurveName(c->curve)) + R"(","kty":"EC","x":")" +
                    B64(c->x) + R"(","y":")" + B64(c->y) + R"("})";
        break;
      }
      case crypto::KeyKind::kEd25519: {
        auto c = asym.ExportEd25519(false);
        canonical = R"({"crv":"Ed25519","kty":"OKP","x":")" + B64(c->x) + R"("})";
        break;
      }
    }
  }
  std::string thumbprint = Base64UrlEncode(crypto::Digest(crypto::HashAlg::kSha256, canonical));
  SecureWipe(canonical.data(), canonical.size());
  return thumbprint;
}

std::string Jwk::ToJson(bool include_private) const {
  nlohmann::ordered_json j;
  std::string secret_text;
  if (const auto* hmac = std::get_if<crypto::HmacKey>(&key_)) {
    j["kty"] = "oct";
    if (include_private) {
      secret_text = B64(hmac->secret());
    }
  } else {
    const auto& asym = std::get<crypto::AsymmetricKey>(key_);
    switch (asym.kind()) {
      case crypto::KeyKind::kRsa:
        j["kty"] = "RSA";
        break;
      case crypto::KeyKind::kEc:
        j["kty"] = "EC";
        j["crv"] = CurveName(*asym.curve());
        break;
      case crypto::KeyKind::kEd25519:
        j["kty"] = "OKP";
        j["crv"] = "Ed25519";
        break;
    }
  }
  j["alg"] = AlgorithmName(alg_);
  j["kid"] = kid_;
  j["use"] = "sig";
  if (const auto* asym = std::get_if<crypto::AsymmetricKey>(&key_)) {
    const bool priv = include_private && asym->has_private();
    switch (asym->kind()) {
      case crypto::KeyKind::kRsa: {
        auto c = asym->ExportRsa(priv);
        j["n"] = B64(c->n);
        j["e"] = B64(c->e);
        if (priv) {
          j["d"] = B64(c->d);
          if (!c->p.empty()) {
            j["p"] = B64(c->p);
            j["q"] = B64(c->q);
            j["dp"] = B64(c->dp);
            j["dq"] = B64(c->dq);
            j["qi"] = B64(c->qi);
          }
        }
        break;
      }
      case crypto::KeyKind::kEc: {
        auto c = asym->ExportEc(priv);
        j["x"] = B64(c->x);
        j["y"] = B64(c->y);
        if (priv) {
          j["d"] = B64(c->d);
        }
        break;
      }
      case crypto::KeyKind::kEd25519: {
        auto c = asym->ExportEd25519(priv);
        j["x"] = B64(c->x);
        if (priv) {
          j["d"] = B64(c->d);
        }
        break;
      }
    }
  } else if (include_private) {
    j["k"] = secret_text;
  }
  std::string out = j.dump();
  SecureWipe(secret_text.data(), secret_text.size());
  return out;
}

Result<std::string> Jwk::Sign(std::string_view signing_input) const {
  if (const auto* hmac = std::get_if<crypto::HmacKey>(&key_)) {
    std::array<uint8_t, crypto::HmacKey::kMaxMacSize> mac;
    const size_t size = hmac->Sign(signing_input, mac);
    return std::string(reinterpret_cast<const char*>(mac.data()), size);
  }
  return std::get<crypto::AsymmetricKey>(key_).Sign(SchemeOf(alg_), HashOf(alg_), signing_input);
}

bool Jwk::Verify(std::string_view signing_input, std::span<const uint8_t> signature) const {
  if (const auto* hmac = std::get_if<crypto::HmacKey>(&key_)) {
    return hmac->Verify(signing_input, signature);
  }
  return std::get<crypto::AsymmetricKey>(key_).Verify(SchemeOf(alg_), HashOf(alg_), signing_input,
                                                      signature);
}

}  // namespace sesame::jose
