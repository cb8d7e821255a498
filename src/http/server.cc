#include "http/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <exception>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/ip_address.h"
#include "common/mutex.h"
#include "http/client_address.h"
#include "http/error_response.h"
#include "http/response_writer.h"
#include "http/worker_pool_context.h"

namespace sesame::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return MakeError(ErrorCode::kInvalidConfig, "server.listen: expected HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  const std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") {
    host = "127.0.0.1";
  }
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) {
      port = -1;
    }
  } catch (const std::exception&) {
    port = -1;
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec || port < 0 || port > 65535) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "server.listen: expected an IP address and port, got \"" + listen + "\"");
  }
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

// A malformed message (answered 400), as opposed to the peer going away or a timeout.
bool IsProtocolError(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// RFC 9112 §6: the framing rules a request head must meet before its body is read. A
// Transfer-Encoding other than exactly "chunked" is 501 (we implement no other coding), and
// Transfer-Encoding with Content-Length, or on HTTP/1.0, is the shape of request smuggling: 400.
// Either way the caller answers once and closes the connection. Beast itself refuses differing
// Content-Lengths and malformed chunking (IsProtocolError).
std::optional<Response> FramingError(const bhttp::request_parser<bhttp::string_body>& parser) {
  const auto& head = parser.get();
  size_t codings = 0;
  bool only_chunked = true;
  for (const auto& field : head) {
    if (field.name() != bhttp::field::transfer_encoding) {
      continue;
    }
    ++codings;
    only_chunked = only_chunked && beast::iequals(field.value(), "chunked");
  }
  if (codings == 0) {
    return std::nullopt;
  }
  if (codings > 1 || !only_chunked) {
    Response r = ErrorResponse(Error{ErrorCode::kInvalidRequest, "unsupported transfer coding"});
    r.status = 501;
    return r;
  }
  if (head.find(bhttp::field::content_length) != head.end() || head.version() < 11) {
    return ErrorResponse(Error{ErrorCode::kInvalidRequest, "ambiguous message framing"});
  }
  return std::nullopt;
}

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool busy = false;  // on its strand only
};

using Parser = bhttp::request_parser<bhttp::string_body>;
using Message = Parser::value_type;

// How reading one request ended: a request to route; an answer decided before routing (the
// connection closes after it); or nothing to answer (closed by the peer, timed out, cancelled).
enum class ReadResult { kRequest, kAnswer, kClosed };

struct ReadOutcome {
  ReadResult result = ReadResult::kRequest;
  Response answer;                              // kAnswer
  std::chrono::steady_clock::time_point start;  // the head was read: latency counts from here
};

// What a failed head read comes to; `answer` is set for kAnswer.
ReadResult HeadReadFailed(const boost::system::error_code& ec, Response& answer) {
  if (ec == bhttp::error::header_limit) {
    answer = ErrorResponse(Error{ErrorCode::kHeadersTooLarge, {}});
    return ReadResult::kAnswer;
  }
  if (ec == bhttp::error::body_limit) {
    // A Content-Length above the limit is refused before any of the body is read.
    answer = ErrorResponse(Error{ErrorCode::kPayloadTooLarge, {}});
    return ReadResult::kAnswer;
  }
  if (!IsProtocolError(ec)) {
    return ReadResult::kClosed;
  }
  answer = ErrorResponse(Error{ErrorCode::kInvalidRequest, "malformed HTTP request"});
  return ReadResult::kAnswer;
}

// The connection's peer, once per connection: a mapped IPv4 peer of a dual-stack listener is
// IPv4 from here on.
struct PeerInfo {
  std::optional<IpAddress> address;
  std::string text;  // the address as logged and rate-limited when no trusted proxy speaks
  bool is_proxy = false;
};

