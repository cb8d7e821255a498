#include "common/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "result_matchers.h"
#include "temp_dir.h"

namespace sesame {
namespace {

using testing::HasError;

class FilesTest : public ::testing::Test {
 protected:
  testing::TempDir temp_{"sesame-files"};
  const std::string dir_ = temp_.path();
};

TEST_F(FilesTest, WritesAtomicallyWithTheGivenMode) {
  const std::string path = dir_ + "/key.json";
  ASSERT_TRUE(WriteFileAtomically(path, "first", 0600));
  ASSERT_TRUE(WriteFileAtomically(path, "second", 0600));
  EXPECT_EQ(ReadFile(path).value(), "second");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temporary file is left behind.
  EXPECT_NE(::access((path + ".tmp." + std::to_string(::getpid())).c_str(), F_OK), 0);
}

TEST_F(FilesTest, ReadsSecretFilesIntoSecretBytes) {
  const std::string path = dir_ + "/secret";
  ASSERT_TRUE(WriteFileAtomically(path, std::string(5000, 's'), 0600));
  auto secret = ReadSecretFile(path);
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->view(), std::string(5000, 's'));
  EXPECT_THAT(ReadSecretFile(dir_ + "/missing"), HasError(ErrorCode::kIoError));
}

TEST_F(FilesTest, ReadOfMissingFileIsIoError) {
  EXPECT_THAT(ReadFile(dir_ + "/missing"), HasError(ErrorCode::kIoError));
}

TEST_F(FilesTest, WriteIntoMissingDirectoryIsIoError) {
  EXPECT_THAT(WriteFileAtomically(dir_ + "/no/such/file", "x", 0600),
              HasError(ErrorCode::kIoError));
}

}  // namespace
}  // namespace sesame
