#!/usr/bin/env bash
# An image registry for mmp-fleet on this machine: Debian's docker-registry (the CNCF distribution registry),
# started by the project with its own config and storage, never as a system service.
#   registry.sh up       start it on 127.0.0.1:$MMP_REGISTRY_PORT (default 5000) unless it answers already
#   registry.sh down     stop it, only if `up` started it (pidfile)
#   registry.sh status   whether it answers, whose it is, which repositories it holds
#   registry.sh address  print host:port, the registry part of the image prefix in deploy/fleet.config.json
# Storage lives in ~/.cache/mmp-fleet/registry (MMP_CACHE), so pushed layers survive a fresh clone; config,
# pidfile and log in .run/registry (MMP_RUN_DIR). Plain HTTP on loopback: dockerd trusts 127.0.0.0/8 registries.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MMP_CACHE:-$HOME/.cache/mmp-fleet}
RUN=${MMP_RUN_DIR:-$ROOT/.run}
RRUN=$RUN/registry
PORT=${MMP_REGISTRY_PORT:-5000}
ADDRESS=127.0.0.1:$PORT
PIDFILE=$RRUN/registry.pid
STORAGE=$CACHE/registry

log() { printf '[registry] %s\n' "$*" >&2; }
die() { printf '[registry] error: %s\n' "$*" >&2; exit 1; }

answers() { curl -fsS -m 2 -o /dev/null "http://$ADDRESS/v2/" 2>/dev/null; }
ours_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

provision() {
  command -v docker-registry >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || die "docker-registry is missing: run 'sudo apt-get install -y docker-registry'"
  command -v apt-get >/dev/null 2>&1 || die "docker-registry is missing: install the distribution registry yourself"
  log "installing Debian's docker-registry"
  # policy-rc.d or no systemd: the package's own service is not started; we run the binary ourselves.
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry) >&2
}

up() {
  if answers; then
    log "a registry answers at $ADDRESS"
    return 0
  fi
  provision
  mkdir -p "$RRUN" "$STORAGE"
  cat >"$RRUN/config.yml" <<EOF
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $STORAGE
  delete:
    enabled: true
http:
  addr: $ADDRESS
EOF
  if ! ours_running; then
    log "starting docker-registry on $ADDRESS (storage $STORAGE)"
    # setsid: Ctrl-C in the shell that ran `up` must not reach the registry.
    setsid nohup docker-registry serve "$RRUN/config.yml" >"$RRUN/registry.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
  fi
  local deadline=$((SECONDS + 30))
  until answers; do
    if ! ours_running; then
      tail -n 20 "$RRUN/registry.log" >&2 || true
      rm -f "$PIDFILE"
      die "docker-registry exited at start (log above, in $RRUN/registry.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "docker-registry did not answer within 30 s (log in $RRUN/registry.log)"
    sleep 0.2
  done
  log "docker-registry answers on http://$ADDRESS/v2/"
}

down() {
  if ! ours_running; then
    rm -f "$PIDFILE"
    log "no registry of ours is running"
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  log "stopping docker-registry (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
}

status() {
  if ! answers; then
    echo "registry down ($ADDRESS)"
    return 0
  fi
  local owner="not ours"
  ours_running && owner="pid $(cat "$PIDFILE")"
  printf 'registry up at %s (%s): %s\n' "$ADDRESS" "$owner" "$(curl -fsS -m 2 "http://$ADDRESS/v2/_catalog")"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  address) echo "$ADDRESS" ;;
  *) echo "usage: registry.sh up | down | status | address" >&2; exit 2 ;;
esac
