"""The CLI's own loop over pages and commands, for runs that need nothing of pytest.

pytest costs half a second to import, more than a page of shell commands takes
to run. Where no engine is configured and no pytest option is given, the CLI
runs the pages here instead: the same Verifier does every step (run, skip,
record, clean up, write the results), so the counts, messages and results file
are the ones a pytest run gives. junit.xml is written here too.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from .document.model import Block, Command
from .errors import EngineLost, MalformedBlock
from .execution.page import PageRun, StepFailed
from .interrupts import InterruptPolicy
from .reporting.results import Result, Status, overhead_line, summary_line, write_atomically
from .verifier import Verifier

EXIT_INTERRUPTED = 130  # as a shell reports a run ended by SIGINT
Say = Callable[[str], None]


class _Stop(Exception):
    """The run ends here (the engine gone, a name taken): said and kept by the Verifier."""


def run_pages(verifier: Verifier, pages: list[Path], say: Say) -> int:
    """Run every command of the pages in order; the exit status pytest's run would give."""
    read = [(verifier.settings.relative(page), _blocks(verifier, page)) for page in pages]
    say("inventory of console blocks:")
    for display, blocks in read:
        for line in verifier.inventory(display, blocks if isinstance(blocks, list) else None):
            say(f"  {line}")
    interrupts = InterruptPolicy(say)
    started = time.monotonic()
    interrupted = False
    interrupts.install()
    try:
        for display, blocks in read:
            _run_page(verifier, display, blocks, say, interrupts)
    except KeyboardInterrupt:
        interrupted = True
    except _Stop:
        pass
    finally:
        with interrupts.cleaning():
            verifier.close()
        interrupts.uninstall()
    interrupted = interrupted or interrupts.interrupted
    wall = time.monotonic() - started
    verifier.finish(wall, interrupted, say)
    write_junit(verifier.settings.results_dir / "junit.xml", verifier.results, wall)
    _summary(verifier, wall, say)
    if interrupted:
        return EXIT_INTERRUPTED
    if verifier.exit_status is not None:
        return verifier.exit_status
    return 1 if any(r.status is Status.FAILED for r in verifier.results) else 0


def _blocks(verifier: Verifier, page: Path) -> list[Block] | MalformedBlock:
    try:
        return verifier.blocks(page)
    except MalformedBlock as error:  # said by the preflight already
        return error


def _run_page(
    verifier: Verifier, display: str, blocks: list[Block] | MalformedBlock, say: Say, interrupts: InterruptPolicy
) -> None:
    if isinstance(blocks, MalformedBlock):
        verifier.record_broken(display, blocks)
        verifier.exit_status = verifier.exit_status or blocks.exit_code
        say(f"\nFAILED {blocks}")
        return
    sessions = [block for block in blocks if block.is_session]
    runs = any(verifier.skip_reason(block) is None for block in sessions)
    page_run = verifier.start_page(display, say, blocks) if runs else None
    marks = []
    try:
        for block in sessions:
            reason = verifier.skip_reason(block)
            for command in block.commands:
                if reason or page_run is None:
                    verifier.record(display, command, Status.SKIPPED, reason or "")
                    marks.append("s")
                    continue
                marks.append(_run_command(verifier, page_run, block, command, say))
    finally:
        if page_run is not None:
            _end_page(verifier, page_run, display, say, interrupts)
        if marks:
            say(f"{display} {''.join(marks)}")


def _run_command(verifier: Verifier, run: PageRun, block: Block, command: Command, say: Say) -> str:
    try:
        result = verifier.run_command(run, block, command, say)
    except StepFailed as failure:
        say(f"\nFAILED {failure.report}\n")
        if failure.ends_run:
            verifier.fail(failure.ends_run, say)
            raise _Stop from None
        return "F"
    return "s" if result.status is Status.SKIPPED else "."


def _end_page(verifier: Verifier, page_run: PageRun, display: str, say: Say, interrupts: InterruptPolicy) -> None:
    with interrupts.cleaning():
        try:
            removed = verifier.end_page(page_run)
        except EngineLost as error:
            verifier.fail(EngineLost(f"{display}: {error}; the next run removes what is left"), say)
            raise _Stop from None
    if removed:
        say(f"cleanup {display}: removed {', '.join(removed)}")


def _summary(verifier: Verifier, wall: float, say: Say) -> None:
    say(overhead_line(verifier.results, wall))
    say(f"results: {verifier.results_file}")
    for result in verifier.results:
        if result.status is Status.SKIPPED:
            say(f"skipped {result.page}:{result.line}: {result.reason}")
    say(summary_line(verifier.results))


def write_junit(path: Path, results: list[Result], wall: float) -> None:
    """The results as JUnit XML (the form CI systems show), written whole or not at all."""
    failed = sum(r.status is Status.FAILED for r in results)
    skipped = sum(r.status is Status.SKIPPED for r in results)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="verify-tutorial",
        tests=str(len(results)),
        failures=str(failed),
        errors="0",
        skipped=str(skipped),
        time=f"{wall:.3f}",
    )
    for result in results:
        first_line = result.command.splitlines()[0] if result.command else "the page itself"
        case = ET.SubElement(
            suite,
            "testcase",
            classname=result.page.replace("/", ".").removesuffix(".md").removesuffix(".rst"),
            name=f"{result.line}: $ {first_line}",
            time=f"{result.duration:.3f}",
        )
        if result.status is Status.FAILED:
            ET.SubElement(case, "failure", message=result.reason).text = result.reason
        elif result.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=result.reason)
    write_atomically(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def wanted(settings_engine: str, pytest_args: list[str]) -> bool:
    """Whether the CLI runs the pages itself: no engine, and nothing only pytest understands."""
    return settings_engine == "none" and not any(arg.startswith("-") or "::" in arg for arg in pytest_args)
