#include "config/config.h"

#include <gtest/gtest.h>

#include "common/files.h"
#include "result_matchers.h"
#include "temp_dir.h"

namespace sesame::config {
namespace {

using sesame::testing::HasError;
using sesame::testing::HasErrorMentioning;
using sesame::testing::IsOk;
using sesame::testing::TempDir;

class ConfigTest : public ::testing::Test {
 protected:
  // Loads with the given file contents (if any), environment and overrides; never reads the
  // working directory's sesame.toml.
  Result<Config> Load(const std::string& toml, std::map<std::string, std::string> env = {},
                      std::map<std::string, std::string> overrides = {}) {
    ConfigSources sources;
    sources.file = dir_.path() + "/sesame.toml";
    sources.file_is_explicit = true;
    EXPECT_TRUE(WriteFileAtomically(sources.file, toml, 0600));
    sources.environment = std::move(env);
    sources.overrides = std::move(overrides);
    return LoadConfig(sources);
  }

  TempDir dir_{"sesame-config"};
};

TEST_F(ConfigTest, DefaultsAreApiMdDefaults) {
  auto c = Load("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->server.data_dir, "./var");
  EXPECT_TRUE(c->server.allowed_origins.empty());
  EXPECT_EQ(c->auth.default_mode, "session");
  EXPECT_EQ(c->auth.default_transport, "cookie");
  EXPECT_EQ(c->auth.registration, "closed");
  EXPECT_EQ(c->session.idle_timeout, Seconds(30 * 60));
  EXPECT_EQ(c->session.absolute_timeout, Seconds(14 * 86400));
  EXPECT_EQ(c->session.remember_timeout, Seconds(30 * 86400));
  EXPECT_EQ(c->session.max_per_user, 0);
  EXPECT_EQ(c->session.on_limit, "evict_oldest");
  EXPECT_EQ(c->jwt.algorithm, "ES256");
  EXPECT_EQ(c->jwt.access_ttl, Seconds(30 * 60));
  EXPECT_TRUE(c->jwt.refresh);
  EXPECT_EQ(c->jwt.refresh_ttl, Seconds(14 * 86400));
  EXPECT_EQ(c->jwt.refresh_grace, Seconds(30));
  EXPECT_EQ(c->cookie.same_site, "lax");
  EXPECT_EQ(c->cookie.secure, "auto");
  EXPECT_EQ(c->limits.login_failures_per_user.count, 10);
  EXPECT_EQ(c->limits.login_failures_per_user.window, Seconds(15 * 60));
  EXPECT_EQ(c->limits.login_attempts_per_ip.count, 100);
  EXPECT_EQ(c->limits.login_attempts_per_ip.window, Seconds(60));
  EXPECT_EQ(c->store.users, "sqlite");
  EXPECT_EQ(c->store.sessions, "sqlite");
  EXPECT_EQ(c->password.argon2_iterations, 2);
  EXPECT_EQ(c->password.argon2_memory_bytes, 19 * 1024 * 1024);
}

TEST_F(ConfigTest, FileThenEnvironmentThenFlags) {
  const std::string toml = R"([server]
listen = "0.0.0.0:9000"
data_dir = "/from/file"
allowed_origins = ["https://app.example.com", "https://admin.example.com"]
[session]
max_per_user = 5
[jwt]
refresh = false
)";
  auto file_only = Load(toml);
  ASSERT_THAT(file_only, IsOk());
  EXPECT_EQ(file_only->server.listen, "0.0.0.0:9000");
  EXPECT_EQ(file_only->server.allowed_origins.size(), 2u);
  EXPECT_EQ(file_only->session.max_per_user, 5);
  EXPECT_FALSE(file_only->jwt.refresh);

  auto with_env = Load(toml, {{"SESAME_SERVER_DATA_DIR", "/from/env"},
                              {"SESAME_JWT_REFRESH", "true"},
                              {"SESAME_SERVER_ALLOWED_ORIGINS", "https://a.test,https://b.test"},
                              {"UNRELATED", "ignored"}});
  ASSERT_THAT(with_env, IsOk());
  EXPECT_EQ(with_env->server.data_dir, "/from/env");
  EXPECT_TRUE(with_env->jwt.refresh);
  EXPECT_EQ(with_env->server.allowed_origins,
            (std::vector<std::string>{"https://a.test", "https://b.test"}));

  auto with_flag =
      Load(toml, {{"SESAME_SERVER_DATA_DIR", "/from/env"}}, {{"server.data_dir", "/from/flag"}});
  ASSERT_THAT(with_flag, IsOk());
  EXPECT_EQ(with_flag->server.data_dir, "/from/flag");
}

TEST_F(ConfigTest, ErrorsNameTheKey) {
  struct Case {
    std::string toml;
    std::map<std::string, std::string> env;
    std::string mention;
  };
  const Case cases[] = {
      {"[session]\nidle_timout = \"5m\"\n", {}, "session.idle_timout: unknown key"},
      {"[sesion]\nidle_timeout = \"5m\"\n", {}, "sesion.idle_timeout: unknown key"},
      {"[session]\nidle_timeout = \"5 minutes\"\n", {}, "session.idle_timeout:"},
      {"[session]\nidle_timeout = 1.5\n", {}, "session.idle_timeout: unsupported value type"},
      {"[session]\non_limit = \"drop\"\n", {}, "session.on_limit: must be one of"},
      {"[auth]\ndefault_mode = \"jwts\"\n", {}, "auth.default_mode:"},
      {"[jwt]\nalgorithm = \"none\"\n", {}, "jwt.algorithm:"},
      {"[jwt]\nrefresh = \"yes\"\n", {}, "jwt.refresh:"},
      {"[server]\nlisten = \"localhost\"\n", {}, "server.listen:"},
      {"[server]\nlisten = \"127.0.0.1:99999\"\n", {}, "server.listen:"},
      {"[limits]\nlogin_attempts_per_ip = \"100/1m\"\n", {}, "limits.login_attempts_per_ip:"},
      {"[store]\nsessions = \"memcached://x\"\n", {}, "store.sessions:"},
      {"[password]\nargon2_memory = \"1KiB\"\n", {}, "password.argon2_memory:"},
      {"[session]\nmax_per_user = -1\n", {}, "session.max_per_user:"},
      {"", {{"SESAME_SESSION_IDLE_TIMEOUT", "5x"}}, "SESAME_SESSION_IDLE_TIMEOUT"},
      {"", {{"SESAME_SESSION_IDLE", "5m"}}, "SESAME_SESSION_IDLE: not a sesame setting"},
      {"", {{"SESAME_NOPE", "1"}}, "SESAME_NOPE: not a sesame setting"},
      {"[session]\nidle_timeout = \"2d\"\nabsolute_timeout = \"1d\"\n",
       {},
       "session.absolute_timeout:"},
      {"[server]\ntls_cert = \"/c.pem\"\n", {}, "server.tls_key:"},
      {"[server]\nallowed_origins = [\"app.example.com\"]\n", {}, "server.allowed_origins:"},
      {"listen = \"x\"\n", {}, "listen: expected a [section] table"},
      {"[session\n", {}, "sesame.toml:1:"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Load(c.toml, c.env), HasErrorMentioning(ErrorCode::kInvalidConfig, c.mention))
        << c.toml;
  }
}

TEST_F(ConfigTest, ExplicitFileMustExistDefaultFileMayNot) {
  ConfigSources explicit_missing;
  explicit_missing.file = dir_.path() + "/missing.toml";
  explicit_missing.file_is_explicit = true;
  EXPECT_THAT(LoadConfig(explicit_missing), HasError(ErrorCode::kIoError));
  ConfigSources default_missing;
  default_missing.file = dir_.path() + "/missing.toml";
  EXPECT_THAT(LoadConfig(default_missing), IsOk());
}

TEST_F(ConfigTest, RenderedConfigLoadsBackToTheSameConfig) {
  const std::string toml = R"([server]
listen = "0.0.0.0:443"
allowed_origins = ["https://app.example.com"]
tls_cert = "/etc/c.pem"
tls_key = "/etc/k.pem"
[session]
idle_timeout = "90s"
absolute_timeout = "12h"
[limits]
login_failures_per_user = "5 per 1h"
[password]
argon2_memory = "64MiB"
)";
  auto first = Load(toml);
  ASSERT_THAT(first, IsOk());
  const std::string rendered = RenderConfig(*first);
  auto second = Load(rendered);
  ASSERT_THAT(second, IsOk()) << rendered;
  EXPECT_EQ(RenderConfig(*second), rendered);
  EXPECT_NE(rendered.find("idle_timeout = \"90s\""), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("absolute_timeout = \"12h\""), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("login_failures_per_user = \"5 per 1h\""), std::string::npos);
}

TEST_F(ConfigTest, RenderRedactsPasswordsInStoreUrls) {
  auto c = Load("", {{"SESAME_STORE_USERS", "postgresql://sesame:s3cret@db:5432/sesame"},
                     {"SESAME_STORE_SESSIONS", "redis://:r3dis@cache:6379/0"}});
  ASSERT_THAT(c, IsOk());
  const std::string rendered = RenderConfig(*c);
  EXPECT_EQ(rendered.find("s3cret"), std::string::npos) << rendered;
  EXPECT_EQ(rendered.find("r3dis"), std::string::npos) << rendered;
  EXPECT_NE(rendered.find("postgresql://sesame:***@db:5432/sesame"), std::string::npos);
  EXPECT_NE(rendered.find("redis://:***@cache:6379/0"), std::string::npos);
}

TEST_F(ConfigTest, ApiClientsAreNamesWithKeyHashes) {
  const std::string hash(43, 'A');
  auto c = Load("[oauth]\nclients = [\"billing:" + hash + "\", \"re.ports-2:" + hash + "\"]\n");
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->oauth.clients.size(), 2u);
  auto client = ParseApiClient(c->oauth.clients[1]);
  ASSERT_THAT(client, IsOk());
  EXPECT_EQ(client->name, "re.ports-2");
  EXPECT_EQ(client->key_hash, hash);
  auto env = Load("", {{"SESAME_OAUTH_CLIENTS", "a:" + hash + ",b:" + hash}});
  ASSERT_THAT(env, IsOk());
  EXPECT_EQ(env->oauth.clients.size(), 2u);
  EXPECT_NE(RenderConfig(*env).find("clients = [\"a:" + hash), std::string::npos);

