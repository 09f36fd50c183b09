"""The build-cache records a bench run created (layers and cache mounts), so it removes exactly those."""

from __future__ import annotations

import docker


def _records(engine: docker.DockerClient) -> list[dict]:
    return list(engine.df().get("BuildCache") or ())


def cache_records(engine: docker.DockerClient) -> set[str]:
    return {r["ID"] for r in _records(engine)}


def shared_records(engine: docker.DockerClient) -> set[str]:
    """Records that are also an image's layers. The first build from a base image
    makes one for that base ("from local"); it lives as long as the image does,
    and is the image's, not the build's."""
    return {r["ID"] for r in _records(engine) if r.get("Shared")}


def remove_new(engine: docker.DockerClient, before: set[str]) -> int:
    """Prune the records that did not exist in `before` and that no image shares;
    returns their bytes. Remove the run's images first, or their layers stay shared.

    A layer is freed only once the layers built on it are gone, so prune in
    passes until a pass deletes nothing more. (A pass may delete records and
    free 0 bytes: an empty snapshot still counts as progress.)
    """
    freed = 0
    while True:
        deleted = 0
        for record in sorted(cache_records(engine) - before - shared_records(engine)):
            report = engine.api.prune_builds(filters={"id": [record]})
            deleted += len(report.get("CachesDeleted") or ())
            freed += report.get("SpaceReclaimed") or 0
        if not deleted:
            return freed
