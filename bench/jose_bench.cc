// Benchmarks JWT signing and verification for every JWS algorithm sesame supports, each next to
// the raw OpenSSL primitive over the same signing input and signature (and, for HS256, next to
// libjwt), then prints the ratios measured in this one process. The raw baselines deliberately
// call OpenSSL directly, outside crypto/: they are the lower bound sesame is measured against,
// so their per-iteration code uses no sesame function at all (sesame only builds the keys and
// tokens before the timed loops).
//
// Run by hand, never from ctest. On a shared or virtual machine, repeat and interleave so the
// ratios compare the fastest repetitions taken over the same stretch of time (a few minutes):
//   build/bench/sesame_jose_bench --benchmark_min_time=0.1 --benchmark_repetitions=10
//       --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#ifdef SESAME_BENCH_HAVE_LIBJWT
#include <jwt.h>
#endif

#include "common/base64url.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/secret_bytes.h"
#include "crypto/openssl_handles.h"
#include "crypto/random.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"

namespace sesame::jose {
namespace {

using MacPtr = std::unique_ptr<EVP_MAC, crypto::OpenSslDeleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, crypto::OpenSslDeleter<EVP_MAC_CTX_free>>;

constexpr std::string_view kTyp = "at+jwt";
constexpr std::string_view kIssuer = "https://auth.example.com";
constexpr std::string_view kAudience = "api.example.com";

const uint8_t* Bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

tl::unexpected<Error> SetupError(std::string what) {
  return MakeError(ErrorCode::kInternal, std::move(what));
}

// Everything one algorithm's benchmarks need, built once and never changed: the key, a signed
// access token, its verifier, and the raw OpenSSL objects over the same bytes.
struct Fixture {
  std::optional<Jwk> key;  // with its private half: it signs
  std::optional<JwtVerifier> verifier;
  TimePoint now;
  std::string claims_json;
  std::string token;
  std::string_view signing_input;  // header.payload, a view into token
  std::string signature;           // JOSE form (r||s for ECDSA), decoded from the token
  // HS256 only: the same claims and key with typ "JWT", since libjwt 1.10's jwt_decode refuses
  // any other typ (EINVAL) and so cannot read the at+jwt token at all.
  std::string libjwt_token;

  // HS*: the shared secret and the HMAC digest name.
  SecretBytes hmac_secret;
  const char* hmac_digest_name = nullptr;
  // Asymmetric: the public key rebuilt from the JWK, the digest (null for EdDSA), and the
  // signature as OpenSSL verifies it (DER for ECDSA, otherwise the JOSE bytes).
  crypto::PkeyPtr public_key;
  crypto::MdPtr md;
  bool is_pss = false;
  std::string openssl_signature;
};

// A string member of a flat JSON object in the form Jwk::ToJson writes: no whitespace, and
// base64url or name values that need no escapes.
std::optional<std::string_view> FlatStringMember(std::string_view json, std::string_view name) {
  const std::string needle = "\"" + std::string(name) + "\":\"";
  const size_t start = json.find(needle);
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const size_t begin = start + needle.size();
  const size_t end = json.find('"', begin);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  return json.substr(begin, end - begin);
}

Result<std::string> DecodedMember(std::string_view json, std::string_view name) {
  const auto text = FlatStringMember(json, name);
  if (!text) {
    return SetupError("JWK has no \"" + std::string(name) + "\"");
  }
  auto bytes = Base64UrlDecode(*text);
  if (!bytes) {
    return SetupError("JWK \"" + std::string(name) + "\" is not base64url");
  }
  return *bytes;
}

const char* DigestName(Algorithm alg) {
  switch (HashOf(alg)) {
    case crypto::HashAlg::kSha256:
      return "SHA2-256";
    case crypto::HashAlg::kSha384:
      return "SHA2-384";
    case crypto::HashAlg::kSha512:
      return "SHA2-512";
  }
  return "";
}

// Builds the public key of a JWK (its ToJson(false) text) with EVP_PKEY_fromdata alone.
Result<crypto::PkeyPtr> PublicKeyFromJwk(std::string_view jwk_json, KeyFamily family) {
  crypto::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) {
    return SetupError("out of memory");
  }
  const char* type = "";
  std::string point;  // must outlive OSSL_PARAM_BLD_to_param
  crypto::BnPtr n, e;
  switch (family) {
    case KeyFamily::kRsa: {
      type = "RSA";
      auto n_bytes = DecodedMember(jwk_json, "n");
      auto e_bytes = DecodedMember(jwk_json, "e");
      if (!n_bytes || !e_bytes) {
        return SetupError("RSA JWK lacks n or e");
      }
      n.reset(BN_bin2bn(Bytes(*n_bytes), static_cast<int>(n_bytes->size()), nullptr));
      e.reset(BN_bin2bn(Bytes(*e_bytes), static_cast<int>(e_bytes->size()), nullptr));
      if (!n || !e || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
          OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        return SetupError("cannot build RSA parameters");
      }
      break;
    }
    case KeyFamily::kEc: {
      type = "EC";
      const auto crv = FlatStringMember(jwk_json, "crv");
      auto x = DecodedMember(jwk_json, "x");
      auto y = DecodedMember(jwk_json, "y");
      if (!crv || !x || !y) {
        return SetupError("EC JWK lacks crv, x or y");
      }
      const char* group = *crv == "P-256"   ? "prime256v1"
                          : *crv == "P-384" ? "secp384r1"
                          : *crv == "P-521" ? "secp521r1"
                                            : nullptr;
      if (group == nullptr) {
        return SetupError("EC JWK has an unknown curve");
      }
      point = '\x04' + *x + *y;  // uncompressed point (SEC 1 §2.3.3)
      if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) != 1) {
        return SetupError("cannot build EC parameters");
      }
      break;
    }
    case KeyFamily::kOkp: {
      type = "ED25519";
      auto x = DecodedMember(jwk_json, "x");
      if (!x) {
        return tl::unexpected(x.error());
      }
      point = *x;
      if (OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                           point.size()) != 1) {
        return SetupError("cannot build Ed25519 parameters");
      }
      break;
    }
    case KeyFamily::kOct:
      return SetupError("an HMAC key has no public key");
  }
  crypto::ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  crypto::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return SetupError(std::string("EVP_PKEY_fromdata failed for ") + type);
  }
  return crypto::PkeyPtr(raw);
}

