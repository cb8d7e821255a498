#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <system_error>
#include <utility>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_schema.h"

namespace sesame::store {
namespace {

// Users. Every SELECT lists the columns in the order ReadUser reads them. An empty skeleton is
// stored as NULL: the unique index skips NULLs, so accounts without one never collide.
constexpr std::string_view kUserKeyExists = "SELECT 1 FROM users WHERE username_key = ?1";
constexpr std::string_view kUserSkeletonExists = "SELECT 1 FROM users WHERE username_skeleton = ?1";
constexpr std::string_view kUserIdExists = "SELECT 1 FROM users WHERE id = ?1";
constexpr std::string_view kInsertUser =
    "INSERT INTO users (id, username, username_key, password_hash, roles, disabled, created_at, "
    "updated_at, username_skeleton) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF(?9, ''))";
constexpr std::string_view kSelectUserById =
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE id = ?1";
constexpr std::string_view kSelectUserByKey =
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_key = ?1";
constexpr std::string_view kSelectUserBySkeleton =
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_skeleton = ?1";
// instr rather than LIKE: no wildcards to escape and no ASCII case folding.
constexpr std::string_view kListUsers =
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE instr(username_key, ?1) > 0 ORDER BY username_key "
    "LIMIT ?2";
constexpr std::string_view kCountUsers = "SELECT count(*) FROM users";
// ?3 = 0: from the start. The partial index users_without_skeleton serves it.
constexpr std::string_view kListUsersWithoutSkeleton =
    "SELECT id, username, username_key, password_hash, roles, disabled, created_at, updated_at, "
    "username_skeleton FROM users WHERE username_skeleton IS NULL "
    "AND (?3 = 0 OR (created_at, id) > (?1, ?2)) ORDER BY created_at, id LIMIT ?4";
constexpr std::string_view kSetUsernameSkeleton =
    "UPDATE users SET username_skeleton = ?2 WHERE id = ?1 AND username_skeleton IS NULL";
constexpr std::string_view kSetPasswordHash =
    "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1";
constexpr std::string_view kReplacePasswordHash =
    "UPDATE users SET password_hash = ?3, updated_at = ?4 WHERE id = ?1 AND password_hash = ?2";
constexpr std::string_view kSetDisabled =
    "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1";
constexpr std::string_view kSetRoles = "UPDATE users SET roles = ?2, updated_at = ?3 WHERE id = ?1";

// Sessions. Every SELECT lists the columns in the order ReadSession reads them.
constexpr std::string_view kInsertSession =
    "INSERT INTO sessions (id, user_id, mode, transport, secret_hash, csrf_token, created_at, "
    "last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent, remember, revoked_at, "
    "revoke_reason, refresh_generation, refresh_hash, previous_refresh_hash, rotated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
constexpr std::string_view kSelectSessionById =
    "SELECT id, user_id, mode, transport, secret_hash, csrf_token, created_at, last_seen_at, "
    "idle_expires_at, absolute_expires_at, ip, user_agent, remember, revoked_at, revoke_reason, "
    "refresh_generation, refresh_hash, previous_refresh_hash, rotated_at "
    "FROM sessions WHERE id = ?1";
// The repeated `secret_hash <> ''` lets the planner use the partial unique index.
constexpr std::string_view kSelectSessionBySecretHash =
    "SELECT id, user_id, mode, transport, secret_hash, csrf_token, created_at, last_seen_at, "
    "idle_expires_at, absolute_expires_at, ip, user_agent, remember, revoked_at, revoke_reason, "
    "refresh_generation, refresh_hash, previous_refresh_hash, rotated_at "
    "FROM sessions WHERE secret_hash = ?1 AND secret_hash <> ''";
// Live at ?now: not revoked and both expiries in the future (Session::IsLiveAt).
constexpr std::string_view kListLiveSessions =
    "SELECT id, user_id, mode, transport, secret_hash, csrf_token, created_at, last_seen_at, "
    "idle_expires_at, absolute_expires_at, ip, user_agent, remember, revoked_at, revoke_reason, "
    "refresh_generation, refresh_hash, previous_refresh_hash, rotated_at "
    "FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND idle_expires_at > ?2 "
    "AND absolute_expires_at > ?2 ORDER BY created_at DESC, rowid DESC";
constexpr std::string_view kListAllLiveSessions =
    "SELECT id, user_id, mode, transport, secret_hash, csrf_token, created_at, last_seen_at, "
    "idle_expires_at, absolute_expires_at, ip, user_agent, remember, revoked_at, revoke_reason, "
    "refresh_generation, refresh_hash, previous_refresh_hash, rotated_at "
    "FROM sessions WHERE revoked_at IS NULL AND idle_expires_at > ?1 "
    "AND absolute_expires_at > ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2";
constexpr std::string_view kCountLiveSessions =
    "SELECT count(*) FROM sessions WHERE revoked_at IS NULL AND idle_expires_at > ?1 "
    "AND absolute_expires_at > ?1";
constexpr std::string_view kLiveSessionIdsOldestFirst =
    "SELECT id FROM sessions WHERE user_id = ?1 AND revoked_at IS NULL AND idle_expires_at > ?2 "
    "AND absolute_expires_at > ?2 ORDER BY created_at, rowid";
constexpr std::string_view kEvictSession =
    "UPDATE sessions SET revoked_at = ?2, revoke_reason = 'evicted' WHERE id = ?1";
// Slides only a session that was live when it was seen, and only forwards: a touch that arrives
// late (it runs off the request path) can neither revive a session nor shorten it.
constexpr std::string_view kTouchSession =
    "UPDATE sessions SET last_seen_at = max(last_seen_at, ?2), "
    "idle_expires_at = max(idle_expires_at, ?3) WHERE id = ?1 AND revoked_at IS NULL "
    "AND idle_expires_at > ?2 AND absolute_expires_at > ?2";
// One statement, so one atomic step: the WHERE clause is the compare of the compare-and-set.
constexpr std::string_view kRotateRefresh =
    "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = ?3, "
    "refresh_generation = refresh_generation + 1, rotated_at = ?4, "
    "last_seen_at = max(last_seen_at, ?4), idle_expires_at = max(idle_expires_at, ?5) "
    "WHERE id = ?1 AND refresh_generation = ?2 AND revoked_at IS NULL AND idle_expires_at > ?4 "
    "AND absolute_expires_at > ?4";
constexpr std::string_view kListRevokedJwtSessions =
    "SELECT id, user_id, revoked_at FROM sessions WHERE revoked_at >= ?1 AND mode = 'jwt' "
    "ORDER BY revoked_at, rowid";
constexpr std::string_view kRevokeSession =
    "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE id = ?1 AND revoked_at IS NULL "
    "RETURNING user_id";
constexpr std::string_view kRevokeUserSessions =
    "UPDATE sessions SET revoked_at = ?2, revoke_reason = ?3 WHERE user_id = ?1 "
    "AND revoked_at IS NULL RETURNING id, created_at";
constexpr std::string_view kPurgeSessions =
    "DELETE FROM sessions WHERE absolute_expires_at < ?1 OR revoked_at < ?1";

// Change feed.
constexpr std::string_view kInsertChange =
    "INSERT INTO changes (kind, session_id, user_id, at) VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view kChangesSince =
    "SELECT seq, kind, session_id, user_id, at FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2";
// AUTOINCREMENT keeps the highest seq ever given in sqlite_sequence, even after a purge.
constexpr std::string_view kLatestChangeSeq =
    "SELECT seq FROM sqlite_sequence WHERE name = 'changes'";
constexpr std::string_view kPurgeChanges = "DELETE FROM changes WHERE at < ?1";

// Rate counters. One UPSERT reads, decides and writes under the write lock: atomic.
constexpr std::string_view kGetCounter =
    "SELECT count, window_start, window_end, last_hit FROM rate_counters "
    "WHERE key = ?1 AND window_end > ?2";
constexpr std::string_view kHit =
    "INSERT INTO rate_counters (key, count, window_start, window_end, last_hit) "
    "VALUES (?1, 1, ?2, ?3, ?2) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN window_end <= ?2 THEN 1 ELSE count + 1 END, "
    "window_start = CASE WHEN window_end <= ?2 THEN ?2 ELSE window_start END, "
    "window_end = CASE WHEN window_end <= ?2 THEN ?3 ELSE window_end END, "
    "last_hit = ?2 "
    "RETURNING count, window_start, window_end, last_hit";
constexpr std::string_view kClearCounter = "DELETE FROM rate_counters WHERE key = ?1";
// TakeSlot: the UPSERT's WHERE refuses (no row returned, nothing written) when the open window
// is full or the gap since the last hit is too short; ?4 limit, ?5 backoff, ?6 free hits.
constexpr std::string_view kTakeSlot =
    "INSERT INTO rate_counters (key, count, window_start, window_end, last_hit) "
    "VALUES (?1, 1, ?2, ?3, 0) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN window_end <= ?2 THEN 1 ELSE count + 1 END, "
    "window_start = CASE WHEN window_end <= ?2 THEN ?2 ELSE window_start END, "
    "window_end = CASE WHEN window_end <= ?2 THEN ?3 ELSE window_end END, "
    "last_hit = CASE WHEN window_end <= ?2 THEN 0 ELSE last_hit END "
    "WHERE window_end <= ?2 OR (count < ?4 AND (count <= ?6 OR ?5 <= 0 OR "
    "?2 >= last_hit + (?5 << min(count - ?6 - 1, 20)))) "
    "RETURNING count, window_start, window_end, last_hit";
constexpr std::string_view kMarkSlot = "UPDATE rate_counters SET last_hit = ?2 WHERE key = ?1";
constexpr std::string_view kReturnSlot =
    "UPDATE rate_counters SET count = count - 1 WHERE key = ?1 AND count > 0";
constexpr std::string_view kPurgeCounters = "DELETE FROM rate_counters WHERE window_end < ?1";

// Audit log.
// Only the `batch` oldest rows are looked at (by the primary key): bounded work per call.
constexpr std::string_view kPurgeAuditEvents =
    "DELETE FROM audit_events WHERE id IN "
    "(SELECT id FROM audit_events ORDER BY id LIMIT ?2) AND at < ?1";
constexpr std::string_view kInsertAuditEvent =
    "INSERT INTO audit_events (at, type, user_id, actor_id, session_id, ip, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr std::string_view kRecentAuditEvents =
    "SELECT id, at, type, user_id, actor_id, session_id, ip, detail FROM audit_events "
    "ORDER BY id DESC LIMIT ?1";
constexpr std::string_view kRecentAuditEventsOfUser =
    "SELECT id, at, type, user_id, actor_id, session_id, ip, detail FROM audit_events "
    "WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2";

int64_t LimitParameter(size_t limit) {
  return static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

tl::unexpected<Error> CorruptRow(std::string_view operation, std::string_view what) {
  std::string detail = "sqlite ";
  detail.append(operation);
  detail.append(": unreadable ");
  detail.append(what);
  detail.append(" in a stored row");
  return MakeError(ErrorCode::kUnavailable, std::move(detail));
}

// Roles are kept as a JSON array of strings. The writer escapes only what JSON requires and
// passes every other byte through, so any role round-trips exactly; the reader takes what the
// writer writes plus whitespace and the usual escapes (a row written by hand with json_array).
std::string EncodeRoles(const std::vector<std::string>& roles) {
  std::string out = "[";
  for (size_t i = 0; i < roles.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.push_back('"');
    for (const char c : roles[i]) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (byte < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        out.append("\\u00");
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xf]);
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back(']');
  return out;
}

std::optional<std::vector<std::string>> DecodeRoles(std::string_view text) {
  size_t pos = 0;
  const auto skip_space = [&] {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t')) {
      ++pos;
    }
  };
  const auto take = [&](char c) {
    skip_space();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  std::vector<std::string> roles;
  if (!take('[')) {
    return std::nullopt;
  }
  if (take(']')) {
    skip_space();
    return pos == text.size() ? std::optional(roles) : std::nullopt;
  }
  do {
    if (!take('"')) {
      return std::nullopt;
    }
    std::string role;
    for (;;) {
      if (pos >= text.size()) {
        return std::nullopt;
      }
      const char c = text[pos++];
      if (c == '"') {
        break;
      }
      if (c != '\\') {
        role.push_back(c);
        continue;
      }
      if (pos >= text.size()) {
        return std::nullopt;
      }
      const char e = text[pos++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          role.push_back(e);
          break;
        case 'b':
          role.push_back('\b');
          break;
        case 'f':
          role.push_back('\f');
          break;
        case 'n':
          role.push_back('\n');
          break;
        case 'r':
          role.push_back('\r');
          break;
        case 't':
          role.push_back('\t');
          break;
        case 'u': {
          // Only ASCII escapes: the writer never escapes anything else.
          if (pos + 4 > text.size()) {
            return std::nullopt;
          }
          unsigned value = 0;
          for (size_t i = 0; i < 4; ++i) {
            const char h = text[pos++];
            value <<= 4;
            if (h >= '0' && h <= '9') {
              value |= static_cast<unsigned>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
              value |= static_cast<unsigned>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
              value |= static_cast<unsigned>(h - 'A' + 10);
            } else {
              return std::nullopt;
            }
          }
          if (value >= 0x80) {
            return std::nullopt;
          }
          role.push_back(static_cast<char>(value));
          break;
        }
        default:
          return std::nullopt;
      }
    }
    roles.push_back(std::move(role));
  } while (take(','));
  if (!take(']')) {
    return std::nullopt;
  }
  skip_space();
  if (pos != text.size()) {
    return std::nullopt;
  }
  return roles;
}

std::string_view ChangeKindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kSessionRevoked:
      return "session_revoked";
    case Change::Kind::kUserSessionsRevoked:
      return "user_sessions_revoked";
    case Change::Kind::kUserChanged:
      return "user_changed";
  }
  return "user_changed";
}

std::optional<Change::Kind> ParseChangeKind(std::string_view name) {
  if (name == "session_revoked") {
    return Change::Kind::kSessionRevoked;
  }
  if (name == "user_sessions_revoked") {
    return Change::Kind::kUserSessionsRevoked;
  }
  if (name == "user_changed") {
    return Change::Kind::kUserChanged;
  }
  return std::nullopt;
}

// Columns as in kSelectUserById.
Result<User> ReadUser(const SqliteStatement& row, std::string_view operation) {
  User user;
  user.id = row.Text(0);
  user.username = row.Text(1);
  user.username_key = row.Text(2);
  user.password_hash = row.Text(3);
  auto roles = DecodeRoles(row.Text(4));
  if (!roles) {
    return CorruptRow(operation, "roles");
  }
  user.roles = std::move(*roles);
  user.is_disabled = row.Int(5) != 0;
  user.created_at = row.Time(6);
  user.updated_at = row.Time(7);
  user.username_skeleton = row.Text(8);  // NULL as empty
  return user;
}

// Columns as in kSelectSessionById.
Result<Session> ReadSession(const SqliteStatement& row, std::string_view operation) {
  Session session;
  session.id = row.Text(0);
  session.user_id = row.Text(1);
  const auto mode = ParseSessionMode(row.Text(2));
  const auto transport = ParseTransport(row.Text(3));
  if (!mode || !transport) {
    return CorruptRow(operation, "session mode or transport");
  }
  session.mode = *mode;
  session.transport = *transport;
  session.secret_hash = row.Text(4);
  session.csrf_token = row.Text(5);
  session.created_at = row.Time(6);
  session.last_seen_at = row.Time(7);
  session.idle_expires_at = row.Time(8);
  session.absolute_expires_at = row.Time(9);
  session.ip = row.Text(10);
  session.user_agent = row.Text(11);
  session.remember = row.Int(12) != 0;
  session.revoked_at = row.OptionalTime(13);
  session.revoke_reason = row.Text(14);
  session.refresh_generation = row.Int(15);
  session.refresh_hash = row.Text(16);
  session.previous_refresh_hash = row.Text(17);
  session.rotated_at = row.OptionalTime(18);
  return session;
}

RateCounter ReadCounter(const SqliteStatement& row) {
  return RateCounter{.count = row.Int(0),
                     .window_start = row.Time(1),
                     .window_end = row.Time(2),
                     .last_hit = row.Time(3)};
}

// Runs a statement with one text parameter that returns at most one row, read by `read`
// (ReadUser or ReadSession).
template <typename T>
Result<std::optional<T>> QueryOne(SqliteConnection& connection, std::string_view sql,
                                  std::string_view param, std::string_view operation,
                                  Result<T> (*read)(const SqliteStatement&, std::string_view)) {
  auto statement = connection.Prepare(sql, operation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, param);
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  if (!*row) {
    return std::nullopt;
  }
  auto value = read(*statement, operation);
  if (!value) {
    return tl::unexpected(value.error());
  }
  return std::optional<T>(std::move(*value));
}

Result<Change> ReadChange(const SqliteStatement& row, std::string_view operation) {
  const auto kind = ParseChangeKind(row.Text(1));
  if (!kind) {
    return CorruptRow(operation, "change kind");
  }
  return Change{.seq = row.Int(0),
                .kind = *kind,
                .session_id = row.Text(2),
                .user_id = row.Text(3),
                .at = row.Time(4)};
}

Result<AuditEvent> ReadAuditEvent(const SqliteStatement& row, std::string_view /*operation*/) {
  return AuditEvent{.id = row.Int(0),
                    .at = row.Time(1),
                    .type = row.Text(2),
                    .user_id = row.Text(3),
                    .actor_id = row.Text(4),
                    .session_id = row.Text(5),
                    .ip = row.Text(6),
                    .detail = row.Text(7)};
}

Result<std::string> ReadFirstText(const SqliteStatement& row, std::string_view /*operation*/) {
  return row.Text(0);
}

// Reads every remaining row of a prepared and bound statement with `read` (ReadUser,
// ReadSession, ReadChange, ReadAuditEvent).
template <typename T>
Result<std::vector<T>> ReadRows(SqliteStatement& statement, std::string_view operation,
                                Result<T> (*read)(const SqliteStatement&, std::string_view)) {
  std::vector<T> rows;
  for (;;) {
    auto row = statement.Step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return rows;
    }
    auto value = read(statement, operation);
    if (!value) {
      return tl::unexpected(value.error());
    }
    rows.push_back(std::move(*value));
  }
}

