#!/usr/bin/env bash
# HTTP benchmark of the hot path, GET /v1/auth/verify, against the ceiling of this machine:
# nginx answering `return 204` from one worker. The servers are pinned to core 0 and wrk to
# core 1 (taskset); every measurement is repeated and the medians are reported, with sesame's
# req/s as a ratio of nginx's measured in the same run. Rows:
# - a session cookie (session mode, hot cache);
# - a bearer access JWT, ES256 and HS256 (one token repeated: the verified-token cache);
# - a fresh ES256 JWT on every request (the cache defeated), also as a ratio of what the raw
#   ES256 verify of the micro benchmark (same run, one core) allows;
# - the session cookie while a login flood (argon2id at the configured cost) runs;
# - POST /v1/auth/refresh: rotation with the SQLite store on disk (synchronous=FULL).
#
# Usage: bench/http_verify.sh [path/to/sesame] [repetitions] [seconds] [path/to/jose_bench]
# Needs: wrk, nginx (scripts/install-deps.sh installs both), /usr/bin/python3 with python3-jwt,
# 2 cores.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
sesame="${1:-$here/../build/src/cli/sesame}"
reps="${2:-5}"
secs="${3:-10}"
sesame="$(readlink -f "$sesame")"
jose_bench="${4:-$(dirname "$sesame")/../../bench/sesame_jose_bench}"
conns=50
[ -x "$sesame" ] || { echo "no sesame binary at $sesame (build first)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 2; }
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$nginx_bin" ] || { echo "nginx is not installed" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server on core 0, wrk on core 1)" >&2; exit 2; }

# On disk, not tmpfs: the refresh row measures durable writes.
work="$(mktemp -d /var/tmp/sesame-bench.XXXXXX)"
pids=()
flood_pid=""
cleanup() {
  [ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
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
pids+=($!)

# --- sesame on one core: ES256 (the default) and HS256, each with its own data directory ----
password="bench-password-$$"
# start_sesame NAME [extra TOML] → sets $port
start_sesame() {
  local name="$1" extra="${2:-}"
  mkdir -p "$work/$name"
  cat > "$work/$name/sesame.toml" <<EOF
[server]
data_dir = "$work/$name/var"
io_threads = 1
workers = 1
access_log = ${SESAME_BENCH_ACCESS_LOG:-false}
[limits]
login_attempts_per_ip = "100000000 per 1m"
login_failures_per_user = "100000000 per 1m"
$extra
EOF
  echo "$password" | "$sesame" user add bench --password-stdin \
    --config "$work/$name/sesame.toml" >/dev/null
  taskset -c 0 "$sesame" serve --config "$work/$name/sesame.toml" --listen 127.0.0.1:0 \
    >"$work/$name/access.log" 2>"$work/$name/sesame.err" &
  pids+=($!)
  for _ in $(seq 1 100); do
    grep -q 'listening on' "$work/$name/sesame.err" 2>/dev/null && break
    sleep 0.1
  done
  port="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/$name/sesame.err" | grep -o '[0-9]*$')"
  [ -n "$port" ] || { cat "$work/$name/sesame.err" >&2; exit 1; }
}
start_sesame es256
es_port="$port"
start_sesame hs256 $'[jwt]\nalgorithm = "HS256"'
hs_port="$port"

# login PORT MODE TRANSPORT → the response, headers and body
login() {
  curl -sf -D - -X POST "http://127.0.0.1:$1/v1/auth/login" -H 'Content-Type: application/json' \
    -H "Origin: http://127.0.0.1:$1" \
    -d "{\"username\":\"bench\",\"password\":\"$password\",\"mode\":\"$2\",\"transport\":\"$3\"}"
}
body_field() {
  /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read().split('\r\n\r\n',1)[1])['$1'])"
}
cookie="$(login "$es_port" session cookie | tr -d '\r' | sed -n 's/^Set-Cookie: \(sesame_session=[^;]*\).*/\1/p')"
es_token="$(login "$es_port" jwt header | body_field access_token)"
hs_token="$(login "$hs_port" jwt header | body_field access_token)"
[ -n "$cookie" ] && [ -n "$es_token" ] && [ -n "$hs_token" ] || { echo "login failed" >&2; exit 1; }
verify_es="http://127.0.0.1:$es_port/v1/auth/verify"
verify_hs="http://127.0.0.1:$hs_port/v1/auth/verify"
curl -sf -o /dev/null -H "Cookie: $cookie" "$verify_es"
curl -sf -o /dev/null -H "Authorization: Bearer $es_token" "$verify_es"
curl -sf -o /dev/null -H "Authorization: Bearer $hs_token" "$verify_hs"

