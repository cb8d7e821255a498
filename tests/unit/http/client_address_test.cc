#include "http/client_address.h"

#include <vector>

#include <gtest/gtest.h>

namespace sesame::http {
namespace {

class ClientAddressTest : public ::testing::Test {
 protected:
  ClientAddressTest()
      : proxies(*TrustedProxies::Parse({"10.0.0.0/8", "2001:db8:ffff::/48", "127.0.0.1"})) {}

  ClientAddress Resolve(std::string_view peer, std::vector<HeaderField> headers) {
    held = std::move(headers);
    return proxies.Resolve(*IpAddress::Parse(peer), held);
  }

  TrustedProxies proxies;
  std::vector<HeaderField> held;
};

TEST_F(ClientAddressTest, AnUntrustedPeerIsTheClientWhateverItSends) {
  const auto c = Resolve("198.51.100.9", {{"X-Forwarded-For", "192.0.2.1"},
                                          {"X-Forwarded-Proto", "https"},
                                          {"X-Forwarded-Host", "evil.example"}});
  EXPECT_EQ(c.ip, "198.51.100.9");
  EXPECT_FALSE(c.forwarded_https);
  EXPECT_TRUE(c.forwarded_host.empty());
}

TEST_F(ClientAddressTest, ReadsEveryXffLineAsOneList) {
  // HAProxy's `option forwardfor` appends a line of its own after the client's forged one.
  const auto c = Resolve("10.0.0.1", {{"X-Forwarded-For", "203.0.113.66"},
                                      {"Accept", "*/*"},
                                      {"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(c.ip, "198.51.100.7");
}

TEST_F(ClientAddressTest, WalksFromTheRightSkippingTrustedHops) {
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "203.0.113.66, 198.51.100.7, 10.2.3.4"}}).ip,
            "198.51.100.7");
  EXPECT_EQ(Resolve("10.0.0.1", {{"x-forwarded-for", "198.51.100.7,10.2.3.4,,  10.9.9.9"}}).ip,
            "198.51.100.7");
}

TEST_F(ClientAddressTest, AMalformedEntryEndsTheWalkAtTheHopThatAddedIt) {
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "198.51.100.7, unknown, 10.2.3.4"}}).ip,
            "10.2.3.4");
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "garbage"}}).ip, "10.0.0.1");
  // Every entry trusted: the leftmost hop is as far as anyone can tell.
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "10.1.1.1, 10.2.2.2"}}).ip, "10.1.1.1");
  EXPECT_EQ(Resolve("10.0.0.1", {}).ip, "10.0.0.1");
}

TEST_F(ClientAddressTest, EntriesMayCarryPortsAndBrackets) {
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "198.51.100.7:5555"}}).ip, "198.51.100.7");
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "[2001:db8::7]:443"}}).ip, "2001:db8::7");
  EXPECT_EQ(Resolve("10.0.0.1", {{"X-Forwarded-For", "2001:db8::7"}}).ip, "2001:db8::7");
}

TEST_F(ClientAddressTest, MappedAddressesAreIpv4) {
  EXPECT_EQ(Resolve("::ffff:10.0.0.1", {{"X-Forwarded-For", "::ffff:198.51.100.7"}}).ip,
            "198.51.100.7");
  EXPECT_EQ(Resolve("::ffff:198.51.100.9", {{"X-Forwarded-For", "192.0.2.1"}}).ip, "198.51.100.9");
}

TEST_F(ClientAddressTest, UnderstandsRfc7239Forwarded) {
  const auto c = Resolve("10.0.0.1", {{"Forwarded", "for=203.0.113.66;proto=http"},
                                      {"Forwarded",
                                       "for=\"[2001:db8:cafe::17]:4711\";proto=https;"
                                       "host=app.example, for=10.3.3.3"}});
  EXPECT_EQ(c.ip, "2001:db8:cafe::17");
  EXPECT_FALSE(c.forwarded_https);  // the last element (nearest hop) says nothing of proto
  EXPECT_EQ(Resolve("10.0.0.1", {{"Forwarded", "for=_hidden, for=10.3.3.3"}}).ip, "10.3.3.3");
  EXPECT_EQ(Resolve("10.0.0.1", {{"Forwarded", "For=198.51.100.7;Proto=HTTPS"}}).forwarded_https,
            true);
}

TEST_F(ClientAddressTest, XffAndForwardedThatDisagreeFallBackToTheProxy) {
  // A proxy appends to one of them; the client forged the other. Neither can be believed.
  EXPECT_EQ(
      Resolve("10.0.0.1", {{"Forwarded", "for=203.0.113.66"}, {"X-Forwarded-For", "198.51.100.7"}})
          .ip,
      "10.0.0.1");
  EXPECT_EQ(
      Resolve("10.0.0.1", {{"Forwarded", "for=198.51.100.7"}, {"X-Forwarded-For", "198.51.100.7"}})
          .ip,
      "198.51.100.7");
}

TEST_F(ClientAddressTest, ProtoAndHostComeFromTheNearestHopOnly) {
  const auto c = Resolve("10.0.0.1", {{"X-Forwarded-Proto", "http"},
                                      {"X-Forwarded-Host", "evil.example"},
                                      {"X-Forwarded-Proto", "https"},
                                      {"X-Forwarded-Host", "app.example:8443"}});
  EXPECT_TRUE(c.forwarded_https);
  EXPECT_EQ(c.forwarded_host, "app.example:8443");
  EXPECT_FALSE(Resolve("10.0.0.1", {{"X-Forwarded-Proto", "https, http"}}).forwarded_https);
}

TEST(TrustedProxies, RefusesABadEntryNamingTheKey) {
  const auto bad = TrustedProxies::Parse({"10.0.0.0/8", "10.0.0.0/40"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(bad.error().detail.find("server.trusted_proxies"), std::string::npos);
  EXPECT_NE(bad.error().detail.find("10.0.0.0/40"), std::string::npos);
}

}  // namespace
}  // namespace sesame::http
