#include "store/postgres/postgres_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

namespace sesame::store {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kBegin = "BEGIN";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
// The value is a bound parameter like any other; set_config rather than SET, which takes none.
constexpr const char* kSetStatementTimeout = "SELECT set_config('statement_timeout', $1, false)";

constexpr size_t kMaxValueSize = static_cast<size_t>(std::numeric_limits<int32_t>::max());

// libpq's messages end in a newline and continue on tab-indented lines: one line for a detail.
std::string OneLine(std::string_view message) {
  std::string out;
  bool in_space = false;
  for (const char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) {
      out.push_back(' ');
    }
    in_space = false;
    out.push_back(c);
  }
  return out;
}

// libpq quotes the offending part of a connection string it cannot parse, which may be the
// password (an invalid percent-encoding in it, say): keep the message, not the quoted parts.
std::string WithoutQuotedParts(std::string_view message) {
  std::string out;
  bool in_quotes = false;
  for (const char c : message) {
    if (c == '"') {
      if (!in_quotes) {
        out.append("\"...\"");
      }
      in_quotes = !in_quotes;
      continue;
    }
    if (!in_quotes) {
      out.push_back(c);
    }
  }
  return out;
}

// No libpq message we know of repeats the password, but a detail must never hold it.
std::string Scrub(std::string message, std::string_view password) {
  if (password.empty()) {
    return message;
  }
  for (size_t at = message.find(password); at != std::string::npos;
       at = message.find(password, at)) {
    message.replace(at, password.size(), "***");
    at += 3;
  }
  return message;
}

void WipeCString(char* text) {
  if (text != nullptr) {
    SecureWipe(text, std::strlen(text));
  }
}

// Waits until `fd` is ready for `events` or `deadline` passes (no deadline when nullopt).
// Returns the ready events, 0 on timeout, -1 if the socket is unusable.
int WaitForSocket(int fd, short events, std::optional<SteadyClock::time_point> deadline) {
  if (fd < 0) {
    return -1;
  }
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*deadline - SteadyClock::now()).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, std::numeric_limits<int>::max()));
    }
    pollfd descriptor{.fd = fd, .events = events, .revents = 0};
    const int ready = ::poll(&descriptor, 1, timeout_ms);
    if (ready > 0) {
      if ((descriptor.revents & POLLNVAL) != 0) {
        return -1;
      }
      // An error or hang-up shows as readable: the next read reports it properly.
      return (descriptor.revents & (POLLERR | POLLHUP)) != 0 ? (descriptor.revents | POLLIN)
                                                             : descriptor.revents;
    }
    if (ready == 0) {
      return 0;
    }
    if (errno != EINTR) {
      return -1;
    }
  }
}

void AppendInt32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

uint32_t ReadUint32(const char* bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

bool IsConnectionLevel(std::string_view sqlstate) {
  // Class 08: connection exceptions; 57P01..57P03: the server is shutting down, crashed or
  // starting; 26000: our prepared statement is gone (a pooler in between discarded it).
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "26000";
}

}  // namespace

// PostgresTarget.

Result<PostgresTarget> ParsePostgresTarget(const std::string& url) {
  char* raw_error = nullptr;
  PgConninfoPtr options(PQconninfoParse(url.c_str(), &raw_error));
  if (!options) {
    std::string reason = raw_error != nullptr ? WithoutQuotedParts(OneLine(raw_error))
                                              : std::string("out of memory");
    WipeCString(raw_error);
    PQfreemem(raw_error);
    return MakeError(ErrorCode::kInvalidConfig,
                     "postgres connection URL cannot be parsed: " + reason);
  }
  PostgresTarget target;
  std::string user;
  std::string host;
  std::string hostaddr;
  std::string port;
  std::string dbname;
  for (PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr) {
      continue;
    }
    const std::string_view keyword = option->keyword;
    if (keyword == "password") {
      target.password = SecretBytes(std::string_view(option->val));
      WipeCString(option->val);
    } else if (keyword == "user") {
      user = option->val;
    } else if (keyword == "host") {
      host = option->val;
    } else if (keyword == "hostaddr") {
      hostaddr = option->val;
    } else if (keyword == "port") {
      port = option->val;
    } else if (keyword == "dbname") {
      dbname = option->val;
    }
  }
  target.redacted = "postgresql://";
  if (!user.empty()) {
    target.redacted += user + "@";
  }
  target.redacted += host.empty() ? hostaddr : host;
  if (!port.empty()) {
    target.redacted += ":" + port;
  }
  target.redacted += "/" + dbname;
  // With its terminating NUL, for libpq.
  target.conninfo = SecretBytes(std::string_view(url.c_str(), url.size() + 1));
  return target;
}

