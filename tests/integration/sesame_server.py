"""Test harness: a real `sesame serve` on loopback, in a fresh temporary directory.

Standard library only (Debian's /usr/bin/python3). A SesameServer writes its own sesame.toml
(data_dir inside the temporary directory), starts the server on port 0, reads the port from the
"sesame listening on http://127.0.0.1:PORT" line on stderr, and stops it with SIGTERM (exit code 0
expected). It also runs CLI commands against the same data directory and speaks HTTP to the
server. Every secret the harness sees go by (passwords sent, tokens sent or received) is
remembered, so a test can check that none of them reached the server's logs.
"""

import http.client
import json as jsonlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import tomllib
import urllib.parse

LISTENING = re.compile(rb"sesame listening on http://\S+?:(\d+) ")

# Cheap argon2id so that tests run fast; a class that measures hashing cost sets its own.
CHEAP_PASSWORD_CONFIG = {"password": {"argon2_iterations": 1, "argon2_memory": "64KiB"}}


class ServerError(AssertionError):
    pass


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return jsonlib.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError("unsupported TOML value: %r" % (value,))


def render_toml(tables):
    """{section: {key: value}} as TOML text, one [section] table each."""
    out = []
    for section, keys in tables.items():
        out.append("[%s]" % section)
        for key, value in keys.items():
            out.append("%s = %s" % (key, _toml_value(value)))
        out.append("")
    return "\n".join(out)


def merge_config(*parts):
    """Merges TOML texts and {section: {key: value}} dicts; later parts win per key."""
    merged = {}
    for part in parts:
        if not part:
            continue
        tables = tomllib.loads(part) if isinstance(part, str) else part
        for section, keys in tables.items():
            if not isinstance(keys, dict):
                raise ValueError("top-level key %r is not a [section] table" % section)
            merged.setdefault(section, {}).update(keys)
    return merged


class Headers:
    """Case-insensitive response headers. Set-Cookie keeps every value, as a list."""

    def __init__(self, pairs):
        self._values = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def __getitem__(self, name):
        values = self._values[name.lower()]
        if name.lower() == "set-cookie":
            return list(values)
        return ", ".join(values)

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def get_all(self, name):
        return list(self._values.get(name.lower(), []))

    def __contains__(self, name):
        return name.lower() in self._values

    def __repr__(self):
        return "Headers(%r)" % (self._values,)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.json = None
        if body and "json" in headers.get("Content-Type", ""):
            try:
                self.json = jsonlib.loads(body)
            except ValueError:
                self.json = None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def cookies(self):
        """{name: (value, {attribute-lower: value-or-True})} from Set-Cookie."""
        out = {}
        for line in self.headers.get_all("Set-Cookie"):
            parts = [p.strip() for p in line.split(";")]
            name, _, value = parts[0].partition("=")
            attrs = {}
            for attr in parts[1:]:
                key, eq, val = attr.partition("=")
                attrs[key.strip().lower()] = val.strip() if eq else True
            out[name.strip()] = (value.strip(), attrs)
        return out

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


def parse_responses(data):
    """Splits raw bytes holding HTTP/1.1 responses (Content-Length framed) into
    [(status, Headers, body)]; stops at the first incomplete one."""
    out = []
    while data:
        head_end = data.find(b"\r\n\r\n")
        if head_end < 0:
            break
        head = data[:head_end].decode("latin-1").split("\r\n")
        status = int(head[0].split(" ")[1])
        pairs = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            pairs.append((name.strip(), value.strip()))
        headers = Headers(pairs)
        length = int(headers.get("Content-Length", "0"))
        start = head_end + 4
        if len(data) < start + length:
            break
        out.append((status, headers, data[start:start + length]))
        data = data[start + length:]
    return out


