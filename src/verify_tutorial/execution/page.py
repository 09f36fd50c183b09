"""Run one page: a fresh copy of the project, a shell per session, checked commands."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from ..checking.match import matches, unified_diff
from ..checking.normalize import Rule, clean
from ..document.model import Block, Command, ShellStart
from ..errors import VerifyError
from ..reporting.cast import CastRecorder, Scrubber, cast_name
from ..reporting.results import Result, Status
from .accounts import Account, is_someone_else
from .identity import TEMP_PREFIX, TEMP_ROOT
from .shell import Outcome, PageShell

# What a page learns from its engine: whether a command needs a terminal, and
# whether its output is the engine refusing a name that is taken.
WantsTerminal = Callable[[str], bool]
Collision = Callable[[str], "str | None"]
# And what a shell run as another account needs, copied into its home (the engine's client settings).
AccountEnv = Callable[[Path, dict[str, str]], dict[str, str]]


class Stoppable(Protocol):
    def stop(self) -> list[str]: ...


class StepFailed(Exception):
    def __init__(self, result: Result, report: str, collision: str | None = None):
        super().__init__(report)
        self.result = result
        self.report = report
        self.collision = collision  # "container name dp", when the engine refused a taken name
        self.ends_run: VerifyError | None = None  # set where the failure stops the whole run


NO_START = ShellStart()  # shells start in the page's copy, with nothing added

# The caller's settings that would change what commands do or print.
UNSET = ("CDPATH", "PYTHONPATH", "LANGUAGE", "ENV", "BASH_ENV", "PROMPT_COMMAND", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def shell_environment(
    extra: dict[str, str] | None = None, inherited: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a page's commands see: the user's PATH and tools (`inherited`:
    this process's environment unless given), made deterministic the way a fresh
    terminal on a build machine would be; `extra` (the engine's variables, say) last."""
    inherited = os.environ if inherited is None else inherited
    env = {name: value for name, value in inherited.items() if name not in UNSET}
    env.update(
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

    def __init__(
        self,
        project: Path | None,
        display: str,
        env: dict[str, str],
        tmp: Path,
        wants_terminal: WantsTerminal = lambda command: False,
        collision: Collision = lambda output: None,
        rules: tuple[Rule, ...] = (),
        accounts: dict[str, Account] | None = None,
        account_env: AccountEnv = lambda home, env: {},
        reader_env: dict[str, str] | None = None,
        start: ShellStart = NO_START,
        record_casts: bool = True,
    ):
        self.display = display
        self.wants_terminal = wants_terminal
        self.collision = collision
        self.rules = rules  # the project's own normalizers
        self.tmp = tmp  # the page's own, removed by close()
        self.project = project
        self.env = env
        # What another account's shell starts from: a login's environment, not ours.
        self.reader_env = env if reader_env is None else reader_env
        self.account_env = account_env
        self.start = start  # the page's defaults for how its shells start: variables, folder
        # Role -> account, the first the default; none configured: one role, the verifier's own user.
        self.accounts: dict[str, Account | None] = dict(accounts) if accounts else {"": None}
        self._places: dict[str, tuple[Path, dict[str, str], Account | None]] = {}
        self._shells: dict[tuple[str, str], PageShell] = {}
        self.failed_at: str | None = None  # the page's first failure, file:line
        self._me: str | None = None
        self.record_casts = record_casts
        self.casts: dict[int, CastRecorder] = {}  # by block line: each block's recorded run
        self._scrub: tuple[object, Scrubber] | None = None
        self._block_env: dict[str, str] = {}
        self.services: list[Stoppable] = []  # started for this page, stopped by close()
        # Where a page's hidden steps hand files from one role to another, as a reader
        # copies them from one machine to the other ($VERIFY_SHARED_DIR).
        self.shared: Path | None = None
        if accounts:
            self.shared = self.tmp / "shared"
            self.shared.mkdir()
        if any(map(is_someone_else, self.accounts.values())):
            # The verifier's; each role's account enters its own folder in it, and the shared one.
            self.tmp.chmod(0o711)
            if self.shared is not None:
                self.shared.chmod(0o1777)

    def role(self, command: Command, block: Block | None = None) -> str:
        """The role a command runs as: its block's role=, else the one its prompt's
        label names, else the first."""
        if block is not None and block.options.role in self.accounts:
            return block.options.role
        return command.label if command.label in self.accounts else next(iter(self.accounts))

    def _place(self, role: str) -> tuple[Path, dict[str, str], Account | None]:
        """A role's copy of the project, its environment and its account, made on first
        use. Each role is a reader on a machine of their own: a copy, a home, files
        of their own, which no other role's account can enter."""
        if role not in self._places:
            account = self.accounts[role]
            account = account.afresh() if account is not None else None
            other = account if is_someone_else(account) else None  # the account to become, if any
            base = self.tmp / role if role else self.tmp
            if base != self.tmp:
                base.mkdir(mode=0o700)
            workdir = base / (self.project.name if self.project else "work")
            if self.project:
                shutil.copytree(self.project, workdir, symlinks=True, ignore=NOT_COPIED)
            else:
                workdir.mkdir()
            home = base / "home"  # a home of its own: nothing of the user's leaks in or is written to
            home.mkdir()
            env = {**(self.reader_env if other else self.env), "HOME": str(home)}
            if account is not None:
                env.update(account.environment())
            if other:
                env.update(self.account_env(home, env))
                other.give(base)  # all made here, before any of its commands ran
            if self.shared is not None:
                env["VERIFY_SHARED_DIR"] = str(self.shared)
            env.update(self.start.env)
            self._places[role] = (workdir, env, account)
        return self._places[role]

    def shell(self, session: str, role: str | None = None) -> PageShell:
        role = next(iter(self.accounts)) if role is None else role
        if (session, role) not in self._shells:
            workdir, env, account = self._place(role)
            if self.start.cwd:
                workdir = self._start_folder(workdir, self.start.cwd)
            # In the verifier's own folder, never in one an account could have put a link in.
            state = self.tmp / (f".shell-{role}-{session}" if role else f".shell-{session}")
            self._shells[(session, role)] = PageShell(workdir, state, env, account)
        return self._shells[(session, role)]

    def _scrubber(self, block_env: dict[str, str]) -> Scrubber:
        """What the page's casts must not show: its secrets (a block's env= too), the
        host, its folders (as ~)."""
        key = (len(self._places), tuple(block_env.items()))  # a role's place is made on first use
        if self._scrub is None or self._scrub[0] != key:
            bases = [workdir.parent for workdir, _, _ in self._places.values()]
            folders = [(base / "home", "~") for base in bases] + [(base, "~") for base in bases] + [(self.tmp, "~")]
            env = {**self.env, **self._all_env(), **block_env}
            self._scrub = (key, Scrubber.for_page(env, folders, str(TEMP_ROOT / TEMP_PREFIX)))
        return self._scrub[1]

    def _own_user(self) -> str:
        """This process's account, as results name it; looked up once per page."""
        if self._me is None:
            self._me = Account.current().describe()
        return self._me

    def _start_folder(self, workdir: Path, cwd: str) -> Path:
        folder = workdir / cwd
        if not folder.is_dir():
            result = Result(self.display, 0, f"cd {cwd}", Status.FAILED, f"cwd={cwd}: no such folder")
            where = "in the page's copy of the project" if self.project else "(set project, whose copy holds it)"
            raise StepFailed(result, f"{self.display}: cwd={cwd}: no such folder {where}; fix cwd")
        return folder

    def _cast(self, block: Block, command: Command) -> CastRecorder | None:
        """The block's recorder, with this command typed into it; None when casts are off."""
        if not self.record_casts:
            return None
        scrub = self._scrubber(block.options.env)
        cast = self.casts.setdefault(block.line, CastRecorder(scrub, int(self.env.get("COLUMNS", 120))))
        cast.command(command.text, f"({command.label}) $ " if command.label else "$ ")
        return cast

    def run_step(
        self,
        block: Block,
        command: Command,
        timeout: float,
        accept: bool = False,
        on_output: Callable[[str], None] | None = None,
        earlier: str | None = None,
        keep_going: bool = False,
    ) -> Result:
        """Run one command of a block (with the block's hidden setup before its first).

        `earlier`: the page's first failure, when this command runs after it (keep going)."""
        shell = self.shell(block.options.session, self.role(command, block))
        hidden_time = 0.0
        if command is block.commands[0]:
            for hidden in _setting(block.options.env) + block.options.setup:
                hidden_time += self._hidden(shell, hidden, timeout, command.line, "setup")
        self._block_env = block.options.env  # its secrets too stay out of what is shown
        cast = self._cast(block, command)

        def seen(text: str) -> None:
            if cast is not None:
                cast.output(text)
            if on_output is not None:
                on_output(text)

        outcome = shell.run(
            command.text,
            timeout=timeout,
            stdin=block.options.stdin,
            use_pty=block.options.pty or self.wants_terminal(command.text),
            on_output=seen,
        )
        if cast is not None:
            cast.finish_command()
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
            role=self.role(command, block),
            user=shell.account.describe() if shell.account else self._own_user(),
            after_failure=earlier or "",
            cast=cast_name(self.display, block.line) if cast is not None else "",
        )
        problem = self._problem(block, command, outcome, actual, self.rules)
        if problem == "output" and accept:
            result.status, problem = Status.ACCEPTED, None
        if problem is None:
            if command is block.commands[-1]:
                result.hidden_duration += self._teardown(shell, block, timeout, command.line)
            return result
        result.status = Status.FAILED
        result.reason = self._reason(problem, outcome, block, timeout)
        if command is block.commands[-1] or not keep_going:
            # The block ends here: its teardown still runs, and cannot hide this failure.
            with contextlib.suppress(StepFailed):
                result.hidden_duration += self._teardown(shell, block, timeout, command.line)
        raise self.failure(command, result, self.collision(outcome.output))

    def failure(self, command: Command, result: Result, collision: str | None = None) -> StepFailed:
        """A failed command, reported; the page's first failure is remembered."""
        where = f"{self.display}:{command.line}"
        self.failed_at = self.failed_at or where
        if result.after_failure:
            result.reason += f" (after an earlier failure on this page, at {result.after_failure})"
        report = self._report(where, command, result, self.rules)
        # Shown in a terminal and kept in the results (a CI artifact): no secret values in either.
        secrets = Scrubber.for_secrets({**self.env, **self._all_env(), **self._block_env})
        result.actual = [secrets(line) for line in result.actual]
        return StepFailed(result, secrets(report), collision)

    def _all_env(self) -> dict[str, str]:
        return {k: v for _, place_env, _ in self._places.values() for k, v in place_env.items()}

    def _teardown(self, shell: PageShell, block: Block, timeout: float, line: int) -> float:
        """The block's teardown, then its env= put back, even when the teardown fails."""
        try:
            return sum(self._hidden(shell, hidden, timeout, line, "teardown") for hidden in block.options.teardown)
        finally:
            for restore in _restoring(block.options.env):
                shell.run(restore, timeout=timeout)

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
            self.failed_at = self.failed_at or where
            raise StepFailed(
                result,
                f"{where}: hidden {kind} step failed (exit {outcome.status}): {text}\n{outcome.output}",
            )
        return outcome.duration

    @staticmethod
    def _problem(
        block: Block, command: Command, outcome: Outcome, actual: list[str], rules: tuple[Rule, ...]
    ) -> str | None:
        if outcome.timed_out:
            return "timeout"
        if outcome.waiting_for_input:
            return "input"
        if outcome.status != block.options.exit:
            return "exit"
        if not matches(command.expected, actual, rules):
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
    def _report(where: str, command: Command, result: Result, rules: tuple[Rule, ...]) -> str:
        lines = [
            f"{where}: {result.reason}",
            f"  {f'({command.label}) ' if command.label else ''}$ {command.text}",
            f"  {_ended(result.exit_status)}, {result.duration:.1f} s",
        ]
        if result.expected != result.actual:
            lines.append(unified_diff(result.expected, result.actual, where, rules))
        return "\n".join(lines)


# What a page's copy of the project leaves out: environments and caches, which belong
# to the machine (a virtualenv's paths are absolute) and can be large.
NOT_COPIED = shutil.ignore_patterns(
    ".venv", "venv", ".nox", ".tox", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"
)


def _ended(status: int | None) -> str:
    """How a command ended: its exit status, or none when it was killed (a timeout)."""
    return "no exit status (killed)" if status is None else f"exit status {status}"


# A block's env= holds for its commands: each variable saved, set and exported before
# the first, and put back as it was (unset, or its old value and attributes) after the last.
def _setting(env: dict[str, str]) -> list[str]:
    return [
        f"__verify_saved_{name}=$(declare -p {name} 2>/dev/null); export {name}={shlex.quote(value)}"
        for name, value in env.items()
    ]


def _restoring(env: dict[str, str]) -> list[str]:
    return [
        f'unset {name}; [ -z "$__verify_saved_{name}" ] || eval "$__verify_saved_{name}"; unset __verify_saved_{name}'
        for name in env
    ]
