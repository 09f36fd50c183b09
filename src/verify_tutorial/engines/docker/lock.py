"""One verify run per engine at a time, on this host.

Two runs on one engine would fight over the names the guide uses (`dp`, the
image tags). The first run holds an flock on a file named after the engine;
a second waits for it (saying who holds it) or, with --no-wait, refuses at
once. The kernel drops the lock when its holder dies, even by SIGKILL, so a
dead run never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import EngineBusy
from ...execution.identity import TEMP_ROOT

WAIT_REPORT_EVERY = 60.0  # seconds between "still waiting" lines
_HELD: set[Path] = set()  # the locks this process holds: waiting on one of them would never end


class EngineLock:
    def __init__(self, engine_id: str, holder: dict[str, str]):
        digest = hashlib.sha256(engine_id.encode()).hexdigest()[:16]
        # /tmp itself, not $TMPDIR: root's run and each user's must find the same file.
        self.path = TEMP_ROOT / f"verify-tutorial-engine-{digest}.lock"
        self.holder = holder
        self._fd: int | None = None

    def acquire(self, wait: bool, say: Callable[[str], None]) -> None:
        fd = self._open()
        if not self._try(fd):
            if self.path in _HELD:
                os.close(fd)  # waiting on ourselves would never end
                raise EngineBusy("this process already holds the engine; a run opened it twice (a bug: report it)")
            who = self._describe_holder()
            if not wait:
                os.close(fd)
                raise EngineBusy(f"another verify run holds this engine ({who}); wait for it, or run without --no-wait")
            say(f"waiting: another verify run holds this engine ({who})")
            last = time.monotonic()
            while not self._try(fd, block_for=1.0):
                if time.monotonic() - last >= WAIT_REPORT_EVERY:
                    say(f"still waiting for the run holding this engine ({self._describe_holder()})")
                    last = time.monotonic()
        with contextlib.suppress(OSError):  # read-only (see _open): the holder goes unnamed
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(self.holder).encode(), 0)
        self._fd = fd
        _HELD.add(self.path)

    def _open(self) -> int:
        """The lock file, shared by every user of the engine (root, and each member of
        the docker group). It is made writable by all, so any run can name itself in
        it; it is never opened with O_CREAT once it exists, since /tmp's sticky bit
        (fs.protected_regular) refuses that for another user's file. A lock an older
        version made read-only still locks: flock needs no write access."""
        while True:
            for flags in (os.O_RDWR, os.O_RDONLY):
                try:
                    return os.open(self.path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)
                except PermissionError:
                    continue
                except FileNotFoundError:
                    break
            else:
                raise EngineBusy(f"cannot open the engine's lock {self.path}; ask root to remove it, then run again")
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
            except FileExistsError:  # another run made it just now: open theirs
                continue
            os.fchmod(fd, 0o666)  # whatever the umask
            return fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            _HELD.discard(self.path)
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def _try(fd: int, block_for: float = 0.0) -> bool:
        deadline = time.monotonic() + block_for
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.1)

    def _holder(self) -> dict[str, str]:
        try:
            holder = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _describe_holder(self) -> str:
        holder = self._holder()
        if not holder:
            return "a run that is just starting"
        return f"pid {holder.get('pid')}, clone {holder.get('clone')}, since {holder.get('started')}"
