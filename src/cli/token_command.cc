#include "cli/token_command.h"

#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "auth/key_ring.h"
#include "cli/keys_command.h"
#include "common/base64url.h"
#include "common/files.h"
#include "jose/jwk.h"
#include "jose/jwt_verifier.h"
#include "jose/key_set.h"
#include "verifier/jwks_fetch.h"

namespace sesame::cli {
namespace {

// "-" reads the token from standard input (trailing whitespace removed).
std::string TokenArgument(CliContext& context, const std::string& arg) {
  if (arg != "-") {
    return arg;
  }
  std::string text(std::istreambuf_iterator<char>(*context.in), {});
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

void Fail(CliContext& context, const Error& error, int exit_code) {
  *context.err << ErrorCodeName(error.code) << ": " << error.detail << "\n";
  context.exit_code = exit_code;
}

// Pretty JSON if the text parses, else the text itself.
std::string Pretty(const std::string& text) {
  auto parsed = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? text : parsed.dump(2);
}

void Decode(CliContext& context, const std::string& token_arg) {
  const std::string token = TokenArgument(context, token_arg);
  auto parts = jose::SplitCompact(token);
  if (!parts) {
    Fail(context, parts.error(), kExitFailed);
    return;
  }
  auto header = Base64UrlDecode(parts->header_b64);
  auto payload = Base64UrlDecode(parts->payload_b64);
  if (!header || !payload) {
    Fail(context, {ErrorCode::kInvalidToken, "a segment is not canonical base64url"}, kExitFailed);
    return;
  }
  *context.out << "UNVERIFIED: the signature and claims have not been checked\n"
               << "header:\n"
               << Pretty(*header) << "\nclaims:\n"
               << Pretty(*payload) << "\n";
}

void Sign(CliContext& context, const std::string& key_path, const std::string& claims,
          const std::string& typ) {
  auto text = ReadSecretFile(key_path);
  if (!text) {
    Fail(context, text.error(), kExitUsage);
    return;
  }
  auto key = jose::Jwk::FromJson(text->view());
  if (!key) {
    Fail(context, key.error(), kExitUsage);
    return;
  }
  auto token = jose::SignJwt(*key, claims, typ);
  if (!token) {
    Fail(context, token.error(), kExitUsage);
    return;
  }
  *context.out << *token << "\n";
}

struct VerifyOptions {
  std::string jwks, iss, aud, token;
};

void Verify(CliContext& context, const VerifyOptions& options) {
  Result<jose::KeySet> keys;
  if (options.jwks.empty()) {
    // The data directory's key ring: every key in it may have signed a live token.
    const auto key_file = KeyRingFile(context);
    if (!key_file) {
      return;
    }
    auto ring = auth::KeyRing::Load(*key_file);
    if (!ring) {
      Fail(context, ring.error(), kExitUsage);
      return;
    }
    keys = ring->VerificationKeys(FromUnixSeconds(0), Seconds(int64_t{1} << 40));
  } else if (options.jwks.starts_with("http://") || options.jwks.starts_with("https://")) {
    auto text = verifier::FetchUrl(options.jwks, verifier::FetchOptions{});
    if (!text) {
      Fail(context, text.error(), kExitUsage);
      return;
    }
    keys = jose::KeySet::FromJson(*text);
  } else {
    auto text = ReadSecretFile(options.jwks);
    if (!text) {
      Fail(context, text.error(), kExitUsage);
      return;
    }
    keys = jose::KeySet::FromJson(text->view());
  }
  if (!keys) {
    Fail(context, keys.error(), kExitUsage);
    return;
  }
  jose::ClaimsPolicy policy;
  policy.leeway = Seconds(60);
  policy.issuer = options.iss;
  policy.audience = options.aud;
  // Only the public halves verify; a private JWK given here is used as its public key.
  auto shared = std::make_shared<const jose::KeySet>(std::move(*keys));
  jose::JwtVerifier verifier(shared, std::move(policy));
  std::string payload;
  auto claims =
      verifier.Verify(TokenArgument(context, options.token), SystemClock().Now(), &payload);
  if (!claims) {
    Fail(context, claims.error(), kExitFailed);
    return;
  }
  *context.out << Pretty(payload) << "\n";
}

}  // namespace

void AddTokenCommand(CLI::App& app, CliContext& context) {
  CLI::App* token = app.add_subcommand("token", "Decode, sign and verify JWTs");
  token->require_subcommand(1);

  struct Options {
    std::string decode_token, sign_key, sign_claims, sign_typ = "JWT";
    VerifyOptions verify;
  };
  // The callbacks own the option values, and CLI11 keeps the callbacks as long as the app.
  auto options = std::make_shared<Options>();

  CLI::App* decode =
      token->add_subcommand("decode", "Print a JWT's header and claims, pretty, marked UNVERIFIED");
  decode->add_option("jwt", options->decode_token, "The token, or - to read it from stdin")
      ->required();
  decode->callback([&context, options] { Decode(context, options->decode_token); });

  CLI::App* sign =
      token->add_subcommand("sign", "Sign claims as a compact JWS with the key's alg and kid");
  sign->add_option("--key", options->sign_key, "Private JWK file")->required();
  sign->add_option("--claims", options->sign_claims, "Claims as one JSON object")->required();
  sign->add_option("--typ", options->sign_typ, "Header typ (default JWT; at+jwt for access)");
  sign->callback([&context, options] {
    Sign(context, options->sign_key, options->sign_claims, options->sign_typ);
  });

  CLI::App* verify = token->add_subcommand(
      "verify",
      "Check a JWT's signature, exp/nbf (60 s leeway) and, when given, iss and aud; "
      "no revocation state. Exit 0 and the claims, or exit 1 and '<code>: <reason>'");
  verify->add_option("--jwks", options->verify.jwks,
                     "JWKS or single JWK file (default: the data directory's key store)");
  verify->add_option("--iss", options->verify.iss, "Required issuer");
  verify->add_option("--aud", options->verify.aud, "Required audience");
  verify->add_option("jwt", options->verify.token, "The token, or - to read it from stdin")
      ->required();
  verify->callback([&context, options] { Verify(context, options->verify); });
}

}  // namespace sesame::cli
