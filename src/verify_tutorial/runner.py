"""Run one page: a fresh copy of the project, a shell per session, checked commands."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from .blocks import Block, Command
from .match import matches, unified_diff
from .normalize import clean
from .results import Result, Status
from .services import RunningService
from .shell import Outcome, PageShell


class StepFailed(Exception):
    def __init__(self, result: Result, report: str, collision: str | None = None):
        super().__init__(report)
        self.result = result
        self.report = report
        self.collision = collision  # "container name dp", when the engine refused a taken name


# How the engine refuses a name that is taken (containers; networks and volumes differ).
_NAME_CONFLICT = re.compile(
    r'Conflict\. The (?P<kind>container) name "/(?P<name>[^"]+)" is already in use'
    r"|network with name (?P<network>\S+) already exists"
)


def name_collision(output: str) -> str | None:
    match = _NAME_CONFLICT.search(output)
    if match is None:
        return None
    if match["network"]:
        return f"network name {match['network']}"
    return f"container name {match['name']}"


# The caller's settings that would change what commands do or print.
UNSET = ("CDPATH", "PYTHONPATH", "LANGUAGE", "ENV", "BASH_ENV", "PROMPT_COMMAND", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def shell_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a page's commands see: the user's PATH and tools, made
    deterministic the way a fresh terminal on a build machine would be."""
    env = dict(os.environ)
    for name in (
        "CDPATH",
        "PYTHONPATH",
        "LANGUAGE",
        "ENV",
        "BASH_ENV",
        "PROMPT_COMMAND",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    ):
        env.pop(name, None)
    # The docker CLI finds its plugins (buildx) and contexts in the user's config;
    # keep pointing there, since HOME becomes the page's own.
    user_docker_config = Path(env.get("HOME", "~")).expanduser() / ".docker"
    if "DOCKER_CONFIG" not in env and user_docker_config.is_dir():
        env["DOCKER_CONFIG"] = str(user_docker_config)
    env.update(
        DOCKER_BUILDKIT="1",  # for Docker clients before 23; later ones always use BuildKit
        BUILDKIT_PROGRESS="plain",  # line-by-line build logs, streamable and readable
        NO_COLOR="1",
        COLUMNS="120",
        LC_ALL="C.UTF-8",
        LANG="C.UTF-8",
        TZ="UTC",
        PAGER="cat",
    )
    env.update(extra or {})
    return env


class PageRun:
    """The live state of one page being verified."""

    def __init__(self, project: Path | None, display: str, env: dict[str, str], tmp: Path):
        self.display = display
        self.tmp = tmp  # the page's own, removed by close()
        self.workdir = self.tmp / (project.name if project else "work")
        if project:
            shutil.copytree(project, self.workdir, symlinks=True)
        else:
            self.workdir.mkdir()
        home = self.tmp / "home"  # a home of its own: nothing of the user's leaks in or is written to
        home.mkdir()
        self.env = {**env, "HOME": str(home)}
        self._shells: dict[str, PageShell] = {}
        self.failed_at: str | None = None
        self.services: list[RunningService] = []  # started for this page, stopped by close()

    def shell(self, session: str) -> PageShell:
        if session not in self._shells:
            state = self.tmp / f".shell-{session}"
            self._shells[session] = PageShell(self.workdir, state, self.env)
        return self._shells[session]

    def run_step(
        self,
        block: Block,
        command: Command,
        timeout: float,
        accept: bool = False,
        on_output: Callable[[str], None] | None = None,
    ) -> Result:
        """Run one command of a block (with the block's hidden setup before its first)."""
        where = f"{self.display}:{command.line}"
        shell = self.shell(block.options.session)
        hidden_time = 0.0
        if command is block.commands[0]:
            for hidden in block.options.setup:
                hidden_time += self._hidden(shell, hidden, timeout, command.line, "setup")
        outcome = shell.run(
            command.text,
            timeout=timeout,
            stdin=block.options.stdin,
            use_pty=block.options.pty or _wants_terminal(command.text),
            on_output=on_output,
        )
        actual = clean(outcome.output)
        result = Result(
            page=self.display,
            line=command.line,
            command=command.text,
            status=Status.PASSED,
            duration=outcome.duration,
            hidden_duration=hidden_time,
            exit_status=outcome.status,
            expected=command.expected,
            actual=actual,
        )
        problem = self._problem(block, command, outcome, actual)
        if problem == "output" and accept:
            result.status, problem = Status.ACCEPTED, None
        if problem is None:
            if command is block.commands[-1]:
                result.hidden_duration += self._teardown(shell, block, timeout, command.line)
            return result
        result.status = Status.FAILED
        result.reason = self._reason(problem, outcome, block, timeout)
        self.failed_at = where
        # The block ends here: its teardown still runs, and cannot hide this failure.
        with contextlib.suppress(StepFailed):
            result.hidden_duration += self._teardown(shell, block, timeout, command.line)
        raise StepFailed(result, self._report(where, command, result), name_collision(outcome.output))

    def _teardown(self, shell: PageShell, block: Block, timeout: float, line: int) -> float:
        return sum(self._hidden(shell, hidden, timeout, line, "teardown") for hidden in block.options.teardown)

    def close(self) -> None:
        """End the page's shells (and whatever they left running) and its services, then
        remove its folder."""
        for shell in self._shells.values():
            shell.close()
        self._shells.clear()
        while self.services:
            self.services.pop().stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _hidden(self, shell: PageShell, text: str, timeout: float, line: int, kind: str) -> float:
        """Run a hidden step; returns its duration, raises StepFailed if it fails."""
        outcome = shell.run(text, timeout=timeout)
        if outcome.status != 0:
            where = f"{self.display}:{line}"
            result = Result(self.display, line, text, Status.FAILED, f"hidden {kind} failed")
            self.failed_at = where
            raise StepFailed(
                result,
                f"{where}: hidden {kind} step failed (exit {outcome.status}): {text}\n{outcome.output}",
            )
        return outcome.duration

    @staticmethod
    def _problem(block: Block, command: Command, outcome: Outcome, actual: list[str]) -> str | None:
        if outcome.timed_out:
            return "timeout"
        if outcome.waiting_for_input:
            return "input"
        if outcome.status != block.options.exit:
            return "exit"
        if not matches(command.expected, actual):
            return "output"
        return None

    @staticmethod
    def _reason(problem: str, outcome: Outcome, block: Block, timeout: float) -> str:
        if problem == "timeout":
            return f"timed out after {timeout:g} s; its process group was killed"
        if problem == "input":
            return 'it waits for input that nothing types; add stdin="..." to its verify options'

        if problem == "exit":
            return f"exit status {outcome.status}, expected {block.options.exit}"
        return "output differs from the page"

    @staticmethod
    def _report(where: str, command: Command, result: Result) -> str:
        lines = [
            f"{where}: {result.reason}",
            f"  $ {command.text}",
            f"  exit status {result.exit_status}, {result.duration:.1f} s",
        ]
        if result.expected != result.actual:
            lines.append(unified_diff(result.expected, result.actual, where))
        return "\n".join(lines)


def _wants_terminal(command: str) -> bool:
    """`docker exec -it` / `docker run -it` fail without a terminal, as for a reader with none."""
    words = command.split()
    return (
        any(w in ("-it", "-ti", "--tty", "-t") for w in words)
        and any(w in ("exec", "run") for w in words)
        and not any(w in ("-d", "-dt", "-td", "--detach") for w in words)
    )
