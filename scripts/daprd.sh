#!/usr/bin/env bash
# An unmodified daprd for the interop tests: dapr/dapr's cmd/daprd at a pinned version, built from the Go module
# proxy with `-tags stablecomponents` (daprd refuses to run without a components tag) into
# ${DAPRKIT_CACHE_DIR:-~/.cache/daprkit}/bin/daprd-<version>. Built once (first time: module download ~4 GB and a
# few minutes of compiling); afterwards it only prints the path.
#
#   scripts/daprd.sh          build if missing, print the binary's path on stdout
#   scripts/daprd.sh path     print where the binary is (or would be), build nothing
#   scripts/daprd.sh versions print the interop matrix selected by DAPRKIT_DAPRD_VERSIONS, one per line:
#                             unset/`newest` = the newest only, `all` = every version, or a comma list
#
# DAPRKIT_DAPRD_VARIANT=extra builds daprd-<version>-extra: the stable components plus the few alpha/beta ones our
# packages pair with in tests (EXTRA_COMPONENTS below: their upstream registration files get the stablecomponents
# tag; daprd's code is otherwise untouched). `-tags allcomponents` does not build with Go >= 1.25: one of its
# dependencies (github.com/choleraehyq/pid, via the kitex binding) has assembly the newer assembler rejects.
set -euo pipefail

VERSION="${DAPRKIT_DAPRD_VERSION:-1.16.0}"
CACHE_DIR="${DAPRKIT_CACHE_DIR:-$HOME/.cache/daprkit}"
VARIANT="${DAPRKIT_DAPRD_VARIANT:-stable}"
EXTRA_COMPONENTS=(bindings_mqtt3 pubsub_jetstream nameresolution_sqlite)
case "$VARIANT" in
stable) BIN="$CACHE_DIR/bin/daprd-$VERSION" ;;
extra) BIN="$CACHE_DIR/bin/daprd-$VERSION-extra" ;;
*) echo "[daprd] ERROR: DAPRKIT_DAPRD_VARIANT must be stable or extra, got '$VARIANT'" >&2; exit 1 ;;
esac
# The interop matrix: per minor, the newest patch whose whole module graph the Go module proxy serves. Newer patches
# exist but do not build from the proxy (it refuses some of their dependencies with 403): 1.17.1-1.17.7 (dapr itself
# or github.com/dapr/durabletask-go v0.11.1), 1.18.3 (durabletask-go v0.12.4, twmb/pulsar-client-go, iskorotkov/avro).
MATRIX=(1.16.0 1.17.0 1.18.1)

log() { printf '[daprd] %s\n' "$*" >&2; }
die() { printf '[daprd] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ ${1:-} == path ]]; then
  echo "$BIN"
  exit 0
fi
if [[ ${1:-} == versions ]]; then
  case "${DAPRKIT_DAPRD_VERSIONS:-newest}" in
  newest) echo "${MATRIX[-1]}" ;;
  all) printf '%s\n' "${MATRIX[@]}" ;;
  *) tr ',' '\n' <<<"$DAPRKIT_DAPRD_VERSIONS" ;;
  esac
  exit 0
fi
[[ $# -eq 0 ]] || die "usage: scripts/daprd.sh [path|versions]"

usable() { [[ -x $BIN && "$("$BIN" --version 2>/dev/null)" == "$VERSION" ]]; }
if usable; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "Go is needed to build daprd $VERSION (none on PATH)"
mkdir -p "$CACHE_DIR/bin"
exec 9>"$CACHE_DIR/bin/.daprd-$VARIANT.lock"
flock -w 1800 9 || die "another daprd build is still running ($CACHE_DIR/bin/.daprd-$VARIANT.lock)"
if usable; then # built by whoever held the lock
  echo "$BIN"
  exit 0
fi

t0=$(date +%s)
log "building daprd $VERSION ($VARIANT) from the Go module proxy (first time only)"
src=$(go mod download -json "github.com/dapr/dapr@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n $src && -d $src ]] || die "go mod download github.com/dapr/dapr@v$VERSION gave no source directory"
# The module cache is read-only and dapr's go.mod has replace directives (so `go install pkg@version` refuses):
# build in a writable copy.
work=$(mktemp -d "${TMPDIR:-/tmp}/daprd-src.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work"
chmod -R u+w "$work"
if [[ $VARIANT == extra ]]; then
  for name in "${EXTRA_COMPONENTS[@]}"; do
    file="$work/cmd/daprd/components/$name.go"
    [[ -f $file ]] || die "daprd $VERSION has no cmd/daprd/components/$name.go"
    sed -i '1s|^//go:build allcomponents$|//go:build allcomponents \|\| stablecomponents|' "$file"
  done
fi
# As dapr's Makefile does, stamp the version so `daprd --version` and the metadata API report it (not "edge").
(cd "$work" && go build -tags stablecomponents -trimpath \
  -ldflags "-X github.com/dapr/dapr/pkg/buildinfo.version=$VERSION" -o "$BIN.tmp" ./cmd/daprd) ||
  die "go build of daprd $VERSION failed"
mv "$BIN.tmp" "$BIN"
usable || die "built $BIN but it does not run"
log "daprd $("$BIN" --version) ready in $(($(date +%s) - t0))s: $BIN"
echo "$BIN"
