#!/usr/bin/env bash
# Makes a fresh clone usable: pnpm (pinned by package.json), dependencies, a build. Says what it does, and skips
# each step that is already up to date (install: the lockfile and manifests are unchanged since the last install;
# build: no source, manifest or tsconfig is newer than its package's build info), so a second start is instant.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[bootstrap] %s\n' "$*" >&2; }

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$want" ]; then
  say "installing pnpm $want (once)"
  npm install -g "pnpm@$want" >/dev/null 2>&1 || corepack enable pnpm
fi

stamp=node_modules/.daprkit-install-stamp
manifests=$(ls pnpm-lock.yaml package.json pnpm-workspace.yaml packages/*/package.json conformance/package.json)
digest=$(cat $manifests | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$digest" ]]; then
  say "dependencies up to date"
else
  say "installing dependencies (pnpm install --frozen-lockfile; a minute or two the first time)"
  pnpm install --frozen-lockfile --prefer-offline --reporter=silent
  echo "$digest" >"$stamp"
fi

stale=""
for dir in packages/* conformance; do
  [[ -f $dir/tsconfig.json ]] || continue
  info=$dir/tsconfig.tsbuildinfo
  if [[ ! -f $info ]] || [[ -n $(find "$dir/src" "$dir/package.json" "$dir/tsconfig.json" -newer "$info" -print -quit 2>/dev/null) ]]; then
    stale+=" ${dir#packages/}"
  fi
done
# The sidecar bin's bundle (packages/sidecar/scripts/bundle.mjs, part of `pnpm build`) is built after tsc.
if [[ ! packages/sidecar/dist/bundle/cli.js -nt packages/sidecar/tsconfig.tsbuildinfo ]]; then
  stale+=" sidecar-bundle"
fi
if [[ -z $stale ]] && [[ ! tsconfig.base.json -nt packages/component-sdk/tsconfig.tsbuildinfo ]]; then
  say "build up to date"
else
  say "building (tsc -b):${stale:- all}"
  pnpm -s build
fi