// Whether a statement with one text parameter returns a row.
Result<bool> Exists(SqliteConnection& connection, std::string_view sql, std::string_view param,
                    std::string_view operation) {
  auto statement = connection.Prepare(sql, operation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, param);
  return statement->Step();
}

// Whether a failed statement broke the unique index on username_skeleton.
bool IsSkeletonConflict(const SqliteStatement& statement, SqliteConnection& connection) {
  return statement.failure_code() == SQLITE_CONSTRAINT_UNIQUE &&
         connection.last_error_message().find("username_skeleton") != std::string_view::npos;
}

tl::unexpected<Error> SkeletonTaken(std::string_view operation) {
  return MakeError(
      ErrorCode::kUsernameTaken,
      std::string(operation) + ": username confusable with a taken one (same skeleton)");
}

// Runs an UPDATE of one user (?1 = id); kNotFound if no row matched.
template <typename BindFn>
Result<void> UpdateUser(SqliteConnection& connection, std::string_view sql,
                        std::string_view user_id, std::string_view operation, BindFn bind) {
  {
    auto statement = connection.Prepare(sql, operation);
    if (!statement) {
      return tl::unexpected(statement.error());
    }
    statement->BindText(1, user_id);
    bind(*statement);
    if (auto done = statement->Run(); !done) {
      return done;
    }
  }
  if (connection.changes() == 0) {
    return MakeError(ErrorCode::kNotFound, std::string(operation) + ": no such user");
  }
  return {};
}

