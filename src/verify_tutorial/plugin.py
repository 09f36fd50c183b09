"""The pytest layer: pages are files, commands are items.

Registered as a pytest11 entry point, so any project with the package installed
loads it; it does nothing unless the project configures it ([tool.verify-tutorial]
in pyproject.toml, or --verify-config). The CLI loads it with -p, isolated from
the host project's pytest settings and plugins.

Only what pytest needs lives here; running, matching and reporting live in
their own modules so they can be tested without pytest's machinery.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from . import accept, results
from .blocks import Block, Command
from .collect import PAGE_SUFFIXES, collect_page
from .engine_session import Profile, profile_for
from .errors import EngineLost, NameTaken, PageNotText, UnsafeAccept, VerifyError
from .interrupts import InterruptPolicy
from .options import ALLOWABLE, capabilities, skip_reason
from .results import Result, Status
from .runner import PageRun, StepFailed, shell_environment
from .settings import Settings, load
from .settings import find as find_settings

STREAM_AFTER = 3.0  # seconds; shorter commands print nothing while they run


def pytest_addoption(parser):
    # Prefixed, since any project with the package installed gets these options.
    group = parser.getgroup("verify-tutorial")
    group.addoption("--verify-target", choices=("cpu", "gpu"), default="cpu", help="cpu skips GPU steps; gpu runs them")
    group.addoption(
        "--verify-allow", action="append", default=[], choices=ALLOWABLE, help="run blocks that need this (repeatable)"
    )
    group.addoption("--verify-accept", action="store_true", help="write real output into the pages")
    group.addoption("--verify-no-wait", action="store_true", help="refuse at once if another run holds the engine")
    group.addoption("--verify-config", help="settings file (default: [tool.verify-tutorial] in pyproject.toml)")


def _state(config) -> VerifyState | None:
    """The run's state, or None where the verifier is not configured: then every hook does nothing."""
    return getattr(config, "_verify", None)


def pytest_configure(config):
    chosen = config.getoption("verify_config")
    source = Path(chosen) if chosen else find_settings(config.rootpath)
    if source is None:
        return  # installed but not configured for this project: inert
    try:
        config._verify = VerifyState(config, load(source))
    except VerifyError as error:
        raise pytest.UsageError(f"verify-tutorial: {error}") from None


def pytest_collect_file(file_path: Path, parent):
    state = _state(parent.config)
    if state and file_path.suffix in PAGE_SUFFIXES and state.settings.pages in file_path.parents:
        return GuidePage.from_parent(parent, path=file_path)
    return None


def pytest_collection_finish(session):
    state = _state(session.config)
    commands = [item for item in session.items if isinstance(item, CommandItem)]
    if state is None or not commands:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("-", "inventory of console blocks")
        for item in commands:
            if item.command is item.block.commands[0]:
                reason = state.skip_reason(item.block)
                verdict = f"skip: {reason}" if reason else "run"
                where = f"{item.parent.display()}:{item.block.line}"
                reporter.write_line(f"{where}  {len(item.block.commands)} command(s)  {verdict}")
    state.started = time.monotonic()
    state.interrupts.install()  # only now that commands will run


@pytest.hookimpl(trylast=True)  # after pytest's own teardown, so every page is cleaned up first
def pytest_sessionfinish(session, exitstatus):
    state = _state(session.config)
    if state is None:
        return
    with state.interrupts.cleaning():
        state.close_all()
        state.close_engine()
    state.interrupts.uninstall()
    if state.started is None:
        return
    # One wall time for the results file and the summary line below.
    state.wall = time.monotonic() - state.started
    if state.accepted and (state.interrupts.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED):
        _say(session.config, "accept: the run was interrupted, so no page was rewritten")
    elif state.accepted:
        try:
            written = accept.rewrite(state.accepted, show=lambda text: _say(session.config, text))
        except UnsafeAccept as error:
            _say(session.config, f"accept: {error}; no page was rewritten")
            state.exit_status = state.exit_status or error.exit_code
        else:
            _say(session.config, f"accept: rewrote {len(written)} page(s)")
    # Written after any rewrite, so each page's digest is that of the page as it is now.
    run = results.RunInfo(target=state.target, engine=state.engine.version)
    results.write_results(state.results_file, state.results, run, state.wall, state.settings.root)
    if state.exit_status is not None:
        session.exitstatus = state.exit_status


