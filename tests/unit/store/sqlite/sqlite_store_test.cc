#include "store/sqlite/sqlite_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "result_matchers.h"
#include "store/sqlite/sqlite_handles.h"
#include "store/sqlite/sqlite_schema.h"
#include "temp_dir.h"

namespace sesame::store {
namespace {

namespace fs = std::filesystem;
using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;

TimePoint At(int64_t offset_seconds) {
  return FromUnixSeconds(1'800'000'000 + offset_seconds);
}

AuditEvent MakeEvent(TimePoint at, const std::string& type, const std::string& user_id = "") {
  AuditEvent event;
  event.at = at;
  event.type = type;
  event.user_id = user_id;
  return event;
}

User MakeUser(const std::string& id, const std::string& username_key) {
  User user;
  user.id = id;
  user.username = username_key;
  user.username_key = username_key;
  user.password_hash = "hash-of-" + username_key;
  user.roles = {"user"};
  user.created_at = At(0);
  user.updated_at = At(0);
  return user;
}

Session MakeSession(const std::string& id, const std::string& user_id, int64_t created) {
  Session session;
  session.id = id;
  session.user_id = user_id;
  session.secret_hash = "hash-" + id;
  session.created_at = At(created);
  session.last_seen_at = At(created);
  session.idle_expires_at = At(created + 3600);
  session.absolute_expires_at = At(created + 86400);
  return session;
}

mode_t ModeOf(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return 0;
  }
  return st.st_mode & 0777;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  // A short busy timeout, so that tests of a held lock do not wait five seconds.
  static SqliteOptions ShortTimeout() {
    return SqliteOptions{.busy_timeout = std::chrono::milliseconds(100), .pool_size = 2};
  }

  std::unique_ptr<SqliteStore> OpenStore(SqliteOptions options = {}) {
    auto store = SqliteStore::Open(db_file_, options);
    EXPECT_THAT(store, IsOk());
    return store ? std::move(*store) : nullptr;
  }

  // A plain connection, as another process (or the sqlite3 shell) would hold.
  SqliteDbPtr OpenRaw() {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(db_file_.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    SqliteDbPtr db(raw);
    EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errstr(rc);
    return db;
  }

  static void RawExec(sqlite3* db, const std::string& sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (message != nullptr ? message : "");
    sqlite3_free(message);
  }

  static int64_t RawUserVersion(sqlite3* db) {
    sqlite3_stmt* raw = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr), SQLITE_OK);
    SqliteStmtPtr stmt(raw);
    EXPECT_EQ(sqlite3_step(stmt.get()), SQLITE_ROW);
    return sqlite3_column_int64(stmt.get(), 0);
  }

  void WriteBytes(std::streamoff offset, const std::string& bytes) {
    std::fstream file(db_file_, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(file) << "cannot open " << db_file_;
    file.seekp(offset);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(file);
  }

  testing::TempDir temp_{"sesame-sqlite"};
  const fs::path dir_ = fs::path(temp_.path()) / "data";
  const fs::path db_file_ = dir_ / "sesame.db";
};

TEST_F(SqliteStoreTest, CreatesTheDirectoryAndFileForTheOwnerOnly) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(db_file_), 0600u);
  // The WAL holds recent writes until a checkpoint: it must be just as private.
  ASSERT_TRUE(fs::exists(db_file_.string() + "-wal"));
  EXPECT_EQ(ModeOf(db_file_.string() + "-wal"), 0600u);
}

TEST_F(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
    ASSERT_THAT(store->SetRoles("u_1", {"admin"}, At(1)), IsOk());
    ASSERT_THAT(store->CreateSession(MakeSession("s_1", "u_1", 0), DeviceLimit{}, At(0)), IsOk());
    ASSERT_THAT(store->CreateSession(MakeSession("s_2", "u_1", 1), DeviceLimit{}, At(1)), IsOk());
    ASSERT_THAT(store->RevokeSession("s_1", "logout", At(2)), IsOk());
    ASSERT_THAT(store->Hit("login:alice", Seconds(60), At(2)), IsOk());
    ASSERT_THAT(store->Append(MakeEvent(At(2), "logout", "u_1")), IsOk());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const auto user = store->FindUserByKey("alice");
  ASSERT_THAT(user, IsOk());
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ((*user)->roles, std::vector<std::string>{"admin"});
  EXPECT_EQ(store->FindSessionById("s_1").value()->revoke_reason, "logout");
  EXPECT_EQ(store->ListLiveSessions("u_1", At(3)).value().size(), 1u);
  EXPECT_EQ(store->LatestChangeSeq().value(), 1);
  EXPECT_EQ(store->GetCounter("login:alice", At(3)).value().count, 1);
  EXPECT_EQ(store->Recent("u_1", 10).value().size(), 1u);
}