Result<void> AppendChange(SqliteConnection& connection, Change::Kind kind,
                          std::string_view session_id, std::string_view user_id, TimePoint at,
                          std::string_view operation) {
  auto statement = connection.Prepare(kInsertChange, operation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, ChangeKindName(kind))
      .BindText(2, session_id)
      .BindText(3, user_id)
      .BindTime(4, at);
  return statement->Run();
}

// Runs a statement without rows that takes one time parameter.
Result<void> RunWithTime(SqliteConnection& connection, std::string_view sql, TimePoint time,
                         std::string_view operation) {
  auto statement = connection.Prepare(sql, operation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, time);
  return statement->Run();
}

tl::unexpected<Error> OsError(const std::string& what, const std::filesystem::path& path, int err) {
  return MakeError(ErrorCode::kUnavailable, "sqlite " + what + " " + path.string() + ": " +
                                                std::system_category().message(err));
}

// Creates the missing directories above `db_file`, each 0700: the database holds password
// hashes and session state, readable by its owner only.
Result<void> CreateParentDirectories(const std::filesystem::path& db_file) {
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path dir = db_file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) || dir == dir.parent_path()) {
      break;
    }
    missing.push_back(dir);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        continue;  // another process made it meanwhile
      }
      return OsError("cannot create directory", *it, errno);
    }
    ::chmod(it->c_str(), 0700);  // exactly 0700, whatever the umask
  }
  return {};
}

