#pragma once

// PostgresServer: a real PostgreSQL for tests, on 127.0.0.1 at a free port, in a fresh temporary
// directory (initdb with trust authentication, superuser `sesame`, fsync off), waited for until
// it accepts connections and stopped by its PID when destroyed, the directory removed with it.
// Stop() and Start() stop it and start it again on the same port with the same data, to test
// what clients do meanwhile. PostgreSQL refuses to run as root: when the tests run as root, the
// server runs as `nobody`. The binaries come from $SESAME_POSTGRES_BIN_DIR, else the newest
// /usr/lib/postgresql/*/bin, else $PATH; when they are missing the constructor throws, so the
// test fails (never a silent pass). SharedPostgresServer() is one server per test binary,
// started on first use and stopped at exit.
//
// Start, Stop and destruction belong to one thread; Sql and CreateDatabase may run on any. The
// server gets SIGQUIT if the thread that started it exits (PR_SET_PDEATHSIG, so a crashed test
// binary leaves no server behind): start it from the thread that runs the tests (GoogleTest's main
// thread), not from a worker.

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace sesame::testing {

namespace postgres_detail {

using SteadyClock = std::chrono::steady_clock;

// A loopback port nobody listens on right now (the kernel's pick for port 0).
inline int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

struct Credentials {
  uid_t uid;
  gid_t gid;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string Tail(const std::string& text, size_t size = 3000) {
  return text.size() <= size ? text : "..." + text.substr(text.size() - size);
}

inline bool IsExecutable(const std::filesystem::path& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

// The directory holding initdb and postgres.
inline std::string FindBinDir() {
  if (const char* configured = std::getenv("SESAME_POSTGRES_BIN_DIR");
      configured != nullptr && *configured != '\0') {
    if (!IsExecutable(std::filesystem::path(configured) / "postgres")) {
      throw std::runtime_error(std::string("SESAME_POSTGRES_BIN_DIR=") + configured +
                               " holds no executable postgres");
    }
    return configured;
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const long version = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || version <= best_version ||
        !IsExecutable(entry.path() / "bin" / "postgres") ||
        !IsExecutable(entry.path() / "bin" / "initdb")) {
      continue;
    }
    best_version = static_cast<int>(version);
    best = (entry.path() / "bin").string();
  }
  if (!best.empty()) {
    return best;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (!dir.empty() && IsExecutable(std::filesystem::path(dir) / "postgres") &&
          IsExecutable(std::filesystem::path(dir) / "initdb")) {
        return dir;
      }
    }
  }
  throw std::runtime_error(
      "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin or "
      "$PATH: install the postgresql package or set SESAME_POSTGRES_BIN_DIR");
}

// Starts `argv` with stdout and stderr appended to files, stdin from /dev/null, no other file
// descriptors, as `run_as` when given. With `die_with_parent`, the child gets SIGQUIT when the
// calling thread exits. Everything the child does before exec is async-signal-safe: the caller
// may have other threads.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
                   const std::string& stderr_path, std::optional<Credentials> run_as,
                   bool die_with_parent) {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid > 0) {
    return pid;
  }
  const int in = ::open("/dev/null", O_RDONLY);
  const int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
      ::dup2(err, 2) < 0) {
    ::_exit(126);
  }
#ifdef SYS_close_range
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
  if (run_as) {
    // Raw system calls: they change this (the only) thread, without glibc's broadcast to the
    // threads the parent had.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0 ||
        ::syscall(SYS_setresgid, run_as->gid, run_as->gid, run_as->gid) != 0 ||
        ::syscall(SYS_setresuid, run_as->uid, run_as->uid, run_as->uid) != 0) {
      ::_exit(126);
    }
  }
  if (die_with_parent) {
    // Set after the credential change, which would clear it.
    ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (::getppid() != parent) {
      ::_exit(126);
    }
  }
  ::execv(args[0], args.data());
  ::_exit(127);
}

