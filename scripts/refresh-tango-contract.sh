#!/usr/bin/env bash
# Refreshes the vendored copy of Tango's published contract (src/tango-contract/vendor/) from Tango's Node SDK,
# makegov/tango-node, which vendors the server-generated filter/shape contract and the observed live-API types.
#
#   bash scripts/refresh-tango-contract.sh             # the newest tango-node release (needs internet access)
#   bash scripts/refresh-tango-contract.sh v1.4.0      # a tag, branch or commit of makegov/tango-node
#   bash scripts/refresh-tango-contract.sh --from DIR  # a local copy: DIR/contracts/*.json and DIR/LICENSE
#
# The new files are checked (they must parse as Tango's contract) before they replace the old ones; the API
# version and source are written into the vendor README. Then run `npm test -- --selectProjects unit`: the
# contract tests fail on any shape item, filter or typed column of the worker that the new contract lacks.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

VENDOR=src/tango-contract/vendor
REPO=makegov/tango-node
FILES=(contracts/filter_shape_contract.json contracts/observed_shape_types.json LICENSE)
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

if [ "${1:-}" = "--from" ]; then
  source_dir=${2:?usage: refresh-tango-contract.sh --from DIR}
  for file in "${FILES[@]}"; do cp "$source_dir/$file" "$staging/$(basename "$file")"; done
  origin="local copy $(cd "$source_dir" && pwd)"
else
  ref=${1:-}
  if [ -z "$ref" ]; then
    ref=$(curl -fsSL "https://api.github.com/repos/$REPO/releases/latest" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tag_name))')
  fi
  for file in "${FILES[@]}"; do
    curl -fsSL "https://raw.githubusercontent.com/$REPO/$ref/$file" -o "$staging/$(basename "$file")"
  done
  origin="$REPO at $ref"
fi

api_version=$(npx ts-node --transpile-only -e "
  import { loadTangoContract } from './src/tango-contract/tango-contract';
  const contract = loadTangoContract({
    contract: '$staging/filter_shape_contract.json',
    observed: '$staging/observed_shape_types.json',
  });
  for (const name of ['contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts']) {
    contract.resource(name);
  }
  console.log(contract.apiVersion);
")

cp "$staging/filter_shape_contract.json" "$staging/observed_shape_types.json" "$staging/LICENSE" "$VENDOR/"
node -e '
  const fs = require("fs");
  const [file, origin, version, day] = process.argv.slice(1);
  const text = fs.readFileSync(file, "utf8")
    .replace(/copied unchanged from[\s\S]*?MIT License/, `copied unchanged from ${origin} (refreshed ${day}),\nMIT License`)
    .replace(/\*\*API [0-9.]+\*\*/, `**API ${version}**`);
  fs.writeFileSync(file, text);
' "$VENDOR/README.md" "$origin" "$api_version" "$(date -u +%Y-%m-%d)"
say "vendored Tango's contract for API $api_version from $origin into $VENDOR"
say "next: npm test -- --selectProjects unit (the contract tests say what the worker must change)"
