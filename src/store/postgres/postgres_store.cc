#include "store/postgres/postgres_store.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <utility>

#include "store/postgres/postgres_connection.h"
#include "store/postgres/postgres_schema.h"

namespace sesame::store {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{200};
constexpr std::chrono::milliseconds kMaxBackoff{2000};

// PostgreSQL's unique_violation, and the constraints on username_key and username_skeleton
// (postgres_schema.cc).
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kUsernameKeyConstraint = "users_username_key_unique";
constexpr std::string_view kUsernameSkeletonConstraint = "users_username_skeleton_unique";

constexpr PostgresStatement kPing{"ping", "SELECT 1"};

// Users. Every SELECT lists the columns in the order ReadUser reads them (kUserColumnTypes).
// An empty skeleton is stored as NULL, which the unique constraint lets any number of rows
// have. The NOT EXISTS makes a taken username (or skeleton) win over a taken id, as in the
// SQLite store, which checks them first; the unique constraints still have the last word when
// two nodes insert the same username at once.
constexpr PostgresStatement kInsertUser{
    "insert_user",
    "INSERT INTO users (id, username, username_key, password_hash, roles, disabled, created_at, "
    "updated_at, username_skeleton) SELECT $1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, '') "
    "WHERE NOT EXISTS (SELECT 1 FROM users "
    "WHERE username_key = $3 OR username_skeleton = NULLIF($9, ''))"};
constexpr PostgresStatement kSelectUserById{
    "select_user_by_id",
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE id = $1"};
constexpr PostgresStatement kSelectUserByKey{
    "select_user_by_key",
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_key = $1"};
constexpr PostgresStatement kSelectUserBySkeleton{
    "select_user_by_skeleton",
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_skeleton = $1"};
// strpos rather than LIKE: no wildcards to escape and no case folding. username_key is
// COLLATE "C", so the order is bytewise.
constexpr PostgresStatement kListUsers{
    "list_users",
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE strpos(username_key, $1) > 0 ORDER BY username_key "
    "LIMIT $2"};
constexpr PostgresStatement kCountUsers{"count_users", "SELECT count(*) FROM users"};
// $3 = 0: from the start. id is COLLATE "C": the same order as the other stores.
constexpr PostgresStatement kListUsersWithoutSkeleton{
    "list_users_without_skeleton",
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_skeleton IS NULL "
    "AND ($3 = 0 OR (created_at, id) > ($1, $2)) ORDER BY created_at, id LIMIT $4"};
// One statement, as kReplacePasswordHash: the second EXISTS tells "no such user" from "has one".
constexpr PostgresStatement kSetUsernameSkeleton{
    "set_username_skeleton",
    "WITH filled AS (UPDATE users SET username_skeleton = $2 "
    "WHERE id = $1 AND username_skeleton IS NULL RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM filled), EXISTS (SELECT 1 FROM users WHERE id = $1)"};
constexpr PostgresStatement kSetPasswordHash{
    "set_password_hash", "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"};
// One statement, so one atomic step: the WHERE clause is the compare of the compare-and-set. A
// concurrent writer's row lock makes this UPDATE wait and then re-check the WHERE clause against
// the committed row. The second EXISTS reads the statement's snapshot, which the UPDATE does not
// change: it tells "no such user" from "changed meanwhile".
constexpr PostgresStatement kReplacePasswordHash{
    "replace_password_hash",
    "WITH replaced AS (UPDATE users SET password_hash = $3, updated_at = $4 "
    "WHERE id = $1 AND password_hash = $2 RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM replaced), EXISTS (SELECT 1 FROM users WHERE id = $1)"};
constexpr PostgresStatement kSetDisabled{
    "set_disabled", "UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1"};
constexpr PostgresStatement kSetRoles{"set_roles",
                                      "UPDATE users SET roles = $2, updated_at = $3 WHERE id = $1"};

// Audit log.
constexpr PostgresStatement kInsertAuditEvent{
    "insert_audit_event",
    "INSERT INTO audit_events (at, type, user_id, actor_id, session_id, ip, detail) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"};
// Only the `batch` oldest rows are looked at (by the primary key): bounded work per call.
constexpr PostgresStatement kPurgeAuditEvents{
    "purge_audit_events",
    "DELETE FROM audit_events WHERE id IN "
    "(SELECT id FROM audit_events ORDER BY id LIMIT $2) AND at < $1"};
constexpr PostgresStatement kRecentAuditEvents{
    "recent_audit_events",
    "SELECT id, at, type, user_id, actor_id, session_id, ip, detail FROM audit_events "
    "ORDER BY id DESC LIMIT $1"};
constexpr PostgresStatement kRecentAuditEventsOfUser{
    "recent_audit_events_of_user",
    "SELECT id, at, type, user_id, actor_id, session_id, ip, detail FROM audit_events "
    "WHERE user_id = $1 ORDER BY id DESC LIMIT $2"};

constexpr std::array<Oid, 9> kUserColumnTypes = {kPgTextOid, kPgTextOid,      kPgTextOid,
                                                 kPgTextOid, kPgTextArrayOid, kPgBoolOid,
                                                 kPgInt8Oid, kPgInt8Oid,      kPgTextOid};
constexpr std::array<Oid, 8> kAuditEventColumnTypes = {
    kPgInt8Oid, kPgInt8Oid, kPgTextOid, kPgTextOid, kPgTextOid, kPgTextOid, kPgTextOid, kPgTextOid};
constexpr std::array<Oid, 1> kInt8Column = {kPgInt8Oid};
constexpr std::array<Oid, 2> kTwoBoolColumns = {kPgBoolOid, kPgBoolOid};

int64_t LimitParameter(size_t limit) {
  return static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

tl::unexpected<Error> CorruptRow(std::string_view operation, std::string_view what) {
  std::string detail = "postgres ";
  detail.append(operation);
  detail.append(": unreadable ");
  detail.append(what);
  detail.append(" in a stored row");
  return MakeError(ErrorCode::kUnavailable, std::move(detail));
}

tl::unexpected<Error> NoSuchUser(std::string_view operation) {
  return MakeError(ErrorCode::kNotFound, std::string(operation) + ": no such user");
}

// Columns as in kSelectUserById.
Result<User> ReadUser(const PostgresRows& rows, int row, std::string_view operation) {
  User user;
  user.id = rows.Text(row, 0);
  user.username = rows.Text(row, 1);
  user.username_key = rows.Text(row, 2);
  user.password_hash = rows.Text(row, 3);
  auto roles = rows.TextArray(row, 4);
  if (!roles) {
    return CorruptRow(operation, "roles");
  }
  user.roles = std::move(*roles);
  user.is_disabled = rows.Bool(row, 5);
  user.created_at = rows.Time(row, 6);
  user.updated_at = rows.Time(row, 7);
  user.username_skeleton = rows.Text(row, 8);  // NULL as empty
  return user;
}

Result<std::vector<User>> ReadUsers(const PostgresRows& rows, std::string_view operation) {
  if (!rows.HasColumnTypes(kUserColumnTypes)) {
    return CorruptRow(operation, "user columns");
  }
  std::vector<User> users;
  users.reserve(static_cast<size_t>(rows.size()));
  for (int row = 0; row < rows.size(); ++row) {
    auto user = ReadUser(rows, row, operation);
    if (!user) {
      return tl::unexpected(user.error());
    }
    users.push_back(std::move(*user));
  }
  return users;
}

// Columns as in kRecentAuditEvents.
Result<std::vector<AuditEvent>> ReadAuditEvents(const PostgresRows& rows,
                                                std::string_view operation) {
  if (!rows.HasColumnTypes(kAuditEventColumnTypes)) {
    return CorruptRow(operation, "audit event columns");
  }
  std::vector<AuditEvent> events;
  events.reserve(static_cast<size_t>(rows.size()));
  for (int row = 0; row < rows.size(); ++row) {
    events.push_back(AuditEvent{.id = rows.Int(row, 0),
                                .at = rows.Time(row, 1),
                                .type = rows.Text(row, 2),
                                .user_id = rows.Text(row, 3),
                                .actor_id = rows.Text(row, 4),
                                .session_id = rows.Text(row, 5),
                                .ip = rows.Text(row, 6),
                                .detail = rows.Text(row, 7)});
  }
  return events;
}

bool IsSkeletonConflict(const PostgresFailure& failure) {
  return failure.sqlstate == kUniqueViolation && failure.constraint == kUsernameSkeletonConstraint;
}

tl::unexpected<Error> SkeletonTaken(std::string_view operation) {
  return MakeError(
      ErrorCode::kUsernameTaken,
      std::string(operation) + ": username confusable with a taken one (same skeleton)");
}

// Runs a SELECT of users with one text parameter that matches at most one row.
Result<std::optional<User>> FindOneUser(PostgresConnection& connection,
                                        const PostgresStatement& statement, std::string_view key,
                                        std::string_view operation) {
  auto rows = connection.Execute(statement, PostgresParams().Text(key), operation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  auto users = ReadUsers(*rows, operation);
  if (!users) {
    return tl::unexpected(users.error());
  }
  if (users->empty()) {
    return std::nullopt;
  }
  return std::optional<User>(std::move(users->front()));
}

// Runs an UPDATE of one user ($1 = id); kNotFound if no row matched.
Result<void> UpdateUser(PostgresConnection& connection, const PostgresStatement& statement,
                        const PostgresParams& params, std::string_view operation) {
  auto updated = connection.Execute(statement, params, operation);
  if (!updated) {
    return tl::unexpected(updated.error());
  }
  if (updated->affected_rows() == 0) {
    return NoSuchUser(operation);
  }
  return {};
}

}  // namespace

class PostgresStore::Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<PostgresConnection> connection)
      : store_(store), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (connection_) {
      store_->GiveBack(std::move(connection_));
    }
  }

  PostgresConnection& operator*() const { return *connection_; }
  PostgresConnection* operator->() const { return connection_.get(); }

 private:
  PostgresStore* store_;
  std::unique_ptr<PostgresConnection> connection_;  // null once moved from
};

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                           PostgresOptions options) {
  if (options.pool_size == 0) {
    return MakeError(ErrorCode::kInvalidConfig, "postgres pool size must be at least 1");
  }
  if (options.connect_timeout.count() <= 0) {
    return MakeError(ErrorCode::kInvalidConfig, "postgres connect timeout must be positive");
  }
  // statement_timeout is an int of milliseconds on the server.
  if (options.statement_timeout.count() < 0 ||
      options.statement_timeout.count() > std::numeric_limits<int32_t>::max()) {
    return MakeError(ErrorCode::kInvalidConfig,
                     "postgres statement timeout must be between 0 and 2^31-1 ms");
  }
  auto target = ParsePostgresTarget(url);
  if (!target) {
    return tl::unexpected(target.error());
  }
  auto connection =
      PostgresConnection::Connect(*target, options.connect_timeout, options.statement_timeout);
  if (!connection) {
    return tl::unexpected(connection.error());
  }
  if (auto migrated = MigratePostgresSchema(**connection); !migrated) {
    return tl::unexpected(migrated.error());
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(
      std::make_unique<const PostgresTarget>(std::move(*target)), options, std::move(*connection)));
}

PostgresStore::PostgresStore(std::unique_ptr<const PostgresTarget> target, PostgresOptions options,
                             std::unique_ptr<PostgresConnection> first_connection)
    : target_(std::move(target)), options_(options) {
  idle_.push_back(std::move(first_connection));
  open_ = 1;
}

PostgresStore::~PostgresStore() = default;

Result<PostgresStore::Lease> PostgresStore::Borrow(std::string_view operation) {
  const auto wait_deadline =
      SteadyClock::now() + options_.connect_timeout + options_.statement_timeout;
  for (;;) {
    std::unique_ptr<PostgresConnection> connection;
    bool is_probe = false;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (!idle_.empty()) {
          connection = std::move(idle_.back());
          idle_.pop_back();
          break;
        }
        if (open_ < options_.pool_size) {
          const auto now = SteadyClock::now();
          if (is_down_ && (is_probing_ || now < retry_at_)) {
            // Fail fast: a down database is not hammered, and callers do not queue behind it.
            const auto wait =
                std::max(std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now),
                         std::chrono::milliseconds(0));
            Error error{ErrorCode::kUnavailable, "postgres " + std::string(operation) +
                                                     ": database unreachable, next attempt in " +
                                                     std::to_string(wait.count()) +
                                                     " ms; last: " + last_connect_error_};
            error.retry_after_seconds =
                std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
            return tl::unexpected(std::move(error));
          }
          ++open_;
          is_probe = is_down_;
          is_probing_ = is_probing_ || is_probe;
          break;
        }
        if (cv_.wait_until(lock, wait_deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.pool_size) {
          return MakeError(ErrorCode::kUnavailable,
                           "postgres " + std::string(operation) + ": all " +
                               std::to_string(options_.pool_size) + " connections stayed busy");
        }
      }
    }
    if (!connection) {
      auto made = MakeConnection(is_probe);
      if (!made) {
        return tl::unexpected(made.error());
      }
      return Lease(this, std::move(*made));
    }
    if (connection->IsUsableWhenIdle()) {
      return Lease(this, std::move(connection));
    }
    // The server closed it while idle (a restart, a shutdown): drop it and look again, so a
    // restarted server is not met with one failed call per pooled connection.
    Drop(std::move(connection));
  }
}

