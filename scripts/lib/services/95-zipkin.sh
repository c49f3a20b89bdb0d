# shellcheck shell=bash
register_service zipkin
# Zipkin server on 127.0.0.1:9411: the real trace receiver for the sidecar's tracing tests (spans posted by
# OpenTelemetry's Zipkin exporter to /api/v2/spans, read back with /api/v2/trace/<id>). In-memory storage keeps the
# newest 20,000 spans (`pnpm bench tracing` posts hundreds of thousands; more would exhaust the heap). The exec jar
# comes from Maven Central (io.zipkin:zipkin-server, classifier exec), fetched once into the cache.

ZIPKIN_VERSION="${DAPRKIT_ZIPKIN_VERSION:-3.5.1}"
ZIPKIN_PORT=9411
ZIPKIN_DIR="$SERVICES_DIR/zipkin"
ZIPKIN_PIDFILE="$ZIPKIN_DIR/zipkin.pid"
ZIPKIN_HOME="$CACHE_DIR/zipkin-$ZIPKIN_VERSION"
ZIPKIN_JAR="$ZIPKIN_HOME/zipkin-server-$ZIPKIN_VERSION-exec.jar"
ZIPKIN_START_TIMEOUT="${DAPRKIT_ZIPKIN_START_TIMEOUT:-120}"

zipkin_env() {
  echo "DAPRKIT_ZIPKIN_URL=http://127.0.0.1:$ZIPKIN_PORT"
}

zipkin_packages() {
  command -v java >/dev/null || echo openjdk-17-jre-headless
  [[ -f $ZIPKIN_JAR ]] || command -v mvn >/dev/null || echo maven
}

zipkin_version() { echo "$ZIPKIN_VERSION"; }

zipkin_pid() { pid_alive "$ZIPKIN_PIDFILE" zipkin-server && read_pid "$ZIPKIN_PIDFILE"; }

# Ready = the health endpoint answers UP (pure bash HTTP; Armeria keeps the connection open, so stop at the match).
zipkin_ready() {
  timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$ZIPKIN_PORT"' || exit 1
    printf "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    grep -m 1 -q "\"status\" *: *\"UP\"" <&3' 2>/dev/null
}

zipkin_fetch() {
  [[ -f $ZIPKIN_JAR ]] && return 0
  command -v mvn >/dev/null || fail_with_logs zipkin "mvn not found (needed once to fetch the Zipkin server jar)"
  log "zipkin: fetching io.zipkin:zipkin-server:$ZIPKIN_VERSION (exec jar) from Maven Central"
  mkdir -p "$ZIPKIN_HOME"
  local tmp
  tmp=$(mktemp -d "$ZIPKIN_HOME/fetch.XXXXXX")
  if ! mvn -B -q dependency:copy -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
    -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1; then
    cp "$tmp/mvn.log" "$ZIPKIN_HOME/mvn-failed.log" 2>/dev/null || true
    rm -rf "$tmp"
    fail_with_logs zipkin "Maven could not fetch zipkin-server $ZIPKIN_VERSION" "$ZIPKIN_HOME/mvn-failed.log"
  fi
  mv "$tmp/zipkin-server-$ZIPKIN_VERSION-exec.jar" "$ZIPKIN_JAR"
  rm -rf "$tmp"
}

zipkin_start() {
  command -v java >/dev/null || fail_with_logs zipkin "java not found"
  zipkin_fetch
  mkdir -p "$ZIPKIN_DIR"
  if port_open "$ZIPKIN_PORT" && ! zipkin_pid >/dev/null; then
    fail_with_logs zipkin "port $ZIPKIN_PORT is taken by another process"
  fi
  if ! zipkin_pid >/dev/null; then
    log "zipkin: starting server (first start can take ~10-30s)"
    : >"$ZIPKIN_DIR/zipkin.out"
    # setsid: own session (see kafka); bash writes its pid, then execs java so the pid file holds the JVM's.
    # shellcheck disable=SC2016  # \$\$ and \$@ are for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$ZIPKIN_PIDFILE" \
      java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -jar "$ZIPKIN_JAR" \
      --armeria.ports[0].port="$ZIPKIN_PORT" --armeria.ports[0].ip=127.0.0.1 --armeria.ports[0].protocols=http \
      --zipkin.storage.type=mem --zipkin.storage.mem.max-spans=20000 --logging.level.root=WARN \
      </dev/null >>"$ZIPKIN_DIR/zipkin.out" 2>&1 9>&- &
    sleep 0.2
  fi
  local deadline=$((SECONDS + ZIPKIN_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    zipkin_pid >/dev/null || fail_with_logs zipkin "the server JVM exited during startup" "$ZIPKIN_DIR/zipkin.out"
    zipkin_ready && return 0
    sleep 1
  done
  fail_with_logs zipkin "not ready after ${ZIPKIN_START_TIMEOUT}s" "$ZIPKIN_DIR/zipkin.out"
}

zipkin_stop() {
  stop_pid "$ZIPKIN_PIDFILE" zipkin-server 30
}
