"""The whole guide, verified on the CPU target, as `nox -s verify-tutorial` runs it."""

import re

import pytest
from conftest import ROOT, run_verifier


@pytest.mark.docker
def test_every_console_block_of_the_guide_verifies():
    result = run_verifier(ROOT / "conf" / "verify.toml")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr
    counts = re.search(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", result.stdout, re.M)
    assert counts, result.stdout[-2000:]
    passed, failed, _ = map(int, counts.groups())
    assert failed == 0 and passed > 0, "a run where nothing passed proves nothing"
