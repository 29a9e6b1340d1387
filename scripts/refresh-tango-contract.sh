#!/usr/bin/env bash
# Vendors a newer copy of Tango's published contract (src/tango-contract/vendor/) from Tango's Node SDK,
# makegov/tango-node, which vendors the server-generated filter/shape contract and the observed live-API types.
# Run it when /health (`tango.warning`) says the live Tango API is a newer minor version than the worker's contract.
#
#   bash scripts/refresh-tango-contract.sh             # the newest tango-node release (needs internet access)
#   bash scripts/refresh-tango-contract.sh v1.4.0      # a tag, branch or commit of makegov/tango-node
#   bash scripts/refresh-tango-contract.sh --from DIR  # a local copy: DIR/contracts/filter_shape_contract.json,
#                                                      # and DIR/contracts/observed_shape_types.json, DIR/LICENSE if any
#
# The new contract is checked (it must parse as Tango's contract) and written beside the others as
# filter_shape_contract-<api version>.json; older versions stay (tests replay recordings of them). Observed types
# and LICENSE are replaced when the source has them. Then `npx tango-sync contract diff <worker's> <new>` says what
# changed, and moving the worker onto it is WORKER_CONTRACT_VERSION in src/tango-contract/tango-contract.ts, once
# `npx jest test/unit --selectProjects unit` passes on it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

VENDOR=src/tango-contract/vendor
REPO=makegov/tango-node
FILES=(contracts/filter_shape_contract.json contracts/observed_shape_types.json LICENSE)
REQUIRED=filter_shape_contract.json
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

if [ "${1:-}" = "--from" ]; then
  source_dir=${2:?usage: refresh-tango-contract.sh --from DIR}
  for file in "${FILES[@]}"; do
    if [ -f "$source_dir/$file" ]; then cp "$source_dir/$file" "$staging/$(basename "$file")"; fi
  done
  origin="local copy $(cd "$source_dir" && pwd)"
else
  ref=${1:-}
  if [ -z "$ref" ]; then
    ref=$(curl -fsSL "https://api.github.com/repos/$REPO/releases/latest" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tag_name))')
  fi
  for file in "${FILES[@]}"; do
    curl -fsSL "https://raw.githubusercontent.com/$REPO/$ref/$file" -o "$staging/$(basename "$file")" ||
      rm -f "$staging/$(basename "$file")"
  done
  origin="$REPO at $ref"
fi
if [ ! -f "$staging/$REQUIRED" ]; then say "no contracts/$REQUIRED in $origin"; exit 1; fi
observed="$staging/observed_shape_types.json"
[ -f "$observed" ] || observed="$VENDOR/observed_shape_types.json"

api_version=$(npx ts-node --transpile-only -e "
  import { loadTangoContract } from './src/tango-contract/tango-contract';
  const contract = loadTangoContract({ contract: '$staging/$REQUIRED', observed: '$observed' });
  for (const name of ['contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts']) {
    contract.resource(name);
  }
  console.log(contract.apiVersion);
")

cp "$staging/$REQUIRED" "$VENDOR/filter_shape_contract-$api_version.json"
for file in observed_shape_types.json LICENSE; do
  if [ -f "$staging/$file" ]; then cp "$staging/$file" "$VENDOR/$file"; fi
done
say "vendored Tango's contract for API $api_version from $origin as $VENDOR/filter_shape_contract-$api_version.json"
say "next: add its row (source, licence) to $VENDOR/README.md; npx tango-sync contract diff <worker's version> $api_version"
say "then: set WORKER_CONTRACT_VERSION in src/tango-contract/tango-contract.ts and run the unit tests"
