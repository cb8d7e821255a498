// The store contract (store/*.h), run against every backend: each must give the same answers,
// so that the memory fake stands for SQLite (and later Redis and PostgreSQL) in domain tests.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "postgres_server.h"
#include "redis_server.h"
#include "result_matchers.h"
#include "store/audit_log.h"
#include "store/memory/memory_store.h"
#include "store/postgres/postgres_store.h"
#include "store/rate_store.h"
#include "store/redis/redis_store.h"
#include "store/session_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/user_store.h"
#include "temp_dir.h"
#include "test_clock.h"

namespace sesame::store {
namespace {

using sesame::testing::HasError;
using sesame::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Backends. Each gives the four interfaces; a backend that implements only some of them (the
// PostgreSQL one: users and audit; the Redis one: sessions and rates) pairs them with the
// memory store, so every test runs against every real implementation of what it exercises.
struct MemoryBackend {
  static constexpr const char* kName = "Memory";
  std::unique_ptr<MemoryStore> store = std::make_unique<MemoryStore>();
  UserStore* users = store.get();
  SessionStore* sessions = store.get();
  RateStore* rates = store.get();
  AuditLog* audit = store.get();
};

struct SqliteBackend {
  static constexpr const char* kName = "Sqlite";
  SqliteBackend() {
    auto opened = SqliteStore::Open(dir.path() + "/data/sesame.db", SqliteOptions{});
    if (!opened) {
      ADD_FAILURE() << "cannot open the SQLite store: " << opened.error().detail;
      return;
    }
    store = std::move(*opened);
    users = store.get();
    sessions = store.get();
    rates = store.get();
    audit = store.get();
  }
  testing::TempDir dir{"sesame-store"};
  std::unique_ptr<SqliteStore> store;
  UserStore* users = nullptr;
  SessionStore* sessions = nullptr;
  RateStore* rates = nullptr;
  AuditLog* audit = nullptr;
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

// Sessions and rate counters in a real Redis (one server per test binary; each test gets its
// own key prefix, so tests never see each other's keys), users and audit in memory.
struct RedisBackend {
  static constexpr const char* kName = "Redis";
  static testing::RedisServer& Server() {
    static testing::RedisServer* server = new testing::RedisServer();  // stopped at exit below
    static const bool registered = [] {
      std::atexit([] { delete server; });
      return true;
    }();
    (void)registered;
    return *server;
  }
  RedisBackend() {
    static std::atomic<int> next{0};
    RedisOptions options;
    // Appended piece by piece: g++ 12 -O3 sees a false overlap (-Wrestrict) in "t" + ... + ":"
    // once enough is inlined around it.
    options.key_prefix = "t";
    options.key_prefix += std::to_string(next++);
    options.key_prefix += ':';
    auto opened = RedisStore::Open(Server().url(), options);
    if (!opened) {
      ADD_FAILURE() << "cannot open the Redis store: " << opened.error().detail;
      return;
    }
    redis = std::move(*opened);
    sessions = redis.get();
    rates = redis.get();
  }
  std::unique_ptr<MemoryStore> memory = std::make_unique<MemoryStore>();
  std::unique_ptr<RedisStore> redis;
  UserStore* users = memory.get();
  SessionStore* sessions = nullptr;
  RateStore* rates = nullptr;
  AuditLog* audit = memory.get();
};

// Users and audit in PostgreSQL, sessions and rates in memory. One server per test binary
// (tests/support/postgres_server.h); each test gets an empty schema of its own, set as the
// connection's search_path, which the store migrates on Open: as good as a fresh database, and
// several times faster to make than CREATE DATABASE.
struct PostgresBackend {
  static constexpr const char* kName = "Postgres";
  PostgresBackend() {
    std::string url;
    try {
      testing::PostgresServer& server = testing::SharedPostgresServer();
      const std::string schema = "conformance_" + std::to_string(++schemas_made);
      server.Sql("postgres", "CREATE SCHEMA " + schema);
      url = server.url("postgres") + "?options=-c%20search_path%3D" + schema;
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      return;
    }
    auto opened = PostgresStore::Open(url, PostgresOptions{});
    if (!opened) {
      ADD_FAILURE() << "cannot open the PostgreSQL store: " << opened.error().detail;
      return;
    }
    store = std::move(*opened);
    users = store.get();
    audit = store.get();
  }
  static inline int schemas_made = 0;
  std::unique_ptr<MemoryStore> memory = std::make_unique<MemoryStore>();
  std::unique_ptr<PostgresStore> store;
  UserStore* users = nullptr;
  SessionStore* sessions = memory.get();
  RateStore* rates = memory.get();
  AuditLog* audit = nullptr;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend, RedisBackend, PostgresBackend>;

constexpr int64_t kStart = 1'800'000'000;

template <typename Backend>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(backend_.users, nullptr);
    ASSERT_NE(backend_.sessions, nullptr);
    ASSERT_NE(backend_.rates, nullptr);
    ASSERT_NE(backend_.audit, nullptr);
  }

  UserStore& users() { return *backend_.users; }
  SessionStore& sessions() { return *backend_.sessions; }
  RateStore& rates() { return *backend_.rates; }
  AuditLog& audit() { return *backend_.audit; }

  TimePoint At(int64_t offset_seconds) const { return FromUnixSeconds(kStart + offset_seconds); }

  User MakeUser(const std::string& id, const std::string& username_key) const {
    User user;
    user.id = id;
    user.username = username_key;
    user.username_key = username_key;
    user.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
    user.roles = {"user"};
    user.created_at = At(0);
    user.updated_at = At(0);
    return user;
  }

  // A cookie session created at `created`, idle expiry an hour later, absolute a day later.
  Session MakeSession(const std::string& id, const std::string& user_id, int64_t created) const {
    Session session;
    session.id = id;
    session.user_id = user_id;
    session.secret_hash = "hash-" + id;
    session.csrf_token = "csrf-" + id;
    session.created_at = At(created);
    session.last_seen_at = At(created);
    session.idle_expires_at = At(created + 3600);
    session.absolute_expires_at = At(created + 86400);
    session.ip = "192.0.2.1";
    session.user_agent = "test";
    return session;
  }

  void Create(const Session& session) {
    ASSERT_THAT(sessions().CreateSession(session, DeviceLimit{}, session.created_at), IsOk());
  }

  std::vector<std::string> LiveIds(const std::string& user_id, int64_t at) {
    auto live = sessions().ListLiveSessions(user_id, At(at));
    EXPECT_THAT(live, IsOk());
    std::vector<std::string> ids;
    for (const Session& s : live.value_or(std::vector<Session>())) {
      ids.push_back(s.id);
    }
    return ids;
  }

  Session Get(const std::string& session_id) {
    auto found = sessions().FindSessionById(session_id);
    EXPECT_THAT(found, IsOk());
    if (!found || !*found) {
      ADD_FAILURE() << "no session " << session_id;
      return Session();
    }
    return **found;
  }

  int64_t LatestSeq() {
    auto seq = sessions().LatestChangeSeq();
    EXPECT_THAT(seq, IsOk());
    return seq.value_or(-1);
  }

  Backend backend_;
};

TYPED_TEST_SUITE(StoreConformanceTest, Backends, BackendNames);

auto UserFields(const User& u) {
  return std::make_tuple(u.id, u.username, u.username_key, u.username_skeleton, u.password_hash,
                         u.roles, u.is_disabled, ToUnixSeconds(u.created_at),
                         ToUnixSeconds(u.updated_at));
}

std::vector<std::string> UserIds(const Result<std::vector<User>>& users) {
  std::vector<std::string> ids;
  for (const User& u : users.value_or(std::vector<User>())) {
    ids.push_back(u.id);
  }
  return ids;
}

std::optional<int64_t> OptionalSeconds(const std::optional<TimePoint>& t) {
  return t ? std::optional(ToUnixSeconds(*t)) : std::nullopt;
}

auto SessionFields(const Session& s) {
  return std::make_tuple(s.id, s.user_id, SessionModeName(s.mode), TransportName(s.transport),
                         s.secret_hash, s.csrf_token, ToUnixSeconds(s.created_at),
                         ToUnixSeconds(s.last_seen_at), ToUnixSeconds(s.idle_expires_at),
                         ToUnixSeconds(s.absolute_expires_at), s.ip, s.user_agent, s.remember,
                         OptionalSeconds(s.revoked_at), s.revoke_reason, s.refresh_generation,
                         s.refresh_hash, s.previous_refresh_hash, OptionalSeconds(s.rotated_at));
}

// Users.

TYPED_TEST(StoreConformanceTest, CreatesUsersAndFindsThemByIdAndKey) {
  User user = this->MakeUser("u_1", "ålice");
  user.username = "Ålice";
  user.username_skeleton = "ålice";
  user.roles = {"admin", "with \"quote\" and \\ and , comma", std::string("ctl\x01\n", 5), "ü"};
  user.is_disabled = true;
  user.updated_at = this->At(5);
  ASSERT_THAT(this->users().CreateUser(user), IsOk());
  User no_roles = this->MakeUser("u_2", "bob");
  no_roles.roles.clear();
  ASSERT_THAT(this->users().CreateUser(no_roles), IsOk());

  auto by_id = this->users().FindUserById("u_1");
  ASSERT_THAT(by_id, IsOk());
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ(UserFields(**by_id), UserFields(user));
  auto by_key = this->users().FindUserByKey("ålice");
  ASSERT_THAT(by_key, IsOk());
  ASSERT_TRUE(by_key->has_value());
  EXPECT_EQ(UserFields(**by_key), UserFields(user));
  auto bob = this->users().FindUserById("u_2");
  ASSERT_THAT(bob, IsOk());
  ASSERT_TRUE(bob->has_value());
  EXPECT_THAT((*bob)->roles, IsEmpty());
  EXPECT_EQ((*bob)->username_skeleton, "");

  EXPECT_EQ(this->users().FindUserById("u_unknown").value(), std::nullopt);
  EXPECT_EQ(this->users().FindUserByKey("Ålice").value(), std::nullopt);  // keys match exactly
  EXPECT_EQ(this->users().CountUsers().value(), 2u);
}

TYPED_TEST(StoreConformanceTest, RefusesATakenUsernameKeyAndKeepsTheFirstUser) {
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_1", "alice")), IsOk());
  User other = this->MakeUser("u_2", "alice");
  other.password_hash = "other";
  EXPECT_THAT(this->users().CreateUser(other), HasError(ErrorCode::kUsernameTaken));
  EXPECT_EQ(this->users().CountUsers().value(), 1u);
  EXPECT_EQ(this->users().FindUserById("u_2").value(), std::nullopt);
  EXPECT_EQ(this->users().FindUserByKey("alice").value()->id, "u_1");
}

TYPED_TEST(StoreConformanceTest, RefusesATakenSkeletonAndKeepsTheFirstUser) {
  User admin = this->MakeUser("u_1", "admin");
  admin.username_skeleton = "adrnin";
  ASSERT_THAT(this->users().CreateUser(admin), IsOk());
  // "аdmin" with a Cyrillic а: another key, the same skeleton.
  User lookalike = this->MakeUser("u_2",
                                  "\xd0\xb0"
                                  "dmin");
  lookalike.username_skeleton = "adrnin";
  EXPECT_THAT(this->users().CreateUser(lookalike), HasError(ErrorCode::kUsernameTaken));
  EXPECT_EQ(this->users().CountUsers().value(), 1u);
  EXPECT_EQ(this->users().FindUserById("u_2").value(), std::nullopt);
  auto holder = this->users().FindUserBySkeleton("adrnin");
  ASSERT_THAT(holder, IsOk());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ(UserFields(**holder), UserFields(admin));
  EXPECT_EQ(this->users().FindUserBySkeleton("adrnln").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, UsersWithoutASkeletonNeverCollideOnIt) {
  // Accounts from before skeletons were stored: any number may lack one.
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_1", "alice")), IsOk());
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_2", "bob")), IsOk());
  User carol = this->MakeUser("u_3", "carol");
  carol.username_skeleton = "carol";
  ASSERT_THAT(this->users().CreateUser(carol), IsOk());
  EXPECT_EQ(this->users().CountUsers().value(), 3u);
  EXPECT_EQ(this->users().FindUserBySkeleton("").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, ListsUsersWithoutSkeletonInCreationOrderAndPages) {
  const auto create = [this](const std::string& id, int64_t created, const std::string& skeleton) {
    User user = this->MakeUser(id, id + "-key");
    user.created_at = this->At(created);
    user.username_skeleton = skeleton;
    ASSERT_THAT(this->users().CreateUser(user), IsOk());
  };
  create("u_c", 5, "");
  create("u_a", 5, "");
  create("u_s", 0, "has-one");
  create("u_b", 1, "");
  auto& users = this->users();
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(std::nullopt, 100)),
              ElementsAre("u_b", "u_a", "u_c"));
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(std::nullopt, 2)), ElementsAre("u_b", "u_a"));
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(UserPosition{this->At(5), "u_a"}, 100)),
              ElementsAre("u_c"));
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(UserPosition{this->At(1), "u_b"}, 1)),
              ElementsAre("u_a"));
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(UserPosition{this->At(5), "u_c"}, 100)),
              IsEmpty());
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(std::nullopt, 0)), IsEmpty());
  auto listed = users.ListUsersWithoutSkeleton(std::nullopt, 1);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(UserFields(listed->front()), UserFields(users.FindUserById("u_b").value().value()));
}

