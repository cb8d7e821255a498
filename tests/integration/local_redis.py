"""A real redis-server for integration tests: 127.0.0.1, a free port, a temp dir, stopped by PID.

Standard library only. stop() and start() again keep the port, so a test can take Redis away
and bring it back. `persistence=True` turns on the append-only file with fsync on every write
(what docs/scaling.md recommends), so a restart keeps what Redis acknowledged.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalRedis:
    def __init__(self, persistence=False):
        self.dir = tempfile.mkdtemp(prefix="sesame-redis-")
        self.port = free_port()
        self.persistence = persistence
        self.proc = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self):
        assert self.proc is None
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--logfile", os.path.join(self.dir, "redis.log")]
        if self.persistence:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited at start")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer within 20 s")
            time.sleep(0.02)

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def command(self, *args):
        """One command over RESP; returns the raw reply bytes (enough for INFO and DBSIZE)."""
        payload = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            payload += b"$%d\r\n%s\r\n" % (len(a), a)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(payload)
            data = b""
            s.settimeout(5)
            while True:
                chunk = s.recv(65536)
                data += chunk
                if not chunk or self._complete(data):
                    return data

    @staticmethod
    def _complete(data):
        if data[:1] in (b"+", b"-", b":"):
            return data.endswith(b"\r\n")
        if data[:1] == b"$":
            head, _, rest = data.partition(b"\r\n")
            n = int(head[1:])
            return n < 0 or len(rest) >= n + 2
        return data.endswith(b"\r\n")

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
