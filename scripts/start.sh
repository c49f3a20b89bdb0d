#!/usr/bin/env bash
# First README command: start the daprkit sidecar on embedded defaults — a state store `statestore`
# (in-memory, ETag + transactions, actor-capable) and a pub/sub `pubsub` — on 127.0.0.1:3500 (HTTP) and :50001 (gRPC).
# Extra flags go to daprkit-sidecar, e.g. `bash scripts/start.sh --app-id myapp --app-port 3000`.
# Install and build happen only when needed (scripts/bootstrap.sh says what it does).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
printf '[start] daprkit-sidecar %s\n' "$*" >&2
exec node packages/sidecar/bin/daprkit-sidecar.js "$@"
