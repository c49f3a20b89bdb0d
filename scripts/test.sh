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
export DAPRKIT_DAPRD
pnpm -s exec vitest run "$@"
if [ $# -eq 0 ]; then
  node scripts/certify.mjs --check
fi
