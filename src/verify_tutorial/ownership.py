"""What a run owns on the engine: the objects carrying its labels, and nothing else.

Every object a run's commands create carries `verify-tutorial.run` (see
proxy.py), with the process and clone that made it. Clean-up removes what
carries this run's id; at start, the reaper removes what a run whose process
is gone left behind. Objects without our labels are never touched, whoever
made them and whenever.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

RUN = "verify-tutorial.run"
PID = "verify-tutorial.pid"
HOST = "verify-tutorial.host"
CLONE = "verify-tutorial.clone"
STARTED = "verify-tutorial.started"
TEMP_PREFIX = "verify-tutorial-"


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
        """A temp dir the reaper can tie to this process: verify-tutorial-<pid>-<purpose>-XXXX."""
        return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{self.pid}-{purpose}-"))


@dataclass
class Owned:
    """One object on the engine that carries a run's labels."""

    kind: str  # container, image, network, volume
    name: str
    labels: dict[str, str]
    remove: Callable[[], bool]  # True when it removed something; False when already gone

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def owned_objects(client: docker.DockerClient, run_id: str | None = None) -> list[Owned]:
    """Objects labelled by a verify run (by `run_id` only, when given), in removal order:
    containers first (they hold images, networks and volumes), then images newest first."""
    label = f"{RUN}={run_id}" if run_id else RUN
    found: list[Owned] = []
    for c in client.containers.list(all=True, filters={"label": label}):
        found.append(Owned("container", c.name or c.id or "?", c.labels, _removal(c.remove, force=True, v=True)))
    images = client.images.list(all=True, filters={"label": label})
    for i in sorted(images, key=lambda i: i.attrs.get("Created", ""), reverse=True):
        labels = (i.attrs.get("Config") or {}).get("Labels") or {}
        name = (i.tags or [i.short_id])[0]
        found.append(Owned("image", name, labels, _removal(client.images.remove, i.id, force=True)))
    for n in client.networks.list(filters={"label": label}):
        found.append(Owned("network", n.name or n.id or "?", n.attrs.get("Labels") or {}, _removal(n.remove)))
    for v in client.volumes.list(filters={"label": label}):
        found.append(Owned("volume", v.name, v.attrs.get("Labels") or {}, _removal(v.remove, force=True)))
    return found


def remove_run(client: docker.DockerClient, run_id: str, tags: Iterable[str] = ()) -> list[str]:
    """Remove what carries run_id, and untag the `tags` its commands gave (already
    checked free before the run); returns what was removed, as words for the report."""
    removed = []
    for thing in owned_objects(client, run_id):
        if thing.remove():
            removed.append(str(thing))
    for tag in sorted(tags):
        if _removal(client.images.remove, tag, noprune=False)():
            removed.append(f"tag {tag}")
    return removed


def dead_runs(client: docker.DockerClient, me: RunIdentity) -> dict[str, list[Owned]]:
    """Objects of earlier runs on this host whose process is gone, by run id."""
    by_run: dict[str, list[Owned]] = {}
    for thing in owned_objects(client):
        labels = thing.labels
        if labels.get(RUN) == me.run_id or labels.get(HOST) != me.host:
            continue  # ours, or another machine's run: its liveness cannot be told from here
        if process_alive(int(labels.get(PID, "0") or 0)):
            continue
        by_run.setdefault(labels[RUN], []).append(thing)
    return by_run


def reap(client: docker.DockerClient, me: RunIdentity, say: Callable[[str], None]) -> None:
    """Remove what dead runs left, with one line per run; and their temp dirs."""
    for things in dead_runs(client, me).values():
        labels = things[0].labels
        gone = [str(t) for t in things if t.remove()]
        if gone:
            say(
                f"reaped what an earlier run left (pid {labels.get(PID)}, clone {labels.get(CLONE)}, "
                f"started {labels.get(STARTED)}): {', '.join(gone)}"
            )
    for path in dead_temp_dirs():
        shutil.rmtree(path, ignore_errors=True)
        say(f"reaped an earlier run's temp dir {path}")


def dead_temp_dirs() -> list[Path]:
    found = []
    for path in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        pid = path.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        if path.is_dir() and pid.isdigit() and not process_alive(int(pid)):
            found.append(path)
    return found


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's, but alive
    return True


def _removal(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], bool]:
    """A removal that reports whether it removed anything; gone already is fine."""

    def run() -> bool:
        try:
            action(*args, **kwargs)
        except docker.errors.NotFound:
            return False
        except docker.errors.APIError as error:
            if error.status_code == 404:
                return False
            raise
        return True

    return run
