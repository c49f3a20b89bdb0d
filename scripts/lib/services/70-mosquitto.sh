# shellcheck shell=bash
register_service mosquitto mqtt
# Mosquitto (MQTT 3.1.1/5): one broker on 127.0.0.1:1883, anonymous access, persistence on (so persistent
# sessions, cleanSession=false, and their queued QoS 1 messages survive a broker restart). Our own config
# file: Debian's /etc/mosquitto is never read and its system service never started.

MOSQUITTO_PORT=1883
MOSQUITTO_DIR="$SERVICES_DIR/mosquitto"
MOSQUITTO_PIDFILE="$MOSQUITTO_DIR/mosquitto.pid"

mosquitto_env() {
  echo "DAPRKIT_MQTT_URL=tcp://127.0.0.1:$MOSQUITTO_PORT"
}

mosquitto_packages() {
  [[ -x /usr/sbin/mosquitto ]] || command -v mosquitto >/dev/null || echo mosquitto
}

mosquitto_bin() { command -v mosquitto 2>/dev/null || echo /usr/sbin/mosquitto; }

mosquitto_version() { "$(mosquitto_bin)" -h 2>/dev/null | sed -n 's/^mosquitto version \([^ ]*\).*/\1/p' | head -n 1; }

mosquitto_pid() { pid_alive "$MOSQUITTO_PIDFILE" mosquitto && read_pid "$MOSQUITTO_PIDFILE"; }

# mosquitto_connack_ok: a raw MQTT 3.1.1 CONNECT (clean session, client id "daprkit-ready") must be
# answered by CONNACK with return code 0 (20 02 00 00). Pure bash, ~ms.
mosquitto_connack_ok() {
  local hex
  hex=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$MOSQUITTO_PORT"' || exit 1
    printf "\x10\x19\x00\x04MQTT\x04\x02\x00\x3c\x00\x0ddaprkit-ready" >&3
    head -c 4 <&3 | od -An -tx1
    printf "\xe0\x00" >&3' 2>/dev/null | tr -d ' \n') || return 1
  [[ $hex == 20020000 ]]
}

mosquitto_ready() { mosquitto_connack_ok; }

mosquitto_write_config() {
  cat >"$MOSQUITTO_DIR/mosquitto.conf" <<CONF
# written by scripts/services.sh; edits are overwritten
listener $MOSQUITTO_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $MOSQUITTO_DIR/data/
autosave_interval 30
pid_file $MOSQUITTO_PIDFILE
log_dest file $MOSQUITTO_DIR/mosquitto.log
log_type error
log_type warning
log_type notice
connection_messages false
# a persistent session may queue many QoS 1 messages (the kill test leaves thousands un-acked)
max_queued_messages 100000
max_inflight_messages 1000
# do not drop privileges to the 'mosquitto' user: the data directory is ours
user $(id -un)
CONF
}

mosquitto_start() {
  local bin i
  bin=$(mosquitto_bin)
  [[ -x $bin ]] || fail_with_logs mosquitto "mosquitto not found (Debian package 'mosquitto')"
  mkdir -p "$MOSQUITTO_DIR/data"
  if port_open "$MOSQUITTO_PORT"; then
    fail_with_logs mosquitto "port $MOSQUITTO_PORT is taken by something that does not answer an MQTT CONNECT"
  fi
  mosquitto_write_config
  : >"$MOSQUITTO_DIR/mosquitto.out"
  "$bin" -c "$MOSQUITTO_DIR/mosquitto.conf" -d </dev/null >>"$MOSQUITTO_DIR/mosquitto.out" 2>&1 9>&- ||
    fail_with_logs mosquitto "mosquitto failed to launch" "$MOSQUITTO_DIR/mosquitto.out" "$MOSQUITTO_DIR/mosquitto.log"
  for ((i = 0; i < 100; i++)); do
    mosquitto_connack_ok && return 0
    sleep 0.1
  done
  fail_with_logs mosquitto "no CONNACK after 10s" "$MOSQUITTO_DIR/mosquitto.out" "$MOSQUITTO_DIR/mosquitto.log"
}

mosquitto_stop() {
  # SIGTERM makes mosquitto save its persistence file before exiting.
  stop_pid "$MOSQUITTO_PIDFILE" mosquitto 15
}
