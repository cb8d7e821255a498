#include "http/router.h"

#include <array>
#include <utility>

namespace sesame::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return out;
}

bool MatchPath(const Router::Route& route, std::string_view path,
               std::array<std::string_view, 2>* params) {
  if (path.empty() || path[0] != '/') {
    return false;
  }
  size_t param = 0;
  size_t pos = 1;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    if (pos > path.size()) {
      return false;
    }
    const size_t slash = path.find('/', pos);
    const bool last = i + 1 == route.segments.size();
    if (last != (slash == std::string_view::npos)) {
      return false;
    }
    const std::string_view segment = path.substr(pos, slash - pos);
    const std::string& want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      if (segment.empty() || param >= params->size()) {
        return false;
      }
      (*params)[param++] = segment;
    } else if (segment != want) {
      return false;
    }
    pos = slash == std::string_view::npos ? path.size() + 1 : slash + 1;
  }
  return true;
}

}  // namespace

Router::Router() = default;

void Router::Add(Method method, std::string pattern, Handler handler) {
  std::vector<std::string> segments = Split(pattern);
  Route route{method, std::move(pattern), std::move(segments), std::move(handler)};
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(Request& request) const {
  Match match;
  for (size_t i = 0; i < routes_.size(); ++i) {
    std::array<std::string_view, 2> params{};
    if (!MatchPath(routes_[i], request.path, &params)) {
      continue;
    }
    if (routes_[i].method != request.method) {
      match.allow += (match.path_matched ? ", " : "") + std::string(MethodName(routes_[i].method));
    }
    match.path_matched = true;
    if (routes_[i].method == request.method) {
      request.params = params;
      match.route = &routes_[i];
      match.route_index = i;
      return match;
    }
  }
  return match;
}

std::vector<std::string> Router::RouteNames() const {
  std::vector<std::string> names;
  for (const Route& route : routes_) {
    names.push_back(std::string(MethodName(route.method)) + " " + route.pattern);
  }
  names.emplace_back("unmatched");
  return names;
}

}  // namespace sesame::http