Result<std::unique_ptr<PostgresConnection>> PostgresStore::MakeConnection(bool is_probe) {
  auto connection =
      PostgresConnection::Connect(*target_, options_.connect_timeout, options_.statement_timeout);
  {
    std::lock_guard lock(mu_);
    if (is_probe) {
      is_probing_ = false;
    }
    if (connection) {
      is_down_ = false;
      backoff_ = std::chrono::milliseconds(0);
      last_connect_error_.clear();
      return connection;
    }
    --open_;
    is_down_ = true;
    backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, kMaxBackoff);
    retry_at_ = SteadyClock::now() + backoff_;
    last_connect_error_ = connection.error().detail;
  }
  cv_.notify_one();
  return connection;
}

void PostgresStore::GiveBack(std::unique_ptr<PostgresConnection> connection) {
  if (!connection->IsReusable()) {
    Drop(std::move(connection));
    return;
  }
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(connection));
  }
  cv_.notify_one();
}

void PostgresStore::Drop(std::unique_ptr<PostgresConnection> connection) {
  connection.reset();  // closes the socket, outside the lock
  {
    std::lock_guard lock(mu_);
    --open_;
  }
  cv_.notify_one();
}

Result<void> PostgresStore::Ping() {
  constexpr std::string_view kOperation = "Ping";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto pong = (*lease)->Execute(kPing, PostgresParams(), kOperation);
  if (!pong) {
    return tl::unexpected(pong.error());
  }
  return {};
}

