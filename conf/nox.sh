#!/usr/bin/env bash
# Run nox without installing anything system-wide: a private venv with the
# pinned nox and uv is made once in .nox-tools/, then reused.
#   bash conf/nox.sh -s tests
#   bash conf/nox.sh -s verify-tutorial
set -euo pipefail
cd "$(dirname "$0")/.."
tools=.nox-tools
if [ ! -x "$tools/bin/nox" ]; then
  python3 -m venv "$tools" || { echo "conf/nox.sh: python3 -m venv failed; install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "nox==2026.10.20" "uv==0.13.8"
fi
PATH="$PWD/$tools/bin:$PATH" exec "$tools/bin/nox" "$@"
