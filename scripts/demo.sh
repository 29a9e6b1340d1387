#!/usr/bin/env bash
# Runs tango-sync locally: installs npm dependencies if needed, starts PostgreSQL and Kafka when they are not
# running, builds, applies migrations, and starts the worker in the foreground (Ctrl-C stops everything).
# Without TANGO_API_KEY the worker is pointed at the local Tango simulator, which this script starts with a steady
# trickle of changes and this worker registered as its webhook endpoint, so the mirror visibly fills.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_node_modules
bash scripts/services.sh up
# shellcheck disable=SC1091
source .services/env
[ -f .env ] && { set -a; source .env; set +a; }

say "building"
npx nest build

say "applying migrations"
npx typeorm -d dist/src/database/data-source.js migration:run

export HTTP_PORT="${HTTP_PORT:-3000}"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
export WEBHOOK_SECRETS="${WEBHOOK_SECRETS:-demo-secret-change-me}"
SIM_PORT="${SIM_PORT:-8765}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ -z "${TANGO_API_KEY:-}" ]; then
  say "no TANGO_API_KEY: starting the local Tango simulator on http://127.0.0.1:$SIM_PORT"
  export TANGO_BASE_URL="http://127.0.0.1:$SIM_PORT" TANGO_API_KEY=sim-key
  node dist/src/simulator/main.js --port "$SIM_PORT" \
    --webhook-url "http://127.0.0.1:$HTTP_PORT/tango/webhooks" --webhook-secret "${WEBHOOK_SECRETS%%,*}" \
    --trickle "${SIM_TRICKLE:-0.5}" --time-scale "${SIM_TIME_SCALE:-30}" > .services/simulator.log 2>&1 &
  pids+=($!)
fi

# Shows readiness once, then how the mirror fills, so the person running the demo sees it working.
(
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$HTTP_PORT/health/ready" > /dev/null 2>&1; then
      say "ready: http://127.0.0.1:$HTTP_PORT/health/ready  metrics: http://127.0.0.1:$HTTP_PORT/metrics"
      say "query the mirror: psql \"$DATABASE_URL\" -c 'SELECT key, piid, award_date, obligated, recipient_name, version FROM contracts ORDER BY changed_at DESC LIMIT 10'"
      say "watch change events: npm run watch -- ${KAFKA_TOPIC_PREFIX:-tango}.contracts.changes.v1"
      break
    fi
    sleep 1
  done
  while sleep 15; do
    # Every mirror table (they carry the comment the migrations give them), then the change-event outbox.
    counts=$(psql "$DATABASE_URL" -Atc "SELECT string_agg(c.relname || '=' || (xpath('/row/n/text()',
        query_to_xml(format('SELECT count(*) AS n FROM %I', c.relname), false, true, '')))[1]::text, ' '
        ORDER BY c.relname) || ' events=' || (SELECT count(*) FROM change_events)
      FROM pg_class c WHERE c.relkind = 'r' AND obj_description(c.oid, 'pg_class') LIKE 'tango-sync mirror of Tango%'" \
      2>/dev/null || true)
    say "mirror: ${counts:-unavailable}"
  done
) &
pids+=($!)

say "starting the worker on http://127.0.0.1:$HTTP_PORT"
node dist/src/main.js &
pids+=($!)
wait "${pids[-1]}"
