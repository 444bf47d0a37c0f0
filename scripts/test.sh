#!/usr/bin/env bash
# npm test: provision and start what is missing, build, then every test against the real servers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/node-runtime.sh
bash scripts/prepare.sh

# Unit specs sit beside the code they test; cross-service tests live in test/.
mapfile -t files < <(find dist/test libs/*/dist services/*/dist tools/*/dist -name '*.spec.js' -o -name '*.test.js' 2>/dev/null | grep -v node_modules | sort)
# One file at a time: the files share one Kafka, Redis and Consul, and the machine has 2 cores.
# --test-force-exit: a client library's stray handle must not hold a finished file open.
exec node --test --test-concurrency=1 --test-force-exit --test-timeout=300000 --test-reporter=spec "${files[@]}"
