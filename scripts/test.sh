#!/usr/bin/env bash
# The test command: sets up, starts the lab, then runs the unit tests and the end-to-end tests
# against the lab's real containerd. The end-to-end files run one at a time because each starts a
# tinylet, and a tinylet owns every sandbox labelled tinylet=true on the runtime.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# Under the end-to-end lock, so the lab is not started again while another run's test stopped its
# containerd on purpose.
flock -o /tmp/tinylet-e2e.lock bash lab/lab.sh up

eval "$(bash lab/lab.sh env)"
export TINYLET_SOCKET

mapfile -t unit < <(find dist/test/unit -name '*.test.js' | sort)
mapfile -t e2e < <(find dist/test/e2e -name '*.test.js' | sort)

echo "test: ${#unit[@]} unit file(s), ${#e2e[@]} end-to-end file(s)" >&2
status=0
node --test --test-reporter=spec "${unit[@]}" || status=$?
if [ "${#e2e[@]}" -gt 0 ]; then
  # The lock keeps two test runs on one machine from sharing the lab's runtime at once.
  flock -o /tmp/tinylet-e2e.lock node --test --test-reporter=spec --test-concurrency=1 "${e2e[@]}" || status=$?
fi
exit "$status"
