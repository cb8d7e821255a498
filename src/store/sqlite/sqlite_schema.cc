#include "store/sqlite/sqlite_schema.h"

#include <array>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_connection.h"

namespace sesame::store {
namespace {

// Migration i takes a file from user_version i to i + 1. Append only: a released migration
// never changes, since files in the field already ran it. Times are unix seconds; optional
// times are NULL. STRICT tables refuse a value of the wrong type instead of storing it.
constexpr std::array<std::string_view, 3> kMigrations = {
    R"sql(
CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  roles TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL,
  mode TEXT NOT NULL,       -- "session" or "jwt"
  transport TEXT NOT NULL,  -- "cookie" or "header"
  secret_hash TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  remember INTEGER NOT NULL,
  revoked_at INTEGER,
  revoke_reason TEXT NOT NULL,
  refresh_generation INTEGER NOT NULL,
  refresh_hash TEXT NOT NULL,
  previous_refresh_hash TEXT NOT NULL,
  rotated_at INTEGER
) STRICT;
-- jwt-mode sessions have no secret: only non-empty hashes are unique.
CREATE UNIQUE INDEX sessions_by_secret_hash ON sessions (secret_hash) WHERE secret_hash <> '';
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);

CREATE TABLE changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after a purge
  kind TEXT NOT NULL,  -- "session_revoked", "user_sessions_revoked", "user_changed"
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX changes_by_time ON changes (at);

CREATE TABLE rate_counters (
  key TEXT PRIMARY KEY NOT NULL,
  count INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  last_hit INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  user_id TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
)sql",
    // 2: the revocation set is rebuilt at start from recently revoked jwt sessions.
    R"sql(
CREATE INDEX sessions_by_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
)sql",
    // 3: usernames' confusable skeletons (UTS #39), unique where set. Rows from before have none
    // (NULL) until the application's start-up back-fill computes them; it leaves NULL on the later
    // of two accounts that look alike, and NULLs never collide. The partial index makes the
    // back-fill's walk cost what is left to fill, not the whole table, at every start.
    R"sql(
ALTER TABLE users ADD COLUMN username_skeleton TEXT;
CREATE UNIQUE INDEX users_by_skeleton ON users (username_skeleton)
  WHERE username_skeleton IS NOT NULL;
CREATE INDEX users_without_skeleton ON users (created_at, id) WHERE username_skeleton IS NULL;
)sql",
};

constexpr std::string_view kReadVersion = "PRAGMA user_version";

Result<int64_t> ReadVersion(SqliteConnection& connection) {
  auto statement = connection.Prepare(kReadVersion, "read schema version");
  if (!statement) {
    return tl::unexpected(statement.error());
  }
  auto row = statement->Step();
  if (!row) {
    return tl::unexpected(row.error());
  }
  const int64_t version = *row ? statement->Int(0) : 0;
  if (version < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "sqlite database has a negative schema version: not a sesame database");
  }
  return version;
}

tl::unexpected<Error> NewerVersionError(int64_t version) {
  return MakeError(ErrorCode::kUnavailable,
                   "sqlite database schema version " + std::to_string(version) +
                       " is newer than this sesame knows (" +
                       std::to_string(SqliteSchemaVersion()) +
                       "): it was written by a newer release; upgrade sesame to open it");
}

}  // namespace

int64_t SqliteSchemaVersion() {
  return static_cast<int64_t>(kMigrations.size());
}

Result<void> MigrateSqliteSchema(SqliteConnection& connection) {
  // Without a lock first: an up-to-date file (the usual case) then costs no write lock, so the
  // CLI opens while the server is busy writing.
  auto version = ReadVersion(connection);
  if (!version) {
    return tl::unexpected(version.error());
  }
  if (*version > SqliteSchemaVersion()) {
    return NewerVersionError(*version);
  }
  while (*version < SqliteSchemaVersion()) {
    auto transaction = SqliteTransaction::BeginImmediate(connection, "migrate schema");
    if (!transaction) {
      return tl::unexpected(transaction.error());
    }
    // Another process may have migrated between our read and our lock: read again under it.
    version = ReadVersion(connection);
    if (!version) {
      return tl::unexpected(version.error());
    }
    if (*version > SqliteSchemaVersion()) {
      return NewerVersionError(*version);
    }
    if (*version == SqliteSchemaVersion()) {
      return transaction->Commit();
    }
    const auto index = static_cast<size_t>(*version);
    if (auto applied = connection.Exec(std::string(kMigrations[index]), "migrate schema");
        !applied) {
      return applied;
    }
    // PRAGMA takes no parameters; the value is our own integer.
    if (auto set = connection.Exec("PRAGMA user_version = " + std::to_string(*version + 1),
                                   "migrate schema");
        !set) {
      return set;
    }
    if (auto committed = transaction->Commit(); !committed) {
      return committed;
    }
    *version += 1;
  }
  return {};
}

}  // namespace sesame::store