TYPED_TEST(StoreConformanceTest, SetsASkeletonOnlyWhereNoneIsAndNeverATakenOne) {
  User first = this->MakeUser("u_1", "first");
  first.username_skeleton = "s1";
  ASSERT_THAT(this->users().CreateUser(first), IsOk());
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_2", "second")), IsOk());
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_3", "third")), IsOk());
  auto& users = this->users();

  EXPECT_THAT(users.SetUsernameSkeleton("u_2", "s1"), HasError(ErrorCode::kUsernameTaken));
  EXPECT_EQ(users.FindUserById("u_2").value()->username_skeleton, "");
  auto set = users.SetUsernameSkeleton("u_2", "s2");
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(*set);
  const User second = users.FindUserById("u_2").value().value();
  EXPECT_EQ(second.username_skeleton, "s2");
  EXPECT_EQ(second.updated_at, this->At(0));
  EXPECT_EQ(users.FindUserBySkeleton("s2").value()->id, "u_2");

  // A skeleton once set stays: a second back-fill (another node's) changes nothing.
  set = users.SetUsernameSkeleton("u_2", "s3");
  ASSERT_THAT(set, IsOk());
  EXPECT_FALSE(*set);
  EXPECT_EQ(users.FindUserById("u_2").value()->username_skeleton, "s2");
  EXPECT_EQ(users.FindUserBySkeleton("s3").value(), std::nullopt);

  EXPECT_THAT(users.SetUsernameSkeleton("u_3", "s2"), HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(users.SetUsernameSkeleton("u_3", ""), HasError(ErrorCode::kInvalidRequest));
  EXPECT_THAT(users.SetUsernameSkeleton("u_unknown", "s9"), HasError(ErrorCode::kNotFound));
  User fourth = this->MakeUser("u_4", "fourth");
  fourth.username_skeleton = "s2";
  EXPECT_THAT(users.CreateUser(fourth), HasError(ErrorCode::kUsernameTaken));
  EXPECT_THAT(UserIds(users.ListUsersWithoutSkeleton(std::nullopt, 100)), ElementsAre("u_3"));
}

TYPED_TEST(StoreConformanceTest, RefusesADuplicateUserIdAndWritesNothing) {
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_1", "alice")), IsOk());
  EXPECT_THAT(this->users().CreateUser(this->MakeUser("u_1", "bob")),
              HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(this->users().CountUsers().value(), 1u);
  EXPECT_EQ(this->users().FindUserByKey("bob").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, ListsUsersBySubstringOrderedByKeyUpToTheLimit) {
  for (const char* key : {"carol", "alicia", "bob", "alice", "a_b", "axb", "mal"}) {
    ASSERT_THAT(this->users().CreateUser(this->MakeUser(std::string("u_") + key, key)), IsOk());
  }
  const auto keys = [this](std::string_view substring, size_t limit) {
    std::vector<std::string> out;
    auto listed = this->users().ListUsers(substring, limit);
    EXPECT_THAT(listed, IsOk());
    for (const User& u : listed.value_or(std::vector<User>())) {
      out.push_back(u.username_key);
    }
    return out;
  };
  EXPECT_THAT(keys("", 100), ElementsAre("a_b", "alice", "alicia", "axb", "bob", "carol", "mal"));
  EXPECT_THAT(keys("al", 100), ElementsAre("alice", "alicia", "mal"));
  EXPECT_THAT(keys("al", 2), ElementsAre("alice", "alicia"));
  EXPECT_THAT(keys("", 0), IsEmpty());
  EXPECT_THAT(keys("_", 100), ElementsAre("a_b"));  // no wildcards
  EXPECT_THAT(keys("%", 100), IsEmpty());
  EXPECT_THAT(keys("AL", 100), IsEmpty());  // keys are already folded: no case folding here
  EXPECT_THAT(keys("zzz", 100), IsEmpty());
  EXPECT_EQ(this->users().CountUsers().value(), 7u);
}

TYPED_TEST(StoreConformanceTest, SetsThePasswordHash) {
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_1", "alice")), IsOk());
  ASSERT_THAT(this->users().SetPasswordHash("u_1", "new-hash", this->At(10)), IsOk());
  const User user = this->users().FindUserById("u_1").value().value();
  EXPECT_EQ(user.password_hash, "new-hash");
  EXPECT_EQ(user.updated_at, this->At(10));
  EXPECT_EQ(user.created_at, this->At(0));
  EXPECT_THAT(this->users().SetPasswordHash("u_unknown", "x", this->At(10)),
              HasError(ErrorCode::kNotFound));
}

TYPED_TEST(StoreConformanceTest, ReplacesThePasswordHashOnlyIfStillExpected) {
  User user = this->MakeUser("u_1", "alice");
  user.password_hash = "old";
  ASSERT_THAT(this->users().CreateUser(user), IsOk());

  auto replaced = this->users().ReplacePasswordHash("u_1", "old", "rehashed", this->At(10));
  ASSERT_THAT(replaced, IsOk());
  EXPECT_TRUE(*replaced);
  EXPECT_EQ(this->users().FindUserById("u_1").value()->password_hash, "rehashed");

  // Someone changed the password meanwhile: the stale rehash loses and changes nothing.
  replaced = this->users().ReplacePasswordHash("u_1", "old", "stale", this->At(20));
  ASSERT_THAT(replaced, IsOk());
  EXPECT_FALSE(*replaced);
  const User after = this->users().FindUserById("u_1").value().value();
  EXPECT_EQ(after.password_hash, "rehashed");
  EXPECT_EQ(after.updated_at, this->At(10));

  EXPECT_THAT(this->users().ReplacePasswordHash("u_unknown", "old", "x", this->At(10)),
              HasError(ErrorCode::kNotFound));
}

TYPED_TEST(StoreConformanceTest, SetsDisabledAndRolesWithoutUndoingOtherFields) {
  ASSERT_THAT(this->users().CreateUser(this->MakeUser("u_1", "alice")), IsOk());
  ASSERT_THAT(this->users().SetRoles("u_1", {"admin", "user"}, this->At(10)), IsOk());
  ASSERT_THAT(this->users().SetDisabled("u_1", true, this->At(20)), IsOk());
  ASSERT_THAT(this->users().SetPasswordHash("u_1", "h2", this->At(30)), IsOk());
  User user = this->users().FindUserById("u_1").value().value();
  EXPECT_THAT(user.roles, ElementsAre("admin", "user"));
  EXPECT_TRUE(user.is_disabled);
  EXPECT_EQ(user.password_hash, "h2");
  EXPECT_EQ(user.updated_at, this->At(30));

  ASSERT_THAT(this->users().SetDisabled("u_1", false, this->At(40)), IsOk());
  ASSERT_THAT(this->users().SetRoles("u_1", {}, this->At(50)), IsOk());
  user = this->users().FindUserById("u_1").value().value();
  EXPECT_FALSE(user.is_disabled);
  EXPECT_THAT(user.roles, IsEmpty());
  EXPECT_EQ(user.updated_at, this->At(50));

  EXPECT_THAT(this->users().SetDisabled("u_unknown", true, this->At(10)),
              HasError(ErrorCode::kNotFound));
  EXPECT_THAT(this->users().SetRoles("u_unknown", {"admin"}, this->At(10)),
              HasError(ErrorCode::kNotFound));
  EXPECT_EQ(this->users().CountUsers().value(), 1u);
}

// Sessions.

TYPED_TEST(StoreConformanceTest, CreatesSessionsAndFindsThemWithEveryField) {
  Session cookie = this->MakeSession("s_1", "u_1", 0);
  cookie.remember = true;
  Session jwt = this->MakeSession("s_2", "u_1", 5);
  jwt.mode = SessionMode::kJwt;
  jwt.transport = Transport::kHeader;
  jwt.secret_hash.clear();
  jwt.csrf_token.clear();
  jwt.refresh_generation = 7;
  jwt.refresh_hash = "refresh-7";
  jwt.previous_refresh_hash = "refresh-6";
  jwt.rotated_at = this->At(6);
  this->Create(cookie);
  this->Create(jwt);

  EXPECT_EQ(SessionFields(this->Get("s_1")), SessionFields(cookie));
  EXPECT_EQ(SessionFields(this->Get("s_2")), SessionFields(jwt));
  EXPECT_EQ(this->sessions().FindSessionById("s_unknown").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, FindsSessionsBySecretHashButNeverByAnEmptyOne) {
  this->Create(this->MakeSession("s_1", "u_1", 0));
  Session jwt_a = this->MakeSession("s_2", "u_1", 0);
  jwt_a.mode = SessionMode::kJwt;
  jwt_a.secret_hash.clear();
  Session jwt_b = jwt_a;
  jwt_b.id = "s_3";
  this->Create(jwt_a);
  this->Create(jwt_b);  // empty hashes do not clash

  auto found = this->sessions().FindSessionBySecretHash("hash-s_1");
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "s_1");
  EXPECT_EQ(this->sessions().FindSessionBySecretHash("hash-unknown").value(), std::nullopt);
  EXPECT_EQ(this->sessions().FindSessionBySecretHash("").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, RefusesADuplicateSessionIdOrSecretHash) {
  this->Create(this->MakeSession("s_1", "u_1", 0));
  Session same_id = this->MakeSession("s_1", "u_2", 10);
  same_id.secret_hash = "other";
  EXPECT_THAT(this->sessions().CreateSession(same_id, DeviceLimit{}, this->At(10)),
              HasError(ErrorCode::kUnavailable));
  Session same_hash = this->MakeSession("s_2", "u_1", 10);
  same_hash.secret_hash = "hash-s_1";
  // The failed insert also undoes the eviction that came before it.
  EXPECT_THAT(this->sessions().CreateSession(same_hash, DeviceLimit{1, OnLimit::kEvictOldest},
                                             this->At(10)),
              HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(this->Get("s_1").user_id, "u_1");
  EXPECT_FALSE(this->Get("s_1").IsRevoked());
  EXPECT_EQ(this->sessions().FindSessionById("s_2").value(), std::nullopt);
  EXPECT_EQ(this->LatestSeq(), 0);
}

TYPED_TEST(StoreConformanceTest, NoDeviceLimitWhenMaxIsZero) {
  for (int i = 0; i < 5; ++i) {
    auto outcome =
        this->sessions().CreateSession(this->MakeSession("s_" + std::to_string(i), "u_1", i),
                                       DeviceLimit{0, OnLimit::kRefuse}, this->At(i));
    ASSERT_THAT(outcome, IsOk());
    EXPECT_THAT(outcome->evicted_session_ids, IsEmpty());
  }
  EXPECT_EQ(this->LiveIds("u_1", 10).size(), 5u);
}

TYPED_TEST(StoreConformanceTest, DeviceLimitEvictsTheOldestLiveSessionsOnly) {
  // Dead sessions of the user and sessions of other users do not count.
  Session revoked = this->MakeSession("s_revoked", "u_1", 0);
  Session idle_expired = this->MakeSession("s_idle", "u_1", 1);
  idle_expired.idle_expires_at = this->At(50);
  Session absolute_expired = this->MakeSession("s_absolute", "u_1", 2);
  absolute_expired.absolute_expires_at = this->At(60);
  this->Create(revoked);
  this->Create(idle_expired);
  this->Create(absolute_expired);
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked", "logout", this->At(3)), IsOk());
  this->Create(this->MakeSession("s_other", "u_2", 4));
  this->Create(this->MakeSession("s_a", "u_1", 10));
  this->Create(this->MakeSession("s_b", "u_1", 20));
  const int64_t seq_before = this->LatestSeq();

  const DeviceLimit limit{2, OnLimit::kEvictOldest};
  auto outcome =
      this->sessions().CreateSession(this->MakeSession("s_c", "u_1", 100), limit, this->At(100));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_THAT(outcome->evicted_session_ids, ElementsAre("s_a"));
  const Session evicted = this->Get("s_a");
  EXPECT_EQ(evicted.revoked_at, this->At(100));
  EXPECT_EQ(evicted.revoke_reason, "evicted");
  EXPECT_THAT(this->LiveIds("u_1", 100), ElementsAre("s_c", "s_b"));
  EXPECT_EQ(this->Get("s_revoked").revoke_reason, "logout");
  EXPECT_FALSE(this->Get("s_idle").IsRevoked());
  EXPECT_FALSE(this->Get("s_other").IsRevoked());

  // Each eviction is on the change feed.
  auto changes = this->sessions().ChangesSince(seq_before, 100);
  ASSERT_THAT(changes, IsOk());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, Change::Kind::kSessionRevoked);
  EXPECT_EQ((*changes)[0].session_id, "s_a");
  EXPECT_EQ((*changes)[0].user_id, "u_1");
  EXPECT_EQ((*changes)[0].at, this->At(100));
}

TYPED_TEST(StoreConformanceTest, DeviceLimitEvictsAsManyAsNeededOldestFirst) {
  this->Create(this->MakeSession("s_b", "u_1", 20));
  this->Create(this->MakeSession("s_a", "u_1", 10));
  this->Create(this->MakeSession("s_c", "u_1", 30));
  auto outcome = this->sessions().CreateSession(
      this->MakeSession("s_d", "u_1", 40), DeviceLimit{2, OnLimit::kEvictOldest}, this->At(40));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_THAT(outcome->evicted_session_ids, ElementsAre("s_a", "s_b"));
  EXPECT_THAT(this->LiveIds("u_1", 40), ElementsAre("s_d", "s_c"));
  EXPECT_EQ(this->LatestSeq(), 2);
}

TYPED_TEST(StoreConformanceTest, DeviceLimitEvictsInCreationOrderWithinOneSecond) {
  // Logins within one second share created_at; ids are random, so only the order of creation
  // can tell which is oldest.
  this->Create(this->MakeSession("s_z_first", "u_1", 10));
  this->Create(this->MakeSession("s_a_second", "u_1", 10));
  auto outcome =
      this->sessions().CreateSession(this->MakeSession("s_m_third", "u_1", 10),
                                     DeviceLimit{2, OnLimit::kEvictOldest}, this->At(10));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_THAT(outcome->evicted_session_ids, ElementsAre("s_z_first"));
}

TYPED_TEST(StoreConformanceTest, DeviceLimitRefuseIsForbiddenAndWritesNothing) {
  this->Create(this->MakeSession("s_a", "u_1", 10));
  this->Create(this->MakeSession("s_b", "u_1", 20));
  const DeviceLimit limit{2, OnLimit::kRefuse};
  EXPECT_THAT(
      this->sessions().CreateSession(this->MakeSession("s_c", "u_1", 30), limit, this->At(30)),
      HasError(ErrorCode::kForbidden));
  EXPECT_EQ(this->sessions().FindSessionById("s_c").value(), std::nullopt);
  EXPECT_THAT(this->LiveIds("u_1", 30), ElementsAre("s_b", "s_a"));
  EXPECT_EQ(this->LatestSeq(), 0);

  // Once one has expired, there is room again.
  auto outcome =
      this->sessions().CreateSession(this->MakeSession("s_c", "u_1", 3700), limit, this->At(3700));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_THAT(outcome->evicted_session_ids, IsEmpty());
}

TYPED_TEST(StoreConformanceTest, ListsOnlyLiveSessionsNewestFirst) {
  this->Create(this->MakeSession("s_old", "u_1", 0));
  this->Create(this->MakeSession("s_new", "u_1", 20));
  this->Create(this->MakeSession("s_mid", "u_1", 10));
  // Same second: the one created later counts as newer (insertion order breaks the tie).
  this->Create(this->MakeSession("s_tie_b", "u_1", 15));
  this->Create(this->MakeSession("s_tie_a", "u_1", 15));
  Session revoked = this->MakeSession("s_revoked", "u_1", 30);
  Session idle = this->MakeSession("s_idle", "u_1", 30);
  idle.idle_expires_at = this->At(100);  // exactly now: no longer live
  Session absolute = this->MakeSession("s_absolute", "u_1", 30);
  absolute.absolute_expires_at = this->At(99);
  this->Create(revoked);
  this->Create(idle);
  this->Create(absolute);
  this->Create(this->MakeSession("s_other", "u_2", 40));
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked", "logout", this->At(31)), IsOk());

  EXPECT_THAT(this->LiveIds("u_1", 100),
              ElementsAre("s_new", "s_tie_a", "s_tie_b", "s_mid", "s_old"));
  EXPECT_THAT(this->LiveIds("u_1", 99),
              ElementsAre("s_idle", "s_new", "s_tie_a", "s_tie_b", "s_mid", "s_old"));
  EXPECT_THAT(this->LiveIds("u_unknown", 100), IsEmpty());
  EXPECT_THAT(this->LiveIds("", 100), IsEmpty());

  auto all = this->sessions().ListAllLiveSessions(this->At(100), 3);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "s_other");
  EXPECT_EQ((*all)[1].id, "s_new");
  EXPECT_EQ((*all)[2].id, "s_tie_a");
  EXPECT_EQ(this->sessions().ListAllLiveSessions(this->At(100), 100).value().size(), 6u);
  EXPECT_THAT(this->sessions().ListAllLiveSessions(this->At(100), 0).value(), IsEmpty());
  EXPECT_EQ(this->sessions().CountLiveSessions(this->At(100)).value(), 6u);
  EXPECT_EQ(this->sessions().CountLiveSessions(this->At(3630)).value(), 1u);  // s_other
  EXPECT_EQ(this->sessions().CountLiveSessions(this->At(100'000)).value(), 0u);
}

TYPED_TEST(StoreConformanceTest, TouchSlidesTheIdleExpiryForwardOnly) {
  this->Create(this->MakeSession("s_1", "u_1", 0));
  ASSERT_THAT(this->sessions().TouchSession("s_1", this->At(100), this->At(3700)), IsOk());
  Session s = this->Get("s_1");
  EXPECT_EQ(s.last_seen_at, this->At(100));
  EXPECT_EQ(s.idle_expires_at, this->At(3700));
  EXPECT_EQ(s.absolute_expires_at, this->At(86400));

  // A touch that arrives late moves nothing backwards.
  ASSERT_THAT(this->sessions().TouchSession("s_1", this->At(50), this->At(3650)), IsOk());
  s = this->Get("s_1");
  EXPECT_EQ(s.last_seen_at, this->At(100));
  EXPECT_EQ(s.idle_expires_at, this->At(3700));

  EXPECT_THAT(this->sessions().TouchSession("s_unknown", this->At(100), this->At(3700)), IsOk());
  EXPECT_EQ(this->sessions().FindSessionById("s_unknown").value(), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, TouchNeverResurrectsARevokedOrExpiredSession) {
  this->Create(this->MakeSession("s_revoked", "u_1", 0));
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked", "logout", this->At(10)), IsOk());
  ASSERT_THAT(this->sessions().TouchSession("s_revoked", this->At(20), this->At(3620)), IsOk());
  Session s = this->Get("s_revoked");
  EXPECT_TRUE(s.IsRevoked());
  EXPECT_EQ(s.idle_expires_at, this->At(3600));
  EXPECT_EQ(s.last_seen_at, this->At(0));

  // Idle-expired at 3600: a touch seen at 3600 or later cannot bring it back.
  this->Create(this->MakeSession("s_idle", "u_1", 0));
  ASSERT_THAT(this->sessions().TouchSession("s_idle", this->At(3600), this->At(7200)), IsOk());
  s = this->Get("s_idle");
  EXPECT_EQ(s.idle_expires_at, this->At(3600));
  EXPECT_FALSE(s.IsLiveAt(this->At(3600)));
}

TYPED_TEST(StoreConformanceTest, RevokesOnceAndKeepsTheFirstReason) {
  this->Create(this->MakeSession("s_1", "u_1", 0));
  auto first = this->sessions().RevokeSession("s_1", "logout", this->At(10));
  ASSERT_THAT(first, IsOk());
  EXPECT_TRUE(*first);
  auto second = this->sessions().RevokeSession("s_1", "admin", this->At(20));
  ASSERT_THAT(second, IsOk());
  EXPECT_FALSE(*second);
  const Session s = this->Get("s_1");
  EXPECT_EQ(s.revoked_at, this->At(10));
  EXPECT_EQ(s.revoke_reason, "logout");
  EXPECT_THAT(this->LiveIds("u_1", 11), IsEmpty());

  auto unknown = this->sessions().RevokeSession("s_unknown", "logout", this->At(10));
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(*unknown);

  // Only the revocation that happened is on the feed.
  auto changes = this->sessions().ChangesSince(0, 100);
  ASSERT_THAT(changes, IsOk());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, Change::Kind::kSessionRevoked);
  EXPECT_EQ((*changes)[0].session_id, "s_1");
  EXPECT_EQ((*changes)[0].user_id, "u_1");
  EXPECT_EQ((*changes)[0].at, this->At(10));
}

// Refresh rotation (DESIGN.md "Refresh rotation as a small state machine").

TYPED_TEST(StoreConformanceTest, RotatesRefreshFromTheCurrentGenerationOnly) {
  Session s = this->MakeSession("s_1", "u_1", 0);
  s.mode = SessionMode::kJwt;
  s.secret_hash.clear();
  s.refresh_hash = "r0";
  this->Create(s);

  auto rotated = this->sessions().RotateRefresh(
      "s_1", RefreshRotation{0, "r1", this->At(100), this->At(3700)});
  ASSERT_THAT(rotated, IsOk());
  EXPECT_TRUE(*rotated);
  Session after = this->Get("s_1");
  EXPECT_EQ(after.refresh_generation, 1);
  EXPECT_EQ(after.refresh_hash, "r1");
  EXPECT_EQ(after.previous_refresh_hash, "r0");
  EXPECT_EQ(after.rotated_at, this->At(100));
  EXPECT_EQ(after.last_seen_at, this->At(100));
  EXPECT_EQ(after.idle_expires_at, this->At(3700));
  EXPECT_EQ(after.absolute_expires_at, this->At(86400));  // never moves

  // A second rotation from generation 0 (the loser of a race) changes nothing.
  auto stale = this->sessions().RotateRefresh(
      "s_1", RefreshRotation{0, "r1-bis", this->At(101), this->At(3701)});
  ASSERT_THAT(stale, IsOk());
  EXPECT_FALSE(*stale);
  EXPECT_EQ(SessionFields(this->Get("s_1")), SessionFields(after));

  auto unknown = this->sessions().RotateRefresh("s_unknown",
                                                RefreshRotation{0, "x", this->At(1), this->At(2)});
  ASSERT_THAT(unknown, IsOk());
  EXPECT_FALSE(*unknown);
}

TYPED_TEST(StoreConformanceTest, NeverRotatesARevokedOrExpiredSession) {
  Session revoked = this->MakeSession("s_revoked", "u_1", 0);
  revoked.refresh_hash = "r0";
  this->Create(revoked);
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked", "logout", this->At(10)), IsOk());
  Session idle = this->MakeSession("s_idle", "u_1", 0);  // idle expiry at 3600
  idle.secret_hash = "hash-idle";
  idle.refresh_hash = "r0";
  this->Create(idle);

  for (const char* id : {"s_revoked", "s_idle"}) {
    const Session before = this->Get(id);
    auto rotated = this->sessions().RotateRefresh(
        id, RefreshRotation{0, "r1", this->At(3600), this->At(7200)});
    ASSERT_THAT(rotated, IsOk());
    EXPECT_FALSE(*rotated) << id;
    EXPECT_EQ(SessionFields(this->Get(id)), SessionFields(before)) << id;
  }
}

TYPED_TEST(StoreConformanceTest, ConcurrentRotationsFromOneGenerationHaveOneWinner) {
  Session s = this->MakeSession("s_1", "u_1", 0);
  s.refresh_hash = "r0";
  this->Create(s);
  constexpr int kThreads = 8;
  std::atomic<int> winners{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &winners, &failures] {
      auto rotated = this->sessions().RotateRefresh(
          "s_1", RefreshRotation{0, "r1-" + std::to_string(i), this->At(10), this->At(3610)});
      if (!rotated) {
        failures.fetch_add(1);
      } else if (*rotated) {
        winners.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(winners.load(), 1);
  const Session after = this->Get("s_1");
  EXPECT_EQ(after.refresh_generation, 1);
  EXPECT_EQ(after.previous_refresh_hash, "r0");
}

TYPED_TEST(StoreConformanceTest, ListsRecentlyRevokedJwtSessionsOldestFirst) {
  Session jwt_old = this->MakeSession("s_old", "u_1", 0);
  jwt_old.mode = SessionMode::kJwt;
  jwt_old.secret_hash.clear();
  Session jwt_a = jwt_old;
  jwt_a.id = "s_a";
  Session jwt_b = jwt_old;
  jwt_b.id = "s_b";
  jwt_b.user_id = "u_2";
  Session opaque = this->MakeSession("s_opaque", "u_1", 0);
  Session live = jwt_old;
  live.id = "s_live";
  for (const Session& s : {jwt_old, jwt_a, jwt_b, opaque, live}) {
    this->Create(s);
  }
  ASSERT_THAT(this->sessions().RevokeSession("s_old", "logout", this->At(10)), IsOk());
  ASSERT_THAT(this->sessions().RevokeSession("s_b", "admin", this->At(30)), IsOk());
  ASSERT_THAT(this->sessions().RevokeSession("s_a", "logout", this->At(20)), IsOk());
  ASSERT_THAT(this->sessions().RevokeSession("s_opaque", "logout", this->At(20)), IsOk());

  auto revoked = this->sessions().ListRevokedJwtSessions(this->At(20));
  ASSERT_THAT(revoked, IsOk());
  ASSERT_EQ(revoked->size(), 2u);
  EXPECT_EQ((*revoked)[0].session_id, "s_a");
  EXPECT_EQ((*revoked)[0].user_id, "u_1");
  EXPECT_EQ((*revoked)[0].revoked_at, this->At(20));
  EXPECT_EQ((*revoked)[1].session_id, "s_b");
  EXPECT_EQ((*revoked)[1].user_id, "u_2");
}

TYPED_TEST(StoreConformanceTest, RevokesEveryUnrevokedSessionOfAUser) {
  this->Create(this->MakeSession("s_b", "u_1", 20));
  this->Create(this->MakeSession("s_a", "u_1", 10));
  Session expired = this->MakeSession("s_expired", "u_1", 0);
  expired.idle_expires_at = this->At(5);
  this->Create(expired);
  this->Create(this->MakeSession("s_done", "u_1", 30));
  this->Create(this->MakeSession("s_other", "u_2", 30));
  ASSERT_THAT(this->sessions().RevokeSession("s_done", "logout", this->At(40)), IsOk());
  const int64_t seq_before = this->LatestSeq();

  auto ids = this->sessions().RevokeUserSessions("u_1", "logout_all", this->At(50));
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, ElementsAre("s_expired", "s_a", "s_b"));  // oldest first
  EXPECT_EQ(this->Get("s_a").revoke_reason, "logout_all");
  EXPECT_EQ(this->Get("s_a").revoked_at, this->At(50));
  EXPECT_EQ(this->Get("s_expired").revoke_reason, "logout_all");
  EXPECT_EQ(this->Get("s_done").revoke_reason, "logout");
  EXPECT_EQ(this->Get("s_done").revoked_at, this->At(40));
  EXPECT_FALSE(this->Get("s_other").IsRevoked());

  // One entry for the user.
  auto changes = this->sessions().ChangesSince(seq_before, 100);
  ASSERT_THAT(changes, IsOk());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, Change::Kind::kUserSessionsRevoked);
  EXPECT_EQ((*changes)[0].user_id, "u_1");
  EXPECT_EQ((*changes)[0].session_id, "");
  EXPECT_EQ((*changes)[0].at, this->At(50));

  // Nothing left to revoke: no ids, but the entry is still written (tokens issued before now
  // are void for the user either way).
  ids = this->sessions().RevokeUserSessions("u_1", "logout_all", this->At(60));
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, IsEmpty());
  EXPECT_EQ(this->LatestSeq(), seq_before + 2);
}

TYPED_TEST(StoreConformanceTest, ChangeFeedIsOrderedAndPaged) {
  EXPECT_EQ(this->LatestSeq(), 0);
  EXPECT_THAT(this->sessions().ChangesSince(0, 10).value(), IsEmpty());

  this->Create(this->MakeSession("s_1", "u_1", 0));
  ASSERT_THAT(this->sessions().RecordUserChanged("u_1", this->At(1)), IsOk());
  ASSERT_THAT(this->sessions().RevokeSession("s_1", "logout", this->At(2)), IsOk());
  ASSERT_THAT(this->sessions().RevokeUserSessions("u_2", "admin", this->At(3)), IsOk());
  ASSERT_THAT(this->sessions().RecordUserChanged("u_3", this->At(4)), IsOk());

  auto all = this->sessions().ChangesSince(0, 100);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 4u);
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i - 1].seq, (*all)[i].seq);
  }
  EXPECT_EQ((*all)[0].kind, Change::Kind::kUserChanged);
  EXPECT_EQ((*all)[0].user_id, "u_1");
  EXPECT_EQ((*all)[0].session_id, "");
  EXPECT_EQ((*all)[0].at, this->At(1));
  EXPECT_EQ((*all)[1].kind, Change::Kind::kSessionRevoked);
  EXPECT_EQ((*all)[2].kind, Change::Kind::kUserSessionsRevoked);
  EXPECT_EQ((*all)[2].user_id, "u_2");
  EXPECT_EQ((*all)[3].user_id, "u_3");
  EXPECT_EQ(this->LatestSeq(), (*all)[3].seq);

  auto page = this->sessions().ChangesSince((*all)[0].seq, 2);
  ASSERT_THAT(page, IsOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, (*all)[1].seq);
  EXPECT_EQ((*page)[1].seq, (*all)[2].seq);
  EXPECT_THAT(this->sessions().ChangesSince((*all)[3].seq, 10).value(), IsEmpty());
  EXPECT_THAT(this->sessions().ChangesSince(0, 0).value(), IsEmpty());
}

TYPED_TEST(StoreConformanceTest, PurgeDeletesDeadSessionsAndOldChangesButNeverReusesSeq) {
  Session absolute = this->MakeSession("s_absolute", "u_1", 0);
  absolute.absolute_expires_at = this->At(100);
  Session idle = this->MakeSession("s_idle", "u_1", 0);
  idle.idle_expires_at = this->At(50);  // idle-dead, but kept until its absolute expiry
  this->Create(absolute);
  this->Create(idle);
  this->Create(this->MakeSession("s_revoked_early", "u_1", 0));
  this->Create(this->MakeSession("s_revoked_late", "u_1", 0));
  this->Create(this->MakeSession("s_live", "u_1", 0));
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked_early", "logout", this->At(150)), IsOk());
  ASSERT_THAT(this->sessions().RevokeSession("s_revoked_late", "logout", this->At(250)), IsOk());
  ASSERT_THAT(this->sessions().RecordUserChanged("u_1", this->At(300)), IsOk());
  const int64_t latest = this->LatestSeq();
  ASSERT_EQ(latest, 3);

  auto purged = this->sessions().PurgeSessions(this->At(200));
  ASSERT_THAT(purged, IsOk());
  EXPECT_EQ(*purged, 2u);
  EXPECT_EQ(this->sessions().FindSessionById("s_absolute").value(), std::nullopt);
  EXPECT_EQ(this->sessions().FindSessionById("s_revoked_early").value(), std::nullopt);
  EXPECT_NE(this->sessions().FindSessionById("s_idle").value(), std::nullopt);
  EXPECT_NE(this->sessions().FindSessionById("s_revoked_late").value(), std::nullopt);
  EXPECT_NE(this->sessions().FindSessionById("s_live").value(), std::nullopt);

  auto changes = this->sessions().ChangesSince(0, 100);
  ASSERT_THAT(changes, IsOk());
  ASSERT_EQ(changes->size(), 2u);  // the one at 150 is gone
  EXPECT_EQ((*changes)[0].at, this->At(250));

  // Purging everything keeps the sequence: a reader's position stays meaningful.
  EXPECT_EQ(this->sessions().PurgeSessions(this->At(1'000'000)).value(), 3u);
  EXPECT_THAT(this->sessions().ChangesSince(0, 100).value(), IsEmpty());
  EXPECT_EQ(this->LatestSeq(), latest);
  ASSERT_THAT(this->sessions().RecordUserChanged("u_1", this->At(400)), IsOk());
  EXPECT_EQ(this->LatestSeq(), latest + 1);
  EXPECT_EQ(this->sessions().ChangesSince(latest, 10).value().at(0).seq, latest + 1);
}

// Rate counters.

TYPED_TEST(StoreConformanceTest, CountsHitsInAFixedWindow) {
  const auto get = [this](int64_t at) {
    auto counter = this->rates().GetCounter("login:alice", this->At(at));
    EXPECT_THAT(counter, IsOk());
    return counter.value_or(RateCounter{});
  };
  EXPECT_EQ(get(0).count, 0);

  auto hit = this->rates().Hit("login:alice", Seconds(60), this->At(10));
  ASSERT_THAT(hit, IsOk());
  EXPECT_EQ(hit->count, 1);
  EXPECT_EQ(hit->window_start, this->At(10));
  EXPECT_EQ(hit->window_end, this->At(70));
  EXPECT_EQ(hit->last_hit, this->At(10));

  hit = this->rates().Hit("login:alice", Seconds(60), this->At(30));
  ASSERT_THAT(hit, IsOk());
  EXPECT_EQ(hit->count, 2);
  EXPECT_EQ(hit->window_start, this->At(10));
  EXPECT_EQ(hit->window_end, this->At(70));  // fixed: hits do not extend it
  EXPECT_EQ(hit->last_hit, this->At(30));

  const RateCounter read = get(69);
  EXPECT_EQ(read.count, 2);
  EXPECT_EQ(read.window_start, this->At(10));
  EXPECT_EQ(read.window_end, this->At(70));
  EXPECT_EQ(read.last_hit, this->At(30));
  EXPECT_EQ(get(70).count, 0);  // the window has passed
  EXPECT_EQ(this->rates().GetCounter("login:bob", this->At(30)).value().count, 0);

  hit = this->rates().Hit("login:alice", Seconds(60), this->At(70));
  ASSERT_THAT(hit, IsOk());
  EXPECT_EQ(hit->count, 1);  // a new window
  EXPECT_EQ(hit->window_start, this->At(70));
  EXPECT_EQ(hit->window_end, this->At(130));
}

TYPED_TEST(StoreConformanceTest, TakeSlotHonoursTheCapAndTheGrowingGap) {
  const SlotRule rule{.limit = 5, .window = Seconds(900), .backoff = Seconds(2), .free_hits = 2};
  // Each granted slot is marked as a failure at once, as the limiter does after a wrong password.
  auto take = [&](int at) {
    auto answer = this->rates().TakeSlot("slot:alice", rule, this->At(at));
    EXPECT_THAT(answer, IsOk());
    if (answer && answer->granted) {
      EXPECT_THAT(this->rates().MarkSlot("slot:alice", this->At(at)), IsOk());
    }
    return answer.value_or(SlotAnswer{});
  };
  EXPECT_TRUE(take(0).granted);
  EXPECT_TRUE(take(0).granted);
  SlotAnswer third = take(0);
  EXPECT_TRUE(third.granted);
  EXPECT_EQ(third.counter.count, 3);
  SlotAnswer refused = take(1);  // a gap of 2 s after the third
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.counter.count, 3);
  EXPECT_EQ(refused.counter.last_hit, this->At(0));  // a refusal writes nothing
  EXPECT_TRUE(take(2).granted);
  EXPECT_FALSE(take(5).granted);  // then 4 s
  EXPECT_TRUE(take(6).granted);
  SlotAnswer full = take(500);
  EXPECT_FALSE(full.granted);  // 5 of 5
  EXPECT_EQ(full.counter.window_end, this->At(900));
  ASSERT_THAT(this->rates().ReturnSlot("slot:alice"), IsOk());
  EXPECT_TRUE(take(500).granted);  // the slot given back
  SlotAnswer fresh = take(900);
  EXPECT_TRUE(fresh.granted);  // a new window
  EXPECT_EQ(fresh.counter.count, 1);
  ASSERT_THAT(this->rates().ReturnSlot("slot:nobody"), IsOk());
}

