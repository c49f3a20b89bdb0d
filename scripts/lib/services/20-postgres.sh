# shellcheck shell=bash
register_service postgres postgresql pg
# PostgreSQL: our own cluster (not Debian's 'main' cluster) on 127.0.0.1:5432.

PG_PORT=5432
PG_DIR="$SERVICES_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_URL="postgres://daprkit:daprkit@127.0.0.1:$PG_PORT/daprkit"

postgres_env() {
  echo "DAPRKIT_PG_URL=$PG_URL"
}

# Newest server version installed under /usr/lib/postgresql/<ver>/bin.
pg_bin() {
  local d
  # shellcheck disable=SC2012  # fixed, well-known path names
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}

postgres_packages() {
  pg_bin >/dev/null || echo postgresql
  command -v psql >/dev/null && command -v pg_isready >/dev/null || echo postgresql-client
}

postgres_version() { "$(pg_bin)/postgres" --version 2>/dev/null | awk '{print $3}'; }

# Postgres refuses to run as root: run its tools as the 'postgres' OS user
# (created by the Debian package). As a normal user we just run them.
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_ready() {
  [[ $(PGCONNECT_TIMEOUT=3 psql -X -At "$PG_URL" -c 'select 1' 2>/dev/null) == 1 ]]
}

postgres_pid() { pid_alive "$PG_DATA/postmaster.pid" postgres && read_pid "$PG_DATA/postmaster.pid"; }

postgres_start() {
  local bin
  bin=$(pg_bin) || fail_with_logs postgres "no /usr/lib/postgresql/*/bin/initdb found"
  mkdir -p "$PG_DIR"
  if is_root; then
    chown postgres:postgres "$PG_DIR"
    as_pg test -w "$PG_DIR" ||
      fail_with_logs postgres "the postgres OS user cannot write $PG_DIR; point DAPRKIT_SERVICES_DIR at a world-traversable folder (default /tmp/daprkit-services)"
  fi

  if [[ ! -s $PG_DATA/PG_VERSION ]]; then
    log "postgres: initdb in $PG_DATA"
    # trust on the unix socket (lives in our folder) for admin work; real
    # password auth on TCP like production.
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
      fail_with_logs postgres "initdb failed" "$PG_DIR/initdb.log"
    echo "include_if_exists = 'daprkit.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi

  # Rewritten on every start so settings changes here take effect.
  # fsync/synchronous_commit/full_page_writes off: throwaway test data, speed wins.
  as_pg tee "$PG_DATA/daprkit.conf" >/dev/null <<EOF
# written by scripts/services.sh; edits are overwritten
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
logging_collector = off
log_min_messages = warning
EOF

  if port_open "$PG_PORT" && ! pid_alive "$PG_DATA/postmaster.pid" postgres; then
    fail_with_logs postgres "port $PG_PORT is taken by another process (Debian's own cluster? 'pg_lsclusters')"
  fi

  if ! pid_alive "$PG_DATA/postmaster.pid" postgres; then
    log "postgres: starting"
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >"$PG_DIR/pg_ctl.out" 2>&1 9>&- ||
      fail_with_logs postgres "pg_ctl start failed" "$PG_DIR/pg_ctl.out" "$PG_LOG"
  fi
  local i
  for ((i = 0; i < 300; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.1
  done
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || fail_with_logs postgres "pg_isready failed after 30s" "$PG_LOG"

  # Idempotent test role + database. SUPERUSER: tests create schemas,
  # databases and extensions, like the MySQL user's ALL ON *.*.
  as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres \
    >"$PG_DIR/setup.log" 2>&1 <<'EOF' || fail_with_logs postgres "creating user/database failed" "$PG_DIR/setup.log" "$PG_LOG"
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'daprkit') THEN
    CREATE ROLE daprkit LOGIN SUPERUSER PASSWORD 'daprkit';
  ELSE
    ALTER ROLE daprkit LOGIN SUPERUSER PASSWORD 'daprkit';
  END IF;
END $$;
SELECT 'CREATE DATABASE daprkit OWNER daprkit'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'daprkit')\gexec
EOF
  postgres_ready || fail_with_logs postgres "'select 1' over TCP as daprkit failed" "$PG_LOG"
}

postgres_stop() {
  local bin
  pid_alive "$PG_DATA/postmaster.pid" postgres || return 0
  bin=$(pg_bin) && as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 && return 0
  stop_pid "$PG_DATA/postmaster.pid" postgres 30
}
