#!/usr/bin/env bash
# Starts, stops and reports the local services tango-sync needs: PostgreSQL and an Apache Kafka broker.
#
#   scripts/services.sh up       start what is missing (idempotent), then write .services/env
#   scripts/services.sh down     stop only what this script started
#   scripts/services.sh status   say what answers where
#   scripts/services.sh env      print the connection settings (source-able)
#   scripts/services.sh kafka-jars   only fetch the Kafka broker jars into .kafka/lib (for private test brokers)
#
# PostgreSQL: a server already answering on 127.0.0.1:5432 is used (the project's role and databases are created
# in it); otherwise Debian's postgresql package is installed if missing and a private cluster is run under
# .services/postgres on port 55432.
# Kafka: a broker already answering on 127.0.0.1:9092 is used; otherwise Apache Kafka 3.9.1 jars are fetched from
# Maven Central (project-local Maven repo under .kafka/) and a single-node KRaft broker is started on
# 127.0.0.1:9092 and waited for with a real metadata request.
# Where a Docker engine answers, `docker compose up -d postgres kafka` is an equivalent path (see README).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.services"
KAFKA_HOME="$ROOT/.kafka"
mkdir -p "$STATE"

PG_HOST=127.0.0.1
PG_SHARED_PORT="${TANGO_SYNC_PG_SHARED_PORT:-5432}"
PG_PRIVATE_PORT="${TANGO_SYNC_PG_PRIVATE_PORT:-55432}"
PG_ADMIN_USER="${TANGO_SYNC_PG_ADMIN_USER:-postgres}"
APP_DB_USER=tango_sync
APP_DB_PASSWORD=tango_sync
APP_DB=tango_sync
TEST_DB=tango_sync_test
KAFKA_PORT="${TANGO_SYNC_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${TANGO_SYNC_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

ensure_node_deps() {
  if [ ! -d "$ROOT/node_modules/kafkajs" ]; then
    log "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund >&2)
  fi
}

# ---------------------------------------------------------------- PostgreSQL
pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$dir" ] && echo "$dir"
}

pg_answers() { # port
  pg_isready -q -h "$PG_HOST" -p "$1" -t 2 >/dev/null 2>&1
}

pg_port_in_use() {
  if [ -f "$STATE/pg.port" ]; then cat "$STATE/pg.port"; else echo ""; fi
}

ensure_pg_client() {
  command -v pg_isready >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 && return 0
  local bin
  bin=$(pg_bin_dir || true)
  if [ -n "$bin" ]; then export PATH="$bin:$PATH"; return 0; fi
  install_pg_package
}

install_pg_package() {
  log "installing Debian's postgresql package"
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  local bin
  bin=$(pg_bin_dir) || die "postgresql installed but no server binaries were found under /usr/lib/postgresql"
  export PATH="$bin:$PATH"
}

start_private_pg() {
  local bin data="$STATE/postgres" run_as=()
  bin=$(pg_bin_dir || true)
  [ -n "$bin" ] || { install_pg_package; bin=$(pg_bin_dir); }
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$data" --shell /bin/false postgres
    run_as=(runuser -u postgres --)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a private PostgreSQL cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres "$data"
    chmod 700 "$data"
    "${run_as[@]}" "$bin/initdb" -D "$data" -U "$PG_ADMIN_USER" --auth=trust -E UTF8 >/dev/null
  fi
  mkdir -p "$STATE/pg-socket"
  [ "$(id -u)" = 0 ] && chown postgres "$STATE/pg-socket"
  log "starting the private PostgreSQL cluster on $PG_HOST:$PG_PRIVATE_PORT"
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-h $PG_HOST -p $PG_PRIVATE_PORT -k $STATE/pg-socket -c fsync=on" start >&2
  echo "$PG_PRIVATE_PORT" > "$STATE/pg.port"
  touch "$STATE/pg.started-by-us"
}

pg_admin() { # port, sql...
  local port="$1"; shift
  psql -v ON_ERROR_STOP=1 -qtA -h "$PG_HOST" -p "$port" -U "$PG_ADMIN_USER" -d postgres "$@"
}

