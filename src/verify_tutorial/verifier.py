"""One verify run as one object: settings, capabilities, the pages read once, the
skip decisions, the preflight, the engine, the services, the results.

The CLI builds it from its own options, checks what it can before anything runs,
and hands it to pytest; run by pytest alone (the entry point), the plugin builds
it from pytest's options. Either way the pytest layer only drives it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from . import services
from .config import Settings
from .document.model import Block, Command, ShellStart
from .engines import engine_for
from .engines.base import Engine
from .errors import EngineLost, MalformedBlock, NameTaken, NoBlocks, UnknownOption, UnsafeAccept, VerifyError
from .execution.accounts import accounts_for, is_someone_else, login_environment
from .execution.answer import shell_answer
from .execution.identity import RunIdentity
from .execution.page import PageRun, StepFailed, shell_environment
from .parsing.pages import collect_page
from .reporting import accept, cast, results
from .reporting.progress import Progress
from .reporting.results import Result, Status
from .requirements import capabilities, skip_reason

Say = Callable[[str], None]


class Verifier:
    def __init__(
        self,
        settings: Settings,
        target: str | None = None,
        allow: Iterable[str] = (),
        accept: bool = False,
        wait: bool = True,
        keep_going: bool | None = None,
    ):
        self.settings = settings
        self.target = _chosen_target(settings, target)
        allow = list(allow)
        _check_allowed(settings, allow)
        self.available = capabilities(self.target, allow, settings.detect, settings.root)
        # A configured service meets its requirement where it can start.
        self.service_hints: dict[str, str] = {}
        for name, service in settings.services.items():
            if service.can_start(settings.root):
                self.available.add(name)
            elif name not in self.available:
                self.service_hints[name] = f"{name} cannot start here: {service.check} failed"
        self.accept = accept
        # After a failure, the rest of the page runs: asked for, configured, or under --accept
        # (each failure its own edit); keep_going=False (--stop-at-first) says no.
        self.keep_going = keep_going if keep_going is not None else settings.keep_going or accept
        self.wait = wait
        self.identity = RunIdentity.new(settings.root)
        # Who runs each role's commands (checked here: a missing account stops the run first).
        self.accounts = accounts_for(settings.roles, settings.setup_hint)
        engine_class = engine_for(settings.engine)
        _check_reserved(settings, engine_class.reservable)
        self.engine: Engine = engine_class(self.identity, settings.setup_hint)
        self.env = shell_environment(self.engine.shell_env())
        # Where a role runs as another account: what a login gives it, not this process's environment.
        self.reader_env = shell_environment(self.engine.shell_env(), login_environment(os.environ))
        self._tools: dict[str, str] = {}  # requirement -> what its [versions] command says; asked once, when used
        self.results: list[Result] = []
        self.results_file = settings.results_dir / results.RESULTS_FILE
        self.accepted: list[tuple[Block, Command, list[str]]] = []
        self.refused = 0  # commands whose output --accept could not write (each failed as it ran)
        self.live: list[PageRun] = []
        self.exit_status: int | None = None  # a verify-specific status that overrides pytest's
        self._blocks: dict[Path, list[Block] | MalformedBlock] = {}
        self.said_broken: set[Path] = set()  # pages whose error was said already

    # -- pages, read once ---------------------------------------------------
    def blocks(self, page: Path) -> list[Block]:
        """The page's console blocks; raises MalformedBlock (every time) for a page that
        cannot be read or holds a malformed block: that page's blocks do not run."""
        page = page.resolve()
        if page not in self._blocks:
            try:
                self._blocks[page] = collect_page(page, self.settings.relative(page), dialect=self.settings.dialect)
            except MalformedBlock as error:
                self._blocks[page] = error
        found = self._blocks[page]
        if isinstance(found, MalformedBlock):
            raise found
        return found

    def note_tools(self, result: Result, block: Block) -> Result:
        """Name in a result what besides the engine its block needed, as run."""
        for name in sorted(block.options.requires & set(self.settings.versions)):
            if name not in self._tools:
                said = shell_answer(self.settings.versions[name], self.settings.root, self.env) or ""
                self._tools[name] = "; ".join(line.strip() for line in said.splitlines() if line.strip())
            if self._tools[name]:
                result.tools[name] = self._tools[name]
        return result

    def skip_reason(self, block: Block) -> str | None:
        role = block.options.role
        if role is not None and role in self.accounts and not self.switches_accounts:
            return (
                f"runs as the {role} role's own account ({self.settings.roles[role]}), "
                "which only a run started as root can switch to"
            )
        return skip_reason(block.options, self.available, self.service_hints, self.settings.targets)

    @property
    def switches_accounts(self) -> bool:
        """Whether roles run as their own accounts (a run started as root), not all as this user."""
        return any(map(is_someone_else, self.accounts.values()))

    # -- before anything runs ---------------------------------------------------
    def preflight(self, pages: Iterable[Path] | None, say: Say) -> list[MalformedBlock]:
        """Check what can be checked before anything runs, and take hold of the engine
        when some block will run. Returns the pages that cannot be read or hold a
        malformed block (each said in one line); every other problem raises."""
        broken: list[MalformedBlock] = []
        blocks: list[Block] = []
        for page in self.settings.all_pages() if pages is None else pages:
            try:
                blocks += self.blocks(page)
            except MalformedBlock as error:
                say(f"verify-tutorial: {error}; its blocks are not run, the other pages' are")
                self.said_broken.add(page.resolve())
                broken.append(error)
        blocks = [block for block in blocks if block.is_session]
        if not blocks and not broken:
            where = self.settings.relative(self.settings.pages)
            raise NoBlocks(f"no console blocks in the pages chosen (under {where}/); nothing to verify")
        stray = [b for b in blocks if b.options.role is not None and b.options.role not in self.settings.roles]
        if stray:
            known = ", ".join(self.settings.roles) or "none: the configuration declares no [roles]"
            raise UnknownOption(
                f"{stray[0].where}: role={stray[0].options.role} is not a role of "
                f"{self.settings.relative(self.settings.source)}; use one of {known}"
            )
        runnable = [b for b in blocks if self.skip_reason(b) is None]
        if runnable:
            self.engine.check(self.env)
            self.open_engine(say)
            self.engine.ensure_names_free(self._names_wanted(runnable))
        return broken

    def _names_wanted(self, runnable: list[Block]) -> dict[tuple[str, str], str]:
        wanted: dict[tuple[str, str], str] = {}
        for kind, names in self.settings.reserved.items():
            for name in names:
                wanted[(kind, name)] = f"{self.settings.relative(self.settings.source)} [reserved]"
        for block in runnable:
            for command in block.commands:
                for kind_and_name in self.engine.names_in(command.text):
                    wanted.setdefault(kind_and_name, f"{self.settings.relative(block.path)}:{command.line}")
        return wanted

    def open_engine(self, say: Say) -> Engine:
        """Take hold of the engine, once: dead runs' services end first (a dead run's
        batch system could still be running jobs that make objects), then the engine
        reaps what those runs left."""
        if not self.engine.is_open:
            said = lambda text: say(f"verify-tutorial: {text}")  # noqa: E731
            services.reap(said)
            self.engine.open(wait=self.wait, say=said)
        return self.engine

    # -- pages at work ----------------------------------------------------------
    def start_page(self, display: str, say: Say, blocks: Iterable[Block] = ()) -> PageRun:
        """A fresh copy of the project for a page, with the services its runnable blocks need."""
        engine = self.open_engine(say)
        env = {**engine.env()}  # then the services'; each role's shell starts from its own base
        blocks = list(blocks)
        wanted = {r for b in blocks if b.is_session and self.skip_reason(b) is None for r in b.options.requires}
        running: list[services.RunningService] = []
        try:
            for name in sorted(wanted & set(self.settings.services)):
                folder = self.identity.temp_dir(services.folder_purpose(name))
                say(f"verify-tutorial: starting {name} for {display}")
                running.append(
                    services.start(self.settings.services[name], folder, self.settings.root, {**self.env, **env})
                )
                env.update(running[-1].env)
        except BaseException:  # a service that failed, or Ctrl-C: those started already end too
            for service in running:
                service.stop()
            raise
        page_run = PageRun(
            self.settings.project,
            display,
            {**self.env, **env},
            self.identity.temp_dir("page"),
            wants_terminal=engine.wants_terminal,
            collision=engine.collision,
            rules=self.settings.rules,
            accounts=self.accounts,
            account_env=engine.account_env,
            reader_env={**self.reader_env, **env},
            start=next((b.start for b in blocks), ShellStart()),
            record_casts=self.settings.casts,
        )
        page_run.services = list(running)
        self.live.append(page_run)
        return page_run

    def inventory(self, display: str, blocks: list[Block] | None) -> list[str]:
        """One line per block of a page: run, skipped and why, or not a session at all."""
        if blocks is None:
            return [f"{display}  not run: the error above"]
        lines = []
        for block in blocks:
            where = f"{display}:{block.line}"
            if not block.is_session:
                lines.append(f"{where}  not a console session (no prompt): not run")
                continue
            reason = self.skip_reason(block)
            lines.append(f"{where}  {len(block.commands)} command(s)  {f'skip: {reason}' if reason else 'run'}")
        return lines

    def run_command(self, run: PageRun, block: Block, command: Command, say: Say) -> Result:
        """Run one command of a page and record its result. A command after the page's
        first failure is skipped, saying so, unless the run keeps going. Raises StepFailed
        (recorded too) for a failure; its `ends_run` is set when the whole run must stop."""
        earlier = run.failed_at
        if earlier and not self.keep_going:
            return self.record(run.display, command, Status.SKIPPED, f"not run: {earlier} failed earlier on this page")
        timeout = block.options.timeout or self.settings.default_timeout
        progress = Progress(say, f"{run.display}:{command.line}")
        try:
            result = run.run_step(block, command, timeout, self.accept, progress.feed, earlier, self.keep_going)
            if result.status is Status.ACCEPTED:
                self._check_acceptable(run, block, command, result)
        except StepFailed as failure:
            self.results.append(self.note_tools(failure.result, block))
            failure.ends_run = self._ends_run(f"{run.display}:{command.line}", failure)
            raise
        finally:
            progress.done()
        self.results.append(self.note_tools(result, block))
        if result.status is Status.ACCEPTED:
            self.accepted.append((block, command, result.actual))
        return result

    def record(self, display: str, command: Command, status: Status, reason: str) -> Result:
        """A command's result without running it: skipped, and why."""
        result = Result(display, command.line, command.text, status, reason)
        self.results.append(result)
        return result

    def record_broken(self, display: str, error: MalformedBlock) -> Result:
        """A page that cannot be read or holds a malformed block: one failure, at its line."""
        line = re.match(r"^.+?:(\d+): ", str(error))
        result = Result(display, int(line[1]) if line else 0, "", Status.FAILED, str(error))
        self.results.append(result)
        return result

    def _check_acceptable(self, run: PageRun, block: Block, command: Command, result: Result) -> None:
        """Output --accept cannot write fails now, while it is reported, so every count agrees."""
        try:
            accept.check((block, command, result.actual), self.settings.dialect, self.settings.rules)
        except UnsafeAccept as error:
            result.status, result.reason = Status.FAILED, f"output differs from the page, and {error}"
            self.refused += 1
            self.exit_status = self.exit_status or error.exit_code
            raise run.failure(command, result) from None

    def _ends_run(self, where: str, failure: StepFailed) -> VerifyError | None:
        """A failure caused by the engine going away, or by a name someone else took
        during the run, ends the run with its own status instead of a page of errors."""
        if not self.engine.reachable():
            return EngineLost(f"{where}: {self.engine.lost_words()}")
        if failure.collision:
            return NameTaken(
                f"{where}: {failure.collision}, taken by something not of this run while it ran; "
                "remove or rename it, then run again"
            )
        return None

    def end_page(self, page_run: PageRun) -> list[str]:
        """Remove what the run created so far, and the page's folder; returns what was
        removed. Raises EngineLost if the engine does not answer (the folder goes anyway)."""
        # Shells and services first: nothing of the page may make objects after clean-up.
        if page_run in self.live:
            self.live.remove(page_run)
        page_run.close()
        if self.settings.casts:
            cast.write_casts(self.settings.results_dir, page_run.display, page_run.casts)
        else:  # no cast may outlive the run that made it
            cast.remove_casts(self.settings.results_dir, page_run.display)
        return self.engine.clean_up()

    def fail(self, error: VerifyError, say: Say) -> None:
        """A fault that ends the whole run: said once, and its status kept."""
        if self.exit_status is None:
            self.exit_status = error.exit_code
            say(f"verify-tutorial: {error}")

    # -- after the last page ----------------------------------------------------
    def close(self) -> None:
        while self.live:
            self.live.pop().close()
        self.engine.close()

    def finish(self, wall: float, interrupted: bool, say: Say) -> None:
        """Write accepted output into the pages (unless interrupted), then the results."""
        digests = {self.settings.relative(b.path): b.source_sha256 for b in self._all_blocks() if b.source_sha256}
        if self.accepted and interrupted:
            say("accept: the run was interrupted, so no page was rewritten")
            self._unaccept("the run was interrupted before it was written into the page")
        elif self.refused and not self.accepted:
            say(f"accept: {self.refused} command(s) refused (see above); no page was rewritten")
        elif self.accepted:
            try:
                written = accept.rewrite(
                    self.accepted, show=say, dialect=self.settings.dialect, rules=self.settings.rules
                )
            except UnsafeAccept as error:
                say(f"accept: {error}; no page was rewritten")
                self.exit_status = self.exit_status or error.exit_code
                self._unaccept("it was not written into the page (see the accept message)")
            else:
                refused = f"; not the output of the {self.refused} refused command(s)" if self.refused else ""
                say(f"accept: rewrote {len(written)} page(s){refused}")
                digests.update({self.settings.relative(w.path): w.sha256 for w in written})
        # Each page's digest is that of the page as read for this run (or as --accept wrote it),
        # so a page edited while the run went on does not read as verified.
        run = results.RunInfo(target=self.target or "", engine=self.engine.version)
        try:
            results.write_results(self.results_file, self.results, run, wall, self.settings.root, digests)
        except OSError as error:  # the folder was checked before the run; it may have changed since
            self.fail(
                VerifyError(f"cannot write {self.results_file} ({error.strerror}); nothing of it was written"), say
            )

    def _unaccept(self, why: str) -> None:
        """Output that differed and was not written stays a failure in the results."""
        for result in self.results:
            if result.status is results.Status.ACCEPTED:
                result.status = results.Status.FAILED
                result.reason = f"output differs from the page; {why}"

    def _all_blocks(self) -> list[Block]:
        return [block for found in self._blocks.values() if isinstance(found, list) for block in found]


