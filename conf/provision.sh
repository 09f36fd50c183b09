#!/usr/bin/env bash
# Make this host able to build and run docker-practice, even air-gapped.
#
#   conf/provision.sh engine   install (Debian's docker.io) and start a Docker engine
#   conf/provision.sh images   make the base images exist locally (pull, else build)
#   conf/provision.sh all      both (the default)
#   conf/provision.sh browser  install Debian's chromium for the browser test
#
# Every step is skipped when its result is already there, so running it twice
# is cheap. Installing the engine needs root and apt-get; the images step
# needs only a reachable engine (plus debootstrap and root when no registry
# answers). Nothing that already exists is removed or replaced.
set -euo pipefail

BASE_IMAGES=(${BASE_IMAGES:-debian:trixie-slim})
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOST_CA_BUNDLE=${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}

say() { printf 'provision: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The Debian client speaks BuildKit with DOCKER_BUILDKIT=1; a newer client
# without the buildx plugin would silently use the legacy builder instead.
docker_cli() {
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else command -v docker; fi
}

engine_up() { "$(docker_cli)" info >/dev/null 2>&1; }

provision_engine() {
  if engine_up; then
    say "engine already reachable: $("$(docker_cli)" version --format '{{.Server.Version}}')"
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "no Docker engine and not root: install Docker (https://docs.docker.com/engine/install/) or rerun as root"
    command -v apt-get >/dev/null || die "no Docker engine and no apt-get: install Docker for your OS, then rerun"
    say "installing Debian's docker.io and debootstrap (about 20 s)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
  fi
  [ "$(id -u)" = 0 ] || die "dockerd is installed but not running: start it (sudo systemctl start docker)"
  say "starting dockerd (log: $DOCKERD_LOG)"
  setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    engine_up && { say "engine up: $("$(docker_cli)" version --format '{{.Server.Version}}')"; return; }
    sleep 1
  done
  tail -n 20 "$DOCKERD_LOG" >&2 || true
  die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
}

# Build NAME:TAG (debian:<suite>-slim) from the Debian archive the way Debian
# builds its official images: a minbase debootstrap, then the slim trims.
build_debian_image() {
  local image=$1 suite=${1#debian:}
  suite=${suite%-slim}
  command -v debootstrap >/dev/null || die "no registry for $image and no debootstrap: apt-get install debootstrap, or docker load the image"
  [ "$(id -u)" = 0 ] || die "building $image with debootstrap needs root"
  local rootfs
  rootfs=$(mktemp -d /tmp/provision-rootfs.XXXXXX)
  say "building $image from $DEBIAN_MIRROR (debootstrap, about 30 s)"
  debootstrap --variant=minbase "$suite" "$rootfs" "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; die "debootstrap of $suite failed"; }
  rm -f "$rootfs.log"
  # What Debian's images do: no docs or man pages on install, apt cleans up
  # after itself (this is what a Dockerfile's cache mount has to undo).
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{man,info}/* "$rootfs"/var/cache/apt/archives/*.deb \
         "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  # Behind an intercepting proxy, pip in a container must trust the host's CA.
  # Only this locally built stand-in gets it; a pulled image is left as it is.
  if [ -s "$HOST_CA_BUNDLE" ]; then
    cp "$HOST_CA_BUNDLE" "$rootfs/etc/host-ca-bundle.crt"
    printf '[global]\ncert = /etc/host-ca-bundle.crt\n' >"$rootfs/etc/pip.conf"
  fi
  tar -C "$rootfs" -c . | "$(docker_cli)" import \
    --change 'CMD ["bash"]' --message "debootstrap $suite minbase, slimmed" - "$image" >/dev/null
  rm -rf "$rootfs"
  say "built $image: $("$(docker_cli)" image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
}

provision_images() {
  engine_up || die "no Docker engine reachable: run 'conf/provision.sh engine' (as root) or start Docker"
  local image
  for image in "${BASE_IMAGES[@]}"; do
    if "$(docker_cli)" image inspect "$image" >/dev/null 2>&1; then
      say "base image $image present"
    elif timeout 60 "$(docker_cli)" pull -q "$image" >/dev/null 2>&1; then
      say "pulled $image"
    else
      case $image in
        debian:*-slim) build_debian_image "$image" ;;
        *) die "base image $image is missing and no registry answers: docker load it from a tar, or build it" ;;
      esac
    fi
  done
}

# The browser test drives Chromium through Playwright; `playwright install`
# downloads a browser, which fails offline, so use the distribution's own.
provision_browser() {
  for name in chromium chromium-browser google-chrome; do
    command -v "$name" >/dev/null 2>&1 && { say "browser present: $(command -v "$name")"; return; }
  done
  [ "$(id -u)" = 0 ] || die "no Chromium: install it (sudo apt-get install chromium), or set CHROMIUM to a Chrome binary"
  command -v apt-get >/dev/null || die "no Chromium and no apt-get: install Chromium or Chrome, then set CHROMIUM to it"
  say "installing Debian's chromium (about 30 s)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

case ${1:-all} in
  engine) provision_engine ;;
  images) provision_images ;;
  browser) provision_browser ;;
  all) provision_engine; provision_images ;;
  *) die "unknown step '$1': use engine, images, browser or all" ;;
esac
