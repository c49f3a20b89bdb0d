# shellcheck shell=bash
register_service rabbitmq rabbit amqp
# RabbitMQ: our own node (not Debian's service) on 127.0.0.1:5672, data, logs,
# config and Erlang cookie under $SERVICES_DIR/rabbitmq. Test user
# daprkit/daprkit (administrator, vhost /); the guest user is deleted.
# Epmd (the Erlang port mapper, needed by every node and by rabbitmqctl) and
# the node's distribution port stay on loopback too. A TLS listener on
# 127.0.0.1:5671 (own test CA under tls/, client certificates optional)
# accepts SASL EXTERNAL for user daprkit-tls (the client certificate's CN).

RABBITMQ_PORT=5672
RABBITMQ_TLS_PORT=5671
RABBITMQ_DIST_PORT=25672
RABBITMQ_DIR="$SERVICES_DIR/rabbitmq"
RABBITMQ_USER=daprkit
RABBITMQ_PASSWORD=daprkit
RABBITMQ_NODE=daprkit@localhost
RABBITMQ_START_TIMEOUT="${DAPRKIT_RABBITMQ_START_TIMEOUT:-120}"

rabbitmq_env() {
  echo "DAPRKIT_RABBITMQ_URL=amqp://$RABBITMQ_USER:$RABBITMQ_PASSWORD@127.0.0.1:$RABBITMQ_PORT"
  echo "DAPRKIT_RABBITMQ_TLS_URL=amqps://$RABBITMQ_USER:$RABBITMQ_PASSWORD@localhost:$RABBITMQ_TLS_PORT"
  echo "DAPRKIT_RABBITMQ_TLS_DIR=$RABBITMQ_DIR/tls"
}

rabbitmq_packages() {
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || command -v rabbitmq-server >/dev/null || echo rabbitmq-server
}

# Every rabbitmq CLI call sees our node, our cookie (HOME) and our config,
# never Debian's /var/lib/rabbitmq. Run as the current user (root is fine for
# a throw-away test node and avoids chowning the data dir).
rabbitmq_cmd() {
  local bin=$1
  shift
  local exe=/usr/lib/rabbitmq/bin/$bin
  [[ -x $exe ]] || exe=$(command -v "$bin")
  env HOME="$RABBITMQ_DIR/home" \
    RABBITMQ_NODENAME="$RABBITMQ_NODE" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RABBITMQ_PORT" \
    RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$RABBITMQ_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RABBITMQ_DIR/log" \
    RABBITMQ_CONFIG_FILE="$RABBITMQ_DIR/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$RABBITMQ_DIR/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBITMQ_DIR/enabled_plugins" \
    RABBITMQ_CONF_ENV_FILE="$RABBITMQ_DIR/rabbitmq-env.conf" \
    RABBITMQ_PID_FILE="$RABBITMQ_DIR/rabbitmq.pid" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$exe" "$@"
}

rabbitmq_version() {
  dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null | sed 's/-.*//'
}

rabbitmq_pid() { pid_alive "$RABBITMQ_DIR/rabbitmq.pid" beam && read_pid "$RABBITMQ_DIR/rabbitmq.pid"; }

# An AMQP 0-9-1 protocol header gets Connection.Start back (frame type 1,
# channel 0, class 10 method 10): pure bash, milliseconds, no Erlang VM.
rabbitmq_amqp_ok() {
  local hex
  hex=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$RABBITMQ_PORT"' || exit 1
    printf "AMQP\x00\x00\x09\x01" >&3
    head -c 11 <&3 | od -An -tx1' 2>/dev/null | tr -d ' \n') || return 1
  [[ ${hex:0:6} == 010000 && ${hex:14:8} == 000a000a ]]
}

# Ready = AMQP answers and the test user exists (it is created after boot).
rabbitmq_ready() {
  rabbitmq_amqp_ok && [[ -f $RABBITMQ_DIR/.user-created ]] && rabbitmq_pid >/dev/null && port_open "$RABBITMQ_TLS_PORT"
}