// JOSE r||s to the DER ECDSA-Sig-Value OpenSSL verifies.
Result<std::string> EcdsaJoseToDer(std::string_view jose) {
  const size_t coord = jose.size() / 2;
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(jose), static_cast<int>(coord), nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(jose) + coord, static_cast<int>(coord), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return SetupError("cannot build ECDSA_SIG");
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) {
    return SetupError("cannot size the DER signature");
  }
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) {
    return SetupError("cannot encode the DER signature");
  }
  return der;
}

// The claims of a realistic access token; about 300 bytes as a compact HS256 JWT.
std::string AccessTokenClaims(TimePoint now) {
  std::array<uint8_t, 16> jti_bytes;
  crypto::FillRandom(jti_bytes);
  const std::string jti = Base64UrlEncode(jti_bytes);  // 22 characters
  const int64_t iat = ToUnixSeconds(now);
  return "{\"iss\":\"" + std::string(kIssuer) + "\",\"sub\":\"usr_8f14e45fceea167a\",\"aud\":\"" +
         std::string(kAudience) + "\",\"exp\":" + std::to_string(iat + 1800) +
         ",\"iat\":" + std::to_string(iat) + ",\"nbf\":" + std::to_string(iat) + ",\"jti\":\"" +
         jti + "\",\"sid\":\"ses_c9f0f895fb98ab91\",\"roles\":[\"user\",\"editor\"]}";
}

