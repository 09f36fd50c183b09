"""docker-practice as a reader uses it: build with make, run, exec, own your files."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from conftest import ROOT

pytestmark = pytest.mark.docker
PROJECT = ROOT / "docker-practice"
OWNER = 4321  # not root, not the CI user: ownership must come from --user


@pytest.fixture(scope="module")
def built_project(tmp_path_factory):
    """A copy of the template with its CPU image built by `make`, owned by OWNER."""
    copy = tmp_path_factory.mktemp("template") / "docker-practice"
    shutil.copytree(PROJECT, copy)
    names = {"IMAGE_NAME": f"vt_template_{os.getpid()}", "CONTAINER": f"vt_dp_{os.getpid()}"}
    make = ["make", "-C", str(copy), *(f"{k}={v}" for k, v in names.items())]
    subprocess.run([*make, "docker-build-cpu"], check=True)
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{OWNER}:{OWNER}", str(copy)], check=True)
    yield copy, make, names
    subprocess.run([*make, "clean"], capture_output=True)


@pytest.fixture
def running(built_project):
    copy, make, names = built_project
    run_as = f"{OWNER}:{OWNER}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    subprocess.run([*make, f"RUN_AS={run_as}", "docker-run-cpu"], check=True, capture_output=True)
    yield copy, make, names
    subprocess.run([*make, "docker-stop"], capture_output=True)


def test_example_runs_on_cpu_through_make(running):
    _, make, _ = running
    result = subprocess.run([*make, "--no-print-directory", "run-example"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "JAX 0.12.0.1 imported." in result.stdout
    assert "No CUDA GPU visible; computing on the CPU." in result.stdout


def test_example_exit_status_when_gpu_required(running):
    _, _, names = running
    result = subprocess.run(
        ["docker", "exec", names["CONTAINER"], "python", "src/example.py", "--require-gpu"], capture_output=True
    )
    assert result.returncode == 3


def test_files_written_to_the_bind_mount_belong_to_the_host_user(running):
    copy, _, names = running
    subprocess.run(["docker", "exec", names["CONTAINER"], "sh", "-c", "echo result > out.txt"], check=True)
    written = copy / "out.txt"
    expected = OWNER if os.geteuid() == 0 else os.getuid()
    assert written.stat().st_uid == expected


def test_image_holds_no_compiler_no_download_cache_and_no_test_suites(built_project):
    _, _, names = built_project
    image = f"{names['IMAGE_NAME']}_cpu:latest"
    probe = (
        "for c in gcc cc g++ make; do command -v $c; done; "
        "ls -d /root/.cache/pip /tmp/.cache/pip /var/cache/wheels/* /var/cache/apt/archives/*.deb 2>/dev/null; "
        "find /opt/venv -type d -name tests -path '*/site-packages/*'; true"
    )
    result = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", image, "-c", probe], capture_output=True, text=True
    )
    assert result.stdout.strip() == ""


def test_make_without_engine_says_how_to_start_one(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    result = subprocess.run(["make", "-C", str(PROJECT), "docker-build-cpu"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "no Docker engine reachable: start it" in result.stderr
    assert "Traceback" not in result.stderr
