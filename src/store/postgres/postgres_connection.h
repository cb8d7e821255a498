#pragma once

// PostgresConnection: one libpq connection, made and used with deadlines, with its own prepared
// statements; PostgresParams, statement parameters sent in binary; PostgresRows, a result read in
// binary; PostgresTransaction, a BEGIN that rolls back unless committed; PostgresTarget, the
// parsed connection URL. Internal to the PostgreSQL backend. A connection is used by one thread
// at a time (the store's pool lends it out). Every failure is kUnavailable with a detail naming
// the operation and the server's or libpq's reason, never a bound value nor the password.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <libpq-fe.h>

#include "common/clock.h"
#include "common/result.h"
#include "common/secret_bytes.h"
#include "store/postgres/postgres_handles.h"

namespace sesame::store {

// Type oids of the built-in types we send and read (pg_type.h is a server header).
inline constexpr Oid kPgBoolOid = 16;
inline constexpr Oid kPgInt8Oid = 20;
inline constexpr Oid kPgTextOid = 25;
inline constexpr Oid kPgTextArrayOid = 1009;

// Where to connect. `conninfo` is the URL as given, NUL-terminated for libpq; it holds the
// password, as does `password`, kept only to scrub it from libpq's messages. `redacted` is
// "postgresql://user@host:port/dbname", safe for logs.
struct PostgresTarget {
  SecretBytes conninfo;
  SecretBytes password;
  std::string redacted;
};

// Parses a libpq URI or key=value string. kInvalidConfig if libpq cannot parse it; the detail
// then leaves out the quoted parts of libpq's message, which may hold the password.
[[nodiscard]] Result<PostgresTarget> ParsePostgresTarget(const std::string& url);

// A prepared statement: `name` and `sql` are constants (static storage, NUL-terminated).
struct PostgresStatement {
  const char* name;
  const char* sql;
};

// Parameters $1, $2, ... in the order added, each sent in binary with its type, so no value is
// ever parsed as SQL or as text input syntax.
class PostgresParams {
 public:
  PostgresParams& Text(std::string_view text);
  PostgresParams& Int(int64_t value);
  PostgresParams& Time(TimePoint time);  // bigint unix seconds
  PostgresParams& Bool(bool value);
  // A one-dimensional text[] (an empty array when `texts` is empty).
  PostgresParams& TextArray(const std::vector<std::string>& texts);

  int size() const { return static_cast<int>(types_.size()); }
  const std::vector<Oid>& types() const { return types_; }
  const std::vector<std::string>& values() const { return values_; }
  // False if a value is too large for the protocol (over 2 GiB); Execute then fails.
  bool is_valid() const { return is_valid_; }

 private:
  PostgresParams& Add(Oid type, std::string value);

  std::vector<Oid> types_;
  std::vector<std::string> values_;  // binary send formats
  bool is_valid_ = true;
};

// A successful result, read in binary. Rows and columns are numbered from 0.
class PostgresRows {
 public:
  explicit PostgresRows(PgResultPtr result) : result_(std::move(result)) {}

  int size() const { return PQntuples(result_.get()); }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected_rows() const;
  // True if the result has exactly these column types, in order.
  bool HasColumnTypes(std::span<const Oid> types) const;

  // NULL reads as "", 0 and false.
  std::string Text(int row, int column) const;
  int64_t Int(int row, int column) const;
  TimePoint Time(int row, int column) const { return FromUnixSeconds(Int(row, column)); }
  bool Bool(int row, int column) const;
  // nullopt if the value is not a one-dimensional text[] without NULLs.
  std::optional<std::vector<std::string>> TextArray(int row, int column) const;

 private:
  PgResultPtr result_;
};

// What the server said about the last failed statement (empty when libpq itself failed).
struct PostgresFailure {
  std::string sqlstate;    // "23505"
  std::string constraint;  // for integrity violations: the constraint's name
};

class PostgresConnection {
 public:
  // Connects within `connect_timeout` (libpq's own connect_timeout counts in whole seconds, at
  // least 2), forces client_encoding UTF8 and sets statement_timeout for the session. Each round
  // trip afterwards waits at most statement_timeout + connect_timeout for the server (forever
  // when statement_timeout is 0); a connection that misses it is broken. Host names are resolved
  // by libpq, which blocks meanwhile.
  [[nodiscard]] static Result<std::unique_ptr<PostgresConnection>> Connect(
      const PostgresTarget& target, std::chrono::milliseconds connect_timeout,
      std::chrono::milliseconds statement_timeout);

  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  // Prepares `statement` on this connection on first use (with the types of `params`, so a
  // statement must always be run with the same types), then runs it.
  [[nodiscard]] Result<PostgresRows> Execute(const PostgresStatement& statement,
                                             const PostgresParams& params,
                                             std::string_view operation);
  // Runs constant SQL, one or more statements without parameters (transaction control, schema
  // migrations). Never pass it text that holds a value.
  [[nodiscard]] Result<void> ExecScript(const char* sql, std::string_view operation);

  // Before lending an idle connection: false if it is broken or the server has spoken since
  // (an idle connection hears from the server only when it is being closed: shutdown, restart,
  // an administrator's pg_terminate_backend).
  bool IsUsableWhenIdle();
  // After use: false if the connection failed, missed a deadline or is inside a transaction.
  bool IsReusable() const;
  const PostgresFailure& last_failure() const { return last_failure_; }

 private:
  PostgresConnection(PgConnPtr conn, std::chrono::milliseconds round_trip_budget)
      : conn_(std::move(conn)), round_trip_budget_(round_trip_budget) {}

  static void ReceiveNotice(void* self, const PGresult* result);

  // Flushes what a PQsend* call queued and collects its results: the first error, or else the
  // last result.
  Result<PgResultPtr> Await(std::string_view operation);
  Result<void> SetStatementTimeout(std::chrono::milliseconds statement_timeout);
  tl::unexpected<Error> Fail(std::string_view operation, std::string reason);
  tl::unexpected<Error> FailFromConnection(std::string_view operation);
  tl::unexpected<Error> FailFromResult(std::string_view operation, const PGresult* result);

  PgConnPtr conn_;
  const std::chrono::milliseconds round_trip_budget_;  // 0: no deadline
  std::unordered_set<std::string_view> prepared_;      // names of PostgresStatement constants
  PostgresFailure last_failure_;
  bool is_broken_ = false;
};

class PostgresTransaction {
 public:
  [[nodiscard]] static Result<PostgresTransaction> Begin(PostgresConnection& connection,
                                                         std::string_view operation);
  PostgresTransaction(PostgresTransaction&& other) noexcept;
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(PostgresTransaction&&) = delete;
  // Rolls back unless Commit succeeded. If even that fails, the connection is left inside the
  // transaction, and the pool drops it (IsReusable is false).
  ~PostgresTransaction();

  [[nodiscard]] Result<void> Commit();

 private:
  PostgresTransaction(PostgresConnection* connection, std::string_view operation)
      : connection_(connection), operation_(operation) {}

  PostgresConnection* connection_;  // null once committed or moved from
  std::string_view operation_;
};

}  // namespace sesame::store