// Creates the file 0600 before SQLite does (SQLite would use 0644 minus the umask); its -wal
// and -shm files take the database file's mode. An existing file keeps its mode.
Result<void> CreateDatabaseFile(const std::filesystem::path& db_file) {
  const int fd = ::open(db_file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return {};
    }
    return OsError("cannot create", db_file, errno);
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  return {};
}

}  // namespace

class SqliteStore::Lease {
 public:
  Lease(SqliteStore* store, SqliteConnection* connection,
        std::unique_lock<std::mutex> write_lock = {})
      : store_(store), connection_(connection), write_lock_(std::move(write_lock)) {}
  ~Lease() { store_->GiveBack(connection_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  SqliteConnection& operator*() const { return *connection_; }
  SqliteConnection* operator->() const { return connection_; }

 private:
  SqliteStore* const store_;
  SqliteConnection* const connection_;
  std::unique_lock<std::mutex> write_lock_;  // released after the connection is given back
};

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::filesystem::path& db_file,
                                                       SqliteOptions options) {
  if (options.pool_size == 0) {
    return MakeError(ErrorCode::kInvalidConfig, "sqlite pool size must be at least 1");
  }
  if (auto created = CreateParentDirectories(db_file); !created) {
    return tl::unexpected(created.error());
  }
  if (auto created = CreateDatabaseFile(db_file); !created) {
    return tl::unexpected(created.error());
  }
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (size_t i = 0; i < options.pool_size; ++i) {
    auto connection = SqliteConnection::Open(db_file.string(), options.busy_timeout);
    if (!connection) {
      return tl::unexpected(connection.error());
    }
    if (i == 0) {
      if (auto migrated = MigrateSqliteSchema(**connection); !migrated) {
        return tl::unexpected(migrated.error());
      }
    }
    connections.push_back(std::move(*connection));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(connections)));
}

