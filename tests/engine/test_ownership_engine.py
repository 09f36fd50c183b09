"""Faults on a real engine: bystanders, two runs at once, the engine lost, Ctrl-C twice,
SIGKILL and the reaper. The verifier removes what its run made, and nothing else."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import run_verifier, start_verifier

from verify_tutorial.engines.docker import labels
from verify_tutorial.engines.docker.policy import DockerProxy
from verify_tutorial.errors import EngineBusy, EngineLost, NameTaken
from verify_tutorial.execution import identity, procfs

pytestmark = pytest.mark.docker
BOX = "verify_fixture_box"
IMAGE = "verify_fixture_tiny:1"
ENGINE_SOCKET = "/var/run/docker.sock"


def slow_down(site: Path, seconds: int) -> None:
    """Make the tiny page wait, after its container exists, long enough to act during the run."""
    page = site / "docs" / "page.md"
    text = page.read_text()
    page.write_text(text.replace("$ GREETING=hi\n", f"$ sleep {seconds}\n$ GREETING=hi\n", 1))


def wait_for_box(client, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180  # a generous bound on waiting, not a claim about speed
    while BOX not in {c.name for c in client.containers.list()}:
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the page never started its container"
        time.sleep(0.2)


def ours_left(client) -> set[str]:
    names = {c.name for c in client.containers.list(all=True)} & {BOX}
    tags = {t for i in client.images.list() for t in i.tags} & {IMAGE}
    labelled = set(labelled_objects(client))
    return names | tags | labelled


def labelled_objects(client) -> list[str]:
    """Every object that carries a verify run's label, as words."""
    found = [f"container {c.name}" for c in client.containers.list(all=True, filters={"label": labels.RUN})]
    found += [f"network {n.name}" for n in client.networks.list(filters={"label": labels.RUN})]
    found += [f"volume {v.name}" for v in client.volumes.list(filters={"label": labels.RUN})]
    return found


def my_temp_dirs(pid: int) -> list[Path]:
    return list(identity.TEMP_ROOT.glob(f"{identity.TEMP_PREFIX}{procfs.pid_namespace()}-{pid}-*"))


@pytest.fixture
def bystander(docker_client):
    """A container, a volume and a network of someone else's, made while a run is under way."""
    tag = uuid.uuid4().hex[:8]
    made = {}

    def make():
        made["volume"] = docker_client.volumes.create(f"precious-{tag}")
        made["network"] = docker_client.networks.create(f"mynet-{tag}")
        made["container"] = docker_client.containers.run(
            "debian:trixie-slim", ["sleep", "300"], name=f"innocent-{tag}", detach=True
        )
        return made

    yield make
    if "container" in made:
        made["container"].remove(force=True)
    for kind in ("network", "volume"):
        if kind in made:
            made[kind].remove()


def test_a_bystanders_objects_made_during_a_run_are_left_alone(tiny_site, docker_client, bystander):
    slow_down(tiny_site, 4)
    process = start_verifier(tiny_site / "verify.toml")
    wait_for_box(docker_client, process)
    theirs = bystander()
    output, _ = process.communicate(timeout=300)

    assert process.returncode == 0, output
    for thing in theirs.values():
        thing.reload()  # raises NotFound if the run removed it
    assert theirs["container"].status == "running"
    assert f"container {BOX}" in output and "innocent" not in output and "precious" not in output
    assert ours_left(docker_client) == set()


def test_a_second_run_waits_for_the_first_or_refuses_at_once(tiny_site, tmp_path, docker_client):
    other = tmp_path / "other"
    subprocess.run(["cp", "-r", str(tiny_site), str(other)], check=True)
    slow_down(tiny_site, 20)  # long enough for the two other runs to start while it holds the engine
    first = start_verifier(tiny_site / "verify.toml")
    wait_for_box(docker_client, first)

    refused = run_verifier(other / "verify.toml", "--no-wait")
    waiting = start_verifier(other / "verify.toml")
    first_output, _ = first.communicate(timeout=300)
    second_output, _ = waiting.communicate(timeout=300)

    assert refused.returncode == EngineBusy.exit_code, refused.stdout + refused.stderr
    assert f"pid {first.pid}, clone {tiny_site}" in refused.stderr and "Traceback" not in refused.stderr
    assert first.returncode == 0, first_output
    assert waiting.returncode == 0, second_output
    assert f"waiting: another verify run holds this engine (pid {first.pid}" in second_output
    assert ours_left(docker_client) == set()


