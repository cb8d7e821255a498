#!/usr/bin/env bash
# HTTP benchmark of the hot path, GET /v1/auth/verify with a valid session cookie, against
# the ceiling of this machine: nginx answering `return 204` from one worker. Both servers are
# pinned to core 0 and wrk to core 1 (taskset); every measurement is repeated and the medians
# are reported, with sesame's req/s as a ratio of nginx's measured in the same run.
# Then the same verify load while a login flood (argon2id at the configured cost) runs.
#
# Usage: bench/http_verify.sh [path/to/sesame] [repetitions] [seconds]
# Needs: wrk, nginx (scripts/install-deps.sh installs both), /usr/bin/python3, 2 cores.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
sesame="${1:-$here/../build/src/cli/sesame}"
reps="${2:-5}"
secs="${3:-10}"
conns=50
sesame="$(readlink -f "$sesame")"
[ -x "$sesame" ] || { echo "no sesame binary at $sesame (build first)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$nginx_bin" ] || { echo "nginx is not installed" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server on core 0, wrk on core 1)" >&2; exit 2; }

work="$(mktemp -d)"
sesame_pid=""
nginx_pid=""
flood_pid=""
cleanup() {
  [ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null || true
  [ -n "$sesame_pid" ] && kill "$sesame_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- nginx: the ceiling ---------------------------------------------------------------------
nginx_port="$(free_port)"
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 204; }
  }
}
EOF
taskset -c 0 "$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!

# --- sesame on one core ---------------------------------------------------------------------
cat > "$work/sesame.toml" <<EOF
[server]
data_dir = "$work/var"
io_threads = 1
workers = 1
access_log = ${SESAME_BENCH_ACCESS_LOG:-false}
[limits]
login_attempts_per_ip = "100000000 per 1m"
login_failures_per_user = "100000000 per 1m"
EOF
password="bench-password-$$"
echo "$password" | "$sesame" user add bench --password-stdin --config "$work/sesame.toml" >/dev/null
taskset -c 0 "$sesame" serve --config "$work/sesame.toml" --listen 127.0.0.1:0 \
  >"$work/access.log" 2>"$work/sesame.err" &
sesame_pid=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$work/sesame.err" 2>/dev/null && break
  sleep 0.1
done
sesame_port="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/sesame.err" | grep -o '[0-9]*$')"
[ -n "$sesame_port" ] || { cat "$work/sesame.err" >&2; exit 1; }

login_body="{\"username\":\"bench\",\"password\":\"$password\",\"transport\":\"header\"}"
token="$(curl -sf -X POST "http://127.0.0.1:$sesame_port/v1/auth/login" \
  -H 'Content-Type: application/json' -d "$login_body" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["session_token"])')"
cookie_login="$(curl -sf -D - -o /dev/null -X POST "http://127.0.0.1:$sesame_port/v1/auth/login" \
  -H 'Content-Type: application/json' -H "Origin: http://127.0.0.1:$sesame_port" \
  -d "{\"username\":\"bench\",\"password\":\"$password\"}")"
cookie="$(printf '%s' "$cookie_login" | tr -d '\r' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/p')"
[ -n "$token" ] && [ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
curl -sf -o /dev/null -H "Cookie: $cookie" "http://127.0.0.1:$sesame_port/v1/auth/verify"

# One wrk run → "req_per_s p50_ms p99_ms non2xx"
run_wrk() {
  local url="$1"; shift
  taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency "$@" "$url" | /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
p50, p99 = ms("50%"), ms("99%")
print("%.0f %.3f %.3f %s" % (rps, p50, p99, bad.group(1) if bad else 0))'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a nginx_runs sesame_runs flood_runs
echo "warming up..." >&2
run_wrk "http://127.0.0.1:$nginx_port/" >/dev/null
run_wrk "http://127.0.0.1:$sesame_port/v1/auth/verify" -H "Cookie: $cookie" >/dev/null
for i in $(seq 1 "$reps"); do
  nginx_runs+=("$(run_wrk "http://127.0.0.1:$nginx_port/")")
  sesame_runs+=("$(run_wrk "http://127.0.0.1:$sesame_port/v1/auth/verify" -H "Cookie: $cookie")")
  echo "run $i: nginx ${nginx_runs[-1]} | sesame ${sesame_runs[-1]}" >&2
done

# Login flood: 8 connections logging in as fast as the server lets them (argon2id at the
# default cost), while wrk measures verify as above. The flood client shares core 1 with wrk.
cat > "$work/login.lua" <<EOF
wrk.method = "POST"
wrk.body = '$login_body'
wrk.headers["Content-Type"] = "application/json"
EOF
for i in $(seq 1 "$reps"); do
  taskset -c 1 wrk -t1 -c8 -d"$((secs + 2))s" -s "$work/login.lua" \
    "http://127.0.0.1:$sesame_port/v1/auth/login" >"$work/flood.$i" &
  flood_pid=$!
  sleep 1
  flood_runs+=("$(run_wrk "http://127.0.0.1:$sesame_port/v1/auth/verify" -H "Cookie: $cookie")")
  wait "$flood_pid"; flood_pid=""
  logins="$(grep -o 'Requests/sec: *[0-9.]*' "$work/flood.$i" | grep -o '[0-9.]*$')"
  echo "flood run $i: sesame ${flood_runs[-1]} | logins/s $logins" >&2
  echo "$logins" >>"$work/logins"
done

col() { local n="$1"; shift; printf '%s\n' "$@" | awk -v n="$n" '{print $n}' | median; }
n_rps="$(col 1 "${nginx_runs[@]}")"; n_p50="$(col 2 "${nginx_runs[@]}")"; n_p99="$(col 3 "${nginx_runs[@]}")"
s_rps="$(col 1 "${sesame_runs[@]}")"; s_p50="$(col 2 "${sesame_runs[@]}")"; s_p99="$(col 3 "${sesame_runs[@]}")"
f_rps="$(col 1 "${flood_runs[@]}")"; f_p50="$(col 2 "${flood_runs[@]}")"; f_p99="$(col 3 "${flood_runs[@]}")"
s_bad="$(col 4 "${sesame_runs[@]}")"; f_bad="$(col 4 "${flood_runs[@]}")"
logins="$(median <"$work/logins")"

echo
echo "GET /v1/auth/verify (session cookie, hot cache); server on core 0, wrk -t1 -c$conns -d${secs}s on core 1; medians of $reps runs"
printf '%-34s %10s %9s %9s %8s\n' "" "req/s" "p50 ms" "p99 ms" "ratio"
printf '%-34s %10s %9s %9s %8s\n' "nginx return 204 (1 worker)" "$n_rps" "$n_p50" "$n_p99" "1.00"
printf '%-34s %10s %9s %9s %8s\n' "sesame verify" "$s_rps" "$s_p50" "$s_p99" \
  "$(awk -v a="$s_rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a/b}')"
printf '%-34s %10s %9s %9s %8s\n' "sesame verify during login flood" "$f_rps" "$f_p50" "$f_p99" \
  "$(awk -v a="$f_rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a/b}')"
echo "logins/s during the flood (argon2id default cost, 1 worker): $logins"
echo "non-2xx verify answers (median per run): $s_bad without flood, $f_bad with flood"