SqliteStore::SqliteStore(std::vector<std::unique_ptr<SqliteConnection>> connections)
    : connections_(std::move(connections)) {
  for (const auto& connection : connections_) {
    idle_.push_back(connection.get());
  }
}

SqliteStore::~SqliteStore() = default;

SqliteConnection* SqliteStore::TakeIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return !idle_.empty(); });
  SqliteConnection* connection = idle_.back();
  idle_.pop_back();
  return connection;
}

SqliteStore::Lease SqliteStore::Borrow() {
  return Lease(this, TakeIdle());
}

SqliteStore::Lease SqliteStore::BorrowForWrite() {
  std::unique_lock write_lock(write_mu_);
  return Lease(this, TakeIdle(), std::move(write_lock));
}

void SqliteStore::GiveBack(SqliteConnection* connection) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(connection);
  }
  idle_cv_.notify_one();
}

// UserStore.

Result<void> SqliteStore::CreateUser(const User& user) {
  constexpr std::string_view kOperation = "CreateUser";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  auto taken = Exists(*connection, kUserKeyExists, user.username_key, kOperation);
  if (!taken) {
    return tl::unexpected(taken.error());
  }
  if (*taken) {
    return MakeError(ErrorCode::kUsernameTaken, "CreateUser: username already taken");
  }
  if (!user.username_skeleton.empty()) {
    auto confusable = Exists(*connection, kUserSkeletonExists, user.username_skeleton, kOperation);
    if (!confusable) {
      return tl::unexpected(confusable.error());
    }
    if (*confusable) {
      return SkeletonTaken(kOperation);
    }
  }
  {
    auto insert = connection->Prepare(kInsertUser, kOperation);
    if (!insert) {
      return tl::unexpected(insert.error());
    }
    insert->BindText(1, user.id)
        .BindText(2, user.username)
        .BindText(3, user.username_key)
        .BindText(4, user.password_hash)
        .BindText(5, EncodeRoles(user.roles))
        .BindInt(6, user.is_disabled ? 1 : 0)
        .BindTime(7, user.created_at)
        .BindTime(8, user.updated_at)
        .BindText(9, user.username_skeleton);
    if (auto done = insert->Run(); !done) {
      // Checked above, but the unique indexes have the last word.
      if (insert->failure_code() == SQLITE_CONSTRAINT_UNIQUE &&
          connection->last_error_message().find("username_key") != std::string_view::npos) {
        return MakeError(ErrorCode::kUsernameTaken, "CreateUser: username already taken");
      }
      if (IsSkeletonConflict(*insert, *connection)) {
        return SkeletonTaken(kOperation);
      }
      return done;
    }
  }
  return transaction->Commit();
}

Result<std::optional<User>> SqliteStore::FindUserById(std::string_view user_id) {
  Lease connection = Borrow();
  return QueryOne<User>(*connection, kSelectUserById, user_id, "FindUserById", ReadUser);
}

Result<std::optional<User>> SqliteStore::FindUserByKey(std::string_view username_key) {
  Lease connection = Borrow();
  return QueryOne<User>(*connection, kSelectUserByKey, username_key, "FindUserByKey", ReadUser);
}

Result<std::optional<User>> SqliteStore::FindUserBySkeleton(std::string_view username_skeleton) {
  if (username_skeleton.empty()) {
    return std::nullopt;
  }
  Lease connection = Borrow();
  return QueryOne<User>(*connection, kSelectUserBySkeleton, username_skeleton, "FindUserBySkeleton",
                        ReadUser);
}

Result<std::vector<User>> SqliteStore::ListUsers(std::string_view key_substring, size_t limit) {
  constexpr std::string_view kOperation = "ListUsers";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kListUsers, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key_substring).BindInt(2, LimitParameter(limit));
  return ReadRows<User>(*statement, kOperation, ReadUser);
}

Result<size_t> SqliteStore::CountUsers() {
  Lease connection = Borrow();
  auto statement = connection->Prepare(kCountUsers, "CountUsers");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return static_cast<size_t>(*row ? statement->Int(0) : 0);
}

Result<std::vector<User>> SqliteStore::ListUsersWithoutSkeleton(
    const std::optional<UserPosition>& after, size_t limit) {
  constexpr std::string_view kOperation = "ListUsersWithoutSkeleton";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kListUsersWithoutSkeleton, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, after ? after->created_at : TimePoint())
      .BindText(2, after ? std::string_view(after->id) : std::string_view())
      .BindInt(3, after ? 1 : 0)
      .BindInt(4, LimitParameter(limit));
  return ReadRows<User>(*statement, kOperation, ReadUser);
}

