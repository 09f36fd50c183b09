#!/usr/bin/env bash
# Registries for one page, from Debian's docker-registry (the distribution
# registry that registry:3 runs), as processes of the service, all data in
# VERIFY_SERVICE_DIR:
#  - the lab's registry on 127.0.0.1:5000, which wants a login (htpasswd):
#    user "lab", a fresh random token printed as LAB_REGISTRY_TOKEN=... for the
#    page's hidden setup to store where a reader keeps theirs;
#  - a stand-in for Docker Hub on 127.0.0.1:5001, holding the guide's base image
#    (copied from the engine the run verifies), which a registries.conf mirror
#    entry (printed as REGISTRIES_MIRROR_CONF=...) makes `docker://debian:...`
#    resolve to, as a pull-through cache does at a site without Docker Hub.
set -euo pipefail
dir=${VERIFY_SERVICE_DIR:?run by the verifier, which sets VERIFY_SERVICE_DIR}
eval "$(python3 "$(dirname "$0")/../facts.py")"
lab=127.0.0.1:5000 hub=127.0.0.1:5001
for tool in docker-registry htpasswd skopeo; do
  command -v "$tool" >/dev/null || { echo "registry: no $tool here (bash conf/provision.sh cluster installs it)" >&2; exit 1; }
done
for address in "$lab" "$hub"; do
  if (exec 3<>"/dev/tcp/${address%:*}/${address#*:}") 2>/dev/null; then
    echo "registry: $address is taken (a registry already running here?); stop it first" >&2
    exit 1
  fi
done
# Accounts read the mirror's registries.conf; nothing else in here is theirs.
chmod 711 "$dir"

token=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
# On stdin, not the command line, where other accounts could read it in /proc.
printf '%s\n' "$token" | htpasswd -Bic "$dir/htpasswd" lab 2>/dev/null && chmod 600 "$dir/htpasswd"

serve() {  # NAME ADDRESS [AUTH]: one registry, its data and log in $dir/NAME
  local name=$1 address=$2 auth=${3:-}
  mkdir -p -m 700 "$dir/$name"  # the images pushed there are the registry's alone
  {
    printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n' "$dir/$name/data"
    printf '  delete:\n    enabled: true\nhttp:\n  addr: %s\n' "$address"
    [ -z "$auth" ] || printf 'auth:\n  htpasswd:\n    realm: lab\n    path: %s\n' "$auth"
  } >"$dir/$name/config.yml"
  setsid docker-registry serve "$dir/$name/config.yml" >"$dir/$name/log" 2>&1 </dev/null &
}
serve lab "$lab" "$dir/htpasswd"
serve hub "$hub"
answers() { [ "$(curl --silent --output /dev/null --write-out '%{http_code}' "http://$1/v2/")" = "$2" ]; }
for _ in $(seq 1 100); do
  answers "$lab" 401 && answers "$hub" 200 && break
  sleep 0.1
done
answers "$lab" 401 && answers "$hub" 200 || {
  echo "registry: did not answer on $lab and $hub: $(tail -n 1 "$dir"/*/log | grep -v '^==' | tr '\n' ' ')" >&2
  exit 1
}

# The base image, from the engine the run verifies (the page's DOCKER_HOST, the
# verifier's proxy; saving creates nothing there), under Docker Hub's name for it.
docker --host "${DOCKER_HOST:-$ENGINE_HOST}" save "$DEBIAN_IMAGE" >"$dir/base.tar" \
  || { echo "registry: could not save $DEBIAN_IMAGE from the engine" >&2; exit 1; }
skopeo copy --quiet --dest-tls-verify=false "docker-archive:$dir/base.tar" \
  "docker://$hub/library/$DEBIAN_IMAGE" >"$dir/hub/copy.log" 2>&1 \
  || { echo "registry: copying $DEBIAN_IMAGE into $hub failed: $(tail -n 1 "$dir/hub/copy.log")" >&2; exit 1; }
rm -f "$dir/base.tar"

cat >"$dir/registries.conf" <<CONF
# Docker Hub's images come from the stand-in at $hub; a short name
# (debian:trixie-slim) means Docker Hub's, as it does for Docker.
unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "$hub"
insecure = true
CONF
chmod 644 "$dir/registries.conf"
echo "LAB_REGISTRY_TOKEN=$token"
echo "REGISTRIES_MIRROR_CONF=$dir/registries.conf"
