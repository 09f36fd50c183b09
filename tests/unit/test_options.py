"""Option values the verifier cannot use are refused with the line, not run."""

from pathlib import Path

import pytest

from verify_tutorial.document.options import parse_options
from verify_tutorial.errors import UnknownOption


def options(text: str):
    return parse_options(Path("docs/x.md"), [(4, f" verify: {text}")])


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "abc", ""])
def test_timeout_must_be_positive_and_finite(value):
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: verify option timeout=.* positive number of seconds"):
        options(f"timeout={value}")


@pytest.mark.parametrize("value", ["-1", "256", "1.5", "abc", "+3", ""])
def test_exit_must_be_a_status(value):
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: verify option exit=.* whole number 0 to 255"):
        options(f"exit={value}")


def test_good_values():
    assert options("timeout=0.5").timeout == 0.5
    assert options("timeout=1e3").timeout == 1000
    assert options("exit=255").exit == 255
    assert options("exit=0").exit == 0
    assert options("role=newcomer").role == "newcomer" and options("exit=0").role is None


def test_a_cpu_only_block_runs_on_cpu_and_is_skipped_on_gpu():
    from verify_tutorial.config import load
    from verify_tutorial.document.model import Options
    from verify_tutorial.requirements import skip_reason

    targets = load().targets  # the guide's, from conf/verify.toml
    options = Options(requires=frozenset({"cpu"}))
    assert skip_reason(options, {"cpu"}, targets=targets) is None
    assert skip_reason(options, {"gpu"}, targets=targets) == "shows a machine without a GPU (--target cpu)"
