#!/usr/bin/env bash
# Checks formatting (clang-format) and, unless --format-only, runs clang-tidy on src/ with the
# repository's .clang-tidy. Needs a configured build with compile_commands.json in build-ci/release
# (scripts/test.sh makes one). --fix reformats files in place instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
mapfile -t files < <(git ls-files '*.h' '*.cc' | grep -v '^tests/data/')
if [ "$mode" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files formatted"
[ "$mode" = "--format-only" ] && exit 0

if [ ! -f build-ci/release/compile_commands.json ]; then
  cmake -S . -B build-ci/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
run-clang-tidy-14 -p build-ci/release -quiet -j "$(nproc)" 'src/'
