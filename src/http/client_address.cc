#include "http/client_address.h"

#include <strings.h>

#include <optional>

namespace sesame::http {
namespace {

bool NameIs(std::string_view name, std::string_view wanted) {
  return name.size() == wanted.size() && strncasecmp(name.data(), wanted.data(), name.size()) == 0;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The elements of a comma-separated header across all its lines, in order (RFC 9110 §5.3),
// trimmed, empty ones dropped (§5.6.1). Commas inside a quoted string do not split.
std::vector<std::string_view> ListItems(std::span<const HeaderField> headers,
                                        std::string_view name) {
  std::vector<std::string_view> items;
  for (const HeaderField& field : headers) {
    if (!NameIs(field.name, name)) {
      continue;
    }
    std::string_view rest = field.value;
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i <= rest.size(); ++i) {
      if (i < rest.size() && rest[i] == '"') {
        quoted = !quoted;
      }
      if (i == rest.size() || (rest[i] == ',' && !quoted)) {
        const std::string_view item = TrimOws(rest.substr(start, i - start));
        if (!item.empty()) {
          items.push_back(item);
        }
        start = i + 1;
      }
    }
  }
  return items;
}

std::string_view Unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// One node of a forwarding list: "192.0.2.1", "192.0.2.1:8080", "2001:db8::1",
// "[2001:db8::1]" or "[2001:db8::1]:8080". nullopt for "unknown", "_obfuscated" and garbage.
std::optional<IpAddress> ParseNode(std::string_view node) {
  node = Unquote(node);
  if (!node.empty() && node.front() == '[') {
    const size_t close = node.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view after = node.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return std::nullopt;
    }
    return IpAddress::Parse(node.substr(1, close - 1));
  }
  const size_t colon = node.find(':');
  if (colon != std::string_view::npos && node.find(':', colon + 1) == std::string_view::npos) {
    node = node.substr(0, colon);  // IPv4 with a port
  }
  return IpAddress::Parse(node);
}

// The value of `key=` in one Forwarded element ("for=1.2.3.4;proto=https"), empty if absent.
std::string_view ForwardedParam(std::string_view element, std::string_view key) {
  while (!element.empty()) {
    const size_t semi = element.find(';');
    const std::string_view pair = TrimOws(element.substr(0, semi));
    element = semi == std::string_view::npos ? std::string_view() : element.substr(semi + 1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && NameIs(TrimOws(pair.substr(0, eq)), key)) {
      return Unquote(TrimOws(pair.substr(eq + 1)));
    }
  }
  return {};
}

// Walks `nodes` from the right, starting at the trusted peer: the first untrusted address, or
// the last trusted hop where a malformed node (or the list's start) ends the walk.
IpAddress Walk(const TrustedProxies& trusted, const IpAddress& peer,
               const std::vector<std::string_view>& nodes) {
  IpAddress last = peer;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const auto address = ParseNode(*it);
    if (!address) {
      return last;
    }
    if (!trusted.Contains(*address)) {
      return *address;
    }
    last = *address;
  }
  return last;
}

std::vector<std::string_view> ForwardedFor(const std::vector<std::string_view>& elements) {
  std::vector<std::string_view> nodes;
  nodes.reserve(elements.size());
  for (std::string_view element : elements) {
    // An element without for= still stands for a hop: as a node it is malformed.
    nodes.push_back(ForwardedParam(element, "for"));
  }
  return nodes;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& entry : entries) {
    auto network = IpNetwork::Parse(entry);
    if (!network) {
      return MakeError(ErrorCode::kInvalidConfig,
                       "server.trusted_proxies: \"" + entry + "\" is not an IP address or CIDR");
    }
    proxies.networks_.push_back(*network);
  }
  return proxies;
}

bool TrustedProxies::Contains(const IpAddress& address) const {
  for (const IpNetwork& network : networks_) {
    if (network.Contains(address)) {
      return true;
    }
  }
  return false;
}

ClientAddress TrustedProxies::Resolve(const IpAddress& peer,
                                      std::span<const HeaderField> headers) const {
  ClientAddress out;
  if (!Contains(peer)) {
    out.ip = peer.ToString();
    return out;
  }
  const std::vector<std::string_view> xff = ListItems(headers, "X-Forwarded-For");
  const std::vector<std::string_view> forwarded = ListItems(headers, "Forwarded");
  IpAddress client = peer;
  if (!xff.empty() && !forwarded.empty()) {
    const IpAddress by_xff = Walk(*this, peer, xff);
    client = by_xff == Walk(*this, peer, ForwardedFor(forwarded)) ? by_xff : peer;
  } else if (!xff.empty()) {
    client = Walk(*this, peer, xff);
  } else if (!forwarded.empty()) {
    client = Walk(*this, peer, ForwardedFor(forwarded));
  }
  out.ip = client.ToString();

  const std::vector<std::string_view> proto = ListItems(headers, "X-Forwarded-Proto");
  std::string_view scheme = !proto.empty() ? proto.back() : std::string_view();
  const std::vector<std::string_view> host = ListItems(headers, "X-Forwarded-Host");
  out.forwarded_host = !host.empty() ? host.back() : std::string_view();
  if (!forwarded.empty()) {
    if (scheme.empty()) {
      scheme = ForwardedParam(forwarded.back(), "proto");
    }
    if (out.forwarded_host.empty()) {
      out.forwarded_host = ForwardedParam(forwarded.back(), "host");
    }
  }
  out.forwarded_https = NameIs(scheme, "https");
  return out;
}

}  // namespace sesame::http
