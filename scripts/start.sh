#!/usr/bin/env bash
# npm start: provision and build what is missing, start the infrastructure and create the topics
# (scripts/prepare.sh), seed a demo app in Consul KV, then run the fleet as local processes from its
# Marathon app definitions until Ctrl-C. The infrastructure stays up afterwards: `npm run infra down`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
. scripts/node-runtime.sh
bash scripts/prepare.sh

# The plain API token exists only in this shell and on the screen; Consul keeps its sha256.
eval "$(node tools/fleet/dist/main.js seed --shell)"
export MMP_DEMO_APP_ID MMP_DEMO_SDK_KEY MMP_DEMO_API_TOKEN
cat <<TEXT

Demo app, seeded in Consul KV at mmp/apps/$MMP_DEMO_APP_ID (the API token is shown only now):
  app_id     $MMP_DEMO_APP_ID
  sdk_key    $MMP_DEMO_SDK_KEY
  api_token  $MMP_DEMO_API_TOKEN

Starting the fleet; the URLs and curl lines follow once every instance passes in Consul.
Ctrl-C stops the fleet. Kafka, Consul, Redis and StatsD stay up; stop them with: npm run infra down
TEXT
# exec: Ctrl-C and SIGTERM reach the fleet runner itself, which stops every instance cleanly.
exec node tools/fleet/dist/main.js up
