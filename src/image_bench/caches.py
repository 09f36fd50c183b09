"""The build-cache records a bench run created (layers and cache mounts), so it removes exactly those."""

from __future__ import annotations

import docker


def cache_records(engine: docker.DockerClient) -> set[str]:
    return {r["ID"] for r in engine.df().get("BuildCache") or ()}


def remove_new(engine: docker.DockerClient, before: set[str]) -> int:
    """Prune the records that did not exist in `before`; returns their bytes.

    A layer is freed only once the layers built on it are gone, so prune in
    passes until a pass frees nothing more.
    """
    freed = 0
    while True:
        freed_this_pass = 0
        for record in sorted(cache_records(engine) - before):
            freed_this_pass += engine.api.prune_builds(filters={"id": [record]}).get("SpaceReclaimed") or 0
        freed += freed_this_pass
        if not freed_this_pass:
            return freed