class SesameServer:
    """One `sesame serve` process on 127.0.0.1:<ephemeral port>, with its own data directory.

    config_text: extra TOML (may hold a [server] table: it is merged, never repeated).
    config: the same as {section: {key: value}}, applied after config_text.
    env: extra environment variables for the server and the CLI (SESAME_* from the outer
    environment are dropped so that they cannot change the test's configuration).
    """

    START_TIMEOUT = 20.0
    STOP_TIMEOUT = 25.0  # the server drains for at most 15 s

    def __init__(self, binary, config_text="", env=None, config=None, start=True,
                 listen="127.0.0.1:0"):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="sesame-it-")
        self.data_dir = os.path.join(self.tmp, "var")
        self.config_path = os.path.join(self.tmp, "sesame.toml")
        tables = merge_config(config_text, config, {"server": {"data_dir": self.data_dir}})
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(render_toml(tables))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
        self.env.update(env or {})
        self.listen = listen  # reached at 127.0.0.1 whatever it is (also "[::]:0": dual stack)
        self.proc = None
        self.port = None
        self.log_files = []  # every stdout/stderr file of every start
        self.exit_codes = []
        self.crashes = []  # exit codes of deaths noticed (and revived) between tests
        self._secrets = set()
        self._secrets_lock = threading.Lock()
        self._starts = 0
        if start:
            self.start()

    # -- process ----------------------------------------------------------------------------

    def start(self):
        assert self.proc is None, "already running"
        self._starts += 1
        out_path = os.path.join(self.tmp, "stdout.%d.log" % self._starts)
        err_path = os.path.join(self.tmp, "stderr.%d.log" % self._starts)
        self.log_files += [out_path, err_path]
        self.stdout_path, self.stderr_path = out_path, err_path
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--config", self.config_path, "--listen", self.listen],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=self.tmp, env=self.env)
        deadline = time.monotonic() + self.START_TIMEOUT
        while True:
            with open(err_path, "rb") as f:
                match = LISTENING.search(f.read())
            if match:
                self.port = int(match.group(1))
                return self
            code = self.proc.poll()
            if code is not None:
                self.proc = None
                raise ServerError("sesame serve exited with %d before listening:\n%s"
                                  % (code, self.stderr()))
            if time.monotonic() > deadline:
                self._kill()
                raise ServerError("sesame serve did not report its port within %.0f s:\n%s"
                                  % (self.START_TIMEOUT, self.stderr()))
            time.sleep(0.02)

    def stop(self):
        """SIGTERM, then wait; the exit code must be 0. Kills by PID if it hangs."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        died = proc.poll()
        if died is not None:
            self.exit_codes.append(died)
            raise ServerError("sesame serve had already %s before SIGTERM:\n%s"
                              % (describe_exit(died), self.stderr()))
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=self.STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ServerError("sesame serve (pid %d) ignored SIGTERM for %.0f s; killed"
                              % (proc.pid, self.STOP_TIMEOUT))
        self.exit_codes.append(code)
        if code != 0:
            raise ServerError("sesame serve %s after SIGTERM:\n%s"
                              % (describe_exit(code), self.stderr()))

    def died(self):
        """The exit code if the server process ended on its own, else None."""
        return None if self.proc is None else self.proc.poll()

    def revive(self):
        """Starts the server again if it died; returns the exit code it died with, or None."""
        code = self.died()
        if code is None:
            return None
        self.proc = None
        self.exit_codes.append(code)
        self.crashes.append(code)
        self.start()
        return code

    def _kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self):
        """Stops (exit 0 asserted) and starts again on the same data directory."""
        self.stop()
        return self.start()

    def close(self, remove=True):
        """Stops if running (killing on failure) and removes the temporary directory."""
        try:
            self.stop()
        finally:
            self._kill()
            if remove:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def logs(self):
        """All stdout and stderr the server wrote, over every start."""
        data = b""
        for path in self.log_files:
            with open(path, "rb") as f:
                data += f.read()
        return data

    # -- command line -----------------------------------------------------------------------

    def cli(self, *args, input=None, check=True, timeout=60):
        proc = subprocess.run([self.binary, *args, "--config", self.config_path],
                              input=input, capture_output=True, text=True, cwd=self.tmp,
                              env=self.env, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("sesame %s exited with %d: %s%s" % (
                " ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def add_user(self, name, password, roles=()):
        self.remember_secret(password)
        args = ["user", "add", name]
        for role in roles:
            args += ["--role", role]
        args.append("--password-stdin")
        return self.cli(*args, input=password + "\n")

    # -- secrets ------------------------------------------------------------------------------

    def remember_secret(self, value):
        if isinstance(value, str) and len(value) >= 8:
            with self._secrets_lock:
                self._secrets.add(value)

    def secrets(self):
        with self._secrets_lock:
            return set(self._secrets)

    def leaked_secrets(self):
        """The remembered secrets that appear in the server's logs (stop it first to flush)."""
        logs = self.logs()
        return sorted(s for s in self.secrets() if s.encode("utf-8") in logs)

    def _note_request_secrets(self, headers, body_fields):
        for name, value in headers.items():
            lname = name.lower()
            if lname == "authorization":
                self.remember_secret(value.partition(" ")[2].strip())
            elif lname == "cookie":
                for pair in value.split(";"):
                    self.remember_secret(pair.partition("=")[2].strip())
            elif lname == "x-csrf-token":
                self.remember_secret(value)
        if isinstance(body_fields, dict):
            for key in ("password", "session_token", "refresh_token", "token", "device_token"):
                if isinstance(body_fields.get(key), str):
                    self.remember_secret(body_fields[key])

    def _note_response_secrets(self, response):
        for value, _ in response.cookies().values():
            self.remember_secret(value)
        if isinstance(response.json, dict):
            for key in ("session_token", "csrf_token", "access_token", "refresh_token",
                        "device_token"):
                self.remember_secret(response.json.get(key))

    # -- HTTP ---------------------------------------------------------------------------------

    @property
    def host(self):
        return "127.0.0.1:%d" % self.port

    @property
    def origin(self):
        return "http://%s" % self.host

    def connection(self, timeout=15, source_address=None):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=source_address)

    def request(self, method, path, headers=None, body=None, json=None, form=None,
                timeout=15, source_address=None, conn=None):
        """One request on a fresh connection (or on `conn` if given). Returns a Response
        with status, headers (case-insensitive), body (bytes) and json (parsed or None)."""
        headers = dict(headers or {})
        fields = None
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
            fields = json
        elif form is not None:
            body = urllib.parse.urlencode(form).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
            fields = dict(form)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        self._note_request_secrets(headers, fields)
        own = conn is None
        if own:
            conn = self.connection(timeout=timeout, source_address=source_address)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            response = Response(raw.status, raw.reason, Headers(raw.getheaders()), data)
        except (ConnectionError, http.client.RemoteDisconnected) as e:
            self._raise_if_dead(e)
            raise
        finally:
            if own:
                conn.close()
        self._note_response_secrets(response)
        return response

    def _raise_if_dead(self, error):
        """After a connection error: if the server process died, say so plainly."""
        if self.proc is None:
            return
        try:
            code = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            return
        raise ServerError("sesame serve %s (%s: %s); stderr:\n%s"
                          % (describe_exit(code), type(error).__name__, error,
                             self.stderr()[-2000:])) from error

    def raw_socket(self, timeout=15, source_address=None):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout,
                                        source_address=source_address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def raw_exchange(self, data, timeout=15):
        """Sends raw bytes on a fresh socket, reads until the server closes (or timeout).
        Returns (bytes received, closed_by_server)."""
        with self.raw_socket(timeout=timeout) as sock:
            sock.sendall(data)
            return read_until_closed(sock, timeout)


def describe_exit(code):
    if code < 0:
        try:
            return "died of %s" % signal.Signals(-code).name
        except ValueError:
            return "died of signal %d" % -code
    return "exited with %d" % code


def read_until_closed(sock, timeout):
    """Reads until EOF or `timeout` seconds; returns (data, saw_eof)."""
    deadline = time.monotonic() + timeout
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), False
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), False
        except ConnectionResetError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def read_responses(sock, count, timeout=15):
    """Reads from a keep-alive socket until `count` complete responses arrived."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        parsed = parse_responses(data)
        if len(parsed) >= count:
            return parsed
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("only %d of %d responses within %.0f s: %r"
                                 % (len(parsed), count, timeout, data[:500]))
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed after %d of %d responses: %r"
                                 % (len(parsed), count, data[:500]))
        data += chunk
