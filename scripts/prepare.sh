#!/usr/bin/env bash
# Shared by `npm start` and `npm test`: dependencies, build, bundles, infrastructure, topics.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/node-runtime.sh

echo "[prepare] Node $(node --version) from $(command -v node)" >&2
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[prepare] installing npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi
echo "[prepare] building" >&2
npx tsc -b tsconfig.build.json
node scripts/bundle.mjs
bash infra/infra.sh up
node tools/fleet/dist/main.js topics
