"""One `docker build`: how long it took, what it fetched, and which steps ran.

Bytes downloaded are read from the counters of the engine's bridge: build
steps reach the network through it, so the host's own traffic is not counted.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import store
from .errors import BenchError

BRIDGE = Path("/sys/class/net/docker0/statistics/tx_bytes")

STEP = re.compile(r"^#(\d+) \[[^\]]*\] (RUN|COPY|ADD)\b", re.MULTILINE)
CACHED = re.compile(r"^#(\d+) CACHED$", re.MULTILINE)
LOG_PREFIX = re.compile(r"^#\d+ \d+\.\d+ ", re.MULTILINE)
PIP_DOWNLOAD = re.compile(r"^\s*Downloading (?:\S*/)?([^\s/]+\.(?:whl|tar\.gz|zip))(?=\s|$)", re.MULTILINE)
APT_DOWNLOAD = re.compile(r"^Get:\d+ \S+ \S+ \S+ (\S+) \S+ \S+ \[", re.MULTILINE)
# uv names only its large downloads; its summary counts every package it had to
# fetch or unpack because its cache lacked it, and lists what it installed.
UV_PREPARED = re.compile(r"^Prepared (\d+) packages? in ", re.MULTILINE)
UV_INSTALLED = re.compile(r"^ \+ ([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def bridge_bytes() -> int | None:
    try:
        return int(BRIDGE.read_text())
    except (OSError, ValueError):
        return None


@dataclass
class Log:
    """What a build's plain progress output says it did."""

    steps_run: int  # RUN, COPY and ADD steps that ran (not CACHED)
    pip_downloads: list[str]  # wheels and sdists pip downloaded
    apt_downloads: list[str]  # packages apt fetched
    uv_prepared: int  # packages uv had to fetch or unpack
    uv_installed: list[str]  # distributions uv installed, by name


@dataclass
class Build(Log):
    seconds: float = 0.0
    downloaded_bytes: int | None = None  # None where the bridge's counters cannot be read


def parse_log(log: str) -> Log:
    ran = {number for number, _ in STEP.findall(log)} - set(CACHED.findall(log))
    output = LOG_PREFIX.sub("", log)
    return Log(
        steps_run=len(ran),
        pip_downloads=PIP_DOWNLOAD.findall(output),
        apt_downloads=APT_DOWNLOAD.findall(output),
        uv_prepared=sum(int(n) for n in UV_PREPARED.findall(output)),
        uv_installed=UV_INSTALLED.findall(output),
    )


def docker_build(docker: str, context: Path, dockerfile: str, tag: str, env: dict[str, str], *extra: str) -> Build:
    command = [docker, "build", "--progress=plain", "--file", dockerfile, "--tag", tag, *extra, "."]
    before = bridge_bytes()
    start = time.monotonic()
    done = subprocess.run(command, cwd=context, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - start
    after = bridge_bytes()
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BenchError(f"building {tag} failed (exit {done.returncode}): {tail}")
    downloaded = after - before if before is not None and after is not None else None
    return Build(**vars(parse_log(done.stderr)), seconds=seconds, downloaded_bytes=downloaded)


def _output(docker: str, env: dict[str, str], *args: str) -> str:
    """What a docker command prints; a failure becomes one line, not a traceback."""
    done = subprocess.run([docker, *args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BenchError(f"docker {args[0]} failed (exit {done.returncode}): {done.stderr.strip()[:300]}")
    return done.stdout


def image_size(docker: str, tag: str, env: dict[str, str]) -> int:
    """The bytes the image's unpacked layers hold: what its layers add up to. Not
    `docker image inspect`'s Size, which on the containerd store counts the
    compressed layers instead (store.py says why and how)."""
    return sum(layer["bytes"] for layer in layers(docker, tag, env))


# Bytes of every installed distribution but pip itself: what the lock asked for,
# with the bytecode compiled for it. pip lists the .pyc it compiles in a
# distribution's RECORD, uv does not, so each .py file's .pyc is looked for too.
PACKAGES_BYTES = """
import importlib.metadata as metadata, importlib.util, os
total = 0
for dist in metadata.distributions():
    if dist.metadata["Name"].lower() in ("pip", "setuptools"):
        continue
    paths = set()
    for name in dist.files or ():
        path = str(dist.locate_file(name))
        paths.add(path)
        if path.endswith(".py"):
            paths.add(importlib.util.cache_from_source(path))
    total += sum(os.path.getsize(path) for path in paths if os.path.isfile(path))
print(total)
"""


def packages_bytes(docker: str, tag: str, env: dict[str, str]) -> int:
    return int(_output(docker, env, "run", "--rm", "--network", "none", tag, "python", "-c", PACKAGES_BYTES))


def layers(docker: str, tag: str, env: dict[str, str]) -> list[dict]:
    """The image's layers, base first: the instruction that made each and its bytes,
    read from `docker save` so that they mean the same on both image stores (not
    from `docker history`, which counts disk blocks on the containerd store)."""
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen([docker, "save", tag], stdout=subprocess.PIPE, stderr=errors, env=env) as saving,
    ):
        try:
            found, problem = store.layer_sizes(saving.stdout), ""
        except (BenchError, tarfile.TarError, OSError, EOFError, ValueError) as error:
            found, problem = None, str(error)
        finally:
            saving.stdout.read()  # the rest of the archive, so that docker save can finish
        saving.wait()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace").strip()
    if saving.returncode != 0:
        raise BenchError(f"docker save {tag} failed (exit {saving.returncode}): {stderr[:300]}")
    if found is None:
        raise BenchError(f"docker save {tag} wrote an archive the bench cannot read: {problem}")
    return found
