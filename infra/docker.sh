#!/usr/bin/env bash
# A Docker engine for mmp-fleet's images and containers.
#   docker.sh up       use the engine that answers (DOCKER_HOST, /var/run/docker.sock), or start a private dockerd;
#                      then make sure a Node base image exists (see `base`)
#   docker.sh down     stop the private dockerd, only if `up` started it
#   docker.sh status   which engine answers, and whether the base image is there
#   docker.sh base     create mmp/node-base:<.node-version> locally (docker import) unless it or node:<.node-version>-bookworm-slim exists
#   docker.sh env      print `export DOCKER_HOST=...` for the engine to use
# The private engine keeps its images under ~/.cache/mmp-fleet/docker (so a fresh clone builds on a warm layer
# cache) and its sockets, exec root and pidfile under .run/docker (MMP_RUN_DIR overrides .run).
# Containers use host networking only: the engine runs with --bridge none, no iptables.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${MMP_CACHE:-$HOME/.cache/mmp-fleet}
RUN=${MMP_RUN_DIR:-$ROOT/.run}
DRUN=$RUN/docker
SOCK=$DRUN/docker.sock
PIDFILE=$DRUN/dockerd.pid
DATA=$CACHE/docker
# The base is the Node the project runs on (.node-version, provisioned by scripts/node-runtime.sh).
. "$ROOT/scripts/node-runtime.sh"
NODE_VERSION=$(tr -d ' \n' <"$ROOT/.node-version")
LOCAL_BASE=mmp/node-base:$NODE_VERSION
REGISTRY_BASE=node:$NODE_VERSION-bookworm-slim

log() { printf '[docker] %s\n' "$*" >&2; }
die() { printf '[docker] error: %s\n' "$*" >&2; exit 1; }

answers() { DOCKER_HOST=$1 timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# The engine to use, in order: DOCKER_HOST, the system socket, ours. Prints nothing when none answers.
engine() {
  if [ -n "${DOCKER_HOST:-}" ]; then
    answers "$DOCKER_HOST" && echo "$DOCKER_HOST"
    return 0
  fi
  if [ -S /var/run/docker.sock ] && answers unix:///var/run/docker.sock; then echo unix:///var/run/docker.sock; return 0; fi
  if [ -S "$SOCK" ] && answers "unix://$SOCK"; then echo "unix://$SOCK"; fi
  return 0
}

ours_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

provision() {
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return
  [ "$(id -u)" = 0 ] || die "Docker is missing: run 'sudo apt-get install -y docker.io' or start your own engine"
  command -v apt-get >/dev/null 2>&1 || die "Docker is missing: install docker.io with your package manager"
  log "installing Debian's docker.io"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io) >&2
}

start_private() {
  provision
  mkdir -p "$DRUN" "$DATA"
  if ours_running; then
    log "our dockerd (pid $(cat "$PIDFILE")) does not answer yet; waiting"
  else
    rm -f "$PIDFILE" "$SOCK"
    log "starting a private dockerd (data root $DATA, socket $SOCK)"
    # setsid: Ctrl-C in the shell that ran `up` must not reach the engine.
    setsid nohup dockerd --data-root "$DATA" --exec-root "$DRUN/exec" -H "unix://$SOCK" --pidfile "$PIDFILE" \
      --storage-driver vfs --bridge none --iptables=false --ip6tables=false --ip-masq=false \
      --userland-proxy=false >"$DRUN/dockerd.log" 2>&1 </dev/null &
    echo $! >"$DRUN/launcher.pid"
  fi
  local deadline=$((SECONDS + 60))
  until answers "unix://$SOCK"; do
    if ! kill -0 "$(cat "$DRUN/launcher.pid" 2>/dev/null || echo 0)" 2>/dev/null && ! ours_running; then
      tail -n 30 "$DRUN/dockerd.log" >&2 || true
      die "dockerd exited at start (log above, in $DRUN/dockerd.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "dockerd did not answer within 60 s (log in $DRUN/dockerd.log)"
    sleep 0.3
  done
  log "dockerd answers on unix://$SOCK"
}

has_image() { DOCKER_HOST=$1 docker image inspect "$2" >/dev/null 2>&1; }

