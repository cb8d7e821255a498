// Implements include/sesame/verifier.h on top of jose::JwtVerifier.

#include "sesame/verifier.h"

#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"

namespace sesame {

struct Verifier::Impl {
  jose::JwtVerifier verifier;
};

std::string_view VerifyStatusName(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kOk:
      return "ok";
    case VerifyStatus::kInvalidToken:
      return "invalid_token";
    case VerifyStatus::kTokenExpired:
      return "token_expired";
  }
  return "invalid_token";
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;

std::unique_ptr<Verifier> Verifier::FromJwks(std::string_view jwks_json, VerifierOptions options,
                                             std::string* error) {
  auto keys = jose::KeySet::FromJson(jwks_json);
  if (!keys) {
    if (error != nullptr) {
      *error = keys.error().detail;
    }
    return nullptr;
  }
  if (keys->empty()) {
    if (error != nullptr) {
      *error = "the JWKS holds no signing key";
    }
    return nullptr;
  }
  jose::ClaimsPolicy policy;
  policy.issuer = std::move(options.issuer);
  policy.audience = std::move(options.audience);
  policy.expected_typ = std::move(options.expected_type);
  policy.leeway = options.leeway;
  policy.required_claims = {"exp"};
  auto shared = std::make_shared<const jose::KeySet>(std::move(*keys));
  return std::unique_ptr<Verifier>(new Verifier(
      std::make_unique<Impl>(Impl{jose::JwtVerifier(std::move(shared), std::move(policy))})));
}

std::unique_ptr<Verifier> Verifier::FromJwksFile(const std::string& path, VerifierOptions options,
                                                 std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) {
      *error = "cannot read " + path;
    }
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return FromJwks(text.str(), std::move(options), error);
}

VerifyResult Verifier::Verify(std::string_view token) const {
  return VerifyAt(token, ToUnixSeconds(SystemClock().Now()));
}

VerifyResult Verifier::VerifyAt(std::string_view token, int64_t now_unix_seconds) const {
  VerifyResult result;
  auto claims = impl_->verifier.Verify(token, FromUnixSeconds(now_unix_seconds));
  if (!claims) {
    result.status = claims.error().code == ErrorCode::kTokenExpired ? VerifyStatus::kTokenExpired
                                                                    : VerifyStatus::kInvalidToken;
    result.reason = claims.error().detail;
    return result;
  }
  result.status = VerifyStatus::kOk;
  AccessToken& t = result.token;
  t.subject = claims->sub.value_or("");
  t.session_id = claims->sid.value_or("");
  t.issuer = claims->iss.value_or("");
  t.token_id = claims->jti.value_or("");
  if (claims->aud) {
    t.audience = std::move(*claims->aud);
  }
  t.roles = std::move(claims->roles);
  t.expires_at = claims->exp.value_or(0);
  t.issued_at = claims->iat.value_or(0);
  return result;
}

}  // namespace sesame
