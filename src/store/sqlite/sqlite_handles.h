#pragma once

// One owning alias per SQLite handle type. Only the SQLite backend's .cc files include this
// header; no other code closes a connection or finalizes a statement.

#include <memory>

#include <sqlite3.h>

namespace sesame::store {

struct SqliteDbDeleter {
  // close_v2 defers the close until every statement is finalized, so the order in which owners
  // are destroyed cannot leak the connection.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteStmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};

using SqliteDbPtr = std::unique_ptr<sqlite3, SqliteDbDeleter>;
using SqliteStmtPtr = std::unique_ptr<sqlite3_stmt, SqliteStmtDeleter>;

}  // namespace sesame::store
