#!/usr/bin/env python3
"""Does scraping /metrics slow logins down? (issue 13, finding 10)

Login p99 with and without 12 clients scraping /metrics in a loop, on a SQLite store holding
COUNT live sessions made through the store API (bench/session_fill.cc). Before the fix every
scrape counted the sessions table on the store pool; now a scrape reads counters only.

  bench/metrics_scrape.py BUILD_DIR [COUNT] [SECONDS] [REPETITIONS]

BUILD_DIR holds src/cli/sesame and bench/sesame_session_fill. The store lives on tmpfs
(/dev/shm) so that filling it through the API (one transaction per session) takes a minute, not
an hour of fsyncs; argon2id is cheap (t=1, 64 KiB) so that the store, not hashing, is what a
login waits for. sesame runs on core 0 with one io thread; the login client (wrk, 8
connections) and the 12 other clients (wrk at nice 19) on core 1. Two configurations: /metrics
on the main listener, compared with the same 12 clients on /healthz (the cost of any request);
and /metrics on its own listener (server.metrics_listen). Each repetition measures every row
back to back; medians, their runs, and each row's ratio to "alone" are printed.
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

LOGIN_LUA = r'''
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"bench-password-1","transport":"header"}'
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("sesame did not listen on %d" % port)


def wrk(args):
    out = subprocess.run(["taskset", "-c", "1", "wrk"] + args, capture_output=True, text=True,
                         check=True).stdout
    return out


def latency_ms(text, percentile):
    match = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % percentile, text, re.M)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def requests_per_second(text):
    return float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def measure(sesame, work, config_extra, targets, seconds, reps):
    """Starts sesame with `config_extra`, and returns {row: (median login p99 ms, runs, median
    req/s of the 12 clients)} for "alone" and each target (name → URL given the ports)."""
    port, metrics_port = free_port(), free_port()
    config = os.path.join(work, "sesame.toml")
    with open(config, "w") as f:
        f.write('[server]\ndata_dir = "%s/var"\nio_threads = 1\naccess_log = false\n%s'
                '[password]\nargon2_iterations = 1\nargon2_memory = "64KiB"\n'
                '[limits]\nlogin_attempts_per_ip = "100000000 per 1m"\n'
                % (work, config_extra.replace("METRICS_PORT", str(metrics_port))))
    proc = subprocess.Popen(["taskset", "-c", "0", sesame, "serve", "--config", config,
                             "--listen", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        login = ["-t1", "-c8", "-d%ds" % seconds, "--latency", "-s",
                 os.path.join(work, "login.lua"), "http://127.0.0.1:%d/v1/auth/login" % port]
        # Warm-up, not measured: the first writes after the fill checkpoint its large WAL.
        wrk(login[:2] + ["-d3s"] + login[3:])
        runs = {"alone": ([], [])}
        runs.update({name: ([], []) for name in targets})
        for _ in range(reps):
            runs["alone"][0].append(latency_ms(wrk(login), 99))
            for name, path in targets.items():
                url = "http://127.0.0.1:%d%s" % (
                    metrics_port if path.startswith("METRICS") else port,
                    path.replace("METRICS", ""))
                # The 12 clients share core 1 with the login client: at nice 19 they do not
                # delay the measuring client itself, so what moves is sesame's latency.
                clients = subprocess.Popen(
                    ["nice", "-n", "19", "taskset", "-c", "1", "wrk", "-t1", "-c12",
                     "-d%ds" % (seconds + 2), url], stdout=subprocess.PIPE, text=True)
                time.sleep(1)  # the clients are running before the login run starts
                runs[name][0].append(latency_ms(wrk(login), 99))
                runs[name][1].append(requests_per_second(clients.communicate()[0]))
        return {name: (statistics.median(p99s), p99s, statistics.median(rates) if rates else 0)
                for name, (p99s, rates) in runs.items()}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def report(title, rows):
    print(title)
    alone = rows["alone"][0]
    for name, (p99, runs, rate) in rows.items():
        print("  login p99 %-40s %7.2f ms  x%.2f  (runs %s)%s"
              % (name + ":", p99, p99 / alone, ", ".join("%.2f" % v for v in runs),
                 "  their req/s %.0f" % rate if rate else ""))


def main():
    build = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    sesame = os.path.join(build, "src/cli/sesame")
    fill = os.path.join(build, "bench/sesame_session_fill")
    work = tempfile.mkdtemp(prefix="sesame-scrape-", dir="/dev/shm")
    try:
        with open(os.path.join(work, "login.lua"), "w") as f:
            f.write(LOGIN_LUA)
        with open(os.path.join(work, "user.toml"), "w") as f:
            f.write('[server]\ndata_dir = "%s/var"\n' % work)
        subprocess.run([sesame, "user", "add", "bench", "--password-stdin", "--config",
                        os.path.join(work, "user.toml")],
                       input="bench-password-1\n", text=True, check=True, capture_output=True)
        filled = subprocess.run([fill, os.path.join(work, "var"), "bench", str(count)],
                                capture_output=True, text=True, check=True).stdout.strip()
        print("store: " + filled)
        report("metrics on the main listener (the default):", measure(
            sesame, work, "", {"12 clients on /metrics": "/metrics",
                               "12 clients on /healthz": "/healthz"}, seconds, reps))
        report("metrics on their own listener (server.metrics_listen, SCHED_IDLE):", measure(
            sesame, work, 'metrics_listen = "127.0.0.1:METRICS_PORT"\n',
            {"12 clients on /metrics": "METRICS/metrics"}, seconds, reps))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
