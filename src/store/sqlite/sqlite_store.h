#pragma once

// SqliteStore: every store interface (users, sessions and the change feed, rate counters, audit
// log) in one SQLite file, for one node. The server and the CLI may open the same file at once:
// WAL mode lets readers go on while one writer commits, each write is one transaction
// (BEGIN IMMEDIATE) and synchronous=FULL makes it durable before the call returns. The schema is
// migrated on Open. Failures of SQLite (busy past the timeout, locked, disk full, I/O error,
// corrupt or foreign file, read-only) are kUnavailable with a detail naming the operation, and
// leave nothing half-written. Thread-safe: a pool of connections, one lent to each call.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/audit_log.h"
#include "store/rate_store.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace sesame::store {

class SqliteConnection;

struct SqliteOptions {
  // How long a call waits for another connection's (or process's) write lock before it gives
  // up with kUnavailable.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds(5);
  // Connections in the pool: calls beyond this many at once wait for a free one.
  size_t pool_size = 4;
};

class SqliteStore final : public UserStore, public SessionStore, public RateStore, public AuditLog {
 public:
  // Opens `db_file`, creating its missing parent directories (mode 0700) and the file itself
  // (mode 0600), and migrates the schema. kUnavailable if the file cannot be opened, is not a
  // SQLite database, is corrupt, or was written by a newer sesame.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> Open(
      const std::filesystem::path& db_file, SqliteOptions options = {});

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  // Every call must have returned.
  ~SqliteStore() override;

  // UserStore.
  [[nodiscard]] Result<void> CreateUser(const User& user) override;
  [[nodiscard]] Result<std::optional<User>> FindUserById(std::string_view user_id) override;
  [[nodiscard]] Result<std::optional<User>> FindUserByKey(std::string_view username_key) override;
  [[nodiscard]] Result<std::optional<User>> FindUserBySkeleton(
      std::string_view username_skeleton) override;
  [[nodiscard]] Result<std::vector<User>> ListUsers(std::string_view key_substring,
                                                    size_t limit) override;
  [[nodiscard]] Result<size_t> CountUsers() override;
  [[nodiscard]] Result<std::vector<User>> ListUsersWithoutSkeleton(
      const std::optional<UserPosition>& after, size_t limit) override;
  [[nodiscard]] Result<bool> SetUsernameSkeleton(std::string_view user_id,
                                                 std::string_view username_skeleton) override;
  [[nodiscard]] Result<void> SetPasswordHash(std::string_view user_id,
                                             const std::string& password_hash,
                                             TimePoint now) override;
  [[nodiscard]] Result<bool> ReplacePasswordHash(std::string_view user_id,
                                                 const std::string& expected,
                                                 const std::string& password_hash,
                                                 TimePoint now) override;
  [[nodiscard]] Result<void> SetDisabled(std::string_view user_id, bool is_disabled,
                                         TimePoint now) override;
  [[nodiscard]] Result<void> SetRoles(std::string_view user_id,
                                      const std::vector<std::string>& roles,
                                      TimePoint now) override;

  // SessionStore.
  [[nodiscard]] Result<CreateSessionOutcome> CreateSession(const Session& session,
                                                           DeviceLimit limit,
                                                           TimePoint now) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionById(
      std::string_view session_id) override;
  [[nodiscard]] Result<std::optional<Session>> FindSessionBySecretHash(
      std::string_view secret_hash) override;
  [[nodiscard]] Result<std::vector<Session>> ListLiveSessions(std::string_view user_id,
                                                              TimePoint now) override;
  [[nodiscard]] Result<std::vector<Session>> ListAllLiveSessions(TimePoint now,
                                                                 size_t limit) override;
  [[nodiscard]] Result<size_t> CountLiveSessions(TimePoint now) override;
  [[nodiscard]] Result<void> TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                          TimePoint idle_expires_at) override;
  [[nodiscard]] Result<bool> RotateRefresh(std::string_view session_id,
                                           const RefreshRotation& rotation) override;
  [[nodiscard]] Result<std::vector<RevokedSession>> ListRevokedJwtSessions(
      TimePoint since) override;
  [[nodiscard]] Result<bool> RevokeSession(std::string_view session_id, std::string_view reason,
                                           TimePoint now) override;
  [[nodiscard]] Result<std::vector<std::string>> RevokeUserSessions(std::string_view user_id,
                                                                    std::string_view reason,
                                                                    TimePoint now) override;
  [[nodiscard]] Result<void> RecordUserChanged(std::string_view user_id, TimePoint now) override;
  [[nodiscard]] Result<std::vector<Change>> ChangesSince(int64_t after_seq, size_t limit) override;
  [[nodiscard]] Result<int64_t> LatestChangeSeq() override;
  [[nodiscard]] Result<size_t> PurgeSessions(TimePoint before) override;

  // RateStore.
  [[nodiscard]] Result<RateCounter> GetCounter(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<RateCounter> Hit(std::string_view key, Seconds window,
                                        TimePoint now) override;
  [[nodiscard]] Result<void> ClearCounter(std::string_view key) override;
  [[nodiscard]] Result<SlotAnswer> TakeSlot(std::string_view key, const SlotRule& rule,
                                            TimePoint now) override;
  [[nodiscard]] Result<void> MarkSlot(std::string_view key, TimePoint now) override;
  [[nodiscard]] Result<void> ReturnSlot(std::string_view key) override;
  [[nodiscard]] Result<void> PurgeCounters(TimePoint now) override;

  // AuditLog.
  [[nodiscard]] Result<void> Append(const AuditEvent& event) override;
  [[nodiscard]] Result<std::vector<AuditEvent>> Recent(std::string_view user_id,
                                                       size_t limit) override;
  [[nodiscard]] Result<size_t> PurgeAudit(TimePoint before, size_t batch) override;

 private:
  class Lease;  // a borrowed connection, given back when destroyed

  explicit SqliteStore(std::vector<std::unique_ptr<SqliteConnection>> connections);
  // Waits for an idle connection.
  Lease Borrow();
  // The same, holding write_mu_ until the lease ends: this process's writers queue here instead
  // of meeting SQLite's write lock and its busy handler, which sleeps (1 ms, 2 ms, 5 ms, ...)
  // and turned concurrent refreshes into 100 ms+ tails. Only store workers write: no request
  // thread ever waits on this. Other processes (the command line) still meet the busy handler.
  Lease BorrowForWrite();
  SqliteConnection* TakeIdle();
  void GiveBack(SqliteConnection* connection);

  const std::vector<std::unique_ptr<SqliteConnection>> connections_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::vector<SqliteConnection*> idle_;  // guarded by mu_
  std::mutex write_mu_;                  // one writer of this process at a time
};

}  // namespace sesame::store