// PostgresParams.

PostgresParams& PostgresParams::Add(Oid type, std::string value) {
  if (value.size() > kMaxValueSize) {
    is_valid_ = false;
  }
  types_.push_back(type);
  values_.push_back(std::move(value));
  return *this;
}

PostgresParams& PostgresParams::Text(std::string_view text) {
  // textrecv checks the bytes are valid in the database encoding and hold no NUL.
  return Add(kPgTextOid, std::string(text));
}

PostgresParams& PostgresParams::Int(int64_t value) {
  std::string bytes;
  const auto bits = static_cast<uint64_t>(value);
  AppendInt32(bytes, static_cast<uint32_t>(bits >> 32));
  AppendInt32(bytes, static_cast<uint32_t>(bits));
  return Add(kPgInt8Oid, std::move(bytes));
}

PostgresParams& PostgresParams::Time(TimePoint time) {
  return Int(ToUnixSeconds(time));
}

PostgresParams& PostgresParams::Bool(bool value) {
  return Add(kPgBoolOid, std::string(1, value ? '\1' : '\0'));
}

PostgresParams& PostgresParams::TextArray(const std::vector<std::string>& texts) {
  // array_send's format: dimensions, has-nulls flag, element type, then per dimension its size
  // and lower bound, then each element as a length and its bytes.
  std::string bytes;
  AppendInt32(bytes, texts.empty() ? 0 : 1);
  AppendInt32(bytes, 0);
  AppendInt32(bytes, kPgTextOid);
  if (!texts.empty()) {
    if (texts.size() > kMaxValueSize) {
      is_valid_ = false;
    }
    AppendInt32(bytes, static_cast<uint32_t>(texts.size()));
    AppendInt32(bytes, 1);
    for (const std::string& text : texts) {
      if (text.size() > kMaxValueSize) {
        is_valid_ = false;
      }
      AppendInt32(bytes, static_cast<uint32_t>(text.size()));
      bytes.append(text);
    }
  }
  return Add(kPgTextArrayOid, std::move(bytes));
}

// PostgresRows.

int64_t PostgresRows::affected_rows() const {
  const std::string_view tuples = PQcmdTuples(result_.get());
  int64_t count = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), count);
  return count;
}

bool PostgresRows::HasColumnTypes(std::span<const Oid> types) const {
  if (PQnfields(result_.get()) != static_cast<int>(types.size())) {
    return false;
  }
  for (size_t i = 0; i < types.size(); ++i) {
    const int column = static_cast<int>(i);
    if (PQftype(result_.get(), column) != types[i] || PQfformat(result_.get(), column) != 1) {
      return false;
    }
  }
  return true;
}

std::string PostgresRows::Text(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) {
    return std::string();
  }
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

int64_t PostgresRows::Int(int row, int column) const {
  if (PQgetlength(result_.get(), row, column) != 8) {
    return 0;
  }
  const char* bytes = PQgetvalue(result_.get(), row, column);
  const uint64_t bits = (uint64_t{ReadUint32(bytes)} << 32) | ReadUint32(bytes + 4);
  return static_cast<int64_t>(bits);
}

bool PostgresRows::Bool(int row, int column) const {
  return PQgetlength(result_.get(), row, column) == 1 &&
         PQgetvalue(result_.get(), row, column)[0] != 0;
}