# A test CA, a server certificate for localhost/127.0.0.1 and a client certificate with CN daprkit-tls, once.
rabbitmq_write_tls() {
  local d="$RABBITMQ_DIR/tls"
  [[ -s $d/client.key ]] && return 0
  mkdir -p "$d"
  (
    cd "$d"
    write_test_server_cert daprkit-test-ca
    openssl req -newkey rsa:2048 -nodes -subj "/CN=daprkit-tls" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 -out client.pem
    rm -f ./*.csr
    chmod 644 ./*.pem ./*.key
  ) >"$RABBITMQ_DIR/tls.log" 2>&1 || fail_with_logs rabbitmq "generating test certificates failed" "$RABBITMQ_DIR/tls.log"
}

rabbitmq_write_config() {
  mkdir -p "$RABBITMQ_DIR/home" "$RABBITMQ_DIR/mnesia" "$RABBITMQ_DIR/log"
  rabbitmq_write_tls
  cat >"$RABBITMQ_DIR/rabbitmq.conf" <<EOF
# written by scripts/services.sh; edits are overwritten
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
listeners.ssl.default = 127.0.0.1:$RABBITMQ_TLS_PORT
ssl_options.cacertfile = $RABBITMQ_DIR/tls/ca.pem
ssl_options.certfile = $RABBITMQ_DIR/tls/server.pem
ssl_options.keyfile = $RABBITMQ_DIR/tls/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = false
auth_mechanisms.1 = PLAIN
auth_mechanisms.2 = AMQPLAIN
auth_mechanisms.3 = EXTERNAL
ssl_cert_login_from = common_name
loopback_users = none
log.file.level = warning
log.console = false
# a test node on a shared machine: never block publishers for disk or memory
disk_free_limit.absolute = 50MB
vm_memory_high_watermark.relative = 0.6
EOF
  # Only SASL EXTERNAL (no management UI): the tests talk AMQP only.
  echo '[rabbitmq_auth_mechanism_ssl].' >"$RABBITMQ_DIR/enabled_plugins"
  : >"$RABBITMQ_DIR/rabbitmq-env.conf"
  # The cookie lives under our HOME; the Erlang VM refuses group/world-readable cookies.
  if [[ ! -s $RABBITMQ_DIR/home/.erlang.cookie ]]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RABBITMQ_DIR/home/.erlang.cookie"
  fi
  chmod 400 "$RABBITMQ_DIR/home/.erlang.cookie"
}

rabbitmq_start() {
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || command -v rabbitmq-server >/dev/null ||
    fail_with_logs rabbitmq "rabbitmq-server not installed"
  rabbitmq_write_config
  if port_open "$RABBITMQ_PORT" && ! rabbitmq_pid >/dev/null; then
    fail_with_logs rabbitmq "port $RABBITMQ_PORT is taken by another process"
  fi
  # Our node, started from an older config (no TLS listener): restart it with this one.
  if rabbitmq_pid >/dev/null && rabbitmq_amqp_ok && ! port_open "$RABBITMQ_TLS_PORT"; then
    log "rabbitmq: restarting node $RABBITMQ_NODE to apply the current config"
    rabbitmq_stop
  fi
  if ! rabbitmq_pid >/dev/null; then
    log "rabbitmq: starting node $RABBITMQ_NODE (first start takes ~10-20s)"
    : >"$RABBITMQ_DIR/rabbitmq.out"
    rm -f "$RABBITMQ_DIR/.user-created"
    # setsid: own session, so killing the caller's process group leaves the node alone.
    # rabbitmq-server writes RABBITMQ_PID_FILE itself (the beam.smp pid).
    (rabbitmq_cmd rabbitmq-server </dev/null >>"$RABBITMQ_DIR/rabbitmq.out" 2>&1 9>&- & disown) 9>&-
  fi
  local deadline=$((SECONDS + RABBITMQ_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if rabbitmq_amqp_ok && rabbitmq_cmd rabbitmqctl -q await_startup --timeout 5 >/dev/null 2>&1; then
      if [[ ! -f $RABBITMQ_DIR/.user-created ]]; then
        rabbitmq_create_user >"$RABBITMQ_DIR/user.log" 2>&1 ||
          fail_with_logs rabbitmq "creating the test user failed" "$RABBITMQ_DIR/user.log"
        touch "$RABBITMQ_DIR/.user-created"
      fi
      rabbitmq_pid >/dev/null || fail_with_logs rabbitmq "no live pid file $RABBITMQ_DIR/rabbitmq.pid"
      return 0
    fi
    sleep 1
  done
  fail_with_logs rabbitmq "not ready after ${RABBITMQ_START_TIMEOUT}s" "$RABBITMQ_DIR/rabbitmq.out" \
    "$RABBITMQ_DIR/log/$RABBITMQ_NODE.log"
}

rabbitmq_create_user() {
  if ! rabbitmq_cmd rabbitmqctl -q list_users | grep -q "^$RABBITMQ_USER[[:space:]]"; then
    rabbitmq_cmd rabbitmqctl add_user "$RABBITMQ_USER" "$RABBITMQ_PASSWORD"
  fi
  rabbitmq_cmd rabbitmqctl set_user_tags "$RABBITMQ_USER" administrator
  rabbitmq_cmd rabbitmqctl set_permissions -p / "$RABBITMQ_USER" '.*' '.*' '.*'
  # SASL EXTERNAL user: authenticated by its client certificate (CN), no password.
  if ! rabbitmq_cmd rabbitmqctl -q list_users | grep -q "^daprkit-tls[[:space:]]"; then
    rabbitmq_cmd rabbitmqctl add_user daprkit-tls "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    rabbitmq_cmd rabbitmqctl clear_password daprkit-tls
  fi
  rabbitmq_cmd rabbitmqctl set_permissions -p / daprkit-tls '.*' '.*' '.*'
  rabbitmq_cmd rabbitmqctl delete_user guest >/dev/null 2>&1 || true
}

rabbitmq_stop() {
  rabbitmq_pid >/dev/null || return 0
  rabbitmq_cmd rabbitmqctl -q stop "$RABBITMQ_DIR/rabbitmq.pid" >/dev/null 2>&1 ||
    stop_pid "$RABBITMQ_DIR/rabbitmq.pid" beam 30
  rm -f "$RABBITMQ_DIR/.user-created"
}
