// sesame: the command line. Everything is in cli/cli_app.cc; this file only hands it argv.

#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sesame::cli::RunCli(args, std::cout, std::cerr, std::cin);
}