std::optional<std::vector<std::string>> PostgresRows::TextArray(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column) != 0) {
    return std::nullopt;
  }
  const char* bytes = PQgetvalue(result_.get(), row, column);
  const auto size = static_cast<size_t>(PQgetlength(result_.get(), row, column));
  size_t pos = 0;
  const auto take = [&](uint32_t& value) {
    if (size - pos < 4) {
      return false;
    }
    value = ReadUint32(bytes + pos);
    pos += 4;
    return true;
  };
  uint32_t dimensions = 0;
  uint32_t has_nulls = 0;
  uint32_t element_type = 0;
  if (!take(dimensions) || !take(has_nulls) || !take(element_type) || dimensions > 1 ||
      element_type != kPgTextOid) {
    return std::nullopt;
  }
  std::vector<std::string> texts;
  if (dimensions == 0) {
    return pos == size ? std::optional(texts) : std::nullopt;
  }
  uint32_t count = 0;
  uint32_t lower_bound = 0;
  if (!take(count) || !take(lower_bound)) {
    return std::nullopt;
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t length = 0;
    // A NULL element has length -1, which is far larger than what is left as an unsigned.
    if (!take(length) || length > size - pos) {
      return std::nullopt;
    }
    texts.emplace_back(bytes + pos, length);
    pos += length;
  }
  if (pos != size) {
    return std::nullopt;
  }
  return texts;
}

// PostgresConnection.

Result<std::unique_ptr<PostgresConnection>> PostgresConnection::Connect(
    const PostgresTarget& target, std::chrono::milliseconds connect_timeout,
    std::chrono::milliseconds statement_timeout) {
  const auto deadline = SteadyClock::now() + connect_timeout;
  const auto fail = [&](std::string_view reason) {
    return MakeError(ErrorCode::kUnavailable, "postgres " + target.redacted + ": cannot connect: " +
                                                  Scrub(OneLine(reason), target.password.view()));
  };
  // Keywords after dbname (which expands the URL) override the URL's: our strings are UTF-8.
  const char* const keywords[] = {"dbname", "client_encoding", "fallback_application_name",
                                  nullptr};
  const char* const values[] = {reinterpret_cast<const char*>(target.conninfo.span().data()),
                                "UTF8", "sesame", nullptr};
  PgConnPtr conn(PQconnectStartParams(keywords, values, /*expand_dbname=*/1));
  if (!conn) {
    return fail("out of memory");
  }
  if (PQstatus(conn.get()) == CONNECTION_BAD) {
    return fail(PQerrorMessage(conn.get()));
  }
  // libpq's protocol for a non-blocking connect: wait as PQconnectPoll says, starting as if it
  // had said "writing". The socket may change on the way (several hosts or addresses).
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      return fail(PQerrorMessage(conn.get()));
    }
    const short events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    const int ready = WaitForSocket(PQsocket(conn.get()), events, deadline);
    if (ready == 0) {
      return fail("no answer within " + std::to_string(connect_timeout.count()) + " ms");
    }
    if (ready < 0) {
      return fail("the connection's socket is unusable");
    }
    polling = PQconnectPoll(conn.get());
  }
  // Non-blocking sends: a server that stops reading cannot hold a call past its deadline.
  if (PQsetnonblocking(conn.get(), 1) != 0) {
    return fail(PQerrorMessage(conn.get()));
  }
  const auto budget = statement_timeout.count() > 0 ? statement_timeout + connect_timeout
                                                    : std::chrono::milliseconds(0);
  std::unique_ptr<PostgresConnection> connection(new PostgresConnection(std::move(conn), budget));
  PQsetNoticeReceiver(connection->conn_.get(), &PostgresConnection::ReceiveNotice,
                      connection.get());
  if (auto set = connection->SetStatementTimeout(statement_timeout); !set) {
    return fail(set.error().detail);
  }
  return connection;
}

void PostgresConnection::ReceiveNotice(void* self, const PGresult* result) {
  // Notices (CREATE TABLE IF NOT EXISTS says it skipped) are dropped rather than printed on
  // stderr. A FATAL one arrives on an idle connection that the server is about to close.
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity != nullptr &&
      (std::strcmp(severity, "FATAL") == 0 || std::strcmp(severity, "PANIC") == 0)) {
    static_cast<PostgresConnection*>(self)->is_broken_ = true;
  }
}

