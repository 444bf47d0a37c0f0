#!/usr/bin/env bash
# Shared by `npm start` and `npm test`: dependencies, build, bundles, infrastructure, topics.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<14)) { console.error("Node.js 20.14 or later is needed (found "+process.versions.node+")"); process.exit(1) }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi
echo "[prepare] building" >&2
npx tsc -b tsconfig.build.json
node scripts/bundle.mjs
bash infra/infra.sh up
node tools/fleet/dist/main.js topics
