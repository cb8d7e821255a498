#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace sesame {
namespace {

TEST(IpAddress, ParsesBothFamiliesAndPrintsCanonically) {
  EXPECT_EQ(IpAddress::Parse("192.0.2.1")->ToString(), "192.0.2.1");
  EXPECT_EQ(IpAddress::Parse("2001:DB8:0:0::1")->ToString(), "2001:db8::1");
  EXPECT_TRUE(IpAddress::Parse("192.0.2.1")->is_v4());
  EXPECT_FALSE(IpAddress::Parse("2001:db8::1")->is_v4());
}

TEST(IpAddress, MappedIpv4IsTheIpv4Address) {
  const auto mapped = IpAddress::Parse("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_v4());
  EXPECT_EQ(mapped->ToString(), "192.0.2.1");
  EXPECT_EQ(*mapped, *IpAddress::Parse("192.0.2.1"));
  EXPECT_EQ(IpAddress::Parse("::ffff:c000:201")->ToString(), "192.0.2.1");
}

TEST(IpAddress, RefusesAnythingButABareAddress) {
  for (const char* text :
       {"", "unknown", "192.0.2.1:80", "[2001:db8::1]", " 192.0.2.1", "192.0.2.256", "fe80::1%eth0",
        "2001:db8::1/64", "0000000000000000000000000000000000000000000000000000"}) {
    EXPECT_FALSE(IpAddress::Parse(text)) << text;
  }
}

TEST(IpAddress, KnowsLoopback) {
  EXPECT_TRUE(IpAddress::Parse("127.0.0.1")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("127.9.9.9")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::ffff:127.0.0.1")->IsLoopback());
  EXPECT_FALSE(IpAddress::Parse("128.0.0.1")->IsLoopback());
  EXPECT_FALSE(IpAddress::Parse("::2")->IsLoopback());
}

TEST(IpAddress, NetworkTextMasksTheHostBits) {
  EXPECT_EQ(IpAddress::Parse("203.0.113.77")->NetworkText(24), "203.0.113.0/24");
  EXPECT_EQ(IpAddress::Parse("2001:db8:1:2:3:4:5:6")->NetworkText(64), "2001:db8:1:2::/64");
  EXPECT_EQ(IpAddress::Parse("2001:db8:1:2:3:4:5:6")->NetworkText(48), "2001:db8:1::/48");
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->NetworkText(9), "10.0.0.0/9");
}

TEST(IpNetwork, ContainsByPrefixWithinOneFamily) {
  const auto net = IpNetwork::Parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("10.255.1.2")));
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("::ffff:10.1.1.1")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("11.0.0.1")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("::a00:1")));  // IPv4-compatible is IPv6
  const auto single = IpNetwork::Parse("192.0.2.7");
  EXPECT_TRUE(single->Contains(*IpAddress::Parse("192.0.2.7")));
  EXPECT_FALSE(single->Contains(*IpAddress::Parse("192.0.2.8")));
  const auto v6 = IpNetwork::Parse("2001:db8::/33");
  EXPECT_TRUE(v6->Contains(*IpAddress::Parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->Contains(*IpAddress::Parse("2001:db8:8000::1")));
  EXPECT_TRUE(IpNetwork::Parse("::ffff:10.0.0.0/104")->Contains(*IpAddress::Parse("10.9.9.9")));
}

TEST(IpNetwork, RefusesBadPrefixes) {
  for (const char* text : {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8x",
                           "2001:db8::/129", "nope/8", "::ffff:10.0.0.0/95"}) {
    EXPECT_FALSE(IpNetwork::Parse(text)) << text;
  }
}

}  // namespace
}  // namespace sesame
