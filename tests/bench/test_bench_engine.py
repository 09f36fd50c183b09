"""The bench's builds on a real engine: what a build reports, and that the bench
removes exactly the build cache it made and may remove.

The rule: a record the run created goes, unless an image still shares it. The
first build from a base image makes a record of that base's layers ("from
local"); it belongs to the base image and stays while that image does. On a
fresh engine the first build from `debian:trixie-slim` makes one, so each test
here builds from a base of its own, made new, so that the test meets that case
on a fresh engine and on a used one alike.
"""

from __future__ import annotations

import io
import os
import tarfile
import uuid

import pytest

from image_bench import caches
from image_bench.builds import docker_build, image_size, layers
from image_bench.scenarios import Workspace
from verify_tutorial.engines.docker.client import check_buildkit

pytestmark = pytest.mark.docker

DOCKERFILE = """\
FROM {base}
RUN --mount=type=cache,id={nonce},target=/cache echo {nonce} > /cache/seen && echo {nonce} > /built
"""


@pytest.fixture
def fresh_base(docker_client):
    """An image no build has used yet: a one-file commit on top of debian:trixie-slim."""
    nonce = uuid.uuid4().hex[:8]
    container = docker_client.containers.create("debian:trixie-slim", ["true"])
    try:
        container.put_archive("/", _tar_with("base-nonce", nonce))
        image = container.commit(repository=f"bench-test-base-{nonce}", tag="1")
    finally:
        container.remove(force=True)
    yield image.tags[0]
    if docker_client.images.list(name=image.tags[0]):
        docker_client.images.remove(image.id, force=True)


def _tar_with(name: str, text: str) -> bytes:
    data = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def workspace(tmp_path, docker_client):
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    docker = check_buildkit(env)  # the client the bench itself would build with
    ws = Workspace(
        docker, env, tmp_path, tmp_path, uuid.uuid4().hex[:8], docker_client, caches.cache_records(docker_client)
    )
    yield ws
    ws.clean()


def build_twice(workspace: Workspace, base: str) -> tuple[str, object, object]:
    (workspace.scratch / "Dockerfile").write_text(DOCKERFILE.format(base=base, nonce=workspace.nonce))
    tag = workspace.tag("probe", "cpu", 1)
    cold = docker_build(workspace.docker, workspace.scratch, "Dockerfile", tag, workspace.env, "--no-cache")
    warm = docker_build(workspace.docker, workspace.scratch, "Dockerfile", tag, workspace.env)
    return tag, cold, warm


def test_a_build_reports_its_steps(workspace, fresh_base):
    tag, cold, warm = build_twice(workspace, fresh_base)

    assert cold.steps_run == 1 and warm.steps_run == 0
    assert image_size(workspace.docker, tag, workspace.env) > 0
    assert layers(workspace.docker, tag, workspace.env)[-1]["created_by"].startswith("RUN")


def test_clean_removes_what_the_run_made_and_keeps_the_base_images_record(workspace, fresh_base, docker_client):
    tag, _, _ = build_twice(workspace, fresh_base)
    created = caches.cache_records(docker_client) - workspace.cache_before
    assert created, "the build made no build-cache records"
    base_records = created & caches.shared_records(docker_client)

    workspace.clean()

    assert not docker_client.images.list(name=tag.split(":")[0])
    left = caches.cache_records(docker_client) & created
    assert left, "the base image's own record was pruned while the base image still exists"
    assert left <= base_records and left <= caches.shared_records(docker_client)
    assert docker_client.images.list(name=fresh_base.split(":")[0])  # what was there before stays
    assert docker_client.images.list(name="debian")
    assert workspace.cache_before <= caches.cache_records(docker_client)

    # Once its image is gone, the base's record is no longer shared, and it was
    # made during this run: the next clean takes it.
    docker_client.images.remove(fresh_base, force=True)
    workspace.clean()
    assert not (caches.cache_records(docker_client) & created)
