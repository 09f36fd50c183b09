#!/usr/bin/env bash
# Make this host able to build and run docker-practice, even air-gapped.
#
#   conf/provision.sh engine   install (Debian's docker.io) and start a Docker engine
#   conf/provision.sh images   make the base images exist locally (pull, else build)
#   conf/provision.sh all      both (the default)
#   conf/provision.sh STEP...  several steps, in the order given (e.g. all browser)
#   conf/provision.sh browser  install Debian's chromium for the browser test
#   conf/provision.sh docs     install Debian's graphviz (dot draws the site's pictures)
#   conf/provision.sh engine-current  current Docker (Debian unstable's docker.io,
#                              containerd image store) beside the first engine
#   conf/provision.sh env-current     print the exports that point a shell at it:
#                              eval "$(bash conf/provision.sh env-current)"
#   conf/provision.sh accounts the accounts the guide's commands run as: a
#                              workstation user (docker group, sudo), a
#                              cluster user (neither) and a newcomer (sudo,
#                              not yet in the docker group)
#   conf/provision.sh cluster  what the cluster page runs: Slurm and munge
#                              (Debian 12's) and Apptainer (Debian unstable's,
#                              unpacked beside the system by conf/apptainer.sh,
#                              unprivileged, linked onto PATH)
#
# Every step is skipped when its result is already there, so running it twice
# is cheap. Installing the engine needs root and apt-get; the images step
# needs only a reachable engine (plus debootstrap and root when no registry
# answers). Nothing that already exists is removed or replaced.
set -euo pipefail

say() { printf 'provision: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The images, paths and names are conf/facts.py's (BASE_IMAGES, CURRENT_SOCK, ...);
# those it lists as OVERRIDABLE take the caller's environment variable of that name.
command -v python3 >/dev/null || die "no python3, which reads conf/facts.py: apt-get install python3"
facts=$(python3 "$(dirname "$0")/facts.py")
eval "$facts"

# The Debian client speaks BuildKit with DOCKER_BUILDKIT=1; a newer client
# without the buildx plugin would silently use the legacy builder instead.
# DOCKER_CLI, where set, names the client of the engine being provisioned.
docker_cli() {
  if [ -n "${DOCKER_CLI:-}" ]; then echo "$DOCKER_CLI"
  elif [ -x /usr/bin/docker ]; then echo /usr/bin/docker
  else command -v docker; fi
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

# The registry image from Debian's package of the same program (conf/images/registry.Dockerfile),
# FROM the Debian image (made before it: it comes first in BASE_IMAGES).
build_registry_image() {
  say "building $1 from Debian's docker-registry (the distribution registry; about 10 s)"
  DOCKER_BUILDKIT=1 "$(docker_cli)" build --quiet --file "$(dirname "$0")/images/registry.Dockerfile" \
    --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" --tag "$1" "$(dirname "$0")/images" >/dev/null || die "building $1 failed"
  say "built $1: $("$(docker_cli)" run --rm --entrypoint docker-registry "$1" --version)"
}

provision_images() {
  engine_up || die "no Docker engine reachable: run 'conf/provision.sh engine' (as root) or start Docker"
  local image
  for image in "${BASE_IMAGES[@]}"; do
    if "$(docker_cli)" image inspect "$image" >/dev/null 2>&1; then
      say "base image $image present"
    elif [ -n "${IMAGE_DONOR:-}" ] && "$(docker_cli)" -H "$IMAGE_DONOR" image inspect "$image" >/dev/null 2>&1; then
      "$(docker_cli)" -H "$IMAGE_DONOR" save "$image" | "$(docker_cli)" load -q >/dev/null \
        || die "copying $image from $IMAGE_DONOR failed"
      say "copied $image from the engine at $IMAGE_DONOR"
    elif timeout 60 "$(docker_cli)" pull -q "$image" >/dev/null 2>&1; then
      say "pulled $image"
    else
      case $image in
        debian:*-slim) build_debian_image "$image" ;;
        "$REGISTRY_IMAGE") build_registry_image "$image" ;;
        *) die "base image $image is missing and no registry answers: docker load it from a tar, or build it" ;;
      esac
    fi
  done
}