Result<bool> SqliteStore::SetUsernameSkeleton(std::string_view user_id,
                                              std::string_view username_skeleton) {
  constexpr std::string_view kOperation = "SetUsernameSkeleton";
  if (username_skeleton.empty()) {
    return MakeError(ErrorCode::kInvalidRequest, "SetUsernameSkeleton: empty skeleton");
  }
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  {
    auto update = connection->Prepare(kSetUsernameSkeleton, kOperation);
    if (!update) {
      return tl::unexpected(update.error());
    }
    update->BindText(1, user_id).BindText(2, username_skeleton);
    if (auto done = update->Run(); !done) {
      if (IsSkeletonConflict(*update, *connection)) {
        return SkeletonTaken(kOperation);
      }
      return tl::unexpected(done.error());
    }
  }
  const bool set = connection->changes() > 0;
  if (!set) {
    auto exists = Exists(*connection, kUserIdExists, user_id, kOperation);
    if (!exists) {
      return tl::unexpected(exists.error());
    }
    if (!*exists) {
      return MakeError(ErrorCode::kNotFound, "SetUsernameSkeleton: no such user");
    }
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return set;
}

Result<void> SqliteStore::SetPasswordHash(std::string_view user_id,
                                          const std::string& password_hash, TimePoint now) {
  Lease connection = BorrowForWrite();
  return UpdateUser(*connection, kSetPasswordHash, user_id, "SetPasswordHash",
                    [&](SqliteStatement& s) { s.BindText(2, password_hash).BindTime(3, now); });
}

Result<bool> SqliteStore::ReplacePasswordHash(std::string_view user_id, const std::string& expected,
                                              const std::string& password_hash, TimePoint now) {
  constexpr std::string_view kOperation = "ReplacePasswordHash";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  {
    auto update = connection->Prepare(kReplacePasswordHash, kOperation);
    if (!update) {
      return tl::unexpected(update.error());
    }
    update->BindText(1, user_id).BindText(2, expected).BindText(3, password_hash).BindTime(4, now);
    if (auto done = update->Run(); !done) {
      return tl::unexpected(done.error());
    }
  }
  const bool replaced = connection->changes() > 0;
  if (!replaced) {
    auto exists = Exists(*connection, kUserIdExists, user_id, kOperation);
    if (!exists) {
      return tl::unexpected(exists.error());
    }
    if (!*exists) {
      return MakeError(ErrorCode::kNotFound, "ReplacePasswordHash: no such user");
    }
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return replaced;
}

Result<void> SqliteStore::SetDisabled(std::string_view user_id, bool is_disabled, TimePoint now) {
  Lease connection = BorrowForWrite();
  return UpdateUser(*connection, kSetDisabled, user_id, "SetDisabled", [&](SqliteStatement& s) {
    s.BindInt(2, is_disabled ? 1 : 0).BindTime(3, now);
  });
}

Result<void> SqliteStore::SetRoles(std::string_view user_id, const std::vector<std::string>& roles,
                                   TimePoint now) {
  Lease connection = BorrowForWrite();
  return UpdateUser(*connection, kSetRoles, user_id, "SetRoles", [&](SqliteStatement& s) {
    s.BindText(2, EncodeRoles(roles)).BindTime(3, now);
  });
}

// SessionStore.

Result<CreateSessionOutcome> SqliteStore::CreateSession(const Session& session, DeviceLimit limit,
                                                        TimePoint now) {
  constexpr std::string_view kOperation = "CreateSession";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  CreateSessionOutcome outcome;
  if (limit.max_per_user > 0) {
    std::vector<std::string> live_oldest_first;
    {
      auto select = connection->Prepare(kLiveSessionIdsOldestFirst, kOperation);
      if (!select) {
        return tl::unexpected(select.error());
      }
      select->BindText(1, session.user_id).BindTime(2, now);
      auto ids = ReadRows<std::string>(*select, kOperation, ReadFirstText);
      if (!ids) {
        return tl::unexpected(ids.error());
      }
      live_oldest_first = std::move(*ids);
    }
    if (live_oldest_first.size() >= limit.max_per_user) {
      if (limit.on_limit == OnLimit::kRefuse) {
        return MakeError(ErrorCode::kForbidden, "CreateSession: device limit reached");
      }
      const size_t to_evict = live_oldest_first.size() - limit.max_per_user + 1;
      for (size_t i = 0; i < to_evict; ++i) {
        const std::string& evicted_id = live_oldest_first[i];
        {
          auto evict = connection->Prepare(kEvictSession, kOperation);
          if (!evict) {
            return tl::unexpected(evict.error());
          }
          evict->BindText(1, evicted_id).BindTime(2, now);
          if (auto done = evict->Run(); !done) {
            return tl::unexpected(done.error());
          }
        }
        if (auto appended = AppendChange(*connection, Change::Kind::kSessionRevoked, evicted_id,
                                         session.user_id, now, kOperation);
            !appended) {
          return tl::unexpected(appended.error());
        }
        outcome.evicted_session_ids.push_back(evicted_id);
      }
    }
  }
  {
    auto insert = connection->Prepare(kInsertSession, kOperation);
    if (!insert) {
      return tl::unexpected(insert.error());
    }
    insert->BindText(1, session.id)
        .BindText(2, session.user_id)
        .BindText(3, SessionModeName(session.mode))
        .BindText(4, TransportName(session.transport))
        .BindText(5, session.secret_hash)
        .BindText(6, session.csrf_token)
        .BindTime(7, session.created_at)
        .BindTime(8, session.last_seen_at)
        .BindTime(9, session.idle_expires_at)
        .BindTime(10, session.absolute_expires_at)
        .BindText(11, session.ip)
        .BindText(12, session.user_agent)
        .BindInt(13, session.remember ? 1 : 0)
        .BindOptionalTime(14, session.revoked_at)
        .BindText(15, session.revoke_reason)
        .BindInt(16, session.refresh_generation)
        .BindText(17, session.refresh_hash)
        .BindText(18, session.previous_refresh_hash)
        .BindOptionalTime(19, session.rotated_at);
    if (auto done = insert->Run(); !done) {
      return tl::unexpected(done.error());
    }
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return outcome;
}

Result<std::optional<Session>> SqliteStore::FindSessionById(std::string_view session_id) {
  Lease connection = Borrow();
  return QueryOne<Session>(*connection, kSelectSessionById, session_id, "FindSessionById",
                           ReadSession);
}

Result<std::optional<Session>> SqliteStore::FindSessionBySecretHash(std::string_view secret_hash) {
  if (secret_hash.empty()) {
    return std::nullopt;  // jwt-mode sessions have no secret
  }
  Lease connection = Borrow();
  return QueryOne<Session>(*connection, kSelectSessionBySecretHash, secret_hash,
                           "FindSessionBySecretHash", ReadSession);
}

Result<std::vector<Session>> SqliteStore::ListLiveSessions(std::string_view user_id,
                                                           TimePoint now) {
  constexpr std::string_view kOperation = "ListLiveSessions";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kListLiveSessions, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, user_id).BindTime(2, now);
  return ReadRows<Session>(*statement, kOperation, ReadSession);
}

Result<std::vector<Session>> SqliteStore::ListAllLiveSessions(TimePoint now, size_t limit) {
  constexpr std::string_view kOperation = "ListAllLiveSessions";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kListAllLiveSessions, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, now).BindInt(2, LimitParameter(limit));
  return ReadRows<Session>(*statement, kOperation, ReadSession);
}

Result<size_t> SqliteStore::CountLiveSessions(TimePoint now) {
  Lease connection = Borrow();
  auto statement = connection->Prepare(kCountLiveSessions, "CountLiveSessions");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, now);
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return static_cast<size_t>(*row ? statement->Int(0) : 0);
}

