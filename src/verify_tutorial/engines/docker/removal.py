"""What a run owns on the engine, and its removal: what its commands created, as the
engine answered them, and nothing else.

The relay's policy (policy.py) records each object the run's calls create (ids
from the engine's own answers) in a journal in the run's temp dir, and labels
them with the run. Clean-up removes what the record names and still carries the
run's label. Labels alone are not enough: a container started from an image the
run built inherits that image's labels, and is not the run's. At start, the
reaper reads the journals of runs whose process is gone and removes their
objects the same way. Objects nobody recorded are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import docker.errors

from ...execution.identity import dead_temp_dirs, remove_dead_folder
from ...services import SERVICE_DIR
from . import labels
from .journal import IDENTITY, JOURNAL, Recorded


def remove_recorded(client: docker.DockerClient, recorded: Recorded, run_id: str) -> list[str]:
    """Remove what `recorded` names and still carries run_id; returns what, as words.
    An image someone else tagged, or that a container not of the run uses, stays."""
    removed: list[str] = []
    for container_id in sorted(c for c in recorded.containers if _is_id(c)):
        container = _get(client.containers.get, container_id)
        ours = container is not None and container.labels.get(labels.RUN) == run_id
        if ours and _removal(container.remove, force=True, v=True)():
            removed.append(f"container {container.name}")
    for tag in sorted(recorded.tags | recorded.explicit_tags):
        image = _get(client.images.get, tag)
        # A build's tag is the run's when the image is one it recorded, or, where the
        # engine's answer named none (a build BuildKit answered from its cache, seen
        # with `make` building one stage under several names), one labelled with the run.
        built_here = tag in recorded.tags and image is not None and image.labels.get(labels.RUN) == run_id
        ours = image is not None and (image.id in recorded.images or tag in recorded.explicit_tags or built_here)
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
        ours = network is not None and (network.attrs.get("Labels") or {}).get(labels.RUN) == run_id
        if ours and _removal(network.remove)():
            removed.append(f"network {network.name}")
    for name in sorted(recorded.volumes):
        volume = _get(client.volumes.get, name)
        ours = volume is not None and (volume.attrs.get("Labels") or {}).get(labels.RUN) == run_id
        if ours and _removal(volume.remove, force=True)():
            removed.append(f"volume {name}")
    return removed


def reap(client: docker.DockerClient, say: Callable[[str], None]) -> None:
    """Remove what runs whose process is gone left: their recorded objects (one line
    per run) and their temp dirs."""
    for path in dead_temp_dirs():
        if SERVICE_DIR in path.name:
            continue  # a service's: its processes end first (services.reap), then it goes
        journal, identity = path / JOURNAL, path / IDENTITY
        try:
            found = journal.is_file() and identity.is_file()
            if found:
                run_id, _, who = identity.read_text(encoding="utf-8").partition("\n")
                recorded = Recorded.read(journal)
        except PermissionError:  # a root run's, seen by an ordinary user's: root's to reap
            continue
        if found:
            gone = remove_recorded(client, recorded, run_id.strip())
            if gone:
                say(f"reaped what an earlier run left ({who.strip()}): {', '.join(gone)}")
        remove_dead_folder(path, say)


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
