#pragma once

// What a route answers. The connection turns it into an HTTP/1.1 message; the access log and
// metrics read `session_id` and the status. Error bodies come from error_response.h only.
// Plain value; thread-compatible.

#include <string>
#include <string_view>
#include <utility>

namespace sesame::http {

struct Response {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  // Extra header lines, already serialised ("Name: value\r\n" each): one buffer instead of
  // a string pair per header keeps the hot path to a single allocation.
  std::string headers;
  std::string session_id;  // for the access log; public, never a secret
  bool close = false;      // close the connection after this response

  void AddHeader(std::string_view name, std::string_view value) {
    headers.append(name).append(": ").append(value).append("\r\n");
  }
  // The value of an extra header (exact name); empty if absent.
  std::string_view HeaderValue(std::string_view name) const {
    size_t pos = 0;
    while (pos < headers.size()) {
      const size_t end = headers.find("\r\n", pos);
      const std::string_view line(headers.data() + pos, end - pos);
      if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name &&
          line[name.size()] == ':') {
        return line.substr(name.size() + 2);
      }
      pos = end + 2;
    }
    return {};
  }

  static Response Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
  }
  static Response NoContent() {
    Response r;
    r.status = 204;
    return r;
  }
  static Response Redirect(std::string_view location) {
    Response r;
    r.status = 303;
    r.AddHeader("Location", location);
    return r;
  }
};

}  // namespace sesame::http
