"""`pip install verify-tutorial` for a docs project without Docker: a fresh venv gets
neither the Docker SDK nor Sphinx, and a shell-only project verifies with it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv") / "env"
    uv = shutil.which("uv")
    if uv:  # what nox uses; much faster than pip
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        install = [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python")]
    else:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # Not editable: what a wheel carries (the shell's bash set-up file among it) is what runs.
    subprocess.run([*install, "--constraint", str(ROOT / "conf" / "constraints.txt"), str(ROOT)], check=True)
    return venv


def installed(venv) -> set[str]:
    listing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print('\\n'.join(d.name.lower() for d in m.distributions()))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(listing.split())


def test_the_plain_install_has_no_docker_sdk_and_no_sphinx(fresh_venv):
    names = installed(fresh_venv)
    assert "verify-tutorial" in names or "verify_tutorial" in names
    assert not names & {"docker", "sphinx", "myst-parser", "requests"}, sorted(names)


def test_a_shell_only_project_verifies_with_the_plain_install(fresh_venv, tmp_path):
    project = tmp_path / "external"
    shutil.copytree(FIXTURES / "external", project)
    result = subprocess.run(
        [str(fresh_venv / "bin" / "verify-tutorial"), "--verify-config", "pyproject.toml"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed, 0 failed, 0 skipped" in result.stdout


def test_outside_docs_list_every_failure_in_one_run_with_the_plain_install(fresh_venv, tmp_path):
    """Three lines of configuration, no Docker, no Sphinx: every failure of every page, at once."""
    project = tmp_path / "outside"
    shutil.copytree(FIXTURES / "outside", project)
    assert (project / "pyproject.toml").read_text().count("\n") == 3
    result = subprocess.run(
        [str(fresh_venv / "bin" / "verify-tutorial"), "--keep-going"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 13, out  # a malformed page among them
    assert "10 passed, 3 failed, 0 skipped" in result.stdout, out
    for failure in ("docs/broken.md:4: ", "docs/cli.md:43: output differs", "docs/reference.rst:23: exit status 2"):
        assert failure in out
    assert "docs/cli.md:14  not a console session (no prompt): not run" in result.stdout