ensure_pg_databases() { # port
  local port="$1"
  pg_admin "$port" -c "SELECT 1" >/dev/null 2>&1 || die "PostgreSQL on $PG_HOST:$port answers but refuses user '$PG_ADMIN_USER' (set TANGO_SYNC_PG_ADMIN_USER to a superuser that trust or .pgpass lets in)"
  pg_admin "$port" <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_DB_USER') THEN
    CREATE ROLE $APP_DB_USER LOGIN PASSWORD '$APP_DB_PASSWORD';
  END IF;
END \$\$;
SQL
  local db
  for db in "$APP_DB" "$TEST_DB"; do
    if [ -z "$(pg_admin "$port" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      pg_admin "$port" -c "CREATE DATABASE $db OWNER $APP_DB_USER" >/dev/null
      log "created database $db"
    fi
  done
}

pg_up() {
  ensure_pg_client
  local port
  if pg_answers "$PG_SHARED_PORT"; then
    port="$PG_SHARED_PORT"
    log "PostgreSQL answers on $PG_HOST:$port: using it"
    echo "$port" > "$STATE/pg.port"
  elif pg_answers "$PG_PRIVATE_PORT"; then
    port="$PG_PRIVATE_PORT"
    log "private PostgreSQL already running on $PG_HOST:$port"
    echo "$port" > "$STATE/pg.port"
  else
    start_private_pg
    port="$PG_PRIVATE_PORT"
  fi
  ensure_pg_databases "$port"
}

pg_down() {
  if [ -f "$STATE/pg.started-by-us" ]; then
    local bin run_as=()
    bin=$(pg_bin_dir)
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    log "stopping the private PostgreSQL cluster"
    "${run_as[@]}" "$bin/pg_ctl" -D "$STATE/postgres" -m fast -w stop >&2 || true
    rm -f "$STATE/pg.started-by-us"
  fi
}

# ---------------------------------------------------------------- Kafka
kafka_answers() {
  node "$ROOT/scripts/kafka-probe.cjs" "$KAFKA_BROKERS" "${1:-3000}" >/dev/null 2>&1
}

kafka_pid_alive() {
  [ -f "$KAFKA_HOME/kafka.pid" ] && kill -0 "$(cat "$KAFKA_HOME/kafka.pid")" 2>/dev/null
}

fetch_kafka_jars() {
  if [ -f "$KAFKA_HOME/lib/.ok-kafka39" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to fetch the Kafka broker jars from Maven Central"
  command -v java >/dev/null 2>&1 || die "Java 17+ is needed to run the Kafka broker"
  log "fetching Apache Kafka 3.9.1 jars from Maven Central (first run only)"
  rm -rf "$KAFKA_HOME/lib"
  mvn -B -q -f "$ROOT/test-infra/kafka/pom.xml" -P kafka39 -Dmaven.repo.local="$KAFKA_HOME/m2" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_HOME/lib" >&2
  touch "$KAFKA_HOME/lib/.ok-kafka39"
}

start_private_kafka() {
  fetch_kafka_jars
  local cp="$KAFKA_HOME/lib/*" logopt="-Dlog4j.configuration=file:$ROOT/test-infra/kafka/log4j.properties"
  mkdir -p "$KAFKA_HOME/logs"
  # A fresh log dir each start: the broker is a cache for tests and demos, never the system of record.
  rm -rf "$KAFKA_HOME/data"
  mkdir -p "$KAFKA_HOME/data"
  sed -e "s#@DATA_DIR@#$KAFKA_HOME/data#" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$ROOT/test-infra/kafka/server.properties" > "$KAFKA_HOME/server.properties"
  local cluster_id
  cluster_id=$(java -Xmx256m -cp "$cp" "$logopt" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
  java -Xmx256m -cp "$cp" "$logopt" kafka.tools.StorageTool format --cluster-id="$cluster_id" \
    -c "$KAFKA_HOME/server.properties" >/dev/null 2>"$KAFKA_HOME/logs/format.err" \
    || { cat "$KAFKA_HOME/logs/format.err" >&2; die "formatting Kafka storage failed"; }
  log "starting Kafka 3.9.1 (KRaft, single node) on $KAFKA_BROKERS"
  nohup java -Xms256m -Xmx768m -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    "$logopt" -Dkafka.logs.dir="$KAFKA_HOME/logs" -cp "$cp" kafka.Kafka "$KAFKA_HOME/server.properties" \
    > "$KAFKA_HOME/logs/kafka.out" 2>&1 < /dev/null &
  echo $! > "$KAFKA_HOME/kafka.pid"
  touch "$STATE/kafka.started-by-us"
  local i
  for i in $(seq 1 120); do
    if kafka_answers 2000; then
      log "Kafka is ready (answered a metadata request after ~$((i / 2)) s)"
      return 0
    fi
    kafka_pid_alive || { tail -n 40 "$KAFKA_HOME/logs/kafka.out" >&2; die "the Kafka broker exited during start-up"; }
    sleep 0.5
  done
  tail -n 40 "$KAFKA_HOME/logs/kafka.out" >&2
  die "Kafka did not answer a metadata request within 60 s"
}

kafka_up() {
  ensure_node_deps
  if kafka_answers 3000; then
    log "Kafka answers on $KAFKA_BROKERS: using it"
    return 0
  fi
  if kafka_pid_alive; then
    log "our Kafka process is alive but does not answer: restarting it"
    kafka_down
  fi
  start_private_kafka
}

kafka_down() {
  if kafka_pid_alive; then
    local pid i
    pid=$(cat "$KAFKA_HOME/kafka.pid")
    log "stopping Kafka (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "Kafka did not stop within 30 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$KAFKA_HOME/kafka.pid" "$STATE/kafka.started-by-us"
}

# ---------------------------------------------------------------- env
write_env() {
  local port
  port=$(pg_port_in_use)
  [ -n "$port" ] || port="$PG_SHARED_PORT"
  cat > "$STATE/env" <<EOF
export DATABASE_URL=postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$port/$APP_DB
export TEST_DATABASE_URL=postgres://$APP_DB_USER:$APP_DB_PASSWORD@$PG_HOST:$port/$TEST_DB
export TEST_DATABASE_ADMIN_URL=postgres://$PG_ADMIN_USER@$PG_HOST:$port/postgres
export KAFKA_BROKERS=$KAFKA_BROKERS
export TEST_KAFKA_BROKERS=$KAFKA_BROKERS
EOF
}

status() {
  ensure_pg_client
  local port
  port=$(pg_port_in_use)
  if [ -n "$port" ] && pg_answers "$port"; then echo "postgres: up on $PG_HOST:$port"; else echo "postgres: down"; fi
  if [ -d "$ROOT/node_modules/kafkajs" ] && kafka_answers 3000; then
    echo "kafka: up on $KAFKA_BROKERS$(kafka_pid_alive && echo ' (started by this script)')"
  else
    echo "kafka: down"
  fi
}

case "${1:-}" in
  up)
    pg_up
    kafka_up
    write_env
    log "connection settings written to .services/env"
    ;;
  down)
    kafka_down
    pg_down
    ;;
  status) status ;;
  env) write_env; cat "$STATE/env" ;;
  kafka-jars) fetch_kafka_jars ;;
  *) echo "usage: $0 up|down|status|env|kafka-jars" >&2; exit 2 ;;
esac
