#include "store/redis/redis_client.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <openssl/evp.h>

namespace sesame::store {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

bool ParseInt(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && end == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

Result<RedisReplyPtr> Send(redisContext* context, const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (std::string_view a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    return MakeError(ErrorCode::kUnavailable, std::string("redis: ") + context->errstr);
  }
  return RedisReplyPtr(reply);
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  const auto bad = [](std::string why) {
    return MakeError(ErrorCode::kInvalidConfig, "store.sessions: " + why);
  };
  if (url.starts_with("rediss://")) {
    return bad(
        "rediss:// (TLS) needs hiredis 1.0, Debian 12 has 0.14: reach Redis over a private "
        "network or a TLS tunnel (stunnel, spiped) and use redis://");
  }
  if (!url.starts_with("redis://")) {
    return bad("expected redis://[[user]:password@]host[:port][/db]");
  }
  RedisEndpoint endpoint;
  std::string_view rest = url.substr(8);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (size_t colon = credentials.find(':'); colon != std::string_view::npos) {
      endpoint.user = PercentDecode(credentials.substr(0, colon));
      endpoint.password = PercentDecode(credentials.substr(colon + 1));
    } else {
      endpoint.password = PercentDecode(credentials);  // redis://password@host, as redis-cli
    }
  }
  std::string_view host_port = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    int64_t number = 0;
    if (!db.empty() && (!ParseInt(db, number) || number < 0 || number > 1000)) {
      return bad("the database must be a number");
    }
    endpoint.db = static_cast<int>(number);
  }
  if (host_port.starts_with('[')) {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos) {
      return bad("unclosed [ in the host");
    }
    endpoint.host = std::string(host_port.substr(1, close - 1));
    host_port = host_port.substr(close + 1);
    if (!host_port.empty() && host_port[0] != ':') {
      return bad("bad host");
    }
    host_port = host_port.empty() ? host_port : host_port.substr(1);
    if (!host_port.empty()) {
      int64_t port = 0;
      if (!ParseInt(host_port, port) || port < 1 || port > 65535) {
        return bad("bad port");
      }
      endpoint.port = static_cast<int>(port);
    }
  } else {
    std::string_view host = host_port;
    if (size_t colon = host_port.rfind(':'); colon != std::string_view::npos) {
      host = host_port.substr(0, colon);
      int64_t port = 0;
      if (!ParseInt(host_port.substr(colon + 1), port) || port < 1 || port > 65535) {
        return bad("bad port");
      }
      endpoint.port = static_cast<int>(port);
    }
    if (!host.empty()) {
      endpoint.host = std::string(host);
    }
  }
  if (endpoint.host.empty()) {
    return bad("no host");
  }
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    int64_t number = 0;
    if (name == "timeout_ms" && ParseInt(value, number) && number >= 10 && number <= 60000) {
      endpoint.timeout = std::chrono::milliseconds(number);
    } else {
      return bad("unknown or bad option '" + std::string(name) + "' (known: timeout_ms=10..60000)");
    }
  }
  return endpoint;
}

RedisScript::RedisScript(std::string text) : source(std::move(text)), sha1(Sha1Hex(source)) {}

Result<RedisContextPtr> ConnectRedis(const RedisEndpoint& endpoint) {
  const timeval tv = ToTimeval(endpoint.timeout);
  RedisContextPtr context(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv));
  const std::string where = endpoint.Describe();
  if (context == nullptr) {
    return MakeError(ErrorCode::kUnavailable, where + ": cannot allocate a connection");
  }
  if (context->err != 0) {
    return MakeError(ErrorCode::kUnavailable, where + ": " + context->errstr);
  }
  redisSetTimeout(context.get(), tv);
  redisEnableKeepAlive(context.get());
  if (!endpoint.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!endpoint.user.empty()) {
      auth.push_back(endpoint.user);
    }
    auth.push_back(endpoint.password);
    auto reply = Send(context.get(), auth);
    if (!reply) {
      return MakeError(ErrorCode::kUnavailable, where + ": " + reply.error().detail);
    }
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      // Redis's message ("WRONGPASS ...") names no secret.
      return MakeError(ErrorCode::kUnavailable,
                       where + ": authentication refused: " + std::string((*reply)->str));
    }
  }
  if (endpoint.db != 0) {
    const std::string db = std::to_string(endpoint.db);
    auto reply = Send(context.get(), {"SELECT", db});
    if (!reply || (*reply)->type == REDIS_REPLY_ERROR) {
      return MakeError(ErrorCode::kUnavailable, where + ": cannot select the database");
    }
  }
  return context;
}

std::optional<int64_t> ReplyInteger(const redisReply* reply) {
  if (reply == nullptr) {
    return std::nullopt;
  }
  if (reply->type == REDIS_REPLY_INTEGER) {
    return reply->integer;
  }
  if (reply->type == REDIS_REPLY_STRING) {
    int64_t value = 0;
    if (ParseInt(std::string_view(reply->str, reply->len), value)) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> ReplyString(const redisReply* reply) {
  if (reply == nullptr ||
      (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) {
    return std::nullopt;
  }
  return std::string_view(reply->str, reply->len);
}

RedisClient::RedisClient(RedisEndpoint endpoint, size_t pool_size)
    : endpoint_(std::move(endpoint)), pool_size_(std::max<size_t>(1, pool_size)) {}

RedisClient::~RedisClient() = default;

Result<RedisContextPtr> RedisClient::Acquire() {
  {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + endpoint_.timeout;
    for (;;) {
      if (!idle_.empty()) {
        RedisContextPtr context = std::move(idle_.back());
        idle_.pop_back();
        return context;
      }
      if (std::chrono::steady_clock::now() < down_until_) {
        return MakeError(ErrorCode::kUnavailable,
                         endpoint_.Describe() + " unreachable: " + last_error_);
      }
      if (open_ < pool_size_) {
        ++open_;
        break;  // connect outside the lock
      }
      if (available_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return MakeError(ErrorCode::kUnavailable, endpoint_.Describe() + ": every connection busy");
      }
    }
  }
  auto connected = ConnectRedis(endpoint_);
  std::lock_guard lock(mu_);
  if (!connected) {
    --open_;
    last_error_ = connected.error().detail;
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
    down_until_ = std::chrono::steady_clock::now() + backoff_;
    available_.notify_one();
    return tl::unexpected(connected.error());
  }
  backoff_ = std::chrono::milliseconds(0);
  return connected;
}

void RedisClient::Release(RedisContextPtr context) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(context));
  }
  available_.notify_one();
}

