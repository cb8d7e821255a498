#include "crypto/asymmetric_key.h"

#include <array>
#include <string>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "result_matchers.h"

namespace sesame::crypto {
namespace {

using sesame::testing::HasError;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string OrderOf(Curve curve) {
  const int nid = curve == Curve::kP256   ? NID_X9_62_prime256v1
                  : curve == Curve::kP384 ? NID_secp384r1
                                          : NID_secp521r1;
  EC_GROUP* group = EC_GROUP_new_by_curve_name(nid);
  std::string order(CoordinateSize(curve), '\0');
  BN_bn2binpad(EC_GROUP_get0_order(group), reinterpret_cast<unsigned char*>(order.data()),
               static_cast<int>(order.size()));
  EC_GROUP_free(group);
  return order;
}

// DER form (as OpenSSL and Java produce) of a JOSE r||s signature.
std::string ToDer(const std::string& raw) {
  const size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig,
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                           static_cast<int>(half), nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + half),
                           static_cast<int>(half), nullptr));
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

TEST(AsymmetricKey, SignsAndVerifiesEveryKind) {
  struct Case {
    const char* name;
    Result<AsymmetricKey> key;
    SignatureScheme scheme;
    HashAlg hash;
    size_t signature_size;
  };
  Case cases[] = {
      {"RS256", AsymmetricKey::GenerateRsa(2048), SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256,
       256},
      {"PS384", AsymmetricKey::GenerateRsa(2048), SignatureScheme::kRsaPss, HashAlg::kSha384, 256},
      {"ES256", AsymmetricKey::GenerateEc(Curve::kP256), SignatureScheme::kEcdsa, HashAlg::kSha256,
       64},
      {"ES384", AsymmetricKey::GenerateEc(Curve::kP384), SignatureScheme::kEcdsa, HashAlg::kSha384,
       96},
      {"ES512", AsymmetricKey::GenerateEc(Curve::kP521), SignatureScheme::kEcdsa, HashAlg::kSha512,
       132},
      {"EdDSA", AsymmetricKey::GenerateEd25519(), SignatureScheme::kEd25519, HashAlg::kSha512, 64},
  };
  for (auto& c : cases) {
    ASSERT_TRUE(c.key) << c.name;
    auto sig = c.key->Sign(c.scheme, c.hash, "signing input");
    ASSERT_TRUE(sig) << c.name;
    EXPECT_EQ(sig->size(), c.signature_size) << c.name;
    EXPECT_EQ(c.key->signature_size(), c.signature_size) << c.name;
    const AsymmetricKey pub = c.key->PublicOnly();
    EXPECT_FALSE(pub.has_private());
    EXPECT_TRUE(pub.Verify(c.scheme, c.hash, "signing input", Bytes(*sig))) << c.name;
    EXPECT_FALSE(pub.Verify(c.scheme, c.hash, "signing inpuT", Bytes(*sig))) << c.name;
    EXPECT_THAT(pub.Sign(c.scheme, c.hash, "x"), HasError(ErrorCode::kInvalidKey)) << c.name;
  }
}

class EcdsaSignatureForm : public ::testing::TestWithParam<Curve> {};

TEST_P(EcdsaSignatureForm, AcceptsOnlyFixedLengthRAndSInRange) {
  const Curve curve = GetParam();
  const HashAlg hash = curve == Curve::kP256   ? HashAlg::kSha256
                       : curve == Curve::kP384 ? HashAlg::kSha384
                                               : HashAlg::kSha512;
  auto key = AsymmetricKey::GenerateEc(curve);
  ASSERT_TRUE(key);
  auto sig = key->Sign(SignatureScheme::kEcdsa, hash, "data");
  ASSERT_TRUE(sig);
  const size_t n = CoordinateSize(curve);
  auto verify = [&](const std::string& s) {
    return key->Verify(SignatureScheme::kEcdsa, hash, "data", Bytes(s));
  };
  ASSERT_TRUE(verify(*sig));

  // DER, as OpenSSL itself would write it: refused (RFC 7518 §3.4).
  EXPECT_FALSE(verify(ToDer(*sig)));
  // Wrong lengths: one byte short, one byte long, empty.
  EXPECT_FALSE(verify(sig->substr(1)));
  EXPECT_FALSE(verify(*sig + '\0'));
  EXPECT_FALSE(verify(std::string(1, '\0') + *sig));
  EXPECT_FALSE(verify(""));
  // r = 0 and s = 0 together: the "psychic signature" (CVE-2022-21449).
  EXPECT_FALSE(verify(std::string(2 * n, '\0')));
  // r or s zero alone.
  EXPECT_FALSE(verify(std::string(n, '\0') + sig->substr(n)));
  EXPECT_FALSE(verify(sig->substr(0, n) + std::string(n, '\0')));
  // r or s equal to the group order n, and all-ones (above n).
  const std::string order = OrderOf(curve);
  EXPECT_FALSE(verify(order + sig->substr(n)));
  EXPECT_FALSE(verify(sig->substr(0, n) + order));
  EXPECT_FALSE(verify(std::string(n, '\xff') + sig->substr(n)));
}

