// What only the PostgreSQL store has: a server that is down, goes away and comes back; several
// nodes migrating one database; races between nodes. The shared contract is in
// store_conformance_test.cc.

#include "store/postgres/postgres_store.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "postgres_server.h"
#include "result_matchers.h"
#include "store/postgres/postgres_schema.h"

namespace sesame::store {
namespace {

using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;
using sesame::testing::PostgresServer;
using sesame::testing::SharedPostgresServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using SteadyClock = std::chrono::steady_clock;
using std::chrono_literals::operator""ms;
using std::chrono_literals::operator""s;

constexpr int64_t kStart = 1'800'000'000;

TimePoint At(int64_t offset_seconds) {
  return FromUnixSeconds(kStart + offset_seconds);
}

User MakeUser(const std::string& id, const std::string& username_key) {
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

// A new empty database on the binary's shared server, for tests that need one of their own.
// Its name is `prefix` and a number, so that --gtest_repeat works.
struct Database {
  std::string name;
  std::string url;
};
Database FreshDatabase(const std::string& prefix) {
  static int made = 0;
  const std::string name = prefix + "_" + std::to_string(++made);
  return Database{name, SharedPostgresServer().CreateDatabase(name)};
}

std::unique_ptr<PostgresStore> OpenOrFail(const std::string& url, PostgresOptions options = {}) {
  auto opened = PostgresStore::Open(url, options);
  EXPECT_THAT(opened, IsOk());
  return opened ? std::move(*opened) : nullptr;
}

// Calls `condition` until it is true or `timeout` passes; true if it became true.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (SteadyClock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
}

// Runs `body(i)` on `threads` threads released together.
void RunTogether(int threads, const std::function<void(int)>& body) {
  std::latch start(threads);
  std::vector<std::thread> running;
  for (int i = 0; i < threads; ++i) {
    running.emplace_back([&, i] {
      start.arrive_and_wait();
      body(i);
    });
  }
  for (std::thread& thread : running) {
    thread.join();
  }
}

TEST(PostgresStore, RefusesAnEmptyPoolOrAMalformedUrlWithoutShowingThePassword) {
  EXPECT_THAT(PostgresStore::Open("postgresql://sesame@127.0.0.1/db", {.pool_size = 0}),
              HasError(ErrorCode::kInvalidConfig));
  EXPECT_THAT(PostgresStore::Open("postgresql://sesame@127.0.0.1/db", {.connect_timeout = 0ms}),
              HasError(ErrorCode::kInvalidConfig));
  // libpq quotes what it cannot decode, here the password.
  auto opened = PostgresStore::Open("postgresql://sesame:hunter%zz2secret@127.0.0.1/db");
  ASSERT_THAT(opened, HasError(ErrorCode::kInvalidConfig));
  EXPECT_THAT(opened.error().detail, Not(HasSubstr("hunter")));
  EXPECT_THAT(opened.error().detail, Not(HasSubstr("secret")));
}

TEST(PostgresStore, OpenIsUnavailableWhenNothingListensAndNeverShowsThePassword) {
  const int port = PostgresServer::FreePort();
  const std::string password = "Pa55-w0rd-never-logged";
  const auto started = SteadyClock::now();
  auto opened =
      PostgresStore::Open("postgresql://sesame:" + password + "@127.0.0.1:" + std::to_string(port) +
                              "/sesame?sslmode=disable",
                          {.connect_timeout = 1000ms});
  ASSERT_THAT(opened, HasError(ErrorCode::kUnavailable));
  EXPECT_LT(SteadyClock::now() - started, 5s);
  const std::string& detail = opened.error().detail;
  EXPECT_THAT(detail, Not(HasSubstr(password)));
  EXPECT_THAT(detail, HasSubstr("postgresql://sesame@127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(detail, HasSubstr("cannot connect"));
}

TEST(PostgresStore, ConnectTimeoutBoundsOpenAgainstAServerThatNeverAnswers) {
  // A socket that listens but never accepts: the kernel completes the TCP handshake and the
  // startup message then goes unanswered.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::string url =
      "postgresql://sesame:secret-pw@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
      "/sesame?sslmode=disable";

  const auto started = SteadyClock::now();
  auto opened = PostgresStore::Open(url, {.connect_timeout = 300ms});
  const auto took = SteadyClock::now() - started;
  ::close(fd);
  ASSERT_THAT(opened, HasErrorMentioning(ErrorCode::kUnavailable, "no answer within 300 ms"));
  EXPECT_THAT(opened.error().detail, Not(HasSubstr("secret-pw")));
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
}

TEST(PostgresStore, ServerStoppedMidUseIsUnavailableAndServiceResumesAfterARestart) {
  // A server of its own: this test stops it.
  std::unique_ptr<PostgresServer> server;
  try {
    server = std::make_unique<PostgresServer>();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto store = OpenOrFail(server->url(), {.pool_size = 4, .connect_timeout = 1000ms});
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
  // Fill the pool with connections, which the stop will leave stale.
  RunTogether(4, [&](int) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_THAT(store->FindUserById("u_1"), IsOk());
    }
  });

  server->Stop();
  const auto quickly = [](auto call) {
    const auto started = SteadyClock::now();
    auto result = call();
    EXPECT_LT(SteadyClock::now() - started, 2s);
    return result;
  };
  EXPECT_THAT(quickly([&] { return store->FindUserById("u_1"); }),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->FindUserByKey("alice"); }),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->CreateUser(MakeUser("u_2", "bob")); }),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->SetDisabled("u_1", true, At(1)); }),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->ReplacePasswordHash("u_1", "a", "b", At(1)); }),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->ListUsers("", 10); }), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->CountUsers(); }), HasError(ErrorCode::kUnavailable));
  AuditEvent event;
  event.type = "logout";
  EXPECT_THAT(quickly([&] { return store->Append(event); }), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->Recent("", 10); }), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(quickly([&] { return store->Ping(); }), HasError(ErrorCode::kUnavailable));
  // While the backoff runs, calls fail without trying and say when to come back.
  bool told_when_to_retry = false;
  for (int i = 0; i < 20 && !told_when_to_retry; ++i) {
    auto pinged = store->Ping();
    ASSERT_THAT(pinged, HasError(ErrorCode::kUnavailable));
    told_when_to_retry = pinged.error().retry_after_seconds > 0;
  }
  EXPECT_TRUE(told_when_to_retry);

  server->Start();  // same port, same data
  EXPECT_TRUE(WaitUntil([&] { return store->Ping().has_value(); }, 20s));
  auto found = store->FindUserById("u_1");
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->username_key, "alice");
  EXPECT_FALSE((*found)->is_disabled);  // the call during the outage changed nothing
  EXPECT_THAT(store->CreateUser(MakeUser("u_2", "bob")), IsOk());
  // Every pooled connection works again: no stale one is left to fail a call.
  RunTogether(4, [&](int) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_THAT(store->CountUsers(), IsOk());
    }
  });
  EXPECT_EQ(store->CountUsers().value_or(0), 2u);

  // A restart between calls is invisible: the pooled connections the server closed are noticed
  // when lent and replaced, so no call fails.
  server->Stop();
  server->Start();
  RunTogether(4, [&](int) {
    for (int i = 0; i < 10; ++i) {
      EXPECT_THAT(store->FindUserByKey("bob"), IsOk());
    }
  });
}

