#include "crypto/asymmetric_key.h"

#include <array>
#include <atomic>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "crypto/fetched_digest.h"
#include "crypto/openssl_handles.h"

namespace sesame::crypto {

struct AsymmetricKey::Impl {
  uint64_t serial = 0;  // unique per key object in this process (keys the verify-context cache)
  PkeyPtr pkey;
  KeyKind kind;
  std::optional<Curve> curve;
  int bits = 0;
  size_t signature_size = 0;
  bool has_private = false;
  std::array<uint8_t, 66> order{};  // ECDSA: the group order, big-endian, CoordinateSize bytes
};

namespace {

const char* GroupName(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return "prime256v1";
    case Curve::kP384:
      return "secp384r1";
    case Curve::kP521:
      return "secp521r1";
  }
  return "";
}

int CurveNid(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return NID_X9_62_prime256v1;
    case Curve::kP384:
      return NID_secp384r1;
    case Curve::kP521:
      return NID_secp521r1;
  }
  return NID_undef;
}

std::optional<Curve> CurveFromGroupName(std::string_view name) {
  if (name == "prime256v1" || name == "P-256") {
    return Curve::kP256;
  }
  if (name == "secp384r1" || name == "P-384") {
    return Curve::kP384;
  }
  if (name == "secp521r1" || name == "P-521") {
    return Curve::kP521;
  }
  return std::nullopt;
}

// The reason OpenSSL gave, for a key error message, and a clean error queue for the next call
// on this thread.
std::string TakeOpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) {
    return "no reason given";
  }
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "unknown reason";
}

tl::unexpected<Error> KeyError(std::string what) {
  return MakeError(ErrorCode::kInvalidKey, std::move(what));
}

std::string BnToBytes(const BIGNUM* bn, size_t pad_to = 0) {
  const size_t size = pad_to ? pad_to : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(size, '\0');
  if (size != 0 &&
      BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) < 0) {
    return {};
  }
  return out;
}

BnPtr BytesToBn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

SecureBnPtr SecretToBn(const SecretBytes& bytes) {
  BIGNUM* bn = BN_secure_new();
  if (bn == nullptr) {
    return nullptr;
  }
  if (BN_bin2bn(bytes.span().data(), static_cast<int>(bytes.size()), bn) == nullptr) {
    BN_clear_free(bn);
    return nullptr;
  }
  return SecureBnPtr(bn);
}

std::string GetBnParam(const EVP_PKEY* pkey, const char* name, size_t pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    ERR_clear_error();
    return {};
  }
  SecureBnPtr bn(raw);
  return BnToBytes(bn.get(), pad_to);
}

SecretBytes GetSecretBnParam(const EVP_PKEY* pkey, const char* name, size_t pad_to = 0) {
  std::string bytes = GetBnParam(pkey, name, pad_to);
  SecretBytes secret(bytes);
  SecureWipe(bytes.data(), bytes.size());
  return secret;
}

bool SchemeFits(SignatureScheme scheme, KeyKind kind) {
  switch (scheme) {
    case SignatureScheme::kRsaPkcs1v15:
    case SignatureScheme::kRsaPss:
      return kind == KeyKind::kRsa;
    case SignatureScheme::kEcdsa:
      return kind == KeyKind::kEc;
    case SignatureScheme::kEd25519:
      return kind == KeyKind::kEd25519;
  }
  return false;
}

// Sets up ctx for signing or verifying with key under scheme and hash.
bool InitSignatureContext(EVP_MD_CTX* ctx, EVP_PKEY* pkey, SignatureScheme scheme, HashAlg hash,
                          bool for_signing) {
  EVP_PKEY_CTX* pctx = nullptr;
  // Ed25519 hashes internally (PureEdDSA, RFC 8032): no digest is passed.
  const EVP_MD* md = scheme == SignatureScheme::kEd25519 ? nullptr : FetchedDigest(hash);
  const int ok = for_signing ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey)
                             : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey);
  if (ok != 1) {
    return false;
  }
  if (scheme == SignatureScheme::kRsaPss) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt exactly as long as the hash output. On
    // verify this refuses signatures made with any other salt length.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
      return false;
    }
  } else if (scheme == SignatureScheme::kRsaPkcs1v15) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return false;
    }
  }
  return true;
}

// One verify context per thread, reset after each use.
EVP_MD_CTX* ScratchVerifyContext() {
  thread_local MdCtxPtr scratch(EVP_MD_CTX_new());
  if (!scratch) {
    std::abort();  // out of memory at thread start: nothing can be verified
  }
  return scratch.get();
}