Result<std::unique_ptr<const Fixture>> MakeFixture(Algorithm alg) {
  auto f = std::make_unique<Fixture>();
  auto key = Jwk::Generate(alg);
  if (!key) {
    return tl::unexpected(key.error());
  }
  f->key = std::move(*key);

  // The verifier holds what a resource server would: the HMAC key, or only the public half.
  auto verify_key = f->key->is_symmetric() ? Result<Jwk>(*f->key) : f->key->PublicOnly();
  if (!verify_key) {
    return tl::unexpected(verify_key.error());
  }
  auto keys = KeySet::Create({*verify_key});
  if (!keys) {
    return tl::unexpected(keys.error());
  }
  ClaimsPolicy policy;
  policy.issuer = kIssuer;
  policy.audience = kAudience;
  policy.expected_typ = kTyp;
  policy.required_claims = {"exp", "sub", "sid"};
  f->verifier.emplace(std::make_shared<const KeySet>(std::move(*keys)), std::move(policy));

  f->now = SystemClock().Now();
  f->claims_json = AccessTokenClaims(f->now);
  auto token = SignJwt(*f->key, f->claims_json, kTyp);
  if (!token) {
    return tl::unexpected(token.error());
  }
  f->token = std::move(*token);
  const size_t last_dot = f->token.rfind('.');
  f->signing_input = std::string_view(f->token).substr(0, last_dot);
  auto signature = Base64UrlDecode(std::string_view(f->token).substr(last_dot + 1));
  if (!signature) {
    return SetupError("token signature is not base64url");
  }
  f->signature = std::move(*signature);

  if (f->key->is_symmetric()) {
    std::string private_jwk = f->key->ToJson(/*include_private=*/true);
    auto secret = DecodedMember(private_jwk, "k");
    SecureWipe(private_jwk.data(), private_jwk.size());
    if (!secret) {
      return tl::unexpected(secret.error());
    }
    f->hmac_secret = SecretBytes(*secret);
    SecureWipe(secret->data(), secret->size());
    f->hmac_digest_name = DigestName(alg);
    if (alg == Algorithm::kHS256) {
      auto libjwt_token = SignJwt(*f->key, f->claims_json, "JWT");
      if (!libjwt_token) {
        return tl::unexpected(libjwt_token.error());
      }
      f->libjwt_token = std::move(*libjwt_token);
    }
    return f;
  }
  auto public_key = PublicKeyFromJwk(f->key->ToJson(/*include_private=*/false), f->key->family());
  if (!public_key) {
    return tl::unexpected(public_key.error());
  }
  f->public_key = std::move(*public_key);
  if (f->key->family() != KeyFamily::kOkp) {
    f->md.reset(EVP_MD_fetch(nullptr, DigestName(alg), nullptr));
    if (!f->md) {
      return SetupError("EVP_MD_fetch failed");
    }
  }
  f->is_pss = alg == Algorithm::kPS256 || alg == Algorithm::kPS384 || alg == Algorithm::kPS512;
  if (f->key->family() == KeyFamily::kEc) {
    auto der = EcdsaJoseToDer(f->signature);
    if (!der) {
      return tl::unexpected(der.error());
    }
    f->openssl_signature = std::move(*der);
  } else {
    f->openssl_signature = f->signature;
  }
  return f;
}

// Fixtures are built on first use, so a --benchmark_filter run generates only the keys it needs.
// Benchmarks run one at a time on the main thread, which is the only thread touching this cache.
std::map<Algorithm, Result<std::unique_ptr<const Fixture>>>& FixtureCache() {
  static std::map<Algorithm, Result<std::unique_ptr<const Fixture>>> cache;
  return cache;
}

const Fixture* FixtureFor(Algorithm alg, benchmark::State& state) {
  auto& cache = FixtureCache();
  auto it = cache.find(alg);
  if (it == cache.end()) {
    it = cache.emplace(alg, MakeFixture(alg)).first;
  }
  if (!it->second) {
    state.SkipWithError(("setup failed: " + it->second.error().detail).c_str());
    return nullptr;
  }
  return it->second->get();
}

const Fixture* CachedFixture(Algorithm alg) {
  const auto& cache = FixtureCache();
  const auto it = cache.find(alg);
  return it != cache.end() && it->second ? it->second->get() : nullptr;
}

void BM_Sign(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  if (auto first = SignJwt(*f->key, f->claims_json, kTyp); !first) {
    state.SkipWithError(("SignJwt failed: " + first.error().detail).c_str());
    return;
  }
  for (auto _ : state) {
    auto token = SignJwt(*f->key, f->claims_json, kTyp);
    benchmark::DoNotOptimize(token);
  }
}

// The hot path: JwtVerifier::VerifyView, claims as views (what the server's request path uses).
void BM_Verify(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  if (auto first = f->verifier->VerifyView(f->token, f->now); !first) {
    state.SkipWithError(("Verify failed: " + first.error().detail).c_str());
    return;
  }
  for (auto _ : state) {
    auto claims = f->verifier->VerifyView(f->token, f->now);
    benchmark::DoNotOptimize(claims);
    if (!claims) {
      state.SkipWithError("Verify failed inside the loop");
      break;
    }
  }
}

// JwtVerifier::Verify: the same, then copies the claims into owned strings and vectors.
void BM_VerifyOwned(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  for (auto _ : state) {
    auto claims = f->verifier->Verify(f->token, f->now);
    benchmark::DoNotOptimize(claims);
    if (!claims) {
      state.SkipWithError("Verify failed inside the loop");
      break;
    }
  }
}