def keep_going(asked: bool, stop_at_first: bool) -> bool | None:
    """--keep-going, --stop-at-first, or neither (None: the configuration and --accept decide)."""
    if asked and stop_at_first:
        raise VerifyError("--keep-going and --stop-at-first contradict each other; give one")
    return True if asked else False if stop_at_first else None


def _chosen_target(settings: Settings, target: str | None) -> str | None:
    """The target asked for, or the configuration's first; one it does not declare is refused."""
    if target is None:
        return next(iter(settings.targets), None)
    if target not in settings.targets:
        known = ", ".join(settings.targets) or "none (the configuration declares no [targets])"
        raise VerifyError(
            f"--target {target}: not a target of {settings.relative(settings.source)}; use one of {known}"
        )
    return target


def _check_allowed(settings: Settings, allow: list[str]) -> None:
    stray = [name for name in allow if name not in settings.requirements]
    if stray:
        known = ", ".join(settings.requirements) or "none"
        raise VerifyError(
            f"--allow {stray[0]}: not a requirement of {settings.relative(settings.source)}; use one of {known}"
        )


def _check_reserved(settings: Settings, kinds: tuple[str, ...]) -> None:
    unknown = sorted(set(settings.reserved) - set(kinds))
    if unknown:
        use = ", ".join(kinds) or f"nothing: engine {settings.engine} owns no names"
        raise VerifyError(f"{settings.source}: [reserved] {', '.join(unknown)}: use {use}")


def writable_folder(folder: Path) -> None:
    """Make the results folder, and prove it takes a file, before any page runs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        raise VerifyError(
            f"cannot write results to {folder} ({error.strerror}); give --results-dir a folder you can write"
        ) from None
