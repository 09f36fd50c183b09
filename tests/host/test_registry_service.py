"""conf/services/registry.sh's refusals: each a one-line error, before it starts anything.
(Its registries at work are proven by the cluster page, as the cluster user.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "conf" / "services" / "registry.sh"
TOOLS = ("docker-registry", "htpasswd", "skopeo")


def _start(folder: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VERIFY_SERVICE_DIR": str(folder)}
    if path is not None:
        env["PATH"] = path
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run([bash, str(SCRIPT)], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)


def _registries_running(folder: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"docker-registry serve {folder}"], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason="needs docker-registry, htpasswd and skopeo")
def test_a_taken_port_is_named_and_nothing_starts(tmp_path):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", 5000))
    except OSError:
        pytest.skip("127.0.0.1:5000 is in use by something else already")
    listener.listen()
    try:
        done = _start(tmp_path)
    finally:
        listener.close()
    assert done.returncode == 1
    assert done.stderr == "registry: 127.0.0.1:5000 is taken (a registry already running here?); stop it first\n"
    assert done.stdout == "" and _registries_running(tmp_path) == []


def test_a_missing_tool_says_which_step_installs_it(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    # The real interpreter, not a shim (pyenv's are bash scripts, and bash is not here).
    (bare / "python3").symlink_to(os.path.realpath(sys.executable))
    (bare / "dirname").symlink_to(shutil.which("dirname") or "/usr/bin/dirname")
    done = _start(tmp_path, path=str(bare))
    assert done.returncode == 1
    assert done.stderr == "registry: no docker-registry here (bash conf/provision.sh cluster installs it)\n"
    assert done.stdout == ""
