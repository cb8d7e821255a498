#include "app/metrics_listener.h"

#include <pthread.h>
#include <sched.h>

#include <cctype>
#include <utility>

#include "common/files.h"
#include "http/routes/routes.h"

namespace sesame::app {

Result<std::optional<auth::SecretHash>> LoadMetricsToken(const std::string& path) {
  if (path.empty()) {
    return std::optional<auth::SecretHash>();
  }
  auto secret = ReadSecretFile(path);
  if (!secret) {
    return MakeError(ErrorCode::kInvalidConfig, "server.metrics_token: " + secret.error().detail);
  }
  std::string_view token = secret->view();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.remove_suffix(1);
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.remove_prefix(1);
  }
  if (token.empty()) {
    return MakeError(ErrorCode::kInvalidConfig, "server.metrics_token: " + path + " is empty");
  }
  return std::optional<auth::SecretHash>(auth::HashSecret(token));
}

MetricsListener::MetricsListener(const std::string& listen, const http::RouteContext& context,
                                 http::AccessLog& access_log) {
  router_.Add(http::Method::kGet, "/healthz", [](http::Request&) -> http::Reply {
    return http::Response::Json(200, R"({"status":"ok"})");
  });
  http::AddMetricsRoute(router_, context);
  metrics_ = std::make_unique<http::Metrics>(router_.RouteNames());
  http::ServerOptions options;
  options.listen = listen;
  options.io_threads = 1;
  options.max_connections = 64;
  options.handle_signals = false;
  server_ = std::make_unique<http::Server>(options, router_, *metrics_, access_log);
}

Result<std::unique_ptr<MetricsListener>> MetricsListener::Start(const std::string& listen,
                                                                const http::RouteContext& context,
                                                                http::AccessLog& access_log) {
  auto listener = std::make_unique<MetricsListener>(listen, context, access_log);
  auto port = listener->server_->Listen();
  if (!port) {
    Error error = port.error();
    error.detail = "server.metrics_listen: " + error.detail;
    return tl::unexpected(error);
  }
  listener->port_ = *port;
  listener->thread_ = std::thread([server = listener->server_.get()] {
    // Monitoring never takes a core from serving, nor from argon2id (whose workers run at
    // nice 19): the listener's one io thread runs under SCHED_IDLE, on what nobody else wants.
    // Failure only means it runs at normal priority.
    sched_param idle{};
    (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
    server->Run();
  });
  return listener;
}

MetricsListener::~MetricsListener() {
  if (thread_.joinable()) {
    server_->Stop();
    thread_.join();
  }
}

}  // namespace sesame::app
