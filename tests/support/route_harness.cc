#include "route_harness.h"

#include <exception>
#include <future>
#include <variant>

#include <gtest/gtest.h>

#include "auth/session_cache.h"
#include "http/error_response.h"
#include "http/routes/routes.h"

namespace sesame::testing {
namespace {

constexpr Seconds kAccessTtl{300};
constexpr Seconds kLeeway{5};
// base64url SHA-256 of kClientKey, as oauth.clients holds it.
constexpr const char* kClientKeyHash = "e8jFbOHgckGIz7vs8yBENefLY54ybabw_5zZt9zxFSA";

auth::AccessTokenPolicy AccessPolicy() {
  auth::AccessTokenPolicy policy;
  policy.issuer = RouteHarness::kOrigin;
  policy.audience = "sesame";
  policy.ttl = kAccessTtl;
  policy.leeway = kLeeway;
  return policy;
}

// Plain http on loopback: cookies without Secure, so without the __Host- prefix.
http::HttpPolicy Policy(const RouteHarnessOptions& options) {
  http::HttpPolicy policy;
  policy.cookie.secure = false;
  policy.cookie.same_site = "Lax";
  policy.session_cookie_name = "sesame_session";
  policy.refresh_cookie_name = "sesame_refresh";
  policy.device_cookie_name = "sesame_device";
  policy.public_origin = RouteHarness::kOrigin;
  policy.allowed_origins = {RouteHarness::kAllowedOrigin};
  policy.registration_open = options.registration_open;
  policy.forward_auth_csrf = options.forward_auth_csrf;
  policy.api_clients = {http::ApiClient{RouteHarness::kClientName, kClientKeyHash}};
  return policy;
}

// The server's RunDeferred without Asio: a slot on the pool, or 503 at once when it is full.
http::Response RunDeferred(http::Deferred deferred) {
  std::promise<http::Response> done;
  std::future<http::Response> answer = done.get_future();
  const bool posted = deferred.pool->TryPost([&deferred, &done] {
    try {
      done.set_value(deferred.work());
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  if (!posted) {
    Error busy{ErrorCode::kUnavailable, "worker pool full"};
    busy.retry_after_seconds = 1;
    return http::ErrorResponse(busy);
  }
  return answer.get();
}

}  // namespace

RouteHarness::RouteHarness(RouteHarnessOptions options)
    : fixture_(options.session, options.failures_per_user) {
  const auth::AccessTokenPolicy access_policy = AccessPolicy();
  keys_ = std::move(*auth::KeyPublisher::Open(dir_.path() + "/keys.json", jose::Algorithm::kES256,
                                              kAccessTtl + kLeeway,
                                              auth::AccessClaimsPolicy(access_policy), clock()));
  access_tokens_ =
      std::make_unique<auth::AccessTokens>(*keys_, fixture_.revocations, clock(), access_policy);
  revocation_feed_ =
      std::make_unique<auth::RevocationFeed>(fixture_.store, clock(), kAccessTtl + kLeeway);
  context_ = std::make_unique<http::RouteContext>(http::RouteContext{Policy(options),
                                                                     *fixture_.login,
                                                                     fixture_.sessions,
                                                                     fixture_.accounts,
                                                                     fixture_.store,
                                                                     fixture_.counters,
                                                                     clock(),
                                                                     cpu_pool_,
                                                                     store_pool_,
                                                                     nullptr,
                                                                     keys_.get(),
                                                                     access_tokens_.get(),
                                                                     &fixture_.refresh,
                                                                     [this] { return ready(); },
                                                                     {}});
  http::RouteContext& context = *context_;
  context.metrics_token_hash = auth::HashSecret(kMetricsToken);
  context.revocation_feed = revocation_feed_.get();
  context.feed_pool = &feed_pool_;
  http::AddAllRoutes(router_, context);
  metrics_ = std::make_unique<http::Metrics>(router_.RouteNames());
  context.metrics = metrics_.get();
}

// The pools finish what they accepted before the services they use go away.
RouteHarness::~RouteHarness() {
  revocation_feed_->Stop();
  feed_pool_.Stop();
  cpu_pool_.Stop();
  store_pool_.Stop();
}

http::Response RouteHarness::Send(http::Method method, const std::string& target,
                                  const Headers& headers, const std::string& body,
                                  const std::string& remote_ip) {
  std::vector<http::HeaderField> fields;
  for (const auto& [name, value] : headers) {
    fields.push_back(http::HeaderField{name, value});
  }
  http::Request request;
  request.method = method;
  request.target = target;
  const size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : request.target.substr(q + 1);
  request.headers = fields;
  request.body = body;
  request.remote_ip = remote_ip;
  const http::Router::Match match = router_.Find(request);
  if (match.route == nullptr) {
    ADD_FAILURE() << "no route for " << http::MethodName(method) << " " << target;
    return http::ErrorResponse(Error{ErrorCode::kNotFound, {}});
  }
  http::Reply reply = match.route->handler(request);
  if (auto* deferred = std::get_if<http::Deferred>(&reply)) {
    return RunDeferred(std::move(*deferred));
  }
  return std::move(std::get<http::Response>(reply));
}

http::Response RouteHarness::PostJson(const std::string& target, const nlohmann::json& body,
                                      Headers headers) {
  headers.emplace_back("Content-Type", "application/json");
  return Send(http::Method::kPost, target, headers, body.dump());
}

store::User RouteHarness::AddUser(const std::string& name, const std::string& password,
                                  std::vector<std::string> roles) {
  return fixture_.AddUser(name, password, std::move(roles));
}

ClientSession RouteHarness::Login(const std::string& name, const std::string& password,
                                  store::SessionMode mode, store::Transport transport) {
  const bool cookie = transport == store::Transport::kCookie;
  const http::Response r = PostJson("/v1/auth/login",
                                    {{"username", name},
                                     {"password", password},
                                     {"mode", store::SessionModeName(mode)},
                                     {"transport", store::TransportName(transport)}},
                                    cookie ? Headers{{"Origin", kOrigin}} : Headers{});
  EXPECT_EQ(r.status, 200) << r.body;
  const nlohmann::json body = JsonBody(r);
  ClientSession session;
  session.id = body["session"].value("id", "");
  if (cookie) {
    session.credential = SetCookieValue(r, "sesame_session").value_or("");
    session.refresh_token = SetCookieValue(r, "sesame_refresh").value_or("");
    session.csrf_token = body.value("csrf_token", "");
  } else if (mode == store::SessionMode::kJwt) {
    session.credential = body.value("access_token", "");
    session.refresh_token = body.value("refresh_token", "");
  } else {
    session.credential = body.value("session_token", "");
  }
  EXPECT_FALSE(session.credential.empty()) << r.body;
  return session;
}

Headers RouteHarness::Bearer(const ClientSession& session) {
  return {{"Authorization", "Bearer " + session.credential}};
}

Headers RouteHarness::CookieOnly(const ClientSession& session) {
  return {{"Cookie", "sesame_session=" + session.credential}};
}

Headers RouteHarness::CookieWithCsrf(const ClientSession& session) {
  Headers headers = CookieOnly(session);
  headers.emplace_back("Origin", kOrigin);
  headers.emplace_back("X-CSRF-Token", session.csrf_token);
  return headers;
}

nlohmann::json JsonBody(const http::Response& response) {
  return nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
}

std::vector<std::string> HeaderValues(const http::Response& response, std::string_view name) {
  std::vector<std::string> values;
  std::string_view rest = response.headers;
  while (!rest.empty()) {
    const size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name &&
        line[name.size()] == ':') {
      values.emplace_back(line.substr(name.size() + 2));
    }
  }
  return values;
}

std::string SetCookieLine(const http::Response& response, std::string_view name) {
  for (const std::string& line : HeaderValues(response, "Set-Cookie")) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == '=') {
      return line;
    }
  }
  return {};
}

std::optional<std::string> SetCookieValue(const http::Response& response, std::string_view name) {
  const std::string line = SetCookieLine(response, name);
  if (line.empty()) {
    return std::nullopt;
  }
  const size_t start = name.size() + 1;
  return line.substr(start, line.find(';') - start);
}

}  // namespace sesame::testing
