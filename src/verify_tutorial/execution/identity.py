"""Who a run is, and the temp folders it works in.

Every run's folders sit in one fixed place, named after the run's pid namespace
and pid, so any later run on this host can tell which belong to runs whose
process is gone, and reap them.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .procfs import pid_namespace, process_alive

TEMP_ROOT = Path("/tmp")  # fixed, not $TMPDIR: every run on this host must see every other's
TEMP_PREFIX = "verify-tutorial-"


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    pid: int
    host: str
    clone: str
    started: str

    @classmethod
    def new(cls, clone: Path) -> RunIdentity:
        return cls(
            run_id=uuid.uuid4().hex[:12],
            pid=os.getpid(),
            host=platform.node(),
            clone=str(clone),
            started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )

    def temp_dir(self, purpose: str) -> Path:
        """A temp dir the reaper can tie to this process:
        /tmp/verify-tutorial-<pid namespace>-<pid>-<purpose>-XXXX."""
        TEMP_ROOT.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{pid_namespace()}-{self.pid}-{purpose}-", dir=TEMP_ROOT))

    def describe(self) -> str:
        return f"pid {self.pid}, clone {self.clone}, started {self.started}"


def _ours_to_judge(path: Path) -> bool:
    """A folder root's runs made, or this user's: another account's could be a forgery
    (a journal naming images that are not theirs)."""
    return path.lstat().st_uid in (0, os.geteuid())


def dead_temp_dirs() -> list[Path]:
    """Temp dirs of runs in this pid namespace whose process is gone (runs in other
    namespaces, say in containers sharing this /tmp, cannot be judged from here)."""
    found = []
    namespace = pid_namespace()
    for path in TEMP_ROOT.glob(f"{TEMP_PREFIX}*"):
        parts = path.name[len(TEMP_PREFIX) :].split("-", 2)
        if len(parts) < 3 or parts[0] != namespace or not parts[1].isdigit():
            continue
        if path.is_dir() and not path.is_symlink() and _ours_to_judge(path) and not process_alive(int(parts[1])):
            found.append(path)
    return found


def remove_dead_folder(path: Path, say: Callable[[str], None]) -> None:
    """A dead run's temp dir, removed and said; another user's stays: theirs (or root's) to reap."""
    shutil.rmtree(path, ignore_errors=True)
    if not path.exists():
        say(f"reaped an earlier run's temp dir {path}")
