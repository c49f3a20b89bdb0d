# shellcheck shell=bash
register_service otelcol otlp collector
# OpenTelemetry Collector with only the OTLP receiver (gRPC 127.0.0.1:14317, HTTP 127.0.0.1:14318, off the default
# ports so a developer's own collector is left alone; the same over TLS on 14319/14320, with a server certificate for
# 127.0.0.1/localhost from a test CA generated once under tls/) and the debug exporter at `verbosity: detailed`: the
# real receiver for the sidecar's OTLP exporters. The collector's own log ($OTELCOL_LOG) holds every received span
# ("Trace ID : <hex>", "Name : <name>"), which is how tests read them back. Internal metrics/traces are off, so it
# opens no other port. The binary is scripts/otelcol/main.go, built once with `go build` from the Go module proxy
# (cold: ~140 s of CPU from an empty Go build cache) into the cache; rebuilt only when missing (a new
# OTELCOL_VERSION is a new file name).

OTELCOL_VERSION=0.165.0 # must match the collector core version in scripts/otelcol/go.mod
OTELCOL_GRPC_PORT=14317
OTELCOL_HTTP_PORT=14318
OTELCOL_TLS_GRPC_PORT=14319
OTELCOL_TLS_HTTP_PORT=14320
OTELCOL_DIR="$SERVICES_DIR/otelcol"
OTELCOL_PIDFILE="$OTELCOL_DIR/otelcol.pid"
OTELCOL_CONFIG="$OTELCOL_DIR/config.yaml"
OTELCOL_LOG="$OTELCOL_DIR/collector.log"
OTELCOL_TLS_DIR="$OTELCOL_DIR/tls"
OTELCOL_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../otelcol" && pwd)"
OTELCOL_BIN="$CACHE_DIR/bin/otelcol-$OTELCOL_VERSION"
OTELCOL_START_TIMEOUT="${DAPRKIT_OTELCOL_START_TIMEOUT:-30}"

otelcol_env() {
  echo "DAPRKIT_OTLP_GRPC=127.0.0.1:$OTELCOL_GRPC_PORT"
  echo "DAPRKIT_OTLP_HTTP=127.0.0.1:$OTELCOL_HTTP_PORT"
  echo "DAPRKIT_OTLP_TLS_GRPC=127.0.0.1:$OTELCOL_TLS_GRPC_PORT"
  echo "DAPRKIT_OTLP_TLS_HTTP=127.0.0.1:$OTELCOL_TLS_HTTP_PORT"
  echo "DAPRKIT_OTELCOL_CA_FILE=$OTELCOL_TLS_DIR/ca.pem"
  echo "DAPRKIT_OTELCOL_LOG=$OTELCOL_LOG"
}

# Go comes with the machine (/usr/local/go): Debian's golang-go is far older than the Go 1.26 the collector needs.
otelcol_packages() {
  command -v openssl >/dev/null || echo openssl
}

otelcol_version() { echo "$OTELCOL_VERSION"; }

otelcol_pid() { pid_alive "$OTELCOL_PIDFILE" "otelcol-$OTELCOL_VERSION" && read_pid "$OTELCOL_PIDFILE"; }

# Ready = the OTLP/HTTP receiver accepts an empty export (200 with a partialSuccess body; an empty request logs no
# span) and the gRPC and TLS ports accept connections. Pure bash.
otelcol_ready() {
  port_open "$OTELCOL_GRPC_PORT" && port_open "$OTELCOL_TLS_GRPC_PORT" && port_open "$OTELCOL_TLS_HTTP_PORT" || return 1
  timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$OTELCOL_HTTP_PORT"' || exit 1
    printf "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}" >&3
    grep -m 1 -q "partialSuccess" <&3' 2>/dev/null
}

otelcol_build() {
  [[ -x $OTELCOL_BIN ]] && return 0
  command -v go >/dev/null || fail_with_logs otelcol "go not found (needed once to build the collector)"
  mkdir -p "$CACHE_DIR/bin"
  local buildlog="$CACHE_DIR/otelcol-build.log" t0=$SECONDS
  log "otelcol: building the collector $OTELCOL_VERSION from the Go module proxy (first time only, 1-5 min)"
  # go.sum is committed: -mod=mod only lets go fill the module cache, the versions are the ones in go.mod.
  (cd "$OTELCOL_SRC" && GOFLAGS=-mod=mod go build -trimpath -ldflags='-s -w' -o "$OTELCOL_BIN.tmp.$$" .) \
    >"$buildlog" 2>&1 || {
    rm -f "$OTELCOL_BIN.tmp.$$"
    fail_with_logs otelcol "go build failed" "$buildlog"
  }
  mv -f "$OTELCOL_BIN.tmp.$$" "$OTELCOL_BIN"
  log "otelcol: built $OTELCOL_BIN in $((SECONDS - t0))s"
}

