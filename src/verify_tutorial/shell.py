"""A page's bash: state carries from command to command, each command is killable.

Every command runs in a real `bash` started in its own process group, so a
timeout can kill the command and everything it spawned. Before it runs, the
shell restores the page's state (working directory, variables, functions,
aliases, options) that the previous command left; after, it saves it again.
A reader pasting the commands into one terminal sees the same state.

Background jobs do not outlive their command: once the command's bash exits,
its whole process group gets SIGKILL, every time, so `server &` in one command
is gone before the next starts (start long-lived servers in a hidden setup
step of the command that uses them, or detach them). Processes that leave the
group, by `setsid`, `nohup setsid`, `docker run -d` (the container belongs to
the Docker daemon), are out of reach and keep running.

A command given a terminal that sits at a prompt reading it, with nothing
(more) scripted to type, is killed after WAITING_FOR_INPUT quiet seconds
instead of at its timeout, and reported as waiting for input.

Only the first HEAD_BYTES and last TAIL_BYTES of a command's output are kept;
a one-line note stands for what lies between.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import pty
import select
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Output kept per command: its start and its end, enough to match a page's
# excerpt and to show a failure, without holding a 50 MB log in memory.
HEAD_BYTES = 64 * 1024
TAIL_BYTES = 64 * 1024

# The next line of scripted input is typed once output has paused this long
# with the cursor left on an unfinished line: a prompt ("(Pdb) ", ">>> ",
# "name? ") waiting. A pause after a complete line is usually work (an import,
# a download), so there the verifier waits longer before typing blind.
TYPING_PAUSE = 0.3
BLIND_TYPING_PAUSE = 5.0

# Quiet this long at a prompt, reading the terminal, with nothing left to type:
# the command waits for a reader who will never come.
WAITING_FOR_INPUT = 3.0

# Where the kernel says a thread sleeps when it reads a terminal (n_tty_read,
# wait_woken) or selects on one (readline, so pdb and `read -e`).
_TERMINAL_WAITS = ("n_tty_read", "wait_woken", "do_select", "poll_schedule_timeout")

# Bash's own variables, which cannot or must not be carried over.
_SKIP_VARIABLES = (
    "BASH*|PIPESTATUS|FUNCNAME|GROUPS|PPID|UID|EUID|SHLVL|RANDOM|SRANDOM|SECONDS|LINENO|"
    "HISTCMD|EPOCHREALTIME|EPOCHSECONDS|SHELLOPTS|DIRSTACK|COMP_*|PWD|OLDPWD|_|__verify_*"
)
_SAVE_STATE = f"""
__verify_status=$?
{{
  for __verify_name in $(compgen -v); do
    case $__verify_name in {_SKIP_VARIABLES}) continue ;; esac
    declare -p "$__verify_name" 2>/dev/null
  done
  declare -f
  alias -p
  shopt -p
  printf 'cd -- %q\\n' "$PWD"
}} > "$__verify_state_out"
exit $__verify_status
"""


@dataclass
class Outcome:
    status: int | None  # None when the command was killed (timed out, or waiting for input)
    output: str
    duration: float
    timed_out: bool = False
    # Killed at a prompt reading its terminal, with no scripted input left to type:
    # the block needs stdin="..." in its verify options.
    waiting_for_input: bool = False


class PageShell:
    """The shell state of one page (or one named session on it)."""

    def __init__(self, workdir: Path, state_dir: Path, env: dict[str, str]):
        self.env = env
        self.state_dir = state_dir
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._state = self.state_dir / "state.sh"
        self._state.write_text(f"cd -- {_quote(workdir)}\n")
        self._count = 0

    def run(
        self,
        command: str,
        timeout: float,
        stdin: str | None = None,
        use_pty: bool = False,
        on_output: Callable[[str], None] | None = None,
    ) -> Outcome:
        self._count += 1
        script = self.state_dir / f"command-{self._count}.sh"
        next_state = self.state_dir / f"state-{self._count}.sh"
        script.write_text(command + "\n")
        wrapper = (
            f"__verify_state_out={_quote(next_state)}\n"
            f"source {_quote(self._state)} >/dev/null 2>&1\n"
            "shopt -s expand_aliases\n"
            f'eval "$(< {_quote(script)})"\n'
            f"{_SAVE_STATE}"
        )
        argv = ["bash", "--noprofile", "--norc", "-c", wrapper]
        start = time.monotonic()
        capture = _Capture(on_output)
        # For `docker exec -it` and debuggers: a terminal, fed the scripted input.
        terminal = use_pty or stdin is not None
        process, fd, tty = _start(argv, self.env, terminal)
        pidfd = _pidfd(process)
        try:
            ending = _pump(fd, process, pidfd, timeout, capture, (stdin or "").splitlines(True), tty)
            _kill_group(process)  # bash has exited or is to die: whatever it left running goes too
            _drain(fd, capture)
        finally:
            _kill_group(process)
            os.close(fd)
            if pidfd is not None:
                os.close(pidfd)
            status = process.wait()
        if next_state.exists():
            self._state = next_state
        return Outcome(
            status=status if ending == "exited" else None,
            output=capture.text(),
            duration=time.monotonic() - start,
            timed_out=ending == "timeout",
            waiting_for_input=ending == "waiting",
        )


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def _start(argv, env, terminal: bool):
    """Start bash in its own process group (killable as a whole), its output on one fd.

    Returns (process, fd to read, terminal's device name or None).
    """
    if terminal:
        reader, writer = pty.openpty()
        tty = os.ttyname(writer)
        stdin, env = writer, {**env, "TERM": "dumb"}
    else:
        reader, writer = os.pipe()
        tty, stdin = None, subprocess.DEVNULL
    try:
        process = subprocess.Popen(argv, stdin=stdin, stdout=writer, stderr=writer, env=env, start_new_session=True)
    except BaseException:
        os.close(reader)
        raise
    finally:
        os.close(writer)  # only the command holds it now, so its end means EOF
    return process, reader, tty


def _pidfd(process: subprocess.Popen) -> int | None:
    """A descriptor that becomes readable when bash exits (Linux 5.3 on), or None."""
    try:
        return os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        return None


def _exited(process: subprocess.Popen) -> bool:
    """Whether bash has exited, leaving it unreaped: its pid keeps naming its process group."""
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped already
        return True


def _kill_group(process: subprocess.Popen) -> None:
    if process.returncode is None:  # never once reaped, so the group id is still ours
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(process.pid, signal.SIGKILL)


def _pump(fd, process, pidfd, timeout, capture, typed_lines, tty):
    """Read the output until bash exits, typing each scripted line when a prompt waits.

    Typing only then keeps the terminal's echo of the input in the right place
    in the transcript. Returns how it ended: "exited", "timeout" or "waiting".
    """
    typed = list(typed_lines)
    deadline = time.monotonic() + timeout
    last_output = time.monotonic()
    open_ = True  # until EOF: then bash is exiting, or has closed its output and works on
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        watch = [f for f in (fd if open_ else None, pidfd) if f is not None]
        if typed:
            pause = TYPING_PAUSE
        elif open_ or pidfd is not None:
            pause = 0.5
        else:  # nothing would wake select when bash exits
            pause = 0.02
        ready = fd in select.select(watch, [], [], min(left, pause))[0]
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # a pty reports EIO once the other side is closed
                data = b""
            if data:
                capture.add(data)
                last_output = time.monotonic()
            open_ = bool(data)
        # Checked even while output flows: a background job may chat on after bash is done.
        # (pidfd, readable once bash exits, wakes select for it at once.)
        if _exited(process):
            return "exited"
        if ready or not open_:
            continue
        quiet = time.monotonic() - last_output
        if typed:
            if quiet >= BLIND_TYPING_PAUSE or (quiet >= TYPING_PAUSE and capture.at_prompt()):
                os.write(fd, typed.pop(0).encode())
                last_output = time.monotonic()  # the next line waits for the answer to this one
        elif tty and quiet >= WAITING_FOR_INPUT and capture.at_prompt() and _reads_terminal(process.pid, tty):
            return "waiting"


def _drain(fd, capture) -> None:
    """Read what the killed group wrote last.

    Stops once quiet, or after a second, as a process that left the group may hold the fd.
    """
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and select.select([fd], [], [], 0.1)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return
        if not data:
            return
        capture.add(data)


def _reads_terminal(group: int, tty: str) -> bool:
    """Whether a thread of the group sleeps reading the terminal, or waiting for it to be readable.

    The kernel names where each thread sleeps (its wait channel) and the
    arguments of the call it sleeps in. A read's first argument is the fd; a
    select's is one past the highest fd, which for a terminal on 0 to 2 is still
    the terminal. A slow command sleeps elsewhere: in `sleep`, in waiting for a
    child, on a socket. (For `docker exec -it` this holds throughout, as the
    client always reads its terminal, so there the prompt and the quiet decide.)
    """
    for pid in filter(str.isdigit, os.listdir("/proc")):
        tasks = []
        with contextlib.suppress(OSError, ValueError):  # gone meanwhile
            stat = Path(f"/proc/{pid}/stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) == group:  # its process group
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
        for task in tasks:
            # Errors: gone, running (no call to show), or not ours to read (setuid).
            with contextlib.suppress(OSError, ValueError, IndexError):
                if (task / "wchan").read_text().startswith(_TERMINAL_WAITS):
                    fd = int((task / "syscall").read_text().split()[1], 16)
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in (tty, "/dev/tty"):  # ssh reads /dev/tty
                        return True
    return False


class _Capture:
    """A command's output: its first HEAD_BYTES and last TAIL_BYTES, counting what lies between.

    on_output is given the head as it comes, then a note once, then nothing:
    the end is in the Outcome.
    """

    def __init__(self, on_output: Callable[[str], None] | None):
        self.on_output = on_output
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.head = bytearray()
        self.tail: deque[bytes] = deque()  # whole chunks, trimmed from the left as more come
        self.tail_size = 0
        self.left_out = 0  # bytes dropped between head and tail
        self.left_out_lines = 0
        self.last = b""

    def add(self, data: bytes) -> None:
        self.last = data[-1:]
        room = max(0, HEAD_BYTES - len(self.head))
        self.head += data[:room]
        self._show(data[:room])
        data = data[room:]
        if not data:
            return
        if not self.tail_size:  # the first byte past the head
            self._show_note()
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail_size - len(self.tail[0]) >= TAIL_BYTES:
            dropped = self.tail.popleft()
            self.tail_size -= len(dropped)
            self.left_out += len(dropped)
            self.left_out_lines += dropped.count(b"\n")

    def at_prompt(self) -> bool:
        """Whether the cursor waits on an unfinished line."""
        return self.last not in (b"", b"\n", b"\r")

    def text(self) -> str:
        head, tail = bytes(self.head), b"".join(self.tail)
        cut = max(0, len(tail) - TAIL_BYTES)
        if not cut and not self.left_out:
            return (head + tail).decode("utf-8", "replace")
        size = self.left_out + cut
        lines = self.left_out_lines + tail[:cut].count(b"\n")
        tail = tail[cut:]
        # Cut both at line ends, so that the note stands on a line of its own.
        end = head.rfind(b"\n") + 1
        if end:
            size += len(head) - end  # its line ends, and is counted, further on
            head = head[:end]
        else:
            head += b"\n"
        start = tail.find(b"\n") + 1
        if start:
            size += start
            lines += 1
            tail = tail[start:]
        note = f"... [{lines:,} lines ({_size(size)}) left out] ...\n"
        return head.decode("utf-8", "replace") + note + tail.decode("utf-8", "replace")

    def _show(self, data: bytes) -> None:
        if self.on_output is not None and data:
            self.on_output(self.decoder.decode(data))

    def _show_note(self) -> None:
        if self.on_output is not None:
            newline = "" if self.head.endswith(b"\n") else "\n"
            self.on_output(f"{newline}... [more output; only its last {TAIL_BYTES // 1024} KiB are kept] ...\n")


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    if count >= 1_000:
        return f"{count / 1_000:.1f} kB"
    return f"{count} bytes"
