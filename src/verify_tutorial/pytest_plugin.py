"""The pytest layer: pages are files, commands are items; a Verifier (verifier.py) does the work.

Registered as a pytest11 entry point, so any project with the package installed
loads it; it does nothing unless the project configures it ([tool.verify-tutorial]
in pyproject.toml, or --verify-config). The CLI loads it with -p, isolated from
the host project's pytest settings and plugins, and hands it the Verifier it
already built, so no option is parsed twice and no page read twice.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest._code.code import TerminalRepr

from .config import RUN_OPTIONS, load
from .config import find as find_settings
from .document.model import Block, Command
from .errors import EngineLost, MalformedBlock, VerifyError
from .execution.page import PageRun, StepFailed
from .interrupts import InterruptPolicy
from .parsing.pages import PAGE_SUFFIXES
from .reporting.results import Status, overhead_line, summary_line
from .verifier import Verifier, keep_going, writable_folder


def pytest_addoption(parser: pytest.Parser) -> None:
    # Prefixed, since any project with the package installed gets these options.
    group = parser.getgroup("verify-tutorial")
    for option in RUN_OPTIONS:
        extra = option.argparse_extras()
        group.addoption(f"--verify-{option.name}", action=option.action, help=option.help, **extra)
    group.addoption("--verify-config", help="settings file (default: [tool.verify-tutorial] in pyproject.toml)")


class RunState:
    """The Verifier, and what only the pytest layer needs around it."""

    def __init__(self, config: pytest.Config, verifier: Verifier):
        self.config = config
        self.verifier = verifier
        self.interrupts = InterruptPolicy(self.say)
        self.started: float | None = None
        self.wall: float | None = None  # seconds from the first command to the end of the run
        self.pages: list[GuidePage] = []  # as collected, for the inventory

    def say(self, text: str) -> None:
        _say(self.config, text)

    def fail_run(self, error: VerifyError, session: pytest.Session) -> None:
        """A fault that ends the whole run (the engine gone): one line, its own status."""
        self.verifier.fail(error, self.say)
        session.shouldstop = str(error)


_STATE = pytest.StashKey[RunState]()


def _state(config: pytest.Config) -> RunState | None:
    """The run's state, or None where the verifier is not configured: then every hook does nothing."""
    return config.stash.get(_STATE, None)


def pytest_configure(config: pytest.Config) -> None:
    given = [p for p in config.pluginmanager.get_plugins() if isinstance(p, Verifier)]
    if given:  # the CLI's, preflight done
        config.stash[_STATE] = RunState(config, given[0])
        if config.inipath == Path(os.devnull):  # the CLI's stand-in for "no pytest settings": not worth a line
            config._inipath = None
        return
    chosen = config.getoption("verify_config")
    source = Path(chosen) if chosen else find_settings(config.rootpath)
    if source is None:
        return  # installed but not configured for this project: inert
    try:
        settings = load(source)
        results_dir = config.getoption("verify_results_dir")
        if results_dir:
            settings = dataclasses.replace(settings, results_dir=Path(results_dir).resolve())
        if not settings.pages.is_dir():  # else pytest would only say "collected 0 items"
            raise VerifyError(f"no pages at {settings.pages}; check 'pages' in {settings.source}")
        verifier = Verifier(
            settings,
            target=config.getoption("verify_target"),
            allow=config.getoption("verify_allow"),
            accept=config.getoption("verify_accept"),
            wait=not config.getoption("verify_no_wait"),
            keep_going=keep_going(config.getoption("verify_keep_going"), config.getoption("verify_stop_at_first")),
        )
    except VerifyError as error:
        raise pytest.UsageError(f"verify-tutorial: {error}") from None
    config.stash[_STATE] = RunState(config, verifier)


def _no_stale_junit(config: pytest.Config, results_dir: Path) -> None:
    """Every report in the results folder is this run's: a junit.xml this run will
    not write (plain pytest without --junitxml) goes, so none is left from an older run."""
    ours = results_dir / "junit.xml"
    asked = config.getoption("xmlpath", None)
    if not asked or Path(asked).resolve() != ours.resolve():
        ours.unlink(missing_ok=True)


def pytest_report_header(config: pytest.Config) -> str | None:
    state = _state(config)
    if state is None:
        return None
    settings = state.verifier.settings
    pages = settings.relative(settings.pages)
    return f"verify-tutorial: {settings.relative(settings.source)}, pages in {pages}/, engine {settings.engine}"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> GuidePage | None:
    state = _state(parent.config)
    settings = state.verifier.settings if state else None
    if settings and file_path.suffix in PAGE_SUFFIXES and settings.pages in file_path.parents:
        if settings.excluded(file_path):
            return None
        page: GuidePage = GuidePage.from_parent(parent, path=file_path)
        return page
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    state = _state(session.config)
    ours = [item for item in session.items if isinstance(item, CommandItem | BrokenPage)]
    if state is None or not ours or session.config.option.collectonly:
        return  # --collect-only runs nothing, so it writes no report either
    try:
        writable_folder(state.verifier.settings.results_dir)
    except VerifyError as error:
        pytest.exit(f"verify-tutorial: {error}", returncode=error.exit_code)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    chosen = {item.parent for item in ours}
    if reporter is not None:
        reporter.write_sep("-", "inventory of console blocks")
        for page in state.pages:
            if page in chosen:
                for line in page.inventory():
                    reporter.write_line(line)
    state.started = time.monotonic()
    state.interrupts.install()  # only now that commands will run


