# shellcheck shell=bash
register_service nats jetstream nats-server
# NATS with JetStream: one nats-server on 127.0.0.1:4222, file store under $SERVICES_DIR/nats/jetstream.
# No auth on this listener (tests that need token/nkey/JWT auth run a throw-away server of their own).

NATS_PORT=4222
NATS_DIR="$SERVICES_DIR/nats"
NATS_PIDFILE="$NATS_DIR/nats.pid"

nats_env() {
  echo "DAPRKIT_NATS_URL=nats://127.0.0.1:$NATS_PORT"
}

nats_packages() {
  command -v nats-server >/dev/null || echo nats-server
}

nats_version() { nats-server --version 2>/dev/null | sed -n 's/^nats-server: v\{0,1\}\([^ ]*\).*/\1/p'; }

nats_pid() { pid_alive "$NATS_PIDFILE" nats-server && read_pid "$NATS_PIDFILE"; }

# nats_js_ok: the server greets every connection with an INFO line; it must announce JetStream. Pure bash.
nats_js_ok() {
  local info
  info=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$NATS_PORT"' || exit 1
    head -n 1 <&3' 2>/dev/null) || return 1
  [[ $info == INFO* && $info == *'"jetstream":true'* ]]
}

nats_ready() { nats_js_ok; }

nats_start() {
  local i
  command -v nats-server >/dev/null || fail_with_logs nats "nats-server not found (Debian package 'nats-server')"
  mkdir -p "$NATS_DIR/jetstream"
  if port_open "$NATS_PORT"; then
    fail_with_logs nats "port $NATS_PORT is taken by something that is not a JetStream-enabled nats-server"
  fi
  : >"$NATS_DIR/nats.out"
  # setsid: own session, so Ctrl-C / CI killing the caller's process group leaves the server alone.
  setsid nats-server -a 127.0.0.1 -p "$NATS_PORT" -n daprkit -js -sd "$NATS_DIR/jetstream" \
    -P "$NATS_PIDFILE" -l "$NATS_DIR/nats.log" </dev/null >>"$NATS_DIR/nats.out" 2>&1 9>&- &
  for ((i = 0; i < 150; i++)); do
    nats_js_ok && return 0
    sleep 0.1
  done
  fail_with_logs nats "not ready after 15s" "$NATS_DIR/nats.out" "$NATS_DIR/nats.log"
}

nats_stop() {
  stop_pid "$NATS_PIDFILE" nats-server 15
}
