"""The verifier against a real engine, on a tiny page: passes, fails where it should, owns only its own."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from conftest import run_verifier, start_verifier

from verify_tutorial.errors import EngineUnreachable, MalformedBlock, NameTaken

pytestmark = pytest.mark.docker
FIXTURE_NAMES = {"verify_fixture_box"}
FIXTURE_IMAGE = "verify_fixture_tiny:1"


def leftovers(client):
    containers = {c.name for c in client.containers.list(all=True)} & FIXTURE_NAMES
    images = {t for i in client.images.list() for t in i.tags if t == FIXTURE_IMAGE}
    return containers | images


def plant(site, old: str, new: str, file: str = "docs/page.md"):
    path = site / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_tiny_page_passes_and_cleans_up(tiny_site, docker_client):
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed, 0 failed, 1 skipped" in result.stdout
    assert "docs/page.md:25  1 command(s)  skip: needs a GPU machine (--target gpu)" in result.stdout
    data = json.loads((tiny_site / "build" / "results.json").read_text())
    assert data["target"] == "cpu" and len(data["commands"]) == 7
    assert (tiny_site / "build" / "junit.xml").exists()
    assert leftovers(docker_client) == set()


@pytest.mark.parametrize(
    ("defect", "where"),
    [
        (("hello from debian 13", "hello from debian 12"), "docs/page.md:17"),  # expected output
        (
            ("docker exec verify_fixture_box bash hello.sh", "docker exec verify_fixture_box bash hi.sh"),
            "docs/page.md:17",
        ),
        (("WORKDIR /work", "WORKDIR /elsewhere", "project/Dockerfile"), "docs/page.md:17"),  # the project
    ],
    ids=["output", "command", "project"],
)
def test_planted_defect_fails_at_its_line(tiny_site, docker_client, defect, where):
    plant(tiny_site, *defect)
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == 1
    assert f"{where}: " in result.stdout
    assert "not run: docs/page.md:17 failed earlier on this page" in result.stdout
    assert leftovers(docker_client) == set()


def test_existing_name_stops_the_run_and_is_left_alone(tiny_site, docker_client):
    theirs = docker_client.containers.create("debian:trixie-slim", "true", name="verify_fixture_box")
    try:
        result = run_verifier(tiny_site / "verify.toml")
        assert result.returncode == NameTaken.exit_code
        assert "already exist and are not this run's: container 'verify_fixture_box' (" in result.stderr
        assert "Traceback" not in result.stderr
        theirs.reload()
        assert theirs.status == "created"
    finally:
        theirs.remove(force=True)


def test_timeout_fails_the_step_and_cleans_up(tiny_site, docker_client):
    plant(tiny_site, "$ GREETING=hi", "$ sleep 600")
    plant(tiny_site, "```console\n$ docker run", "% verify: timeout=3\n```console\n$ docker run")
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == 1
    assert "timed out after 3 s" in result.stdout
    assert leftovers(docker_client) == set()


def test_interrupt_cleans_up(tiny_site, docker_client):
    plant(tiny_site, "$ GREETING=hi", "$ sleep 600")
    process = start_verifier(tiny_site / "verify.toml")
    deadline = time.monotonic() + 120
    while "verify_fixture_box" not in {c.name for c in docker_client.containers.list()}:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.2)
    time.sleep(1)
    os.kill(process.pid, signal.SIGINT)
    process.communicate(timeout=60)
    assert leftovers(docker_client) == set()


def test_no_engine_is_one_line(tiny_site, tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    result = run_verifier(tiny_site / "verify.toml", env=env)
    assert result.returncode == EngineUnreachable.exit_code
    assert result.stderr.count("\n") == 1 and "no Docker engine reachable" in result.stderr


def test_malformed_block_is_one_line_with_file_and_line(tiny_site):
    plant(tiny_site, "Build an image and look at it.\n", "```console\nstray output\n$ ls\n```\n")
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == MalformedBlock.exit_code
    assert result.stderr.strip().endswith(
        "console block output comes before its first prompt; start the block with a command line such as '$ ls'; "
        "its blocks are not run, the other pages' are"
    )
    assert result.stderr.startswith("verify-tutorial: docs/page.md:4: ")


def test_a_block_with_no_prompt_is_output_shown_alone_and_not_run(tiny_site):
    plant(tiny_site, "Build an image and look at it.\n", "```console\nstray output\n```\n")
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docs/page.md:3  not a console session (no prompt): not run" in result.stdout