Result<void> PostgresConnection::SetStatementTimeout(std::chrono::milliseconds statement_timeout) {
  const std::string milliseconds = std::to_string(statement_timeout.count());
  const char* const values[] = {milliseconds.c_str()};
  if (PQsendQueryParams(conn_.get(), kSetStatementTimeout, 1, nullptr, values, nullptr, nullptr,
                        0) == 0) {
    return FailFromConnection("set statement_timeout");
  }
  auto result = Await("set statement_timeout");
  if (!result) {
    return tl::unexpected(result.error());
  }
  return {};
}

tl::unexpected<Error> PostgresConnection::Fail(std::string_view operation, std::string reason) {
  std::string detail = "postgres ";
  detail.append(operation);
  detail.append(": ");
  detail.append(reason);
  return MakeError(ErrorCode::kUnavailable, std::move(detail));
}

tl::unexpected<Error> PostgresConnection::FailFromConnection(std::string_view operation) {
  is_broken_ = true;
  last_failure_ = PostgresFailure{};
  return Fail(operation, OneLine(PQerrorMessage(conn_.get())));
}

tl::unexpected<Error> PostgresConnection::FailFromResult(std::string_view operation,
                                                         const PGresult* result) {
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  last_failure_ = PostgresFailure{.sqlstate = sqlstate != nullptr ? sqlstate : "",
                                  .constraint = constraint != nullptr ? constraint : ""};
  if (PQstatus(conn_.get()) != CONNECTION_OK || IsConnectionLevel(last_failure_.sqlstate)) {
    is_broken_ = true;
  }
  // The primary message only: the DETAIL line may quote values ("Key (username_key)=(...)").
  if (sqlstate != nullptr && primary != nullptr) {
    return Fail(operation, OneLine(primary) + " (SQLSTATE " + sqlstate + ")");
  }
  return Fail(operation, OneLine(PQresultErrorMessage(result)));
}