Result<void> SqliteStore::TouchSession(std::string_view session_id, TimePoint last_seen_at,
                                       TimePoint idle_expires_at) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kTouchSession, "TouchSession");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, session_id).BindTime(2, last_seen_at).BindTime(3, idle_expires_at);
  return statement->Run();
}

Result<bool> SqliteStore::RotateRefresh(std::string_view session_id,
                                        const RefreshRotation& rotation) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kRotateRefresh, "RotateRefresh");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, session_id)
      .BindInt(2, rotation.from_generation)
      .BindText(3, rotation.new_hash)
      .BindTime(4, rotation.now)
      .BindTime(5, rotation.idle_expires_at);
  if (auto done = statement->Run(); !done) {
    return tl::unexpected(done.error());
  }
  return connection->changes() == 1;
}

Result<std::vector<RevokedSession>> SqliteStore::ListRevokedJwtSessions(TimePoint since) {
  constexpr std::string_view kOperation = "ListRevokedJwtSessions";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kListRevokedJwtSessions, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, since);
  return ReadRows<RevokedSession>(
      *statement, kOperation,
      [](const SqliteStatement& row, std::string_view) -> Result<RevokedSession> {
        return RevokedSession{row.Text(0), row.Text(1), row.Time(2)};
      });
}

Result<bool> SqliteStore::RevokeSession(std::string_view session_id, std::string_view reason,
                                        TimePoint now) {
  constexpr std::string_view kOperation = "RevokeSession";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  std::optional<std::string> user_id;
  {
    auto revoke = connection->Prepare(kRevokeSession, kOperation);
    if (!revoke) {
      return tl::unexpected(revoke.error());
    }
    revoke->BindText(1, session_id).BindTime(2, now).BindText(3, reason);
    auto user_ids = ReadRows<std::string>(*revoke, kOperation, ReadFirstText);
    if (!user_ids) {
      return tl::unexpected(user_ids.error());
    }
    if (!user_ids->empty()) {
      user_id = std::move(user_ids->front());
    }
  }
  if (!user_id) {
    return false;  // unknown or already revoked: the transaction rolls back an empty change
  }
  if (auto appended = AppendChange(*connection, Change::Kind::kSessionRevoked, session_id, *user_id,
                                   now, kOperation);
      !appended) {
    return tl::unexpected(appended.error());
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return true;
}

Result<std::vector<std::string>> SqliteStore::RevokeUserSessions(std::string_view user_id,
                                                                 std::string_view reason,
                                                                 TimePoint now) {
  constexpr std::string_view kOperation = "RevokeUserSessions";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  std::vector<std::pair<TimePoint, std::string>> revoked;
  {
    auto revoke = connection->Prepare(kRevokeUserSessions, kOperation);
    if (!revoke) {
      return tl::unexpected(revoke.error());
    }
    revoke->BindText(1, user_id).BindTime(2, now).BindText(3, reason);
    for (;;) {
      auto row = revoke->Step();
      if (!row) {
        return tl::unexpected(row.error());
      }
      if (!*row) {
        break;
      }
      revoked.emplace_back(revoke->Time(1), revoke->Text(0));
    }
  }
  // RETURNING gives rows in no particular order; report them oldest first, as MemoryStore does.
  std::sort(revoked.begin(), revoked.end());
  // One entry for the user covers every session: readers drop all of the user's cached state.
  if (auto appended = AppendChange(*connection, Change::Kind::kUserSessionsRevoked, "", user_id,
                                   now, kOperation);
      !appended) {
    return tl::unexpected(appended.error());
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  std::vector<std::string> ids;
  ids.reserve(revoked.size());
  for (auto& [created_at, id] : revoked) {
    ids.push_back(std::move(id));
  }
  return ids;
}

Result<void> SqliteStore::RecordUserChanged(std::string_view user_id, TimePoint now) {
  Lease connection = BorrowForWrite();
  return AppendChange(*connection, Change::Kind::kUserChanged, "", user_id, now,
                      "RecordUserChanged");
}

Result<std::vector<Change>> SqliteStore::ChangesSince(int64_t after_seq, size_t limit) {
  constexpr std::string_view kOperation = "ChangesSince";
  Lease connection = Borrow();
  auto statement = connection->Prepare(kChangesSince, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindInt(1, after_seq).BindInt(2, LimitParameter(limit));
  return ReadRows<Change>(*statement, kOperation, ReadChange);
}

Result<int64_t> SqliteStore::LatestChangeSeq() {
  Lease connection = Borrow();
  auto statement = connection->Prepare(kLatestChangeSeq, "LatestChangeSeq");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return *row ? statement->Int(0) : int64_t{0};
}

Result<size_t> SqliteStore::PurgeSessions(TimePoint before) {
  constexpr std::string_view kOperation = "PurgeSessions";
  Lease connection = BorrowForWrite();
  auto transaction = SqliteTransaction::BeginImmediate(*connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  if (auto done = RunWithTime(*connection, kPurgeSessions, before, kOperation); !done) {
    return tl::unexpected(done.error());
  }
  const auto purged = static_cast<size_t>(connection->changes());
  if (auto done = RunWithTime(*connection, kPurgeChanges, before, kOperation); !done) {
    return tl::unexpected(done.error());
  }
  if (auto committed = transaction->Commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return purged;
}

// RateStore.

Result<RateCounter> SqliteStore::GetCounter(std::string_view key, TimePoint now) {
  Lease connection = Borrow();
  auto statement = connection->Prepare(kGetCounter, "GetCounter");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key).BindTime(2, now);
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  return *row ? ReadCounter(*statement) : RateCounter{};
}

Result<RateCounter> SqliteStore::Hit(std::string_view key, Seconds window, TimePoint now) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kHit, "Hit");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key).BindTime(2, now).BindTime(3, now + window);
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  if (!*row) {
    return MakeError(ErrorCode::kUnavailable, "sqlite Hit: no row returned");
  }
  RateCounter counter = ReadCounter(*statement);
  // Step to the end so the statement (and with it the implicit transaction) completes here.
  if (auto done = statement->Run(); !done) {
    return tl::unexpected(done.error());
  }
  return counter;
}

Result<SlotAnswer> SqliteStore::TakeSlot(std::string_view key, const SlotRule& rule,
                                         TimePoint now) {
  {
    Lease connection = BorrowForWrite();
    auto statement = connection->Prepare(kTakeSlot, "TakeSlot");
    if (!statement) {
      return tl::unexpected(statement.error());
    }
    statement->BindText(1, key)
        .BindTime(2, now)
        .BindTime(3, now + rule.window)
        .BindInt(4, rule.limit)
        .BindInt(5, rule.backoff.count())
        .BindInt(6, rule.free_hits);
    auto row = statement->Step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (*row) {
      const RateCounter counter = ReadCounter(*statement);
      if (auto done = statement->Run(); !done) {
        return tl::unexpected(done.error());
      }
      return SlotAnswer{true, counter};
    }
  }
  // Refused: the counter as it stands says when to come back (read after the fact; only the
  // Retry-After figure depends on it).
  auto counter = GetCounter(key, now);
  if (!counter) {
    return tl::unexpected(counter.error());
  }
  return SlotAnswer{false, *counter};
}

Result<void> SqliteStore::MarkSlot(std::string_view key, TimePoint now) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kMarkSlot, "MarkSlot");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key).BindTime(2, now);
  return statement->Run();
}

