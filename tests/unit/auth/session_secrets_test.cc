#include "auth/session_secrets.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/files.h"
#include "result_matchers.h"
#include "temp_dir.h"

namespace sesame::auth {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

SessionSecrets Secrets(char fill = 'k') {
  return *SessionSecrets::FromKey(SecretBytes(std::string(32, fill)));
}

TEST(SessionSecretsTest, RefreshTokensNameTheirSessionAndGeneration) {
  const SessionSecrets secrets = Secrets();
  const std::string token = secrets.RefreshToken("s_abc", 7);
  EXPECT_EQ(token.rfind("s_abc.7.", 0), 0u);
  EXPECT_EQ(token.size(), std::string("s_abc.7.").size() + 43);
  auto parts = secrets.OpenRefreshToken(token);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->session_id, "s_abc");
  EXPECT_EQ(parts->generation, 7);
  EXPECT_EQ(secrets.RefreshToken("s_abc", 7), token);  // derived: the same every time
  EXPECT_NE(secrets.RefreshToken("s_abc", 8), token);
  EXPECT_NE(secrets.RefreshToken("s_abd", 7), token);
}

TEST(SessionSecretsTest, OpensOnlyTokensItMintedSpelledCanonically) {
  const SessionSecrets secrets = Secrets();
  const std::string token = secrets.RefreshToken("s_abc", 12);
  const std::string mac = token.substr(token.rfind('.') + 1);
  // The last base64url character of 32 bytes carries 4 bits and 2 unused ones: flipping an
  // unused bit decodes to the same MAC but must be refused.
  std::string non_canonical = token;
  non_canonical.back() = static_cast<char>(non_canonical.back() ^ 1);
  std::string flipped = token;
  flipped[flipped.size() - 10] = flipped[flipped.size() - 10] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {Secrets('x').RefreshToken("s_abc", 12), std::string("s_abd.12.") + mac,
        std::string("s_abc.13.") + mac, std::string("s_abc.012.") + mac,
        std::string("s_abc.-1.") + mac, std::string("s_abc.99999999999999999999.") + mac,
        std::string("s_a c.12.") + mac, std::string(".12.") + mac, std::string("s_abc..") + mac,
        std::string("s_abc.12.") + mac + "A", non_canonical, flipped, std::string("a.b.c"),
        std::string("no dots"), std::string()}) {
    EXPECT_FALSE(secrets.OpenRefreshToken(bad)) << bad;
  }
}

TEST(SessionSecretsTest, CsrfTokensAreDerivedPerSessionAndDifferFromRefreshMacs) {
  const SessionSecrets secrets = Secrets();
  const std::string csrf = secrets.CsrfToken("s_abc");
  EXPECT_EQ(csrf.size(), 43u);
  EXPECT_EQ(secrets.CsrfToken("s_abc"), csrf);
  EXPECT_NE(secrets.CsrfToken("s_abd"), csrf);
  EXPECT_NE(Secrets('x').CsrfToken("s_abc"), csrf);
  const std::string refresh = secrets.RefreshToken("s_abc", 0);
  EXPECT_EQ(refresh.find(csrf), std::string::npos);
}

TEST(SessionSecretsTest, MakesThenReusesAPrivateKeyFile) {
  testing::TempDir dir("sesame-secrets");
  const std::string path = dir.path() + "/session.key";
  auto first = SessionSecrets::LoadOrCreate(path);
  ASSERT_THAT(first, IsOk());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = SessionSecrets::LoadOrCreate(path);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->RefreshToken("s_1", 0), first->RefreshToken("s_1", 0));

  ASSERT_THAT(WriteFileAtomically(path, "c2hvcnQ\n", 0600), IsOk());  // "short"
  EXPECT_THAT(SessionSecrets::LoadOrCreate(path), HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(SessionSecrets::FromKey(SecretBytes(std::string(31, 'k'))),
              HasError(ErrorCode::kInvalidKey));
}

TEST(SessionSecretsTest, DeviceTokensAreBoundToUserEpochAndAge) {
  const SessionSecrets secrets = Secrets('k');
  const TimePoint issued = FromUnixSeconds(1'800'000'000);
  const Seconds year(365 * 86400);
  const std::string token = secrets.DeviceToken("u_alice", 3, issued);
  EXPECT_TRUE(secrets.IsValidDeviceToken(token, "u_alice", 3, issued + Seconds(10), year));
  EXPECT_FALSE(secrets.IsValidDeviceToken(token, "u_bob", 3, issued, year));    // another user
  EXPECT_FALSE(secrets.IsValidDeviceToken(token, "u_alice", 4, issued, year));  // epoch moved
  EXPECT_FALSE(secrets.IsValidDeviceToken(token, "u_alice", 3, issued + year + Seconds(1), year));
  EXPECT_FALSE(Secrets('x').IsValidDeviceToken(token, "u_alice", 3, issued, year));  // other key
  std::string tampered = token;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(secrets.IsValidDeviceToken(tampered, "u_alice", 3, issued, year));
  for (const std::string& bad : {std::string(), std::string("u_alice"), std::string("u_alice."),
                                 "u_alice.03" + token.substr(token.find('.', 8)), token + "x",
                                 token.substr(0, token.size() - 1)}) {
    EXPECT_FALSE(secrets.IsValidDeviceToken(bad, "u_alice", 3, issued, year)) << bad;
  }
  // A refresh MAC or CSRF token never passes as a device token (domain separation).
  EXPECT_NE(secrets.DeviceToken("s_1", 0, issued).substr(4), secrets.CsrfToken("s_1"));
}

}  // namespace
}  // namespace sesame::auth