TYPED_TEST(StoreConformanceTest, ConcurrentTakeSlotGrantsExactlyTheLimit) {
  // Unmarked slots (verdicts still pending) are bounded by the limit alone, spacing or not.
  const SlotRule rule{.limit = 10, .window = Seconds(900), .backoff = Seconds(5), .free_hits = 2};
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        auto answer = this->rates().TakeSlot("slot:race", rule, this->At(0));
        if (answer && answer->granted) {
          granted.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(granted.load(), 10);
}

TYPED_TEST(StoreConformanceTest, ClearsAndPurgesCounters) {
  ASSERT_THAT(this->rates().Hit("a", Seconds(60), this->At(0)), IsOk());
  ASSERT_THAT(this->rates().Hit("b", Seconds(600), this->At(0)), IsOk());
  ASSERT_THAT(this->rates().Hit("c", Seconds(60), this->At(0)), IsOk());
  ASSERT_THAT(this->rates().ClearCounter("c"), IsOk());
  ASSERT_THAT(this->rates().ClearCounter("unknown"), IsOk());
  EXPECT_EQ(this->rates().GetCounter("c", this->At(1)).value().count, 0);

  ASSERT_THAT(this->rates().PurgeCounters(this->At(61)), IsOk());
  // Read with an earlier `now` to see what was deleted rather than merely expired.
  EXPECT_EQ(this->rates().GetCounter("a", this->At(1)).value().count, 0);
  EXPECT_EQ(this->rates().GetCounter("b", this->At(1)).value().count, 1);
}

TYPED_TEST(StoreConformanceTest, HitIsAtomicAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kHitsPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kHitsPerThread; ++i) {
        if (!this->rates().Hit("login:alice", Seconds(3600), this->At(1))) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(this->rates().GetCounter("login:alice", this->At(2)).value().count,
            kThreads * kHitsPerThread);
}

// Audit log.

TYPED_TEST(StoreConformanceTest, PurgesOldAuditEventsInBoundedBatches) {
  for (int i = 0; i < 5; ++i) {
    AuditEvent event;
    event.at = this->At(i);
    event.type = "login_failed";
    event.detail = "event " + std::to_string(i);
    ASSERT_THAT(this->audit().Append(event), IsOk());
  }
  auto purged = this->audit().PurgeAudit(this->At(3), 2);  // looks at the two oldest only
  ASSERT_THAT(purged, IsOk());
  EXPECT_EQ(*purged, 2u);
  EXPECT_EQ(this->audit().PurgeAudit(this->At(3), 100).value(), 1u);
  EXPECT_EQ(this->audit().PurgeAudit(this->At(3), 100).value(), 0u);
  auto left = this->audit().Recent("", 100);
  ASSERT_THAT(left, IsOk());
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].detail, "event 4");
  EXPECT_EQ((*left)[1].detail, "event 3");
}