INSTANTIATE_TEST_SUITE_P(Curves, EcdsaSignatureForm,
                         ::testing::Values(Curve::kP256, Curve::kP384, Curve::kP521));

TEST(AsymmetricKey, RefusesRsaBelow2048Bits) {
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(small, nullptr);
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  EVP_PKEY_get_bn_param(small, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(small, OSSL_PKEY_PARAM_RSA_E, &e);
  RsaComponents c;
  c.n.resize(static_cast<size_t>(BN_num_bytes(n)));
  c.e.resize(static_cast<size_t>(BN_num_bytes(e)));
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(c.n.data()));
  BN_bn2bin(e, reinterpret_cast<unsigned char*>(c.e.data()));
  BN_free(n);
  BN_free(e);
  EVP_PKEY_free(small);
  EXPECT_THAT(AsymmetricKey::FromRsa(c), HasError(ErrorCode::kInvalidKey));
  EXPECT_THAT(AsymmetricKey::GenerateRsa(1024), HasError(ErrorCode::kInvalidKey));
}

TEST(AsymmetricKey, RsaRoundTripsThroughComponents) {
  auto key = AsymmetricKey::GenerateRsa(2048);
  ASSERT_TRUE(key);
  auto priv = key->ExportRsa(true);
  ASSERT_TRUE(priv);
  EXPECT_FALSE(priv->d.empty());
  EXPECT_FALSE(priv->qi.empty());
  auto reimported = AsymmetricKey::FromRsa(*priv);
  ASSERT_TRUE(reimported);
  auto sig = reimported->Sign(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, "x");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(key->Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, "x", Bytes(*sig)));
  auto pub = key->ExportRsa(false);
  ASSERT_TRUE(pub);
  EXPECT_TRUE(pub->d.empty());
  EXPECT_TRUE(pub->p.empty());
}

TEST(AsymmetricKey, RefusesMismatchedRsaPrivateKey) {
  auto a = AsymmetricKey::GenerateRsa(2048);
  auto b = AsymmetricKey::GenerateRsa(2048);
  ASSERT_TRUE(a && b);
  auto ca = a->ExportRsa(true);
  auto cb = b->ExportRsa(true);
  ca->d = std::move(cb->d);  // someone else's private exponent
  ca->p = SecretBytes();
  ca->q = SecretBytes();
  ca->dp = SecretBytes();
  ca->dq = SecretBytes();
  ca->qi = SecretBytes();
  EXPECT_THAT(AsymmetricKey::FromRsa(*ca), HasError(ErrorCode::kInvalidKey));
}

TEST(AsymmetricKey, RsaSchemesDoNotCrossVerify) {
  auto key = AsymmetricKey::GenerateRsa(2048);
  ASSERT_TRUE(key);
  auto pkcs1 = key->Sign(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, "x");
  auto pss = key->Sign(SignatureScheme::kRsaPss, HashAlg::kSha256, "x");
  ASSERT_TRUE(pkcs1 && pss);
  EXPECT_FALSE(key->Verify(SignatureScheme::kRsaPss, HashAlg::kSha256, "x", Bytes(*pkcs1)));
  EXPECT_FALSE(key->Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha256, "x", Bytes(*pss)));
  EXPECT_FALSE(key->Verify(SignatureScheme::kRsaPkcs1v15, HashAlg::kSha384, "x", Bytes(*pkcs1)));
}

TEST(AsymmetricKey, PssRequiresSaltAsLongAsTheHash) {
  auto key = AsymmetricKey::GenerateRsa(2048);
  ASSERT_TRUE(key);
  auto c = key->ExportRsa(true);
  // Sign with OpenSSL directly, salt length 0 instead of 32.
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  BIGNUM* n = BN_bin2bn(reinterpret_cast<const unsigned char*>(c->n.data()),
                        static_cast<int>(c->n.size()), nullptr);
  BIGNUM* e = BN_bin2bn(reinterpret_cast<const unsigned char*>(c->e.data()),
                        static_cast<int>(c->e.size()), nullptr);
  BIGNUM* d = BN_bin2bn(c->d.span().data(), static_cast<int>(c->d.size()), nullptr);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_fromdata_init(from);
  ASSERT_EQ(EVP_PKEY_fromdata(from, &pkey, EVP_PKEY_KEYPAIR, params), 1);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(md, &pctx, EVP_sha256(), nullptr, pkey);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 0);
  std::string sig(256, '\0');
  size_t len = sig.size();
  ASSERT_EQ(EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>("x"), 1),
            1);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(from);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  BN_clear_free(d);
  EXPECT_FALSE(key->Verify(SignatureScheme::kRsaPss, HashAlg::kSha256, "x", Bytes(sig)));
}

