# shellcheck shell=bash
register_service mysql mariadb
# MariaDB (MySQL protocol): our own datadir on 127.0.0.1:3306.

MYSQL_PORT=3306
MYSQL_DIR="$SERVICES_DIR/mysql"
MYSQL_DATA="$MYSQL_DIR/data"
MYSQL_SOCK="$MYSQL_DIR/mysqld.sock"
MYSQL_PIDFILE="$MYSQL_DIR/mysqld.pid"
MYSQL_LOG="$MYSQL_DIR/mysqld.log"

mysql_env() {
  echo "DAPRKIT_MYSQL_DSN=daprkit:daprkit@tcp(127.0.0.1:$MYSQL_PORT)/"
  echo "DAPRKIT_MYSQL_URL=mysql://daprkit:daprkit@127.0.0.1:$MYSQL_PORT/daprkit"
}

# mariadbd lives in /usr/sbin, which a non-root PATH may lack.
mysqld_bin() {
  local b
  for b in mariadbd mysqld; do
    command -v "$b" 2>/dev/null && return 0
    [[ -x /usr/sbin/$b ]] && echo "/usr/sbin/$b" && return 0
  done
  return 1
}
mysql_client() { command -v mariadb 2>/dev/null || command -v mysql; }
mysql_installdb() { command -v mariadb-install-db 2>/dev/null || command -v mysql_install_db; }
mysql_admin() { command -v mariadb-admin 2>/dev/null || command -v mysqladmin; }

mysql_packages() {
  mysqld_bin >/dev/null && mysql_installdb >/dev/null || echo mariadb-server
  mysql_client >/dev/null && mysql_admin >/dev/null || echo mariadb-client
}

mysql_version() { "$(mysqld_bin)" --version 2>/dev/null | sed -n 's/.*Ver \([^ ]*\).*/\1/p'; }

# Admin connection: unix socket, authenticated by OS user (unix_socket
# plugin). mariadb-install-db creates root@localhost and, when run as a
# normal user, <that user>@localhost that way.
mysql_admin_sql() {
  "$(mysql_client)" --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" --connect-timeout=5
}

mysql_ready() {
  local c
  c=$(mysql_client) || return 1
  [[ $(MYSQL_PWD=daprkit timeout 5 "$c" --no-defaults --protocol=TCP -h 127.0.0.1 -P "$MYSQL_PORT" \
    -u daprkit --connect-timeout=3 -N -B -e 'select 1' 2>/dev/null) == 1 ]]
}

mysql_pid() { pid_alive "$MYSQL_PIDFILE" 'mariadbd\|mysqld' && read_pid "$MYSQL_PIDFILE"; }

mysql_start() {
  local mysqld i
  mysqld=$(mysqld_bin) || fail_with_logs mysql "mariadbd/mysqld not found"
  # Run the server as the 'mysql' OS user when we are root (mariadbd refuses
  # plain root without --user=root); everything it writes lives in our folder.
  local -a user_opt=()
  if is_root; then user_opt=(--user=mysql); fi
  mkdir -p "$MYSQL_DIR/tmp"
  if is_root; then chown -R mysql:mysql "$MYSQL_DIR"; fi

  if [[ ! -d $MYSQL_DATA/mysql ]]; then
    log "mysql: mariadb-install-db in $MYSQL_DATA"
    rm -rf "$MYSQL_DATA"
    "$(mysql_installdb)" --no-defaults "${user_opt[@]}" --basedir=/usr --datadir="$MYSQL_DATA" \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$MYSQL_DIR/install-db.log" 2>&1 ||
      fail_with_logs mysql "mariadb-install-db failed" "$MYSQL_DIR/install-db.log"
  fi

  if port_open "$MYSQL_PORT" && ! mysql_pid >/dev/null; then
    fail_with_logs mysql "port $MYSQL_PORT is taken by another process"
  fi

  if ! mysql_pid >/dev/null; then
    log "mysql: starting"
    # --no-defaults: ignore /etc/mysql/*.cnf (distro socket/pid paths).
    # Durability knobs off: it's a throwaway test instance.
    setsid "$mysqld" --no-defaults "${user_opt[@]}" --basedir=/usr \
      --datadir="$MYSQL_DATA" --socket="$MYSQL_SOCK" --pid-file="$MYSQL_PIDFILE" \
      --log-error="$MYSQL_LOG" --tmpdir="$MYSQL_DIR/tmp" \
      --bind-address=127.0.0.1 --port="$MYSQL_PORT" --skip-name-resolve \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --max-connections=500 --skip-log-bin \
      --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0 \
      </dev/null >"$MYSQL_DIR/mysqld.out" 2>&1 9>&- &
    local launcher=$!
    for ((i = 0; i < 600; i++)); do
      "$(mysql_admin)" --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" \
        --connect-timeout=2 ping >/dev/null 2>&1 && break
      # mariadbd exited (bad option, port in use, ...): stop waiting.
      kill -0 "$launcher" 2>/dev/null || mysql_pid >/dev/null || fail_with_logs mysql "mariadbd exited during startup" "$MYSQL_DIR/mysqld.out" "$MYSQL_LOG"
      sleep 0.1
    done
    ((i < 600)) || fail_with_logs mysql "not answering after 60s" "$MYSQL_DIR/mysqld.out" "$MYSQL_LOG"
  fi

  # Idempotent test user: both '%' (TCP; --skip-name-resolve means 127.0.0.1
  # matches '%') and 'localhost' (socket), all privileges since tests create
  # their own schemas.
  mysql_admin_sql >"$MYSQL_DIR/setup.log" 2>&1 <<'EOF' || fail_with_logs mysql "creating user/database failed" "$MYSQL_DIR/setup.log" "$MYSQL_LOG"
CREATE DATABASE IF NOT EXISTS daprkit;
CREATE USER IF NOT EXISTS 'daprkit'@'%' IDENTIFIED BY 'daprkit';
CREATE USER IF NOT EXISTS 'daprkit'@'localhost' IDENTIFIED BY 'daprkit';
ALTER USER 'daprkit'@'%' IDENTIFIED BY 'daprkit';
ALTER USER 'daprkit'@'localhost' IDENTIFIED BY 'daprkit';
GRANT ALL PRIVILEGES ON *.* TO 'daprkit'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'daprkit'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOF
  mysql_ready || fail_with_logs mysql "'select 1' over TCP as daprkit failed" "$MYSQL_LOG"
}

mysql_stop() {
  local pid
  pid=$(mysql_pid) || return 0
  timeout 30 "$(mysql_admin)" --no-defaults --socket="$MYSQL_SOCK" -u "$(id -un)" shutdown >/dev/null 2>&1 || true
  wait_pid_gone "$pid" 30 && return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_pid_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null || true
}
