#!/usr/bin/env bash
# Installs what is missing, builds sesame and starts it on its embedded defaults.
# Until the server lands (issue "server core"), "starting" sesame means its command line:
#   bash scripts/run.sh                         prints the help
#   bash scripts/run.sh keys generate --alg ES256
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build-ci/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-ci/release sesame >&2
if [ $# -eq 0 ]; then
  set -- --help
fi
exec build-ci/release/src/cli/sesame "$@"