// UserStore.

Result<void> PostgresStore::CreateUser(const User& user) {
  constexpr std::string_view kOperation = "CreateUser";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  PostgresParams params;
  params.Text(user.id)
      .Text(user.username)
      .Text(user.username_key)
      .Text(user.password_hash)
      .TextArray(user.roles)
      .Bool(user.is_disabled)
      .Time(user.created_at)
      .Time(user.updated_at)
      .Text(user.username_skeleton);
  auto inserted = (*lease)->Execute(kInsertUser, params, kOperation);
  if (!inserted) {
    const PostgresFailure& failure = (*lease)->last_failure();
    if (failure.sqlstate == kUniqueViolation && failure.constraint == kUsernameKeyConstraint) {
      return MakeError(ErrorCode::kUsernameTaken, "CreateUser: username already taken");
    }
    if (IsSkeletonConflict(failure)) {
      return SkeletonTaken(kOperation);
    }
    // A taken id (users_pkey) lands here too: ids are random, so that is a fault, not a user's.
    return tl::unexpected(inserted.error());
  }
  if (inserted->affected_rows() == 0) {
    return MakeError(ErrorCode::kUsernameTaken,
                     "CreateUser: username taken, or confusable with a taken one");
  }
  return {};
}

Result<std::optional<User>> PostgresStore::FindUserById(std::string_view user_id) {
  constexpr std::string_view kOperation = "FindUserById";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return FindOneUser(**lease, kSelectUserById, user_id, kOperation);
}

