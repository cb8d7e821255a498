#include "cli/cli_app.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "temp_dir.h"

namespace sesame::cli {
namespace {

using nlohmann::json;

struct CliRun {
  int code;
  std::string out;
  std::string err;
  std::string FirstErrLine() const { return err.substr(0, err.find('\n')); }
};

CliRun Sesame(std::vector<std::string> args, const std::string& stdin_text = "",
              const std::map<std::string, std::string>& environment = {}) {
  std::ostringstream out, err;
  std::istringstream in(stdin_text);
  const int code = RunCli(args, out, err, in, environment);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  std::string GenerateKey(const std::string& alg) {
    const std::string path = dir_ + "/" + alg + ".json";
    const CliRun r = Sesame({"keys", "generate", "--alg", alg, "--out", path});
    EXPECT_EQ(r.code, 0) << r.err;
    return path;
  }
  std::string SignToken(const std::string& key, const json& claims) {
    const CliRun r = Sesame({"token", "sign", "--key", key, "--claims", claims.dump()});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  static int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

  testing::TempDir temp_{"sesame-cli"};
  const std::string dir_ = temp_.path();
};

TEST_F(CliTest, KeysGeneratePrintsAPrivateJwkWithKid) {
  const CliRun r = Sesame({"keys", "generate", "--alg", "ES256"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json jwk = json::parse(r.out);
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_TRUE(jwk.contains("d"));
  EXPECT_EQ(jwk["kid"].get<std::string>().size(), 43u);
}

TEST_F(CliTest, KeysGenerateWritesAPrivateFileAndNeverOverwrites) {
  const std::string path = GenerateKey("EdDSA");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const CliRun again = Sesame({"keys", "generate", "--alg", "EdDSA", "--out", path});
  EXPECT_EQ(again.code, 2);
}

TEST_F(CliTest, KeysGenerateRefusesUnknownAlgorithms) {
  for (const char* alg : {"none", "HS1", "es256"}) {
    const CliRun r = Sesame({"keys", "generate", "--alg", alg});
    EXPECT_EQ(r.code, 2) << alg;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST_F(CliTest, SignThenVerifyPrintsTheClaims) {
  const std::string key = GenerateKey("PS256");
  const json claims = {{"sub", "u1"}, {"iss", "I"}, {"aud", "A"}, {"exp", Now() + 600}};
  const std::string token = SignToken(key, claims);
  const CliRun r = Sesame({"token", "verify", "--jwks", key, "--iss", "I", "--aud", "A", token});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), claims);
}

TEST_F(CliTest, VerifyFailuresExitOneWithCodeAndReason) {
  const std::string key = GenerateKey("HS256");
  const std::string good = SignToken(key, {{"sub", "u1"}, {"exp", Now() + 600}});
  std::string tampered = good;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'x' ? 'y' : 'x';
  CliRun r = Sesame({"token", "verify", "--jwks", key, tampered});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.FirstErrLine().starts_with("invalid_token: ")) << r.err;
  EXPECT_TRUE(r.out.empty());

  const std::string expired = SignToken(key, {{"sub", "u1"}, {"exp", Now() - 3600}});
  r = Sesame({"token", "verify", "--jwks", key, expired});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.FirstErrLine().starts_with("token_expired: ")) << r.err;

  r = Sesame({"token", "verify", "--jwks", key, "--iss", "someone-else", good});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.FirstErrLine().starts_with("invalid_token: ")) << r.err;
}

TEST_F(CliTest, VerifyWithinSixtySecondsOfExpiryStillPasses) {
  const std::string key = GenerateKey("HS256");
  const CliRun r = Sesame(
      {"token", "verify", "--jwks", key, SignToken(key, {{"sub", "u"}, {"exp", Now() - 30}})});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CliTest, UsageAndIoErrorsExitTwo) {
  EXPECT_EQ(Sesame({"token", "verify", "--jwks", dir_ + "/missing.json", "a.b.c"}).code, 2);
  EXPECT_EQ(Sesame({"token", "verify"}).code, 2);
  EXPECT_EQ(Sesame({"token", "sign", "--key", dir_ + "/missing.json", "--claims", "{}"}).code, 2);
  EXPECT_EQ(Sesame({"frobnicate"}).code, 2);
  EXPECT_EQ(Sesame({}).code, 2);
  const std::string key = GenerateKey("HS256");
  EXPECT_EQ(Sesame({"token", "sign", "--key", key, "--claims", "[1]"}).code, 2);
}

TEST_F(CliTest, TokenFromStandardInput) {
  const std::string key = GenerateKey("ES384");
  const std::string token = SignToken(key, {{"sub", "u1"}, {"exp", Now() + 60}});
  const CliRun r = Sesame({"token", "verify", "--jwks", key, "-"}, token + "\n");
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CliTest, DecodeMarksOutputUnverified) {
  const std::string key = GenerateKey("HS256");
  const std::string token = SignToken(key, {{"sub", "u1"}});
  const CliRun r = Sesame({"token", "decode", token});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("UNVERIFIED")) << r.out;
  EXPECT_NE(r.out.find("\"sub\": \"u1\""), std::string::npos) << r.out;
  EXPECT_EQ(Sesame({"token", "decode", "not-a-token"}).code, 1);
}

TEST_F(CliTest, VerifyDefaultsToTheDataDirectoryKeyRing) {
  // No ring yet: rotate creates one (ES256, jwt.algorithm's default) and rotates it at once.
  const CliRun rotate = Sesame({"keys", "rotate", "--force", "--alg", "EdDSA", "--data-dir", dir_});
  ASSERT_EQ(rotate.code, 0) << rotate.err;
  std::string active_jwk;
  std::string active_kid;
  const json ring = json::parse(*ReadFile(dir_ + "/keys.json"));
  for (const auto& k : ring["keys"]) {
    if (k["state"] == "active") {
      active_jwk = k["jwk"].dump();
      active_kid = k["jwk"]["kid"].get<std::string>();
    }
  }
  ASSERT_FALSE(active_jwk.empty());
  EXPECT_NE(rotate.out.find(active_kid), std::string::npos) << rotate.out;
  const std::string key = dir_ + "/active.json";
  ASSERT_TRUE(WriteFileAtomically(key, active_jwk, 0600));
  const std::string token = SignToken(key, {{"sub", "u1"}, {"exp", Now() + 60}});
  const CliRun verify = Sesame({"token", "verify", "--data-dir", dir_, token});
  EXPECT_EQ(verify.code, 0) << verify.err;
  const CliRun list = Sesame({"keys", "list", "--data-dir", dir_});
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(active_kid), std::string::npos);
  for (const char* word : {"active", "next", "retired", "EdDSA"}) {
    EXPECT_NE(list.out.find(word), std::string::npos) << word << " in " << list.out;
  }
  EXPECT_EQ(Sesame({"keys", "list", "--data-dir", dir_ + "/nowhere"}).code, 2);
  // A second rotation right away would promote a key verifiers may not have fetched yet.
  const CliRun early = Sesame({"keys", "rotate", "--data-dir", dir_});
  EXPECT_EQ(early.code, 1);
  EXPECT_TRUE(early.err.starts_with("invalid_request: the next key was published")) << early.err;
}

