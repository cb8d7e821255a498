// What only the Redis store has: its URL, faults (Redis down, back again), the pub/sub
// subscriber, several stores (nodes) sharing one Redis, and the Redis Cluster key layout. The
// shared contract runs in store_conformance_test.cc.

#include "store/redis/redis_store.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "redis_server.h"
#include "result_matchers.h"

namespace sesame::store {
namespace {

using sesame::testing::HasError;
using sesame::testing::IsOk;

TimePoint At(int64_t offset_seconds) {
  return FromUnixSeconds(1'800'000'000 + offset_seconds);
}

Session MakeSession(const std::string& id, const std::string& user_id,
                    SessionMode mode = SessionMode::kSession) {
  Session s;
  s.id = id;
  s.user_id = user_id;
  s.mode = mode;
  s.secret_hash = mode == SessionMode::kJwt ? "" : "hash-" + id;
  s.created_at = At(0);
  s.last_seen_at = At(0);
  s.idle_expires_at = At(3600);
  s.absolute_expires_at = At(86400);
  return s;
}

std::unique_ptr<RedisStore> OpenStore(const std::string& url, const std::string& prefix) {
  RedisOptions options;
  options.key_prefix = prefix;
  auto opened = RedisStore::Open(url, options);
  EXPECT_THAT(opened, IsOk());
  return opened ? std::move(*opened) : nullptr;
}

TEST(RedisUrl, ParsesHostPortDatabaseCredentialsAndTimeout) {
  auto plain = ParseRedisUrl("redis://cache.internal:6380/2");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->host, "cache.internal");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->db, 2);
  EXPECT_EQ(plain->password, "");

