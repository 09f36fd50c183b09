"""The Docker engine: is it there, can it BuildKit, and what did a run create.

A run owns exactly what appeared during it: the containers, images, networks
and volumes present before it started are recorded and never touched.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass

import docker
import docker.errors

from .errors import BuildKitMissing, EngineUnreachable, NameTaken

HOW_TO_START = "start one (sudo systemctl start docker), or provision this host with 'bash conf/provision.sh' as root"


def connect() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        reason = str(error).split("\n")[0][:120]
        raise EngineUnreachable(f"no Docker engine reachable ({reason}); {HOW_TO_START}") from None
    return client


def check_buildkit(env: dict[str, str]) -> str:
    """The client that will run `docker build`, if it builds with BuildKit; else raise."""
    docker_cli = shutil.which("docker", path=env.get("PATH"))
    if docker_cli is None:
        raise EngineUnreachable(f"no 'docker' command on PATH; install the Docker client, or {HOW_TO_START}")
    version = subprocess.run(
        [docker_cli, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True, env=env
    ).stdout.strip()
    major = int(re.match(r"\d+", version).group()) if re.match(r"\d+", version) else 0
    if major >= 23:
        # From 23 on, `docker build` is buildx; without the plugin it silently uses the legacy builder.
        probe = subprocess.run([docker_cli, "buildx", "version"], capture_output=True, env=env)
        if probe.returncode != 0:
            raise BuildKitMissing(
                f"{docker_cli} (client {version}) has no buildx plugin, so builds would not use BuildKit; "
                "install docker-buildx, or put a client with BuildKit first on PATH"
            )
    elif env.get("DOCKER_BUILDKIT") != "1":
        raise BuildKitMissing(
            f"{docker_cli} (client {version}) builds with BuildKit only when DOCKER_BUILDKIT=1 is set"
        )
    return docker_cli


@dataclass(frozen=True)
class Snapshot:
    containers: frozenset[str]
    images: frozenset[str]
    tags: frozenset[str]
    networks: frozenset[str]
    volumes: frozenset[str]


def snapshot(client: docker.DockerClient) -> Snapshot:
    images = client.images.list(all=True)
    return Snapshot(
        containers=frozenset(c.id for c in client.containers.list(all=True)),
        images=frozenset(i.id for i in images),
        tags=frozenset(t for i in images for t in i.tags),
        networks=frozenset(n.id for n in client.networks.list()),
        volumes=frozenset(v.name for v in client.volumes.list()),
    )


def remove_created(client: docker.DockerClient, before: Snapshot) -> list[str]:
    """Remove what exists now but not in `before`; returns what was removed."""
    removed = []
    for container in client.containers.list(all=True):
        if container.id not in before.containers:
            _quietly(container.remove, force=True, v=True)
            removed.append(f"container {container.name}")
    # Newest first, so that child images go before their parents.
    images = sorted(client.images.list(all=True), key=lambda i: i.attrs.get("Created", ""), reverse=True)
    for image in images:
        if image.id not in before.images:
            _quietly(client.images.remove, image.id, force=True, noprune=False)
            removed.append(f"image {(image.tags or [image.short_id])[0]}")
        else:  # an old image that a build of the run gave a new tag: untag only
            for tag in set(image.tags) - before.tags:
                _quietly(client.images.remove, tag, noprune=True)
                removed.append(f"tag {tag}")
    for network in client.networks.list():
        if network.id not in before.networks:
            _quietly(network.remove)
            removed.append(f"network {network.name}")
    for volume in client.volumes.list():
        if volume.name not in before.volumes:
            _quietly(volume.remove, force=True)
            removed.append(f"volume {volume.name}")
    return removed


def _quietly(action, *args, **kwargs):
    try:
        action(*args, **kwargs)
    except docker.errors.NotFound:
        pass  # already gone with its parent
    except docker.errors.APIError as error:
        if error.status_code != 404:
            raise


# Options by which a command names something it creates.
_CONTAINER_NAME = ("--name",)
_IMAGE_TAG = ("--tag", "-t")


def names_used(command: str) -> set[tuple[str, str]]:
    """("container"|"image"|"network"|"volume", name) that a docker command would create."""
    try:
        words = shlex.split(command.replace("\\\n", " "), comments=True)
    except ValueError:
        return set()
    names: set[tuple[str, str]] = set()
    for i, word in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else None
        if word in _CONTAINER_NAME and value and "run" in words[:i]:
            names.add(("container", value))
        elif word.startswith("--name="):
            names.add(("container", word.split("=", 1)[1]))
        elif word in _IMAGE_TAG and value and "build" in words[:i]:
            names.add(("image", value if ":" in value else f"{value}:latest"))
        elif word.startswith("--tag="):
            tag = word.split("=", 1)[1]
            names.add(("image", tag if ":" in tag else f"{tag}:latest"))
        elif word in ("network", "volume") and value == "create" and i + 2 < len(words):
            names.add((word, words[-1]))
    return names


def ensure_names_free(client: docker.DockerClient, names: dict[tuple[str, str], str]) -> None:
    """Stop before anything runs if a name the pages use already belongs to something."""
    lookups = {
        "container": client.containers.get,
        "image": client.images.get,
        "network": client.networks.get,
        "volume": client.volumes.get,
    }
    for (kind, name), where in sorted(names.items(), key=lambda item: item[1]):
        try:
            lookups[kind](name)
        except docker.errors.APIError:  # NotFound among them: the name is free
            continue
        raise NameTaken(
            f"{where}: the guide creates {kind} '{name}', which already exists and is not ours to remove; "
            f"remove or rename it yourself (docker {kind} rm {name}), then run again"
        )