TEST_F(CliTest, ConfigCheckPrintsTheEffectiveConfiguration) {
  const std::string file = dir_ + "/sesame.toml";
  ASSERT_TRUE(WriteFileAtomically(file, "[session]\nidle_timeout = \"10m\"\n", 0600));
  const CliRun r =
      Sesame({"--config", file, "config", "check"}, "", {{"SESAME_JWT_ALGORITHM", "EdDSA"}});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("idle_timeout = \"10m\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("algorithm = \"EdDSA\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[limits]"), std::string::npos) << r.out;
}

TEST_F(CliTest, BadConfigurationStopsWithOneLineNamingTheKey) {
  const CliRun r = Sesame({"config", "check"}, "", {{"SESAME_SESSION_ON_LIMIT", "drop"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.err.starts_with("invalid_config: SESAME_SESSION_ON_LIMIT")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(Sesame({"--config", dir_ + "/missing.toml", "config", "check"}).code, 2);
}

TEST_F(CliTest, DataDirComesFromConfigurationUnlessGivenAsFlag) {
  const std::string store = dir_ + "/store";
  ASSERT_EQ(::mkdir(store.c_str(), 0700), 0);
  ASSERT_EQ(Sesame({"keys", "rotate", "--force", "--data-dir", store}).code, 0);
  const std::string file = dir_ + "/sesame.toml";
  ASSERT_TRUE(WriteFileAtomically(file, "[server]\ndata_dir = \"" + store + "\"\n", 0600));
  EXPECT_EQ(Sesame({"--config", file, "keys", "list"}).code, 0);
  EXPECT_EQ(Sesame({"keys", "list"}, "", {{"SESAME_SERVER_DATA_DIR", store}}).code, 0);
  EXPECT_EQ(Sesame({"--config", file, "keys", "list", "--data-dir", dir_ + "/nowhere"}).code, 2);
}

TEST_F(CliTest, HelpExitsZeroEverywhere) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"keys", "--help"},
                                               {"keys", "generate", "--help"},
                                               {"token", "--help"},
                                               {"token", "verify", "--help"},
                                               {"token", "sign", "--help"},
                                               {"token", "decode", "--help"},
                                               {"keys", "list", "--help"},
                                               {"keys", "rotate", "--help"},
                                               {"serve", "--help"},
                                               {"user", "add", "--help"},
                                               {"session", "list", "--help"}}) {
    const CliRun r = Sesame(args);
    EXPECT_EQ(r.code, 0) << args.back();
    EXPECT_NE(r.out.find("Usage"), std::string::npos);
  }
}

}  // namespace
}  // namespace sesame::cli
