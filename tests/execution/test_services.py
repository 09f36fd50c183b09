"""Services started for a page and ended with it, however the page or the run ends.

The service here is a real daemon (a detached `sleep` that a start script leaves
behind, as slurmd or a registry would be); the pages are plain shell, so no
engine is needed. Each test asks the kernel, not the verifier, what still runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import run_verifier, start_verifier

from verify_tutorial import errors, services
from verify_tutorial.config import load
from verify_tutorial.document.model import Block, Options
from verify_tutorial.reporting.results import Result, Status
from verify_tutorial.requirements import skip_reason
from verify_tutorial.verifier import Verifier

# Started by the page's service: detaches into a session of its own and records its pid
# where the test can find it, then says how the page reaches it.
START = r"""
setsid sleep 600 </dev/null >/dev/null 2>&1 &
echo $! >> "$PIDS"
echo "DEMO_URL=demo://$(basename "$VERIFY_SERVICE_DIR")"
"""


def make_site(tmp_path: Path, page: str, start: str = START, check: str | None = None) -> Path:
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "start.sh").write_text(start)
    settings = textwrap.dedent(
        """\
        pages = "docs"
        engine = "none"
        results_dir = "build"
        default_timeout = 60
        requirements = ["registry"]

        [services.registry]
        start = "bash start.sh"
        """
    )
    if check is not None:
        settings += f"check = {check!r}\n"
    (site / "verify.toml").write_text(settings)
    (site / "docs" / "page.md").write_text(textwrap.dedent(page))
    return site


PAGE = """\
    # A page with a service

    % verify: requires=registry
    ```console
    $ echo "$DEMO_URL" | cut -c1-7
    demo://
    ```
    """


def daemons(pid_file: Path) -> list[int]:
    """The recorded daemons still alive (zombies awaiting init count as gone)."""
    alive = []
    for line in pid_file.read_text().split() if pid_file.exists() else []:
        try:
            state = Path(f"/proc/{line}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(int(line))
    return alive


def wait_for_daemon(process: subprocess.Popen, pid_file: Path) -> None:
    deadline = time.monotonic() + 60  # a bound on waiting, not a speed claim
    while not daemons(pid_file):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the service never started its daemon"
        time.sleep(0.1)


def eventually_none(pid_file: Path) -> list[int]:
    deadline = time.monotonic() + 20  # a bound on waiting for the kernel, not a speed claim
    while daemons(pid_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    return daemons(pid_file)


@pytest.fixture
def pid_file(tmp_path, monkeypatch):
    path = tmp_path / "pids"
    monkeypatch.setenv("PIDS", str(path))
    yield path
    for pid in daemons(path):  # never leave a daemon behind, whatever the test did
        os.kill(pid, signal.SIGKILL)


def test_a_page_gets_its_service_and_the_service_ends_with_the_page(tmp_path, pid_file):
    site = make_site(tmp_path, PAGE)
    result = run_verifier(site / "verify.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "starting registry for docs/page.md" in result.stdout + result.stderr
    assert len(pid_file.read_text().split()) == 1, "started once for the page"
    assert eventually_none(pid_file) == []
    assert not list(Path("/tmp").glob(f"verify-tutorial-*-{os.getpid()}-service-*"))


def test_a_failing_page_still_ends_its_service(tmp_path, pid_file):
    site = make_site(tmp_path, PAGE.replace("demo://\n", "something else\n"))
    result = run_verifier(site / "verify.toml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert pid_file.exists()
    assert eventually_none(pid_file) == []


def test_pages_that_do_not_need_it_do_not_start_it(tmp_path, pid_file):
    site = make_site(tmp_path, "# No service here\n\n```console\n$ echo demo://\ndemo://\n```\n")
    result = run_verifier(site / "verify.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not pid_file.exists()


def test_a_service_that_cannot_start_here_skips_its_blocks_saying_why(tmp_path, pid_file):
    site = make_site(tmp_path, PAGE, check="command -v no-such-daemon-here")
    result = run_verifier(site / "verify.toml", "-rs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "needs registry (registry cannot start here: command -v no-such-daemon-here failed)" in result.stdout
    assert not pid_file.exists()


def test_a_service_that_fails_to_start_stops_the_run_in_one_line_and_leaves_nothing(tmp_path, pid_file):
    site = make_site(tmp_path, PAGE, start=START + 'echo "port 5000 is taken" >&2; exit 3\n')
    result = run_verifier(site / "verify.toml")
    assert result.returncode == errors.ServiceFailed.exit_code, result.stdout + result.stderr
    assert "service registry did not start (exit 3): port 5000 is taken" in result.stdout + result.stderr
    assert eventually_none(pid_file) == [], "what the failed start left running is ended"


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_or_killed_run_leaves_no_daemon_once_the_next_run_starts(tmp_path, pid_file, how):
    site = make_site(tmp_path, PAGE.replace("$ echo", "$ sleep ${DELAY:-0}\n    $ echo"))
    process = start_verifier(site / "verify.toml", env={**os.environ, "DELAY": "30"})
    wait_for_daemon(process, pid_file)
    os.kill(process.pid, how)
    output = process.communicate(timeout=60)[0]
    if how == signal.SIGINT:
        assert process.returncode == 130, output
        assert eventually_none(pid_file) == [], output
        return
    assert daemons(pid_file), "SIGKILL gives the run no chance: its daemon outlives it"
    rerun = run_verifier(site / "verify.toml")
    assert "reaped an earlier run's service folder" in rerun.stdout + rerun.stderr, rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert eventually_none(pid_file) == []


def test_stop_folder_ends_only_processes_marked_with_that_folder(tmp_path):
    ours, other = tmp_path / "ours", tmp_path / "other"
    ours.mkdir()
    other.mkdir()
    spawn = [sys.executable, "-c", "import time; time.sleep(600)"]
    mine = subprocess.Popen(spawn, env={**os.environ, services.MARKER: str(ours)})
    bystander = subprocess.Popen(spawn, env={**os.environ, services.MARKER: str(other)})
    try:
        ended = services.stop_folder(ours)
        assert ended and all(name.startswith("python") for name in ended), ended
        assert mine.wait(timeout=20) != 0
        assert bystander.poll() is None, "a process of another folder is not ours"
        assert not ours.exists() and other.exists()
    finally:
        bystander.kill()
        mine.kill()


def test_settings_name_services_after_requirements(tmp_path):
    path = tmp_path / "verify.toml"
    path.write_text('[services.postgres]\nstart = "x"\n')
    with pytest.raises(errors.VerifyError, match=r"\[services.postgres\]: name it after the requirement"):
        load(path)
    path.write_text("requirements = ['registry']\n[services.registry]\ncheck = 'x'\n")
    with pytest.raises(errors.VerifyError, match="needs start ="):
        load(path)
    path.write_text('requirements = ["registry"]\n[services.registry]\nstart = "x"\nstop = "y"\n')
    with pytest.raises(errors.VerifyError, match="unknown key stop"):
        load(path)
    path.write_text('requirements = ["slurm"]\n[services.slurm]\nstart = "bash s.sh"\n')
    assert load(path).services["slurm"].start == "bash s.sh"


def test_a_skip_reason_uses_the_hint_for_a_requirement_when_there_is_one():
    options = Options(requires=frozenset({"slurm"}))
    assert skip_reason(options, {"cpu"}) == "needs slurm (--allow slurm)"
    assert skip_reason(options, {"cpu"}, {"slurm": "slurm cannot start here"}) == (
        "needs slurm (slurm cannot start here)"
    )
    assert skip_reason(options, {"cpu", "slurm"}, {"slurm": "unused"}) is None


def test_ctrl_c_while_a_service_starts_ends_what_it_had_begun(tmp_path, pid_file):
    site = make_site(tmp_path, PAGE, start=START + "sleep 30\n")
    process = start_verifier(site / "verify.toml")
    wait_for_daemon(process, pid_file)
    os.kill(process.pid, signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert eventually_none(pid_file) == [], output


@pytest.mark.parametrize("name", ["PATH", "DOCKER_HOST", "LD_PRELOAD", "VERIFY_SERVICE_DIR", "HOME"])
def test_a_service_may_not_steer_the_pages_shell(tmp_path, pid_file, name):
    site = make_site(tmp_path, PAGE, start=START + f"echo {name}=/tmp/elsewhere\n")
    result = run_verifier(site / "verify.toml")
    assert result.returncode == errors.ServiceFailed.exit_code, result.stdout + result.stderr
    assert f"service registry tried to set {name} for the page" in result.stdout + result.stderr
    assert eventually_none(pid_file) == []


def test_bad_service_tables_are_one_line_errors(tmp_path):
    path = tmp_path / "verify.toml"
    for text in ('services = "x"\n', 'versions = "x"\n', "[services.registry]\nstart = 'x'\ncheck = ''\n"):
        path.write_text(text)
        with pytest.raises(errors.VerifyError) as caught:
            load(path)
        assert "\n" not in str(caught.value)


def test_versions_are_asked_once_and_only_for_what_a_block_required(tmp_path):
    counter = tmp_path / "asked"
    path = tmp_path / "verify.toml"
    path.write_text(
        'engine = "none"\nrequirements = ["apptainer", "slurm"]\n[versions]\n'
        f"apptainer = \"echo . >> {counter}; echo 'apptainer version 1.4.5'; echo 'run in a container'\"\n"
        f'slurm = "echo . >> {counter}; exit 1"\n'
    )
    verifier = Verifier(load(path), allow=["apptainer", "slurm"])
    assert not counter.exists(), "nothing is asked before a block needs it"
    block = Block(path=path, line=1, commands=[], options=Options(requires=frozenset({"apptainer", "slurm"})))
    for _ in range(3):
        result = verifier.note_tools(Result("p.md", 1, "x", Status.PASSED), block)
    assert result.tools == {"apptainer": "apptainer version 1.4.5; run in a container"}, (
        "a failed command names nothing"
    )
    assert counter.read_text().count(".") == 2, "each command ran once"
    plain = verifier.note_tools(
        Result("p.md", 2, "y", Status.PASSED), Block(path=path, line=2, commands=[], options=Options())
    )
    assert plain.tools == {}


def test_a_service_process_with_a_large_environment_is_still_found_and_ended(tmp_path):
    folder = tmp_path / "service"
    folder.mkdir()
    env = {**os.environ, "BIG": "x" * 70_000, services.MARKER: str(folder)}  # the marker past 64 KiB
    process = subprocess.Popen(["sleep", "30"], env=env)
    try:
        assert process.pid in services.marked_processes(folder)
        services.stop_folder(folder)
        assert process.wait(timeout=15) is not None
    finally:
        process.kill()
