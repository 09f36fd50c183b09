"""What each whole tool costs, as an adopter runs it: start-up, and per command.

    python -m image_bench.tool_cost [--runs N] [--sizes 50,500] [--tools DIR] [--output PATH]

verify-tutorial (its CLI, on a project whose pyproject.toml holds the three lines
of an engine-free configuration, so no casts), byexample and prysk each run pages of 1 and of
N `echo` commands as processes of their own, taking turns. Start-up is the
fastest run of the 1-command page; a command's cost is what a page's N-1 more
commands add, per command. Unlike shell_cost, which times the shells alone, this
counts everything: the interpreter, imports, reading the page, reports.
Exits 1 when verify-tutorial starts slower than START_UP_LIMIT or costs more per
command than byexample, 2 when a tool is missing or fails.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import shell_cost
from .errors import BenchError

START_UP_LIMIT = 0.4  # seconds, for an engine-free project (issue: "a verifier another project adopts")
OURS = shell_cost.OURS
CONFIG = '[tool.verify-tutorial]\nengine = "none"\npages = "docs"\n'
HOW = {
    OURS: "its CLI, engine none",
    "byexample": "byexample -l shell",
    "prysk": "prysk --shell bash",
}


def our_page(page: list[tuple[str, str]]) -> str:
    """MyST with one console block per command, as a CLI guide has."""
    return "".join(f"```console\n$ {command}\n{output}\n```\n\n" for command, output in page)


def our_project(folder: Path, page: list[tuple[str, str]]) -> Path:
    """A project of one page and the three-line configuration; returns its page."""
    (folder / "docs").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(CONFIG)
    target = folder / "docs" / "page.md"
    target.write_text(our_page(page))
    return target


def measure(
    sizes: tuple[int, ...] = shell_cost.SIZES,
    runs: int = shell_cost.RUNS,
    tools: Path | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> dict:
    """Each tool's start-up (s) and per-command cost (ms) at each size, with the raw timings."""
    found = {name: shell_cost.find_tool(name, tools) for name in shell_cost.TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise BenchError(f"{' and '.join(missing)} not found: `pip install byexample prysk` here, or pass --tools DIR")
    argv = {OURS: [sys.executable, "-m", "verify_tutorial"]}
    argv.update({name: shell_cost.tool_argv(name, path) for name, path in found.items() if path is not None})
    figures: dict = {"sizes": list(sizes), "runs": runs, "start_up_limit_seconds": START_UP_LIMIT, "tools": {}}
    for name, command in argv.items():
        known = "this tree" if name == OURS else shell_cost.version(command[0])
        figures["tools"][name] = {"version": known, "how": HOW[name]}
    timings: dict[str, list[dict[int, float]]] = {name: [] for name in argv}
    with tempfile.TemporaryDirectory(prefix="tool-cost-") as folder:
        scratch = Path(folder)
        files: dict[str, dict[int, Path]] = {name: {} for name in argv}
        for size in (1, *sizes):
            page = shell_cost.commands(size)
            files[OURS][size] = our_project(scratch / f"ours-{size}", page)
            files["byexample"][size] = scratch / f"page-{size}.md"
            files["byexample"][size].write_text(shell_cost.byexample_page(page))
            files["prysk"][size] = scratch / f"page-{size}.t"
            files["prysk"][size].write_text(shell_cost.prysk_page(page))
        for run in range(runs + 1):  # the first only warms caches
            say(f"tool cost: {'warm-up' if run == 0 else f'run {run} of {runs}'}")
            for name, command in argv.items():  # turns, so a machine that slows down slows all
                seconds = {size: _time(name, command, files[name][size]) for size in (1, *sizes)}
                if run:
                    timings[name].append(seconds)
    for name, tool_runs in timings.items():
        tool = figures["tools"][name]
        best = shell_cost.fastest(tool_runs)
        tool["seconds"] = {str(size): [round(r[size], 4) for r in tool_runs] for size in (1, *sizes)}
        tool["start_up_seconds"] = round(best[1], 4)
        tool["per_command_ms"] = {str(size): round(shell_cost.per_command(best, size) * 1000, 4) for size in sizes}
    return figures


def _time(name: str, command: list[str], page: Path) -> float:
    if name == OURS:  # run in the project's folder, on its pages, as an adopter types it
        return shell_cost.time_tool(command, page.parent.parent / "docs")
    return shell_cost.time_tool(command, page)


def start_up(figures: dict, name: str) -> float:
    return float(figures["tools"][name]["start_up_seconds"])


def claims(figures: dict) -> list[tuple[str, bool, str]]:
    """(claim, held, detail): ours starts within the limit and costs no more per command than byexample."""
    ours = start_up(figures, OURS)
    others = ", ".join(f"{name} {start_up(figures, name):.2f} s" for name in shell_cost.TOOLS)
    limit = figures["start_up_limit_seconds"]
    sizes = figures["sizes"]
    per = [(shell_cost.cost(figures, OURS, s), shell_cost.cost(figures, "byexample", s)) for s in sizes]
    detail = ", ".join(
        f"{shell_cost.milliseconds(a)} vs {shell_cost.milliseconds(b)} ({s} commands)"
        for s, (a, b) in zip(sizes, per, strict=True)
    )
    return [
        (f"an engine-free project's run starts within {limit} s", ours <= limit, f"{ours:.2f} s; {others}"),
        ("a whole run costs no more per command than byexample's", all(a <= b for a, b in per), detail),
    ]


def table_rows(figures: dict) -> list[tuple[str, str, str, str]]:
    """Rows in the bench table's shape (label, theirs, ours, ours/theirs)."""
    rows = []
    for name in shell_cost.TOOLS:
        ours, theirs = start_up(figures, OURS), start_up(figures, name)
        rows.append(
            (f"whole run, start-up: vs {name}", f"{theirs:.2f} s", f"{ours:.2f} s", shell_cost.ratio(ours, theirs))
        )
    for size in figures["sizes"]:
        for name in shell_cost.TOOLS:
            ours, theirs = shell_cost.cost(figures, OURS, size), shell_cost.cost(figures, name, size)
            rows.append(
                (
                    f"whole run per command, {size}-command page: vs {name}",
                    shell_cost.milliseconds(theirs),
                    shell_cost.milliseconds(ours),
                    shell_cost.ratio(ours, theirs),
                )
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = shell_cost.arguments("python -m image_bench.tool_cost", __doc__.splitlines()[0], argv)
    try:
        figures = measure(args.sizes, args.runs, args.tools, say=lambda m: print(m, file=sys.stderr, flush=True))
    except BenchError as error:
        print(f"tool-cost: {error}", file=sys.stderr)
        return 2
    found = claims(figures)
    figures["checks"] = [{"claim": c, "passed": held, "detail": d} for c, held, d in found]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    rows = [("", "theirs", "ours", "ours/theirs"), *table_rows(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}")
    print()
    for claim, held, detail in found:
        print(f"{'PASS' if held else 'FAIL'}  {claim}: {detail}")
    return 0 if all(held for _, held, _ in found) else 1


if __name__ == "__main__":
    sys.exit(main())
