#pragma once

// The SQLite schema, versioned in the binary: an ordered list of migration scripts, the file's
// `PRAGMA user_version` counting how many are applied. Internal to the SQLite backend.
// Safe when several processes open the same file at once (the server and the CLI).

#include <cstdint>

#include "common/result.h"

namespace sesame::store {

class SqliteConnection;

// The schema version this binary writes: the number of migrations it knows.
int64_t SqliteSchemaVersion();

// Brings the file up to SqliteSchemaVersion(), each migration in its own BEGIN IMMEDIATE
// transaction. kUnavailable if a migration fails (nothing of it is kept) or if the file comes
// from a newer sesame (its version is higher than this binary knows), which is then left as is.
[[nodiscard]] Result<void> MigrateSqliteSchema(SqliteConnection& connection);

}  // namespace sesame::store