// True if the big-endian number is zero or not below the (same-length) order.
bool IsZeroOrNotBelow(std::span<const uint8_t> value, std::span<const uint8_t> order) {
  bool all_zero = true;
  for (uint8_t b : value) {
    all_zero = all_zero && b == 0;
  }
  return all_zero || std::memcmp(value.data(), order.data(), value.size()) >= 0;
}

// A verify context prepared for one key, scheme and hash: EVP_PKEY_verify_init done, padding
// and digest set. Setting a context up costs several microseconds in OpenSSL 3 (about a fifth of
// an RSA-2048 verify); a prepared one is reused for every token of that key on this thread.
// The context holds its own reference to the key, so an entry outliving its AsymmetricKey is
// harmless; entries are keyed by the key's process-unique serial, never by its address.
struct PreparedVerify {
  uint64_t serial = 0;
  SignatureScheme scheme = SignatureScheme::kEd25519;
  HashAlg hash = HashAlg::kSha256;
  PkeyCtxPtr ctx;
};

EVP_PKEY_CTX* PreparedVerifyContext(uint64_t serial, EVP_PKEY* pkey, SignatureScheme scheme,
                                    HashAlg hash) {
  // A few entries cover the keys one server verifies with (current, next and retired).
  constexpr size_t kEntries = 8;
  thread_local std::array<PreparedVerify, kEntries> cache;
  thread_local size_t next = 0;
  for (PreparedVerify& entry : cache) {
    if (entry.serial == serial && entry.scheme == scheme && entry.hash == hash && entry.ctx) {
      return entry.ctx.get();
    }
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  const EVP_MD* md = FetchedDigest(hash);
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  if (scheme == SignatureScheme::kRsaPss) {
    // RFC 7518 §3.5: MGF1 with the same hash, salt exactly as long as the hash output.
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1) {
      ERR_clear_error();
      return nullptr;
    }
  } else if (scheme == SignatureScheme::kRsaPkcs1v15) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
      ERR_clear_error();
      return nullptr;
    }
  }
  PreparedVerify& slot = cache[next];
  next = (next + 1) % kEntries;
  slot = PreparedVerify{serial, scheme, hash, std::move(ctx)};
  return slot.ctx.get();
}

}  // namespace

size_t CoordinateSize(Curve curve) {
  switch (curve) {
    case Curve::kP256:
      return 32;
    case Curve::kP384:
      return 48;
    case Curve::kP521:
      return 66;
  }
  return 0;
}