// HMAC through a keyed EVP_MAC context: EVP_MAC_init with no key restarts from the stored key
// schedule, so each iteration costs the hashing and the compare.
void RawHmac(benchmark::State& state, const Fixture& f) {
  MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  MacCtxPtr ctx(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr);
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(f.hmac_digest_name),
                                       0),
      OSSL_PARAM_construct_end(),
  };
  if (!ctx ||
      EVP_MAC_init(ctx.get(), f.hmac_secret.span().data(), f.hmac_secret.size(), params) != 1) {
    state.SkipWithError("cannot key EVP_MAC HMAC");
    return;
  }
  const auto* input = Bytes(f.signing_input);
  const size_t input_size = f.signing_input.size();
  const auto* expected = Bytes(f.signature);
  const size_t expected_size = f.signature.size();
  auto mac_once = [&] {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out;
    size_t out_size = 0;
    return EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) == 1 &&
           EVP_MAC_update(ctx.get(), input, input_size) == 1 &&
           EVP_MAC_final(ctx.get(), out.data(), &out_size, out.size()) == 1 &&
           out_size == expected_size && CRYPTO_memcmp(out.data(), expected, expected_size) == 0;
  };
  if (!mac_once()) {
    state.SkipWithError("raw HMAC does not match the token signature");
    return;
  }
  for (auto _ : state) {
    const bool ok = mac_once();
    benchmark::DoNotOptimize(ok);
    if (!ok) {
      state.SkipWithError("raw HMAC failed inside the loop");
      break;
    }
  }
}