TYPED_TEST(StoreConformanceTest, AuditLogReadsNewestFirstAndFiltersByUser) {
  for (int i = 0; i < 5; ++i) {
    AuditEvent event;
    event.at = this->At(i);
    event.type = "login_succeeded";
    event.user_id = i % 2 == 0 ? "u_even" : "u_odd";
    event.actor_id = "u_admin";
    event.session_id = "s_" + std::to_string(i);
    event.ip = "198.51.100.7";
    event.detail = "event " + std::to_string(i);
    ASSERT_THAT(this->audit().Append(event), IsOk());
  }
  auto all = this->audit().Recent("", 100);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 5u);
  for (size_t i = 1; i < all->size(); ++i) {
    EXPECT_GT((*all)[i - 1].id, (*all)[i].id);
  }
  const AuditEvent& newest = (*all)[0];
  EXPECT_EQ(newest.at, this->At(4));
  EXPECT_EQ(newest.type, "login_succeeded");
  EXPECT_EQ(newest.user_id, "u_even");
  EXPECT_EQ(newest.actor_id, "u_admin");
  EXPECT_EQ(newest.session_id, "s_4");
  EXPECT_EQ(newest.ip, "198.51.100.7");
  EXPECT_EQ(newest.detail, "event 4");

  auto even = this->audit().Recent("u_even", 2);
  ASSERT_THAT(even, IsOk());
  ASSERT_EQ(even->size(), 2u);
  EXPECT_EQ((*even)[0].detail, "event 4");
  EXPECT_EQ((*even)[1].detail, "event 2");
  EXPECT_EQ(this->audit().Recent("u_odd", 100).value().size(), 2u);
  EXPECT_THAT(this->audit().Recent("u_nobody", 100).value(), IsEmpty());
  EXPECT_THAT(this->audit().Recent("", 0).value(), IsEmpty());
}

}  // namespace
}  // namespace sesame::store