struct AsymmetricKeyFactory {
  // Wraps a checked pkey; fills kind, size and order.
  static Result<AsymmetricKey> Wrap(PkeyPtr pkey, bool has_private) {
    static std::atomic<uint64_t> next_serial{1};
    auto impl = std::make_shared<AsymmetricKey::Impl>();
    impl->serial = next_serial.fetch_add(1, std::memory_order_relaxed);
    const int id = EVP_PKEY_get_base_id(pkey.get());
    impl->bits = EVP_PKEY_get_bits(pkey.get());
    impl->has_private = has_private;
    if (id == EVP_PKEY_RSA) {
      impl->kind = KeyKind::kRsa;
      if (impl->bits < AsymmetricKey::kMinRsaBits || impl->bits > AsymmetricKey::kMaxRsaBits) {
        return KeyError("RSA key has " + std::to_string(impl->bits) +
                        " bits; sesame accepts 2048 to 8192 (RFC 7518 §3.3 requires 2048)");
      }
      impl->signature_size = static_cast<size_t>(EVP_PKEY_get_size(pkey.get()));
    } else if (id == EVP_PKEY_EC) {
      impl->kind = KeyKind::kEc;
      char name[64] = {};
      size_t name_len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                         &name_len) != 1) {
        return KeyError("EC key has no named curve: " + TakeOpenSslError());
      }
      impl->curve = CurveFromGroupName(std::string_view(name, name_len));
      if (!impl->curve) {
        return KeyError("EC curve " + std::string(name, name_len) +
                        " is not one of P-256, P-384, P-521");
      }
      const size_t coord = CoordinateSize(*impl->curve);
      impl->signature_size = 2 * coord;
      EcGroupPtr group(EC_GROUP_new_by_curve_name(CurveNid(*impl->curve)));
      if (!group || BN_bn2binpad(EC_GROUP_get0_order(group.get()), impl->order.data(),
                                 static_cast<int>(coord)) != static_cast<int>(coord)) {
        return MakeError(ErrorCode::kInternal, "cannot read the curve order");
      }
    } else if (id == EVP_PKEY_ED25519) {
      impl->kind = KeyKind::kEd25519;
      impl->signature_size = 64;
    } else {
      return KeyError("unsupported key type");
    }
    impl->pkey = std::move(pkey);
    return AsymmetricKey(std::move(impl));
  }

  // Runs OpenSSL's own consistency checks on a key built from outside components.
  static Result<void> Check(EVP_PKEY* pkey, bool has_private) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx) {
      return MakeError(ErrorCode::kInternal, "out of memory");
    }
    if (EVP_PKEY_public_check(ctx.get()) != 1) {
      return KeyError("public key is not valid: " + TakeOpenSslError());
    }
    if (has_private && EVP_PKEY_pairwise_check(ctx.get()) != 1) {
      return KeyError("private key does not match its public key: " + TakeOpenSslError());
    }
    return {};
  }

  static Result<AsymmetricKey> FromParams(const char* type, OSSL_PARAM_BLD* bld, bool has_private) {
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    EVP_PKEY* raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &raw, has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1) {
      return KeyError(std::string(type) + " key components are not valid: " + TakeOpenSslError());
    }
    PkeyPtr pkey(raw);
    if (auto checked = Check(pkey.get(), has_private); !checked) {
      return tl::unexpected(checked.error());
    }
    return Wrap(std::move(pkey), has_private);
  }

  static Result<AsymmetricKey> Generated(EVP_PKEY* raw) {
    if (raw == nullptr) {
      return MakeError(ErrorCode::kInternal, "key generation failed: " + TakeOpenSslError());
    }
    return Wrap(PkeyPtr(raw), true);
  }
};

Result<AsymmetricKey> AsymmetricKey::GenerateRsa(int bits) {
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return KeyError("RSA keys must have 2048 to 8192 bits");
  }
  return AsymmetricKeyFactory::Generated(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

Result<AsymmetricKey> AsymmetricKey::GenerateEc(Curve curve) {
  return AsymmetricKeyFactory::Generated(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", GroupName(curve)));
}

Result<AsymmetricKey> AsymmetricKey::GenerateEd25519() {
  return AsymmetricKeyFactory::Generated(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

Result<AsymmetricKey> AsymmetricKey::FromRsa(const RsaComponents& c) {
  if (c.n.empty() || c.e.empty()) {
    return KeyError("RSA key needs n and e");
  }
  const bool has_private = !c.d.empty();
  const bool has_crt =
      !c.p.empty() || !c.q.empty() || !c.dp.empty() || !c.dq.empty() || !c.qi.empty();
  if (has_crt && (c.p.empty() || c.q.empty() || c.dp.empty() || c.dq.empty() || c.qi.empty())) {
    return KeyError("RSA private key has some but not all of p, q, dp, dq, qi");
  }
  if (has_crt && !has_private) {
    return KeyError("RSA key has CRT members but no d");
  }
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  BnPtr n = BytesToBn(c.n), e = BytesToBn(c.e);
  SecureBnPtr d, p, q, dp, dq, qi;
  if (!bld || !n || !e || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return MakeError(ErrorCode::kInternal, "out of memory");
  }
  if (has_private) {
    d = SecretToBn(c.d);
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1) {
      return MakeError(ErrorCode::kInternal, "out of memory");
    }
  }
  if (has_crt) {
    p = SecretToBn(c.p);
    q = SecretToBn(c.q);
    dp = SecretToBn(c.dp);
    dq = SecretToBn(c.dq);
    qi = SecretToBn(c.qi);
    if (!p || !q || !dp || !dq || !qi ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi.get()) != 1) {
      return MakeError(ErrorCode::kInternal, "out of memory");
    }
  }
  // Refuse oversized moduli before OpenSSL spends time checking them.
  if (static_cast<int>(BN_num_bits(n.get())) > kMaxRsaBits) {
    return KeyError("RSA modulus is larger than 8192 bits");
  }
  return AsymmetricKeyFactory::FromParams("RSA", bld.get(), has_private);
}

Result<AsymmetricKey> AsymmetricKey::FromEc(const EcComponents& c) {
  const size_t coord = CoordinateSize(c.curve);
  if (c.x.size() != coord || c.y.size() != coord) {
    return KeyError("EC x and y must each be " + std::to_string(coord) +
                    " bytes for this curve (RFC 7518 §6.2.1.2)");
  }
  const bool has_private = !c.d.empty();
  if (has_private && c.d.size() != coord) {
    return KeyError("EC d must be " + std::to_string(coord) + " bytes for this curve");
  }
  std::string point;
  point.reserve(1 + 2 * coord);
  point.push_back('\x04');  // uncompressed point (SEC 1 §2.3.3)
  point += c.x;
  point += c.y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  SecureBnPtr d;
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, GroupName(c.curve),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "out of memory");
  }
  if (has_private) {
    d = SecretToBn(c.d);
    if (!d || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
      return MakeError(ErrorCode::kInternal, "out of memory");
    }
  }
  return AsymmetricKeyFactory::FromParams("EC", bld.get(), has_private);
}

