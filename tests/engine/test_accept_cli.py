"""`--accept` through the CLI, on a real engine: it never loses a byte of a page."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from conftest import run_verifier, start_verifier

from verify_tutorial.errors import MalformedBlock
from verify_tutorial.reporting.results import page_digest

pytestmark = pytest.mark.docker


def page_of(site, text: str, newline: str = "\n"):
    """Replace the tiny site's page with `text` (plain shell blocks)."""
    page = site / "docs" / "page.md"
    page.write_bytes(text.replace("\n", newline).encode())
    return page


def test_accept_writes_real_output_and_records_the_page_as_written(tiny_site):
    page = page_of(tiny_site, "# P\n\n```console\n$ echo new\nold\n```\n\nAfter.\n")
    result = run_verifier(tiny_site / "verify.toml", "--accept")
    assert result.returncode == 0, result.stdout + result.stderr
    assert page.read_text() == "# P\n\n```console\n$ echo new\nnew\n```\n\nAfter.\n"
    data = json.loads((tiny_site / "build" / "results.json").read_text())
    assert data["pages"]["docs/page.md"] == page_digest(page)


def test_accept_keeps_crlf_line_endings(tiny_site):
    page = page_of(tiny_site, "# P\n\n```console\n$ echo new\nold\n```\n\nAfter.\n", newline="\r\n")
    result = run_verifier(tiny_site / "verify.toml", "--accept")
    assert result.returncode == 0, result.stdout + result.stderr
    assert page.read_bytes() == b"# P\r\n\r\n```console\r\n$ echo new\r\nnew\r\n```\r\n\r\nAfter.\r\n"


def test_an_unclosed_fence_is_malformed_and_the_page_is_untouched(tiny_site):
    text = "# P\n\n```console\n$ echo new\nold\n\nA paragraph.\n\n## A heading\n"
    page = page_of(tiny_site, text)
    for mode in ((), ("--accept",)):
        result = run_verifier(tiny_site / "verify.toml", *mode)
        assert result.returncode == MalformedBlock.exit_code, result.stdout + result.stderr
        assert "docs/page.md:3: " in result.stderr and "never closed" in result.stderr
        assert page.read_text() == text


@pytest.mark.parametrize("output", ["$ rm -rf build", "```"], ids=["prompt", "fence"])
def test_output_that_would_change_the_page_is_refused(tiny_site, output):
    text = f"# P\n\n```console\n$ printf 'a\\n{output}\\n'\na\n```\n"
    page = page_of(tiny_site, text)
    result = run_verifier(tiny_site / "verify.toml", "--accept")
    assert result.returncode == MalformedBlock.exit_code, result.stdout + result.stderr
    assert "no page was rewritten" in result.stdout
    assert page.read_text() == text


def test_teardown_runs_when_output_was_accepted(tiny_site):
    marker = tiny_site / "torn-down"
    page_of(tiny_site, f'# P\n\n% verify: teardown="touch {marker}"\n```console\n$ echo new\nold\n```\n')
    result = run_verifier(tiny_site / "verify.toml", "--accept")
    assert result.returncode == 0, result.stdout + result.stderr
    assert marker.exists()


def test_teardown_runs_when_a_command_fails(tiny_site):
    marker = tiny_site / "torn-down"
    page_of(tiny_site, f'# P\n\n% verify: teardown="touch {marker}"\n```console\n$ false\n$ echo never\n```\n')
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == 1
    assert marker.exists()


def test_ctrl_c_during_an_accept_run_writes_nothing(tiny_site):
    text = "# P\n\n```console\n$ echo new\nold\n$ sleep 601\n```\n"
    page = page_of(tiny_site, text)
    process = start_verifier(tiny_site / "verify.toml", "--accept")
    deadline = time.monotonic() + 120
    while not _sleeping("601"):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 130, output
    assert "the run was interrupted, so no page was rewritten" in output
    assert page.read_text() == text


def test_a_page_that_is_not_utf8_is_named_and_the_others_run(tiny_site):
    (tiny_site / "docs" / "bad.md").write_bytes(b"# Bad\n\ncaf\xe9\n\n```console\n$ echo hi\nhi\n```\n")
    page_of(tiny_site, "# P\n\n```console\n$ echo fine\nfine\n```\n")
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == MalformedBlock.exit_code, result.stdout + result.stderr
    assert "docs/bad.md: not UTF-8" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert "1 passed, 1 failed" in result.stdout  # the unreadable page fails, as one item


def test_skips_point_at_the_page(tiny_site):
    page_of(tiny_site, "# P\n\n```console\n$ false\n$ echo never\n```\n")
    result = run_verifier(tiny_site / "verify.toml")
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all("docs/page.md:5" in line for line in skipped), result.stdout


def _sleeping(seconds: str) -> bool:
    """Some process is running `sleep SECONDS` (the page's command has started)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/cmdline").read_text().split("\0")[:2] == ["sleep", seconds]:
                    return True
            except OSError:
                continue
    return False
