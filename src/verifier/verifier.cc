// Implements include/sesame/verifier.h on top of jose::JwtVerifier, with the key source
// (a document, a file or a URL) reloaded on an unknown kid.

#include "sesame/verifier.h"

#include <atomic>
#include <functional>
#include <mutex>

#include "common/clock.h"
#include "common/files.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"
#include "verifier/jwks_fetch.h"

namespace sesame {

struct Verifier::Impl {
  jose::ClaimsPolicy policy;
  std::function<Result<std::string>()> load;  // empty: a fixed document
  std::chrono::seconds refresh_interval{30};
  std::atomic<std::shared_ptr<const jose::JwtVerifier>> current;
  std::mutex reload_mu;
  std::chrono::steady_clock::time_point last_reload;  // guarded by reload_mu
  std::string last_error;                             // guarded by reload_mu
  std::atomic<uint64_t> reloads{0};

  Result<std::shared_ptr<const jose::JwtVerifier>> Build(std::string_view jwks_json) const {
    auto keys = jose::KeySet::FromJson(jwks_json);
    if (!keys) {
      return tl::unexpected(keys.error());
    }
    if (keys->empty()) {
      return MakeError(ErrorCode::kInvalidKey, "the JWKS holds no signing key");
    }
    return std::make_shared<const jose::JwtVerifier>(
        std::make_shared<const jose::KeySet>(std::move(*keys)), policy);
  }

  // Reloads unless another reload happened within the interval. Returns the verifier to use.
  std::shared_ptr<const jose::JwtVerifier> ReloadFor(
      const std::shared_ptr<const jose::JwtVerifier>& seen) {
    std::lock_guard lock(reload_mu);
    auto now_current = current.load();
    if (now_current != seen) {
      return now_current;  // someone reloaded while this thread waited
    }
    const auto now = std::chrono::steady_clock::now();
    if (reloads.load() > 0 && now - last_reload < refresh_interval) {
      return now_current;
    }
    last_reload = now;
    reloads.fetch_add(1);
    auto text = load();
    auto built =
        text ? Build(*text)
             : Result<std::shared_ptr<const jose::JwtVerifier>>(tl::unexpected(text.error()));
    if (!built) {
      last_error = built.error().detail;  // keep verifying with the keys we have
      return now_current;
    }
    last_error.clear();
    current.store(*built);
    return *built;
  }
};

namespace {

void SetError(std::string* error, const std::string& text) {
  if (error != nullptr) {
    *error = text;
  }
}

jose::ClaimsPolicy PolicyFrom(VerifierOptions& options) {
  jose::ClaimsPolicy policy;
  policy.issuer = std::move(options.issuer);
  policy.audience = std::move(options.audience);
  policy.expected_typ = std::move(options.expected_type);
  policy.leeway = options.leeway;
  policy.required_claims = {"exp"};
  return policy;
}

// Whether the token names a kid that `keys` lacks (the case a reload can fix).
bool NamesUnknownKid(std::string_view token, const jose::KeySet& keys) {
  auto parts = jose::SplitCompact(token);
  if (!parts) {
    return false;
  }
  auto header = jose::ParseHeader(parts->header_b64);
  return header && !header->kid.empty() && keys.Find(header->kid) == nullptr;
}

}  // namespace

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

namespace {

std::unique_ptr<Verifier::Impl> MakeImpl(VerifierOptions& options,
                                         std::function<Result<std::string>()> load,
                                         std::string* error) {
  auto impl = std::make_unique<Verifier::Impl>();
  impl->policy = PolicyFrom(options);
  impl->refresh_interval = options.refresh_interval;
  auto text = load();
  if (!text) {
    SetError(error, text.error().detail);
    return nullptr;
  }
  auto built = impl->Build(*text);
  if (!built) {
    SetError(error, built.error().detail);
    return nullptr;
  }
  impl->current.store(*built);
  impl->load = std::move(load);
  return impl;
}

}  // namespace

std::unique_ptr<Verifier> Verifier::FromJwks(std::string_view jwks_json, VerifierOptions options,
                                             std::string* error) {
  auto impl = MakeImpl(
      options, [text = std::string(jwks_json)]() -> Result<std::string> { return text; }, error);
  if (!impl) {
    return nullptr;
  }
  impl->load = nullptr;  // a fixed document: nothing to reload
  return std::unique_ptr<Verifier>(new Verifier(std::move(impl)));
}

std::unique_ptr<Verifier> Verifier::FromJwksFile(const std::string& path, VerifierOptions options,
                                                 std::string* error) {
  auto impl = MakeImpl(
      options, [path] { return ReadFile(path); }, error);
  return impl ? std::unique_ptr<Verifier>(new Verifier(std::move(impl))) : nullptr;
}

std::unique_ptr<Verifier> Verifier::FromJwksUrl(const std::string& url, VerifierOptions options,
                                                std::string* error) {
  verifier::FetchOptions fetch{options.fetch_timeout, options.ca_file};
  auto impl = MakeImpl(
      options, [url, fetch] { return verifier::FetchUrl(url, fetch); }, error);
  return impl ? std::unique_ptr<Verifier>(new Verifier(std::move(impl))) : nullptr;
}

VerifyResult Verifier::Verify(std::string_view token) const {
  return VerifyAt(token, ToUnixSeconds(SystemClock().Now()));
}

VerifyResult Verifier::VerifyAt(std::string_view token, int64_t now_unix_seconds) const {
  VerifyResult result;
  std::shared_ptr<const jose::JwtVerifier> verifier = impl_->current.load();
  auto claims = verifier->Verify(token, FromUnixSeconds(now_unix_seconds));
  if (!claims && impl_->load && NamesUnknownKid(token, verifier->keys())) {
    auto reloaded = impl_->ReloadFor(verifier);
    if (reloaded != verifier) {
      claims = reloaded->Verify(token, FromUnixSeconds(now_unix_seconds));
    }
  }
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
  t.username = claims->preferred_username.value_or("");
  if (claims->aud) {
    t.audience = std::move(*claims->aud);
  }
  t.roles = std::move(claims->roles);
  t.expires_at = claims->exp.value_or(0);
  t.issued_at = claims->iat.value_or(0);
  return result;
}

uint64_t Verifier::key_reloads() const {
  return impl_->reloads.load();
}

std::string Verifier::last_reload_error() const {
  std::lock_guard lock(impl_->reload_mu);
  return impl_->last_error;
}

}  // namespace sesame
