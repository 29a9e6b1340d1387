#!/usr/bin/env bash
# The whole test suite against real services: installs npm dependencies if needed, starts PostgreSQL and Kafka
# when they are not running (scripts/services.sh), then runs unit, integration and e2e tests.
# Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
# Services this script started are stopped again at the end when STOP_SERVICES=1 (CI sets it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_node_modules
ensure_chromium
bash scripts/services.sh up
# shellcheck disable=SC1091
source .services/env

if [ "${STOP_SERVICES:-0}" = 1 ]; then
  trap 'bash scripts/services.sh down' EXIT
fi

say "running the test suite (unit, integration, e2e)"
npx jest --ci --runInBand "$@"
