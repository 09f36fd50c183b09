"""The bench's builds on a real engine: what a build reports, and that the bench
removes exactly the images and build cache it made."""

from __future__ import annotations

import os
import uuid

import pytest

from image_bench import caches
from image_bench.builds import docker_build, image_size, layers
from image_bench.scenarios import Workspace
from verify_tutorial.engine import check_buildkit

pytestmark = pytest.mark.docker

DOCKERFILE = """\
FROM debian:trixie-slim
RUN --mount=type=cache,id={nonce},target=/cache echo {nonce} > /cache/seen && echo {nonce} > /built
"""


@pytest.fixture
def workspace(tmp_path, docker_client):
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    docker = check_buildkit(env)  # the client the bench itself would build with
    ws = Workspace(
        docker, env, tmp_path, tmp_path, uuid.uuid4().hex[:8], docker_client, caches.cache_records(docker_client)
    )
    yield ws
    ws.clean()


def test_a_build_reports_its_steps_and_is_cleaned_away(workspace, docker_client):
    (workspace.scratch / "Dockerfile").write_text(DOCKERFILE.format(nonce=workspace.nonce))
    tag = workspace.tag("probe", "cpu", 1)

    cold = docker_build(workspace.docker, workspace.scratch, "Dockerfile", tag, workspace.env, "--no-cache")
    warm = docker_build(workspace.docker, workspace.scratch, "Dockerfile", tag, workspace.env)

    assert cold.steps_run == 1 and warm.steps_run == 0
    assert image_size(workspace.docker, tag, workspace.env) > 0
    assert layers(workspace.docker, tag, workspace.env)[-1]["created_by"].startswith("RUN")
    created = caches.cache_records(docker_client) - workspace.cache_before
    assert created, "the build made no build-cache records"

    workspace.clean()

    assert not docker_client.images.list(name=tag.split(":")[0])
    assert not (caches.cache_records(docker_client) & created)
    assert docker_client.images.list(name="debian")  # what was there before stays