Result<std::optional<User>> PostgresStore::FindUserByKey(std::string_view username_key) {
  constexpr std::string_view kOperation = "FindUserByKey";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return FindOneUser(**lease, kSelectUserByKey, username_key, kOperation);
}

Result<std::optional<User>> PostgresStore::FindUserBySkeleton(std::string_view username_skeleton) {
  constexpr std::string_view kOperation = "FindUserBySkeleton";
  if (username_skeleton.empty()) {
    return std::nullopt;
  }
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return FindOneUser(**lease, kSelectUserBySkeleton, username_skeleton, kOperation);
}

Result<std::vector<User>> PostgresStore::ListUsers(std::string_view key_substring, size_t limit) {
  constexpr std::string_view kOperation = "ListUsers";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto rows = (*lease)->Execute(
      kListUsers, PostgresParams().Text(key_substring).Int(LimitParameter(limit)), kOperation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  return ReadUsers(*rows, kOperation);
}

Result<size_t> PostgresStore::CountUsers() {
  constexpr std::string_view kOperation = "CountUsers";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto rows = (*lease)->Execute(kCountUsers, PostgresParams(), kOperation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  if (rows->size() != 1 || !rows->HasColumnTypes(kInt8Column)) {
    return CorruptRow(kOperation, "count");
  }
  return static_cast<size_t>(rows->Int(0, 0));
}

Result<std::vector<User>> PostgresStore::ListUsersWithoutSkeleton(
    const std::optional<UserPosition>& after, size_t limit) {
  constexpr std::string_view kOperation = "ListUsersWithoutSkeleton";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  PostgresParams params;
  params.Time(after ? after->created_at : TimePoint())
      .Text(after ? std::string_view(after->id) : std::string_view())
      .Int(after ? 1 : 0)
      .Int(LimitParameter(limit));
  auto rows = (*lease)->Execute(kListUsersWithoutSkeleton, params, kOperation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  return ReadUsers(*rows, kOperation);
}

Result<bool> PostgresStore::SetUsernameSkeleton(std::string_view user_id,
                                                std::string_view username_skeleton) {
  constexpr std::string_view kOperation = "SetUsernameSkeleton";
  if (username_skeleton.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "SetUsernameSkeleton: empty skeleton");
  }
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto rows = (*lease)->Execute(kSetUsernameSkeleton,
                                PostgresParams().Text(user_id).Text(username_skeleton), kOperation);
  if (!rows) {
    if (IsSkeletonConflict((*lease)->last_failure())) {
      return SkeletonTaken(kOperation);
    }
    return tl::unexpected(rows.error());
  }
  if (rows->size() != 1 || !rows->HasColumnTypes(kTwoBoolColumns)) {
    return CorruptRow(kOperation, "answer");
  }
  if (!rows->Bool(0, 1)) {
    return NoSuchUser(kOperation);
  }
  return rows->Bool(0, 0);
}

Result<void> PostgresStore::SetPasswordHash(std::string_view user_id,
                                            const std::string& password_hash, TimePoint now) {
  constexpr std::string_view kOperation = "SetPasswordHash";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return UpdateUser(**lease, kSetPasswordHash,
                    PostgresParams().Text(user_id).Text(password_hash).Time(now), kOperation);
}

Result<bool> PostgresStore::ReplacePasswordHash(std::string_view user_id,
                                                const std::string& expected,
                                                const std::string& password_hash, TimePoint now) {
  constexpr std::string_view kOperation = "ReplacePasswordHash";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto rows = (*lease)->Execute(
      kReplacePasswordHash,
      PostgresParams().Text(user_id).Text(expected).Text(password_hash).Time(now), kOperation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  if (rows->size() != 1 || !rows->HasColumnTypes(kTwoBoolColumns)) {
    return CorruptRow(kOperation, "answer");
  }
  const bool replaced = rows->Bool(0, 0);
  const bool exists = rows->Bool(0, 1);
  if (!replaced && !exists) {
    return NoSuchUser(kOperation);
  }
  return replaced;
}

Result<void> PostgresStore::SetDisabled(std::string_view user_id, bool is_disabled, TimePoint now) {
  constexpr std::string_view kOperation = "SetDisabled";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return UpdateUser(**lease, kSetDisabled,
                    PostgresParams().Text(user_id).Bool(is_disabled).Time(now), kOperation);
}

Result<void> PostgresStore::SetRoles(std::string_view user_id,
                                     const std::vector<std::string>& roles, TimePoint now) {
  constexpr std::string_view kOperation = "SetRoles";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  return UpdateUser(**lease, kSetRoles, PostgresParams().Text(user_id).TextArray(roles).Time(now),
                    kOperation);
}

// AuditLog.

Result<void> PostgresStore::Append(const AuditEvent& event) {
  constexpr std::string_view kOperation = "Append";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  PostgresParams params;
  params.Time(event.at)
      .Text(event.type)
      .Text(event.user_id)
      .Text(event.actor_id)
      .Text(event.session_id)
      .Text(event.ip)
      .Text(event.detail);
  auto inserted = (*lease)->Execute(kInsertAuditEvent, params, kOperation);
  if (!inserted) {
    return tl::unexpected(inserted.error());
  }
  return {};
}

Result<std::vector<AuditEvent>> PostgresStore::Recent(std::string_view user_id, size_t limit) {
  constexpr std::string_view kOperation = "Recent";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  PostgresParams params;
  if (!user_id.empty()) {
    params.Text(user_id);
  }
  params.Int(LimitParameter(limit));
  auto rows = (*lease)->Execute(user_id.empty() ? kRecentAuditEvents : kRecentAuditEventsOfUser,
                                params, kOperation);
  if (!rows) {
    return tl::unexpected(rows.error());
  }
  return ReadAuditEvents(*rows, kOperation);
}

Result<size_t> PostgresStore::PurgeAudit(TimePoint before, size_t batch) {
  constexpr std::string_view kOperation = "PurgeAudit";
  auto lease = Borrow(kOperation);
  if (!lease) {
    return tl::unexpected(lease.error());
  }
  auto deleted = (*lease)->Execute(
      kPurgeAuditEvents, PostgresParams().Time(before).Int(LimitParameter(batch)), kOperation);
  if (!deleted) {
    return tl::unexpected(deleted.error());
  }
  return static_cast<size_t>(deleted->affected_rows());
}

}  // namespace sesame::store