# One wrk run of DURATION seconds → "req_per_s p50_ms p99_ms non2xx"
run_wrk_for() {
  local duration="$1" url="$2"; shift 2
  taskset -c 1 wrk -t1 -c"$conns" -d"${duration}s" --latency "$@" "$url" | /usr/bin/python3 -c '
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
run_wrk() { run_wrk_for "$secs" "$@"; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a nginx_runs cookie_runs es_runs hs_runs fresh_runs flood_runs refresh_runs
echo "warming up..." >&2
run_wrk "http://127.0.0.1:$nginx_port/" >/dev/null
run_wrk "$verify_es" -H "Cookie: $cookie" >/dev/null
for i in $(seq 1 "$reps"); do
  nginx_runs+=("$(run_wrk "http://127.0.0.1:$nginx_port/")")
  cookie_runs+=("$(run_wrk "$verify_es" -H "Cookie: $cookie")")
  es_runs+=("$(run_wrk "$verify_es" -H "Authorization: Bearer $es_token")")
  hs_runs+=("$(run_wrk "$verify_hs" -H "Authorization: Bearer $hs_token")")
  echo "run $i: nginx ${nginx_runs[-1]} | cookie ${cookie_runs[-1]} |" \
    "ES256 ${es_runs[-1]} | HS256 ${hs_runs[-1]}" >&2
done

# A fresh token on every request: distinct tokens minted with the server's active key, a new
# set for every run (the server keeps what it verified), each sent once, so the verified-token
# cache never hits: more than the raw verify allows per run; the Lua script reports reuse.
fresh_secs=$(( secs < 5 ? secs : 5 ))
fresh_count=$(( 12000 * fresh_secs ))
echo "minting $reps x $fresh_count tokens..." >&2
for i in $(seq 1 "$reps"); do
  /usr/bin/python3 "$here/mint_tokens.py" "$work/es256/var/keys.json" "$fresh_count" sesame \
    sesame "run$i-" >"$work/tokens.$i.txt"
done
cat > "$work/fresh.lua" <<'EOF'
local tokens, n, i = {}, 0, 0
for line in io.lines(os.getenv("SESAME_BENCH_TOKENS")) do n = n + 1; tokens[n] = line end
request = function()
  i = i + 1
  if i > n then i = 1 end
  return wrk.format("GET", "/v1/auth/verify", {["Authorization"] = "Bearer " .. tokens[i]})
end
done = function(summary)
  if summary.requests > n then io.stderr:write("fresh-token run reused tokens: numbers invalid\n") end
end
EOF
for i in $(seq 1 "$reps"); do
  fresh_runs+=("$(SESAME_BENCH_TOKENS="$work/tokens.$i.txt" \
    run_wrk_for "$fresh_secs" "$verify_es" -s "$work/fresh.lua")")
  echo "fresh-token run $i: ${fresh_runs[-1]}" >&2
done
raw_es256="$(taskset -c 0 "$jose_bench" --benchmark_filter='^BM_Verify/ES256$' \
  --benchmark_min_time=1 2>/dev/null | awk '$1 == "BM_Verify/ES256" {printf "%.0f", 1e9/$4}')"

# Login flood: 8 connections logging in as fast as the server lets them (argon2id at the
# default cost), while wrk measures verify as above. The flood client shares core 1 with wrk.
login_body="{\"username\":\"bench\",\"password\":\"$password\",\"transport\":\"header\"}"
cat > "$work/login.lua" <<EOF
wrk.method = "POST"
wrk.body = '$login_body'
wrk.headers["Content-Type"] = "application/json"
EOF
for i in $(seq 1 "$reps"); do
  taskset -c 1 wrk -t1 -c8 -d"$((secs + 2))s" -s "$work/login.lua" \
    "http://127.0.0.1:$es_port/v1/auth/login" >"$work/flood.$i" &
  flood_pid=$!
  sleep 1
  flood_runs+=("$(run_wrk "$verify_es" -H "Cookie: $cookie")")
  wait "$flood_pid"; flood_pid=""
  logins="$(grep -o 'Requests/sec: *[0-9.]*' "$work/flood.$i" | grep -o '[0-9.]*$')"
  echo "flood run $i: sesame ${flood_runs[-1]} | logins/s $logins" >&2
  echo "$logins" >>"$work/logins"
done

# Refresh: 16 sessions rotating as fast as they can, 8 connections. Each answer's successor goes
# back into the pool, so every request presents a live token (outcome ok; a failure shows as a
# non-2xx count).
: >"$work/refresh_tokens.txt"
for _ in $(seq 1 16); do
  login "$es_port" jwt header | body_field refresh_token >>"$work/refresh_tokens.txt"
done
cat > "$work/refresh.lua" <<'EOF'
local pool, head, tail = {}, 1, 0
for line in io.lines(os.getenv("SESAME_BENCH_TOKENS")) do tail = tail + 1; pool[tail] = line end
request = function()
  local token = pool[head]
  pool[head] = nil
  head = head + 1
  return wrk.format("POST", "/v1/auth/refresh", {["Content-Type"] = "application/json"},
                    '{"refresh_token":"' .. token .. '"}')
end
response = function(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if next_token then tail = tail + 1; pool[tail] = next_token end
end
EOF
for i in $(seq 1 "$reps"); do
  refresh_runs+=("$(SESAME_BENCH_TOKENS="$work/refresh_tokens.txt" conns=8 \
    run_wrk_for "$secs" "http://127.0.0.1:$es_port/v1/auth/refresh" -s "$work/refresh.lua")")
  echo "refresh run $i: ${refresh_runs[-1]}" >&2
  # The next run starts from the tokens alive now: read them back from the server's view is
  # not possible, so log in afresh.
  : >"$work/refresh_tokens.txt"
  for _ in $(seq 1 16); do
    login "$es_port" jwt header | body_field refresh_token >>"$work/refresh_tokens.txt"
  done
done

col() { local n="$1"; shift; printf '%s\n' "$@" | awk -v n="$n" '{print $n}' | median; }
row() {  # row LABEL RUNS...: req/s p50 p99 and the ratio to nginx
  local label="$1"; shift
  local rps; rps="$(col 1 "$@")"
  printf '%-44s %10s %9s %9s %8s %6s\n' "$label" "$rps" "$(col 2 "$@")" "$(col 3 "$@")" \
    "$(awk -v a="$rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a/b}')" "$(col 4 "$@")"
}
n_rps="$(col 1 "${nginx_runs[@]}")"
fresh_rps="$(col 1 "${fresh_runs[@]}")"
logins="$(median <"$work/logins")"

echo
echo "GET /v1/auth/verify; server on core 0, wrk -t1 -c$conns -d${secs}s on core 1 (fresh tokens:" \
  "-d${fresh_secs}s); medians of $reps runs"
printf '%-44s %10s %9s %9s %8s %6s\n' "" "req/s" "p50 ms" "p99 ms" "ratio" "non2xx"
row "nginx return 204 (1 worker)" "${nginx_runs[@]}"
row "sesame verify, session cookie" "${cookie_runs[@]}"
row "sesame verify, bearer ES256 JWT (repeated)" "${es_runs[@]}"
row "sesame verify, bearer HS256 JWT (repeated)" "${hs_runs[@]}"
row "sesame verify, fresh ES256 JWT each request" "${fresh_runs[@]}"
row "sesame verify (cookie) during login flood" "${flood_runs[@]}"
echo "fresh ES256 tokens vs raw ES256 verify on one core (micro benchmark, $raw_es256/s):" \
  "$(awk -v a="$fresh_rps" -v b="$raw_es256" 'BEGIN {printf "%.2f", a/b}')"
echo "logins/s during the flood (argon2id default cost, 1 worker): $logins"
echo
echo "POST /v1/auth/refresh (rotation, SQLite on disk, synchronous=FULL); wrk -t1 -c8, 16 sessions"
printf '%-44s %10s %9s %9s %8s %6s\n' "" "req/s" "p50 ms" "p99 ms" "" "non2xx"
printf '%-44s %10s %9s %9s %8s %6s\n' "sesame refresh" "$(col 1 "${refresh_runs[@]}")" \
  "$(col 2 "${refresh_runs[@]}")" "$(col 3 "${refresh_runs[@]}")" "" "$(col 4 "${refresh_runs[@]}")"
