#!/usr/bin/env bash
# `npm start`: builds only when a source changed since the last build, then becomes the service
# (exec), so that signals sent to `npm start` reach it and a SIGTERM shuts it down gracefully.
# `npm run worker` (scripts/start.sh worker) does the same for `node dist/cli.js worker`.
#
# No V8 flags are set here: a heap cap or a smaller young generation saves memory at a CPU cost
# the benchmark measured; docs/benchmarks.md ("Tried and not kept") and docs/operations.md say more.
# (The service bounds its heap's growth factor itself, at start-up: src/memory.ts.)
#
# BUILD_INPUTS is everything `npm run build` reads (the service's sources and the console's): a
# build step that joins `npm run build` adds its sources here. The stamp is touched when a build
# starts, so a file saved during a build counts as changed next time.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_INPUTS=(src console tsconfig.json tsconfig.build.json package.json package-lock.json)
STAMP=dist/.build-stamp

if [[ ! -f $STAMP || ! -f dist/main.js || ! -f dist/console/index.html || -n $(find "${BUILD_INPUTS[@]}" -newer "$STAMP" -print -quit) ]]; then
  echo "labline: building (sources changed since the last build)" >&2
  mkdir -p dist
  touch "$STAMP.next"
  npm run build --silent
  mv "$STAMP.next" "$STAMP"
fi
if [[ ${1:-} == worker ]]; then exec node dist/cli.js "$@"; fi
exec node dist/main.js "$@"
