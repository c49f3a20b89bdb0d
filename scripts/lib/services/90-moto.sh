# shellcheck shell=bash
register_service moto aws
# AWS (DynamoDB, Secrets Manager, S3, SNS, SQS, STS) on one endpoint,
# http://127.0.0.1:4566: moto's server mode, from PyPI (`moto[server]`,
# pinned), installed once into a venv under the cache dir so the system
# Python is never touched.
#
# Why moto: LocalStack (what upstream's conformance "docker" profiles use)
# needs Docker; moto's server answers the same wire protocols on one port.
# Gaps that matter to the daprkit AWS packages (components-wave2.md card L):
#   - DynamoDB TTL never deletes items: state-aws-dynamodb filters expired
#     items on read itself (as contrib does), so behaviour stays correct.
#   - No IAM/policy enforcement: the SQS queue policy the SNS/SQS pub/sub
#     writes is stored, never enforced; any access key/secret is accepted.
#   - STS GetCallerIdentity answers account 123456789012.
#   - S3 needs path-style addressing (forcePathStyle: true).
#   - DynamoDB conditional writes race in moto's threaded server (two writers
#     with the same ETag can both win): our launcher serialises DynamoDB
#     requests (packages/aws-common/moto/daprkit_moto_server.py).
#   - Speed: one Python process (GIL; werkzeug's threaded server, no worker
#     option: moto_server has only -H/-p/-r/-s/-c/-k, and state is in memory so
#     several processes could not share queues). Stock moto 5.2.5's SQS is
#     quadratic: each received message recomputes every queue attribute
#     (three queue scans) and each SendMessage one, so 1,000 queued messages
#     took ~0.5 s per ReceiveMessage. The launcher patches those paths to
#     linear work with the same answers (1,000 messages published+consumed
#     in-process: 70 s -> 7 s). What is left is moto's per-message cost,
#     mostly SNS building and signing an X.509 certificate per envelope; so
#     benchmark rates are moto's, not AWS's.
#   - SQS redrive (DLQ), ApproximateReceiveCount and SNS->SQS fan-out (with
#     the SNS JSON envelope) are implemented.
# Data lives in moto's memory: every start begins empty.

MOTO_VERSION="${DAPRKIT_MOTO_VERSION:-5.2.5}"
MOTO_PORT=4566
MOTO_DIR="$SERVICES_DIR/moto"
MOTO_PIDFILE="$MOTO_DIR/moto.pid"
MOTO_VENV="$CACHE_DIR/moto-$MOTO_VERSION"
# moto_server with DynamoDB requests serialised (see the file: moto's conditional writes race otherwise).
MOTO_LAUNCHER="$(cd "$HERE/.." && pwd)/packages/aws-common/moto/daprkit_moto_server.py"

moto_env() {
  echo "DAPRKIT_AWS_ENDPOINT=http://127.0.0.1:$MOTO_PORT"
  echo "DAPRKIT_AWS_REGION=us-east-1"
  echo "DAPRKIT_AWS_ACCESS_KEY=daprkit-access"
  echo "DAPRKIT_AWS_SECRET_KEY=daprkit-secret"
}

moto_packages() {
  command -v python3 >/dev/null || echo python3
  # Debian splits venv (ensurepip) out of python3.
  python3 -c 'import ensurepip' >/dev/null 2>&1 || echo python3-venv
  command -v curl >/dev/null || echo curl
}

moto_version() { echo "moto $MOTO_VERSION"; }

moto_ready() {
  timeout 3 curl -fsS "http://127.0.0.1:$MOTO_PORT/moto-api/" >/dev/null 2>&1
}

moto_pid() { pid_alive "$MOTO_PIDFILE" daprkit_moto_server && read_pid "$MOTO_PIDFILE"; }

# pip install into the cached venv, once (marker file = complete install).
moto_install() {
  [[ -f $MOTO_VENV/.complete && -x $MOTO_VENV/bin/moto_server ]] && return 0
  log "moto: installing moto[server]==$MOTO_VERSION from PyPI into $MOTO_VENV"
  mkdir -p "$MOTO_DIR"
  {
    python3 -m venv "$MOTO_VENV" &&
      "$MOTO_VENV/bin/pip" install --disable-pip-version-check -q "moto[server]==$MOTO_VERSION"
  } >"$MOTO_DIR/pip.log" 2>&1 || fail_with_logs moto "pip install moto[server]==$MOTO_VERSION failed" "$MOTO_DIR/pip.log"
  touch "$MOTO_VENV/.complete"
}

moto_start() {
  local i
  mkdir -p "$MOTO_DIR"
  [[ -f $MOTO_LAUNCHER ]] || fail_with_logs moto "launcher missing: $MOTO_LAUNCHER"
  moto_install
  if port_open "$MOTO_PORT"; then
    moto_pid >/dev/null || fail_with_logs moto "port $MOTO_PORT is taken by something that is not our moto server"
  fi
  if ! moto_pid >/dev/null; then
    : >"$MOTO_DIR/moto.out"
    # Same launch pattern as kafka: own session, pid file holds the server's pid.
    # shellcheck disable=SC2016  # \$\$ and \$@ are for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$MOTO_PIDFILE" \
      "$MOTO_VENV/bin/python" "$MOTO_LAUNCHER" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >>"$MOTO_DIR/moto.out" 2>&1 9>&- &
  fi
  for ((i = 0; i < 300; i++)); do
    moto_ready && return 0
    moto_pid >/dev/null || fail_with_logs moto "the moto server exited during startup" "$MOTO_DIR/moto.out"
    sleep 0.1
  done
  fail_with_logs moto "no answer on http://127.0.0.1:$MOTO_PORT/moto-api/ after 30s" "$MOTO_DIR/moto.out"
}

moto_stop() { stop_pid "$MOTO_PIDFILE" daprkit_moto_server 10; }
