"""A page's bash: one long-lived shell per page (per named session), each command killable.

The shell is started once, on the first command, and every command of the page
runs in it, as a reader pasting the commands into one terminal would see them:
the working directory, variables, exports, functions, aliases, options and
traps simply stay, and `$?` at the start of a command is the previous
command's status.

Job control is on (`set -m`), as in a terminal, so each pipeline a command
starts runs in a process group of its own, never in the shell's: a timeout
kills the command's processes, group by group, and the shell lives on for the
next command. `jobs`, `%1`, `kill %1` and `wait %1` work; a background job that
a signal kills during its command is reported (`[1]+ Terminated ...`) in that
command's output, as a terminal would report it.

Background jobs do not outlive their command: once the command ends, whatever
it left running gets SIGKILL, every time, so `server &` in one command is gone
before the next starts (start long-lived servers in the command that uses
them, or detach them). This holds for processes left behind by a job that
ended too: the shell's parent is a child subreaper, which collects every
orphan of the page's commands. Processes that leave the session, by `setsid`,
`nohup setsid`, `docker run -d` (the container belongs to the Docker daemon),
are out of reach and keep running.

A command that leaves the shell does not end the page: `exit 3` (or a failure
under `set -e`, or `set -u` meeting an unset variable) ends that command with
its status (3), and the next command runs in a shell with the same state, as
if the reader had reopened the terminal just as it was. `set -e` stays in force
for the commands after it, as it would in that terminal. (The shell saves its
state and replaces itself with a fresh bash that reloads it; exported
variables, the directory and the umask pass through untouched.) A timeout
or a prompt nobody answers interrupts the command the same way: the state
it had reached carries on, as after Ctrl-C. `exec program`, which replaces the
shell, ends it for good: that command's status is the program's, and the next
command starts in a fresh shell in the page's directory. So does `exit` once a
page has set an EXIT trap of its own, which replaces the shell's.

A command given a terminal that sits at a prompt reading it, with nothing
(more) scripted to type, is killed after WAITING_FOR_INPUT quiet seconds
instead of at its timeout, and reported as waiting for input.

Only the first HEAD_BYTES and last TAIL_BYTES of a command's output are kept;
a one-line note stands for what lies between.

Commands read /dev/null, or a terminal of their own, which is never the
shell's controlling terminal (there is none: /dev/tty cannot be opened). Their
output reaches the verifier through a named pipe, replaced whenever something
out of reach still holds it, so nothing a command leaves behind can write into
a later command's output. Bash's messages read as in an interactive terminal
("bash: foo: command not found"); `set -x` traces show one `+` more, as each
command is sourced from a file. The shell's own descriptors 250 to 252 (its
instructions, its reports, its log) are inherited by commands: a page should
not reuse those numbers.
"""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..document.console import left_out_note
from . import procfs
from .accounts import Account, is_someone_else

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

# An interrupted command's shell is given this long to give the command up and
# report; one that does not (a builtin stuck in a system call) is killed, and
# the next command starts in a fresh shell.
INTERRUPT_GRACE = 5.0

# A shell that has not started (or reloaded its saved state) in this long never will.
STARTING = 30.0

# Where the kernel says a thread sleeps when it reads a terminal (n_tty_read,
# wait_woken) or selects on one (readline, so pdb and `read -e`).
_TERMINAL_WAITS = ("n_tty_read", "wait_woken", "do_select", "poll_schedule_timeout")

# The shell's descriptors: the instructions it reads, the reports it writes, its log.
_CONTROL, _REPORT, _LOG = 250, 251, 252

# Sent to make the shell give up its command. Ignored by default, so a copy
# that lands between two shells, or in a child, does nothing.
_INTERRUPT = signal.SIGURG

# Bash's own variables, which cannot or must not be carried over.
_SKIP_VARIABLES = (
    "BASH*|PIPESTATUS|FUNCNAME|GROUPS|PPID|UID|EUID|RANDOM|SRANDOM|SECONDS|LINENO|"
    "HISTCMD|EPOCHREALTIME|EPOCHSECONDS|SHELLOPTS|DIRSTACK|COMP_*|PWD|_|__verify_*"
)