void RedisClient::Broken(std::string_view what) {
  {
    std::lock_guard lock(mu_);
    --open_;
    last_error_ = std::string(what);
    // Drop the idle connections too: they most likely share the fate of this one.
    open_ -= idle_.size();
    idle_.clear();
  }
  available_.notify_all();
}

Result<std::vector<RedisReplyPtr>> RedisClient::Run(
    redisContext* context, const std::vector<std::vector<std::string_view>>& commands,
    bool* broken) {
  for (const auto& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (std::string_view a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      *broken = true;
      return MakeError(ErrorCode::kUnavailable, endpoint_.Describe() + ": " + context->errstr);
    }
  }
  std::vector<RedisReplyPtr> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
      *broken = true;
      return MakeError(ErrorCode::kUnavailable, endpoint_.Describe() + ": " + context->errstr);
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

Result<std::vector<RedisReplyPtr>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string_view>>& commands) {
  auto context = Acquire();
  if (!context) {
    return tl::unexpected(context.error());
  }
  bool broken = false;
  auto replies = Run(context->get(), commands, &broken);
  if (broken) {
    Broken(replies ? std::string_view("broken") : std::string_view(replies.error().detail));
    return replies;
  }
  Release(std::move(*context));
  if (!replies) {
    return replies;
  }
  for (const RedisReplyPtr& reply : *replies) {
    if (reply->type == REDIS_REPLY_ERROR) {
      return MakeError(ErrorCode::kUnavailable,
                       endpoint_.Describe() + ": " + std::string(reply->str, reply->len));
    }
  }
  return replies;
}

Result<RedisReplyPtr> RedisClient::Command(const std::vector<std::string_view>& args) {
  auto replies = Pipeline({args});
  if (!replies) {
    return tl::unexpected(replies.error());
  }
  return std::move(replies->front());
}

Result<RedisReplyPtr> RedisClient::Eval(const RedisScript& script,
                                        const std::vector<std::string_view>& keys,
                                        const std::vector<std::string_view>& args) {
  const std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> command = {"EVALSHA", script.sha1, key_count};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  auto reply = Command(command);
  if (!reply && reply.error().detail.find("NOSCRIPT") != std::string::npos) {
    command[0] = "EVAL";
    command[1] = script.source;
    reply = Command(command);
  }
  return reply;
}

RedisSubscriber::RedisSubscriber(RedisEndpoint endpoint, std::string channel,
                                 std::function<void(std::string_view)> on_message,
                                 std::function<void()> on_subscribed, std::function<void()> on_lost)
    : endpoint_(std::move(endpoint)),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)),
      on_lost_(std::move(on_lost)) {
  if (::pipe(wake_) != 0) {
    wake_[0] = wake_[1] = -1;
  }
  thread_ = std::thread([this] { Loop(); });
}

RedisSubscriber::~RedisSubscriber() {
  stop_.store(true);
  if (wake_[1] >= 0) {
    const char byte = 1;
    (void)!::write(wake_[1], &byte, 1);
  }
  thread_.join();
  for (int fd : wake_) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

bool RedisSubscriber::WaitReadable(int fd) {
  for (;;) {
    if (stop_.load()) {
      return false;
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int ready = ::poll(fds, wake_[0] >= 0 ? 2 : 1, 1000);
    if (ready > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      return !stop_.load();
    }
  }
}

void RedisSubscriber::Loop() {
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stop_.load()) {
    auto context = ConnectRedis(endpoint_);
    if (context) {
      RedisContextPtr c = std::move(*context);
      // No read timeout on this connection: it waits in poll(), which also watches for stop.
      redisSetTimeout(c.get(), timeval{0, 0});
      auto subscribed = Send(c.get(), {"SUBSCRIBE", channel_});
      if (subscribed && (*subscribed)->type == REDIS_REPLY_ARRAY) {
        connected_.store(true, std::memory_order_release);
        backoff = kFirstBackoff;
        on_subscribed_();
        for (;;) {
          void* raw = nullptr;
          if (redisGetReplyFromReader(c.get(), &raw) != REDIS_OK) {
            break;
          }
          if (raw == nullptr) {
            if (!WaitReadable(c->fd) || redisBufferRead(c.get()) != REDIS_OK) {
              break;
            }
            continue;
          }
          RedisReplyPtr reply(static_cast<redisReply*>(raw));
          // ["message", channel, payload]
          if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
              ReplyString(reply->element[0]) == "message") {
            if (auto payload = ReplyString(reply->element[2])) {
              on_message_(*payload);
            }
          }
        }
        connected_.store(false, std::memory_order_release);
        if (!stop_.load()) {
          on_lost_();
        }
      }
    }
    if (stop_.load()) {
      break;
    }
    pollfd wake{wake_[0], POLLIN, 0};
    (void)::poll(&wake, wake_[0] >= 0 ? 1 : 0, static_cast<int>(backoff.count()));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace sesame::store
