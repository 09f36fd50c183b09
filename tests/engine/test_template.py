"""docker-practice as a reader uses it: build with make, run, exec, own your files, re-lock."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import ROOT

PROJECT = ROOT / "docker-practice"
OWNER = 4321  # not root, not the CI user: ownership must come from --user
LOCKS = (
    "build/requirements.txt",
    "build/requirements_gpu.txt",
    "build/requirements_uv.txt",
    "build/requirements_editor.txt",
)


@pytest.fixture(scope="module")
def built_project(tmp_path_factory):
    """A copy of the template with its CPU image built by `make`, owned by OWNER."""
    copy = tmp_path_factory.mktemp("template") / "docker-practice"
    shutil.copytree(PROJECT, copy)
    names = {"IMAGE_NAME": f"vt_template_{os.getpid()}", "NAME": f"vt_dp_{os.getpid()}"}
    make = ["make", "-C", str(copy), *(f"{k}={v}" for k, v in names.items())]
    subprocess.run([*make, "docker-build-cpu"], check=True)
    # The folders make would create as whoever runs it (root, in CI), made here so that OWNER has them.
    for folder in ("data", "results", ".cache"):
        (copy / folder).mkdir()
    (copy / "data" / "numbers.txt").write_text("".join(f"{n}\n" for n in range(1, 101)))
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{OWNER}:{OWNER}", str(copy)], check=True)
    yield copy, make, names
    subprocess.run([*make, "clean"], capture_output=True)


@pytest.fixture
def running(built_project):
    copy, make, names = built_project
    run_as = f"{OWNER}:{OWNER}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    subprocess.run([*make, f"RUN_AS={run_as}", "DATA=data", "docker-run-cpu"], check=True, capture_output=True)
    yield copy, make, names
    subprocess.run([*make, "docker-stop"], capture_output=True)


@pytest.mark.docker
def test_example_runs_on_cpu_through_make(running):
    _, make, _ = running
    result = subprocess.run([*make, "--no-print-directory", "run-example"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "JAX 0.12.0.1 imported." in result.stdout
    assert "No CUDA GPU visible; computing on the CPU." in result.stdout


@pytest.mark.docker
def test_example_exit_status_when_gpu_required(running):
    _, _, names = running
    result = subprocess.run(
        ["docker", "exec", names["NAME"], "python", "src/example.py", "--require-gpu"], capture_output=True
    )
    assert result.returncode == 3


@pytest.mark.docker
def test_files_written_to_the_bind_mount_belong_to_the_host_user(running):
    copy, _, names = running
    subprocess.run(["docker", "exec", names["NAME"], "sh", "-c", "echo result > out.txt"], check=True)
    written = copy / "out.txt"
    expected = OWNER if os.geteuid() == 0 else os.getuid()
    assert written.stat().st_uid == expected


@pytest.mark.docker
def test_data_is_read_only_results_are_yours_and_the_jax_cache_serves_the_second_run(running):
    copy, _, names = running
    exec_ = ["docker", "exec", names["NAME"]]
    write = subprocess.run([*exec_, "touch", "/data/new.txt"], capture_output=True, text=True)
    assert write.returncode != 0 and "Read-only file system" in write.stderr
    runs = [
        subprocess.run([*exec_, "python", "src/sweep.py", "--scale", scale], capture_output=True, text=True)
        for scale in ("2", "0.5")
    ]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert "sum 10100, written to /results/scale-2.txt" in runs[0].stdout
    assert "compilations: 0 from the cache" in runs[0].stdout
    assert "compilations: 2 from the cache, 0 compiled" in runs[1].stdout
    expected = OWNER if os.geteuid() == 0 else os.getuid()
    assert (copy / "results" / "scale-0.5.txt").stat().st_uid == expected
    assert any((copy / ".cache" / "jax").iterdir())


@pytest.mark.docker
def test_image_holds_no_compiler_no_installer_no_download_cache_and_no_test_suites(built_project):
    _, _, names = built_project
    image = f"{names['IMAGE_NAME']}_cpu:latest"
    probe = (
        "for c in gcc cc g++ make uv uvx; do command -v $c; done; "
        "ls -d /opt/uv /venv /root/.cache/pip /root/.cache/uv /tmp/.cache/pip /var/cache/wheels/* "
        "/var/cache/apt/archives/*.deb 2>/dev/null; "
        "find /opt/venv -path '*/site-packages/*' "
        "\\( -type d -name tests -o -name uv -o -name 'uv-*' \\) -prune -print; "
        "ls /opt/venv/bin/uv /opt/venv/bin/uvx 2>/dev/null; true"
    )
    result = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", image, "-c", probe], capture_output=True, text=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.docker
def test_image_keeps_pip_in_the_venv_and_bytecode_for_the_packages(built_project):
    _, _, names = built_project
    probe = (
        "import importlib.util, os, jax, numpy, scipy\n"
        "print(all(os.path.isfile(importlib.util.cache_from_source(m.__file__)) for m in (jax, numpy, scipy)))"
    )
    image = f"{names['IMAGE_NAME']}_cpu:latest"
    compiled = subprocess.run(["docker", "run", "--rm", image, "python", "-c", probe], capture_output=True, text=True)
    assert compiled.stdout.strip() == "True", compiled.stderr
    pip = subprocess.run(["docker", "run", "--rm", image, "pip", "--version"], capture_output=True, text=True)
    assert pip.returncode == 0 and "/opt/venv/" in pip.stdout, pip.stderr


@pytest.mark.docker
def test_make_lock_writes_the_committed_locks_with_the_pinned_uv(tmp_path):
    """The locks are what `make lock` writes (in a throwaway container of the uv stage,
    needing PyPI), and nothing else in the project changes."""
    copy = tmp_path / "docker-practice"
    shutil.copytree(PROJECT, copy)
    name = f"vt_lock_{os.getpid()}"
    try:
        make = ["make", "-C", str(copy), "--silent", "--no-print-directory", "lock", f"IMAGE_NAME={name}"]
        done = subprocess.run(make, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        assert len(re.findall(r"^Resolved \d+ packages? in ", done.stderr, re.MULTILINE)) == len(LOCKS)
        for lock in LOCKS:
            assert (copy / lock).read_text() == (PROJECT / lock).read_text(), f"make lock rewrote {lock}"
        changed = subprocess.run(
            ["diff", "-r", "--brief", str(PROJECT), str(copy)], capture_output=True, text=True
        ).stdout
        assert changed == ""
    finally:
        subprocess.run(["docker", "image", "rm", "--force", f"{name}_uv:latest"], capture_output=True)


def test_one_uv_version_for_locks_and_builds():
    """uv's version is pinned in build/requirements_uv.in alone; its lock carries the hashes,
    both Dockerfiles install uv from that lock, and `make lock` uses the same stage."""
    pin = re.findall(r"^uv==(\S+)$", (PROJECT / "build" / "requirements_uv.in").read_text(), re.MULTILINE)
    assert len(pin) == 1
    lock = (PROJECT / "build" / "requirements_uv.txt").read_text()
    assert re.findall(r"^uv==(\S+) \\$", lock, re.MULTILINE) == pin
    assert "--hash=sha256:" in lock
    for dockerfile in ("build/Dockerfile.cpu", "Dockerfile"):
        text = (PROJECT / dockerfile).read_text()
        assert "source=build/requirements_uv.txt" in text and "--require-hashes" in text
        assert not re.search(r"uv[=@-]\d|UV_VERSION", text), f"{dockerfile} names a uv version of its own"
    makefile = (PROJECT / "Makefile").read_text()
    assert "--target uv" in makefile and not re.search(r"uv[=@-]\d|UV_VERSION", makefile)


@pytest.mark.make  # and no engine: that is the point
def test_make_without_engine_says_how_to_start_one(tmp_path):
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    result = subprocess.run(["make", "-C", str(PROJECT), "docker-build-cpu"], capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "no Docker engine reachable: start it" in result.stderr
    assert "Traceback" not in result.stderr


def _dry_run(*args, env=None):
    result = subprocess.run(
        ["make", "-C", str(PROJECT), "--dry-run", "--no-print-directory", *args],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.make
def test_default_container_name_carries_the_user_and_gpus_reach_docker_quoted():
    assert "--name dp-alice " in _dry_run("docker-run-cpu", env={**os.environ, "USER": "alice"})
    without_user = {k: v for k, v in os.environ.items() if k != "USER"}
    me = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    assert f"--name dp-{me} " in _dry_run("docker-run-cpu", env=without_user)
    assert "--name dp-exp2 " in _dry_run("docker-run-cpu", "NAME=dp-exp2")
    assert "--gpus 'all' " in _dry_run("docker-run")
    assert """--gpus '"device=0,2"' """ in _dry_run("docker-run", 'GPUS="device=0,2"')


@pytest.mark.make
def test_data_is_bound_read_only_only_when_given():
    assert "/data" not in _dry_run("docker-run-cpu")
    assert '--volume "/srv/d":/data:ro ' in _dry_run("docker-run-cpu", "DATA=/srv/d/")


@pytest.mark.make  # DOCKER=true: no engine needed, nothing started
def test_make_creates_out_and_cache_and_stops_on_a_missing_data_folder(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    done = subprocess.run(
        ["make", "-C", str(PROJECT), "--silent", "DOCKER=true", f"OUT={out}", f"CACHE={cache}", "docker-run-cpu"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert out.is_dir() and cache.is_dir()
    missing = tmp_path / "no-such-dataset"
    stopped = subprocess.run(
        [
            "make",
            "-C",
            str(PROJECT),
            "--silent",
            "DOCKER=true",
            f"OUT={out}",
            f"CACHE={cache}",
            f"DATA={missing}",
            "docker-run-cpu",
        ],
        capture_output=True,
        text=True,
    )
    assert stopped.returncode != 0
    assert f"make: DATA={missing}: no such folder" in stopped.stderr
    assert not missing.exists()