// The exit status once `pid` has exited, or nullopt if it still runs at `deadline`.
inline std::optional<int> WaitForExit(pid_t pid, SteadyClock::time_point deadline) {
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) {
      return status;
    }
    if (SteadyClock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

inline std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) {
    return "exit code " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "signal " + std::to_string(WTERMSIG(status));
  }
  return "status " + std::to_string(status);
}

}  // namespace postgres_detail

class PostgresServer {
 public:
  // The superuser; connections from 127.0.0.1 need no password.
  static constexpr const char* kUser = "sesame";

  PostgresServer() : bin_dir_(postgres_detail::FindBinDir()) {
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr) {
        throw std::runtime_error(
            "running as root and there is no user `nobody` to run "
            "PostgreSQL as (it refuses root)");
      }
      run_as_ = postgres_detail::Credentials{nobody->pw_uid, nobody->pw_gid};
      if (::chown(dir_.path().c_str(), run_as_->uid, run_as_->gid) != 0) {
        throw std::runtime_error("chown " + dir_.path() + ": " + std::strerror(errno));
      }
    }
    Run({bin_dir_ + "/initdb", "--pgdata=" + data_dir(), "--username=" + std::string(kUser),
         "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync", "--no-instructions"},
        run_as_, std::chrono::seconds(120));
    // Another process may take the port between our pick and the server's bind: pick again.
    for (int attempt = 1;; ++attempt) {
      port_ = FreePort();
      try {
        Start();
        return;
      } catch (const std::runtime_error& e) {
        if (attempt == 5 ||
            std::string_view(e.what()).find("could not bind") == std::string_view::npos) {
          throw;
        }
      }
    }
  }

  ~PostgresServer() { Stop(); }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A loopback port nobody listens on right now (the kernel's pick for port 0).
  static int FreePort() { return postgres_detail::FreePort(); }

  int port() const { return port_; }
  bool is_running() const { return pid_ > 0; }
  const std::string& bin_dir() const { return bin_dir_; }
  // postgresql://sesame@127.0.0.1:PORT/DATABASE
  std::string url(std::string_view database = "postgres") const {
    return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" +
           std::string(database);
  }

  // Starts the server (again, after Stop) on port() and waits until it accepts connections.
  void Start() {
    if (pid_ > 0) {
      return;
    }
    std::error_code ignored;
    std::filesystem::remove(data_dir() + "/postmaster.pid", ignored);
    const std::string log = dir_.path() + "/postgres.log";
    const auto log_size = static_cast<size_t>(std::filesystem::file_size(log, ignored));
    pid_ =
        postgres_detail::Spawn({bin_dir_ + "/postgres", "-D", data_dir(), "-k", dir_.path(), "-h",
                                "127.0.0.1", "-p", std::to_string(port_), "-F", "-c", "fsync=off",
                                "-c", "full_page_writes=off", "-c", "synchronous_commit=off"},
                               log, log, run_as_, /*die_with_parent=*/true);
    // The postmaster writes "ready" as line 8 of postmaster.pid once it accepts connections
    // (pg_ctl waits the same way).
    const auto deadline = postgres_detail::SteadyClock::now() + std::chrono::seconds(60);
    for (;;) {
      if (IsReady()) {
        return;
      }
      if (const auto status = postgres_detail::WaitForExit(pid_, {})) {
        pid_ = -1;
        std::string output = postgres_detail::ReadFile(log);
        output.erase(0, std::min(log_size, output.size()));
        throw std::runtime_error("postgres exited (" + postgres_detail::DescribeStatus(*status) +
                                 ") before accepting connections:\n" +
                                 postgres_detail::Tail(output));
      }
      if (postgres_detail::SteadyClock::now() >= deadline) {
        Stop();
        throw std::runtime_error("postgres did not accept connections within 60 s:\n" +
                                 postgres_detail::Tail(postgres_detail::ReadFile(log)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Fast shutdown (SIGINT: ends every session, then exits; SIGTERM would wait for clients to
  // leave), then SIGQUIT, then SIGKILL if it takes too long. Keeps the data directory.
  void Stop() {
    if (pid_ <= 0) {
      return;
    }
    const auto now = postgres_detail::SteadyClock::now;
    ::kill(pid_, SIGINT);
    if (!postgres_detail::WaitForExit(pid_, now() + std::chrono::seconds(20))) {
      ::kill(pid_, SIGQUIT);
      if (!postgres_detail::WaitForExit(pid_, now() + std::chrono::seconds(5))) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
      }
    }
    pid_ = -1;
  }

  // Runs `sql` with psql in `database` and returns what it prints (unaligned, tuples only:
  // "1\n"). Throws with psql's message if it fails.
  std::string Sql(std::string_view database, const std::string& sql) {
    const std::string out = dir_.path() + "/psql-" + std::to_string(++psql_runs_) + ".out";
    const std::string err = out + ".err";
    Run({bin_dir_ + "/psql", "--no-psqlrc", "--quiet", "--no-align", "--tuples-only",
         "--set=ON_ERROR_STOP=1", "--dbname=" + url(database), "--command=" + sql},
        std::nullopt, std::chrono::seconds(60), out, err);
    std::string printed = postgres_detail::ReadFile(out);
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    std::filesystem::remove(err, ignored);
    return printed;
  }

  // Creates an empty database and returns its URL. `name`: lowercase letters, digits and _.
  std::string CreateDatabase(const std::string& name) {
    for (const char c : name) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        throw std::invalid_argument("database name must be [a-z0-9_]+: " + name);
      }
    }
    Sql("postgres", "CREATE DATABASE " + name);
    return url(name);
  }

 private:
  std::string data_dir() const { return dir_.path() + "/data"; }

  bool IsReady() const {
    std::ifstream pid_file(data_dir() + "/postmaster.pid");
    std::string line;
    for (int i = 1; i <= 8 && std::getline(pid_file, line); ++i) {
      if (i == 1 && line != std::to_string(pid_)) {
        return false;  // a stale file
      }
      if (i == 8) {
        return line.starts_with("ready");
      }
    }
    return false;
  }

  // Runs a command to its end; throws with its output unless it exits with 0.
  void Run(const std::vector<std::string>& argv, std::optional<postgres_detail::Credentials> as,
           std::chrono::seconds timeout, std::string out = {}, std::string err = {}) {
    if (out.empty()) {
      out = dir_.path() + "/" + std::filesystem::path(argv[0]).filename().string() + ".log";
      err = out;
    }
    const pid_t pid = postgres_detail::Spawn(argv, out, err, as, /*die_with_parent=*/false);
    auto status = postgres_detail::WaitForExit(pid, postgres_detail::SteadyClock::now() + timeout);
    if (!status) {
      ::kill(pid, SIGKILL);
      int killed = 0;
      ::waitpid(pid, &killed, 0);
      throw std::runtime_error(argv[0] + " did not finish within " +
                               std::to_string(timeout.count()) + " s");
    }
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      throw std::runtime_error(argv[0] + " failed (" + postgres_detail::DescribeStatus(*status) +
                               "):\n" + postgres_detail::Tail(postgres_detail::ReadFile(err)));
    }
  }

  const std::string bin_dir_;
  TempDir dir_{"sesame-postgres"};
  std::optional<postgres_detail::Credentials> run_as_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::atomic<int> psql_runs_{0};
};

// One server for the whole test binary, started on first use, stopped at exit. Throws (each
// time) if it could not be started.
inline PostgresServer& SharedPostgresServer() {
  static std::string error;
  static const std::unique_ptr<PostgresServer> server = []() -> std::unique_ptr<PostgresServer> {
    try {
      return std::make_unique<PostgresServer>();
    } catch (const std::exception& e) {
      error = e.what();
      return nullptr;
    }
  }();
  if (!server) {
    throw std::runtime_error("cannot start PostgreSQL: " + error);
  }
  return *server;
}

}  // namespace sesame::testing