Result<AsymmetricKey> AsymmetricKey::FromEd25519(const Ed25519Components& c) {
  if (c.x.size() != 32) {
    return KeyError("Ed25519 x must be 32 bytes");
  }
  const bool has_private = !c.d.empty();
  if (has_private && c.d.size() != 32) {
    return KeyError("Ed25519 d must be 32 bytes");
  }
  EVP_PKEY* raw =
      has_private
          ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, c.d.span().data(), 32)
          : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(c.x.data()), 32);
  if (raw == nullptr) {
    return KeyError("Ed25519 key is not valid: " + TakeOpenSslError());
  }
  PkeyPtr pkey(raw);
  if (has_private) {
    std::array<uint8_t, 32> derived{};
    size_t len = derived.size();
    if (EVP_PKEY_get_raw_public_key(pkey.get(), derived.data(), &len) != 1 ||
        std::memcmp(derived.data(), c.x.data(), 32) != 0) {
      ERR_clear_error();
      return KeyError("Ed25519 private key does not match its public key x");
    }
  }
  return AsymmetricKeyFactory::Wrap(std::move(pkey), has_private);
}

KeyKind AsymmetricKey::kind() const {
  return impl_->kind;
}
std::optional<Curve> AsymmetricKey::curve() const {
  return impl_->curve;
}
int AsymmetricKey::bits() const {
  return impl_->bits;
}
size_t AsymmetricKey::signature_size() const {
  return impl_->signature_size;
}
bool AsymmetricKey::has_private() const {
  return impl_->has_private;
}

AsymmetricKey AsymmetricKey::PublicOnly() const {
  if (!impl_->has_private) {
    return *this;
  }
  // Rebuild from the public components, so the private half is not reachable at all.
  Result<AsymmetricKey> key = MakeError(ErrorCode::kInternal, "");
  switch (impl_->kind) {
    case KeyKind::kRsa:
      key = FromRsa(*ExportRsa(false));
      break;
    case KeyKind::kEc:
      key = FromEc(*ExportEc(false));
      break;
    case KeyKind::kEd25519:
      key = FromEd25519(*ExportEd25519(false));
      break;
  }
  if (!key) {
    std::abort();  // the components of a valid key always form a valid key
  }
  return *key;
}

Result<RsaComponents> AsymmetricKey::ExportRsa(bool include_private) const {
  if (impl_->kind != KeyKind::kRsa) {
    return KeyError("not an RSA key");
  }
  const EVP_PKEY* pkey = impl_->pkey.get();
  RsaComponents c;
  c.n = GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_N);
  c.e = GetBnParam(pkey, OSSL_PKEY_PARAM_RSA_E);
  if (include_private && impl_->has_private) {
    c.d = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_D);
    c.p = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
    c.q = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
    c.dp = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
    c.dq = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
    c.qi = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
  }
  return c;
}

Result<EcComponents> AsymmetricKey::ExportEc(bool include_private) const {
  if (impl_->kind != KeyKind::kEc) {
    return KeyError("not an EC key");
  }
  const EVP_PKEY* pkey = impl_->pkey.get();
  const size_t coord = CoordinateSize(*impl_->curve);
  EcComponents c;
  c.curve = *impl_->curve;
  c.x = GetBnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, coord);
  c.y = GetBnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, coord);
  if (include_private && impl_->has_private) {
    c.d = GetSecretBnParam(pkey, OSSL_PKEY_PARAM_PRIV_KEY, coord);
  }
  return c;
}

