#pragma once

// The Asio side of WorkerPool, for the server only (keeps Asio out of the routes' includes).

#include <boost/asio/io_context.hpp>

#include "http/worker_pool.h"

namespace sesame::http {

boost::asio::io_context& WorkerPoolContext(WorkerPool& pool);

}  // namespace sesame::http
