#pragma once

// The PostgreSQL schema, versioned in the binary: an ordered list of migration scripts, the
// `schema_migrations` table recording which are applied. Internal to the PostgreSQL backend.
// Safe when several nodes start at once against the same database: migrations run in one
// transaction holding an advisory lock, and each node re-reads the version under it.

#include <cstdint>

#include "common/result.h"

namespace sesame::store {

class PostgresConnection;

// The schema version this binary writes: the number of migrations it knows.
int64_t PostgresSchemaVersion();

// Brings the database up to PostgresSchemaVersion(). kUnavailable if a migration fails (nothing
// of it is kept), if the lock is not granted within the connection's statement_timeout, or if the
// database comes from a newer sesame (its version is higher than this binary knows), which is then
// left as is.
[[nodiscard]] Result<void> MigratePostgresSchema(PostgresConnection& connection);

}  // namespace sesame::store
