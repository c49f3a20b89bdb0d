#!/usr/bin/env bash
# h2spec (HTTP/2 conformance tester) for the component-sdk engine test: github.com/summerwind/h2spec at a pinned
# version, built from the Go module proxy into ${DAPRKIT_CACHE_DIR:-~/.cache/daprkit}/bin/h2spec-<version>.
# Built once (~20 s, a few MB of modules); afterwards it only prints the path.
#
#   scripts/h2spec.sh          build if missing, print the binary's path on stdout
#   scripts/h2spec.sh path     print where the binary is (or would be), build nothing
set -euo pipefail

VERSION="${DAPRKIT_H2SPEC_VERSION:-2.2.1}"
CACHE_DIR="${DAPRKIT_CACHE_DIR:-$HOME/.cache/daprkit}"
BIN="$CACHE_DIR/bin/h2spec-$VERSION"

log() { printf '[h2spec] %s\n' "$*" >&2; }
die() { printf '[h2spec] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == path ]]; then
  echo "$BIN"
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: scripts/h2spec.sh [path]"

usable() { [[ -x $BIN ]] && "$BIN" --version >/dev/null 2>&1; }
if usable; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "Go is needed to build h2spec $VERSION (none on PATH)"
mkdir -p "$CACHE_DIR/bin"
exec 9>"$CACHE_DIR/bin/.h2spec.lock"
flock -w 600 9 || die "another h2spec build is still running ($CACHE_DIR/bin/.h2spec.lock)"
if usable; then
  echo "$BIN"
  exit 0
fi
t0=$(date +%s)
log "building h2spec $VERSION from the Go module proxy (first time only)"
gobin=$(mktemp -d "${TMPDIR:-/tmp}/h2spec-bin.XXXXXX")
trap 'rm -rf "$gobin"' EXIT
# h2spec predates Go modules (+incompatible): `go install` resolves its imports to current module versions.
GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/summerwind/h2spec/cmd/h2spec@v$VERSION+incompatible" ||
  die "go install of h2spec $VERSION failed"
mv "$gobin/h2spec" "$BIN"
usable || die "built $BIN but it does not run"
log "h2spec $VERSION ready in $(($(date +%s) - t0))s: $BIN"
echo "$BIN"