TEST(AsymmetricKey, RefusesEcPointOffTheCurve) {
  auto key = AsymmetricKey::GenerateEc(Curve::kP256);
  ASSERT_TRUE(key);
  auto c = key->ExportEc(false);
  ASSERT_TRUE(c);
  c->y.back() ^= 0x01;
  EXPECT_THAT(AsymmetricKey::FromEc(*c), HasError(ErrorCode::kInvalidKey));
}

TEST(AsymmetricKey, RefusesShortEcCoordinates) {
  auto key = AsymmetricKey::GenerateEc(Curve::kP256);
  auto c = key->ExportEc(false);
  c->x = c->x.substr(1);
  EXPECT_THAT(AsymmetricKey::FromEc(*c), HasError(ErrorCode::kInvalidKey));
}

TEST(AsymmetricKey, RefusesEcPrivateKeyOfAnotherPublicKey) {
  auto a = AsymmetricKey::GenerateEc(Curve::kP256);
  auto b = AsymmetricKey::GenerateEc(Curve::kP256);
  auto ca = a->ExportEc(true);
  auto cb = b->ExportEc(true);
  ca->d = std::move(cb->d);
  EXPECT_THAT(AsymmetricKey::FromEc(*ca), HasError(ErrorCode::kInvalidKey));
}

TEST(AsymmetricKey, RefusesEd25519PrivateKeyOfAnotherPublicKey) {
  auto a = AsymmetricKey::GenerateEd25519();
  auto b = AsymmetricKey::GenerateEd25519();
  auto ca = a->ExportEd25519(true);
  auto cb = b->ExportEd25519(true);
  ca->d = std::move(cb->d);
  EXPECT_THAT(AsymmetricKey::FromEd25519(*ca), HasError(ErrorCode::kInvalidKey));
  EXPECT_TRUE(AsymmetricKey::FromEd25519(*a->ExportEd25519(true)));
}

// Verification reuses prepared contexts per key on each thread. Many keys, more than the cache
// holds, each must accept only its own signatures, in any order and after evictions.
TEST(AsymmetricKey, PreparedContextsNeverMixKeys) {
  std::vector<AsymmetricKey> keys;
  std::vector<std::string> sigs;
  for (int i = 0; i < 12; ++i) {
    keys.push_back(i % 2 ? *AsymmetricKey::GenerateEc(Curve::kP256)
                         : *AsymmetricKey::GenerateRsa(2048));
    const SignatureScheme scheme = i % 2 ? SignatureScheme::kEcdsa : SignatureScheme::kRsaPss;
    sigs.push_back(*keys.back().Sign(scheme, HashAlg::kSha256, "msg"));
  }
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < keys.size(); ++i) {
      for (size_t j = i % 2; j < keys.size(); j += 2) {  // same kind only
        const SignatureScheme scheme = i % 2 ? SignatureScheme::kEcdsa : SignatureScheme::kRsaPss;
        EXPECT_EQ(keys[i].Verify(scheme, HashAlg::kSha256, "msg", Bytes(sigs[j])), i == j)
            << i << " " << j;
      }
    }
  }
}

TEST(AsymmetricKey, ANewKeyNeverInheritsADeadKeysContext) {
  std::string old_sig;
  {
    auto old_key = AsymmetricKey::GenerateEc(Curve::kP256);
    old_sig = *old_key->Sign(SignatureScheme::kEcdsa, HashAlg::kSha256, "msg");
    ASSERT_TRUE(old_key->Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, "msg", Bytes(old_sig)));
  }
  // The new key may well occupy the old one's memory.
  for (int i = 0; i < 4; ++i) {
    auto key = AsymmetricKey::GenerateEc(Curve::kP256);
    EXPECT_FALSE(key->Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, "msg", Bytes(old_sig)));
    const std::string own = *key->Sign(SignatureScheme::kEcdsa, HashAlg::kSha256, "msg");
    EXPECT_TRUE(key->Verify(SignatureScheme::kEcdsa, HashAlg::kSha256, "msg", Bytes(own)));
  }
}

TEST(AsymmetricKey, SchemeMustFitKeyKind) {
  auto ec = AsymmetricKey::GenerateEc(Curve::kP256);
  auto sig = ec->Sign(SignatureScheme::kEcdsa, HashAlg::kSha256, "x");
  EXPECT_FALSE(ec->Verify(SignatureScheme::kEd25519, HashAlg::kSha256, "x", Bytes(*sig)));
  EXPECT_THAT(ec->Sign(SignatureScheme::kRsaPss, HashAlg::kSha256, "x"),
              HasError(ErrorCode::kInvalidKey));
}

}  // namespace
}  // namespace sesame::crypto