def pytest_terminal_summary(terminalreporter, config):
    state = _state(config)
    if state is None or state.wall is None:
        return
    terminalreporter.write_line(results.overhead_line(state.results, state.wall))
    terminalreporter.write_line(f"results: {state.results_file}")
    terminalreporter.write_line(results.summary_line(state.results))


class VerifyState:
    """What one verify run shares between pages: settings, engine session, results."""

    def __init__(self, config, settings: Settings):
        self.config = config
        self.settings = settings
        self.target = config.getoption("verify_target")
        self.available = capabilities(self.target, config.getoption("verify_allow"))
        self.accept = config.getoption("verify_accept")
        self.env = shell_environment()
        self.results: list[Result] = []
        self.results_file = self.settings.results_dir / results.RESULTS_FILE
        self.accepted: list[tuple[Block, Command, list[str]]] = []
        self.live: list[PageRun] = []
        self.started: float | None = None
        self.wall: float | None = None  # seconds from the first command to the end of the run
        self.exit_status: int | None = None  # a verify-specific status that overrides pytest's
        self.interrupts = InterruptPolicy(lambda text: _say(config, text))
        # The CLI hands over the session it opened in its preflight; run by pytest
        # alone, the plugin opens one itself when a page first needs the engine.
        given = [p for p in config.pluginmanager.get_plugins() if isinstance(p, Profile)]
        self.engine = given[0] if given else profile_for(self.settings.engine, self.settings.root)
        self.owns_engine = not given

    def open_engine(self) -> Profile:
        if not self.engine.is_open:
            self.engine.open(wait=not self.config.getoption("verify_no_wait"), say=lambda text: _say(self.config, text))
        return self.engine

    def close_engine(self) -> None:
        if self.owns_engine:
            self.engine.close()

    def skip_reason(self, block: Block) -> str | None:
        return skip_reason(block.options, self.available)

    def fail_run(self, error: VerifyError, session) -> None:
        """A fault that ends the whole run (the engine gone): one line, its own exit status."""
        if self.exit_status is None:
            self.exit_status = error.exit_code
            _say(self.config, f"verify-tutorial: {error}")
        session.shouldstop = str(error)

    def close_all(self):
        while self.live:
            self.live.pop().close()


class GuidePage(pytest.File):
    def collect(self):
        state: VerifyState = self.config._verify
        try:
            self.blocks = collect_page(self.path, shown_as=self.display())
        except PageNotText as error:
            # Named in one line; the other pages still run.
            _say(self.config, f"verify-tutorial: {error}; its blocks are not run")
            state.exit_status = state.exit_status or error.exit_code
            self.blocks = []
        for block in self.blocks:
            for command in block.commands:
                first_line = command.text.splitlines()[0]
                yield CommandItem.from_parent(
                    self, name=f"{command.line}: $ {first_line}", block=block, command=command
                )

    def setup(self):
        state: VerifyState = self.config._verify
        if all(state.skip_reason(block) for block in self.blocks):
            return  # nothing runs here; no copy, no engine needed
        try:
            engine = state.open_engine()
        except VerifyError as error:
            pytest.exit(f"verify-tutorial: {error}", returncode=error.exit_code)
        env = {**state.env, **engine.env()}
        self.page_run = PageRun(state.settings.project, self.display(), env, engine.identity.temp_dir("page"))
        state.live.append(self.page_run)
        self.addfinalizer(self._cleanup)

    def _cleanup(self):
        state: VerifyState = self.config._verify
        with state.interrupts.cleaning():
            try:
                removed = state.engine.clean_up()
            except EngineLost as error:
                lost = EngineLost(f"{self.display()}: {error}; the next run removes what is left")
                state.fail_run(lost, self.session)
                removed = []
            if removed:
                _say(self.config, f"cleanup {self.display()}: removed {', '.join(removed)}")
            if self.page_run in state.live:
                state.live.remove(self.page_run)
            self.page_run.close()

    def display(self) -> str:
        return self.config._verify.settings.relative(self.path)


