"""The Docker engine: is it there, can it BuildKit, and which names do pages create.

What a run owns and removes is decided by labels: see ownership.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import docker
import docker.errors

from .errors import BuildKitMissing, EngineUnreachable

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
    leading = re.match(r"\d+", version)
    major = int(leading.group()) if leading else 0
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
        if word in _CONTAINER_NAME and value and ("run" in words[:i] or "create" in words[:i]):
            names.add(("container", value))
        elif word == "tag" and i > 0 and words[i - 1] in ("docker", "image") and i + 2 < len(words):
            target = words[i + 2]  # docker tag SOURCE TARGET
            names.add(("image", target if ":" in target.rsplit("/", 1)[-1] else f"{target}:latest"))
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
