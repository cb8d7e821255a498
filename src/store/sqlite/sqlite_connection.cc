#include "store/sqlite/sqlite_connection.h"

#include <algorithm>
#include <limits>
#include <thread>
#include <utility>

namespace sesame::store {
namespace {

constexpr std::string_view kBegin = "BEGIN IMMEDIATE";
constexpr std::string_view kCommit = "COMMIT";
constexpr std::string_view kRollback = "ROLLBACK";

}  // namespace

tl::unexpected<Error> SqliteError(std::string_view operation, int result_code) {
  std::string detail = "sqlite ";
  detail.append(operation);
  detail.append(": ");
  detail.append(sqlite3_errstr(result_code));
  return MakeError(ErrorCode::kUnavailable, std::move(detail));
}

// SqliteStatement.

SqliteStatement::SqliteStatement(sqlite3_stmt* stmt, std::string_view operation) noexcept
    : stmt_(stmt), operation_(operation) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      operation_(other.operation_),
      bind_code_(other.bind_code_),
      failure_code_(other.failure_code_) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) {
    // reset returns the last step's error again; it was reported by Step already.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

SqliteStatement& SqliteStatement::BindText(int index, std::string_view text) {
  // SQLITE_TRANSIENT copies: callers may bind temporaries. A null pointer would bind NULL, so
  // an empty view binds "" instead.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_code_ == SQLITE_OK) {
    bind_code_ = rc;
  }
  return *this;
}

SqliteStatement& SqliteStatement::BindInt(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_code_ == SQLITE_OK) {
    bind_code_ = rc;
  }
  return *this;
}

SqliteStatement& SqliteStatement::BindTime(int index, TimePoint time) {
  return BindInt(index, ToUnixSeconds(time));
}

SqliteStatement& SqliteStatement::BindOptionalTime(int index,
                                                   const std::optional<TimePoint>& time) {
  if (time) {
    return BindTime(index, *time);
  }
  const int rc = sqlite3_bind_null(stmt_, index);
  if (bind_code_ == SQLITE_OK) {
    bind_code_ = rc;
  }
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (bind_code_ != SQLITE_OK) {
    failure_code_ = bind_code_;
    return SqliteError(operation_, bind_code_);
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  failure_code_ = rc;
  return SqliteError(operation_, rc);
}

Result<void> SqliteStatement::Run() {
  for (;;) {
    auto row = Step();
    if (!row) {
      return tl::unexpected(row.error());
    }
    if (!*row) {
      return {};
    }
  }
}

std::string SqliteStatement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) {
    return std::string();
  }
  // Bytes after text: the length call must come after sqlite3_column_text.
  const int size = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

int64_t SqliteStatement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

TimePoint SqliteStatement::Time(int column) const {
  return FromUnixSeconds(Int(column));
}

std::optional<TimePoint> SqliteStatement::OptionalTime(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
    return std::nullopt;
  }
  return Time(column);
}

// SqliteConnection.

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the pool lends a connection to one thread at a time, so SQLite's own per-connection
  // mutex would only cost.
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDbPtr db(raw);  // set even on most failures, and must be closed then too
  if (rc != SQLITE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "sqlite cannot open " + path + ": " + sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(db.get(), 1);
  const auto timeout_ms = std::min<int64_t>(busy_timeout.count(), std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db.get(), static_cast<int>(std::max<int64_t>(timeout_ms, 0)));
  // Defensive mode refuses the few statements that can corrupt a file on purpose
  // (writable_schema and the like); nothing here needs them.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(std::move(db)));
  // WAL lets readers (the CLI, other pool connections) go on while one writer commits; FULL
  // syncs the WAL on every commit, so an acknowledged write survives a power cut.
  // Switching a new file to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at once,
  // without the busy handler (which could deadlock there), while another connection opens the
  // same new file. Retry within the busy timeout; any other error ends the open.
  const auto give_up = std::chrono::steady_clock::now() + busy_timeout;
  for (;;) {
    auto journal_mode = connection->Prepare("PRAGMA journal_mode=WAL", "open: journal_mode");
    if (!journal_mode) {
      return tl::unexpected(journal_mode.error());
    }
    auto row = journal_mode->Step();
    if (!row) {
      const int code = sqlite3_errcode(connection->db_.get()) & 0xff;
      if ((code == SQLITE_BUSY || code == SQLITE_LOCKED) &&
          std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        continue;
      }
      return tl::unexpected(row.error());
    }
    if (!*row || journal_mode->Text(0) != "wal") {
      return MakeError(ErrorCode::kUnavailable,
                       "sqlite cannot switch " + path + " to WAL journal mode");
    }
    break;
  }
  if (auto pragmas =
          connection->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", "open: pragmas");
      !pragmas) {
    return tl::unexpected(pragmas.error());
  }
  return connection;
}

Result<SqliteStatement> SqliteConnection::Prepare(std::string_view sql,
                                                  std::string_view operation) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    SqliteStmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
      return SqliteError(operation, rc);
    }
    it = statements_.emplace(sql, std::move(stmt)).first;
  }
  return SqliteStatement(it->second.get(), operation);
}

Result<void> SqliteConnection::Exec(const std::string& sql, std::string_view operation) {
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteError(operation, rc);
  }
  return {};
}

// SqliteTransaction.

Result<SqliteTransaction> SqliteTransaction::BeginImmediate(SqliteConnection& connection,
                                                            std::string_view operation) {
  if (connection.is_in_transaction()) {
    // Only a failed rollback leaves one open; clear it rather than fail every later call.
    if (auto rollback = connection.Prepare(kRollback, operation); rollback) {
      (void)rollback->Run();
    }
  }
  auto begin = connection.Prepare(kBegin, operation);
  if (!begin) {
    return tl::unexpected(begin.error());
  }
  if (auto done = begin->Run(); !done) {
    return tl::unexpected(done.error());
  }
  return SqliteTransaction(&connection, operation);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), operation_(other.operation_) {}

SqliteTransaction::~SqliteTransaction() {
  // SQLite itself rolls back after some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY on
  // commit); then there is nothing left to undo.
  if (connection_ == nullptr || !connection_->is_in_transaction()) {
    return;
  }
  if (auto rollback = connection_->Prepare(kRollback, operation_); rollback) {
    (void)rollback->Run();
  }
}

Result<void> SqliteTransaction::Commit() {
  auto commit = connection_->Prepare(kCommit, operation_);
  if (!commit) {
    return tl::unexpected(commit.error());
  }
  if (auto done = commit->Run(); !done) {
    return tl::unexpected(done.error());
  }
  connection_ = nullptr;
  return {};
}

}  // namespace sesame::store
