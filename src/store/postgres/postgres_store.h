#pragma once

// PostgresStore: users and the audit log in PostgreSQL, shared by every node of a deployment
// (sessions and rate counters live elsewhere: store/redis/). The schema is migrated on Open, safely
// when several nodes start at once. Every call is one statement (atomic: nothing half-written)
// with bound parameters, prepared once per connection. Failures of PostgreSQL (down, unreachable,
// timed out, refused, constraint broken other than by a taken username) are kUnavailable with a
// detail naming the operation, never a value, a password or the full URL; text values must be
// valid UTF-8 without NUL bytes (PostgreSQL's text), which the domain guarantees, or the call is
// kUnavailable.
//
// Connections: a pool of at most pool_size, made on demand. A connection that fails at the
// connection level is dropped and a new one made on the next call, so service resumes by itself
// when the server comes back. While the server cannot be reached, calls fail fast: after a failed
// connect no new attempt is made for 200 ms, doubling up to 2 s, reset by a success.
// Thread-safe: each call borrows a connection and gives it back.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "store/audit_log.h"
#include "store/user_store.h"

namespace sesame::store {

class PostgresConnection;
struct PostgresTarget;

struct PostgresOptions {
  // Connections in the pool: calls beyond this many at once wait for a free one.
  size_t pool_size = 4;
  // How long making a connection may take (TCP, TLS, authentication). At least 1 ms.
  std::chrono::milliseconds connect_timeout{2000};
  // The server cancels a statement that runs longer (0: never). A call also gives up on a
  // server that does not answer within statement_timeout + connect_timeout.
  std::chrono::milliseconds statement_timeout{5000};
};

class PostgresStore final : public UserStore, public AuditLog {
 public:
  // Connects to `url`, a libpq URI (postgresql://user:password@host:port/dbname?sslmode=...)
  // or key=value string passed to libpq as is, and migrates the schema. kInvalidConfig if the URL
  // cannot be parsed or an option is out of range; kUnavailable if the server cannot be reached
  // or refuses us, or if the database was migrated by a newer sesame.
  [[nodiscard]] static Result<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                                   PostgresOptions options = {});

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;
  // Every call must have returned.
  ~PostgresStore() override;

  // One round trip (SELECT 1), for readiness checks. kUnavailable if the server does not answer.
  [[nodiscard]] Result<void> Ping();

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

  // AuditLog.
  [[nodiscard]] Result<void> Append(const AuditEvent& event) override;
  [[nodiscard]] Result<std::vector<AuditEvent>> Recent(std::string_view user_id,
                                                       size_t limit) override;
  [[nodiscard]] Result<size_t> PurgeAudit(TimePoint before, size_t batch) override;

 private:
  class Lease;  // a borrowed connection, given back (or dropped, if broken) when destroyed
  using SteadyClock = std::chrono::steady_clock;

  PostgresStore(std::unique_ptr<const PostgresTarget> target, PostgresOptions options,
                std::unique_ptr<PostgresConnection> first_connection);

  // An idle connection that still works, or a new one if the pool has room; kUnavailable if the
  // server cannot be reached, during the reconnect backoff, or if every connection stays busy
  // longer than connect_timeout + statement_timeout.
  Result<Lease> Borrow(std::string_view operation);
  // Connects for a slot Borrow reserved; on failure frees the slot and extends the backoff.
  // `is_probe`: this is the one attempt allowed while the database is down.
  Result<std::unique_ptr<PostgresConnection>> MakeConnection(bool is_probe);
  // Keeps a reusable connection for the next call; drops any other.
  void GiveBack(std::unique_ptr<PostgresConnection> connection);
  // Closes a connection and frees its slot.
  void Drop(std::unique_ptr<PostgresConnection> connection);

  const std::unique_ptr<const PostgresTarget> target_;  // holds the password: never logged
  const PostgresOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;  // a connection was given back or a slot freed
  std::vector<std::unique_ptr<PostgresConnection>> idle_;  // guarded by mu_
  size_t open_ = 0;  // idle, lent and being made; guarded by mu_
  // Reconnect backoff, all guarded by mu_. While is_down_, one call at a time probes the server
  // (is_probing_) and only from retry_at_ on; the others fail at once with last_connect_error_.
  bool is_down_ = false;
  bool is_probing_ = false;
  std::chrono::milliseconds backoff_{0};
  SteadyClock::time_point retry_at_;
  std::string last_connect_error_;
};

}  // namespace sesame::store
