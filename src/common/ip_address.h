#pragma once

// IP addresses and networks as values, for deciding who is asking (http/client_address.h) and
// grouping clients by network (auth/login_limiter.h). An IPv4-mapped IPv6 address
// (`::ffff:a.b.c.d`, what a dual-stack `[::]` listener reports for an IPv4 peer) *is* the IPv4
// address here: parsing unmaps it, so one host is one address wherever it came from
// (API.md "The client's address"). Plain values; thread-compatible.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sesame {

class IpAddress {
 public:
  // "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1" (→ 192.0.2.1). No ports, brackets, zones
  // or surrounding spaces: nullopt for anything else.
  static std::optional<IpAddress> Parse(std::string_view text);

  bool is_v4() const { return is_v4_; }
  // 127.0.0.0/8 or ::1.
  bool IsLoopback() const;
  // Canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
  std::string ToString() const;
  // The network of `prefix_bits` around this address (bits counted in the address's own
  // family: 24 means a /24 of IPv4), as "a.b.c.0/24" or "2001:db8::/64".
  std::string NetworkText(int prefix_bits) const;
  // Whether the first `prefix_bits` bits (own family) equal other's; false across families.
  bool SharesPrefix(const IpAddress& other, int prefix_bits) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  // IPv4 in the first four bytes, the rest zero.
  std::array<uint8_t, 16> bytes_{};
  bool is_v4_ = false;
};

// "10.0.0.0/8", "2001:db8::/32" or a single address (a /32 or /128).
class IpNetwork {
 public:
  static std::optional<IpNetwork> Parse(std::string_view text);
  bool Contains(const IpAddress& address) const {
    return base_.SharesPrefix(address, prefix_bits_);
  }

 private:
  IpNetwork(IpAddress base, int prefix_bits) : base_(base), prefix_bits_(prefix_bits) {}
  IpAddress base_;
  int prefix_bits_ = 0;
};

}  // namespace sesame