// One request and its answer, for the metrics and the access log.
struct Exchange {
  std::chrono::steady_clock::time_point start;
  size_t route_index;
  Method method;
  Response response;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, Metrics& m, AccessLog& l)
      : options(std::move(o)),
        router(r),
        metrics(m),
        access_log(l),
        ioc(static_cast<int>(std::max<size_t>(options.io_threads, 1))),
        acceptor(ioc),
        signals(ioc),
        drain_timer(ioc) {}

  net::awaitable<void> Accept();
  net::awaitable<void> Serve(std::shared_ptr<Connection> c);
  net::awaitable<ReadOutcome> ReadRequest(Connection& c, beast::flat_buffer& buffer, Parser& parser,
                                          bool first);
  net::awaitable<ReadResult> ReadBody(Connection& c, beast::flat_buffer& buffer, Parser& parser,
                                      Response& answer);
  PeerInfo Peer(Connection& c) const;
  // The request views `msg`, `fields` and `client_ip` (which it sets: the client's address).
  Request MakeRequest(const Message& msg, std::vector<HeaderField>& fields, const PeerInfo& peer,
                      std::string& client_ip) const;
  net::awaitable<boost::system::error_code> Write(Connection& c, const std::string& out);
  void Record(const Exchange& exchange, std::string_view client_ip);
  net::awaitable<Response> RunDeferred(Deferred deferred);
  Response Dispatch(Request& request, size_t* route_index, Method* method, Deferred* deferred);
  void BeginShutdown();
  void ConnectionClosed(Connection* c);

  const ServerOptions options;
  const Router& router;
  Metrics& metrics;
  AccessLog& access_log;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drain_timer;
  TrustedProxies trusted_proxies;
  std::atomic<size_t> connections{0};
  std::atomic<bool> draining{false};
  Mutex mu;
  std::unordered_set<std::shared_ptr<Connection>> live SESAME_GUARDED_BY(mu);
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, AccessLog& access_log)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, access_log)) {}

Server::~Server() = default;

size_t Server::active_connections() const {
  return impl_->connections.load();
}

Result<uint16_t> Server::Listen() {
  auto endpoint = ParseListen(impl_->options.listen);
  if (!endpoint) {
    return tl::unexpected(endpoint.error());
  }
  auto proxies = TrustedProxies::Parse(impl_->options.trusted_proxies);
  if (!proxies) {
    return tl::unexpected(proxies.error());
  }
  impl_->trusted_proxies = std::move(*proxies);
  boost::system::error_code ec;
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(*endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return MakeError(ErrorCode::kIoError,
                     "cannot listen on " + impl_->options.listen + ": " + ec.message());
  }
  return acceptor.local_endpoint().port();
}

void Server::Run() {
  Impl& impl = *impl_;
  if (impl.options.handle_signals) {
    impl.signals.add(SIGINT);
    impl.signals.add(SIGTERM);
    impl.signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) {
        Stop();
      }
    });
  }
  net::co_spawn(impl.ioc, impl.Accept(), [](const std::exception_ptr& e) {
    if (e) {
      spdlog::error("accept loop ended by an exception");
    }
  });
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl.options.io_threads; ++i) {
    threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& t : threads) {
    t.join();
  }
}

void Server::Stop() {
  net::post(impl_->ioc, [impl = impl_.get()] { impl->BeginShutdown(); });
}

void Server::Impl::BeginShutdown() {
  if (draining.exchange(true)) {
    return;
  }
  boost::system::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  // Idle keep-alive connections are closed now; busy ones finish their request first.
  std::vector<std::shared_ptr<Connection>> conns;
  {
    MutexLock lock(mu);
    conns.assign(live.begin(), live.end());
  }
  for (auto& c : conns) {
    net::post(c->stream.get_executor(), [c] {
      if (!c->busy) {
        c->stream.cancel();
      }
    });
  }
  if (connections.load() == 0) {
    ioc.stop();
    return;
  }
  drain_timer.expires_after(options.drain_timeout);
  drain_timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      spdlog::warn("drain timeout: closing {} connections", connections.load());
      ioc.stop();
    }
  });
}

void Server::Impl::ConnectionClosed(Connection* c) {
  {
    MutexLock lock(mu);
    for (auto it = live.begin(); it != live.end(); ++it) {
      if (it->get() == c) {
        live.erase(it);
        break;
      }
    }
  }
  if (connections.fetch_sub(1) == 1 && draining.load()) {
    net::post(ioc, [this] {
      drain_timer.cancel();
      ioc.stop();
    });
  }
}

