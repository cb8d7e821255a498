// Micro benchmarks of the jwt-mode hot path in sesame_auth: AccessTokens::Authenticate with a
// repeated token (the verified-token cache) against the same call with the cache off (a full
// signature and claims check every time), and the revocation set's lookup, empty and holding
// 100,000 revoked sessions. Compare the cached and uncached rows of one run: their ratio is what
// the cache buys on the verify path.
//
//   build/bench/sesame_auth_bench [--benchmark_min_time=0.5]

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "auth/access_tokens.h"
#include "auth/key_publisher.h"
#include "auth/revocation_set.h"
#include "common/clock.h"
#include "jose/algorithm.h"

namespace sesame::auth {
namespace {

struct Fixture {
  explicit Fixture(jose::Algorithm alg, size_t max_cached) : revocations(Seconds(1805)) {
    char pattern[] = "/tmp/sesame-auth-bench-XXXXXX";
    dir = ::mkdtemp(pattern);
    AccessTokenPolicy policy;
    policy.issuer = "sesame";
    policy.audience = "sesame";
    policy.max_cached = max_cached;
    publisher = std::move(*KeyPublisher::Open(dir + "/keys.json", alg, Seconds(1805),
                                              AccessClaimsPolicy(policy), clock));
    tokens = std::make_unique<AccessTokens>(*publisher, revocations, clock, policy);
    session.id = "s_bench";
    session.user_id = "u_bench";
    session.mode = store::SessionMode::kJwt;
    session.absolute_expires_at = clock.Now() + Seconds(86400);
    user.id = "u_bench";
    user.username = "bench";
    user.roles = {"user", "ops"};
  }
  ~Fixture() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  SystemClock clock;
  std::string dir;
  RevocationSet revocations;
  std::unique_ptr<KeyPublisher> publisher;
  std::unique_ptr<AccessTokens> tokens;
  store::Session session;
  store::User user;
};

void BM_Authenticate(benchmark::State& state, jose::Algorithm alg, bool cached) {
  Fixture f(alg, cached ? size_t{1} << 16 : 0);
  const std::string token = f.tokens->Issue(f.session, f.user)->token;
  for (auto _ : state) {
    auto caller = f.tokens->Authenticate(token);
    if (!caller) {
      state.SkipWithError("the token does not authenticate");
      break;
    }
    benchmark::DoNotOptimize(caller);
  }
}

void BM_RevocationLookup(benchmark::State& state) {
  RevocationSet set(Seconds(1805));
  const TimePoint now = SystemClock().Now();
  for (int64_t i = 0; i < state.range(0); ++i) {
    set.Publish(Revocation{Revocation::Kind::kSession, "s_revoked" + std::to_string(i), now});
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(set.IsRevoked("s_live_session_id", "u_live_user", 1));
  }
}

BENCHMARK_CAPTURE(BM_Authenticate, ES256_cached, jose::Algorithm::kES256, true);
BENCHMARK_CAPTURE(BM_Authenticate, ES256_uncached, jose::Algorithm::kES256, false);
BENCHMARK_CAPTURE(BM_Authenticate, HS256_cached, jose::Algorithm::kHS256, true);
BENCHMARK_CAPTURE(BM_Authenticate, HS256_uncached, jose::Algorithm::kHS256, false);
BENCHMARK(BM_RevocationLookup)->Arg(0)->Arg(100000);

}  // namespace
}  // namespace sesame::auth

BENCHMARK_MAIN();
