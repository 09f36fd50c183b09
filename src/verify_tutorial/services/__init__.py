"""Services a page needs running beside it (a registry, a batch system), started
for the page and stopped when it ends, whatever way it ends.

    [services.registry]
    start = "bash conf/services/registry.sh"   # starts it, waits until it answers
    check = "command -v docker-registry"       # can it start here? (else: skipped)

A block that says `requires=registry` gets one. The start command runs in a
folder of its own (VERIFY_SERVICE_DIR) where it keeps its data; lines it prints
as NAME=VALUE are added to the page's environment (SLURM_CONF=...). Stopping
needs no command: every process that carries that folder in its environment is
the service's, daemons that detach themselves included, and is ended; then the
folder goes. A run killed outright leaves the folder, and the next run's reaper
ends those processes the same way.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ServiceFailed
from ..execution import procfs
from ..execution.answer import shell_answer
from ..execution.identity import dead_temp_dirs

MARKER = "VERIFY_SERVICE_DIR"
# In the names of service folders (RunIdentity.temp_dir(folder_purpose(NAME))), for the reaper.
SERVICE_DIR = "-service-"
PAGE_DIR = "-page-"  # RunIdentity.temp_dir("page")
# What a service may not set for the page: it would steer the page around the proxy or the shell.
_PROTECTED = ("PATH", "HOME", "DOCKER_", "VERIFY_", "LD_", "BASH_", "PYTHON")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
# Seconds a start command may take, and a stopped service to go after SIGTERM.
START_LIMIT = 120
STOP_GRACE = 10


@dataclass(frozen=True)
class Service:
    name: str  # also the requirement it satisfies
    start: str
    check: str | None = None

    def can_start(self, cwd: Path) -> bool:
        """Whether its check passes here (no check: always)."""
        return self.check is None or shell_answer(self.check, cwd) is not None


@dataclass
class RunningService:
    name: str
    folder: Path
    env: dict[str, str]

    def stop(self) -> list[str]:
        """End its processes and remove its folder; returns what was ended, as words."""
        return stop_folder(self.folder)


def start(service: Service, folder: Path, cwd: Path, env: dict[str, str]) -> RunningService:
    """Run the service's start command; raises ServiceFailed (and stops what it began)."""
    marked = {**env, MARKER: str(folder)}
    try:  # Ctrl-C (or any error) while it starts: what it began is ended, then the error goes on
        return _start(service, folder, cwd, marked)
    except BaseException:
        stop_folder(folder)
        raise


def _start(service: Service, folder: Path, cwd: Path, marked: dict[str, str]) -> RunningService:
    try:
        done = subprocess.run(
            ["bash", "-c", service.start],
            cwd=cwd,
            env=marked,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_LIMIT,
            check=False,
            start_new_session=True,  # Ctrl-C in the terminal is the run's to handle, not the daemon's
        )
    except subprocess.TimeoutExpired:
        raise ServiceFailed(f"service {service.name} did not start within {START_LIMIT} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise ServiceFailed(f"service {service.name} did not start (exit {done.returncode}): {last}")
    exported = {m[1]: m[2] for line in done.stdout.splitlines() if (m := _ASSIGNMENT.match(line))}
    refused = sorted(name for name in exported if name.startswith(_PROTECTED))
    if refused:
        raise ServiceFailed(
            f"service {service.name} tried to set {', '.join(refused)} for the page; "
            "a service may only add variables of its own"
        )
    return RunningService(service.name, folder, exported)


def stop_folder(folder: Path) -> list[str]:
    """End every process marked with this folder (TERM, then KILL), then remove it."""
    ended = procfs.end_processes(lambda: marked_processes(folder), STOP_GRACE)
    shutil.rmtree(folder, ignore_errors=True)
    return ended


def marked_processes(folder: Path) -> list[int]:
    """Processes whose environment names this service folder (those we may read)."""
    return procfs.processes_with_variable(f"{MARKER}={folder}".encode())


def folder_purpose(name: str) -> str:
    return f"service-{name}"


def reap(say: Callable[[str], None]) -> None:
    """End what the services of runs whose process is gone still run, and remove their folders."""
    for path in dead_temp_dirs():
        if SERVICE_DIR in path.name:
            ended = stop_folder(path)
            say(f"reaped an earlier run's service folder {path}" + (f", ending {', '.join(ended)}" if ended else ""))
        elif PAGE_DIR in path.name:
            # A run killed outright (SIGKILL) leaves its page's commands running: each
            # has its home in the page's folder. The folder itself is the engine's to reap.
            ended = procfs.end_processes(
                functools.partial(procfs.processes_with_variable_under, b"HOME", path), STOP_GRACE
            )
            if ended:
                say(f"ended what an earlier run's page still ran ({path}): {', '.join(ended)}")