class CommandItem(pytest.Item):
    def __init__(self, *, block: Block, command: Command, **kwargs):
        super().__init__(**kwargs)
        self.block = block
        self.command = command
        reason = self.config._verify.skip_reason(block)
        if reason:
            self.add_marker(pytest.mark.skip(reason=reason))

    def runtest(self):
        state: VerifyState = self.config._verify
        page: GuidePage = self.parent
        run = page.page_run
        if run.failed_at:
            self._record(Status.SKIPPED, f"not run: {run.failed_at} failed earlier on this page")
            pytest.skip(f"not run: {run.failed_at} failed earlier on this page")
        timeout = self.block.options.timeout or state.settings.default_timeout
        progress = _Progress(self.config, f"{run.display}:{self.command.line}")
        try:
            result = run.run_step(self.block, self.command, timeout, state.accept, progress.feed)
        except StepFailed as failure:
            state.results.append(failure.result)
            self._explain(failure)
            raise
        finally:
            progress.done()
        state.results.append(result)
        if result.status is Status.ACCEPTED:
            state.accepted.append((self.block, self.command, result.actual))

    def _explain(self, failure: StepFailed) -> None:
        """A failure caused by the engine going away, or by a name someone else took
        during the run, ends the run with its own status instead of a page of errors."""
        state: VerifyState = self.config._verify
        where = f"{self.parent.display()}:{self.command.line}"
        if not state.engine.reachable():
            state.fail_run(
                EngineLost(f"{where}: the Docker engine stopped answering; start it again and rerun"), self.session
            )
        elif failure.collision:
            state.fail_run(
                NameTaken(
                    f"{where}: {failure.collision}, taken by something not of this run while it ran; "
                    "remove or rename it, then run again"
                ),
                self.session,
            )

    def _record(self, status: Status, reason: str):
        self.config._verify.results.append(
            Result(
                page=self.parent.display(),
                line=self.command.line,
                command=self.command.text,
                status=status,
                reason=reason,
            )
        )

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, StepFailed):
            return excinfo.value.report
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.command.line - 1, f"$ {self.command.text.splitlines()[0]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A block skipped by its options still counts in the results file; and skip
    lines in the summary point at the page's line, not at this module."""
    if isinstance(item, CommandItem) and call.when == "setup" and item.get_closest_marker("skip"):
        item._record(Status.SKIPPED, item.get_closest_marker("skip").kwargs.get("reason", ""))
    report = yield
    if isinstance(item, CommandItem) and report.skipped and isinstance(report.longrepr, tuple):
        report.longrepr = (item.parent.display(), item.command.line, report.longrepr[2])
    return report


class _Progress:
    """Streams a long command's output to the terminal, once it has run a while."""

    def __init__(self, config, where: str):
        self.config = config
        self.where = where
        self.start = time.monotonic()
        self.pending = ""
        self.streaming = False

    def feed(self, text: str):
        self.pending += text
        if not self.streaming and time.monotonic() - self.start < STREAM_AFTER:
            return
        if not self.streaming:
            self.streaming = True
            _say(self.config, f"\n{self.where}: still running, output so far:")
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            _say(self.config, f"  | {line.rstrip()[:200]}")

    def done(self):
        if self.streaming:
            _say(self.config, f"{self.where}: finished after {time.monotonic() - self.start:.0f} s")


def _say(config, text: str):
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(text)
    else:
        reporter.write_line(text)