# The shell's own set-up, run at its start (see the comments in that file).
_SETUP = (Path(__file__).parent / "bash_setup.sh").read_text(encoding="utf-8")


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
    """The shell state of one page (or one named session on it): one bash, started on first use."""

    def __init__(self, workdir: Path, state_dir: Path, env: dict[str, str], account: Account | None = None):
        self.env = env
        self.workdir = workdir
        self.state_dir = state_dir
        self.account = account  # who the shell runs as; None: as the verifier
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if is_someone_else(account):
            # The verifier's: the account enters it, and writes only in its own folder
            # there, so nothing the verifier opens in it can be swapped for a link.
            self.state_dir.chmod(0o711)
        self._bash: _Bash | None = None
        self._status = 0  # the last command's, for `$?`

    def run(
        self,
        command: str,
        timeout: float,
        stdin: str | None = None,
        use_pty: bool = False,
        on_output: Callable[[str], None] | None = None,
    ) -> Outcome:
        start = time.monotonic()
        if self._bash is None or not self._bash.alive:
            self._bash = _Bash(self.workdir, self.state_dir, self.env, self.account)
        bash = self._bash
        if on_output is not None:  # (a message cut across two pieces keeps bash's words)
            on_output = _rewritten(on_output, bash)
        capture = _Capture(on_output)
        # For `docker exec -it` and debuggers: a terminal, fed the scripted input.
        channel = _Channel(bash.pipe, terminal=use_pty or stdin is not None, owner=self.account)
        try:
            bash.send(bash.command_line(command, channel, self._status))
            ending, status = _pump(bash, channel, timeout, capture, (stdin or "").splitlines(True))
            left: str | None = ending
            if ending in ("timeout", "waiting"):
                left, status = bash.interrupt(channel, capture)
            if bash.alive:
                bash.kill_leftovers()  # whatever the command left running goes, every time
            channel.finish(capture)
        finally:
            channel.close()
        bash.settle(left)
        killed = ending in ("timeout", "waiting")
        self._status = status if status is not None else 137
        return Outcome(
            status=None if killed else status,
            output=bash.messages(capture.text(), killed),
            duration=time.monotonic() - start,
            timed_out=ending == "timeout",
            waiting_for_input=ending == "waiting",
        )

    def close(self) -> None:
        """End the shell and everything still running in its session."""
        if self._bash is not None:
            self._bash.close()
            self._bash = None

    def __enter__(self) -> PageShell:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rewritten(on_output: Callable[[str], None], bash: _Bash) -> Callable[[str], None]:
    return lambda text: on_output(bash.messages(text, interrupted=False))


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


class _Pipe:
    """The named pipe that commands without a terminal write to: one per shell, reused while clean.

    Its reading end stays open between commands. Once a command is done and
    nothing holds the writing end any more, the pipe is empty and ends, so the
    next command can have it. One still held (by a process that left the
    session) is replaced, so that nothing written to it later reaches another
    command's output.
    """

    def __init__(self, path: Path, owner: Account | None = None):
        self.path = path
        self.owner = owner  # the shell's account, which opens the writing end
        self.fd = -1

    def open(self) -> int:
        """The reading end, opening it (and making the pipe) if needed."""
        if self.fd < 0:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            os.mkfifo(self.path, 0o600)
            if self.owner is not None:
                self.owner.give(self.path)
            self.fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        return self.fd

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