// The fastest direct OpenSSL 3 caller: for RSA and ECDSA, a verify context prepared once
// (EVP_PKEY_verify_init, padding, digest) and per iteration EVP_Digest with a fetched digest plus
// EVP_PKEY_verify; for Ed25519 (which signs the message, not a digest) EVP_DigestVerifyInit +
// EVP_DigestVerify on a reused EVP_MD_CTX.
void RawSignatureVerify(benchmark::State& state, const Fixture& f) {
  crypto::MdCtxPtr md_ctx(EVP_MD_CTX_new());
  crypto::PkeyCtxPtr prepared(EVP_PKEY_CTX_new_from_pkey(nullptr, f.public_key.get(), nullptr));
  if (!md_ctx || !prepared) {
    state.SkipWithError("out of memory");
    return;
  }
  EVP_PKEY* pkey = f.public_key.get();
  const EVP_MD* md = f.md.get();
  const bool is_eddsa = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
  if (!is_eddsa) {
    bool ok = EVP_PKEY_verify_init(prepared.get()) == 1 &&
              EVP_PKEY_CTX_set_signature_md(prepared.get(), md) == 1;
    if (ok && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
      ok = EVP_PKEY_CTX_set_rsa_padding(prepared.get(),
                                        f.is_pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1;
    }
    if (ok && f.is_pss) {
      ok = EVP_PKEY_CTX_set_rsa_pss_saltlen(prepared.get(), RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(prepared.get(), md) == 1;
    }
    if (!ok) {
      state.SkipWithError("cannot prepare the raw OpenSSL verify context");
      return;
    }
  }
  const auto* input = Bytes(f.signing_input);
  const size_t input_size = f.signing_input.size();
  const auto* sig = Bytes(f.openssl_signature);
  const size_t sig_size = f.openssl_signature.size();
  auto verify_once = [&] {
    if (is_eddsa) {
      const bool ok = EVP_DigestVerifyInit(md_ctx.get(), nullptr, nullptr, nullptr, pkey) == 1 &&
                      EVP_DigestVerify(md_ctx.get(), sig, sig_size, input, input_size) == 1;
      EVP_MD_CTX_reset(md_ctx.get());
      return ok;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    return EVP_Digest(input, input_size, digest, &digest_size, md, nullptr) == 1 &&
           EVP_PKEY_verify(prepared.get(), sig, sig_size, digest, digest_size) == 1;
  };
  if (!verify_once()) {
    state.SkipWithError("raw OpenSSL verify rejects the token signature");
    return;
  }
  for (auto _ : state) {
    const bool ok = verify_once();
    benchmark::DoNotOptimize(ok);
    if (!ok) {
      state.SkipWithError("raw OpenSSL verify failed inside the loop");
      break;
    }
  }
}

void BM_RawOpenSsl(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  if (FamilyOf(alg) == KeyFamily::kOct) {
    RawHmac(state, *f);
  } else {
    RawSignatureVerify(state, *f);
  }
}

// The one-shot HMAC() call (implicit digest fetch, key schedule every call), for reference.
void BM_RawOpenSslOneShot(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  const auto* input = Bytes(f->signing_input);
  const size_t input_size = f->signing_input.size();
  const auto* expected = Bytes(f->signature);
  const size_t expected_size = f->signature.size();
  const auto* key = f->hmac_secret.span().data();
  const int key_size = static_cast<int>(f->hmac_secret.size());
  auto mac_once = [&] {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out;
    unsigned int out_size = 0;
    return HMAC(EVP_sha256(), key, key_size, input, input_size, out.data(), &out_size) != nullptr &&
           out_size == expected_size && CRYPTO_memcmp(out.data(), expected, expected_size) == 0;
  };
  if (!mac_once()) {
    state.SkipWithError("one-shot HMAC does not match the token signature");
    return;
  }
  for (auto _ : state) {
    const bool ok = mac_once();
    benchmark::DoNotOptimize(ok);
    if (!ok) {
      state.SkipWithError("one-shot HMAC failed inside the loop");
      break;
    }
  }
}

#ifdef SESAME_BENCH_HAVE_LIBJWT
// libjwt's jwt_decode checks the header alg and typ and the signature and parses the claims; it
// does not check exp or aud, so it is a lower bound for what a full verify would cost with it.
// It decodes the typ "JWT" twin of the access token (same key, same claims, same size).
void BM_LibJwt(benchmark::State& state, Algorithm alg) {
  const Fixture* f = FixtureFor(alg, state);
  if (f == nullptr) {
    return;
  }
  const char* token = f->libjwt_token.c_str();
  const auto* key = f->hmac_secret.span().data();
  const int key_size = static_cast<int>(f->hmac_secret.size());
  auto decode_once = [&] {
    jwt_t* jwt = nullptr;
    const int rc = jwt_decode(&jwt, token, key, key_size);
    benchmark::DoNotOptimize(jwt);
    if (jwt != nullptr) {
      jwt_free(jwt);
    }
    return rc;
  };
  if (const int rc = decode_once(); rc != 0) {
    state.SkipWithError(
        ("libjwt rejects the token: jwt_decode returned " + std::to_string(rc)).c_str());
    return;
  }
  for (auto _ : state) {
    const int rc = decode_once();
    if (rc != 0) {
      state.SkipWithError("jwt_decode failed inside the loop");
      break;
    }
  }
}
#endif

std::string CpuModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        return line.substr(line.find_first_not_of(" \t", colon + 1));
      }
    }
  }
  return "unknown";
}

// Passes everything to a ConsoleReporter and keeps each run's real time per iteration, then
// prints the ratios between the benchmarks of one algorithm once all runs are done.
class RatioReporter : public benchmark::BenchmarkReporter {
 public:
  explicit RatioReporter(benchmark::ConsoleReporter::OutputOptions options) : console_(options) {}

