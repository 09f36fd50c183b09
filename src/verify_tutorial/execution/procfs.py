"""What /proc says about processes: which exist, their parents and children,
their environment. Linux only, like the shell that needs it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def pid_namespace() -> str:
    """Which process IDs this process sees: a pid is only meaningful within its namespace."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "0"


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's, but alive; or not a pid we can judge: never reap it
    return True


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def read(path: str) -> bytes:
    """A /proc file's first 64 KiB (one read, as the kernel hands it over)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def stat(pid: int) -> tuple[str, int, int] | None:
    """(state, process group, session) of a process, or None once it is gone."""
    try:
        data = read(f"/proc/{pid}/stat")
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    return fields[0].decode(), int(fields[2]), int(fields[3])


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in read(f"/proc/{pid}/task/{pid}/children").split()]
    except FileNotFoundError:
        if os.path.exists(f"/proc/{pid}"):  # a kernel without the children file: look at every process
            return [child for child in all_pids() if parent(child) == pid]
        return []
    except OSError:
        return []


def parent(pid: int) -> int | None:
    try:
        data = read(f"/proc/{pid}/stat")
    except OSError:
        return None
    return int(data[data.rindex(b")") + 2 :].split()[1])


def _environments() -> Iterator[tuple[int, list[bytes]]]:
    """(pid, NAME=VALUE entries) of every other process whose environment we may read."""
    for pid in all_pids():
        if pid == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()  # whole: a marker may sit past 64 KiB
        except OSError:
            continue  # gone, or not ours to read (so not started by us)
        yield pid, environ.split(b"\0")


def processes_with_variable(assignment: bytes) -> list[int]:
    """Processes (other than this one) whose environment holds NAME=VALUE, among those we may read."""
    return [pid for pid, entries in _environments() if assignment in entries]


def processes_with_variable_under(name: bytes, folder: Path) -> list[int]:
    """Processes (other than this one) whose variable `name` is `folder` or a path in it."""
    exact, inside = name + b"=" + bytes(folder), name + b"=" + bytes(folder) + b"/"
    return [pid for pid, entries in _environments() if any(e == exact or e.startswith(inside) for e in entries)]


def end_processes(find: Callable[[], list[int]], grace: float) -> list[str]:
    """End the processes `find` lists: TERM, up to `grace` seconds to go, then KILL.
    Returns their names."""
    pids = find()
    ended = [command_name(pid) for pid in pids]
    for pid in pids:
        send(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = find()
    for pid in pids:
        send(pid, signal.SIGKILL)
    return sorted(set(ended))


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8").strip()
    except OSError:
        return str(pid)


def send(pid: int, number: signal.Signals) -> None:
    """A signal to a process that may be gone already, or not ours."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, number)