  auto full = ParseRedisUrl("redis://sesame:p%40ss%3Aw0rd@[::1]:7000/0?timeout_ms=250");
  ASSERT_THAT(full, IsOk());
  EXPECT_EQ(full->user, "sesame");
  EXPECT_EQ(full->password, "p@ss:w0rd");
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, 7000);
  EXPECT_EQ(full->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(full->Describe().find("p@ss"), std::string::npos);

  auto password_only = ParseRedisUrl("redis://:secret@localhost");
  ASSERT_THAT(password_only, IsOk());
  EXPECT_EQ(password_only->user, "");
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(password_only->port, 6379);
}

TEST(RedisUrl, RefusesWhatItCannotHonourWithoutEchoingThePassword) {
  for (const char* url :
       {"rediss://h:6379", "http://h", "redis://h:0", "redis://h:99999", "redis://h:x",
        "redis://h/abc", "redis://h?timeout_ms=1", "redis://h?tls=1", "redis://:hunter2@h:x"}) {
    auto parsed = ParseRedisUrl(url);
    EXPECT_THAT(parsed, HasError(ErrorCode::kInvalidConfig)) << url;
    if (!parsed) {
      EXPECT_EQ(parsed.error().detail.find("hunter2"), std::string::npos);
    }
  }
}

TEST(RedisStore, OpenFailsAsUnavailableWhenNothingListens) {
  const int port = testing::FreeLoopbackPort();
  auto opened =
      RedisStore::Open("redis://:hunter2@127.0.0.1:" + std::to_string(port), RedisOptions{});
  ASSERT_THAT(opened, HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(opened.error().detail.find("hunter2"), std::string::npos);
}

// "Redis down: fail closed; when Redis returns, service resumes by itself with no restart."
TEST(RedisStore, DownIsUnavailableNeverNotFoundAndServiceResumesByItself) {
  testing::RedisServer server;
  auto store = OpenStore(server.url(), "fault:");
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateSession(MakeSession("s_1", "u_1"), DeviceLimit{}, At(0)), IsOk());

  server.Stop();
  EXPECT_THAT(store->FindSessionBySecretHash("hash-s_1"), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->FindSessionById("s_1"), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->RevokeSession("s_1", "logout", At(1)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->Hit("login:u_1", Seconds(60), At(1)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->Ping(), HasError(ErrorCode::kUnavailable));

  server.Start();  // same port, empty (no persistence in tests)
  // The client fails fast during its reconnect backoff (at most 2 s): wait for it, bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!store->Ping() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_THAT(store->Ping(), IsOk());
  EXPECT_THAT(store->CreateSession(MakeSession("s_2", "u_1"), DeviceLimit{}, At(2)), IsOk());
  auto found = store->FindSessionBySecretHash("hash-s_2");
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->has_value());
}

// Two nodes, one Redis: a rotation race between them has one winner, a revocation on one is
// seen by the other's next read, and the device limit counts both nodes' sessions.
TEST(RedisStore, TwoStoresOnOneRedisBehaveAsOne) {
  testing::RedisServer server;
  auto a = OpenStore(server.url(), "shared:");
  auto b = OpenStore(server.url(), "shared:");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Session jwt = MakeSession("s_jwt", "u_1", SessionMode::kJwt);
  jwt.refresh_hash = "r0";
  ASSERT_THAT(a->CreateSession(jwt, DeviceLimit{}, At(0)), IsOk());

  std::atomic<int> winners{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      RedisStore& store = i % 2 == 0 ? *a : *b;
      auto rotated = store.RotateRefresh(
          "s_jwt", RefreshRotation{0, "r1-" + std::to_string(i), At(10), At(3610)});
      if (!rotated) {
        ++failures;
      } else if (*rotated) {
        ++winners;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(b->FindSessionById("s_jwt").value()->refresh_generation, 1);

  ASSERT_THAT(b->RevokeSession("s_jwt", "logout", At(20)), IsOk());
  EXPECT_TRUE(a->FindSessionById("s_jwt").value()->IsRevoked());

  const DeviceLimit two{2, OnLimit::kRefuse};
  ASSERT_THAT(a->CreateSession(MakeSession("s_1", "u_2"), two, At(0)), IsOk());
  ASSERT_THAT(b->CreateSession(MakeSession("s_2", "u_2"), two, At(0)), IsOk());
  EXPECT_THAT(a->CreateSession(MakeSession("s_3", "u_2"), two, At(0)),
              HasError(ErrorCode::kForbidden));
  EXPECT_EQ(b->FindSessionById("s_3").value(), std::nullopt);
}

// Redis Cluster's slot of a key (CRC16/XMODEM of the hash tag, or the key, mod 16384).
int KeySlot(std::string_view key) {
  if (size_t open = key.find('{'); open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  uint16_t crc = 0;
  for (char c : key) {
    crc ^= static_cast<uint16_t>(static_cast<unsigned char>(c) << 8);
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc % 16384;
}

TEST(RedisStore, KeySlotIsRedisClustersCrc16) {
  // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
  EXPECT_EQ(KeySlot("123456789"), 0x31C3 % 16384);
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
}

// Everything a user's scripts touch (records, session set, counter) shares one Cluster slot,
// and so does the change feed's: the one-slot scripts would run on Redis Cluster.
TEST(RedisStore, PerUserKeysAndFeedKeysEachShareOneClusterSlot) {
  testing::RedisServer server;
  auto store = OpenStore(server.url(), "layout:");
  ASSERT_NE(store, nullptr);
  for (const char* user : {"u_alice", "u_bob"}) {
    for (int i = 0; i < 3; ++i) {
      const std::string id = std::string("s_") + user + std::to_string(i);
      Session s = MakeSession(id, user, i == 0 ? SessionMode::kJwt : SessionMode::kSession);
      ASSERT_THAT(store->CreateSession(s, DeviceLimit{2, OnLimit::kEvictOldest}, At(i)), IsOk());
    }
  }
  ASSERT_THAT(store->RevokeUserSessions("u_bob", "admin", At(10)), IsOk());

  RedisClient client(*ParseRedisUrl(server.url()), 1);
  auto keys = client.Command({"KEYS", "layout:*"});
  ASSERT_THAT(keys, IsOk());
  std::map<std::string, std::set<int>> slots_by_group;
  for (size_t i = 0; i < (*keys)->elements; ++i) {
    const std::string key(*ReplyString((*keys)->element[i]));
    if (key.find("{u:u_alice}") != std::string::npos) {
      slots_by_group["alice"].insert(KeySlot(key));
    } else if (key.find("{u:u_bob}") != std::string::npos) {
      slots_by_group["bob"].insert(KeySlot(key));
    } else if (key.find("{feed}") != std::string::npos) {
      slots_by_group["feed"].insert(KeySlot(key));
    }
  }
  ASSERT_EQ(slots_by_group.size(), 3u);
  for (const auto& [group, slots] : slots_by_group) {
    EXPECT_EQ(slots.size(), 1u) << group;
  }
  EXPECT_NE(*slots_by_group["alice"].begin(), *slots_by_group["bob"].begin());
}

// Every record has a Redis expiry: nothing outlives its lifetime if no purge ever runs.
TEST(RedisStore, EveryKeyItWritesHasAnExpiryExceptTheFeed) {
  testing::RedisServer server;
  auto store = OpenStore(server.url(), "ttl:");
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateSession(MakeSession("s_1", "u_1"), DeviceLimit{1}, At(0)), IsOk());
  ASSERT_THAT(store->CreateSession(MakeSession("s_2", "u_1"), DeviceLimit{1}, At(1)), IsOk());
  ASSERT_THAT(store->Hit("login:u_1", Seconds(60), At(0)), IsOk());
  RedisClient client(*ParseRedisUrl(server.url()), 1);
  auto keys = client.Command({"KEYS", "ttl:*"});
  ASSERT_THAT(keys, IsOk());
  ASSERT_GT((*keys)->elements, 5u);
  for (size_t i = 0; i < (*keys)->elements; ++i) {
    const std::string key(*ReplyString((*keys)->element[i]));
    auto ttl = client.Command({"TTL", key});
    ASSERT_THAT(ttl, IsOk());
    // The feed (trimmed by purge) and the two global indexes (pruned by purge) are shared.
    const bool shared =
        key.find("{feed}") != std::string::npos || key == "ttl:live" || key == "ttl:expiry";
    if (shared) {
      continue;
    }
    EXPECT_GT(ReplyInteger(ttl->get()).value_or(-1), 0) << key;
  }
  // The evicted session expires a retention after its eviction, not after its absolute end.
  auto evicted = client.Command({"TTL", "ttl:{u:u_1}:s:s_1"});
  auto live = client.Command({"TTL", "ttl:{u:u_1}:s:s_2"});
  ASSERT_THAT(evicted, IsOk());
  ASSERT_THAT(live, IsOk());
  EXPECT_LT(ReplyInteger(evicted->get()).value(), ReplyInteger(live->get()).value());
}

// The subscriber: messages arrive, and after Redis restarts it resubscribes and says so
// (the node then reloads what it may have missed).
TEST(RedisSubscriber, DeliversMessagesAndResubscribesAfterARestart) {
  testing::RedisServer server;
  auto store = OpenStore(server.url(), "sub:");
  ASSERT_NE(store, nullptr);
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> messages;
  int subscriptions = 0;
  int losses = 0;
  RedisSubscriber subscriber(
      *ParseRedisUrl(server.url()), store->channel(),
      [&](std::string_view payload) {
        std::lock_guard lock(mu);
        messages.emplace_back(payload);
        changed.notify_all();
      },
      [&] {
        std::lock_guard lock(mu);
        ++subscriptions;
        changed.notify_all();
      },
      [&] {
        std::lock_guard lock(mu);
        ++losses;
        changed.notify_all();
      });
  const auto wait_for = [&](auto predicate) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(10), predicate);
  };
  ASSERT_TRUE(wait_for([&] { return subscriptions == 1; }));
  ASSERT_THAT(store->RecordUserChanged("u_1", At(0)), IsOk());
  ASSERT_TRUE(wait_for([&] { return messages.size() == 1; }));
  EXPECT_EQ(messages[0], "1");

  server.Stop();
  ASSERT_TRUE(wait_for([&] { return losses == 1; }));
  server.Start();
  ASSERT_TRUE(wait_for([&] { return subscriptions == 2; }));
  // Wait for the store's own connection to come back, then publish again.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!store->RecordUserChanged("u_1", At(1)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(wait_for([&] { return messages.size() == 2; }));
}

}  // namespace
}  // namespace sesame::store