// The server and the CLI each open the file: each sees the other's committed writes at once.
TEST_F(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  auto server = OpenStore();
  auto cli = OpenStore();
  ASSERT_NE(server, nullptr);
  ASSERT_NE(cli, nullptr);

  ASSERT_THAT(cli->CreateUser(MakeUser("u_1", "alice")), IsOk());
  EXPECT_EQ(server->FindUserByKey("alice").value()->id, "u_1");

  ASSERT_THAT(server->CreateSession(MakeSession("s_1", "u_1", 0), DeviceLimit{}, At(0)), IsOk());
  auto revoked = cli->RevokeUserSessions("u_1", "admin", At(5));
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(*revoked, std::vector<std::string>{"s_1"});
  auto changes = server->ChangesSince(0, 10);
  ASSERT_THAT(changes, IsOk());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].kind, Change::Kind::kUserSessionsRevoked);
  EXPECT_TRUE(server->FindSessionById("s_1").value()->IsRevoked());

  ASSERT_THAT(server->Hit("k", Seconds(60), At(0)), IsOk());
  EXPECT_EQ(cli->Hit("k", Seconds(60), At(1)).value().count, 2);
}

TEST_F(SqliteStoreTest, HitIsAtomicAcrossStoresOnOneFile) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (SqliteStore* store : {a.get(), b.get(), a.get(), b.get()}) {
    threads.emplace_back([store, &failures] {
      for (int i = 0; i < 50; ++i) {
        if (!store->Hit("k", Seconds(3600), At(0))) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(a->GetCounter("k", At(1)).value().count, 200);
}

TEST_F(SqliteStoreTest, ConcurrentOpensOfANewFileMigrateItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([this, &failures] {
      if (auto opened = SqliteStore::Open(db_file_, SqliteOptions{.pool_size = 1}); !opened) {
        ADD_FAILURE() << opened.error().detail;
        ++failures;
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  auto raw = OpenRaw();
  EXPECT_EQ(RawUserVersion(raw.get()), SqliteSchemaVersion());
}

TEST_F(SqliteStoreTest, RefusesAFileFromANewerSchemaAndLeavesItAlone) {
  ASSERT_NE(OpenStore(), nullptr);
  {
    auto raw = OpenRaw();
    RawExec(raw.get(), "PRAGMA user_version = 999");
  }
  EXPECT_THAT(SqliteStore::Open(db_file_, SqliteOptions{}),
              HasErrorMentioning(ErrorCode::kUnavailable, "newer"));
  auto raw = OpenRaw();
  EXPECT_EQ(RawUserVersion(raw.get()), 999);
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  fs::create_directories(dir_);
  std::string garbage;
  for (int i = 0; i < 8192; ++i) {
    garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  }
  std::ofstream(db_file_, std::ios::binary) << garbage;
  EXPECT_THAT(SqliteStore::Open(db_file_, ShortTimeout()), HasError(ErrorCode::kUnavailable));
}

TEST_F(SqliteStoreTest, CorruptPagesGiveUnavailableNeverACrash) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 300; ++i) {
      const std::string n = std::to_string(i);
      ASSERT_THAT(store->CreateUser(MakeUser("u_" + n, "user" + n)), IsOk());
    }
  }  // the last connection closed: the WAL is checkpointed into the file and removed
  const auto size = static_cast<std::streamoff>(fs::file_size(db_file_));
  ASSERT_GT(size, 8192);
  // Keep page 1 (header and schema), overwrite every table and index page.
  std::string garbage(static_cast<size_t>(size - 4096), '\x5a');
  WriteBytes(4096, garbage);

  auto store = SqliteStore::Open(db_file_, ShortTimeout());
  if (!store) {
    EXPECT_THAT(store, HasError(ErrorCode::kUnavailable));
    return;
  }
  EXPECT_THAT((*store)->ListUsers("", 1000), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT((*store)->FindUserByKey("user7"), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT((*store)->CreateUser(MakeUser("u_new", "new")), HasError(ErrorCode::kUnavailable));
}

TEST_F(SqliteStoreTest, APathThatCannotBeCreatedIsUnavailable) {
  std::ofstream(fs::path(temp_.path()) / "file") << "not a directory";
  EXPECT_THAT(SqliteStore::Open(fs::path(temp_.path()) / "file" / "sesame.db", SqliteOptions{}),
              HasError(ErrorCode::kUnavailable));
}

TEST_F(SqliteStoreTest, ReadOnlyFileAndDirectoryAreUnavailableAndKeepTheData) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
  }
  ASSERT_EQ(::chmod(db_file_.c_str(), 0400), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  if (::access(db_file_.c_str(), W_OK) == 0) {
    ::chmod(dir_.c_str(), 0700);
    GTEST_SKIP() << "file permissions are not enforced for this user (root?)";
  }
  auto store = SqliteStore::Open(db_file_, ShortTimeout());
  if (store) {
    EXPECT_THAT((*store)->CreateUser(MakeUser("u_2", "bob")), HasError(ErrorCode::kUnavailable));
    EXPECT_THAT((*store)->Hit("k", Seconds(60), At(0)), HasError(ErrorCode::kUnavailable));
    store->reset();
  } else {
    EXPECT_THAT(store, HasError(ErrorCode::kUnavailable));
  }
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(db_file_.c_str(), 0600), 0);
  auto reopened = OpenStore();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->CountUsers().value(), 1u);
  EXPECT_EQ(reopened->GetCounter("k", At(1)).value().count, 0);
}

// Another process holds the write lock longer than the busy timeout: every write fails with
// kUnavailable, leaves nothing behind, and never names the data; reads go on (WAL).
TEST_F(SqliteStoreTest, AHeldLockMakesWritesUnavailableAndWritesNothing) {
  auto store = OpenStore(ShortTimeout());
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->CreateUser(MakeUser("u_1", "alice")), IsOk());
  ASSERT_THAT(store->CreateSession(MakeSession("s_1", "u_1", 0), DeviceLimit{}, At(0)), IsOk());
  auto raw = OpenRaw();
  RawExec(raw.get(), "BEGIN EXCLUSIVE");

  auto created = store->CreateUser(MakeUser("u_2", "bob-the-secret-name"));
  EXPECT_THAT(created, HasError(ErrorCode::kUnavailable));
  if (!created) {
    EXPECT_EQ(created.error().detail.find("bob-the-secret-name"), std::string::npos);
    EXPECT_NE(created.error().detail.find("CreateUser"), std::string::npos);
  }
  EXPECT_THAT(store->CreateSession(MakeSession("s_2", "u_1", 10),
                                   DeviceLimit{1, OnLimit::kEvictOldest}, At(10)),
              HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->RevokeSession("s_1", "logout", At(10)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->RevokeUserSessions("u_1", "admin", At(10)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->SetDisabled("u_1", true, At(10)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->Hit("k", Seconds(60), At(10)), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->Append(MakeEvent(At(10), "logout")), HasError(ErrorCode::kUnavailable));
  EXPECT_THAT(store->PurgeSessions(At(1'000'000)), HasError(ErrorCode::kUnavailable));
  // Readers are not blocked by a writer in WAL mode.
  EXPECT_THAT(store->FindUserByKey("alice"), IsOk());

  RawExec(raw.get(), "ROLLBACK");
  EXPECT_EQ(store->CountUsers().value(), 1u);
  EXPECT_FALSE(store->FindUserById("u_1").value()->is_disabled);
  EXPECT_EQ(store->FindSessionById("s_2").value(), std::nullopt);
  EXPECT_FALSE(store->FindSessionById("s_1").value()->IsRevoked());
  EXPECT_EQ(store->LatestChangeSeq().value(), 0);
  EXPECT_EQ(store->GetCounter("k", At(11)).value().count, 0);
  EXPECT_TRUE(store->Recent("", 10).value().empty());
  // And once the lock is gone, writes go through again on the same connections.
  EXPECT_THAT(store->CreateUser(MakeUser("u_2", "bob")), IsOk());
  EXPECT_THAT(store->RevokeSession("s_1", "logout", At(12)), IsOk());
}

TEST_F(SqliteStoreTest, OpeningWhileAnotherProcessHoldsTheLockIsUnavailable) {
  fs::create_directories(dir_);
  auto raw = OpenRaw();
  RawExec(raw.get(), "BEGIN EXCLUSIVE; CREATE TABLE held (x INTEGER);");
  EXPECT_THAT(SqliteStore::Open(db_file_, ShortTimeout()), HasError(ErrorCode::kUnavailable));
  RawExec(raw.get(), "ROLLBACK");
  raw.reset();
  EXPECT_NE(OpenStore(), nullptr);
}

}  // namespace
}  // namespace sesame::store