class _Channel:
    """A command's stdin, stdout and stderr: the shell's named pipe (stdin /dev/null), or a terminal.

    The verifier holds a writing end of its own until the command is done, so
    that the end of output is known only then: when the command and what it
    left behind are gone.
    """

    def __init__(self, pipe: _Pipe, terminal: bool, owner: Account | None = None):
        self.tty: str | None = None
        self._pipe: _Pipe | None = None
        if terminal:
            self.fd, self._held = pty.openpty()
            if owner is not None and is_someone_else(owner):  # a terminal is its user's, as at a login
                os.fchown(self._held, owner.uid, -1)
            os.set_blocking(self.fd, False)
            self.tty = os.ttyname(self._held)
            self.redirect = f"<>{_quote(self.tty)} >&0 2>&0"
        else:
            self._pipe = pipe
            self.fd = pipe.open()
            self._held = os.open(pipe.path, os.O_WRONLY | os.O_NONBLOCK)
            self.redirect = '</dev/null >"$__verify_output" 2>&1'

    def read(self) -> bytes:
        try:
            return os.read(self.fd, 65536)
        except OSError:  # nothing yet; or, from a terminal, EIO: no one holds its other side
            return b""

    def finish(self, capture: _Capture) -> None:
        """Read what is left, once the verifier's own writing end is closed.

        Stops at the end, or once quiet for a second, as a process that left
        the session (setsid) may hold the output open.
        """
        os.close(self._held)
        self._held = -1
        deadline = time.monotonic() + 1.0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                if time.monotonic() < deadline and _ready([self.fd], 0.1):
                    continue
                break  # held open by something out of reach
            except OSError:  # EIO: the terminal's other side is closed everywhere
                return
            if not data:
                return
            capture.add(data)
        if self._pipe is not None:
            self._pipe.discard()

    def close(self) -> None:
        if self._held >= 0:
            os.close(self._held)
            self._held = -1
            if self._pipe is not None:  # not finished: whatever is in it is no one's
                self._pipe.discard()
        if self._pipe is None:
            os.close(self.fd)


def _pump(
    bash: _Bash, channel: _Channel, timeout: float, capture: _Capture, typed_lines: Iterable[str]
) -> tuple[str, int | None]:
    """Read the output until the shell reports, typing each scripted line when a prompt waits.

    Typing only then keeps the terminal's echo of the input in the right place
    in the transcript. Returns (how it ended, status): ("done", status),
    ("exited", status) when the command left the shell, ("died", status) when
    the shell itself ended, ("timeout", None) or ("waiting", None).
    """
    typed = list(typed_lines)
    deadline = time.monotonic() + timeout
    last_output = time.monotonic()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            ending, status = bash.report(0)  # one that just came wins over the timeout
            return (ending, status) if ending is not None else ("timeout", None)
        pause = TYPING_PAUSE if typed else 0.5
        ready = bash.wait(channel.fd, min(left, pause))
        if channel.fd in ready:
            data = channel.read()
            if data:
                capture.add(data)
                last_output = time.monotonic()
        if any(fd != channel.fd for fd in ready):  # the shell reported, or ended
            ending, status = bash.report(0)
            if ending is not None:
                return ending, status
        if ready:
            continue
        quiet = time.monotonic() - last_output
        if typed:
            if quiet >= BLIND_TYPING_PAUSE or (quiet >= TYPING_PAUSE and capture.at_prompt()):
                os.write(channel.fd, typed.pop(0).encode())
                last_output = time.monotonic()  # the next line waits for the answer to this one
        elif (
            channel.tty
            and quiet >= WAITING_FOR_INPUT
            and capture.at_prompt()
            and _reads_terminal(bash.session, channel.tty)
        ):
            return "waiting", None