# A test CA and a server certificate for 127.0.0.1/localhost, once (clients trust ca.pem).
otelcol_write_tls() {
  [[ -s $OTELCOL_TLS_DIR/server.key && -s $OTELCOL_TLS_DIR/ca.pem ]] && return 0
  command -v openssl >/dev/null || fail_with_logs otelcol "openssl not found (needed once for the test certificates)"
  mkdir -p "$OTELCOL_TLS_DIR"
  (
    cd "$OTELCOL_TLS_DIR"
    write_test_server_cert daprkit-otelcol-test-ca
  ) >"$OTELCOL_DIR/tls.log" 2>&1 || fail_with_logs otelcol "generating test certificates failed" "$OTELCOL_DIR/tls.log"
}

otelcol_write_config() {
  cat >"$OTELCOL_CONFIG" <<EOF
# Written by scripts/lib/services/96-otelcol.sh on every start.
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:$OTELCOL_GRPC_PORT
      http:
        endpoint: 127.0.0.1:$OTELCOL_HTTP_PORT
  otlp/tls:
    protocols:
      grpc:
        endpoint: 127.0.0.1:$OTELCOL_TLS_GRPC_PORT
        tls: { cert_file: "$OTELCOL_TLS_DIR/server.pem", key_file: "$OTELCOL_TLS_DIR/server.key" }
      http:
        endpoint: 127.0.0.1:$OTELCOL_TLS_HTTP_PORT
        tls: { cert_file: "$OTELCOL_TLS_DIR/server.pem", key_file: "$OTELCOL_TLS_DIR/server.key" }
exporters:
  debug:
    verbosity: detailed
service:
  telemetry:
    logs:
      level: info
      encoding: console
      output_paths: ["$OTELCOL_LOG"]
      error_output_paths: ["$OTELCOL_LOG"]
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp, otlp/tls]
      exporters: [debug]
EOF
}

otelcol_start() {
  otelcol_build
  mkdir -p "$OTELCOL_DIR"
  otelcol_write_tls
  # Ours, but not ready: started from an older config (no TLS receiver) or wedged; restart it with this one.
  if otelcol_pid >/dev/null; then
    log "otelcol: restarting the running collector (not ready with the current config)"
    otelcol_stop
  fi
  local p
  for p in "$OTELCOL_GRPC_PORT" "$OTELCOL_HTTP_PORT" "$OTELCOL_TLS_GRPC_PORT" "$OTELCOL_TLS_HTTP_PORT"; do
    port_open "$p" && fail_with_logs otelcol "port $p is taken by another process"
  done
  otelcol_write_config
  # A fresh log per start: tests read the spans from it; the debug exporter grows it with every span.
  : >"$OTELCOL_LOG"
  : >"$OTELCOL_DIR/otelcol.out"
  # setsid: own session (see kafka); bash writes its pid, then execs the collector so the pid file holds its pid.
  # shellcheck disable=SC2016  # \$\$ and \$@ are for the inner bash
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$OTELCOL_PIDFILE" \
    "$OTELCOL_BIN" --config "file:$OTELCOL_CONFIG" \
    </dev/null >>"$OTELCOL_DIR/otelcol.out" 2>&1 9>&- &
  sleep 0.2
  local deadline=$((SECONDS + OTELCOL_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    otelcol_pid >/dev/null || fail_with_logs otelcol "the collector exited during startup" \
      "$OTELCOL_DIR/otelcol.out" "$OTELCOL_LOG"
    otelcol_ready && return 0
    sleep 0.2
  done
  fail_with_logs otelcol "not ready after ${OTELCOL_START_TIMEOUT}s" "$OTELCOL_DIR/otelcol.out" "$OTELCOL_LOG"
}

otelcol_stop() {
  stop_pid "$OTELCOL_PIDFILE" "otelcol-$OTELCOL_VERSION" 15
}
