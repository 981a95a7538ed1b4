#!/usr/bin/env bash
# The benchmark command: builds, starts the lab, and measures tinylet against a bare CRI client on
# the lab's containerd (bench/main.ts). Prints a table on stdout; takes about 4.5 minutes on 2 cores
# once it holds the lab lock. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."

# The same lock scripts/test.sh takes for the end-to-end tests: a tinylet owns every tinylet=true
# sandbox on the runtime, so the benchmark and the tests must not run at once.
readonly LAB_LOCK=/tmp/tinylet-e2e.lock

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bench: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

exec 9>"$LAB_LOCK"
if ! flock -n 9; then
  echo "bench: waiting for the lab lock $LAB_LOCK, held by an end-to-end test run or another benchmark" >&2
  flock 9
fi
# Under the lock, so the lab is not started again while a test stopped its containerd on purpose.
bash lab/lab.sh up

# A TINYLET_SOCKET set by the caller wins over the lab's.
user_socket=${TINYLET_SOCKET:-}
eval "$(bash lab/lab.sh env)"
TINYLET_SOCKET=${user_socket:-$TINYLET_SOCKET}
export TINYLET_SOCKET
exec node dist/bench/main.js