def test_engine_lost_mid_run_is_one_line_and_the_next_run_reaps(tiny_site, tmp_path, docker_client):
    # The engine "goes away" for the run: its socket is a relay the test cuts.
    relay = DockerProxy(tmp_path / "relay.sock", ENGINE_SOCKET, {}).start()
    slow_down(tiny_site, 4)
    process = start_verifier(tiny_site / "verify.toml", env={**os.environ, "DOCKER_HOST": relay.docker_host})
    wait_for_box(docker_client, process)
    relay.stop()
    output, _ = process.communicate(timeout=300)

    assert process.returncode == EngineLost.exit_code, output
    assert "Traceback" not in output and "ConnectionError" not in output
    lost = [line for line in output.splitlines() if "stopped answering" in line]
    assert lost and lost[0].startswith("verify-tutorial: docs/page.md:")
    assert len(output.splitlines()) < 80
    assert BOX in {c.name for c in docker_client.containers.list(all=True)}  # left behind, to reap

    rerun = run_verifier(tiny_site / "verify.toml")
    assert f"reaped what an earlier run left (pid {process.pid}" in rerun.stderr
    assert f"container {BOX}" in rerun.stderr
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert ours_left(docker_client) == set()


def test_ctrl_c_twice_still_cleans_up_everything(tiny_site, docker_client):
    slow_down(tiny_site, 600)
    process = start_verifier(tiny_site / "verify.toml")
    wait_for_box(docker_client, process)
    os.kill(process.pid, signal.SIGINT)
    time.sleep(0.2)
    os.kill(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=120)

    assert process.returncode == 130, output
    assert "Traceback" not in output
    assert "press Ctrl-C once more to abandon it" in output
    assert ours_left(docker_client) == set()
    assert my_temp_dirs(process.pid) == []


