#pragma once

// Who is asking (API.md "The client's address"): the one place that turns a TCP peer and the
// headers trusted proxies add into the client's address, the scheme and the host the client
// used. Everything downstream (limits, audit, device list, access log) reads its answer.
//
// - A peer that is not a trusted proxy is the client; its headers are ignored.
// - Behind trusted proxies, X-Forwarded-For is one list across all its header lines in order
//   (RFC 9110 §5.3), walked from the right skipping trusted proxies; the first untrusted entry
//   is the client. RFC 7239 `Forwarded: for=` is walked the same way when the proxy sends that
//   instead. A malformed or obfuscated entry ("unknown", "_hidden") ends the walk at the hop
//   that added it. When both headers are present and disagree, the client forged one of them
//   and the proxy's own address is used: a client never chooses its own address.
// - X-Forwarded-Proto and X-Forwarded-Host (or Forwarded's proto= and host=) count only from
//   the nearest trusted hop: their last value.
// - IPv4-mapped IPv6 addresses are IPv4 (common/ip_address.h).
//
// Immutable after Parse(); share freely across threads.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "http/request.h"

namespace sesame::http {

struct ClientAddress {
  std::string ip;                   // canonical text of the client's address
  bool forwarded_https = false;     // the nearest trusted hop says the client used https
  std::string_view forwarded_host;  // the Host the client used, as the nearest hop says; or empty
};

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Addresses and CIDR ranges. kInvalidConfig naming server.trusted_proxies and the entry.
  [[nodiscard]] static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool empty() const { return networks_.empty(); }
  bool Contains(const IpAddress& address) const;

  // The client behind `peer`, from the headers of one request. Views point into `headers`.
  ClientAddress Resolve(const IpAddress& peer, std::span<const HeaderField> headers) const;

 private:
  std::vector<IpNetwork> networks_;
};

}  // namespace sesame::http
