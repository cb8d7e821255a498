// sesame: the command line. Everything is in cli/cli_app.cc; this file only hands it argv.

#include <unistd.h>

#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (text.starts_with("SESAME_") && eq != std::string_view::npos) {
      environment.emplace(text.substr(0, eq), text.substr(eq + 1));
    }
  }
  return sesame::cli::RunCli(args, std::cout, std::cerr, std::cin, environment);
}
