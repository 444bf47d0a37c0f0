#!/usr/bin/env bash
# Local infrastructure for mmp-fleet: Kafka (KRaft), Consul, Redis and StatsD on 127.0.0.1.
#   infra.sh provision          fetch and build what is missing (cached in ~/.cache/mmp-fleet)
#   infra.sh up | down | status start everything / stop what `up` started / show each part
#   infra.sh start|stop|restart <kafka|consul|redis|statsd|s3>   one part (tests use this)
# s3 is SeaweedFS (its `weed` binary built with Go), an S3-compatible object store for the raw lake.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The StatsD daemon runs on the project's Node like everything else.
. "$ROOT/scripts/node-runtime.sh"
CACHE=${MMP_CACHE:-$HOME/.cache/mmp-fleet}
RUN=${MMP_RUN_DIR:-$ROOT/.run}
KAFKA_VERSION=4.1.0
CONSUL_VERSION=1.22.0
KAFKA_LIBS=$CACHE/kafka/$KAFKA_VERSION/libs
CONSUL_BIN=$CACHE/consul/$CONSUL_VERSION/consul
# The SeaweedFS revision is pinned in infra/seaweedfs/go.mod; the binary is keyed on it.
SEAWEEDFS_VERSION=$(sed -n 's#.*github.com/seaweedfs/seaweedfs \(v[^ ]*\).*#\1#p' "$ROOT/infra/seaweedfs/go.mod" | head -n 1)
WEED_BIN=$CACHE/seaweedfs/$SEAWEEDFS_VERSION/weed
# `up` starts these; s3 starts only when asked (`start s3`: the tests, or RAW_STORE=s3), so `npm start` stays light.
COMPONENTS=(redis statsd consul kafka)
ALL_COMPONENTS=(redis statsd consul kafka s3)

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is missing: $2"; }

port_of() {
  case $1 in
    kafka) echo 9092 ;; consul) echo 8500 ;; redis) echo 6379 ;; statsd) echo 8126 ;; s3) echo 8333 ;;
    *) die "unknown component '$1' (one of: ${COMPONENTS[*]})" ;;
  esac
}
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

provision_kafka() {
  [ -f "$KAFKA_LIBS/.complete" ] && return
  need java "install Java 17 (apt-get install openjdk-17-jdk-headless)"
  need mvn "install Maven (apt-get install maven)"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS" && mkdir -p "$KAFKA_LIBS"
  mvn -B -q -Dstyle.color=never -f "$ROOT/infra/kafka/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" >&2
  touch "$KAFKA_LIBS/.complete"
}

provision_consul() {
  [ -x "$CONSUL_BIN" ] && return
  need go "install Go 1.25 or later (https://go.dev/dl/)"
  log "building Consul $CONSUL_VERSION with Go (first time only: about 8 minutes on 2 cores)"
  mkdir -p "$(dirname "$CONSUL_BIN")"
  # go.sum is committed: with -mod=readonly nothing is resolved anew, and the consul
  # submodules that the checksum database does not know are checked against go.sum.
  (cd "$ROOT/infra/consul" && GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local \
    GOFLAGS=-mod=readonly GONOSUMDB=github.com/hashicorp/consul \
    go build -trimpath -o "$CONSUL_BIN.tmp" github.com/hashicorp/consul) >&2
  mv "$CONSUL_BIN.tmp" "$CONSUL_BIN"
}

provision_s3() {
  [ -x "$WEED_BIN" ] && return
  need go "install Go 1.26 or later (https://go.dev/dl/)"
  log "building SeaweedFS $SEAWEEDFS_VERSION with Go (first time only: about 8 to 12 minutes on 2 cores)"
  mkdir -p "$(dirname "$WEED_BIN")"
  (cd "$ROOT/infra/seaweedfs" && GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOTOOLCHAIN=local \
    GOFLAGS=-mod=readonly go build -trimpath -o "$WEED_BIN.tmp" github.com/seaweedfs/seaweedfs/weed) >&2
  mv "$WEED_BIN.tmp" "$WEED_BIN"
}

provision_redis() {
  command -v redis-server >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || die "redis-server is missing: run 'sudo apt-get install -y redis-server'"
  need apt-get "install redis-server with your package manager"
  log "installing redis-server from Debian"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  # Debian's package may start a system instance on 6379; ours runs with its own config.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  if pgrep -x redis-server >/dev/null 2>&1 && [ ! -f "$RUN/redis.pid" ]; then pkill -x redis-server || true; sleep 1; fi
}

provision_statsd() {
  [ -f "$ROOT/node_modules/statsd/stats.js" ] || die "the statsd daemon is missing: run 'npm ci' at $ROOT"
}

provision() {
  need node "install Node.js 20 or later"
  for c in "${COMPONENTS[@]}"; do "provision_$c"; done
  if [ "${RAW_STORE:-}" = s3 ]; then provision_s3; fi
}

