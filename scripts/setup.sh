#!/usr/bin/env bash
# Installs everything tinylet needs on a fresh Debian/Ubuntu machine (run as root), then builds it:
# Node.js when it is missing, the lab's Debian packages, the npm dependencies, and dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "setup: installing Node.js and npm from the distribution" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

bash lab/install-deps.sh

# npm ci runs only when node_modules is missing or older than the lock file, so repeated runs stay fast.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building" >&2
npm run --silent build
