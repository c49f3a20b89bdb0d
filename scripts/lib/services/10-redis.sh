# shellcheck shell=bash
register_service redis
# Redis: one plain instance on 127.0.0.1:6379, no password.

REDIS_PORT=6379
REDIS_DIR="$SERVICES_DIR/redis"

redis_env() {
  echo "DAPRKIT_REDIS_HOST=127.0.0.1:$REDIS_PORT"
}

redis_packages() {
  command -v redis-server >/dev/null || echo redis-server
  command -v redis-cli >/dev/null || echo redis-tools
}

redis_version() { redis-server --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p'; }

redis_ping() {
  [[ $(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

redis_ready() { redis_ping; }

redis_pid() { pid_alive "$REDIS_DIR/redis.pid" redis-server && read_pid "$REDIS_DIR/redis.pid"; }

redis_start() {
  local i
  mkdir -p "$REDIS_DIR/data"
  if port_open "$REDIS_PORT"; then
    fail_with_logs redis "port $REDIS_PORT is taken by something that does not answer PING"
  fi
  # Test instance: no RDB snapshots while running (no fork stalls); `down`
  # does SHUTDOWN SAVE so data survives a down/up cycle.
  redis-server \
    --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
    --logfile "$REDIS_DIR/redis.log" --dir "$REDIS_DIR/data" \
    --save '' --appendonly no </dev/null >"$REDIS_DIR/redis.out" 2>&1 9>&- ||
    fail_with_logs redis "redis-server failed to launch" "$REDIS_DIR/redis.out" "$REDIS_DIR/redis.log"
  for ((i = 0; i < 200; i++)); do
    redis_ping && return 0
    sleep 0.1
  done
  fail_with_logs redis "no PONG after 20s" "$REDIS_DIR/redis.out" "$REDIS_DIR/redis.log"
}

redis_stop() {
  local pidfile="$REDIS_DIR/redis.pid" pid
  pid_alive "$pidfile" redis-server || return 0
  pid=$(read_pid "$pidfile")
  timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown save >/dev/null 2>&1 || true
  wait_pid_gone "$pid" 15 || stop_pid "$pidfile" redis-server 10
}
