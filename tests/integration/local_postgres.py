"""Test harness: a real PostgreSQL on loopback, in a fresh temporary directory.

Standard library only (Debian's /usr/bin/python3). A LocalPostgres runs initdb (trust
authentication, superuser `sesame`, fsync off) in a temporary directory, starts `postgres` on
127.0.0.1 at a free port, waits until it accepts connections, and stops it by its PID. PostgreSQL
refuses to run as root: when the tests run as root, the server runs as `nobody`. The binaries come
from $SESAME_POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/*/bin, else $PATH; when they
are missing, start() raises PostgresNotFound, which a suite may turn into a visible skip.

    with LocalPostgres() as pg:
        url = pg.create_database("sesame")   # postgresql://sesame@127.0.0.1:PORT/sesame
        ...
        pg.stop(keep_data=True)              # the server is down; clients see it go away
        pg.start()                           # back on the same port, with the same data

The C++ tests have the same helper in tests/support/postgres_server.h.
"""

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

USER = "sesame"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


class PostgresNotFound(RuntimeError):
    """The PostgreSQL server binaries (initdb, postgres) are not installed."""


class PostgresError(RuntimeError):
    pass


def _is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_bin_dir():
    """The directory holding initdb, postgres and psql."""
    configured = os.environ.get("SESAME_POSTGRES_BIN_DIR")
    if configured:
        if not _is_executable(os.path.join(configured, "postgres")):
            raise PostgresNotFound("SESAME_POSTGRES_BIN_DIR=%s holds no executable postgres"
                                   % configured)
        return configured
    candidates = []
    try:
        for name in os.listdir("/usr/lib/postgresql"):
            bin_dir = os.path.join("/usr/lib/postgresql", name, "bin")
            if (name.isdigit() and _is_executable(os.path.join(bin_dir, "postgres"))
                    and _is_executable(os.path.join(bin_dir, "initdb"))):
                candidates.append((int(name), bin_dir))
    except FileNotFoundError:
        pass
    if candidates:
        return max(candidates)[1]
    for bin_dir in os.environ.get("PATH", "").split(os.pathsep):
        if (bin_dir and _is_executable(os.path.join(bin_dir, "postgres"))
                and _is_executable(os.path.join(bin_dir, "initdb"))):
            return bin_dir
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, postgres) not found in /usr/lib/postgresql/*/bin or "
        "$PATH: install the postgresql package or set SESAME_POSTGRES_BIN_DIR")


def free_port():
    """A loopback port nobody listens on right now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path, size=3000):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if len(text) <= size else "..." + text[-size:]


class LocalPostgres:
    """One PostgreSQL server for a test class or a test. Not thread-safe."""

    def __init__(self, bin_dir=None):
        self._bin_dir = bin_dir
        self._dir = None
        self._process = None
        self._run_as = None  # (uid, gid) when we are root
        self.port = None

    # Lifecycle.

    def start(self):
        """Starts the server (again, after stop(keep_data=True)) and waits until it is ready."""
        if self._process is not None:
            return self
        if self._dir is None:
            self._init()
            atexit.register(self.stop)
            # Another process may take the port between our pick and the server's bind.
            for attempt in range(5):
                self.port = free_port()
                try:
                    self._start_server()
                    return self
                except PostgresError as e:
                    if attempt == 4 or "could not bind" not in str(e):
                        self.stop()
                        raise
        self._start_server()
        return self

    def stop(self, keep_data=False):
        """Fast shutdown (SIGINT ends every session; SIGTERM would wait for clients to leave),
        then SIGQUIT, then SIGKILL if it takes too long. Removes the directory unless
        keep_data, with which start() brings the server back on the same port."""
        process, self._process = self._process, None
        if process is not None:
            for sig, timeout in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGQUIT, 5.0),
                                 (signal.SIGKILL, None)):
                try:
                    process.send_signal(sig)
                except ProcessLookupError:
                    pass
                try:
                    process.wait(timeout=timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if not keep_data and self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
            atexit.unregister(self.stop)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False

    @property
    def is_running(self):
        return self._process is not None and self._process.poll() is None

    # Clients.

    @property
    def url(self):
        """postgresql://sesame@127.0.0.1:PORT/postgres"""
        return self.url_for("postgres")

    def url_for(self, database):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, database)

    def sql(self, database, sql):
        """Runs sql with psql and returns what it prints (unaligned, tuples only: "1\\n")."""
        result = subprocess.run(
            [os.path.join(self._bin_dir, "psql"), "--no-psqlrc", "--quiet", "--no-align",
             "--tuples-only", "--set=ON_ERROR_STOP=1", "--dbname=" + self.url_for(database),
             "--command=" + sql],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise PostgresError("psql failed (exit code %d): %s"
                                % (result.returncode, result.stderr.strip()))
        return result.stdout

    def create_database(self, name):
        """Creates an empty database and returns its URL. name: lowercase letters, digits, _."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError("database name must match [a-z_][a-z0-9_]*: %r" % name)
        self.sql("postgres", "CREATE DATABASE " + name)
        return self.url_for(name)

    # Inside.

    def _data_dir(self):
        return os.path.join(self._dir, "data")

    def _log_path(self):
        return os.path.join(self._dir, "postgres.log")

    def _spawn_options(self):
        if self._run_as is None:
            return {}
        uid, gid = self._run_as
        return {"user": uid, "group": gid, "extra_groups": []}

    def _init(self):
        if self._bin_dir is None:
            self._bin_dir = find_bin_dir()
        self._dir = tempfile.mkdtemp(prefix="sesame-postgres-")
        if os.geteuid() == 0:
            try:
                nobody = pwd.getpwnam("nobody")
            except KeyError:
                raise PostgresError("running as root and there is no user `nobody` to run "
                                    "PostgreSQL as (it refuses root)") from None
            self._run_as = (nobody.pw_uid, nobody.pw_gid)
            os.chown(self._dir, nobody.pw_uid, nobody.pw_gid)
        log = os.path.join(self._dir, "initdb.log")
        with open(log, "wb") as out:
            result = subprocess.run(
                [os.path.join(self._bin_dir, "initdb"), "--pgdata=" + self._data_dir(),
                 "--username=" + USER, "--auth=trust", "--encoding=UTF8", "--no-locale",
                 "--no-sync", "--no-instructions"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, timeout=120,
                **self._spawn_options())
        if result.returncode != 0:
            output = _tail(log)
            self.stop()
            raise PostgresError("initdb failed (exit code %d):\n%s" % (result.returncode, output))

    def _start_server(self):
        pid_file = os.path.join(self._data_dir(), "postmaster.pid")
        try:
            os.remove(pid_file)
        except FileNotFoundError:
            pass
        log = self._log_path()
        offset = os.path.getsize(log) if os.path.exists(log) else 0
        with open(log, "ab") as out:
            self._process = subprocess.Popen(
                [os.path.join(self._bin_dir, "postgres"), "-D", self._data_dir(),
                 "-k", self._dir, "-h", "127.0.0.1", "-p", str(self.port), "-F",
                 "-c", "fsync=off", "-c", "full_page_writes=off",
                 "-c", "synchronous_commit=off"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                **self._spawn_options())
        # The postmaster writes "ready" as line 8 of postmaster.pid once it accepts connections
        # (pg_ctl waits the same way).
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._is_ready(pid_file):
                return
            code = self._process.poll()
            if code is not None:
                self._process = None
                with open(log, "rb") as f:
                    f.seek(offset)
                    output = f.read().decode("utf-8", "replace")
                raise PostgresError("postgres exited (exit code %d) before accepting "
                                    "connections:\n%s" % (code, output[-3000:]))
            if time.monotonic() >= deadline:
                self.stop(keep_data=True)
                raise PostgresError("postgres did not accept connections within %d s:\n%s"
                                    % (START_TIMEOUT, _tail(log)))
            time.sleep(0.005)

    def _is_ready(self, pid_file):
        try:
            with open(pid_file) as f:
                lines = f.read().split("\n")
        except OSError:
            return False
        return (len(lines) >= 8 and lines[0] == str(self._process.pid)
                and lines[7].startswith("ready"))


if __name__ == "__main__":
    # A quick check of the harness itself.
    started = time.monotonic()
    with LocalPostgres() as pg:
        url = pg.create_database("harness_check")
        assert pg.sql("harness_check", "SELECT 1") == "1\n"
        pg.stop(keep_data=True)
        assert not pg.is_running
        pg.start()
        assert pg.sql("harness_check", "SELECT current_database()") == "harness_check\n"
        print("ok: %s (%.1f s)" % (url, time.monotonic() - started))
