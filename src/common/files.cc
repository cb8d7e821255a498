#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace sesame {
namespace {

tl::unexpected<Error> IoError(const std::string& what, const std::string& path, int err) {
  return MakeError(ErrorCode::kIoError,
                   what + " " + path + ": " + std::system_category().message(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return IoError("cannot open", path, errno);
  }
  std::string out;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return IoError("cannot read", path, errno);
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<SecretBytes> ReadSecretFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return IoError("cannot open", path, errno);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return IoError("cannot stat", path, errno);
  }
  constexpr off_t kMaxSecretFile = 1 << 20;  // a JWKS of private keys is a few KiB
  if (st.st_size > kMaxSecretFile) {
    return MakeError(ErrorCode::kIoError, path + " is larger than 1 MiB");
  }
  SecretBytes secret(static_cast<size_t>(st.st_size));
  size_t filled = 0;
  while (filled < secret.size()) {
    const ssize_t n =
        ::read(fd.get(), secret.mutable_span().data() + filled, secret.size() - filled);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return IoError("cannot read", path, errno);
    }
    if (n == 0) {
      return MakeError(ErrorCode::kIoError, path + " shrank while being read");
    }
    filled += static_cast<size_t>(n);
  }
  return secret;
}

Result<void> WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    return IoError("cannot create", tmp, errno);
  }
  // The umask may have removed bits, never added them; set the mode exactly.
  if (::fchmod(fd.get(), mode) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot set the mode of", tmp, err);
  }
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      ::unlink(tmp.c_str());
      return IoError("cannot write", tmp, err);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot flush", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot rename onto", path, err);
  }
  return {};
}

}  // namespace sesame