class _Bash:
    """The long-lived bash of one PageShell, and the session it runs in.

    Two processes: a session leader, which is a child subreaper (so that every
    orphan of the page's commands becomes its child, findable and killable)
    and runs the shell as its only child. The shell is not the session leader,
    so opening a command's terminal never makes it the shell's controlling
    terminal: as before, commands have none (/dev/tty is not available).
    """

    def __init__(self, workdir: Path, state_dir: Path, env: dict[str, str], account: Account | None = None):
        self.dir = state_dir
        other = account if is_someone_else(account) else None  # the account to become, if any
        # Where the shell writes its saved state: its account's own folder, when it has one.
        self.own = state_dir / "own" if other else state_dir
        if other:
            self.own.mkdir(mode=0o700, exist_ok=True)
            os.lchown(self.own, other.uid, other.gid)
        self.alive = True
        self._buffer = b""
        self._bash = shutil.which("bash", path=env.get("PATH", os.defpath)) or "bash"
        self.script = state_dir / "command"
        # Bash names the command file, or its own input, in its messages.
        name = f"(?:{re.escape(str(self.script))}|/dev/fd/{_CONTROL})"
        self._message = re.compile(rf"{name}: line \d+: ")
        self._kill_report = re.compile(rf"{name}: line \d+: +\d+ Killed\b[^\n]*\n?")
        self._script_fd = os.open(self.script, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        if other:
            other.give(self.script)
        self.pipe = _Pipe(state_dir / "output", other)
        control_read, self._control = os.pipe()
        self._reports, report_write = os.pipe()
        control_read, report_write = _above(control_read), _above(report_write)  # clear of 250 to 252
        os.set_blocking(self._reports, False)
        log = os.open(state_dir / "shell.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
        leader = (
            f"exec {_CONTROL}<&{control_read} {_REPORT}>&{report_write} {_LOG}>&2 {control_read}<&- {report_write}>&-; "
            f"{_quote(self._bash)} --noprofile --norc /dev/fd/{_CONTROL}; exit $?"
        )
        # Another account's shell: its uid, gid and groups, set before bash starts.
        if other:  # bash reopens its instructions as /dev/fd/250: the pipe must be its own
            for fd in (control_read, report_write):
                os.fchown(fd, other.uid, other.gid)
        try:
            self.leader = subprocess.Popen(
                [self._bash, "--noprofile", "--norc", "-c", leader],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                cwd=workdir,  # not the verifier's own, which the account may not enter
                pass_fds=(control_read, report_write),
                start_new_session=True,
                preexec_fn=_become_subreaper,  # one prctl call: no lock another thread could hold
                user=other.uid if other else None,
                group=other.gid if other else None,
                extra_groups=list(other.group_ids) if other else None,
            )
        except BaseException:
            for fd in (self._control, self._reports, self._script_fd):
                os.close(fd)
            raise
        finally:
            for fd in (control_read, report_write, log):
                os.close(fd)
        self.session = self.leader.pid  # also the group of the leader and the shell
        self._pidfd = _pidfd(self.leader)
        self._finalizer = weakref.finalize(
            self, _shut_down, self.leader, self.session, [self._control, self._reports, self._script_fd], self.pipe
        )
        self._setup = _SETUP.replace("@DIR@", _quote(self.own)).replace("@SKIP@", _SKIP_VARIABLES)
        self._setup = self._setup.replace("@BASH@", _quote(self._bash)).replace("@COMMAND@", _quote(self.script))
        self._setup = self._setup.replace("@OUTPUT@", _quote(self.pipe.path))
        self.pid = 0
        self.send(self._setup + f"set -m\nshopt -s expand_aliases\n\\builtin cd -- {_quote(workdir)}\n")
        try:
            self._until_ready()
        except BaseException:
            self.close()
            raise

    # -- talking to the shell

    def command_line(self, command: str, channel: _Channel, previous: int) -> str:
        """The line the shell runs: the command as typed, `$?` set, its output to the channel.

        The command is sourced from a file, so that bash numbers its lines from
        1 and names the file in its messages (see messages()).
        """
        data = (command + "\n").encode("utf-8", "surrogateescape")
        os.pwrite(self._script_fd, data, 0)  # not O_TRUNC: ext4 flushes a file truncated to 0 on close
        os.ftruncate(self._script_fd, len(data))
        # `&& :` keeps a non-zero status from tripping `set -e` while setting `$?`.
        source = f'\\builtin source "$__verify_command" {channel.redirect};__verify_done "$?"\n'
        if channel.tty:
            return f"__verify_go_tty {previous & 255}&&:;TERM=dumb {source}"
        return f"__verify_go {previous & 255}&&:;{source}"

    def messages(self, text: str, interrupted: bool) -> str:
        """Bash's messages as a reader's terminal shows them: "bash: foo: command not found".

        Bash names the command file and the line ("/tmp/.../command: line 1: ");
        an interactive shell says "bash: ". After an interrupt, bash's report
        of the job the verifier killed ("... Killed ...") goes.
        """
        if ": line " not in text:
            return text
        if interrupted:
            text = self._kill_report.sub("", text)
        return self._message.sub("bash: ", text)

    def send(self, text: str) -> None:
        try:
            os.write(self._control, text.encode("utf-8", "surrogateescape"))
        except BrokenPipeError:
            self.alive = False

    def wait(self, fd: int, seconds: float) -> list[int]:
        """Wait for output on fd, a report, or the shell's end."""
        watch = [fd, self._reports] + ([self._pidfd] if self._pidfd is not None else [])
        ready = _ready(watch, seconds)
        if self._pidfd is None and self.leader.poll() is not None:
            ready.append(-1)
        return ready

    def report(self, seconds: float) -> tuple[str | None, int | None]:
        """The next report, waiting up to seconds: ("done"|"exited"|"died", status) or (None, None)."""
        deadline = time.monotonic() + seconds
        while True:
            line = self._line()
            if line is not None:
                kind, _, value = line.partition(" ")
                if kind in ("d", "x") and value.isdigit():
                    return ("done" if kind == "d" else "exited"), int(value)
                continue  # a late "p" line, or a page writing to the shell's descriptor
            if self._ended():
                self.alive = False
                return "died", _status(self.leader.wait())
            left = deadline - time.monotonic()
            if left <= 0:
                return None, None
            _ready([self._reports] + ([self._pidfd] if self._pidfd is not None else []), min(left, 0.05))

    def _line(self) -> str | None:
        while b"\n" not in self._buffer:
            try:
                data = os.read(self._reports, 4096)
            except BlockingIOError:
                return None
            if not data:
                return None
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def _ended(self) -> bool:
        if self._pidfd is not None and not _ready([self._pidfd], 0):
            return False  # (cheaper than asking with waitpid)
        return self.leader.poll() is not None

    def _until_ready(self) -> None:
        """Wait for the shell's "p PID": it has run the setup (and loaded any saved state)."""
        deadline = time.monotonic() + STARTING
        while True:
            line = self._line()
            if line is not None and line.startswith("p "):
                self.pid = int(line[2:])
                return
            if line is None:
                if self._ended() or time.monotonic() > deadline:
                    self.alive = False
                    log = (self.dir / "shell.log").read_text(errors="replace").strip().splitlines()
                    raise RuntimeError(f"the page's bash did not start: {log[-1] if log else 'no message'}")
                _ready([self._reports], 0.05)

    # -- ending commands

    def interrupt(self, channel: _Channel, capture: _Capture) -> tuple[str | None, int | None]:
        """Make the shell give up its command: kill the command's processes, then its builtins.

        The shell's trap leaves the command (saving the state it reached) once
        its foreground job is gone; the signal is repeated, as one that lands
        just before a blocking read is only seen after it. A shell that does
        not give up in INTERRUPT_GRACE is killed with everything in its
        session. Returns the shell's report, as report() does, or (None, None).
        """
        deadline = time.monotonic() + INTERRUPT_GRACE
        while self.alive and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, _INTERRUPT)
            self.kill_leftovers(patience=0.05)
            while _ready([channel.fd], 0):  # keep the output flowing
                data = channel.read()
                if not data:
                    break
                capture.add(data)
            ending, status = self.report(0.05)
            if ending is not None:
                return ending, status
        self.close()
        return None, None

    def kill_leftovers(self, patience: float = INTERRUPT_GRACE) -> None:
        """SIGKILL every process of the session but the leader and the shell, until none is left.

        They are the shell's children (jobs, command substitutions) and the
        leader's other children (orphans), with their descendants. A job's
        group is killed whole; a process in the shell's own group alone.
        """
        deadline = time.monotonic() + patience
        pause = 0.0005
        while True:
            found = self._leftovers()
            if not found or time.monotonic() > deadline:  # (a process stuck in the kernel waits)
                return
            for pid, group in found:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if group != self.session:
                        os.killpg(group, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _leftovers(self) -> list[tuple[int, int]]:
        """(pid, process group) of every live process under the shell and the leader."""
        found = []
        todo = [pid for pid in procfs.children(self.session) if pid != self.pid] + procfs.children(self.pid)
        while todo:
            pid = todo.pop()
            stat = procfs.stat(pid)
            if stat is None:
                continue
            state, group, session = stat
            if session != self.session:  # left by setsid: out of reach, by the rule
                continue
            if state not in "ZX":
                found.append((pid, group))
            todo += procfs.children(pid)
        return found

    def settle(self, ending: str | None) -> None:
        """After a command: reload the state of a shell that left; a shell that died is closed."""
        if not self.alive or ending in (None, "died") or self._ended():
            self.close()
        elif ending == "exited":
            self.send(f"\\builtin source {_quote(self.own / 'state.sh')}\n{self._setup}")
            try:
                self._until_ready()
            except RuntimeError:
                self.close()

    def close(self) -> None:
        self.alive = False
        self._finalizer()


def _above(fd: int, lowest: int = 256) -> int:
    """The same file on a descriptor numbered lowest or more, the old one closed."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)
    os.close(fd)
    return high


def _status(returncode: int) -> int:
    return returncode if returncode >= 0 else 128 - returncode


def _shut_down(leader: subprocess.Popen[bytes], session: int, fds: list[int], pipe: _Pipe) -> None:
    """Kill everything in the shell's session, the leader last, so that it reaps the rest."""
    _kill_session(session, spare=leader.pid)
    try:
        leader.wait(timeout=2)  # it ends once the shell has
    except subprocess.TimeoutExpired:
        leader.kill()
        leader.wait()
    pipe.discard()
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _kill_session(session: int, spare: int) -> None:
    for _ in range(100):
        members = []
        for pid in procfs.all_pids():
            stat = procfs.stat(pid)
            if pid != spare and stat is not None and stat[2] == session and stat[0] not in "ZX":
                members.append(pid)
        if not members:
            return
        for pid in members:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


_PR_SET_CHILD_SUBREAPER = 36
_prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)  # Linux only


def _become_subreaper() -> None:
    """In the session leader, before bash starts: orphans below it become its children."""
    if _prctl is not None:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _ready(fds: list[int], seconds: float) -> list[int]:
    """Which of fds can be read (or are at their end), waiting up to seconds; poll has no limit on fd numbers."""
    poll = select.poll()
    for fd in fds:
        poll.register(fd, select.POLLIN)
    return [fd for fd, _ in poll.poll(max(0.0, seconds) * 1000)]


def _pidfd(process: subprocess.Popen[bytes]) -> int | None:
    """A descriptor that becomes readable when the process exits (Linux 5.3 on), or None."""
    try:
        return os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        return None


def _reads_terminal(session: int, tty: str) -> bool:
    """Whether a thread of the session sleeps reading the terminal, or waiting for it to be readable.

    The kernel names where each thread sleeps (its wait channel) and the
    arguments of the call it sleeps in. A read's first argument is the fd; a
    select's is one past the highest fd, which for a terminal on 0 to 2 is still
    the terminal. A slow command sleeps elsewhere: in `sleep`, in waiting for a
    child, on a socket. (For `docker exec -it` this holds throughout, as the
    client always reads its terminal, so there the prompt and the quiet decide.)
    The shell itself counts: `read -p` is a builtin.
    """
    for pid in procfs.all_pids():
        tasks = []
        with contextlib.suppress(OSError, ValueError):  # gone meanwhile
            stat = procfs.stat(pid)
            if stat is not None and stat[2] == session:
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
        note = left_out_note(lines, _size(size)) + "\n"
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
