#!/usr/bin/python3
"""Multi-node numbers (issue 6), each against a reference measured in the same run.

- session-mode GET /v1/auth/verify req/s on one node: sessions in Redis (+ users in
  PostgreSQL) vs the embedded SQLite store (wrk, 50 connections, sesame on core 0, wrk and the
  stores on core 1);
- logins/s and refreshes/s with Redis + PostgreSQL vs SQLite (32 client threads, cheap
  argon2id so the store, not the hash, is measured);
- jwt revocation propagation between two nodes over Redis pub/sub: p50/p99 over N revocations
  (logout on A returns, then B polled until it refuses);
- Redis memory per session: used_memory over 10,000 sessions, and MEMORY USAGE of one.

Usage: bench/cluster.py path/to/sesame [revocations=1000] [seconds=10]
Needs redis-server, PostgreSQL 15, wrk (scripts/install-deps.sh installs them).
"""

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))

from local_postgres import LocalPostgres  # noqa: E402
from local_redis import LocalRedis  # noqa: E402
from sesame_server import SesameServer, merge_config, CHEAP_PASSWORD_CONFIG  # noqa: E402

PASSWORD = "bench-password-" + os.urandom(4).hex()
BASE = merge_config(CHEAP_PASSWORD_CONFIG, {
    "limits": {"login_attempts_per_ip": "100000000 per 1m",
               "login_failures_per_user": "100000000 per 1m"},
    "session": {"max_per_user": 0},
    "server": {"io_threads": 1, "access_log": False},
})


def wrk(port, token, seconds):
    script = os.path.join(tempfile.mkdtemp(), "auth.lua")
    with open(script, "w") as f:
        f.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token)
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50", "-d%ds" % seconds, "-s", script,
                          "http://127.0.0.1:%d/v1/auth/verify" % port],
                         capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError("wrk saw errors:\n" + out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def login(node, mode="session", name="bench"):
    r = node.request("POST", "/v1/auth/login", json={
        "username": name, "password": PASSWORD, "mode": mode, "transport": "header"})
    assert r.status == 200, r
    return r.json


def rate(fn, count, threads=32):
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda i: fn(i), range(count)))
    elapsed = time.monotonic() - start
    assert all(results), "some calls failed"
    return count / elapsed


def start_node(config, pin="0", data_from=None):
    node = SesameServer(BINARY, config=config, start=False)
    if data_from is not None:
        os.makedirs(node.data_dir, exist_ok=True)
        for name in ("keys.json", "session.key"):
            shutil.copy2(os.path.join(data_from.data_dir, name), os.path.join(node.data_dir, name))
    node.start()
    subprocess.run(["taskset", "-apc", pin, str(node.proc.pid)], check=True, capture_output=True)
    return node


def measure(label, config, seconds, report):
    node = start_node(config)
    try:
        node.add_user("bench", PASSWORD)
        token = login(node)["session_token"]
        report[label + " verify req/s"] = wrk(node.port, token, seconds)
        report[label + " logins/s"] = rate(lambda i: login(node) is not None, 2000)
        tokens = [login(node, "jwt")["refresh_token"] for _ in range(2000)]

        def refresh(i):
            r = node.request("POST", "/v1/auth/refresh", json={"refresh_token": tokens[i]})
            return r.status == 200
        report[label + " refreshes/s"] = rate(refresh, len(tokens))
    finally:
        node.close()


def propagation(config, count):
    a = start_node(config)
    b = start_node(config, pin="0", data_from=a)
    try:
        a.add_user("prop", PASSWORD)
        times = []
        for _ in range(count):
            token = login(a, "jwt", "prop")["access_token"]
            assert b.request("GET", "/v1/auth/verify", headers={"Authorization": "Bearer " + token}).status == 200
            start = time.monotonic()
            r = a.request("POST", "/v1/auth/logout", headers={"Authorization": "Bearer " + token})
            assert r.status == 204, r
            conn = b.connection()
            while True:
                conn.request("GET", "/v1/auth/verify", headers={"Authorization": "Bearer " + token})
                resp = conn.getresponse()
                resp.read()
                if resp.status == 401:
                    break
            times.append(time.monotonic() - start)
        times.sort()
        return times
    finally:
        a.close()
        b.close()


def redis_memory(redis, config):
    node = start_node(config)
    try:
        node.add_user("mem", PASSWORD)
        def used():
            info = redis.command("INFO", "memory").decode()
            return int(re.search(r"used_memory:(\d+)", info).group(1))
        before = used()
        n = 10000
        # Through the real login path, jwt and session mode alike.
        rate(lambda i: login(node, "session" if i % 2 else "jwt", "mem") is not None, n)
        after = used()
        one = login(node, "session", "mem")["session"]["id"]
        return (after - before) / n, one
    finally:
        node.close()


def main():
    global BINARY
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    BINARY = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    report = {}
    with LocalRedis() as redis, LocalPostgres() as postgres:
        subprocess.run(["taskset", "-apc", "1", str(redis.proc.pid)], check=True, capture_output=True)
        multi = merge_config(BASE, {"store": {"sessions": redis.url,
                                              "users": postgres.create_database("bench")}})
        measure("sqlite", BASE, seconds, report)
        measure("redis+postgresql", multi, seconds, report)
        times = propagation(multi, count)
        per_session, _ = redis_memory(redis, multi)
    for key, value in report.items():
        print("%-34s %10.0f" % (key, value))
    for what in ("verify req/s", "logins/s", "refreshes/s"):
        print("ratio redis+postgresql/sqlite %-14s %.2f" % (
            what, report["redis+postgresql " + what] / report["sqlite " + what]))
    p = lambda q: times[min(len(times) - 1, int(len(times) * q))] * 1000  # noqa: E731
    print("revocation propagation A->B over %d: p50 %.2f ms  p99 %.2f ms  max %.2f ms" % (
        len(times), p(0.5), p(0.99), times[-1] * 1000))
    print("redis memory per session (used_memory delta / 10,000 logins): %.0f bytes" % per_session)


if __name__ == "__main__":
    main()
