#!/usr/bin/env bash
# npm run bench: build, make sure the infrastructure and topics are there, then each benchmark in turn.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/node-runtime.sh
bash scripts/prepare.sh
node dist/bench/ingest/ingest.bench.js
node dist/bench/consumer/consumer.bench.js
