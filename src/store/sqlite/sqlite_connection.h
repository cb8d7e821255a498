#pragma once

// SqliteConnection: one configured SQLite connection (extended result codes, busy timeout, WAL,
// synchronous=FULL, foreign_keys=ON) with its cache of prepared statements; SqliteStatement, a
// cached statement in use; SqliteTransaction, a BEGIN IMMEDIATE that rolls back unless
// committed. Internal to the SQLite backend. A connection is used by one thread at a time (the
// store's pool lends it out); statements and transactions must not outlive it. Every failure is
// kUnavailable with a detail naming the operation and SQLite's reason, never a data value.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/result.h"
#include "store/sqlite/sqlite_handles.h"

namespace sesame::store {

// kUnavailable: "sqlite <operation>: <sqlite3_errstr(result_code)>".
[[nodiscard]] tl::unexpected<Error> SqliteError(std::string_view operation, int result_code);

class SqliteStatement {
 public:
  // `operation` names the caller in error details; it must outlive the statement.
  SqliteStatement(sqlite3_stmt* stmt, std::string_view operation) noexcept;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  // Resets the statement and clears its bindings, so the cache may hand it out again.
  ~SqliteStatement();

  // Parameters are numbered from 1, as ?1, ?2 in the SQL. A failed bind fails the next Step.
  SqliteStatement& BindText(int index, std::string_view text);
  SqliteStatement& BindInt(int index, int64_t value);
  SqliteStatement& BindTime(int index, TimePoint time);
  SqliteStatement& BindOptionalTime(int index, const std::optional<TimePoint>& time);  // NULL

  // True when a row is ready, false when the statement is done.
  [[nodiscard]] Result<bool> Step();
  // Steps to the end, ignoring any rows.
  [[nodiscard]] Result<void> Run();
  // Extended result code of the last failed Step (SQLITE_OK if none).
  int failure_code() const { return failure_code_; }

  // Columns of the current row, numbered from 0.
  std::string Text(int column) const;
  int64_t Int(int column) const;
  TimePoint Time(int column) const;
  std::optional<TimePoint> OptionalTime(int column) const;  // NULL as nullopt

 private:
  sqlite3_stmt* stmt_;          // owned by the connection's cache
  std::string_view operation_;  // views the caller's constant
  int bind_code_ = SQLITE_OK;
  int failure_code_ = SQLITE_OK;
};

class SqliteConnection {
 public:
  // Opens `path` read-write (creating it if missing) and configures the connection.
  [[nodiscard]] static Result<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, std::chrono::milliseconds busy_timeout);

  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // The cached statement for `sql`, prepared on first use. `sql` is the cache key and must have
  // static storage (a constant); only one SqliteStatement per text may be alive at a time.
  [[nodiscard]] Result<SqliteStatement> Prepare(std::string_view sql, std::string_view operation);
  // Runs one or more statements without caching them (pragmas, schema migrations).
  [[nodiscard]] Result<void> Exec(const std::string& sql, std::string_view operation);

  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int64_t changes() const { return sqlite3_changes64(db_.get()); }
  bool is_in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  // The connection's last error message; may name tables and columns, never bound values.
  std::string_view last_error_message() const { return sqlite3_errmsg(db_.get()); }

 private:
  explicit SqliteConnection(SqliteDbPtr db) : db_(std::move(db)) {}

  SqliteDbPtr db_;  // declared first: destroyed after the statements
  std::unordered_map<std::string_view, SqliteStmtPtr> statements_;  // keys view static SQL
};

class SqliteTransaction {
 public:
  // BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy timeout), so the reads
  // that decide a write see the state the write applies to.
  [[nodiscard]] static Result<SqliteTransaction> BeginImmediate(SqliteConnection& connection,
                                                                std::string_view operation);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  // Rolls back unless Commit succeeded.
  ~SqliteTransaction();

  [[nodiscard]] Result<void> Commit();

 private:
  SqliteTransaction(SqliteConnection* connection, std::string_view operation)
      : connection_(connection), operation_(operation) {}

  SqliteConnection* connection_;  // null once committed or moved from
  std::string_view operation_;
};

}  // namespace sesame::store
