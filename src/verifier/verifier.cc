// Implements include/sesame/verifier.h on top of jose::JwtVerifier, with the key source
// (a document, a file or a URL) reloaded on an unknown kid, and the revocation feed followed by
// verifier::RevocationFollower.

#include "sesame/verifier.h"

#include <atomic>
#include <functional>

#include "common/base64url.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/mutex.h"
#include "jose/jws.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"
#include "verifier/jwks_fetch.h"
#include "verifier/revocation_follower.h"

namespace sesame {

struct Verifier::Impl {
  jose::ClaimsPolicy policy;
  std::function<Result<std::string>()> load;  // empty: a fixed document
  std::chrono::seconds refresh_interval{30};
  std::chrono::seconds fetch_timeout{5};
  std::atomic<std::shared_ptr<const jose::JwtVerifier>> current;
  // Set once by FollowRevocations (under follow_mu) and read lock-free by VerifyAt; owned by
  // `follower_owner`, which lives as long as the Impl.
  Mutex follow_mu;
  std::unique_ptr<verifier::RevocationFollower> follower_owner SESAME_GUARDED_BY(follow_mu);
  std::atomic<const verifier::RevocationFollower*> follower{nullptr};
  Mutex reload_mu;
  std::chrono::steady_clock::time_point last_reload SESAME_GUARDED_BY(reload_mu);
  std::string last_error SESAME_GUARDED_BY(reload_mu);
  std::atomic<uint64_t> reloads{0};

  // Reads the first key document with `load` (kept for reloads); null and *error if unusable.
  static std::unique_ptr<Impl> Create(VerifierOptions& options,
                                      std::function<Result<std::string>()> load,
                                      std::string* error);

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
    MutexLock lock(reload_mu);
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
    case VerifyStatus::kSessionRevoked:
      return "session_revoked";
  }
  return "invalid_token";
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;

std::unique_ptr<Verifier::Impl> Verifier::Impl::Create(VerifierOptions& options,
                                                       std::function<Result<std::string>()> load,
                                                       std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->policy = PolicyFrom(options);
  impl->refresh_interval = options.refresh_interval;
  impl->fetch_timeout = options.fetch_timeout;
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

std::unique_ptr<Verifier> Verifier::FromJwks(std::string_view jwks_json, VerifierOptions options,
                                             std::string* error) {
  auto impl = Impl::Create(
      options, [text = std::string(jwks_json)]() -> Result<std::string> { return text; }, error);
  if (!impl) {
    return nullptr;
  }
  impl->load = nullptr;  // a fixed document: nothing to reload
  return std::unique_ptr<Verifier>(new Verifier(std::move(impl)));
}

std::unique_ptr<Verifier> Verifier::FromJwksFile(const std::string& path, VerifierOptions options,
                                                 std::string* error) {
  auto impl = Impl::Create(
      options, [path] { return ReadFile(path); }, error);
  return impl ? std::unique_ptr<Verifier>(new Verifier(std::move(impl))) : nullptr;
}

std::unique_ptr<Verifier> Verifier::FromJwksUrl(const std::string& url, VerifierOptions options,
                                                std::string* error) {
  verifier::FetchOptions fetch;
  fetch.timeout = options.fetch_timeout;
  fetch.ca_file = options.ca_file;
  auto impl = Impl::Create(
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
  if (const verifier::RevocationFollower* follower = impl_->follower.load()) {
    // iat absent reads as 0: issued before any cut-off, so a user cut-off refuses it.
    switch (follower->Check(claims->sid.value_or(""), claims->sub.value_or(""),
                            claims->iat.value_or(0))) {
      case verifier::RevocationFollower::Verdict::kLive:
        break;
      case verifier::RevocationFollower::Verdict::kRevoked:
        result.status = VerifyStatus::kSessionRevoked;
        result.reason = "the session was revoked";
        return result;
      case verifier::RevocationFollower::Verdict::kStale:
        result.reason = "revocation feed stale";  // kInvalidToken: fail closed
        return result;
    }
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
  MutexLock lock(impl_->reload_mu);
  return impl_->last_error;
}

namespace {

// RFC 7617: base64 (RFC 4648 §4, padded) of "id:secret".
std::string BasicAuthorization(std::string_view id, std::string_view secret) {
  std::string credentials;
  credentials.reserve(id.size() + 1 + secret.size());
  credentials.append(id).append(":").append(secret);
  std::string out = Base64UrlEncode(credentials);
  for (char& c : out) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    }
  }
  out.append((4 - out.size() % 4) % 4, '=');
  return "Basic " + out;
}

}  // namespace

bool Verifier::FollowRevocations(RevocationFeedOptions options, std::string* error) {
  if (options.url.empty() || options.client_secret.empty()) {
    SetError(error, "the revocation feed needs a url and an API client's key");
    return false;
  }
  if (options.client_id.find(':') != std::string::npos) {
    SetError(error, "client_id cannot hold ':' (HTTP Basic)");
    return false;
  }
  if (options.wait.count() < 0 || options.wait.count() > 30) {
    SetError(error, "wait must be 0 to 30 seconds");
    return false;
  }
  const std::chrono::seconds fetch_timeout = impl_->fetch_timeout;
  if (options.max_staleness.count() < 0 ||
      (options.max_staleness.count() > 0 &&
       options.max_staleness <= options.wait + fetch_timeout)) {
    SetError(error, "max_staleness must be 0 (never) or more than wait + fetch_timeout");
    return false;
  }
  verifier::FetchOptions fetch;
  fetch.timeout = fetch_timeout;
  fetch.ca_file = options.ca_file;
  fetch.accept = "application/json";
  fetch.max_body = size_t{64} << 20;  // a snapshot lists every session revoked within the horizon
  fetch.authorization = options.client_id.empty()
                            ? "Bearer " + options.client_secret
                            : BasicAuthorization(options.client_id, options.client_secret);
  const std::string url = options.url;
  const char separator = url.find('?') == std::string::npos ? '?' : '&';
  verifier::FeedFetch fetch_feed = [url, separator, fetch](const std::string& query,
                                                           std::chrono::seconds wait,
                                                           verifier::FetchCanceller& canceller) {
    verifier::FetchOptions once = fetch;
    once.timeout += wait;  // the server may hold the request this long
    once.canceller = &canceller;
    return verifier::FetchUrl(url + separator + query, once);
  };
  verifier::FollowerOptions follower_options;
  follower_options.wait = options.wait;
  follower_options.max_staleness = options.max_staleness;

  MutexLock lock(impl_->follow_mu);
  if (impl_->follower_owner) {
    SetError(error, "already following a revocation feed");
    return false;
  }
  auto follower = std::make_unique<verifier::RevocationFollower>(std::move(fetch_feed),
                                                                 std::move(follower_options));
  if (auto started = follower->Start(); !started) {
    SetError(error, "revocation feed " + options.url + ": " + started.error().detail);
    return false;
  }
  impl_->follower.store(follower.get());
  impl_->follower_owner = std::move(follower);
  return true;
}

RevocationFeedStatus Verifier::revocation_feed_status() const {
  RevocationFeedStatus status;
  const verifier::RevocationFollower* follower = impl_->follower.load();
  if (follower == nullptr) {
    return status;
  }
  status.following = true;
  status.answers = follower->answers();
  status.revoked_entries = follower->entries();
  status.seconds_since_answer = follower->seconds_since_answer();
  status.last_error = follower->last_error();
  return status;
}

}  // namespace sesame
