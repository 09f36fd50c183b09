"""Images a page makes where the proxy cannot see them are still the run's, by name.

A build through buildx (every docker client from 23 on, so every build on current
Docker) talks BuildKit's gRPC: the proxy sees neither its tags nor a place for
labels. The page below stands for such a build: it tags an image by talking to
the engine itself, past the proxy, under a name the settings reserve.
"""

from __future__ import annotations

import os

import pytest
from conftest import run_verifier

pytestmark = pytest.mark.docker
UNSEEN = "verify_fixture_unseen:1"
BASE = "debian:trixie-slim"


def test_a_reserved_image_made_past_the_proxy_is_removed_after_the_page(tiny_site, docker_client):
    engine = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    (tiny_site / "docs" / "page.md").write_text(
        "# Past the proxy\n\n"
        "```console\n"
        f"$ DOCKER_HOST={engine} docker tag {BASE} {UNSEEN}\n"
        f"$ docker image inspect {UNSEEN} >/dev/null && echo made\n"
        "made\n"
        "```\n"
    )
    settings = tiny_site / "verify.toml"
    settings.write_text(settings.read_text() + f'image = ["{UNSEEN}"]\n')
    result = run_verifier(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert UNSEEN not in {t for i in docker_client.images.list() for t in i.tags}
    assert docker_client.images.get(BASE)  # the image it named stays
