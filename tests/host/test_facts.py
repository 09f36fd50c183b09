"""conf/facts.py: the one home of the images, paths and names bash and Python share.
Bash is run on what facts.py prints, and provision.sh against a fake docker client and
a fake Apptainer install; nothing is installed, started or pulled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import facts
import host_setup
import pytest

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "conf" / "facts.py"
PROVISION = ROOT / "conf" / "provision.sh"
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
    result (an overridable fact, a donor engine), plus `settings`."""
    kept = {"IMAGE_DONOR", "DOCKER_CLI", *facts.OVERRIDABLE}
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
    assert {"BASE_IMAGES", "APPTAINER_PREFIX", "CURRENT_SOCK", "CURRENT_RESULTS", "BROWSERS"} <= set(NAMES)
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


# Apptainer as conf/apptainer.sh leaves it, as far as provision.sh looks: its .installed,
# and a bin/apptainer that answers --version.
NATIVE_VERSION = "apptainer version 1.4.5-2"
# What an earlier provisioning installed at APPTAINER_LINK: a script naming its image.
OLD_WRAPPER = "#!/usr/bin/env bash\nVERIFY_APPTAINER_IMAGE=${VERIFY_APPTAINER_IMAGE:-verify-apptainer:sid}\n"
# Someone else's Apptainer.
FOREIGN = '#!/bin/sh\necho "apptainer version 1.3.6"\n'


@pytest.fixture
def cluster_host(tmp_path) -> tuple[Path, Path, dict[str, str]]:
    """provision.sh cluster's world, all in tmp_path: `id -u` says root, Slurm and munge are
    there, Apptainer is installed in a prefix, and PATH is the folder of APPTAINER_LINK
    and the fakes, with the few real tools the scripts use and no apptainer of the host's.
    Gives the prefix, the link and the environment."""
    fake = tmp_path / "fake"
    fake.mkdir()
    for tool in ("bash", "python3", "dirname", "head", "grep", "readlink", "ln", "mkdir", "paste"):
        (fake / tool).symlink_to(shutil.which(tool))
    _executable(fake / "id", '#!/bin/sh\nif [ "$1" = -u ]; then echo 0; else exec /usr/bin/id "$@"; fi\n')
    _executable(fake / "slurmctld", "#!/bin/sh\necho slurm 22.05.fake\n")
    for tool in ("munged", "docker-registry", "htpasswd", "skopeo", "curl", "ch-run", "ch-convert"):
        _executable(fake / tool, "#!/bin/sh\n")
    prefix = tmp_path / "opt" / "apptainer-native"
    _executable(prefix / "bin" / "apptainer", f'#!/bin/sh\necho "{NATIVE_VERSION}"\n')
    (prefix / ".installed").write_text("apptainer 1.4.5-2\nlibc6 2.43-7\n", encoding="utf-8")
    link = tmp_path / "local" / "bin" / "apptainer"
    link.parent.mkdir(parents=True)
    environment = _environment(PATH=f"{link.parent}:{fake}", APPTAINER_PREFIX=str(prefix), APPTAINER_LINK=str(link))
    return prefix, link, environment


def _provision_cluster(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("bash") or "bash", str(PROVISION), "cluster"],
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("before", ["nothing", "old wrapper", "our earlier link", "dangling link"])
def test_provision_sh_cluster_links_apptainer_link_to_the_prefix_s_apptainer(cluster_host, tmp_path, before):
    """With Apptainer installed (conf/apptainer.sh says so and does nothing more), the step
    puts the link in place of nothing or of ours: the old wrapper, a link to an earlier
    install (its .installed beside bin/), a link to nothing."""
    prefix, link, environment = cluster_host
    if before == "old wrapper":
        _executable(link, OLD_WRAPPER)
    elif before == "our earlier link":
        earlier = tmp_path / "earlier"
        _executable(earlier / "bin" / "apptainer", '#!/bin/sh\necho "apptainer version 1.4.4-1"\n')
        (earlier / ".installed").write_text("apptainer 1.4.4-1\n", encoding="utf-8")
        link.symlink_to(earlier / "bin" / "apptainer")
    elif before == "dangling link":
        link.symlink_to(tmp_path / "gone" / "bin" / "apptainer")
    done = _provision_cluster(environment)
    assert done.returncode == 0, done.stderr
    target = prefix / "bin" / "apptainer"
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert done.stderr.splitlines() == [
        "provision: Slurm, munge, the registry's tools and Charliecloud present: slurm 22.05.fake",
        f"apptainer: present in {prefix}: {NATIVE_VERSION} (apptainer 1.4.5-2,libc6 2.43-7)",
        f"provision: linked {link} to {target}",
        f"provision: {link} runs {NATIVE_VERSION}",
    ]
    # Again: the link is there already, so nothing changes and nothing is said about it.
    again = _provision_cluster(environment)
    assert again.returncode == 0, again.stderr
    assert not any(" linked " in line for line in again.stderr.splitlines())
    assert again.stderr.splitlines()[-1] == f"provision: {link} runs {NATIVE_VERSION}"
    assert os.readlink(link) == str(target)


def test_provision_sh_cluster_leaves_a_foreign_apptainer_on_path_alone(cluster_host):
    _, link, environment = cluster_host
    _executable(link, FOREIGN)
    done = _provision_cluster(environment)
    assert done.returncode == 0, done.stderr
    assert (
        done.stderr.splitlines()[-1]
        == f"provision: apptainer present: apptainer version 1.3.6 at {link}; left as it is"
    )
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == FOREIGN
    assert "apptainer:" not in done.stderr  # conf/apptainer.sh was not run


def test_provision_sh_cluster_stops_at_a_foreign_file_where_the_link_goes(cluster_host, tmp_path):
    """Not on PATH, so not found as an apptainer, but not ours to replace either."""
    _, link, environment = cluster_host
    _executable(link, FOREIGN)
    done = _provision_cluster({**environment, "PATH": str(tmp_path / "fake")})
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"provision: error: {link} is there and not ours")
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == FOREIGN


def test_host_setup_sends_a_host_with_the_old_wrapper_to_provision_sh_cluster(cluster_host, monkeypatch):
    _, link, environment = cluster_host
    _executable(link, OLD_WRAPPER)
    monkeypatch.setenv("PATH", environment["PATH"])
    assert host_setup.cluster_problem() == f"the apptainer at {link} is the old wrapper that ran it in a container"
    assert _provision_cluster(environment).returncode == 0
    assert host_setup.cluster_problem() is None
    link.unlink()
    assert host_setup.cluster_problem() == "no apptainer for the cluster page"
