"""The closing lines: counts, and overhead that counts hidden steps as the page's own time."""

from verify_tutorial.results import overhead_line, summary_line
from verify_tutorial.runner import Result


def result(status, duration=0.0, hidden=0.0):
    return Result("p.md", 1, "true", status, duration=duration, hidden_duration=hidden)


def test_summary_counts_accepted_as_passed():
    assert summary_line([result("passed"), result("accepted"), result("failed"), result("skipped")]) == (
        "2 passed, 1 failed, 1 skipped"
    )


def test_hidden_setup_is_not_harness_overhead():
    line = overhead_line([result("passed", duration=2.0, hidden=3.0)], wall=6.0)
    assert line.startswith("harness overhead: 1.0 s of 6.0 s wall (16.7%)")
