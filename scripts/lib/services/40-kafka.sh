# shellcheck shell=bash
register_service kafka
# Kafka: single-node KRaft (combined broker+controller) on 127.0.0.1:9092,
# controller on 127.0.0.1:9093. Jars come from Maven Central only.
#
# 3.9.x (last 3.x line) rather than 4.x on purpose: 4.0 removed old protocol
# API versions (KIP-896) that Dapr's sarama-based pubsub.kafka (default
# `version: 2.0.0`) and kafkajs may still use. The class names below
# (kafka.tools.StorageTool, reload4j logging) are the 3.x ones.

KAFKA_VERSION="${DAPRKIT_KAFKA_VERSION:-3.9.2}"
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_DIR="$SERVICES_DIR/kafka"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PIDFILE="$KAFKA_DIR/kafka.pid"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_START_TIMEOUT="${DAPRKIT_KAFKA_START_TIMEOUT:-90}"

kafka_env() {
  echo "DAPRKIT_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
}

kafka_packages() {
  command -v java >/dev/null || echo openjdk-17-jre-headless
  # Maven is only needed while the jar cache is empty.
  [[ -f $KAFKA_HOME/.complete ]] || command -v mvn >/dev/null || echo maven
}

kafka_version() { echo "$KAFKA_VERSION"; }

kafka_pid() { pid_alive "$KAFKA_PIDFILE" kafka.Kafka && read_pid "$KAFKA_PIDFILE"; }

# kafka_api_ok: send a raw ApiVersions v0 request and check the response
# carries our correlation id and error_code 0. Pure bash, ~ms, so the
# "already running" path of `up` needs no JVM.
kafka_api_ok() {
  local hex
  # size=17 | api_key=18 | api_version=0 | correlation_id=42 | client_id="daprkit"
  hex=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$KAFKA_PORT"' || exit 1
    printf "\x00\x00\x00\x11\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x07daprkit" >&3
    head -c 10 <&3 | od -An -tx1' 2>/dev/null | tr -d ' \n') || return 1
  [[ ${hex:8:12} == 0000002a0000 ]]
}

kafka_ready() { kafka_api_ok; }

# Fetch kafka_2.13 (+ kafka-tools for the CLI classes) and their runtime
# dependencies with Maven into the cache, once. Later runs never touch Maven.
kafka_fetch() {
  [[ -f $KAFKA_HOME/.complete ]] && return 0
  command -v mvn >/dev/null || fail_with_logs kafka "mvn not found (needed once to fetch Kafka jars)"
  log "kafka: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  mkdir -p "$KAFKA_HOME"
  local tmp
  tmp=$(mktemp -d "$KAFKA_HOME/fetch.XXXXXX")
  # connect-runtime (jetty, jersey, ...) is a kafka-tools dependency that
  # the classes we use never load: excluded to keep the download ~47 MB.
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>daprkit.local</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>com.fasterxml.jackson.jaxrs</groupId><artifactId>jackson-jaxrs-json-provider</artifactId></exclusion>
      </exclusions>
    </dependency>
    <!-- the logging backend the Kafka 3.x distribution ships -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
  </plugin></plugins></build>
</project>
EOF
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    cp "$tmp/mvn.log" "$KAFKA_HOME/mvn-failed.log" 2>/dev/null || true
    rm -rf "$tmp"
    fail_with_logs kafka "Maven could not fetch Kafka $KAFKA_VERSION" "$KAFKA_HOME/mvn-failed.log"
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$tmp/libs" "$KAFKA_LIBS"
  mv "$tmp/pom.xml" "$KAFKA_HOME/pom.xml"
  rm -rf "$tmp"
  touch "$KAFKA_HOME/.complete"
}

