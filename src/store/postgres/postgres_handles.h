#pragma once

// One owning alias per libpq handle type. Only the PostgreSQL backend's .cc files include this
// header; no other code finishes a connection or clears a result.

#include <memory>

#include <libpq-fe.h>

namespace sesame::store {

struct PgConnDeleter {
  // Sends the Terminate message (the socket is non-blocking: it never waits) and closes.
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
struct PgConninfoDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;
using PgConninfoPtr = std::unique_ptr<PQconninfoOption, PgConninfoDeleter>;

}  // namespace sesame::store
