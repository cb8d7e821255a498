#pragma once

// A parsed HTTP request as the router and routes see it: views into buffers the connection
// owns until the response is written, so nothing here is copied per request. Beast stays in
// connection.cc; routes are plain code that unit tests can call without sockets.
// Thread-compatible.

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sesame::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

Method ParseMethod(std::string_view text);
std::string_view MethodName(Method method);  // "GET", ..., "OTHER"
// POST, PUT, PATCH, DELETE (and anything unknown): what CSRF protection covers.
bool IsUnsafe(Method method);

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

struct Request {
  Method method = Method::kGet;
  std::string_view target;  // as sent: path and query
  std::string_view path;
  std::string_view query;  // after '?', without it
  std::span<const HeaderField> headers;
  std::string_view body;
  std::string_view remote_ip;  // the client's address (http/client_address.h), never a proxy's
  bool is_tls = false;         // https, directly or as the nearest trusted proxy says
  // The Host the client used, as a trusted proxy reports it (X-Forwarded-Host); empty otherwise.
  std::string_view forwarded_host;
  // Path parameters filled by the router ("{id}"), in pattern order.
  std::array<std::string_view, 2> params{};

  // First header with this name (case-insensitive), empty if absent.
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // A query parameter, percent-decoded; nullopt if absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// application/x-www-form-urlencoded decoding ('+' is a space). nullopt for a bad %-escape.
std::optional<std::string> FormDecode(std::string_view text);

// Percent-encodes everything but RFC 3986's unreserved characters, for a query value.
std::string QueryEncode(std::string_view text);

// Calls visit(raw_name, raw_value) for each "name=value" pair of a query string or form body
// (not yet decoded; a pair without '=' has an empty value). Stops early when visit returns
// false.
template <typename Visit>
void ForEachFormPair(std::string_view text, Visit visit) {
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!visit(pair.substr(0, eq), value)) {
      return;
    }
  }
}

}  // namespace sesame::http