  bool ReportContext(const Context& context) override {
    GetOutputStream() << "cpu model: " << CpuModel() << "\n"
                      << "openssl: " << OpenSSL_version(OPENSSL_VERSION) << "\n";
    return console_.ReportContext(context);
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        continue;
      }
      const double ns =
          run.GetAdjustedRealTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      if (run.run_type == Run::RT_Iteration) {
        real_ns_[run.benchmark_name()].push_back(ns);
      } else if (run.aggregate_name == "min" && run.aggregate_unit == benchmark::kTime) {
        // With --benchmark_report_aggregates_only the repetitions themselves never arrive.
        min_ns_[run.run_name.str()] = ns;
      }
    }
    console_.ReportRuns(runs);
  }

  void Finalize() override {
    console_.Finalize();
    PrintRatios(GetOutputStream());
  }

 private:
  // The fastest of the repetitions (the one run without --benchmark_repetitions); nullopt if
  // the benchmark did not run or failed. On a shared VM other work only ever adds time, so the
  // minimum of interleaved repetitions is the least disturbed estimate of each side.
  std::optional<double> Nanos(const std::string& name) const {
    if (const auto min = min_ns_.find(name); min != min_ns_.end()) {
      return min->second;
    }
    const auto it = real_ns_.find(name);
    if (it == real_ns_.end() || it->second.empty()) {
      return std::nullopt;
    }
    return *std::min_element(it->second.begin(), it->second.end());
  }

  void PrintRatios(std::ostream& out) const {
    char line[256];
    out << "\nratios (same binary, same run; real time per iteration, fastest repetition):\n";
    std::snprintf(line, sizeof(line), "%-7s %12s %12s %22s %-19s %12s %12s %7s\n", "alg",
                  "verify ns", "raw ns", "verify/raw rate ratio", "", "owned ns", "sign ns",
                  "token");
    out << line;
    for (const Algorithm alg : kAllAlgorithms) {
      const std::string name(AlgorithmName(alg));
      const auto verify = Nanos("BM_Verify/" + name);
      const auto raw = Nanos("BM_RawOpenSsl/" + name);
      const auto sign = Nanos("BM_Sign/" + name);
      const auto owned = Nanos("BM_VerifyOwned/" + name);
      if (!verify && !raw && !sign) {
        continue;
      }
      const double target = FamilyOf(alg) == KeyFamily::kOct ? 0.6 : 0.95;
      char ratio[64] = "-";
      char target_text[32] = "";
      if (verify && raw) {
        const double rate_ratio = *raw / *verify;
        std::snprintf(ratio, sizeof(ratio), "%.3f", rate_ratio);
        std::snprintf(target_text, sizeof(target_text), "target >= %.2f%s", target,
                      rate_ratio < target ? " BELOW" : "");
      }
      const Fixture* f = CachedFixture(alg);
      std::snprintf(line, sizeof(line), "%-7s %12s %12s %22s %-19s %12s %12s %7s\n", name.c_str(),
                    Format(verify).c_str(), Format(raw).c_str(), ratio, target_text,
                    Format(owned).c_str(), Format(sign).c_str(),
                    f != nullptr ? (std::to_string(f->token.size()) + " B").c_str() : "-");
      out << line;
    }
    const auto verify = Nanos("BM_Verify/HS256");
    const auto libjwt = Nanos("BM_LibJwt/HS256");
    if (verify && libjwt) {
      const double speedup = *libjwt / *verify;
      std::snprintf(line, sizeof(line),
                    "HS256 verify vs libjwt: %.1fx (libjwt %.0f ns)  target >= 10x%s\n", speedup,
                    *libjwt, speedup < 10 ? " BELOW" : "");
      out << line;
    }
    const auto one_shot = Nanos("BM_RawOpenSslOneShot/HS256");
    if (verify && one_shot) {
      std::snprintf(line, sizeof(line),
                    "HS256 verify vs one-shot HMAC(): %.3f rate ratio (HMAC() %.0f ns)\n",
                    *one_shot / *verify, *one_shot);
      out << line;
    }
  }

  static std::string Format(std::optional<double> ns) {
    if (!ns) {
      return "-";
    }
    char text[32];
    std::snprintf(text, sizeof(text), "%.0f", *ns);
    return text;
  }

  benchmark::ConsoleReporter console_;
  std::map<std::string, std::vector<double>> real_ns_;  // by benchmark name, each repetition
  std::map<std::string, double> min_ns_;                // reported "min" aggregates
};

double Min(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}

void RegisterAll() {
  auto add = [](const std::string& name, auto fn, Algorithm alg) {
    benchmark::RegisterBenchmark(name.c_str(), fn, alg)->ComputeStatistics("min", Min);
  };
  for (const Algorithm alg : kAllAlgorithms) {
    const std::string name(AlgorithmName(alg));
    add("BM_Sign/" + name, BM_Sign, alg);
    add("BM_Verify/" + name, BM_Verify, alg);
    add("BM_VerifyOwned/" + name, BM_VerifyOwned, alg);
    add("BM_RawOpenSsl/" + name, BM_RawOpenSsl, alg);
    if (alg == Algorithm::kHS256) {
      add("BM_RawOpenSslOneShot/HS256", BM_RawOpenSslOneShot, alg);
#ifdef SESAME_BENCH_HAVE_LIBJWT
      add("BM_LibJwt/HS256", BM_LibJwt, alg);
#endif
    }
  }
}

}  // namespace
}  // namespace sesame::jose

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  sesame::jose::RegisterAll();
  sesame::jose::RatioReporter reporter(isatty(STDOUT_FILENO) != 0
                                           ? benchmark::ConsoleReporter::OO_ColorTabular
                                           : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
