#!/usr/bin/env bash
# First README command: start daprkit on embedded defaults (in-memory state store + pub/sub, no backend needed).
# Until @daprkit/sidecar lands this serves the memory components as pluggable-component sockets for daprd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node packages/component-sdk/bin/daprkit-serve.js @daprkit/state-memory @daprkit/pubsub-memory "$@"
