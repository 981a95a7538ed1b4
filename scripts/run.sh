#!/usr/bin/env bash
# The main job: sets up, starts the lab, and runs tinylet in the foreground on ./manifests.
# Ctrl-C stops tinylet; the pods keep running until `make lab-down`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# Under the lab lock, so the lab is not started again while a test stopped its containerd on purpose.
flock -o /tmp/tinylet-e2e.lock bash lab/lab.sh up
eval "$(bash lab/lab.sh env)"

cat >&2 <<TEXT

tinylet is starting on ./manifests with the lab's containerd ($TINYLET_SOCKET).
In another shell:
  ./bin/tinylet pods --socket $TINYLET_SOCKET
  ./bin/tinylet ps --socket $TINYLET_SOCKET
  ./bin/tinylet logs web --socket $TINYLET_SOCKET
  curl http://127.0.0.1:8080/
Ctrl-C stops tinylet (pods keep running); 'make lab-down' stops the lab and removes its pods.

TEXT
exec ./bin/tinylet --socket "$TINYLET_SOCKET" --manifests ./manifests --interval 2s "$@"
