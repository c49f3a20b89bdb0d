# shellcheck shell=bash disable=SC2034  # (variables are used by the other lib files)
# Shared helpers for scripts/services.sh. Sourced, not executed.

SERVICES_DIR="${DAPRKIT_SERVICES_DIR:-/tmp/daprkit-services}"
CACHE_DIR="${DAPRKIT_CACHE_DIR:-$HOME/.cache/daprkit}"

# The services known to scripts/services.sh, in start order, and every accepted name -> service.
ALL_SERVICES=()
declare -A SERVICE_ALIASES=()
# register_service NAME [ALIAS...]: called once by each lib/services/*.sh file.
register_service() {
  local name=$1 a
  ALL_SERVICES+=("$name")
  for a in "$@"; do SERVICE_ALIASES[$a]=$name; done
}

# All chatter goes to stderr so that stdout stays machine-readable
# (`env` and `status` print there).
log()  { printf '[services] %s\n' "$*" >&2; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die()  { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# fail_with_logs SERVICE MESSAGE [LOGFILE...]: explain why a service did not
# come up, show the end of its logs, and fail.
fail_with_logs() {
  local svc=$1 msg=$2 f
  shift 2
  printf '[services] ERROR: %s: %s\n' "$svc" "$msg" >&2
  for f in "$@"; do
    [[ -s $f ]] || continue
    printf '[services] ---- last lines of %s ----\n' "$f" >&2
    tail -n 40 "$f" >&2 || true
  done
  exit 1
}

is_root() { [[ $EUID -eq 0 ]]; }

# Run a command as root (we are root on CI; sudo for a developer laptop).
as_root() {
  if is_root; then "$@"; else sudo "$@"; fi
}

# pid_alive PIDFILE [NAME]: true if the pid in PIDFILE is running and, when
# NAME is given, its command line mentions NAME (guards against pid reuse so
# we never signal a process we did not start).
pid_alive() {
  local pidfile=$1 name=${2:-} pid
  [[ -r $pidfile ]] || return 1
  pid=$(head -n 1 "$pidfile" 2>/dev/null | tr -dc '0-9')
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n $name ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name" || return 1
  fi
  return 0
}

read_pid() { head -n 1 "$1" 2>/dev/null | tr -dc '0-9'; }

# stop_pid PIDFILE NAME TIMEOUT: SIGTERM, wait, then SIGKILL as a last resort.
stop_pid() {
  local pidfile=$1 name=$2 timeout=${3:-30} pid i
  pid_alive "$pidfile" "$name" || return 0
  pid=$(read_pid "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop after ${timeout}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

# wait_pid_gone PID TIMEOUT
wait_pid_gone() {
  local pid=$1 timeout=$2 i
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# apt_install PKG...: one `apt-get update` plus one install for everything
# that is missing. Called at most once per `up`.
apt_install() {
  (($# > 0)) || return 0
  local created_policy=0
  log "installing Debian packages: $*"
  # Debian's maintainer scripts start the distro's own service copies
  # (redis, postgres cluster 'main', mariadb) unless policy-rc.d says no.
  # We never want those: they would grab our ports. Docker-style images
  # already ship a deny-all policy-rc.d; add one temporarily otherwise.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, from daprkit scripts/services.sh\nexit 101\n' |
      as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  # Lock timeout: other sessions on the same machine may run apt too.
  local -a opts=(-o DPkg::Lock::Timeout=600 -q -y)
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" update >&2 || rc=$?
  if ((rc == 0)); then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" \
      --no-install-recommends install "$@" >&2 || rc=$?
  fi
  if ((created_policy)); then as_root rm -f /usr/sbin/policy-rc.d; fi
  ((rc == 0)) || die "apt-get install failed for: $*"
}

# A test CA (ca.pem/ca.key, CN $1) and a server certificate for localhost/127.0.0.1 (server.pem/server.key) in the
# current directory: the TLS listeners of the test backends. Run it in a subshell that logs (it prints openssl noise).
write_test_server_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$1" -keyout ca.key -out ca.pem
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
    -extfile server.ext -out server.pem
  rm -f server.csr server.ext
}