def test_sigkill_then_the_next_run_reaps_and_names_what(tiny_site, docker_client):
    slow_down(tiny_site, 600)
    process = start_verifier(tiny_site / "verify.toml")
    wait_for_box(docker_client, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert my_temp_dirs(process.pid)  # left by the dead run

    page = tiny_site / "docs" / "page.md"
    page.write_text(page.read_text().replace("$ sleep 600\n", "", 1))
    rerun = run_verifier(tiny_site / "verify.toml")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"reaped what an earlier run left (pid {process.pid}, clone {tiny_site}" in rerun.stderr
    assert "reaped an earlier run's temp dir" in rerun.stderr
    assert my_temp_dirs(process.pid) == []
    assert ours_left(docker_client) == set()


def test_names_not_ours_are_all_listed_with_commands_that_work(tiny_site, docker_client):
    theirs = docker_client.containers.run("debian:trixie-slim", ["sleep", "300"], name=BOX, detach=True)
    image = docker_client.images.get("debian:trixie-slim")
    image.tag("verify_fixture_tiny", "1")
    page = tiny_site / "docs" / "page.md"
    try:
        result = run_verifier(tiny_site / "verify.toml")
        assert result.returncode == NameTaken.exit_code, result.stdout + result.stderr
        message = result.stderr.strip()
        assert message.count("\n") == 0 and "Traceback" not in message
        assert f"container '{BOX}'" in message and f"image '{IMAGE}'" in message
        assert f"docker rm --force {BOX}" in message
        # The command the message gives really works on a running container.
        assert subprocess.run(["docker", "rm", "--force", BOX], capture_output=True).returncode == 0
        theirs = None
    finally:
        if theirs is not None:
            theirs.remove(force=True)
        docker_client.images.remove(IMAGE)
    assert page.exists()


def test_a_named_volume_made_by_a_run_is_removed_and_an_existing_one_kept(tiny_site, docker_client):
    mine, kept = f"vt-made-{uuid.uuid4().hex[:6]}", f"vt-kept-{uuid.uuid4().hex[:6]}"
    existing = docker_client.volumes.create(kept)
    page = tiny_site / "docs" / "page.md"
    page.write_text(
        page.read_text() + f"\n```console\n$ docker run --rm -v {mine}:/a -v {kept}:/b debian:trixie-slim true\n```\n"
    )
    try:
        result = run_verifier(tiny_site / "verify.toml")
        assert result.returncode == 0, result.stdout + result.stderr
        names = {v.name for v in docker_client.volumes.list()}
        assert mine not in names and kept in names
    finally:
        existing.remove(force=True)


def test_a_bystanders_container_from_an_image_the_run_built_is_left_alone(tiny_site, docker_client):
    """It inherits the image's labels; it is still not the run's."""
    slow_down(tiny_site, 6)
    process = start_verifier(tiny_site / "verify.toml")
    wait_for_box(docker_client, process)
    theirs = docker_client.containers.run(
        IMAGE, ["sleep", "300"], name=f"adv-child-{uuid.uuid4().hex[:6]}", detach=True
    )
    try:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output
        theirs.reload()
        assert theirs.status == "running"
        assert theirs.name not in output
    finally:
        theirs.remove(force=True)
        if docker_client.images.list(name=IMAGE.split(":")[0]):
            docker_client.images.remove(IMAGE, force=True)


def test_a_page_cannot_remove_prune_or_reuse_what_is_not_the_runs(tiny_site, docker_client):
    tag = uuid.uuid4().hex[:6]
    container = docker_client.containers.create("debian:trixie-slim", ["true"], name=f"adv-keep-{tag}")
    volume = docker_client.volumes.create(f"adv-vol-{tag}")
    page = tiny_site / "docs" / "page.md"
    page.write_text(
        "# Hands off\n\n% verify: exit=1\n```console\n"
        f"$ docker rm --force adv-keep-{tag} 2>&1 | sed 's/.*: verify-tutorial/verify-tutorial/'; false\n"
        f"verify-tutorial: container adv-keep-{tag} was not made by this run, so it is not removed\n"
        "$ docker container prune --force 2>&1 | sed 's/.*: verify-tutorial/verify-tutorial/'; false\n"
        "verify-tutorial: prune would remove objects that are not this run's; remove them by name\n"
        f"$ docker volume create adv-vol-{tag} 2>&1 | sed 's/.*: verify-tutorial/verify-tutorial/'; false\n"
        f"verify-tutorial: volume adv-vol-{tag} exists and is not this run's, so it is not used\n"
        "```\n"
    )
    try:
        result = run_verifier(tiny_site / "verify.toml")
        assert result.returncode == 0, result.stdout + result.stderr
        container.reload()
        volume.reload()
    finally:
        container.remove(force=True)
        volume.remove(force=True)


def test_a_build_tag_whose_image_the_engine_never_named_goes_when_the_image_carries_the_runs_label(docker_client):
    """BuildKit may answer a cached build without the image's ID; the tag the build
    asked for is still the run's when the image is labelled with the run, and only then."""
    import io

    from verify_tutorial.engines.docker.journal import Recorded
    from verify_tutorial.engines.docker.removal import remove_recorded

    suffix = uuid.uuid4().hex[:6]
    recipe = b"FROM debian:trixie-slim\nLABEL purpose=ownership-test\n"
    ours, _ = docker_client.images.build(
        fileobj=io.BytesIO(recipe), tag=f"vt-ours-{suffix}:a", labels={labels.RUN: "run-a"}, rm=True, forcerm=True
    )
    ours.tag(f"vt-ours-{suffix}", "b")
    theirs, _ = docker_client.images.build(
        fileobj=io.BytesIO(recipe + b"LABEL x=1\n"),
        tag=f"vt-theirs-{suffix}:a",
        labels={labels.RUN: "run-b"},
        rm=True,
        forcerm=True,
    )
    try:
        recorded = Recorded(tags={f"vt-ours-{suffix}:a", f"vt-ours-{suffix}:b", f"vt-theirs-{suffix}:a"})
        removed = remove_recorded(docker_client, recorded, "run-a")
        assert sorted(removed) == [f"tag vt-ours-{suffix}:a", f"tag vt-ours-{suffix}:b"]
        assert docker_client.images.get(f"vt-theirs-{suffix}:a").id == theirs.id
    finally:
        for tag in (f"vt-ours-{suffix}:a", f"vt-ours-{suffix}:b", f"vt-theirs-{suffix}:a"):
            with contextlib.suppress(Exception):
                docker_client.images.remove(tag)  # its own layers too; the base stays tagged
