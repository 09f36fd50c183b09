"""Shared fixtures. Tests marked `docker` need a reachable engine: without one they
are skipped with the reason, unless VERIFY_REQUIRE_ENGINE=1 (CI), where they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _engine_problem() -> str | None:
    try:
        import docker

        docker.from_env(timeout=10).ping()
    except Exception as error:  # any failure to reach it is the same answer here
        reason = str(error).splitlines()[0][:100]
        return f"no Docker engine reachable ({reason}); start one or run 'bash conf/provision.sh' as root"
    return None


def pytest_collection_modifyitems(config, items):
    docker_items = [item for item in items if item.get_closest_marker("docker")]
    if not docker_items:
        return
    problem = _engine_problem()
    if problem is None:
        return
    if os.environ.get("VERIFY_REQUIRE_ENGINE") == "1":
        raise pytest.UsageError(f"VERIFY_REQUIRE_ENGINE=1 but {problem}")
    for item in docker_items:
        item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture(scope="session")
def docker_client():
    import docker

    return docker.from_env(timeout=300)


@pytest.fixture
def unique_name():
    return f"vt_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def tiny_site(tmp_path):
    """A private copy of the tiny fixture page and project, free to break."""
    site = tmp_path / "tiny"
    shutil.copytree(FIXTURES / "tiny", site)
    return site


def run_verifier(config: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "verify_tutorial", "--verify-config", str(config), *args],
        capture_output=True,
        text=True,
        cwd=config.parent,
        **kwargs,
    )