Result<Ed25519Components> AsymmetricKey::ExportEd25519(bool include_private) const {
  if (impl_->kind != KeyKind::kEd25519) {
    return KeyError("not an Ed25519 key");
  }
  Ed25519Components c;
  c.x.resize(32);
  size_t len = 32;
  if (EVP_PKEY_get_raw_public_key(impl_->pkey.get(), reinterpret_cast<unsigned char*>(c.x.data()),
                                  &len) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot read Ed25519 public key");
  }
  if (include_private && impl_->has_private) {
    c.d = SecretBytes(32);
    len = 32;
    if (EVP_PKEY_get_raw_private_key(impl_->pkey.get(), c.d.mutable_span().data(), &len) != 1) {
      return MakeError(ErrorCode::kInternal, "cannot read Ed25519 private key");
    }
  }
  return c;
}

Result<std::string> AsymmetricKey::Sign(SignatureScheme scheme, HashAlg hash,
                                        std::string_view data) const {
  if (!impl_->has_private) {
    return KeyError("a public key cannot sign");
  }
  if (!SchemeFits(scheme, impl_->kind)) {
    return KeyError("signature scheme does not fit the key type");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || !InitSignatureContext(ctx.get(), impl_->pkey.get(), scheme, hash, true) ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "signing failed: " + TakeOpenSslError());
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    return MakeError(ErrorCode::kInternal, "signing failed: " + TakeOpenSslError());
  }
  sig.resize(len);
  if (scheme != SignatureScheme::kEcdsa) {
    return sig;
  }
  // OpenSSL writes ECDSA signatures as DER; JOSE wants r||s, each padded to the coordinate size.
  const auto* der = reinterpret_cast<const unsigned char*>(sig.data());
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(sig.size())));
  if (!parsed) {
    return MakeError(ErrorCode::kInternal, "cannot parse ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(parsed.get(), &r, &s);
  const size_t coord = CoordinateSize(*impl_->curve);
  return BnToBytes(r, coord) + BnToBytes(s, coord);
}

bool AsymmetricKey::Verify(SignatureScheme scheme, HashAlg hash, std::string_view data,
                           std::span<const uint8_t> signature) const {
  if (!SchemeFits(scheme, impl_->kind) || signature.size() != impl_->signature_size) {
    return false;
  }
  std::array<unsigned char, 160> der_buffer;
  std::span<const uint8_t> sig = signature;
  if (scheme == SignatureScheme::kEcdsa) {
    // RFC 7518 §3.4 fixes the form to r||s. Check the ranges here rather than trusting the DER
    // round trip: r and s must be in [1, n-1] (SEC 1 §4.1.4 step 1).
    const size_t coord = impl_->signature_size / 2;
    const std::span<const uint8_t> order(impl_->order.data(), coord);
    if (IsZeroOrNotBelow(signature.first(coord), order) ||
        IsZeroOrNotBelow(signature.last(coord), order)) {
      return false;
    }
    EcdsaSigPtr ecdsa(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(signature.data(), static_cast<int>(coord), nullptr);
    BIGNUM* s = BN_bin2bn(signature.data() + coord, static_cast<int>(coord), nullptr);
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      return false;
    }
    unsigned char* out = der_buffer.data();
    const int der_size = i2d_ECDSA_SIG(ecdsa.get(), &out);
    if (der_size <= 0) {
      return false;
    }
    sig = std::span<const uint8_t>(der_buffer.data(), static_cast<size_t>(der_size));
  }
  bool ok = false;
  if (scheme == SignatureScheme::kEd25519) {
    // PureEdDSA signs the message itself, not a digest: one-shot DigestVerify.
    EVP_MD_CTX* ctx = ScratchVerifyContext();
    ok = InitSignatureContext(ctx, impl_->pkey.get(), scheme, hash, false) &&
         EVP_DigestVerify(ctx, sig.data(), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    EVP_MD_CTX_reset(ctx);
  } else {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
    unsigned int digest_size = 0;
    EVP_PKEY_CTX* ctx = PreparedVerifyContext(impl_->serial, impl_->pkey.get(), scheme, hash);
    ok = ctx != nullptr &&
         EVP_Digest(data.data(), data.size(), digest.data(), &digest_size, FetchedDigest(hash),
                    nullptr) == 1 &&
         EVP_PKEY_verify(ctx, sig.data(), sig.size(), digest.data(), digest_size) == 1;
  }
  if (!ok) {
    ERR_clear_error();
  }
  return ok;
}

}  // namespace sesame::crypto
