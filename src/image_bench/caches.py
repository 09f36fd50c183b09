"""The cache-mount records a bench run created, so it can remove exactly those."""

from __future__ import annotations

import docker
import docker.errors

from .errors import BenchError


def client() -> docker.DockerClient:
    try:
        engine = docker.from_env(timeout=300)
        engine.ping()
    except (docker.errors.DockerException, OSError):
        raise BenchError(
            "no Docker engine reachable; start one (sudo systemctl start docker) or run 'bash conf/provision.sh' as root"
        ) from None
    return engine


def cache_mounts(engine: docker.DockerClient) -> set[str]:
    return {r["ID"] for r in engine.df().get("BuildCache") or () if r["Type"] == "exec.cachemount"}


def remove_new(engine: docker.DockerClient, before: set[str]) -> int:
    """Prune the cache mounts that did not exist in `before`; returns their bytes."""
    freed = 0
    for record in sorted(cache_mounts(engine) - before):
        freed += engine.api.prune_builds(filters={"id": [record]}).get("SpaceReclaimed") or 0
    return freed
