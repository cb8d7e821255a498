#pragma once

// The whole route table over the real domain services (AuthFixture: the memory store, a test
// clock), without a socket: Send() builds a Request, lets the real Router pick the handler and
// runs its deferred work on a real WorkerPool, as the server does, waiting for it to finish.
// Tests read what a client would see (status, headers, JSON fields), so they hold while the
// types behind the routes change. HttpPolicy is set field by field (plain http on loopback
// cookie names, one allowed origin, one API client, a metrics token).
// One harness per test; Send() is called from the test's thread.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/access_tokens.h"
#include "auth/key_publisher.h"
#include "auth/revocation_feed.h"
#include "auth_fixture.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/route_context.h"
#include "http/router.h"
#include "http/worker_pool.h"
#include "temp_dir.h"

namespace sesame::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// What the harness is built with; the defaults fit most tests.
struct RouteHarnessOptions {
  auth::SessionPolicy session;
  auth::RateLimit failures_per_user{10, Seconds(900)};
  bool registration_open = false;
  http::ForwardAuthCsrf forward_auth_csrf = http::ForwardAuthCsrf::kOrigin;
};

// A client's hold on a session after a login through the API.
struct ClientSession {
  std::string id;             // public session id
  std::string credential;     // session secret or access JWT (body or cookie)
  std::string refresh_token;  // jwt mode
  std::string csrf_token;     // cookie transport
};

class RouteHarness {
 public:
  static constexpr const char* kOrigin = "http://sesame.test";  // policy.public_origin
  static constexpr const char* kAllowedOrigin = "https://app.example.com";
  static constexpr const char* kClientName = "svc";     // oauth.clients
  static constexpr const char* kClientKey = "svc-key";  // its API key
  static constexpr const char* kMetricsToken = "metrics-token";
  static constexpr const char* kRemoteIp = "192.0.2.10";  // not loopback

  explicit RouteHarness(RouteHarnessOptions options = {});
  ~RouteHarness();

  http::Response Send(http::Method method, const std::string& target, const Headers& headers = {},
                      const std::string& body = {}, const std::string& remote_ip = kRemoteIp);
  // POST with a JSON body (Content-Type set).
  http::Response PostJson(const std::string& target, const nlohmann::json& body,
                          Headers headers = {});

  store::User AddUser(const std::string& name, const std::string& password,
                      std::vector<std::string> roles = {});
  // POST /v1/auth/login, asserting success; cookie transport sends the own Origin.
  ClientSession Login(const std::string& name, const std::string& password,
                      store::SessionMode mode = store::SessionMode::kSession,
                      store::Transport transport = store::Transport::kHeader);

  // Headers of a request carrying the session: a bearer token (header transport), or the
  // cookie with the own Origin and X-CSRF-Token (cookie transport).
  static Headers Bearer(const ClientSession& session);
  static Headers CookieWithCsrf(const ClientSession& session);
  static Headers CookieOnly(const ClientSession& session);

  AuthFixture& fixture() { return fixture_; }
  TestClock& clock() { return fixture_.clock; }
  const http::RouteContext& context() const { return *context_; }
  // What /readyz reports; ok unless a test sets it.
  std::function<Result<void>()> ready = [] { return Result<void>(); };

 private:
  AuthFixture fixture_;
  TempDir dir_{"sesame-routes"};
  std::unique_ptr<auth::KeyPublisher> keys_;
  std::unique_ptr<auth::AccessTokens> access_tokens_;
  std::unique_ptr<auth::RevocationFeed> revocation_feed_;
  http::WorkerPool cpu_pool_{"test-cpu", 2, 16};
  http::WorkerPool store_pool_{"test-store", 2, 16};
  http::WorkerPool feed_pool_{"test-feed", 2, 16};
  std::unique_ptr<http::RouteContext> context_;
  http::Router router_;
  std::unique_ptr<http::Metrics> metrics_;
};

// The JSON body of a response (null when there is none or it does not parse).
nlohmann::json JsonBody(const http::Response& response);
// Every value of an extra header (Set-Cookie comes once per cookie).
std::vector<std::string> HeaderValues(const http::Response& response, std::string_view name);
// The value a Set-Cookie of the response gives cookie `name`; nullopt if none sets it.
std::optional<std::string> SetCookieValue(const http::Response& response, std::string_view name);
// The whole Set-Cookie line of cookie `name` (attributes included); empty if none.
std::string SetCookieLine(const http::Response& response, std::string_view name);

}  // namespace sesame::testing
