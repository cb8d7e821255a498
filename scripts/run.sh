#!/usr/bin/env bash
# Installs what is missing, builds sesame and starts the server on its embedded defaults
# (http://127.0.0.1:8080, SQLite store in ./var). Arguments replace the default `serve`:
#   bash scripts/run.sh                                  the server
#   bash scripts/run.sh user add admin --role admin      any other subcommand
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build-ci/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-ci/release sesame >&2
if [ $# -eq 0 ]; then
  set -- serve
fi
exec build-ci/release/src/cli/sesame "$@"
