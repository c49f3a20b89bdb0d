#!/usr/bin/env bash
# Makes a fresh clone usable: pnpm (pinned by package.json), dependencies, a build. Quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want" ]; then
  echo "bootstrap: installing pnpm $want" >&2
  npm install -g "pnpm@$want" >/dev/null 2>&1 || corepack enable pnpm
fi
pnpm install --frozen-lockfile --prefer-offline --reporter=silent
pnpm -s build
