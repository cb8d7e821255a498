#include "store/postgres/postgres_schema.h"

#include <array>
#include <string>
#include <string_view>

#include "store/postgres/postgres_connection.h"

namespace sesame::store {
namespace {

// Migration i takes a database from version i to i + 1. Append only: a released migration never
// changes, since databases in the field already ran it. Times are bigint unix seconds. Keys are
// COLLATE "C": bytewise order and equality, as in the SQLite and memory stores. Roles are a
// text[], so any text round-trips without an encoding of our own.
constexpr std::array<const char*, 2> kMigrations = {
    R"sql(
CREATE TABLE users (
  id text COLLATE "C" NOT NULL,
  username text NOT NULL,
  username_key text COLLATE "C" NOT NULL,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT '{}',
  disabled boolean NOT NULL DEFAULT false,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  CONSTRAINT users_pkey PRIMARY KEY (id),
  -- PostgresStore::CreateUser names this constraint: keep the name.
  CONSTRAINT users_username_key_unique UNIQUE (username_key)
);

CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY,
  at bigint NOT NULL,
  type text NOT NULL,
  user_id text COLLATE "C" NOT NULL,
  actor_id text NOT NULL,
  session_id text NOT NULL,
  ip text NOT NULL,
  detail text NOT NULL,
  CONSTRAINT audit_events_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
)sql",
    // 2: usernames' confusable skeletons (UTS #39), unique where set (a UNIQUE constraint lets
    // any number of rows be NULL). Rows from before have none until the application's start-up
    // back-fill computes them; it leaves NULL on the later of two accounts that look alike. The
    // partial index makes that walk cost what is left to fill, at every start.
    R"sql(
ALTER TABLE users ADD COLUMN username_skeleton text COLLATE "C";
-- PostgresStore names this constraint: keep the name.
ALTER TABLE users ADD CONSTRAINT users_username_skeleton_unique UNIQUE (username_skeleton);
CREATE INDEX users_without_skeleton ON users (created_at, id) WHERE username_skeleton IS NULL;
)sql",
};

constexpr std::string_view kOperation = "migrate schema";

// Taken by every node that migrates, for the rest of its transaction: "sesame" in ASCII, then 1.
constexpr int64_t kMigrationLockKey = 0x7365'7361'6d65'0001;

constexpr PostgresStatement kMigrationsTableExists{
    "migrations_table_exists", "SELECT to_regclass('schema_migrations') IS NOT NULL"};
constexpr PostgresStatement kReadVersion{
    "read_schema_version", "SELECT coalesce(max(version), 0)::bigint FROM schema_migrations"};
constexpr PostgresStatement kLockMigrations{"lock_schema_migrations",
                                            "SELECT pg_advisory_xact_lock($1)"};
constexpr PostgresStatement kRecordMigration{"record_schema_migration",
                                             "INSERT INTO schema_migrations (version, applied_at) "
                                             "VALUES ($1, extract(epoch FROM now())::bigint)"};
constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version integer PRIMARY KEY, applied_at bigint NOT NULL)";

constexpr std::array<Oid, 1> kBoolColumn = {kPgBoolOid};
constexpr std::array<Oid, 1> kInt8Column = {kPgInt8Oid};

tl::unexpected<Error> Unreadable(std::string_view what) {
  return MakeError(ErrorCode::kUnavailable, "postgres migrate schema: unreadable " +
                                                std::string(what) + ": not a sesame database?");
}

// 0 when there is no schema_migrations table yet.
Result<int64_t> ReadVersion(PostgresConnection& connection) {
  auto exists = connection.Execute(kMigrationsTableExists, PostgresParams(), kOperation);
  if (!exists) {
    return tl::unexpected(exists.error());
  }
  if (exists->size() != 1 || !exists->HasColumnTypes(kBoolColumn)) {
    return Unreadable("catalog answer");
  }
  if (!exists->Bool(0, 0)) {
    return 0;
  }
  auto version = connection.Execute(kReadVersion, PostgresParams(), kOperation);
  if (!version) {
    return tl::unexpected(version.error());
  }
  if (version->size() != 1 || !version->HasColumnTypes(kInt8Column) || version->Int(0, 0) < 0) {
    return Unreadable("schema version");
  }
  return version->Int(0, 0);
}

tl::unexpected<Error> NewerVersionError(int64_t version) {
  return MakeError(ErrorCode::kUnavailable,
                   "postgres database schema version " + std::to_string(version) +
                       " is newer than this sesame knows (" +
                       std::to_string(PostgresSchemaVersion()) +
                       "): it was written by a newer release; upgrade sesame to use it");
}

}  // namespace

int64_t PostgresSchemaVersion() {
  return static_cast<int64_t>(kMigrations.size());
}

Result<void> MigratePostgresSchema(PostgresConnection& connection) {
  // Without the lock first: an up-to-date database (the usual case) then costs no lock and no
  // DDL, so nodes restarting together do not queue behind each other.
  auto version = ReadVersion(connection);
  if (!version) {
    return tl::unexpected(version.error());
  }
  if (*version > PostgresSchemaVersion()) {
    return NewerVersionError(*version);
  }
  if (*version == PostgresSchemaVersion()) {
    return {};
  }
  auto transaction = PostgresTransaction::Begin(connection, kOperation);
  if (!transaction) {
    return tl::unexpected(transaction.error());
  }
  // Everything below runs under the lock, including creating schema_migrations: two nodes
  // creating the same table at once would otherwise collide in the catalog.
  if (auto locked =
          connection.Execute(kLockMigrations, PostgresParams().Int(kMigrationLockKey), kOperation);
      !locked) {
    return tl::unexpected(locked.error());
  }
  if (auto created = connection.ExecScript(kCreateMigrationsTable, kOperation); !created) {
    return created;
  }
  // Another node may have migrated between our read and our lock: read again under it.
  version = ReadVersion(connection);
  if (!version) {
    return tl::unexpected(version.error());
  }
  if (*version > PostgresSchemaVersion()) {
    return NewerVersionError(*version);
  }
  // DDL is transactional in PostgreSQL: all pending migrations commit together or not at all.
  for (int64_t next = *version; next < PostgresSchemaVersion(); ++next) {
    if (auto applied = connection.ExecScript(kMigrations[static_cast<size_t>(next)], kOperation);
        !applied) {
      return applied;
    }
    if (auto recorded =
            connection.Execute(kRecordMigration, PostgresParams().Int(next + 1), kOperation);
        !recorded) {
      return tl::unexpected(recorded.error());
    }
  }
  return transaction->Commit();
}

}  // namespace sesame::store
