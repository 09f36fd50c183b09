"""The pytest layer: pages are files, commands are items. Loaded by the CLI with -p.

Only what pytest needs lives here; running, matching and reporting live in
their own modules so they can be tested without pytest's machinery.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from . import accept, engine, results
from .blocks import Block, Command
from .collect import collect_page
from .options import ALLOWABLE, capabilities, skip_reason
from .runner import PageRun, Result, StepFailed, shell_environment
from .settings import load

STREAM_AFTER = 3.0  # seconds; shorter commands print nothing while they run


def pytest_addoption(parser):
    group = parser.getgroup("verify-tutorial")
    group.addoption("--target", choices=("cpu", "gpu"), default="cpu", help="cpu skips GPU steps; gpu runs them")
    group.addoption(
        "--allow",
        action="append",
        default=[],
        choices=ALLOWABLE,
        help="run blocks that need this (repeatable)",
    )
    group.addoption("--accept", action="store_true", help="write real output into the pages")
    group.addoption("--verify-config", default="conf/verify.toml", help="settings file")


def pytest_configure(config):
    config._verify = VerifyState(config)


def pytest_collect_file(file_path: Path, parent):
    state: VerifyState = parent.config._verify
    if file_path.suffix == ".md" and state.settings.pages in file_path.parents:
        return GuidePage.from_parent(parent, path=file_path)
    return None


def pytest_collection_finish(session):
    state: VerifyState = session.config._verify
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    reporter.write_sep("-", "inventory of console blocks")
    for item in session.items:
        if isinstance(item, CommandItem) and item.command is item.block.commands[0]:
            reason = state.skip_reason(item.block)
            verdict = f"skip: {reason}" if reason else "run"
            where = f"{item.parent.display()}:{item.block.line}"
            reporter.write_line(f"{where}  {len(item.block.commands)} command(s)  {verdict}")
    state.started = time.monotonic()


def pytest_sessionfinish(session):
    state: VerifyState = session.config._verify
    state.close_all()
    if state.started is None:
        return
    # One wall time for the results file and the summary line below.
    state.wall = time.monotonic() - state.started
    results.write_results(
        state.settings.results_dir / "results.json",
        state.results,
        state.target,
        state.engine_version,
        state.wall,
        state.settings.root,
    )
    if state.accepted:
        written = accept.rewrite(state.accepted, show=lambda text: _say(session.config, text))
        _say(session.config, f"accept: rewrote {len(written)} page(s)")


def pytest_terminal_summary(terminalreporter, config):
    state: VerifyState = config._verify
    if state.wall is None:
        return
    terminalreporter.write_line(results.overhead_line(state.results, state.wall))
    terminalreporter.write_line(f"results: {state.settings.results_dir / 'results.json'}")
    terminalreporter.write_line(results.summary_line(state.results))


class VerifyState:
    """What one verify run shares between pages: settings, engine, results."""

    def __init__(self, config):
        self.config = config
        self.settings = load(Path(config.getoption("verify_config")))
        self.target = config.getoption("target")
        self.available = capabilities(self.target, config.getoption("allow"))
        self.accept = config.getoption("accept")
        self.env = shell_environment()
        self.results: list[Result] = []
        self.accepted: list[tuple[Block, Command, list[str]]] = []
        self.live: list[PageRun] = []
        self.started: float | None = None
        self.wall: float | None = None  # seconds from the first command to the end of the run
        self._client = None
        self.engine_version = "unknown"
        # Ctrl-C and a CI cancel (SIGTERM) both end in the same cleanup. SIGINT is
        # set explicitly: a process started in the background inherits it ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_interrupt)

    @property
    def client(self):
        if self._client is None:
            self._client = engine.connect()
            self.engine_version = self._client.version().get("Version", "unknown")
        return self._client

    def skip_reason(self, block: Block) -> str | None:
        return skip_reason(block.options, self.available)

    def close_all(self):
        while self.live:
            self.live.pop().close()


class GuidePage(pytest.File):
    def collect(self):
        self.blocks = collect_page(self.path, shown_as=self.display())
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
        client = state.client
        self.before = engine.snapshot(client)
        self.page_run = PageRun(state.settings.project, self.display(), state.env)
        state.live.append(self.page_run)
        self.addfinalizer(self._cleanup)

    def _cleanup(self):
        state: VerifyState = self.config._verify
        removed = engine.remove_created(state.client, self.before)
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
            self._record("skipped", f"not run: {run.failed_at} failed earlier on this page")
            pytest.skip(f"not run: {run.failed_at} failed earlier on this page")
        timeout = self.block.options.timeout or state.settings.default_timeout
        progress = _Progress(self.config, f"{run.display}:{self.command.line}")
        try:
            result = run.run_step(self.block, self.command, timeout, state.accept, progress.feed)
        except StepFailed as failure:
            state.results.append(failure.result)
            raise
        finally:
            progress.done()
        state.results.append(result)
        if result.status == "accepted":
            state.accepted.append((self.block, self.command, result.actual))

    def _record(self, status: str, reason: str):
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


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A block skipped by its options still counts in the results file."""
    if isinstance(item, CommandItem) and call.when == "setup" and item.get_closest_marker("skip"):
        item._record("skipped", item.get_closest_marker("skip").kwargs.get("reason", ""))


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


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
