#include "http/routes/api_client_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::http {
namespace {

using ::sesame::testing::HasError;
using ::sesame::testing::IsOk;

// base64url SHA-256 of "svc-key" and of "ops-key".
constexpr const char* kSvcHash = "e8jFbOHgckGIz7vs8yBENefLY54ybabw_5zZt9zxFSA";

HttpPolicy Policy() {
  HttpPolicy policy;
  policy.api_clients = {ApiClient{"svc", kSvcHash}};
  return policy;
}

Result<const ApiClient*> Authenticate(std::string authorization) {
  std::vector<HeaderField> fields;
  if (!authorization.empty()) {
    fields.push_back(HeaderField{"Authorization", authorization});
  }
  Request request;
  request.headers = fields;
  static const HttpPolicy policy = Policy();
  return AuthenticateClient(request, policy);
}

TEST(AuthenticateClient, AcceptsTheKeyAsBearerOrBasicWithTheClientsName) {
  for (const char* header : {"Bearer svc-key", "bearer svc-key",
                             "Basic c3ZjOnN2Yy1rZXk=",  // svc:svc-key
                             "Basic c3ZjOnN2Yy1rZXk",   // unpadded
                             "basic c3ZjOnN2Yy1rZXk="}) {
    auto client = Authenticate(header);
    ASSERT_THAT(client, IsOk()) << header;
    EXPECT_EQ((*client)->name, "svc") << header;
  }
}

TEST(AuthenticateClient, RefusesWhatIsMissingMalformedOrUnknown) {
  EXPECT_THAT(Authenticate(""), HasError(ErrorCode::kMissingCredentials));
  for (const char* header : {"Bearer svc-kez", "Token svc-key", "Basic !!!",
                             "Basic c3Zj",                // "svc": no colon
                             "Basic b3RoZXI6c3ZjLWtleQ",  // other:svc-key: the wrong name
                             "Basic c3ZjOnN2Yy1rZXk_"}) {
    EXPECT_THAT(Authenticate(header), HasError(ErrorCode::kInvalidCredentials)) << header;
  }
}

}  // namespace
}  // namespace sesame::http