Result<void> SqliteStore::ReturnSlot(std::string_view key) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kReturnSlot, "ReturnSlot");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key);
  return statement->Run();
}

Result<void> SqliteStore::ClearCounter(std::string_view key) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kClearCounter, "ClearCounter");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindText(1, key);
  return statement->Run();
}

Result<void> SqliteStore::PurgeCounters(TimePoint now) {
  Lease connection = BorrowForWrite();
  return RunWithTime(*connection, kPurgeCounters, now, "PurgeCounters");
}

// AuditLog.

Result<void> SqliteStore::Append(const AuditEvent& event) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kInsertAuditEvent, "Append");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, event.at)
      .BindText(2, event.type)
      .BindText(3, event.user_id)
      .BindText(4, event.actor_id)
      .BindText(5, event.session_id)
      .BindText(6, event.ip)
      .BindText(7, event.detail);
  return statement->Run();
}

Result<std::vector<AuditEvent>> SqliteStore::Recent(std::string_view user_id, size_t limit) {
  constexpr std::string_view kOperation = "Recent";
  Lease connection = Borrow();
  auto statement = connection->Prepare(
      user_id.empty() ? kRecentAuditEvents : kRecentAuditEventsOfUser, kOperation);
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  if (user_id.empty()) {
    statement->BindInt(1, LimitParameter(limit));
  } else {
    statement->BindText(1, user_id).BindInt(2, LimitParameter(limit));
  }
  return ReadRows<AuditEvent>(*statement, kOperation, ReadAuditEvent);
}

Result<size_t> SqliteStore::PurgeAudit(TimePoint before, size_t batch) {
  Lease connection = BorrowForWrite();
  auto statement = connection->Prepare(kPurgeAuditEvents, "PurgeAudit");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  statement->BindTime(1, before).BindInt(2, LimitParameter(batch));
  if (auto done = statement->Run(); !done) {
    return tl::unexpected(done.error());
  }
  return static_cast<size_t>(connection->changes());
}

}  // namespace sesame::store
