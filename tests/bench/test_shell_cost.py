"""The shell-cost bench's pure parts: pages, per-command arithmetic, the claim, the rows and the table."""

import argparse

import pytest

from image_bench import shell_cost, tool_cost
from image_bench.errors import BenchError


def _figures(ours: dict, byexample: dict, prysk: dict) -> dict:
    def tool(version, how, costs):
        return {"version": version, "how": how, "per_command_ms": {str(k): v for k, v in costs.items()}}

    return {
        "sizes": [50, 500],
        "runs": 3,
        "tools": {
            "verify-tutorial": tool("this tree", "one long-lived bash per page", ours),
            "byexample": tool("11.0.0", "one interactive bash it drives", byexample),
            "prysk": tool("0.20.0", "the page as one batched script", prysk),
        },
    }


def test_pages_hold_the_same_commands_and_outputs():
    page = shell_cost.commands(2)
    assert page == [("echo line 1", "line 1"), ("echo line 2", "line 2")]
    assert shell_cost.byexample_page(page) == (
        "```shell\n$ echo line 1\nline 1\n```\n\n```shell\n$ echo line 2\nline 2\n```\n\n"
    )
    assert shell_cost.prysk_page(page) == "  $ echo line 1\n  line 1\n  $ echo line 2\n  line 2\n"


def test_per_command_cost_leaves_start_up_out():
    seconds = {1: 0.500, 50: 0.549, 500: 0.999}
    assert shell_cost.per_command(seconds, 50) == pytest.approx(0.001)
    assert shell_cost.per_command(seconds, 500) == pytest.approx(0.001)
    assert shell_cost.per_command({1: 0.6, 50: 0.5}, 50) == 0  # start-up noise larger than the page


def test_each_page_counts_with_its_fastest_run():
    runs = [{1: 0.7, 50: 0.75}, {1: 0.5, 50: 0.9}, {1: 0.6, 50: 0.6}]
    assert shell_cost.fastest(runs) == {1: 0.5, 50: 0.6}


def test_the_claim_holds_only_when_ours_is_no_dearer_at_every_size():
    held = _figures({50: 0.25, 500: 0.25}, {50: 0.9, 500: 0.25}, {50: 0.03, 500: 0.03})
    claim, passed, detail = shell_cost.claim(held)
    assert passed and "byexample" in claim
    assert detail == "0.250 ms vs 0.900 ms (50 commands), 0.250 ms vs 0.250 ms (500 commands)"
    broken = _figures({50: 0.25, 500: 0.26}, {50: 0.9, 500: 0.25}, {50: 0.03, 500: 0.03})
    assert not shell_cost.claim(broken)[1]


def test_rows_fit_the_bench_table():
    figures = _figures({50: 0.25, 500: 0.2}, {50: 1.5, 500: 1.0}, {50: 0.025, 500: 0.02})
    rows = shell_cost.table_rows(figures)
    assert rows == [
        ("shell per command, 50-command page: vs byexample", "1.50 ms", "0.250 ms", "0.17"),
        ("shell per command, 50-command page: vs prysk", "0.025 ms", "0.250 ms", "10"),
        ("shell per command, 500-command page: vs byexample", "1.00 ms", "0.200 ms", "0.20"),
        ("shell per command, 500-command page: vs prysk", "0.020 ms", "0.200 ms", "10"),
    ]


def test_the_table_puts_the_tools_side_by_side():
    figures = _figures({50: 0.25, 500: 0.2}, {50: 1.5, 500: 1.0}, {50: 0.025, 500: 0.02})
    lines = shell_cost.table(figures).splitlines()
    assert lines[0].split() == ["per", "command,", "best", "of", "3", "runs", "50", "commands", "500", "commands"]
    assert lines[1].startswith("verify-tutorial (one long-lived bash per page)")
    assert lines[2].split()[:2] == ["byexample", "11.0.0"] and lines[2].split()[-4:] == ["1.50", "ms", "1.00", "ms"]
    assert lines[4].split()[-2:] == ["0.17", "0.20"]  # ours / byexample
    assert lines[5].split()[-2:] == ["10", "10"]  # ours / prysk
    assert len({len(line) for line in lines}) == 1  # columns line up


def test_a_tool_is_found_in_the_given_folder_first(tmp_path):
    tool = tmp_path / "byexample"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert shell_cost.find_tool("byexample", tmp_path) == str(tool)


def test_a_missing_tool_stops_the_measurement_with_what_to_install(monkeypatch):
    monkeypatch.setattr(shell_cost, "find_tool", lambda name, tools=None: None)
    with pytest.raises(BenchError, match="byexample and prysk not found: `pip install byexample prysk`"):
        shell_cost.measure()


def test_sizes_are_parsed_sorted_and_checked():
    assert shell_cost.parse_sizes("500,50") == (50, 500)
    with pytest.raises(argparse.ArgumentTypeError):
        shell_cost.parse_sizes("1,50")


def _tool_figures(start_ups: dict[str, float], per_command: dict[str, float]) -> dict:
    return {
        "sizes": [500],
        "runs": 3,
        "start_up_limit_seconds": tool_cost.START_UP_LIMIT,
        "tools": {
            name: {"version": "x", "how": "y", "start_up_seconds": start_ups[name], "per_command_ms": {"500": cost}}
            for name, cost in per_command.items()
        },
    }


def test_the_whole_tool_claims_hold_only_within_the_limit_and_byexamples_cost():
    fine = _tool_figures(
        {"verify-tutorial": 0.3, "byexample": 0.5, "prysk": 0.25},
        {"verify-tutorial": 0.7, "byexample": 0.8, "prysk": 0},
    )
    assert [held for _, held, _ in tool_cost.claims(fine)] == [True, True]
    slow = _tool_figures(
        {"verify-tutorial": 0.45, "byexample": 0.5, "prysk": 0.25},
        {"verify-tutorial": 0.9, "byexample": 0.8, "prysk": 0},
    )
    (_, start_held, detail), (_, cost_held, _) = tool_cost.claims(slow)
    assert not start_held and not cost_held
    assert detail == "0.45 s; byexample 0.50 s, prysk 0.25 s"


def test_the_whole_tool_rows_put_start_up_first_then_each_size():
    rows = tool_cost.table_rows(
        _tool_figures(
            {"verify-tutorial": 0.3, "byexample": 0.6, "prysk": 0.3},
            {"verify-tutorial": 0.5, "byexample": 1, "prysk": 0},
        )
    )
    assert rows[0] == ("whole run, start-up: vs byexample", "0.60 s", "0.30 s", "0.50")
    assert rows[2] == ("whole run per command, 500-command page: vs byexample", "1.00 ms", "0.500 ms", "0.50")


def test_our_page_and_project_are_what_an_adopter_writes(tmp_path):
    page = tool_cost.our_project(tmp_path / "p", shell_cost.commands(1))
    assert page.read_text() == "```console\n$ echo line 1\nline 1\n```\n\n"
    assert (tmp_path / "p" / "pyproject.toml").read_text().count("\n") == 3  # three lines of configuration
