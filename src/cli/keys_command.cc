#include "cli/keys_command.h"

#include <sys/stat.h>

#include <iostream>

#include "common/files.h"
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
  const auto data_dir = DataDir(context);
  if (!data_dir) {
    return;
  }
  const std::string path = KeyStorePath(*data_dir);
  auto text = ReadSecretFile(path);
  if (!text) {
    *context.err << "no key store at " << path
                 << " (the server creates one when it first starts)\n";
    context.exit_code = kExitUsage;
    return;
  }
  auto keys = jose::KeySet::FromJson(text->view());
  if (!keys) {
    *context.err << "invalid_key: " << path << ": " << keys.error().detail << "\n";
    context.exit_code = kExitUsage;
    return;
  }
  *context.out << "KID                                          ALG    PRIVATE\n";
  for (const jose::Jwk& key : keys->keys()) {
    std::string kid = key.kid();
    kid.resize(std::max<size_t>(kid.size(), 44), ' ');
    std::string alg(jose::AlgorithmName(key.algorithm()));
    alg.resize(6, ' ');
    *context.out << kid << " " << alg << " " << (key.has_private() ? "yes" : "no") << "\n";
  }
}

}  // namespace

std::string KeyStorePath(const std::string& data_dir) {
  return data_dir + "/keys.json";
}

void AddKeysCommand(CLI::App& app, CliContext& context) {
  CLI::App* keys = app.add_subcommand("keys", "Signing keys: generate a JWK, list the key store");
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

  CLI::App* list = keys->add_subcommand("list", "List the keys in the data directory's store");
  list->callback([&context] { List(context); });
}

}  // namespace sesame::cli
