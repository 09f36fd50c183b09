"""The whole guide, verified on the CPU target, as `nox -s verify-tutorial` runs it."""

import pytest
from conftest import ROOT, run_verifier


@pytest.mark.docker
def test_every_console_block_of_the_guide_verifies():
    result = run_verifier(ROOT / "conf" / "verify.toml")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr
    assert ", 0 failed, " in result.stdout
