#!/usr/bin/env bash
# Runs every check sesame has, from a fresh clone on Debian 12: installs what is missing, checks
# formatting, then builds and tests twice (optimised with warnings as errors, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs each benchmark once briefly so none rots,
# builds everything with clang checking the lock annotations, and fuzzes the token parser for a
# bounded time.
#
#   bash scripts/test.sh            everything (what CI runs)
#   SESAME_FUZZ_SECONDS=0 ...       skip the fuzzing run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz_seconds=${SESAME_FUZZ_SECONDS:-45}
jobs=$(nproc)

step() { printf '\n=== %s\n' "$*"; }
# ccache keys on paths relative to the checkout, so fresh clones reuse earlier compilations.
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=1

step "dependencies"
bash scripts/install-deps.sh
# The browser suite must run here: a missing chromium or playwright-core fails it, not skips.
# (Not SESAME_*: the server reads those as settings and refuses unknown ones.)
export REQUIRE_BROWSER_TESTS=1

step "formatting (clang-format)"
bash scripts/lint.sh --format-only

step "optimised build, warnings as errors"
cmake -S . -B build-ci/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSESAME_WERROR=ON >/dev/null
ninja -C build-ci/release
step "tests (optimised)"
ctest --test-dir build-ci/release --output-on-failure -j "$jobs"

step "benchmarks smoke run (numbers from this run mean nothing)"
build-ci/release/bench/sesame_jose_bench --benchmark_min_time=0.001 >/dev/null
build-ci/release/bench/sesame_auth_bench --benchmark_min_time=0.001 >/dev/null
bash bench/http_verify.sh build-ci/release/src/cli/sesame 1 1 >/dev/null

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-ci/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSESAME_WERROR=ON \
  -DSESAME_SANITIZE=ON -DSESAME_BUILD_BENCH=OFF >/dev/null
ninja -C build-ci/asan
step "tests (sanitizers)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-ci/asan --output-on-failure -j "$jobs"

step "clang build, lock annotations checked (-Wthread-safety, warnings as errors)"
# Unoptimised (no code to speed up; only the analysis matters), every target, tests included.
CC=clang CXX=clang++ cmake -S . -B build-ci/clang -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DSESAME_THREAD_SAFETY=ON -DSESAME_WERROR=ON >/dev/null
ninja -C build-ci/clang
ctest --test-dir build-ci/clang --output-on-failure -R '^thread_safety\.'

if [ "$fuzz_seconds" -gt 0 ]; then
  step "libFuzzer: token parser and verifier, then HTTP input parsers, ${fuzz_seconds}s each"
  CC=clang CXX=clang++ cmake -S . -B build-ci/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSESAME_BUILD_FUZZ=ON -DSESAME_BUILD_TESTS=OFF -DSESAME_BUILD_BENCH=OFF >/dev/null
  ninja -C build-ci/fuzz jose_fuzz http_fuzz
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  # Crashing inputs are written to build-ci/fuzz/ (artifact_prefix) and fail the run; keep them
  # in tests/fuzz/corpus*/ as regression cases once fixed.
  for target in jose:corpus http:corpus-http; do
    name=${target%%:*}
    mkdir -p "$corpus/$name"
    build-ci/fuzz/tests/fuzz/${name}_fuzz -max_total_time="$fuzz_seconds" -max_len=9000 \
      -artifact_prefix="$root/build-ci/fuzz/" -print_final_stats=1 "$corpus/$name" \
      "tests/fuzz/${target#*:}" 2>&1 | tail -n 8
  done
fi

step "all checks passed"