# kafka_class CLASS ARGS...: run a Kafka CLI class from the cached jars with
# a small, quick-starting JVM and quiet logging. KAFKA_CLASS_TIMEOUT (seconds,
# 0 = none) bounds it.
kafka_class() {
  [[ -f $KAFKA_HOME/.complete ]] || die "Kafka jars not cached yet: run 'scripts/services.sh up kafka' first"
  mkdir -p "$KAFKA_DIR"
  [[ -f $KAFKA_DIR/tools-log4j.properties ]] || kafka_write_tools_log4j
  timeout "${KAFKA_CLASS_TIMEOUT:-0}" java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_DIR/tools-log4j.properties" \
    -cp "$KAFKA_LIBS/*" "$@"
}

kafka_write_tools_log4j() {
  cat >"$KAFKA_DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

kafka_write_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# written by scripts/services.sh; edits are overwritten
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
# single node: every internal topic has exactly one replica
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
# fewer internal partitions = much faster first consumer-group join
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=24
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_DIR/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
  kafka_write_tools_log4j
}

kafka_start() {
  command -v java >/dev/null || fail_with_logs kafka "java not found"
  kafka_fetch
  mkdir -p "$KAFKA_DATA"
  kafka_write_config

  if port_open "$KAFKA_PORT" || port_open "$KAFKA_CONTROLLER_PORT"; then
    kafka_pid >/dev/null || fail_with_logs kafka "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by another process"
  fi

  # KRaft needs its log dir formatted once with a cluster id.
  if [[ ! -f $KAFKA_DATA/meta.properties ]]; then
    [[ -s $KAFKA_DIR/cluster.id ]] ||
      kafka_class kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster.id" 2>"$KAFKA_DIR/format.log" ||
      fail_with_logs kafka "StorageTool random-uuid failed" "$KAFKA_DIR/format.log"
    log "kafka: formatting KRaft storage in $KAFKA_DATA"
    kafka_class kafka.tools.StorageTool format --ignore-formatted \
      -t "$(tr -d '[:space:]' <"$KAFKA_DIR/cluster.id")" -c "$KAFKA_DIR/server.properties" \
      >>"$KAFKA_DIR/format.log" 2>&1 ||
      fail_with_logs kafka "StorageTool format failed" "$KAFKA_DIR/format.log"
  fi

  if ! kafka_pid >/dev/null; then
    log "kafka: starting broker (first start can take ~10-30s)"
    : >"$KAFKA_DIR/kafka.out"
    # setsid: own session, so Ctrl-C / CI killing the caller's process group
    # leaves the broker alone. bash -c writes its own pid, then execs java, so
    # the pid file holds the JVM's pid.
    # shellcheck disable=SC2016  # \$\$ and \$@ are for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$KAFKA_PIDFILE" \
      java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
      -Dkafka.logs.dir="$KAFKA_DIR/logs" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      </dev/null >>"$KAFKA_DIR/kafka.out" 2>&1 9>&- &
    sleep 0.2
  fi

  # Ready = the broker answers ApiVersions AND lists itself in a metadata
  # response (KRaft leaves a still-fenced broker out of metadata, and a
  # fenced broker cannot host new topics).
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) out
  while ((SECONDS < deadline)); do
    kafka_pid >/dev/null || fail_with_logs kafka "the broker JVM exited during startup" "$KAFKA_DIR/kafka.out" "$KAFKA_DIR/server.log"
    if kafka_api_ok; then
      out=$(KAFKA_CLASS_TIMEOUT=30 kafka_class kafka.admin.BrokerApiVersionsCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>>"$KAFKA_DIR/readiness.log" || true)
      [[ $out == *"127.0.0.1:$KAFKA_PORT (id: 1 "* ]] && return 0
    fi
    sleep 1
  done
  fail_with_logs kafka "not ready after ${KAFKA_START_TIMEOUT}s" "$KAFKA_DIR/kafka.out" "$KAFKA_DIR/server.log" "$KAFKA_DIR/readiness.log"
}

kafka_stop() {
  # Controlled shutdown of a lone KRaft node normally takes a few seconds.
  stop_pid "$KAFKA_PIDFILE" kafka.Kafka 60
}
