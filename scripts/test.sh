#!/usr/bin/env bash
# Second README command: provision every backend the tests need (on loopback, data under a temp folder),
# build, type-check the test files (tsconfig.test.json), lint (biome), run every test (unit, integration,
# conformance in process and over sockets), check CERTIFICATION.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
pnpm -s typecheck:tests
pnpm -s lint
node scripts/docs.mjs --check # README metadata tables and metadata.yaml match the schemas
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"
# A real daprd for the interop tests (scripts/test/daprd-interop.test.ts), built once from the Go module proxy.
DAPRKIT_DAPRD="$(bash scripts/daprd.sh)"
# The same daprd plus the beta built-ins our MQTT/JetStream packages share a broker with (and the SQLite resolver).
DAPRKIT_DAPRD_EXTRA="$(DAPRKIT_DAPRD_VARIANT=extra bash scripts/daprd.sh)"
export DAPRKIT_DAPRD DAPRKIT_DAPRD_EXTRA
# Pause-and-drain on shutdown needs daprd >= 1.17.7 (scripts/test/daprd-pause.test.ts); the matrix below builds it too.
DAPRKIT_DAPRD_PAUSE="$(DAPRKIT_DAPRD_VERSION=1.18.1 bash scripts/daprd.sh)"
export DAPRKIT_DAPRD_PAUSE
pnpm -s exec vitest run "$@"
if [ $# -eq 0 ]; then
  node scripts/certify.mjs --check
  # The daprd version matrix for the interop test, on top of the pinned daprd above (scripts/daprd.sh versions):
  # the newest by default, DAPRKIT_DAPRD_VERSIONS=all for every version (each is built once, ~3+ min cold).
  for version in $(bash scripts/daprd.sh versions); do
    bin="$(DAPRKIT_DAPRD_VERSION="$version" bash scripts/daprd.sh)"
    [ "$bin" = "$DAPRKIT_DAPRD" ] && continue
    echo "daprd interop against daprd $version"
    DAPRKIT_DAPRD="$bin" pnpm -s exec vitest run scripts/test/daprd-interop.test.ts
  done
fi
