"""What a run owns on the engine: what its commands created, as the engine answered
them, and nothing else.

The proxy (proxy.py) records each object the run's calls create (ids from the
engine's own answers) in a journal in the run's temp dir, and labels them with
the run. Clean-up removes what the record names and still carries the run's
label. Labels alone are not enough: a container started from an image the run
built inherits that image's labels, and is not the run's. At start, the reaper
reads the journals of runs whose process is gone and removes their objects the
same way. Objects nobody recorded are never touched.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from . import services
from .proxy import Recorded

RUN = "verify-tutorial.run"
PID = "verify-tutorial.pid"
HOST = "verify-tutorial.host"
CLONE = "verify-tutorial.clone"
STARTED = "verify-tutorial.started"
TEMP_ROOT = Path("/tmp")  # fixed, not $TMPDIR: every run on this host must see every other's
TEMP_PREFIX = "verify-tutorial-"
JOURNAL = "created.journal"
SERVICE_DIR = "-service-"  # in the names of service folders (RunIdentity.temp_dir("service-NAME"))
IDENTITY = "identity"


def pid_namespace() -> str:
    """Which process IDs this process sees: a pid is only meaningful within its namespace."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    pid: int
    host: str
    clone: str
    started: str

    @classmethod
    def new(cls, clone: Path) -> RunIdentity:
        return cls(
            run_id=uuid.uuid4().hex[:12],
            pid=os.getpid(),
            host=platform.node(),
            clone=str(clone),
            started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )

    @property
    def labels(self) -> dict[str, str]:
        return {RUN: self.run_id, PID: str(self.pid), HOST: self.host, CLONE: self.clone, STARTED: self.started}

    def temp_dir(self, purpose: str) -> Path:
        """A temp dir the reaper can tie to this process:
        /tmp/verify-tutorial-<pid namespace>-<pid>-<purpose>-XXXX."""
        TEMP_ROOT.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{pid_namespace()}-{self.pid}-{purpose}-", dir=TEMP_ROOT))

    def describe(self) -> str:
        return f"pid {self.pid}, clone {self.clone}, started {self.started}"


def remove_recorded(client: docker.DockerClient, recorded: Recorded, run_id: str) -> list[str]:
    """Remove what `recorded` names and still carries run_id; returns what, as words.
    An image someone else tagged, or that a container not of the run uses, stays."""
    removed: list[str] = []
    for container_id in sorted(c for c in recorded.containers if _is_id(c)):
        container = _get(client.containers.get, container_id)
        ours = container is not None and container.labels.get(RUN) == run_id
        if ours and _removal(container.remove, force=True, v=True)():
            removed.append(f"container {container.name}")
    for tag in sorted(recorded.tags | recorded.explicit_tags):
        image = _get(client.images.get, tag)
        ours = image is not None and (image.id in recorded.images or tag in recorded.explicit_tags)
        if ours and _removal(client.images.remove, tag, noprune=True)():
            removed.append(f"tag {tag}")
    for image_id in sorted(recorded.images):
        image = _get(client.images.get, image_id)
        if image is None or image.tags:  # gone, or tagged by someone else meanwhile: not ours to delete
            continue
        if _removal(client.images.remove, image_id, force=False)():
            removed.append(f"image {image_id.removeprefix('sha256:')[:12]}")
    for network_id in sorted(n for n in recorded.networks if _is_id(n)):
        network = _get(client.networks.get, network_id)
        ours = network is not None and (network.attrs.get("Labels") or {}).get(RUN) == run_id
        if ours and _removal(network.remove)():
            removed.append(f"network {network.name}")
    for name in sorted(recorded.volumes):
        volume = _get(client.volumes.get, name)
        ours = volume is not None and (volume.attrs.get("Labels") or {}).get(RUN) == run_id
        if ours and _removal(volume.remove, force=True)():
            removed.append(f"volume {name}")
    return removed


def reap(client: docker.DockerClient, say: Callable[[str], None]) -> None:
    """Remove what runs whose process is gone left: their recorded objects (one line
    per run) and their temp dirs."""
    # Services first: a dead run's batch system could still be running jobs that make objects.
    reap_services(say)
    for path in dead_temp_dirs():
        journal, identity = path / JOURNAL, path / IDENTITY
        if journal.is_file() and identity.is_file():
            run_id, _, who = identity.read_text(encoding="utf-8").partition("\n")
            gone = remove_recorded(client, Recorded.read(journal), run_id.strip())
            if gone:
                say(f"reaped what an earlier run left ({who.strip()}): {', '.join(gone)}")
        shutil.rmtree(path, ignore_errors=True)
        say(f"reaped an earlier run's temp dir {path}")


def reap_services(say: Callable[[str], None]) -> None:
    """End what the services of runs whose process is gone still run, and remove their folders."""
    for path in dead_temp_dirs():
        if SERVICE_DIR in path.name:
            ended = services.stop_folder(path)
            say(f"reaped an earlier run's service folder {path}" + (f", ending {', '.join(ended)}" if ended else ""))


def dead_temp_dirs() -> list[Path]:
    """Temp dirs of runs in this pid namespace whose process is gone (runs in other
    namespaces, say in containers sharing this /tmp, cannot be judged from here)."""
    found = []
    namespace = pid_namespace()
    for path in TEMP_ROOT.glob(f"{TEMP_PREFIX}*"):
        parts = path.name[len(TEMP_PREFIX) :].split("-", 2)
        if len(parts) < 3 or parts[0] != namespace or not parts[1].isdigit():
            continue
        if path.is_dir() and not process_alive(int(parts[1])):
            found.append(path)
    return found


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's, but alive; or not a pid we can judge: never reap it
    return True


def owned_objects(client: docker.DockerClient) -> list[str]:
    """Every object that carries a verify run's label, as words (for tests and reports)."""
    found = [f"container {c.name}" for c in client.containers.list(all=True, filters={"label": RUN})]
    found += [f"network {n.name}" for n in client.networks.list(filters={"label": RUN})]
    found += [f"volume {v.name}" for v in client.volumes.list(filters={"label": RUN})]
    return found


def _is_id(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _get(lookup: Callable[[str], Any], key: str) -> Any:
    try:
        return lookup(key)
    except docker.errors.NotFound:
        return None


def _removal(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], bool]:
    """A removal that reports whether it removed anything. Gone already, or in use by
    something not of the run (a conflict), is no error: it stays."""

    def run() -> bool:
        try:
            action(*args, **kwargs)
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as error:
            if error.status_code in (404, 409):
                return False
            raise
        return True

    return run
