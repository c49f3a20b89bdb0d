# shellcheck shell=bash
register_service ferretdb mongodb mongo
# FerretDB v1 (MongoDB wire protocol) on 127.0.0.1:27017 over its SQLite backend, the stand-in for MongoDB: no
# mongod ships in Debian and MongoDB's own downloads are not reachable. Built from the Go module proxy (source of
# github.com/FerretDB/FerretDB v1.24.2) into the cache once; data under $SERVICES_DIR/ferretdb.
#
# What FerretDB v1 cannot do, and so what no test here exercises: replica sets and multi-document transactions,
# TTL indexes (`expireAfterSeconds`), aggregation expressions in `$expr`, update pipelines, field names with '.'.

FERRETDB_VERSION="${DAPRKIT_FERRETDB_VERSION:-1.24.2}"
FERRETDB_PORT=27017
FERRETDB_DEBUG_PORT=27088
FERRETDB_DIR="$SERVICES_DIR/ferretdb"
FERRETDB_PIDFILE="$FERRETDB_DIR/ferretdb.pid"
FERRETDB_BIN="$CACHE_DIR/bin/ferretdb-$FERRETDB_VERSION"

ferretdb_env() {
  echo "DAPRKIT_MONGODB_HOST=127.0.0.1:$FERRETDB_PORT"
}

ferretdb_packages() {
  [[ -x $FERRETDB_BIN ]] || command -v go >/dev/null || echo golang-go
}

ferretdb_version() { echo "$FERRETDB_VERSION (FerretDB, SQLite backend)"; }

ferretdb_pid() { pid_alive "$FERRETDB_PIDFILE" ferretdb && read_pid "$FERRETDB_PIDFILE"; }

# MongoDB OP_MSG `{ping: 1, $db: "admin"}`; the reply must carry `ok: 1.0` (the double 1.0 after "ok\0").
ferretdb_ping() {
  local hex
  hex=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$FERRETDB_PORT"' || exit 1
    printf "\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02\x24db\x00\x06\x00\x00\x00admin\x00\x00" >&3
    dd bs=512 count=1 <&3 2>/dev/null | od -An -tx1' 2>/dev/null | tr -d ' \n') || return 1
  [[ $hex == *016f6b00000000000000f03f* ]]
}

ferretdb_ready() { ferretdb_ping; }

# The module proxy serves the source; FerretDB's build embeds build/version/version.txt, which a plain
# `go install …@v1.24.2` leaves empty (the binary then panics at start), so build from a writable copy.
ferretdb_build() {
  [[ -x $FERRETDB_BIN ]] && return 0
  command -v go >/dev/null || fail_with_logs ferretdb "go not found (needed once to build FerretDB)"
  log "ferretdb: building FerretDB v$FERRETDB_VERSION from the Go module proxy into $FERRETDB_BIN"
  local mod src
  mod=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@v$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
  [[ -n $mod && -d $mod ]] || fail_with_logs ferretdb "go mod download of FerretDB v$FERRETDB_VERSION failed"
  src="$CACHE_DIR/ferretdb-src-$FERRETDB_VERSION"
  mkdir -p "$CACHE_DIR/bin"
  rm -rf "$src"
  { cp -r "$mod" "$src" && chmod -R u+w "$src"; } || fail_with_logs ferretdb "cannot copy the module source to $src"
  echo "v$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && GOFLAGS=-mod=mod go build -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) >"$CACHE_DIR/ferretdb-build.log" 2>&1 ||
    fail_with_logs ferretdb "go build failed" "$CACHE_DIR/ferretdb-build.log"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  rm -rf "$src"
}

ferretdb_start() {
  local i
  ferretdb_build
  mkdir -p "$FERRETDB_DIR/data"
  if port_open "$FERRETDB_PORT"; then
    fail_with_logs ferretdb "port $FERRETDB_PORT is taken by something that does not answer a MongoDB ping"
  fi
  # setsid: own session, so the caller's process group being killed leaves the server alone.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$FERRETDB_PIDFILE" \
    "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$FERRETDB_DIR/data/" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --debug-addr="127.0.0.1:$FERRETDB_DEBUG_PORT" \
    --state-dir="$FERRETDB_DIR" --telemetry=disable --log-level=warn \
    </dev/null >"$FERRETDB_DIR/ferretdb.log" 2>&1 9>&- &
  for ((i = 0; i < 300; i++)); do
    ferretdb_ping && return 0
    [[ $i -gt 10 ]] && ! ferretdb_pid >/dev/null && break
    sleep 0.1
  done
  fail_with_logs ferretdb "no answer to ping after 30s" "$FERRETDB_DIR/ferretdb.log"
}

ferretdb_stop() { stop_pid "$FERRETDB_PIDFILE" ferretdb 15; }
