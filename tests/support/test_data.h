#pragma once

// Reads files from tests/data (SESAME_TEST_DATA_DIR is set by tests/CMakeLists.txt).

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sesame::testing {

inline std::string ReadTestData(const std::string& relative_path) {
  const std::string path = std::string(SESAME_TEST_DATA_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("missing test data " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace sesame::testing