  for (const std::string& bad :
       {std::string("billing"), "billing:" + hash.substr(1), ":" + hash, "bad name:" + hash,
        "billing:" + hash + "=", "billing:" + hash + "," + "billing:" + hash}) {
    auto loaded = Load("", {{"SESAME_OAUTH_CLIENTS", bad}});
    EXPECT_THAT(loaded, HasError(ErrorCode::kInvalidConfig)) << bad;
    if (!loaded) {
      EXPECT_EQ(loaded.error().detail.rfind("oauth.clients: ", 0), 0u) << loaded.error().detail;
    }
  }
}

TEST_F(ConfigTest, LeewayIsBounded) {
  auto c = Load("[jwt]\nleeway = \"0s\"\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->jwt.leeway, Seconds(0));
  EXPECT_THAT(Load("[jwt]\nleeway = \"10m\"\n"), HasError(ErrorCode::kInvalidConfig));
}

TEST(ParseDuration, AcceptsTheContractsUnits) {
  EXPECT_EQ(ParseDuration("30s"), Seconds(30));
  EXPECT_EQ(ParseDuration("15m"), Seconds(900));
  EXPECT_EQ(ParseDuration("12h"), Seconds(43200));
  EXPECT_EQ(ParseDuration("14d"), Seconds(14 * 86400));
  EXPECT_EQ(ParseDuration("45"), Seconds(45));
  for (const char* bad : {"", "m", "5x", "-5m", "1.5h", "5 m", "99999999999d"}) {
    EXPECT_THAT(ParseDuration(bad), HasError(ErrorCode::kInvalidConfig)) << bad;
  }
}

}  // namespace
}  // namespace sesame::config