# Each part runs in a session of its own: signals meant for whoever started it (a test,
# a Ctrl-C in `npm start`, a finished CI step) must not stop the shared infrastructure.
launch() {
  local c=$1 dir=$RUN/$1
  mkdir -p "$dir"
  case $c in
    kafka)
      if [ ! -f "$dir/data/meta.properties" ]; then
        sed "s#@DATA@#$dir/data#" > "$dir/server.properties" <<'PROPS'
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=PLAINTEXT://127.0.0.1:9092
controller.listener.names=CONTROLLER
controller.quorum.voters=1@127.0.0.1:9093
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=@DATA@
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=840
PROPS
        local id
        id=$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
        java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" --standalone >"$dir/format.log" 2>&1 ||
          die "formatting Kafka storage failed: see $dir/format.log"
      fi
      setsid nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 &
      ;;
    consul)
      setsid nohup "$CONSUL_BIN" agent -dev -client 127.0.0.1 -bind 127.0.0.1 -ui -log-level warn >"$dir/consul.log" 2>&1 &
      ;;
    redis)
      setsid nohup redis-server --bind 127.0.0.1 --port 6379 --dir "$dir" --appendonly yes --appendfsync everysec \
        --save '' --daemonize no --protected-mode yes >"$dir/redis.log" 2>&1 &
      ;;
    s3)
      # One process: master, volume server, filer and the S3 gateway, all on 127.0.0.1. The S3
      # identity comes from the environment (the same variables the raw-reports service reads).
      mkdir -p "$dir/data"
      printf '{"identities":[{"name":"mmp","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
        "${S3_ACCESS_KEY_ID:-mmp}" "${S3_SECRET_ACCESS_KEY:-mmp-secret-key}" >"$dir/s3.json"
      setsid nohup "$WEED_BIN" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/data" -master.port=9333 \
        -volume.port=8081 -filer -filer.port=8888 -s3 -s3.port=8333 -s3.config="$dir/s3.json" \
        -master.volumeSizeLimitMB=64 -volume.max=100 -master.telemetry=false >"$dir/seaweedfs.log" 2>&1 &
      ;;
    statsd)
      setsid nohup node --require "$ROOT/infra/statsd/node-compat.js" "$ROOT/node_modules/statsd/stats.js" "$ROOT/infra/statsd/config.js" >"$dir/statsd.log" 2>&1 &
      ;;
  esac
  echo $! >"$RUN/$c.pid"
}

ready() {
  case $1 in
    consul) [ -n "$(curl -fsS http://127.0.0.1:8500/v1/status/leader 2>/dev/null | tr -d '"')" ] ;;
    *) answers "$(port_of "$1")" ;;
  esac
}

start() {
  local c=$1 pid
  if ready "$c" || answers "$(port_of "$c")"; then
    if [ ! -f "$RUN/$c.pid" ]; then log "$c already answers on $(port_of "$c"); using it"; fi
  else
    log "starting $c"
    launch "$c"
  fi
  local deadline=$((SECONDS + 90))
  until ready "$c"; do
    if [ -f "$RUN/$c.pid" ]; then
      pid=$(cat "$RUN/$c.pid")
      kill -0 "$pid" 2>/dev/null || { tail -n 20 "$RUN/$c/"*.log >&2 || true; rm -f "$RUN/$c.pid"; die "$c exited at start (logs above)"; }
    fi
    [ $SECONDS -lt $deadline ] || die "$c did not become ready within 90 s (logs in $RUN/$c)"
    sleep 0.3
  done
}

stop() {
  local c=$1 pid
  [ -f "$RUN/$c.pid" ] || return 0
  pid=$(cat "$RUN/$c.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $c"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$c.pid"
  # A stopped part must stop answering before we return: tests rely on it.
  for _ in $(seq 1 50); do answers "$(port_of "$c")" || break; sleep 0.2; done
}

status() {
  for c in "${ALL_COMPONENTS[@]}"; do
    local owner="not ours"
    [ -f "$RUN/$c.pid" ] && owner="pid $(cat "$RUN/$c.pid")"
    if ready "$c"; then printf '%-7s up on 127.0.0.1:%s (%s)\n' "$c" "$(port_of "$c")" "$owner"; else printf '%-7s down\n' "$c"; fi
  done
}

cmd=${1:-}
case $cmd in
  provision) provision ;;
  up)
    provision; mkdir -p "$RUN"
    for c in "${COMPONENTS[@]}"; do start "$c"; done
    if [ "${RAW_STORE:-}" = s3 ]; then start s3; fi
    status ;;
  down) for c in kafka consul statsd redis s3; do stop "$c"; done ;;
  status) status ;;
  start) port_of "${2:-}" >/dev/null; "provision_$2"; mkdir -p "$RUN"; start "$2" ;;
  stop)
    port_of "${2:-}" >/dev/null
    # Tests stop a part to see what happens; one started elsewhere would silently stay up.
    if [ ! -f "$RUN/$2.pid" ] && answers "$(port_of "$2")"; then
      die "$2 answers on $(port_of "$2") but was not started from $ROOT; stop it where it was started"
    fi
    stop "$2" ;;
  restart) port_of "${2:-}" >/dev/null; stop "$2"; start "$2" ;;
  *) echo "usage: infra.sh provision | up | down | status | start|stop|restart <kafka|consul|redis|statsd|s3>" >&2; exit 2 ;;
esac
