#pragma once

// sesame's configuration: plain structs with the defaults of API.md, loaded from a TOML file,
// SESAME_<SECTION>_<KEY> environment variables and command-line overrides (later wins), and
// validated as a whole. Every error is one line that names the key ("session.idle_timeout: ...").
// Values are plain data; LoadConfig is a pure function of its sources. Thread-compatible.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace sesame::config {

struct Rate {
  int64_t count = 0;
  Seconds window{0};
};

struct Config {
  struct Server {
    std::string listen = "127.0.0.1:8080";
    std::string data_dir = "./var";
    std::string public_url;
    std::vector<std::string> allowed_origins;
    // Reverse proxies whose forwarding headers are believed (IPs or CIDRs; http/client_address.h).
    std::vector<std::string> trusted_proxies;
    std::string tls_cert;
    std::string tls_key;
    int64_t io_threads = 0;  // 0: one per core
    int64_t workers = 0;     // argon2id threads; 0: one per core, capped by memory
    int64_t max_connections = 10000;
    bool access_log = true;  // one JSON line per request on stdout
    // HOST:PORT of a listener of its own for /metrics (then not served on `listen`); empty: none.
    std::string metrics_listen;
    // A file holding the bearer token /metrics requires (and that shows /readyz's detail).
    std::string metrics_token;
  } server;
  struct Auth {
    std::string default_mode = "session";      // session | jwt
    std::string default_transport = "cookie";  // cookie | header
    std::string registration = "closed";       // closed | open
    // What GET /v1/auth/verify asks of a cookie request whose original method is unsafe.
    std::string forward_auth_csrf = "origin";  // origin | token | off
  } auth;
  struct Session {
    Seconds idle_timeout{30 * 60};
    Seconds absolute_timeout{14 * 24 * 3600};
    // The absolute timeout of a "remember this device" login; never shorter than
    // absolute_timeout (the longer of the two applies).
    Seconds remember_timeout{30 * 24 * 3600};
    int64_t max_per_user = 0;               // 0 = no limit
    std::string on_limit = "evict_oldest";  // evict_oldest | refuse
  } session;
  struct Jwt {
    std::string algorithm = "ES256";
    std::string issuer;
    std::string audience;
    Seconds access_ttl{30 * 60};
    bool refresh = true;
    Seconds refresh_ttl{14 * 24 * 3600};
    Seconds refresh_grace{30};
    // Clock skew allowed between nodes for exp, nbf and iat of sesame's own access tokens.
    Seconds leeway{5};
    // The signing key ring; empty: <server.data_dir>/keys.json.
    std::string keys_file;
  } jwt;
  struct Cookie {
    std::string same_site = "lax";  // lax | strict
    std::string secure = "auto";    // auto | true | false
  } cookie;
  struct Limits {
    Rate login_failures_per_user{10, Seconds(15 * 60)};
    Rate login_attempts_per_ip{100, Seconds(60)};
    // Failures across every network, counted for logins from unknown devices (the owner's
    // known devices, holding a device cookie, still get in when it is reached).
    Rate login_failures_per_account{50, Seconds(15 * 60)};
    // The first growing delay (after the third failure); each next failure doubles it.
    Seconds login_backoff{1};
  } limits;
  struct OAuth {
    // Services allowed to call /v1/oauth/introspect and /v1/oauth/revoke: "NAME:HASH", where
    // HASH is the SHA-256 (base64url) of the service's API key (`sesame keys api-key NAME`).
    std::vector<std::string> clients;
  } oauth;
  struct Audit {
    // Audit events older than this are deleted by the maintenance thread, in bounded batches.
    Seconds retention{90 * 24 * 3600};
  } audit;
  struct Store {
    std::string users = "sqlite";     // sqlite | postgresql://...
    std::string sessions = "sqlite";  // sqlite | redis://...
  } store;
  struct Password {
    // argon2id cost; the defaults are OWASP's minimum (m = 19 MiB, t = 2, p = 1).
    int64_t argon2_iterations = 2;
    int64_t argon2_memory_bytes = int64_t{19} * 1024 * 1024;
  } password;
};

struct ConfigSources {
  // A file named on the command line must exist; otherwise ./sesame.toml is read if present.
  std::string file;
  bool file_is_explicit = false;
  // SESAME_* variables (others are ignored), e.g. {"SESAME_SERVER_LISTEN", "0.0.0.0:80"}.
  std::map<std::string, std::string> environment;
  // Command-line overrides by key, e.g. {"server.data_dir", "/srv/sesame"}.
  std::map<std::string, std::string> overrides;
};

// kInvalidConfig with "<section>.<key>: <what is wrong>" (or "<file>: ..." for a TOML syntax
// error), kIoError for an explicit file that cannot be read.
[[nodiscard]] Result<Config> LoadConfig(const ConfigSources& sources);

// The effective configuration as TOML, every key present; passwords in store URLs redacted.
std::string RenderConfig(const Config& config);

// One oauth.clients entry.
struct ApiClient {
  std::string name;
  std::string key_hash;  // base64url SHA-256 of the API key
};
[[nodiscard]] Result<ApiClient> ParseApiClient(std::string_view entry);

// "30s", "15m", "12h", "14d" (a bare number is seconds).
[[nodiscard]] Result<Seconds> ParseDuration(std::string_view text);

}  // namespace sesame::config