net::awaitable<void> Server::Impl::Accept() {
  net::steady_timer backoff(ioc);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(net::make_strand(ioc), kTuple);
    if (ec) {
      if (!acceptor.is_open() || ec == net::error::operation_aborted) {
        co_return;
      }
      // Out of descriptors and the like: back off briefly instead of spinning.
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    if (connections.load() >= options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto conn = std::make_shared<Connection>(std::move(socket));
    connections.fetch_add(1);
    {
      MutexLock lock(mu);
      live.insert(conn);
    }
    auto executor = conn->stream.get_executor();
    net::co_spawn(executor, Serve(conn), [this, raw = conn.get()](const std::exception_ptr& e) {
      if (e) {
        spdlog::error("connection ended by an exception");
      }
      ConnectionClosed(raw);
    });
  }
}

net::awaitable<Response> Server::Impl::RunDeferred(Deferred deferred) {
  if (!deferred.pool->TryAcquire()) {
    // The pool is full: answer at once rather than queue without bound.
    Error busy{ErrorCode::kUnavailable, "worker pool full"};
    busy.retry_after_seconds = 1;
    co_return ErrorResponse(busy);
  }
  auto work = std::move(deferred.work);
  // co_spawn onto the pool and await it: Asio resumes this coroutine on the connection's own
  // executor when the work is done.
  Response response = co_await net::co_spawn(
      WorkerPoolContext(*deferred.pool),
      [&work]() -> net::awaitable<Response> {
        try {
          co_return work();
        } catch (const std::exception& e) {
          spdlog::error("request handler failed: {}", e.what());
          co_return ErrorResponse(Error{ErrorCode::kInternal, "handler exception"});
        }
      },
      net::use_awaitable);
  deferred.pool->Release();
  co_return response;
}

Response Server::Impl::Dispatch(Request& request, size_t* route_index, Method* method,
                                Deferred* deferred) {
  const Router::Match match = router.Find(request);
  if (match.route == nullptr) {
    *route_index = router.size();
    if (match.path_matched) {
      Response r = ErrorResponse(Error{ErrorCode::kInvalidRequest, "method not allowed"});
      r.status = 405;
      r.AddHeader("Allow", match.allow);
      return r;
    }
    return ErrorResponse(Error{ErrorCode::kNotFound, {}});
  }
  *route_index = match.route_index;
  *method = match.route->method;
  try {
    Reply reply = match.route->handler(request);
    if (auto* d = std::get_if<Deferred>(&reply)) {
      *deferred = std::move(*d);
      return {};
    }
    return std::move(std::get<Response>(reply));
  } catch (const std::exception& e) {
    spdlog::error("request handler failed: {}", e.what());
    return ErrorResponse(Error{ErrorCode::kInternal, "handler exception"});
  }
}

PeerInfo Server::Impl::Peer(Connection& c) const {
  boost::system::error_code ec;
  PeerInfo peer;
  const std::string text = c.stream.socket().remote_endpoint(ec).address().to_string();
  peer.address = IpAddress::Parse(text);
  peer.text = peer.address ? peer.address->ToString() : text;
  peer.is_proxy = peer.address && trusted_proxies.Contains(*peer.address);
  return peer;
}

// Reads one request's head, then its body, onto `parser`. `first`: the connection's first
// request (no keep-alive idle time before it).
net::awaitable<ReadOutcome> Server::Impl::ReadRequest(Connection& c, beast::flat_buffer& buffer,
                                                      Parser& parser, bool first) {
  parser.header_limit(static_cast<uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  // One deadline covers waiting for the request and reading its head, so a client that
  // trickles bytes (slowloris) is cut off like one that sends nothing.
  c.stream.expires_after(first ? options.header_timeout
                               : options.idle_timeout + options.header_timeout);
  auto [read_ec, read_n] = co_await bhttp::async_read_header(c.stream, buffer, parser, kTuple);
  c.busy = true;
  ReadOutcome outcome;
  outcome.start = std::chrono::steady_clock::now();
  if (read_ec) {
    outcome.result = HeadReadFailed(read_ec, outcome.answer);
    co_return outcome;
  }
  if (auto framing = FramingError(parser)) {
    outcome.result = ReadResult::kAnswer;
    outcome.answer = std::move(*framing);
    co_return outcome;
  }
  if (!parser.is_done()) {
    outcome.result = co_await ReadBody(c, buffer, parser, outcome.answer);
  }
  co_return outcome;
}

net::awaitable<ReadResult> Server::Impl::ReadBody(Connection& c, beast::flat_buffer& buffer,
                                                  Parser& parser, Response& answer) {
  const auto length = parser.content_length();
  if (length && *length > options.body_limit) {
    answer = ErrorResponse(Error{ErrorCode::kPayloadTooLarge, {}});
    co_return ReadResult::kAnswer;
  }
  if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    c.stream.expires_after(options.write_timeout);
    auto [cont_ec, cont_n] = co_await net::async_write(c.stream, net::buffer(kContinue), kTuple);
    if (cont_ec) {
      co_return ReadResult::kClosed;
    }
  }
  c.stream.expires_after(options.body_timeout);
  auto [body_ec, body_n] = co_await bhttp::async_read(c.stream, buffer, parser, kTuple);
  if (body_ec == bhttp::error::body_limit) {
    answer = ErrorResponse(Error{ErrorCode::kPayloadTooLarge, {}});
    co_return ReadResult::kAnswer;
  }
  if (body_ec && IsProtocolError(body_ec)) {
    answer = ErrorResponse(Error{ErrorCode::kInvalidRequest, "malformed HTTP request"});
    co_return ReadResult::kAnswer;
  }
  co_return body_ec ? ReadResult::kClosed : ReadResult::kRequest;
}

Request Server::Impl::MakeRequest(const Message& msg, std::vector<HeaderField>& fields,
                                  const PeerInfo& peer, std::string& client_ip) const {
  fields.clear();
  for (const auto& field : msg) {
    fields.push_back(HeaderField{field.name_string(), field.value()});
  }
  Request request;
  request.method = ParseMethod(msg.method_string());
  request.target = msg.target();
  const size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string_view::npos ? std::string_view() : request.target.substr(q + 1);
  request.headers = fields;
  request.body = msg.body();
  if (peer.address && peer.is_proxy) {
    ClientAddress client = trusted_proxies.Resolve(*peer.address, fields);
    client_ip = std::move(client.ip);
    request.is_tls = client.forwarded_https;
    request.forwarded_host = client.forwarded_host;
  }
  request.remote_ip = client_ip;
  return request;
}

net::awaitable<boost::system::error_code> Server::Impl::Write(Connection& c,
                                                              const std::string& out) {
  // Fast path: a response almost always fits the socket buffer, so try one non-blocking
  // send first and fall back to an async write (under the write timeout) for the rest.
  boost::system::error_code write_ec;
  size_t sent = c.stream.socket().write_some(net::buffer(out), write_ec);
  if (write_ec == net::error::would_block || write_ec == net::error::try_again) {
    write_ec = {};
    sent = 0;
  }
  if (!write_ec && sent < out.size()) {
    c.stream.expires_after(options.write_timeout);
    auto [async_ec, async_n] = co_await net::async_write(
        c.stream, net::buffer(out.data() + sent, out.size() - sent), kTuple);
    write_ec = async_ec;
  }
  co_return write_ec;
}

void Server::Impl::Record(const Exchange& exchange, std::string_view client_ip) {
  const auto latency = std::chrono::steady_clock::now() - exchange.start;
  metrics.Observe(exchange.route_index, exchange.response.status, latency);
  access_log.Write(MethodName(exchange.method),
                   exchange.route_index < router.size()
                       ? std::string_view(router.RoutePattern(exchange.route_index))
                       : std::string_view("unmatched"),
                   exchange.response.status, latency, exchange.response.session_id, client_ip);
}

net::awaitable<void> Server::Impl::Serve(std::shared_ptr<Connection> c) {
  beast::flat_buffer buffer;
  std::string out;
  out.reserve(1024);
  boost::system::error_code nb_ec;
  c->stream.socket().non_blocking(true, nb_ec);
  std::vector<HeaderField> fields;
  fields.reserve(32);
  const PeerInfo peer = Peer(*c);
  // The client address last seen: a proxy's connection keeps logging its latest client.
  std::string client_ip = peer.text;
  for (bool first = true;; first = false) {
    c->busy = false;
    if (draining.load()) {
      break;
    }
    Parser parser;
    ReadOutcome read = co_await ReadRequest(*c, buffer, parser, first);
    if (read.result == ReadResult::kClosed) {
      break;
    }
    Exchange exchange{read.start, router.size(), Method::kOther, {}};
    unsigned version = 11;
    bool keep_alive = false;
    if (read.result == ReadResult::kAnswer) {
      exchange.response = std::move(read.answer);
      exchange.response.close = true;
    } else {
      const Message& msg = parser.get();
      version = msg.version();
      keep_alive = msg.keep_alive();
      Request request = MakeRequest(msg, fields, peer, client_ip);
      exchange.method = request.method;
      Deferred deferred;
      exchange.response = Dispatch(request, &exchange.route_index, &exchange.method, &deferred);
      if (deferred.pool != nullptr) {
        exchange.response = co_await RunDeferred(std::move(deferred));
      }
    }
    keep_alive = keep_alive && !exchange.response.close && !draining.load();
    SerializeResponse(exchange.response, version, keep_alive, out);
    const boost::system::error_code write_ec = co_await Write(*c, out);
    Record(exchange, client_ip);
    if (write_ec || !keep_alive) {
      break;
    }
  }
  boost::system::error_code ignored;
  c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  c->stream.close();
}

}  // namespace sesame::http