@pytest.hookimpl(trylast=True)  # after pytest's own teardown, so every page is cleaned up first
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if state is None:
        return
    verifier = state.verifier
    with state.interrupts.cleaning():
        verifier.close()
    state.interrupts.uninstall()
    if state.started is None:
        return
    state.wall = time.monotonic() - state.started  # one wall time for the results file and the summary
    _no_stale_junit(session.config, verifier.settings.results_dir)  # pages ran: their report is this run's
    interrupted = state.interrupts.interrupted or exitstatus == pytest.ExitCode.INTERRUPTED
    verifier.finish(state.wall, interrupted, state.say)
    if verifier.exit_status is not None:
        session.exitstatus = verifier.exit_status


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = _state(config)
    if state is None or state.wall is None:
        return
    terminalreporter.write_line(overhead_line(state.verifier.results, state.wall))
    terminalreporter.write_line(f"results: {state.verifier.results_file}")
    terminalreporter.write_line(summary_line(state.verifier.results))


def _required_state(config: pytest.Config) -> RunState:
    state = _state(config)
    assert state is not None, "page items exist only where the verifier is configured"
    return state


class GuidePage(pytest.File):
    blocks: list[Block]
    page_run: PageRun
    broken = False  # the page cannot be read, or holds a malformed block

    def collect(self) -> Iterator[CommandItem | BrokenPage]:
        state = _required_state(self.config)
        state.pages.append(self)
        try:
            self.blocks = state.verifier.blocks(self.path)
        except MalformedBlock as error:
            # Named in one line (once), and failed as one item; the other pages still run.
            if self.path.resolve() not in state.verifier.said_broken:
                state.say(f"verify-tutorial: {error}; its blocks are not run, the other pages' are")
            state.verifier.exit_status = state.verifier.exit_status or error.exit_code
            self.blocks, self.broken = [], True
            yield BrokenPage.from_parent(self, name="the page itself", error=error)
            return
        for block in self.blocks:
            for command in block.commands:
                first_line = command.text.splitlines()[0]
                yield CommandItem.from_parent(
                    self, name=f"{command.line}: $ {first_line}", block=block, command=command
                )

    def inventory(self) -> list[str]:
        verifier = _required_state(self.config).verifier
        return verifier.inventory(self.display(), self.blocks if not self.broken else None)

    def setup(self) -> None:
        state = _required_state(self.config)
        if all(state.verifier.skip_reason(block) for block in self.blocks if block.is_session):
            return  # nothing runs here; no copy, no engine needed
        try:
            self.page_run = state.verifier.start_page(self.display(), state.say, self.blocks)
        except VerifyError as error:
            pytest.exit(f"verify-tutorial: {error}", returncode=error.exit_code)
        self.addfinalizer(self._cleanup)

    def _cleanup(self) -> None:
        state = _required_state(self.config)
        with state.interrupts.cleaning():
            try:
                removed = state.verifier.end_page(self.page_run)
            except EngineLost as error:
                lost = EngineLost(f"{self.display()}: {error}; the next run removes what is left")
                state.fail_run(lost, self.session)
                removed = []
            if removed:
                state.say(f"cleanup {self.display()}: removed {', '.join(removed)}")

    def display(self) -> str:
        return _required_state(self.config).verifier.settings.relative(self.path)


class CommandItem(pytest.Item):
    def __init__(self, *, block: Block, command: Command, **kwargs: Any):
        super().__init__(**kwargs)
        self.block = block
        self.command = command
        reason = _required_state(self.config).verifier.skip_reason(block)
        if reason:
            self.add_marker(pytest.mark.skip(reason=reason))

    @property
    def page(self) -> GuidePage:
        assert isinstance(self.parent, GuidePage)
        return self.parent

    def runtest(self) -> None:
        state = _required_state(self.config)
        try:
            result = state.verifier.run_command(self.page.page_run, self.block, self.command, state.say)
        except StepFailed as failure:
            if failure.ends_run:
                state.fail_run(failure.ends_run, self.session)
            raise
        if result.status is Status.SKIPPED:
            pytest.skip(result.reason)

    def record(self, status: Status, reason: str) -> None:
        _required_state(self.config).verifier.record(self.page.display(), self.command, status, reason)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, StepFailed):
            return excinfo.value.report
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.command.line - 1, f"$ {self.command.text.splitlines()[0]}"


class BrokenPage(pytest.Item):
    """A page that cannot be read or holds a malformed block: one failure, its message."""

    def __init__(self, *, error: MalformedBlock, **kwargs: Any):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        verifier = _required_state(self.config).verifier
        verifier.record_broken(verifier.settings.relative(self.path), self.error)
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | TerminalRepr:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "the page itself"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A block skipped by its options still counts in the results file; and skip
    lines in the summary point at the page's line, not at this module."""
    skip = item.get_closest_marker("skip")
    if isinstance(item, CommandItem) and call.when == "setup" and skip is not None:
        item.record(Status.SKIPPED, skip.kwargs.get("reason", ""))
    report = yield
    if isinstance(item, CommandItem) and report.skipped and isinstance(report.longrepr, tuple):
        report.longrepr = (item.page.display(), item.command.line, report.longrepr[2])
    return report


def _say(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(text)
    else:
        reporter.write_line(text)
