#!/usr/bin/env bash
# Real backends on loopback for daprkit's tests: Redis, PostgreSQL, MariaDB,
# Kafka (KRaft) and a Key Vault-compatible server, each our own instance with data under
# ${DAPRKIT_SERVICES_DIR:-/tmp/daprkit-services}/<service>. No Docker, no
# systemd: packages come from Debian apt, Kafka's jars from Maven Central.
#
#   scripts/services.sh up [service...]             install if needed, start, wait until ready
#   scripts/services.sh down [--purge] [service...] stop (--purge also deletes the data)
#   scripts/services.sh status [service...]         one line per service; exit 1 if any is down
#   scripts/services.sh env [service...]            export lines: eval "$(scripts/services.sh env)"
#   scripts/services.sh kafka-class CLASS [args]    run a Kafka CLI class from the cached jars
#
# Services: one per scripts/lib/services/*.sh (default: all; `status` lists them).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/common.sh
source "$HERE/lib/common.sh"
# One file per backend under lib/services/, each calling `register_service NAME [ALIAS...]` and defining
# NAME_{packages,ready,start,stop,pid,version,env}. Adding a backend = adding one file. Start order = file order.
for f in "$HERE"/lib/services/*.sh; do
  # shellcheck source=/dev/null
  source "$f"
done

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Fill the global SERVICES array from the arguments (default: all).
parse_services() {
  SERVICES=()
  local s
  for s in "$@"; do
    [[ -n ${SERVICE_ALIASES[$s]:-} ]] || die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
    SERVICES+=("${SERVICE_ALIASES[$s]}")
  done
  ((${#SERVICES[@]} > 0)) || SERVICES=("${ALL_SERVICES[@]}")
}

# One `up`/`down` at a time per services dir: several sessions and test
# runners share this machine. Fd 9 holds the lock: every daemon is started
# with `9>&-`, or it would inherit the lock and hold it forever.
take_lock() {
  mkdir -p "$SERVICES_DIR"
  chmod 755 "$SERVICES_DIR" 2>/dev/null || true # postgres/mysql users must traverse it
  exec 9>"$SERVICES_DIR/.lock"
  flock -w 900 9 || die "another services.sh is still running (lock $SERVICES_DIR/.lock)"
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

cmd_up() {
  parse_services "$@"
  local t0 s
  t0=$(now)
  take_lock

  # Quick path: everything already answering -> done in well under a second.
  local -a todo=()
  for s in "${SERVICES[@]}"; do
    if "${s}_ready"; then log "$s: already running"; else todo+=("$s"); fi
  done
  ((${#todo[@]} > 0)) || { log "all up ($(since "$t0"))"; return 0; }

  # One apt-get update + install for everything missing, and only if needed.
  local -a pkgs=()
  for s in "${todo[@]}"; do
    mapfile -t -O "${#pkgs[@]}" pkgs < <("${s}_packages")
  done
  if ((${#pkgs[@]} > 0)); then
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    apt_install "${pkgs[@]}"
  fi

  # Start each in a subshell so one failure doesn't stop the others;
  # errexit must be re-enabled inside (it is ignored in `||` contexts).
  local -a failed=()
  local ts rc
  for s in "${todo[@]}"; do
    ts=$(now)
    set +e
    (
      set -e
      "${s}_start"
    )
    rc=$?
    set -e
    if ((rc == 0)); then
      log "$s: ready ($("${s}_version"), $(since "$ts"))"
    else
      failed+=("$s")
    fi
  done
  if ((${#failed[@]} > 0)); then
    die "failed to start: ${failed[*]} (logs under $SERVICES_DIR/<service>/)"
  fi
  log "all up ($(since "$t0"))"
}

cmd_down() {
  local purge=0 s
  local -a args=()
  for s in "$@"; do
    if [[ $s == --purge ]]; then purge=1; else args+=("$s"); fi
  done
  parse_services "${args[@]+"${args[@]}"}"
  take_lock
  for s in "${SERVICES[@]}"; do
    if "${s}_pid" >/dev/null; then
      log "$s: stopping"
      "${s}_stop"
    elif "${s}_ready"; then
      warn "$s: answering, but not started by this script (no live pid file): leaving it alone"
    else
      log "$s: not running"
    fi
    if ((purge)); then
      log "$s: deleting $SERVICES_DIR/$s"
      rm -rf "${SERVICES_DIR:?}/$s"
    fi
  done
}

cmd_status() {
  parse_services "$@"
  local s pid all=0
  for s in "${SERVICES[@]}"; do
    pid=$("${s}_pid" || true)
    if "${s}_ready"; then
      printf '%-9s running (%s%s)\n' "$s:" "$("${s}_version" || true)" \
        "${pid:+, pid $pid}$([[ -n $pid ]] || echo ', not started by services.sh')"
    elif [[ -n $pid ]]; then
      printf '%-9s not running (pid %s alive but not answering)\n' "$s:" "$pid"
      all=1
    else
      printf '%-9s not running\n' "$s:"
      all=1
    fi
  done
  return "$all"
}

cmd_env() {
  parse_services "$@"
  local s line
  for s in "${SERVICES[@]}"; do
    while IFS= read -r line; do
      # Values contain no single quotes; quoting keeps '(' ')' in the DSN safe.
      printf "export %s='%s'\n" "${line%%=*}" "${line#*=}"
    done < <("${s}_env")
  done
}

main() {
  (($# > 0)) || usage
  local cmd=$1
  shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    env) cmd_env "$@" ;;
    kafka-class) kafka_class "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
