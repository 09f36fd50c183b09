#!/usr/bin/env bash
# A registry on 127.0.0.1:5000 for one page (the distribution registry, Debian's
# docker-registry). Its storage and config live in VERIFY_SERVICE_DIR; the
# verifier ends it and removes that folder when the page ends.
set -euo pipefail
dir=${VERIFY_SERVICE_DIR:?run by the verifier, which sets VERIFY_SERVICE_DIR}
address=${REGISTRY_ADDRESS:-127.0.0.1:5000}
case $address in 127.*|localhost:*) ;; *) echo "registry: $address is not loopback; refusing" >&2; exit 1 ;; esac
if (exec 3<>"/dev/tcp/${address%:*}/${address#*:}") 2>/dev/null; then
  echo "registry: something already listens on $address; stop it, or free the port" >&2
  exit 1
fi
mkdir -p "$dir/storage"
cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $address
YAML
setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
for _ in $(seq 1 100); do
  if curl --silent --fail --max-time 1 "http://$address/v2/" >/dev/null 2>&1; then exit 0; fi
  sleep 0.1
done
tail -n 5 "$dir/registry.log" >&2
echo "registry: did not answer on $address within 10 s" >&2
exit 1
