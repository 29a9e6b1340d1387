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
# `tango-sync migrate up` ends with one JSON line naming what it applied; its log goes to a file, shown on failure.
if ! node dist/src/cli/main.js migrate up > .services/migrate.log 2>&1; then
  tail -n 20 .services/migrate.log >&2
  say "migrations failed (full log: .services/migrate.log)"
  exit 1
fi
applied=$(node -e '
  const lines = require("fs").readFileSync(".services/migrate.log", "utf8").split("\n");
  const result = JSON.parse(lines.findLast((line) => line.startsWith("{\"command\":\"migrate up\"")));
  for (const name of result.applied) console.log(name);
')
if [ -z "$applied" ]; then
  say "schema is up to date"
else
  while read -r name; do say "applied migration $name"; done <<< "$applied"
fi

export HTTP_PORT="${HTTP_PORT:-3000}"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
export WEBHOOK_SECRETS="${WEBHOOK_SECRETS:-demo-secret-change-me}"
SIM_PORT="${SIM_PORT:-8765}"

# Every resource family, in the order the README and /health list them; the mirror has one table per family.
FAMILIES=(contracts idvs otas otidvs opportunities notices entities grants forecasts)

# "mirrored: contracts 120, idvs 40, …, forecasts 0 (change events 554)": every family, zeros included.
mirror_summary() {
  node -e '
    const { Client } = require("pg");
    const families = process.argv.slice(1);
    const sql = `SELECT ${families.map((f) => `(SELECT count(*) FROM ${f})::int AS "${f}"`).join(", ")},
      (SELECT count(*) FROM change_events)::int AS "__events"`;
    const client = new Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
    client.connect()
      .then(() => client.query(sql))
      .then(({ rows: [row] }) => {
        const counts = families.map((f) => `${f} ${row[f]}`).join(", ");
        console.log(`mirrored: ${counts} (change events ${row.__events})`);
      })
      .catch((error) => console.log(`mirrored: unavailable (${error.message})`))
      .finally(() => client.end().catch(() => undefined));
  ' "${FAMILIES[@]}"
}

pids=()
stopped=0
cleanup() {
  [ "$stopped" = 1 ] && return
  stopped=1
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "stopped; $(mirror_summary)"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${TANGO_API_KEY:-}" ]; then
  say "no TANGO_API_KEY: starting the local Tango simulator on http://127.0.0.1:$SIM_PORT"
  export TANGO_BASE_URL="http://127.0.0.1:$SIM_PORT" TANGO_API_KEY=sim-key
  node dist/simulator/main.js --port "$SIM_PORT" \
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
  while sleep "${DEMO_SUMMARY_INTERVAL:-15}"; do
    say "$(mirror_summary)"
  done
) &
pids+=($!)

say "starting the worker on http://127.0.0.1:$HTTP_PORT"
node dist/src/main.js &
pids+=($!)
wait "${pids[-1]}"
