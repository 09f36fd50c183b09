"""A page's bash: state carries from command to command, each command is killable.

Every command runs in a real `bash` started in its own process group, so a
timeout can kill the command and everything it spawned. Before it runs, the
shell restores the page's state (working directory, variables, functions,
aliases, options) that the previous command left; after, it saves it again.
A reader pasting the commands into one terminal sees the same state.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
    status: int | None  # None when the command was killed on timeout
    output: str
    duration: float
    timed_out: bool = False


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
        if use_pty or stdin is not None:
            status, output, timed_out = _run_in_pty(argv, self.env, timeout, stdin or "", on_output)
        else:
            status, output, timed_out = _run_with_pipes(argv, self.env, timeout, on_output)
        duration = time.monotonic() - start
        if next_state.exists():
            self._state = next_state
        return Outcome(status=status, output=output, duration=duration, timed_out=timed_out)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)


def _run_with_pipes(argv, env, timeout, on_output):
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # its own process group, killable as a whole
    )
    try:
        chunks, timed_out = _pump(process.stdout.fileno(), process, timeout, on_output)
    finally:
        if process.poll() is None:
            _kill_group(process)
        process.stdout.close()
    status = None if timed_out else process.wait()
    process.wait()
    return status, b"".join(chunks).decode("utf-8", "replace"), timed_out


def _run_in_pty(argv, env, timeout, stdin_text, on_output):
    """For `docker exec -it` and debuggers: a terminal, fed the scripted input."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        argv,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**env, "TERM": "dumb"},
        start_new_session=True,
    )
    os.close(terminal)
    try:
        chunks, timed_out = _pump(controller, process, timeout, on_output, stdin_text.splitlines(True))
    finally:
        if process.poll() is None:
            _kill_group(process)
        os.close(controller)
    status = None if timed_out else process.wait()
    process.wait()
    return status, b"".join(chunks).decode("utf-8", "replace"), timed_out


# The next line of scripted input is typed once output has paused this long
# with the cursor left on an unfinished line: a prompt ("(Pdb) ", ">>> ",
# "name? ") waiting. A pause after a complete line is usually work (an import,
# a download), so there the verifier waits longer before typing blind.
TYPING_PAUSE = 0.3
BLIND_TYPING_PAUSE = 5.0


def _pump(fd, process, timeout, on_output, typed_lines=()):
    """Read fd until EOF or timeout, typing each scripted line when a prompt waits.

    Typing only then keeps the terminal's echo of the input in the right place
    in the transcript. Returns (chunks, timed_out).
    """
    typed = list(typed_lines)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    last_output = time.monotonic()
    while True:
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            _kill_group(process)
            return chunks, True
        ready, _, _ = select.select([fd], [], [], min(left, TYPING_PAUSE if typed else 0.5))
        if not ready and typed and process.poll() is None:
            quiet = time.monotonic() - last_output
            at_prompt = bool(chunks) and not chunks[-1].endswith(b"\n")
            if quiet >= BLIND_TYPING_PAUSE or (quiet >= TYPING_PAUSE and at_prompt):
                os.write(fd, typed.pop(0).encode())
                last_output = time.monotonic()  # the next line waits for the answer to this one
            continue
        if not ready:
            if process.poll() is not None:
                # Done, though something it started in the background holds the output open.
                return chunks, False
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # a pty reports EIO once the other side is closed
            data = b""
        if not data:
            return chunks, False
        chunks.append(data)
        last_output = time.monotonic()
        if on_output is not None:
            on_output(data.decode("utf-8", "replace"))
