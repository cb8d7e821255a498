#pragma once

// Verifies sesame access tokens inside another C++ service, against the public keys sesame
// publishes at /.well-known/jwks.json: signature, algorithm, kid, header rules, expiry, issuer,
// audience and typ. It needs no connection to sesame per request.
//
// Revocations: by itself a verifier does not know about them (a logged-out session's token
// stays valid here until it expires). FollowRevocations() makes it follow sesame's revocation
// feed (GET /v1/revocations, with an API client of sesame's oauth.clients): a snapshot at once,
// then a long-poll on a thread of its own. Verify() then refuses with kSessionRevoked a token
// whose session was revoked (logout, logout-all, admin, disabled user, eviction, refresh token
// reuse), from memory, without a network call. The bound: a revocation reaches this verifier
// within one feed round trip (milliseconds, plus up to sesame's change-feed tick of 250 ms)
// while the feed is reachable; when it is not, tokens are refused after max_staleness (with
// kInvalidToken and the reason "revocation feed stale": the verifier can no longer vouch for
// them, so it fails closed; set max_staleness to 0 to keep accepting instead).
//
// Keys from a file or URL are reloaded when a token names a kid the loaded keys lack (sesame
// publishes a key before it signs, so this happens only when the document was fetched long
// ago), at most once per refresh_interval, so garbage tokens cannot make it hammer the source.
// That reload happens inside Verify(), which then blocks for up to fetch_timeout.
//
// Link the CMake target sesame::verifier. This header shows only standard types. A Verifier is
// safe to share across threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sesame {

enum class VerifyStatus {
  kOk,
  kInvalidToken,  // malformed, bad signature, unknown kid, wrong alg/iss/aud/typ, not yet valid
  kTokenExpired,  // past exp (plus leeway): the client should refresh
  // The token's session was revoked, or the user's sessions were revoked after it was issued
  // (only when following the revocation feed): the client must log in again.
  kSessionRevoked,
};

// "ok", "invalid_token", "token_expired", "session_revoked": the error codes of sesame's HTTP
// API.
std::string_view VerifyStatusName(VerifyStatus status);

struct VerifierOptions {
  std::string issuer{};                  // required iss, if not empty
  std::string audience{};                // required member of aud, if not empty
  std::string expected_type = "at+jwt";  // required header typ (RFC 9068), if not empty
  std::chrono::seconds leeway{60};       // clock skew allowed for exp, nbf, iat
  // FromJwksFile / FromJwksUrl: reload on an unknown kid at most this often.
  std::chrono::seconds refresh_interval{30};
  std::chrono::seconds fetch_timeout{5};  // FromJwksUrl: one fetch, start to end
  std::string ca_file{};                  // FromJwksUrl over https: trust these CAs (PEM) only
};

// How to follow sesame's revocation feed (Verifier::FollowRevocations).
struct RevocationFeedOptions {
  // The feed, e.g. "https://auth.example.com/v1/revocations" (http:// or https://).
  std::string url{};
  // An API client of sesame's oauth.clients: its name and key, sent with HTTP Basic. An empty
  // client_id sends the key alone as a bearer token.
  std::string client_id{};
  std::string client_secret{};
  // How long sesame may hold a request that finds nothing new (0..30). Each request's timeout
  // is this plus VerifierOptions::fetch_timeout. With 0 the verifier polls once a second.
  std::chrono::seconds wait{25};
  // After this long without an answer from the feed, Verify() refuses every token with
  // kInvalidToken ("revocation feed stale"); 0: never (keep accepting what is not known to be
  // revoked). Must exceed wait + fetch_timeout.
  std::chrono::seconds max_staleness{300};
  std::string ca_file{};  // https: trust these CAs (PEM) only; empty: the system's
};

// The feed as this verifier follows it, for monitoring.
struct RevocationFeedStatus {
  bool following = false;
  uint64_t answers = 0;          // feed answers applied, the first snapshot included
  uint64_t revoked_entries = 0;  // sessions and users held
  int64_t seconds_since_answer = 0;
  std::string last_error{};  // of the last request, "" if it succeeded
};

struct AccessToken {
  std::string subject;     // sub: the user id
  std::string session_id;  // sid
  std::string issuer;      // iss
  std::string token_id;    // jti
  std::string username;    // preferred_username
  std::vector<std::string> audience;
  std::vector<std::string> roles;
  int64_t expires_at = 0;  // exp, seconds since the Unix epoch (0 if absent)
  int64_t issued_at = 0;   // iat (0 if absent)
};

struct VerifyResult {
  VerifyStatus status = VerifyStatus::kInvalidToken;
  std::string reason;  // why, for logs; empty when ok. Never contains the token.
  AccessToken token;   // filled when ok
  bool ok() const { return status == VerifyStatus::kOk; }
};

class Verifier {
 public:
  // Builds a verifier from a JWKS document ({"keys":[...]}) or one JWK. Returns null and sets
  // *error if the document holds no usable key.
  static std::unique_ptr<Verifier> FromJwks(std::string_view jwks_json, VerifierOptions options,
                                            std::string* error);
  // The same, reading the document from a file (read again on an unknown kid).
  static std::unique_ptr<Verifier> FromJwksFile(const std::string& path, VerifierOptions options,
                                                std::string* error);
  // The same, fetching the document from an http:// or https:// URL (again on an unknown kid),
  // e.g. "https://auth.example.com/.well-known/jwks.json".
  static std::unique_ptr<Verifier> FromJwksUrl(const std::string& url, VerifierOptions options,
                                               std::string* error);

  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Verifies at the current system time.
  VerifyResult Verify(std::string_view token) const;
  // Verifies at the given time (seconds since the Unix epoch).
  VerifyResult VerifyAt(std::string_view token, int64_t now_unix_seconds) const;

  // How many times the keys were reloaded, and the last reload error ("" if none), for
  // monitoring.
  uint64_t key_reloads() const;
  std::string last_reload_error() const;

  // Follows sesame's revocation feed from now on (see the top of this file). Fetches a snapshot
  // first, synchronously: returns false and sets *error if that fails (unreachable, credentials
  // refused, bad options, already following), and the verifier then goes on without revocation
  // checks. After that a background thread keeps the set current, reconnecting with backoff
  // after errors; the destructor stops and joins it. Call once, before or while verifying.
  bool FollowRevocations(RevocationFeedOptions options, std::string* error);
  RevocationFeedStatus revocation_feed_status() const;

 private:
  struct Impl;  // opaque: jose, crypto and the feed follower stay out of this header

  explicit Verifier(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace sesame
