#!/usr/bin/env bash
# Installs exactly the Debian 12 packages that sesame's build, tests and benchmarks need.
# Idempotent: apt-get skips what is already there. Run as root (or with sudo on PATH).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries the core links
  libssl-dev libsodium-dev libsimdjson-dev nlohmann-json3-dev libexpected-dev
  libcli11-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libboost1.81-dev libsqlite3-dev libicu-dev
  libhiredis-dev libpq-dev          # the Redis and PostgreSQL stores
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  libjwt-dev                        # peer for the HS256 benchmark
  python3-jwt python3-cryptography  # PyJWT interop tests (run with /usr/bin/python3)
  clang libclang-rt-14-dev libfuzzer-14-dev   # libFuzzer target
  clang-format clang-tidy
  wrk nginx-light                   # HTTP benchmark (bench/http_verify.sh) and its ceiling
  redis-server postgresql           # multi-node tests start their own, on loopback
  haproxy                           # client address behind a real proxy (tests/integration/edge_test.py)
  chromium                          # browser tests (tests/browser/, driven by playwright-core)
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the browser tests. Machines often carry a newer one than Debian's (18), which
# playwright-core needs (20 or later): use what is there, install Debian's only if none is.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# playwright-core for the browser tests, exactly as locked (no browser download: it drives
# Debian's chromium).
npm ci --prefix "$(dirname "$0")/../tests/browser" --no-audit --no-fund --loglevel=error
