"""Shared fixtures. The tests sit in folders by what they exercise: unit (pure
logic), execution (real shells and processes, no engine), engine (a real Docker
engine), site (the built docs), bench, host (the provisioning).

Tests marked `docker` need a reachable engine: without one they are skipped
with the reason, unless VERIFY_REQUIRE_ENGINE=1 (CI), where they fail. Tests
marked `make` need GNU make, likewise. Tests marked `browser` need Chromium and
Playwright: skipped, unless REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from verify_tutorial.execution import procfs

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT / "conf"))  # host_setup: what the README's commands check a host for
from host_setup import browser_binary  # noqa: E402  (after the path it lives on)


def _engine_problem() -> str | None:
    try:
        import docker

        docker.from_env(timeout=10).ping()
    except Exception as error:  # any failure to reach it is the same answer here
        reason = str(error).splitlines()[0][:100]
        return f"no Docker engine reachable ({reason}); start one or run 'bash conf/provision.sh' as root"
    return None


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (it comes with the tests' dependencies: bash conf/nox.sh -s tests)"
    if browser_binary() is None:
        return "no Chromium found: apt-get install chromium, or set CHROMIUM to a Chrome or Chromium binary"
    return None


def _require_or_skip(items, find_problem, variable: str) -> None:
    """Skip `items` with the reason find_problem() gives, or fail when `variable` is 1.
    The probe runs only when some test needs what it checks."""
    if not items:
        return
    problem = find_problem()
    if problem is None:
        return
    if os.environ.get(variable) == "1":
        raise pytest.UsageError(f"{variable}=1 but {problem}")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=problem))


def _make_problem() -> str | None:
    return None if shutil.which("make") else "no make on PATH: apt-get install make"


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    _require_or_skip(browser_items, _browser_problem, "REQUIRE_BROWSER")
    docker_items = [item for item in items if item.get_closest_marker("docker")]
    _require_or_skip(docker_items, _engine_problem, "VERIFY_REQUIRE_ENGINE")
    make_items = [item for item in items if item.get_closest_marker("make")]
    _require_or_skip(make_items, _make_problem, "VERIFY_REQUIRE_ENGINE")


def alive(pid: int) -> bool:
    """Running, not a zombie: as /proc says (the package's own reader)."""
    state = procfs.stat(pid)
    return state is not None and state[0] != "Z"


def gone(pid: int, patience: float = 5.0) -> bool:
    """Whether a process killed just now is gone within `patience` seconds (the kernel
    reaps asynchronously); a bound on waiting, not a claim about speed."""
    deadline = time.monotonic() + patience
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


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


def start_verifier(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The verifier as a process of its own (for signals), output as text in stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "verify_tutorial", "--verify-config", str(config), *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
