#pragma once

// Routes by method and path pattern ("/v1/sessions/{id}"). A handler answers at once (quick
// work on the io thread) or hands a closure to a worker pool (Deferred); the connection runs
// it there and resumes on its own strand. Route names (the patterns) label metrics and the
// access log, so no user data ends up in a label.
// Build the table before serving; then Find() is thread-safe (read-only).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/request.h"
#include "http/response.h"
#include "http/worker_pool.h"

namespace sesame::http {

struct Deferred {
  WorkerPool* pool = nullptr;
  std::function<Response()> work;
};
using Reply = std::variant<Response, Deferred>;
using Handler = std::function<Reply(Request&)>;

class Router {
 public:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;  // null: no route
    size_t route_index = 0;        // valid when route is set
    bool path_matched = false;     // some route has this path, but not this method
    std::string allow;             // then: the methods it has ("GET, DELETE")
  };

  Router();

  void Add(Method method, std::string pattern, Handler handler);
  // Fills request.params on a match.
  Match Find(Request& request) const;

  size_t size() const { return routes_.size(); }
  const std::string& RoutePattern(size_t index) const { return routes_[index].pattern; }
  // Route names for metrics; index size() is "unmatched".
  std::vector<std::string> RouteNames() const;

 private:
  std::vector<Route> routes_;
};

}  // namespace sesame::http
