#!/usr/bin/env bash
# Rootless Docker for one page: Debian's dockerd-rootless.sh (rootlesskit,
# slirp4netns, dockerd, containerd) run by the rootless role's account, as a
# reader on a shared workstation runs it. Everything (runtime folder, socket,
# data root, logs) is in VERIFY_SERVICE_DIR. Loads the guide's base image into
# it from the engine the run verifies, and prints XDG_RUNTIME_DIR=... for the
# page, whose commands then set DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock
# as rootless Docker's own setup tells its users to (a service may not set
# DOCKER_* for the page). Every process it starts carries VERIFY_SERVICE_DIR in
# its environment, so the verifier ends them all, and removes the folder, when
# the page ends.
set -euo pipefail
dir=${VERIFY_SERVICE_DIR:?run by the verifier, which sets VERIFY_SERVICE_DIR}
eval "$(python3 "$(dirname "$0")/../facts.py")"
account=$ROOTLESS_ACCOUNT
contrib=/usr/share/docker.io/contrib
[ "$(id -u)" = 0 ] || { echo "rootless: it starts dockerd as $account, so it needs root" >&2; exit 1; }
id "$account" >/dev/null 2>&1 || { echo "rootless: no account $account (bash conf/provision.sh accounts)" >&2; exit 1; }
if ! grep -q "^$account:" /etc/subuid || ! grep -q "^$account:" /etc/subgid; then
  echo "rootless: $account has no range in /etc/subuid and /etc/subgid" >&2
  exit 1
fi
[ -x "$contrib/dockerd-rootless.sh" ] || { echo "rootless: no $contrib/dockerd-rootless.sh (Debian's docker.io)" >&2; exit 1; }

# The account enters the folder (not lists it) and owns what is in it.
chmod 711 "$dir"
run=$dir/r
install -d -m 700 -o "$account" -g "$account" "$run" "$dir/home" "$dir/data"
install -m 600 -o "$account" -g "$account" /dev/null "$dir/dockerd.log"
as_account=(runuser -u "$account" -- env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_CONFIG -u DOCKER_TLS_VERIFY
  -u DOCKER_CERT_PATH "HOME=$dir/home" "XDG_RUNTIME_DIR=$run" "PATH=$contrib:$PATH")
socket=unix://$run/docker.sock

# The exec root (containerd's sockets, runc's state) is /run/docker in
# rootlesskit's own mount namespace, where /run is a copy of the host's that
# dockerd-rootless.sh makes for it: under XDG_RUNTIME_DIR (the default), the
# service folder's long name makes containerd's socket paths longer than unix
# sockets may be ("unix socket path too long (> 104)").
setsid "${as_account[@]}" dockerd-rootless.sh --data-root "$dir/data" --exec-root /run/docker \
  </dev/null >>"$dir/dockerd.log" 2>&1 &
daemon=$!
answers() { "${as_account[@]}" docker --host "$socket" info >/dev/null 2>&1; }
for _ in $(seq 1 300); do
  if answers || ! kill -0 "$daemon" 2>/dev/null; then break; fi
  sleep 0.2
done
answers || {
  # The last error line said (dockerd-rootless.sh traces its commands: "+ ..."), else the last line.
  said=$(grep -v -e '^+ ' -e 'level=info' -e 'level=warning' "$dir/dockerd.log" | grep -iE 'error|fail|fatal' | tail -n 1 || true)
  why="exited"
  if kill -0 "$daemon" 2>/dev/null; then why="did not answer on $socket within 60 s"; fi
  echo "rootless: dockerd-rootless.sh $why: ${said:-$(tail -n 1 "$dir/dockerd.log")}" >&2
  exit 1
}

# The guide's base image, from the engine the run verifies (the page's
# DOCKER_HOST, the verifier's proxy; saving creates nothing there).
docker --host "${DOCKER_HOST:-$ENGINE_HOST}" save "$DEBIAN_IMAGE" \
  | "${as_account[@]}" docker --host "$socket" load --quiet >/dev/null \
  || { echo "rootless: could not load $DEBIAN_IMAGE into the rootless engine" >&2; exit 1; }
echo "XDG_RUNTIME_DIR=$run"
