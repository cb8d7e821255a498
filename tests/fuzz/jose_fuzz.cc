// Fuzzes everything that reads untrusted JOSE bytes: compact JWT verification (split, header,
// key selection, signature decoding), strict base64url, JWKS import and claims parsing.
// Besides crashes and sanitizer reports it checks two properties: whatever base64url decoding
// accepts re-encodes to exactly the same text (decoding is canonical), and whatever the claims
// parser accepts (with its own cheaper duplicate-name checks) the generic strict JSON check
// accepts too.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "common/base64url.h"
#include "jose/claims.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"
#include "jose/strict_json.h"

namespace {

using namespace sesame;  // NOLINT(google-build-using-namespace): a fuzz entry point

const jose::JwtVerifier& Verifier() {
  static const auto* verifier = [] {
    std::vector<jose::Jwk> keys;
    keys.push_back(*jose::Jwk::FromHmacSecret(jose::Algorithm::kHS256,
                                              SecretBytes(std::string(32, 'k')), "hs"));
    keys.push_back(*jose::Jwk::Generate(jose::Algorithm::kES256)->PublicOnly());
    keys.push_back(*jose::Jwk::Generate(jose::Algorithm::kEdDSA)->PublicOnly());
    jose::ClaimsPolicy policy;
    policy.issuer = "https://auth";
    policy.audience = "api";
    policy.required_claims = {"exp"};
    return new jose::JwtVerifier(
        std::make_shared<const jose::KeySet>(*jose::KeySet::Create(std::move(keys))), policy);
  }();
  return *verifier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  (void)Verifier().Verify(input, FromUnixSeconds(1'800'000'000));

  if (auto decoded = Base64UrlDecode(input)) {
    if (Base64UrlEncode(*decoded) != input) {
      std::abort();  // two encodings accepted for one byte string
    }
  }

  (void)jose::KeySet::FromJson(input);
  (void)jose::ParseClaims(input, {"exp", "sub"});
  if (jose::ParseClaimsView(input, {})) {
    if (!jose::detail::ParseStrictObject(jose::detail::ThreadParser(0), input, "claims")) {
      std::abort();  // the claims parser let through what strict JSON refuses
    }
  }
  return 0;
}
