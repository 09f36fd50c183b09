"""The Docker engine and client: is the engine there, and does the client build with BuildKit."""

from __future__ import annotations

import re
import shutil
import subprocess

import docker
import docker.errors

from ...errors import BuildKitMissing, EngineUnreachable

HOW_TO_START = "start one (sudo systemctl start docker)"


def connect(hint: str = "") -> docker.DockerClient:
    """A client of the engine DOCKER_HOST names, once it answers; `hint` says how else to get one."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        reason = str(error).split("\n")[0][:120]
        raise EngineUnreachable(f"no Docker engine reachable ({reason}); {_how(hint)}") from None
    return client


def check_buildkit(env: dict[str, str], hint: str = "") -> str:
    """The client that will run `docker build`, if it builds with BuildKit; else raise."""
    docker_cli = shutil.which("docker", path=env.get("PATH"))
    if docker_cli is None:
        raise EngineUnreachable(f"no 'docker' command on PATH; install the Docker client, or {_how(hint)}")
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


def _how(hint: str) -> str:
    return f"{HOW_TO_START}, {hint}" if hint else HOW_TO_START
