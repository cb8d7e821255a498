#include "jose/algorithm.h"

#include <gtest/gtest.h>

namespace sesame::jose {
namespace {

TEST(Algorithm, EveryNameRoundTrips) {
  for (Algorithm alg : kAllAlgorithms) {
    EXPECT_EQ(ParseAlgorithm(AlgorithmName(alg)), alg);
  }
}

TEST(Algorithm, NoneAndNearMissesAreNotAlgorithms) {
  for (const char* name :
       {"none", "None", "NONE", "", "hs256", "HS256 ", "ES256K", "Ed25519", "RSA-OAEP", "HS1"}) {
    EXPECT_FALSE(ParseAlgorithm(name)) << name;
  }
}

TEST(Algorithm, MapsToFamilyHashAndCurve) {
  EXPECT_EQ(FamilyOf(Algorithm::kHS384), KeyFamily::kOct);
  EXPECT_EQ(FamilyOf(Algorithm::kPS256), KeyFamily::kRsa);
  EXPECT_EQ(FamilyOf(Algorithm::kEdDSA), KeyFamily::kOkp);
  EXPECT_EQ(HashOf(Algorithm::kES384), crypto::HashAlg::kSha384);
  EXPECT_EQ(SchemeOf(Algorithm::kPS512), crypto::SignatureScheme::kRsaPss);
  EXPECT_EQ(SchemeOf(Algorithm::kRS512), crypto::SignatureScheme::kRsaPkcs1v15);
  EXPECT_EQ(CurveOf(Algorithm::kES512), crypto::Curve::kP521);
  EXPECT_FALSE(CurveOf(Algorithm::kRS256));
}

}  // namespace
}  // namespace sesame::jose