# The official image is used when the engine already has it (a user with a registry pulled it);
# nothing here reaches for a registry, so on this machine the base is made from the local node.
base() {
  local host=$1
  if has_image "$host" "$LOCAL_BASE" || has_image "$host" "$REGISTRY_BASE"; then return 0; fi
  local node version tarball
  node=$(readlink -f "$(command -v node)")
  version=$(node -p 'process.versions.node + "-" + process.arch')
  tarball=$CACHE/docker-base/node-base-$version.tar
  if [ ! -f "$tarball" ]; then
    log "making the base image's root file system from $node (Node $version)"
    local tree
    tree=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tree'" RETURN
    chmod 755 "$tree"
    mkdir -p "$tree/usr/local/bin" "$tree/etc" "$tree/tmp" "$tree/home/node" "$tree/app"
    chmod 1777 "$tree/tmp"
    if command -v strip >/dev/null 2>&1; then strip -o "$tree/usr/local/bin/node" "$node"; else cp "$node" "$tree/usr/local/bin/node"; fi
    # The dynamic loader and every library node links, at the paths ldd names.
    ldd "$node" | grep -oE '/[^ ]+' | while read -r lib; do
      mkdir -p "$tree$(dirname "$lib")"
      cp -L "$lib" "$tree$lib"
    done
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\n' >"$tree/etc/passwd"
    printf 'root:x:0:\nnode:x:1000:\n' >"$tree/etc/group"
    printf 'hosts: files dns\n' >"$tree/etc/nsswitch.conf"
    chown 1000:1000 "$tree/home/node"
    mkdir -p "$(dirname "$tarball")"
    tar -C "$tree" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
  fi
  log "importing $LOCAL_BASE from $tarball"
  DOCKER_HOST=$host docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' -c 'WORKDIR /app' -c 'CMD ["node"]' \
    -m "Node $version and its shared libraries, from $node" "$tarball" "$LOCAL_BASE" >/dev/null
  DOCKER_HOST=$host docker run --rm --network host --user 1000 "$LOCAL_BASE" node -e 'process.exit(0)' ||
    die "the imported base image does not run node"
}

up() {
  local host
  host=$(engine)
  if [ -z "$host" ]; then
    [ -z "${DOCKER_HOST:-}" ] || die "DOCKER_HOST=$DOCKER_HOST does not answer"
    start_private
    host=unix://$SOCK
  else
    log "using the engine at $host"
  fi
  base "$host"
  echo "$host"
}

# Mounts the engine made under the exec root (container rootfs, netns) outlive a killed dockerd.
unmount_exec_root() {
  [ -d "$DRUN/exec" ] || return 0
  local mounts
  mounts=$(awk -v root="$DRUN/exec" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r)
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}

down() {
  if ! ours_running; then
    [ -f "$PIDFILE" ] && rm -f "$PIDFILE"
    unmount_exec_root
    log "no private dockerd of ours is running"
    return 0
  fi
  local pid
  pid=$(cat "$PIDFILE")
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE" "$DRUN/launcher.pid" "$SOCK"
  unmount_exec_root
}

status() {
  local host
  host=$(engine)
  if [ -z "$host" ]; then
    echo "docker  down"
    return 0
  fi
  local owner="not ours"
  [ "$host" = "unix://$SOCK" ] && ours_running && owner="pid $(cat "$PIDFILE")"
  printf 'docker  up at %s, server %s (%s)\n' "$host" "$(DOCKER_HOST=$host docker version --format '{{.Server.Version}}')" "$owner"
  local b
  for b in "$LOCAL_BASE" "$REGISTRY_BASE"; do
    if has_image "$host" "$b"; then printf 'base    %s present\n' "$b"; fi
  done
}

case ${1:-} in
  up) up >/dev/null; status ;;
  down) down ;;
  status) status ;;
  base)
    host=$(engine)
    [ -n "$host" ] || die "no Docker engine answers: run 'infra/docker.sh up'"
    base "$host"
    ;;
  env)
    host=$(engine)
    [ -n "$host" ] || die "no Docker engine answers: run 'infra/docker.sh up'"
    echo "export DOCKER_HOST=$host"
    ;;
  *) echo "usage: docker.sh up | down | status | base | env" >&2; exit 2 ;;
esac
