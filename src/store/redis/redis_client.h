#pragma once

// A small, careful client over hiredis (Debian 12's 0.14): a pool of blocking connections with
// connect and command timeouts, Lua scripts by SHA with a fallback to EVAL, pipelining, and
// reconnection with backoff. Why our own layer: hiredis is a protocol library (one connection,
// no pool, no retry policy), and Debian ships no C++ Redis client.
//
// A Redis that cannot be reached, times out or answers with an error gives kUnavailable; a
// broken connection is dropped (never reused). After a failed connect the client fails fast
// for a backoff that doubles from 50 ms to 2 s and resets on the next success, so a down Redis
// is neither hammered nor waited on by every request; service resumes by itself when Redis
// returns.
//
// Thread-safe. No lock is held across I/O.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "common/result.h"

namespace sesame::store {

// redis://[[user]:password@]host[:port][/db][?timeout_ms=N]
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;
  std::string password;
  std::chrono::milliseconds timeout{1000};  // connect and each command
  // "redis://host:port/db" with no credentials: safe to log.
  std::string Describe() const;
};

// kInvalidConfig with a reason (never echoing the password).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

struct ReplyDeleter {
  void operator()(redisReply* reply) const {
    if (reply != nullptr) {
      freeReplyObject(reply);
    }
  }
};
using RedisReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* context) const {
    if (context != nullptr) {
      redisFree(context);
    }
  }
};
using RedisContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

// A Lua script and its SHA-1 (EVALSHA first; EVAL once if the server does not have it).
struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;
};

// Connects, authenticates and selects the database. kUnavailable on failure.
Result<RedisContextPtr> ConnectRedis(const RedisEndpoint& endpoint);

class RedisClient {
 public:
  RedisClient(RedisEndpoint endpoint, size_t pool_size);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  const RedisEndpoint& endpoint() const { return endpoint_; }

  // One command. An error reply is kUnavailable with Redis's message.
  [[nodiscard]] Result<RedisReplyPtr> Command(const std::vector<std::string_view>& args);
  // Several commands in one round trip; replies in order. Any error reply fails the whole call
  // (the commands before it may have run: use only for reads or idempotent writes).
  [[nodiscard]] Result<std::vector<RedisReplyPtr>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands);
  [[nodiscard]] Result<RedisReplyPtr> Eval(const RedisScript& script,
                                           const std::vector<std::string_view>& keys,
                                           const std::vector<std::string_view>& args);

 private:
  struct Lease;
  Result<RedisContextPtr> Acquire();
  void Release(RedisContextPtr context);
  void Broken(std::string_view what);
  Result<std::vector<RedisReplyPtr>> Run(redisContext* context,
                                         const std::vector<std::vector<std::string_view>>& commands,
                                         bool* broken);

  const RedisEndpoint endpoint_;
  const size_t pool_size_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<RedisContextPtr> idle_;                   // guarded by mu_
  size_t open_ = 0;                                     // guarded by mu_: idle + leased
  std::chrono::steady_clock::time_point down_until_{};  // guarded by mu_
  std::chrono::milliseconds backoff_{0};                // guarded by mu_
  std::string last_error_;                              // guarded by mu_
};

// Integers and strings out of replies (nullopt on another type).
std::optional<int64_t> ReplyInteger(const redisReply* reply);
std::optional<std::string_view> ReplyString(const redisReply* reply);

// Follows a pub/sub channel on its own connection and thread. `on_message` gets each payload;
// `on_subscribed` runs after every (re)subscription, before any message of that connection, so
// the owner can catch up on what it may have missed while disconnected; `on_lost` when a
// subscribed connection breaks. Reconnects with backoff. The callbacks run on the subscriber's
// thread. Stops and joins on destruction.
class RedisSubscriber {
 public:
  RedisSubscriber(RedisEndpoint endpoint, std::string channel,
                  std::function<void(std::string_view)> on_message,
                  std::function<void()> on_subscribed, std::function<void()> on_lost);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  bool connected() const { return connected_.load(std::memory_order_acquire); }

 private:
  void Loop();
  bool WaitReadable(int fd);  // false: stop requested

  const RedisEndpoint endpoint_;
  const std::string channel_;
  std::function<void(std::string_view)> on_message_;
  std::function<void()> on_subscribed_;
  std::function<void()> on_lost_;
  int wake_[2] = {-1, -1};  // self-pipe: the destructor writes to stop the loop
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace sesame::store
