#include "cli/keys_command.h"

#include <sys/stat.h>

#include <iostream>

#include "app/node.h"
#include "auth/key_ring.h"
#include "auth/session_cache.h"
#include "common/clock.h"
#include "common/files.h"
#include "crypto/random.h"
#include "jose/algorithm.h"
#include "jose/jwk.h"
#include "jose/key_set.h"

namespace sesame::cli {
namespace {

std::string AlgorithmList() {
  std::string names;
  for (jose::Algorithm alg : jose::kAllAlgorithms) {
    names += (names.empty() ? "" : ", ") + std::string(jose::AlgorithmName(alg));
  }
  return names;
}

void Generate(CliContext& context, const std::string& alg_name, const std::string& out_path) {
  const auto alg = jose::ParseAlgorithm(alg_name);
  if (!alg) {
    *context.err << "invalid_request: --alg must be one of " << AlgorithmList() << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  auto key = jose::Jwk::Generate(*alg);
  if (!key) {
    *context.err << ErrorCodeName(key.error().code) << ": " << key.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  std::string json = key->ToJson(/*include_private=*/true) + "\n";
  if (out_path.empty()) {
    *context.out << json;
  } else {
    struct stat st;
    if (::stat(out_path.c_str(), &st) == 0) {
      *context.err << "io_error: " << out_path << " exists; refusing to overwrite a key file\n";
      context.exit_code = kExitUsage;
    } else if (auto written = WriteFileAtomically(out_path, json, 0600); !written) {
      *context.err << "io_error: " << written.error().detail << "\n";
      context.exit_code = kExitUsage;
    } else {
      *context.out << "wrote " << jose::AlgorithmName(*alg) << " key " << key->kid() << " to "
                   << out_path << "\n";
    }
  }
  SecureWipe(json.data(), json.size());
}

void List(CliContext& context) {
  const auto key_file = KeyRingFile(context);
  if (!key_file) {
    return;
  }
  const std::string& path = *key_file;
  auto ring = auth::KeyRing::Load(path);
  if (!ring) {
    *context.err << ErrorCodeName(ring.error().code) << ": " << ring.error().detail
                 << " (the server creates the key ring when it first starts)\n";
    context.exit_code = kExitUsage;
    return;
  }
  *context.out
      << "KID                                          ALG    STATE    CREATED    RETIRED\n";
  for (const auth::RingKey& key : ring->keys()) {
    std::string kid = key.jwk.kid();
    kid.resize(std::max<size_t>(kid.size(), 44), ' ');
    std::string alg(jose::AlgorithmName(key.jwk.algorithm()));
    alg.resize(6, ' ');
    std::string state(auth::KeyStateName(key.state));
    state.resize(8, ' ');
    *context.out << kid << " " << alg << " " << state << " " << ToUnixSeconds(key.created_at) << " "
                 << (key.retired_at ? std::to_string(ToUnixSeconds(*key.retired_at)) : "-") << "\n";
  }
}

struct RotateOptions {
  std::string alg;
  bool force = false;
};

void Rotate(CliContext& context, const RotateOptions& options) {
  auto config = LoadCliConfig(context);
  if (!config) {
    *context.err << ErrorCodeName(config.error().code) << ": " << config.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  const auto alg = jose::ParseAlgorithm(options.alg.empty() ? config->jwt.algorithm : options.alg);
  if (!alg) {
    *context.err << "invalid_request: --alg must be one of " << AlgorithmList() << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  const std::string path = app::KeyRingPath(*config);
  const TimePoint now = SystemClock().Now();
  auto ring = auth::KeyRing::LoadOrCreate(path, *alg, now);
  if (!ring) {
    *context.err << ErrorCodeName(ring.error().code) << ": " << ring.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  // Retired keys must outlive every token they signed: the access TTL plus the leeway.
  if (auto rotated = ring->Rotate(*alg, now, app::TokenHorizon(*config), options.force); !rotated) {
    *context.err << ErrorCodeName(rotated.error().code) << ": " << rotated.error().detail
                 << " (--force)\n";
    context.exit_code = kExitFailed;
    return;
  }
  if (auto saved = ring->Save(path); !saved) {
    *context.err << "io_error: " << saved.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  *context.out << "active key is now " << ring->active().kid() << "; a running server picks it "
               << "up within a second\n";
}

// A new API key for a service that calls /v1/oauth/introspect and /v1/oauth/revoke. Only its
// hash goes into the configuration; the key itself is shown once.
void ApiKey(CliContext& context, const std::string& name) {
  const std::string key = "sk_" + crypto::RandomToken();
  const std::string entry = name + ":" + auth::SecretHashText(auth::HashSecret(key));
  if (auto valid = config::ParseApiClient(entry); !valid) {
    *context.err << "invalid_request: " << valid.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  *context.out << "API key for " << name << " (shown once; give it to the service):\n  " << key
               << "\n\nAdd this entry to oauth.clients in the configuration:\n  [oauth]\n"
               << "  clients = [\"" << entry << "\"]\n"
               << "The service authenticates with HTTP Basic (user " << name
               << ", password the key) or Authorization: Bearer <key>.\n";
}

}  // namespace

void AddKeysCommand(CLI::App& app, CliContext& context) {
  CLI::App* keys =
      app.add_subcommand("keys", "Signing keys: generate a JWK, list and rotate the key ring");
  keys->require_subcommand(1);

  CLI::App* generate = keys->add_subcommand(
      "generate", "Print a new private JWK (with kid) as JSON; no store is touched");
  // The callback owns the option values, and CLI11 keeps the callback as long as the app.
  struct Options {
    std::string alg, out;
  };
  auto options = std::make_shared<Options>();
  generate->add_option("--alg", options->alg, "Algorithm: " + AlgorithmList())->required();
  generate->add_option("--out", options->out,
                       "Write the key to FILE (mode 0600) instead of stdout");
  generate->callback([&context, options] { Generate(context, options->alg, options->out); });

  CLI::App* list = keys->add_subcommand("list", "List the keys of the data directory's key ring");
  list->callback([&context] { List(context); });

  CLI::App* rotate = keys->add_subcommand(
      "rotate", "Make the next key active; the old one verifies until its tokens expire");
  auto rotate_options = std::make_shared<RotateOptions>();
  rotate->add_option("--alg", rotate_options->alg,
                     "Algorithm of the new next key (default: jwt.algorithm)");
  rotate->add_flag("--force", rotate_options->force,
                   "Rotate even if the next key was published less than 5 minutes ago");
  rotate->callback([&context, rotate_options] { Rotate(context, *rotate_options); });

  CLI::App* api_key = keys->add_subcommand(
      "api-key", "Make an API key for a service that introspects or revokes tokens");
  auto api_key_name = std::make_shared<std::string>();
  api_key->add_option("NAME", *api_key_name, "The service's name (its client id)")->required();
  api_key->callback([&context, api_key_name] { ApiKey(context, *api_key_name); });
}

}  // namespace sesame::cli