# The browser test drives Chromium through Playwright; `playwright install`
# downloads a browser, which fails offline, so use the distribution's own.
provision_browser() {
  for name in "${BROWSERS[@]}"; do
    command -v "$name" >/dev/null 2>&1 && { say "browser present: $(command -v "$name")"; return; }
  done
  [ "$(id -u)" = 0 ] || die "no Chromium: install it (sudo apt-get install chromium), or set CHROMIUM to a Chrome binary"
  command -v apt-get >/dev/null || die "no Chromium and no apt-get: install Chromium or Chrome, then set CHROMIUM to it"
  say "installing Debian's chromium (about 30 s)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# The site's pictures are drawn at build time by Graphviz's dot (sphinx.ext.graphviz).
provision_docs() {
  command -v dot >/dev/null 2>&1 && { say "graphviz present: $(dot -V 2>&1)"; return; }
  [ "$(id -u)" = 0 ] || die "no Graphviz (dot), which draws the site's pictures: sudo apt-get install graphviz"
  command -v apt-get >/dev/null || die "no Graphviz and no apt-get: install Graphviz so that dot is on PATH"
  say "installing Debian's graphviz (the site's pictures; about 10 s)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
}

# -- The current engine, beside the first one ----------------------------------
current_client() { echo "$CURRENT_PREFIX/usr/bin/docker"; }
current_config() { echo "$CURRENT_PREFIX/client"; }  # DOCKER_CONFIG: finds the buildx plugin

# The exports that point a shell (and nox, and the verifier) at the current engine.
# buildx writes its state into the client config, so a user who cannot write the
# shared one gets a copy of their own.
print_current_env() {
  local config
  config=$(current_config)
  if [ ! -w "$config" ]; then
    [ -s "$config/config.json" ] || die "no current engine in $CURRENT_PREFIX: sudo bash conf/provision.sh engine-current"
    config=${XDG_CONFIG_HOME:-$HOME/.config}/$CURRENT_CONFIG_COPY
    mkdir -p "$config"
    [ -s "$config/config.json" ] || cp "$(current_config)/config.json" "$config/config.json"
  fi
  printf 'export DOCKER_HOST=unix://%s\n' "$CURRENT_SOCK"
  printf 'export DOCKER_CONFIG=%s\n' "$config"
  printf 'export PATH="%s/usr/bin:$PATH"\n' "$CURRENT_PREFIX"
}

current_up() {
  [ -x "$(current_client)" ] \
    && DOCKER_HOST=unix://$CURRENT_SOCK DOCKER_CONFIG=$(current_config) "$(current_client)" info >/dev/null 2>&1
}

current_version() {
  DOCKER_HOST=unix://$CURRENT_SOCK "$(current_client)" version --format '{{.Server.Version}}'
}

# Unstable's packages, fetched with an apt state of their own (the host's apt
# sources and lists are not touched) and unpacked with dpkg -x, not installed.
install_current() {
  if [ -x "$CURRENT_PREFIX/usr/sbin/dockerd" ] && [ -f "$CURRENT_PREFIX/packages" ]; then
    say "current engine installed in $CURRENT_PREFIX: $(paste -sd, "$CURRENT_PREFIX/packages")"
    return
  fi
  [ ! -e "$CURRENT_PREFIX" ] || die "$CURRENT_PREFIX exists but holds no complete install; remove it, or set CURRENT_PREFIX"
  command -v apt-get >/dev/null && command -v dpkg >/dev/null \
    || die "no apt-get and dpkg: the current engine comes from Debian's archive; install Docker 28 or newer yourself"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ ! -s "$keyring" ]; then  # Ubuntu, say: Debian's keys are a package there
    say "installing debian-archive-keyring (the keys that sign Debian's archive)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debian-archive-keyring >/dev/null
  fi
  [ -s "$keyring" ] || die "no $keyring: apt-get install debian-archive-keyring"
  local work
  work=$(mktemp -d /tmp/provision-current.XXXXXX)
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/root"
  cat >"$work/unstable.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $CURRENT_SUITE
Components: main
Signed-By: $keyring
EOF
  local apt=(apt-get -qq -o "Dir::Etc::sourcelist=$work/unstable.sources" -o Dir::Etc::sourceparts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::archives=$work/archives"
             -o Acquire::Check-Valid-Until=false -o APT::Get::List-Cleanup=false)
  say "fetching ${CURRENT_PACKAGES[*]} from Debian $CURRENT_SUITE (about 70 MB)"
  "${apt[@]}" update >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; die "apt-get update for $CURRENT_SUITE failed"; }
  (cd "$work/archives" && "${apt[@]}" download "${CURRENT_PACKAGES[@]}") >>"$work/apt.log" 2>&1 \
    || { tail -n 20 "$work/apt.log" >&2; die "downloading ${CURRENT_PACKAGES[*]} from $CURRENT_SUITE failed"; }
  local deb
  for deb in "$work"/archives/*.deb; do
    dpkg -x "$deb" "$work/root"
    dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >>"$work/root/packages"
  done
  [ -x "$work/root/usr/sbin/dockerd" ] || die "no dockerd in the packages fetched from $CURRENT_SUITE"
  mkdir -p "$work/root/client"
  printf '{"cliPluginsExtraDirs": ["%s/usr/libexec/docker/cli-plugins"]}\n' "$CURRENT_PREFIX" >"$work/root/client/config.json"
  # Installed whole or not at all: the folder appears by one rename.
  mkdir -p "$(dirname "$CURRENT_PREFIX")"
  mv -T "$work/root" "$CURRENT_PREFIX"
  rm -rf "$work"
  say "installed in $CURRENT_PREFIX: $(paste -sd, "$CURRENT_PREFIX/packages")"
}

# Its own bridge, and the NAT and forwarding its containers need to reach the
# archive and PyPI; the first engine's docker0 and iptables chains are not touched.
current_network() {
  command -v ip >/dev/null && command -v iptables >/dev/null || die "no ip or iptables: apt-get install iproute2 iptables"
  if ! ip link show "$CURRENT_BRIDGE" >/dev/null 2>&1; then
    ip link add "$CURRENT_BRIDGE" type bridge || die "could not create the bridge $CURRENT_BRIDGE"
    say "bridge $CURRENT_BRIDGE created"
  fi
  if ! ip -4 addr show dev "$CURRENT_BRIDGE" | grep -qw "inet ${CURRENT_CIDR}"; then
    local clash
    clash=$(ip -4 route show to match "${CURRENT_CIDR%/*}" | grep -v '^default' | grep -vw "dev $CURRENT_BRIDGE" || true)
    [ -z "$clash" ] || die "$CURRENT_CIDR overlaps a network of this host ($clash); set CURRENT_CIDR to a free one"
    ip addr add "$CURRENT_CIDR" dev "$CURRENT_BRIDGE"
    say "bridge $CURRENT_BRIDGE has $CURRENT_CIDR"
  fi
  ip link set "$CURRENT_BRIDGE" up
  local net
  net=$(ip -4 route show dev "$CURRENT_BRIDGE" proto kernel | awk 'NR == 1 {print $1}')
  [ -n "$net" ] || die "no route for $CURRENT_BRIDGE's network"
  if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
    sysctl -qw net.ipv4.ip_forward=1
    say "IPv4 forwarding turned on (containers reach the network through it)"
  fi
  local table chain rule
  while read -r table chain rule; do
    # shellcheck disable=SC2086  # a rule is words
    iptables -t "$table" -C "$chain" $rule 2>/dev/null \
      || { iptables -t "$table" -A "$chain" $rule; say "iptables -t $table -A $chain $rule"; }
  done <<EOF
nat POSTROUTING -s $net ! -o $CURRENT_BRIDGE -j MASQUERADE
filter FORWARD -i $CURRENT_BRIDGE -j ACCEPT
filter FORWARD -o $CURRENT_BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
EOF
}

provision_engine_current() {
  [ "$(id -u)" = 0 ] || die "the current engine is installed and started as root: sudo bash conf/provision.sh engine-current"
  install_current
  if current_up; then
    say "current engine already reachable on unix://$CURRENT_SOCK: $(current_version)"
  else
    command -v runc >/dev/null || {
      say "installing Debian's runc (the current engine runs containers with it)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >/dev/null
    }
    current_network
    mkdir -p "$CURRENT_DATA" "$CURRENT_EXEC"
    # The containerd image store: what fresh installs of Docker 29 use.
    cat >"$CURRENT_PREFIX/daemon.json" <<EOF
{
  "features": {"containerd-snapshotter": true},
  "data-root": "$CURRENT_DATA",
  "exec-root": "$CURRENT_EXEC",
  "pidfile": "$CURRENT_EXEC.pid",
  "hosts": ["unix://$CURRENT_SOCK"],
  "bridge": "$CURRENT_BRIDGE",
  "iptables": false,
  "ip6tables": false
}
EOF
    say "starting the current engine (log: $CURRENT_LOG)"
    # Unstable's runc needs a newer glibc than Debian 12's: the host's runc (/usr/sbin) runs containers.
    PATH=$CURRENT_PREFIX/usr/bin:$CURRENT_PREFIX/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
      setsid "$CURRENT_PREFIX/usr/sbin/dockerd" --config-file "$CURRENT_PREFIX/daemon.json" \
      >"$CURRENT_LOG" 2>&1 </dev/null &
    local up=
    for _ in $(seq 1 60); do
      current_up && { up=1; break; }
      sleep 1
    done
    [ -n "$up" ] || { tail -n 20 "$CURRENT_LOG" >&2; die "the current engine did not answer within 60 s; see $CURRENT_LOG"; }
    say "current engine up on unix://$CURRENT_SOCK: $(current_version)"
  fi
  # The base images: copied from the first engine where it has them, else as there.
  (
    export DOCKER_HOST=unix://$CURRENT_SOCK DOCKER_CONFIG
    DOCKER_CONFIG=$(current_config)
    DOCKER_CLI=$(current_client) IMAGE_DONOR=${IMAGE_DONOR:-$ENGINE_HOST} provision_images
  )
  say "use it in a shell:    eval \"\$(bash conf/provision.sh env-current)\""
  say "verify the guide:     (eval \"\$(bash conf/provision.sh env-current)\"; bash conf/nox.sh -s verify-tutorial -- --results-dir $CURRENT_RESULTS)"
}

provision_cluster() {
  [ "$(id -u)" = 0 ] || die "the cluster tools are installed as root: sudo bash conf/provision.sh cluster"
  # Each package is there when its command is (a Slurm or a registry installed otherwise counts).
  local missing=() i
  for i in "${!CLUSTER_PACKAGES[@]}"; do
    command -v "${CLUSTER_COMMANDS[$i]}" >/dev/null || missing+=("${CLUSTER_PACKAGES[$i]}")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Slurm, munge, the registry's tools and Charliecloud present: $(slurmctld -V)"
  else
    say "installing Debian's ${missing[*]} (about 25 s)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's package runs its registry as a system service, on every address without a
    # login; the guide's registries are the pages' own, so the one installed here is off for good.
    if [[ " ${missing[*]} " == *" docker-registry "* ]]; then
      if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl disable --now docker-registry >/dev/null 2>&1 || true
      else
        service docker-registry stop >/dev/null 2>&1 || true
        update-rc.d docker-registry disable >/dev/null 2>&1 || true
      fi
      say "Debian's own docker-registry service disabled (the pages start theirs)"
    fi
  fi
  local target=$APPTAINER_PREFIX/bin/apptainer found
  # A real apptainer on PATH is left alone; ours (ours_apptainer, below) is replaced.
  found=$(command -v apptainer || true)
  if [ -n "$found" ] && ! ours_apptainer "$found"; then
    say "apptainer present: $(apptainer --version) at $found; left as it is"
    return
  fi
  bash "$(dirname "$0")/apptainer.sh"
  if [ "$(readlink "$APPTAINER_LINK" || true)" != "$target" ]; then
    if [ -e "$APPTAINER_LINK" ] || [ -L "$APPTAINER_LINK" ]; then
      ours_apptainer "$APPTAINER_LINK" \
        || die "$APPTAINER_LINK is there and not ours (not the old wrapper, nor a link to an install): remove it, or set APPTAINER_LINK"
    fi
    mkdir -p "$(dirname "$APPTAINER_LINK")"
    ln -sfnT "$target" "$APPTAINER_LINK"
    say "linked $APPTAINER_LINK to $target"
  fi
  say "$APPTAINER_LINK runs $("$APPTAINER_LINK" --version)"
  [ "$(command -v apptainer || true)" = "$APPTAINER_LINK" ] \
    || say "note: 'apptainer' on PATH is $(command -v apptainer || echo nothing), not $APPTAINER_LINK"
}

# Ours, and so replaced by the link: the wrapper earlier versions installed (it ran
# Apptainer in a container named verify-apptainer), or a link to an install of
# conf/apptainer.sh (its .installed beside bin/), or one to nothing any more.
ours_apptainer() {
  if [ -L "$1" ]; then
    local to
    to=$(readlink "$1")
    case $to in /*) ;; *) to=$(dirname "$1")/$to ;; esac
    [ ! -e "$to" ] || [ -f "$(dirname "$(dirname "$to")")/.installed" ]
  else
    head -c 4096 "$1" 2>/dev/null | grep -qF verify-apptainer
  fi
}

# The accounts the guide's commands run as (conf/verify.toml's [roles]): the
# verifier, started as root, runs each role's commands as its account.
provision_accounts() {
  [ "$(id -u)" = 0 ] || die "accounts are made as root: sudo bash conf/provision.sh accounts"
  local missing=() package
  for package in "${ACCOUNT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (about 5 s)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  getent group docker >/dev/null || groupadd --system docker
  local name
  for name in "$READER_ACCOUNT" "$CLUSTER_ACCOUNT" "$NEWCOMER_ACCOUNT" "$ROOTLESS_ACCOUNT"; do
    if id "$name" >/dev/null 2>&1; then
      say "account $name present: $(id "$name")"
    else
      # useradd also gives it subordinate uid and gid ranges (/etc/subuid): user namespaces need them.
      useradd --create-home --shell /bin/bash "$name"
      say "made account $name: $(id "$name")"
    fi
    grep -q "^$name:" /etc/subuid || die "$name has no range in /etc/subuid: add one (usermod --add-subuids 200000-265535 $name)"
  done
  id -nG "$READER_ACCOUNT" | tr ' ' '\n' | grep -qx docker || { usermod -aG docker "$READER_ACCOUNT"; say "$READER_ACCOUNT joined the docker group"; }
  # The newcomer's docker group is the troubleshooting page's to give (and take back);
  # a run killed between the two leaves it in, so each provisioning takes it out.
  if id -nG "$NEWCOMER_ACCOUNT" | tr ' ' '\n' | grep -qx docker; then
    gpasswd --delete "$NEWCOMER_ACCOUNT" docker >/dev/null
    say "$NEWCOMER_ACCOUNT left the docker group (the troubleshooting page adds it)"
  fi
  for name in "$READER_ACCOUNT" "$NEWCOMER_ACCOUNT"; do
    local sudoers=/etc/sudoers.d/$name
    [ -s "$sudoers" ] && continue
    printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$name" >"$sudoers.new"
    chmod 0440 "$sudoers.new"
    visudo -cqf "$sudoers.new" || die "visudo refused $sudoers.new"
    mv "$sudoers.new" "$sudoers"
    say "$name may use sudo (for the lines the guide shows with sudo)"
  done
  # Nothing more for the cluster and rootless accounts: no docker group, no sudo.
}

# Several steps run in the order given: conf/provision.sh all browser
[ $# -gt 0 ] || set -- all
for step in "$@"; do
  case $step in
    engine) provision_engine ;;
    images) provision_images ;;
    browser) provision_browser ;;
    docs) provision_docs ;;
    all) provision_engine; provision_images ;;
    engine-current) provision_engine_current ;;
    env-current) print_current_env ;;
    cluster) provision_cluster ;;
    accounts) provision_accounts ;;
    *) die "unknown step '$step': use engine, images, browser, docs, all, cluster, accounts, engine-current or env-current" ;;
  esac
done
