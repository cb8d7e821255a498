#include "verifier/jwks_fetch.h"

#include <charconv>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace sesame::verifier {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;  // without brackets
  std::string port;
  std::string target;
};

std::optional<Url> ParseUrl(std::string_view url) {
  Url out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const size_t path_start = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path_start);
  std::string_view rest = path_start == std::string_view::npos ? "/" : url.substr(path_start);
  rest = rest.substr(0, rest.find('#'));
  out.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return std::nullopt;  // no credentials in URLs
  }
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (out.host.empty()) {
    return std::nullopt;
  }
  if (!port.empty()) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return std::nullopt;
    }
  }
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return std::nullopt;
    }
  }
  return out;
}

template <typename Stream>
net::awaitable<http::response<http::string_body>> Exchange(Stream& stream, const Url& url,
                                                           const FetchOptions& options) {
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "sesame-verifier");
  request.set(http::field::accept, options.accept);
  if (!options.authorization.empty()) {
    request.set(http::field::authorization, options.authorization);
  }
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_body);
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  co_return parser.release();
}

net::awaitable<http::response<http::string_body>> Get(const Url& url, net::ssl::context* tls,
                                                      const FetchOptions& options) {
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, net::use_awaitable);
  if (tls == nullptr) {
    beast::tcp_stream stream(executor);
    co_await stream.async_connect(endpoints, net::use_awaitable);
    co_return co_await Exchange(stream, url, options);
  }
  beast::ssl_stream<beast::tcp_stream> stream(executor, *tls);
  // SNI, and the certificate must name the host.
  // SSL_set_tlsext_host_name, without the macro's C cast.
  if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(url.host.c_str())) != 1) {
    throw beast::system_error(
        beast::error_code(static_cast<int>(::ERR_get_error()), net::error::get_ssl_category()));
  }
  stream.set_verify_callback(net::ssl::host_name_verification(url.host));
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
  co_await stream.async_handshake(net::ssl::stream_base::client, net::use_awaitable);
  co_return co_await Exchange(stream, url, options);
}

}  // namespace

void FetchCanceller::Cancel() {
  MutexLock lock(mu_);
  cancelled_ = true;
  if (stop_) {
    stop_();  // io_context::stop() is thread-safe
  }
}

bool FetchCanceller::is_cancelled() const {
  MutexLock lock(mu_);
  return cancelled_;
}

bool FetchCanceller::Attach(std::function<void()> stop) {
  MutexLock lock(mu_);
  if (cancelled_) {
    return false;
  }
  stop_ = std::move(stop);
  return true;
}

void FetchCanceller::Detach() {
  MutexLock lock(mu_);
  stop_ = nullptr;
}

Result<std::string> FetchUrl(std::string_view url_text, const FetchOptions& options) {
  const auto url = ParseUrl(url_text);
  if (!url) {
    return MakeError(ErrorCode::kInvalidRequest, "not an http(s)://host[:port]/path URL: " +
                                                     std::string(url_text.substr(0, 200)));
  }
  std::optional<net::ssl::context> tls;
  if (url->tls) {
    tls.emplace(net::ssl::context::tls_client);
    tls->set_verify_mode(net::ssl::verify_peer);
    beast::error_code ec;
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
    } else {
      tls->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "TLS trust store: " + ec.message());
    }
  }
  net::io_context io;
  std::optional<http::response<http::string_body>> response;
  std::string failure;
  net::co_spawn(io, Get(*url, tls ? &*tls : nullptr, options),
                [&](std::exception_ptr error, http::response<http::string_body> r) {
                  if (!error) {
                    response = std::move(r);
                    return;
                  }
                  try {
                    std::rethrow_exception(error);
                  } catch (const std::exception& e) {  // Asio reports by exception here
                    failure = e.what();
                  }
                });
  if (options.canceller != nullptr && !options.canceller->Attach([&io] { io.stop(); })) {
    return MakeError(ErrorCode::kUnavailable,
                     "fetching " + url->host + url->target + ": cancelled");
  }
  io.run_for(options.timeout);
  if (options.canceller != nullptr) {
    options.canceller->Detach();
    if (options.canceller->is_cancelled()) {
      failure = "cancelled";
      response.reset();
    }
  }
  if (!response) {
    return MakeError(ErrorCode::kUnavailable, "fetching " + url->host + url->target + ": " +
                                                  (failure.empty() ? "timed out" : failure));
  }
  const unsigned status = response->result_int();
  if (status < 200 || status >= 300) {
    return MakeError(ErrorCode::kUnavailable, "fetching " + url->host + url->target +
                                                  ": HTTP status " + std::to_string(status));
  }
  return std::move(response->body());
}

}  // namespace sesame::verifier
