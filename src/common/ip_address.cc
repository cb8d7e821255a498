#include "common/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace sesame {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  // inet_pton needs a terminated string; the longest IPv6 text is 45 characters.
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buffer)) {
    return std::nullopt;
  }
  std::copy(text.begin(), text.end(), buffer);
  buffer[text.size()] = '\0';
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes_.data()) == 1) {
    address.is_v4_ = true;
    return address;
  }
  if (inet_pton(AF_INET6, buffer, address.bytes_.data()) != 1) {
    return std::nullopt;
  }
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes_.begin())) {
    std::copy(address.bytes_.begin() + 12, address.bytes_.end(), address.bytes_.begin());
    std::fill(address.bytes_.begin() + 4, address.bytes_.end(), 0);
    address.is_v4_ = true;
  }
  return address;
}

bool IpAddress::IsLoopback() const {
  if (is_v4_) {
    return bytes_[0] == 127;
  }
  constexpr std::array<uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback6;
}

std::string IpAddress::ToString() const {
  char out[INET6_ADDRSTRLEN];
  inet_ntop(is_v4_ ? AF_INET : AF_INET6, bytes_.data(), out, sizeof(out));
  return out;
}

std::string IpAddress::NetworkText(int prefix_bits) const {
  const int width = is_v4_ ? 32 : 128;
  prefix_bits = std::clamp(prefix_bits, 0, width);
  IpAddress network = *this;
  for (int bit = prefix_bits; bit < width; ++bit) {
    network.bytes_[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return network.ToString() + "/" + std::to_string(prefix_bits);
}

bool IpAddress::SharesPrefix(const IpAddress& other, int prefix_bits) const {
  if (is_v4_ != other.is_v4_) {
    return false;
  }
  const int whole = prefix_bits / 8;
  if (!std::equal(bytes_.begin(), bytes_.begin() + whole, other.bytes_.begin())) {
    return false;
  }
  const int rest = prefix_bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
  return (bytes_[whole] & mask) == (other.bytes_[whole] & mask);
}

std::optional<IpNetwork> IpNetwork::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto base = IpAddress::Parse(text.substr(0, slash));
  if (!base) {
    return std::nullopt;
  }
  const int width = base->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) {
    return IpNetwork(*base, width);
  }
  const std::string_view bits_text = text.substr(slash + 1);
  int bits = -1;
  const auto [end, ec] =
      std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  if (ec != std::errc() || end != bits_text.data() + bits_text.size() || bits < 0) {
    return std::nullopt;
  }
  // "::ffff:10.0.0.0/104" names IPv4's 10.0.0.0/8: the mapped prefix's 96 bits go with it.
  const bool was_mapped =
      base->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos;
  if (was_mapped) {
    bits -= 96;
  }
  if (bits < 0 || bits > width) {
    return std::nullopt;
  }
  return IpNetwork(*base, bits);
}

}  // namespace sesame
