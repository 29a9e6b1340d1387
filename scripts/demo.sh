#!/usr/bin/env bash
# Runs tango-sync locally: installs npm dependencies if needed, starts PostgreSQL and Kafka when they are not
# running, builds, applies migrations, and starts the worker in the foreground (Ctrl-C stops it gracefully).
# Without TANGO_API_KEY the worker is pointed at the local Tango simulator, which this script starts too.
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

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Reports readiness once, in the background, so the person running the demo sees it without asking.
(
  for _ in $(seq 1 60); do
    if body=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/health/ready" 2>/dev/null); then
      say "ready: $body"
      say "try: curl -s http://127.0.0.1:$HTTP_PORT/health/ready"
      exit 0
    fi
    sleep 1
  done
  say "the worker did not become ready within 60 s"
) &

say "starting the worker on http://127.0.0.1:$HTTP_PORT"
node dist/src/main.js &
pids+=($!)
wait "${pids[@]}"