Result<PgResultPtr> PostgresConnection::Await(std::string_view operation) {
  PGconn* conn = conn_.get();
  std::optional<SteadyClock::time_point> deadline;
  if (round_trip_budget_.count() > 0) {
    deadline = SteadyClock::now() + round_trip_budget_;
  }
  const auto timed_out = [&] {
    // The server may still be working on it: this connection's state is unknown from now on.
    is_broken_ = true;
    last_failure_ = PostgresFailure{};
    return Fail(operation,
                "no answer within " + std::to_string(round_trip_budget_.count()) + " ms");
  };
  for (;;) {
    const int flushed = PQflush(conn);
    if (flushed == 0) {
      break;
    }
    if (flushed < 0) {
      return FailFromConnection(operation);
    }
    // libpq's rule while flushing: also read, so a server that answers early cannot deadlock us.
    const int ready = WaitForSocket(PQsocket(conn), POLLIN | POLLOUT, deadline);
    if (ready == 0) {
      return timed_out();
    }
    if (ready < 0 || ((ready & POLLIN) != 0 && PQconsumeInput(conn) == 0)) {
      return FailFromConnection(operation);
    }
  }
  PgResultPtr first_error;
  PgResultPtr last;
  for (;;) {
    while (PQisBusy(conn) != 0) {
      const int ready = WaitForSocket(PQsocket(conn), POLLIN, deadline);
      if (ready == 0) {
        return timed_out();
      }
      if (ready < 0 || PQconsumeInput(conn) == 0) {
        return FailFromConnection(operation);
      }
    }
    PgResultPtr result(PQgetResult(conn));
    if (!result) {
      break;
    }
    switch (PQresultStatus(result.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
      case PGRES_EMPTY_QUERY:
        last = std::move(result);
        break;
      case PGRES_FATAL_ERROR:
      case PGRES_NONFATAL_ERROR:
      case PGRES_BAD_RESPONSE:
        if (!first_error) {
          first_error = std::move(result);
        }
        break;
      default:
        // COPY or pipeline states: never asked for, and they would not end by themselves.
        is_broken_ = true;
        last_failure_ = PostgresFailure{};
        return Fail(operation, std::string("unexpected result status ") +
                                   PQresStatus(PQresultStatus(result.get())));
    }
  }
  if (first_error) {
    return FailFromResult(operation, first_error.get());
  }
  if (!last) {
    is_broken_ = true;
    return Fail(operation, "no result from the server");
  }
  return last;
}

Result<PostgresRows> PostgresConnection::Execute(const PostgresStatement& statement,
                                                 const PostgresParams& params,
                                                 std::string_view operation) {
  if (!params.is_valid()) {
    return Fail(operation, "a parameter is larger than PostgreSQL takes");
  }
  if (!prepared_.contains(statement.name)) {
    if (PQsendPrepare(conn_.get(), statement.name, statement.sql, params.size(),
                      params.types().data()) == 0) {
      return FailFromConnection(operation);
    }
    auto prepared = Await(operation);
    if (!prepared) {
      return tl::unexpected(prepared.error());
    }
    prepared_.insert(statement.name);
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.values().size());
  lengths.reserve(params.values().size());
  for (const std::string& value : params.values()) {
    values.push_back(value.data());
    lengths.push_back(static_cast<int>(value.size()));
  }
  const std::vector<int> formats(params.values().size(), 1);
  if (PQsendQueryPrepared(conn_.get(), statement.name, params.size(), values.data(), lengths.data(),
                          formats.data(), /*resultFormat=*/1) == 0) {
    return FailFromConnection(operation);
  }
  auto result = Await(operation);
  if (!result) {
    return tl::unexpected(result.error());
  }
  return PostgresRows(std::move(*result));
}

Result<void> PostgresConnection::ExecScript(const char* sql, std::string_view operation) {
  if (PQsendQuery(conn_.get(), sql) == 0) {
    return FailFromConnection(operation);
  }
  auto result = Await(operation);
  if (!result) {
    return tl::unexpected(result.error());
  }
  return {};
}

bool PostgresConnection::IsUsableWhenIdle() {
  if (is_broken_ || PQstatus(conn_.get()) != CONNECTION_OK) {
    return false;
  }
  const int ready = WaitForSocket(PQsocket(conn_.get()), POLLIN, SteadyClock::now());
  if (ready == 0) {
    return true;
  }
  // Read what came (end of file makes the connection bad) and parse it: PQconsumeInput only
  // reads, PQisBusy parses, and an error message arriving while idle goes to ReceiveNotice,
  // which marks the connection broken if it is FATAL. Anything else (a TLS record, a parameter
  // change) leaves it usable.
  if (ready < 0 || PQconsumeInput(conn_.get()) == 0) {
    return false;
  }
  (void)PQisBusy(conn_.get());
  return !is_broken_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool PostgresConnection::IsReusable() const {
  return !is_broken_ && PQstatus(conn_.get()) == CONNECTION_OK &&
         PQtransactionStatus(conn_.get()) == PQTRANS_IDLE;
}

// PostgresTransaction.

Result<PostgresTransaction> PostgresTransaction::Begin(PostgresConnection& connection,
                                                       std::string_view operation) {
  if (auto begun = connection.ExecScript(kBegin, operation); !begun) {
    return tl::unexpected(begun.error());
  }
  return PostgresTransaction(&connection, operation);
}

PostgresTransaction::PostgresTransaction(PostgresTransaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), operation_(other.operation_) {}

PostgresTransaction::~PostgresTransaction() {
  if (connection_ != nullptr) {
    // A failure here leaves the connection inside the transaction: the pool then drops it.
    (void)connection_->ExecScript(kRollback, operation_);
  }
}

Result<void> PostgresTransaction::Commit() {
  PostgresConnection* connection = std::exchange(connection_, nullptr);
  return connection->ExecScript(kCommit, operation_);
}

}  // namespace sesame::store
