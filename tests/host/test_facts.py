"""conf/facts.py: the one home of the images, paths and names bash and Python share.
Bash is run on what facts.py prints, and provision.sh and the Apptainer wrapper are
run against a fake docker client; nothing is installed, started or pulled."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import facts
import host_setup
import pytest

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "conf" / "facts.py"
PROVISION = ROOT / "conf" / "provision.sh"
WRAPPER = ROOT / "conf" / "bin" / "apptainer"
NAMES = [name for name, value in vars(facts).items() if name.isupper() and isinstance(value, (str, tuple))]

# Bash says what it holds for each name given: the name, "a" for an array or "" for a
# string, the number of values, then each value; every field ends in a NUL.
READ_BACK = r"""
facts=$(python3 "$0")
eval "$facts"
for name in "$@"; do
  declare -n value=$name
  printf '%s\0' "$name" "${value@a}" "${#value[@]}" "${value[@]}"
  unset -n value
done
"""

# A docker client that answers every call and writes it down, one line each.
FAKE_DOCKER = """#!/bin/sh
printf '%s\\n' "$*" >>"$FAKE_DOCKER_LOG"
"""


def _environment(**settings: str) -> dict[str, str]:
    """This process's environment without a setting of the caller's that would change the
    result (an overridable fact, a donor engine, an image for the wrapper), plus `settings`."""
    kept = {"IMAGE_DONOR", "DOCKER_CLI", "VERIFY_APPTAINER_IMAGE", *facts.OVERRIDABLE}
    return {**{k: v for k, v in os.environ.items() if k not in kept}, **settings}


def _read_back(**settings: str) -> dict[str, str | tuple[str, ...]]:
    done = subprocess.run(
        ["bash", "-c", READ_BACK, str(FACTS), *NAMES],
        env=_environment(**settings),
        capture_output=True,
        text=True,
        check=True,
    )
    fields = done.stdout.split("\0")[:-1]
    seen: dict[str, str | tuple[str, ...]] = {}
    while fields:
        name, attributes, count, *fields = fields
        values, fields = tuple(fields[: int(count)]), fields[int(count) :]
        seen[name] = values if "a" in attributes else values[0]
    return seen


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_docker(tmp_path) -> tuple[Path, Path]:
    """The fake client and the file it writes its calls to."""
    log = tmp_path / "docker-calls"
    log.touch()
    return _executable(tmp_path / "fake" / "docker", FAKE_DOCKER), log


def _calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines()


def test_bash_reads_every_fact_as_python_has_it_lists_as_arrays():
    assert {"BASE_IMAGES", "APPTAINER_IMAGE", "CURRENT_SOCK", "CURRENT_RESULTS", "BROWSERS"} <= set(NAMES)
    assert _read_back() == {name: getattr(facts, name) for name in NAMES}


def test_the_output_is_the_shell_assignments_main_prints():
    printed = subprocess.run(
        [sys.executable, str(FACTS)], env=_environment(), capture_output=True, text=True, check=True
    ).stdout
    assert printed == facts.shell({})
    assert [line.split("=", 1)[0] for line in printed.splitlines()] == NAMES


def test_a_caller_s_environment_wins_for_the_settings_provision_sh_lets_it_change():
    odd = '/tmp/a log\'s $HOME `x` "q"'
    seen = _read_back(BASE_IMAGES="busybox:1  alpine:3", CURRENT_LOG=odd, CURRENT_CIDR="", CLUSTER_TOOLS="make")
    assert seen["BASE_IMAGES"] == ("busybox:1", "alpine:3")  # split at whitespace, as provision.sh always did
    assert seen["CURRENT_LOG"] == odd  # quoted: bash gets the value, nothing is expanded
    assert seen["CURRENT_CIDR"] == facts.CURRENT_CIDR  # empty is unset, as ${VAR:-default}
    assert "CLUSTER_TOOLS" not in facts.OVERRIDABLE and seen["CLUSTER_TOOLS"] == facts.CLUSTER_TOOLS
    assert {**seen, "BASE_IMAGES": facts.BASE_IMAGES, "CURRENT_LOG": facts.CURRENT_LOG} == _read_back()


@pytest.mark.parametrize(
    ("environment", "expected"),
    [({}, facts.BASE_IMAGES), ({"BASE_IMAGES": "busybox:1 alpine:3"}, ("busybox:1", "alpine:3"))],
    ids=["facts", "environment"],
)
def test_provision_sh_images_makes_the_facts_base_images_or_the_caller_s(fake_docker, environment, expected):
    docker, log = fake_docker
    done = subprocess.run(
        ["bash", str(PROVISION), "images"],
        env=_environment(DOCKER_CLI=str(docker), FAKE_DOCKER_LOG=str(log), **environment),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert _calls(log) == ["info", *(f"image inspect {image}" for image in expected)]
    assert done.stderr.splitlines() == [f"provision: base image {image} present" for image in expected]


def test_env_current_points_a_shell_at_the_facts_socket(tmp_path):
    prefix = tmp_path / "current"
    (prefix / "client").mkdir(parents=True)
    done = subprocess.run(
        ["bash", str(PROVISION), "env-current"],
        env=_environment(CURRENT_PREFIX=str(prefix)),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"export DOCKER_HOST=unix://{facts.CURRENT_SOCK}",
        f"export DOCKER_CONFIG={prefix}/client",
        f'export PATH="{prefix}/usr/bin:$PATH"',
    ]


def test_provision_sh_stops_on_an_unknown_step_before_doing_anything(fake_docker):
    docker, log = fake_docker
    done = subprocess.run(
        ["bash", str(PROVISION), "images-please"],
        env=_environment(DOCKER_CLI=str(docker), FAKE_DOCKER_LOG=str(log)),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and _calls(log) == []
    assert done.stderr.startswith("provision: error: unknown step 'images-please': use engine, images,")


def _run_wrapper(wrapper: Path, docker: Path, log: Path, cwd: Path, **settings: str) -> str:
    done = subprocess.run(
        [str(wrapper), "--version"],
        env=_environment(DOCKER_CLI=str(docker), FAKE_DOCKER_LOG=str(log), **settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    *_, call = _calls(log)
    return call


def test_the_repository_s_wrapper_runs_the_facts_apptainer_image(fake_docker, tmp_path):
    docker, log = fake_docker
    call = _run_wrapper(WRAPPER, docker, log, tmp_path)
    assert call.startswith("run --rm -i --init ") and call.endswith(f" {facts.APPTAINER_IMAGE} --version")
    call = _run_wrapper(WRAPPER, docker, log, tmp_path, VERIFY_APPTAINER_IMAGE="mine:1")
    assert call.endswith(" mine:1 --version")


def test_provision_sh_cluster_installs_a_wrapper_that_runs_the_facts_image_without_the_repository(
    fake_docker, tmp_path, monkeypatch
):
    """provision.sh cluster with Slurm, munge and the image already there: all it does is
    install the wrapper, here at APPTAINER_WRAPPER in tmp_path (`id -u` says root)."""
    docker, log = fake_docker
    fake = docker.parent
    _executable(fake / "id", '#!/bin/sh\nif [ "$1" = -u ]; then echo 0; else exec /usr/bin/id "$@"; fi\n')
    _executable(fake / "slurmctld", "#!/bin/sh\necho slurm 22.05.fake\n")
    _executable(fake / "munged", "#!/bin/sh\n")
    # An apptainer of ours from an earlier install (it names the image): replaced, not left alone.
    _executable(fake / "apptainer", f"#!/bin/sh\n# {facts.APPTAINER_IMAGE}\n")
    installed = tmp_path / "installed" / "apptainer"
    installed.parent.mkdir()
    done = subprocess.run(
        ["bash", str(PROVISION), "cluster"],
        env=_environment(
            PATH=f"{fake}:{os.environ['PATH']}",
            DOCKER_CLI=str(docker),
            FAKE_DOCKER_LOG=str(log),
            APPTAINER_WRAPPER=str(installed),
        ),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert _calls(log) == ["info", f"image inspect {facts.APPTAINER_IMAGE}"]
    assert done.stderr.splitlines()[-1] == (
        f"provision: installed {installed} (runs {facts.APPTAINER_IMAGE} on the caller's files)"
    )
    # Away from the repository (no conf/facts.py beside it), it still knows its image...
    call = _run_wrapper(installed, docker, log, tmp_path)
    assert call.endswith(f" {facts.APPTAINER_IMAGE} --version")
    assert _run_wrapper(installed, docker, log, tmp_path, VERIFY_APPTAINER_IMAGE="mine:1").endswith(" mine:1 --version")
    # ...and host_setup knows it for ours: it asks the engine for that image.
    monkeypatch.setenv("PATH", f"{installed.parent}:{fake}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    assert host_setup.cluster_problem(str(docker)) is None
    assert _calls(log)[-1] == f"image inspect {facts.APPTAINER_IMAGE}"