TEST(PostgresStore, NodesOpeningOneDatabaseAtOnceAllMigrateItOnce) {
  constexpr int kNodes = 4;
  for (int round = 0; round < 3; ++round) {
    Database database;
    try {
      database = FreshDatabase("migrate_race");
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    std::vector<Result<std::unique_ptr<PostgresStore>>> opened(kNodes);
    RunTogether(kNodes, [&](int i) { opened[i] = PostgresStore::Open(database.url); });
    for (const auto& node : opened) {
      ASSERT_THAT(node, IsOk());
    }
    const std::string version = std::to_string(PostgresSchemaVersion());
    EXPECT_EQ(SharedPostgresServer().Sql(database.name,
                                         "SELECT count(*), max(version) FROM schema_migrations"),
              version + "|" + version + "\n");
    ASSERT_THAT((*opened[0])->CreateUser(MakeUser("u_1", "alice")), IsOk());
    auto seen = (*opened[kNodes - 1])->FindUserByKey("alice");
    ASSERT_THAT(seen, IsOk());
    EXPECT_TRUE(seen->has_value());
  }
}

TEST(PostgresStore, StatementTimeoutEndsAWaitingStatementAndKeepsTheConnection) {
  Database database;
  try {
    database = FreshDatabase("statement_timeout");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto store = OpenOrFail(database.url, {.pool_size = 1, .statement_timeout = 200ms});
  ASSERT_NE(store, nullptr);
  PostgresServer& server = SharedPostgresServer();
  // Another session holds the users table until it is cancelled below.
  std::thread locker([&] {
    try {
      server.Sql(database.name, "BEGIN; LOCK TABLE users; SELECT pg_sleep(60); COMMIT");
    } catch (const std::exception&) {
      // Cancelled, as intended.
    }
  });
  EXPECT_TRUE(WaitUntil(
      [&] {
        return server.Sql(database.name,
                          "SELECT count(*) FROM pg_locks WHERE relation = 'users'::regclass "
                          "AND mode = 'AccessExclusiveLock' AND granted") == "1\n";
      },
      20s));

  const auto started = SteadyClock::now();
  EXPECT_THAT(store->CountUsers(),
              HasErrorMentioning(ErrorCode::kUnavailable, "statement timeout"));
  EXPECT_LT(SteadyClock::now() - started, 2s);

  server.Sql(database.name,
             "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = "
             "current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep%'");
  locker.join();
  EXPECT_EQ(store->CountUsers().value_or(1), 0u);
}

TEST(PostgresStore, RefusesADatabaseMigratedByANewerSesame) {
  Database database;
  try {
    database = FreshDatabase("newer_schema");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  ASSERT_NE(OpenOrFail(database.url), nullptr);
  SharedPostgresServer().Sql(database.name,
                             "INSERT INTO schema_migrations VALUES (99, 1800000000)");
  EXPECT_THAT(PostgresStore::Open(database.url),
              HasErrorMentioning(ErrorCode::kUnavailable, "newer"));
}

TEST(PostgresStore, ConcurrentReplacePasswordHashHasExactlyOneWinner) {
  Database database;
  try {
    database = FreshDatabase("replace_race");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  constexpr int kThreads = 8;
  auto store = OpenOrFail(database.url, {.pool_size = kThreads});
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
  for (int round = 0; round < 10; ++round) {
    const std::string expected = "old-" + std::to_string(round);
    ASSERT_THAT(store->SetPasswordHash("u_1", expected, At(round)), IsOk());
    std::vector<Result<bool>> replaced(kThreads);
    RunTogether(kThreads, [&](int i) {
      replaced[i] = store->ReplacePasswordHash(
          "u_1", expected, "new-" + std::to_string(round) + "-" + std::to_string(i), At(100));
    });
    int winner = -1;
    int winners = 0;
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_THAT(replaced[i], IsOk());
      if (*replaced[i]) {
        winner = i;
        ++winners;
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    EXPECT_EQ(store->FindUserById("u_1").value()->password_hash,
              "new-" + std::to_string(round) + "-" + std::to_string(winner));
  }
}

TEST(PostgresStore, ConcurrentCreatesOfOneUsernameHaveExactlyOneWinner) {
  Database database;
  try {
    database = FreshDatabase("create_race");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  constexpr int kThreads = 8;
  auto store = OpenOrFail(database.url, {.pool_size = kThreads});
  ASSERT_NE(store, nullptr);
  for (int round = 0; round < 5; ++round) {
    const std::string key = "user" + std::to_string(round);
    std::vector<Result<void>> created(kThreads);
    RunTogether(kThreads, [&](int i) {
      created[i] = store->CreateUser(MakeUser("u_" + key + "_" + std::to_string(i), key));
    });
    int winners = 0;
    for (const auto& result : created) {
      if (result) {
        ++winners;
      } else {
        EXPECT_THAT(result, HasError(ErrorCode::kUsernameTaken));
      }
    }
    EXPECT_EQ(winners, 1) << "round " << round;
  }
  EXPECT_EQ(store->CountUsers().value_or(0), 5u);
}

// The NOT EXISTS cannot see a row another node has not committed: the unique constraint on the
// skeleton decides, as the one on username_key does above.
TEST(PostgresStore, ConcurrentCreatesOfLookalikesHaveExactlyOneWinner) {
  Database database;
  try {
    database = FreshDatabase("skeleton_race");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  constexpr int kThreads = 8;
  auto store = OpenOrFail(database.url, {.pool_size = kThreads});
  ASSERT_NE(store, nullptr);
  for (int round = 0; round < 5; ++round) {
    const std::string skeleton = "skeleton" + std::to_string(round);
    std::vector<Result<void>> created(kThreads);
    RunTogether(kThreads, [&](int i) {
      const std::string key = "lookalike" + std::to_string(round) + "_" + std::to_string(i);
      User user = MakeUser("u_" + key, key);
      user.username_skeleton = skeleton;
      created[i] = store->CreateUser(user);
    });
    int winners = 0;
    for (const auto& result : created) {
      if (result) {
        ++winners;
      } else {
        EXPECT_THAT(result, HasError(ErrorCode::kUsernameTaken));
      }
    }
    EXPECT_EQ(winners, 1) << "round " << round;
  }
  EXPECT_EQ(store->CountUsers().value_or(0), 5u);
}

TEST(PostgresStore, ValuesAreBoundNeverParsed) {
  Database database;
  try {
    database = FreshDatabase("awkward_values");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto store = OpenOrFail(database.url);
  ASSERT_NE(store, nullptr);
  for (const char* key : {"a\\b", "a%b", "a_b", "ab", "it's", "{x}"}) {
    ASSERT_THAT(store->CreateUser(MakeUser(std::string("u_") + key, key)), IsOk());
  }
  const auto keys = [&](std::string_view substring) {
    std::vector<std::string> out;
    for (const User& user : store->ListUsers(substring, 100).value_or(std::vector<User>())) {
      out.push_back(user.username_key);
    }
    return out;
  };
  EXPECT_THAT(keys("\\"), ElementsAre("a\\b"));
  EXPECT_THAT(keys("%"), ElementsAre("a%b"));
  EXPECT_THAT(keys("_"), ElementsAre("a_b"));
  EXPECT_THAT(keys("'"), ElementsAre("it's"));
  EXPECT_THAT(keys("a"), ElementsAre("a%b", "a\\b", "a_b", "ab"));  // bytewise order

  // Array literal syntax means nothing inside a role.
  const std::vector<std::string> roles = {"", "NULL", "{a,b}", " padded ", "\"", "\\", "a,b"};
  ASSERT_THAT(store->SetRoles("u_ab", roles, At(1)), IsOk());
  EXPECT_EQ(store->FindUserById("u_ab").value()->roles, roles);

  // PostgreSQL's text cannot hold NUL: refused, never cut short into another key.
  const std::string with_nul("ab\0cd", 5);
  EXPECT_THAT(store->FindUserByKey(with_nul), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->CreateUser(MakeUser("u_nul", with_nul)), HasError(ErrorCode::kUnavailable));
  EXPECT_EQ(store->CountUsers().value_or(0), 6u);
  // The store still works after refusing (the connection was not lost).
  EXPECT_THAT(store->Ping(), IsOk());
}

TEST(PostgresStore, DuplicateIdIsUnavailableWithNoValueInTheDetail) {
  Database database;
  try {
    database = FreshDatabase("duplicate_id");
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto store = OpenOrFail(database.url);
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateUser(MakeUser("u_secretive_id", "alice")), IsOk());
  User again = MakeUser("u_secretive_id", "bob");
  again.password_hash = "hash-that-must-not-leak";
  auto created = store->CreateUser(again);
  ASSERT_THAT(created, HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(created.error().detail, Not(HasSubstr("secretive")));
  EXPECT_THAT(created.error().detail, Not(HasSubstr("hash-that-must-not-leak")));
  EXPECT_THAT(created.error().detail, HasSubstr("CreateUser"));
}

}  // namespace
}  // namespace sesame::store
