"""What each command of a page costs in its shell: verify-tutorial's next to byexample's and prysk's.

    python -m image_bench.shell_cost [--runs N] [--sizes 50,500] [--tools DIR] [--output PATH]

The three run the same pages of N `echo` commands, each checked against its
output, in one run, the tools taking turns:

- verify-tutorial: one PageShell (its long-lived bash), in this process;
- byexample: `byexample -l shell` on a Markdown page (one interactive bash it drives);
- prysk: `prysk --shell bash` on a .t page (the whole page as one batched script).

A command's cost is what it adds: (time for a page of N - time for a page of
1) / (N - 1), so that start-up (an interpreter, a shell) cancels out. Each page
counts with its fastest run: on a shared machine other work only ever adds
time, and the start-up of a Python tool varies by more than 50 commands cost.
A first run only warms caches.
byexample and prysk are looked for in --tools, next to this Python, then on
PATH (`pip install byexample prysk`). Exits 1 when verify-tutorial costs more
per command than byexample at any size, 2 when a tool is missing or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from verify_tutorial.execution.shell import PageShell

from .errors import BenchError

SIZES = (50, 500)
RUNS = 7
OURS = "verify-tutorial"
TOOLS = ("byexample", "prysk")
HOW = {
    OURS: "one long-lived bash per page",
    "byexample": "one interactive bash it drives",
    "prysk": "the page as one batched script",
}


def commands(count: int) -> list[tuple[str, str]]:
    """A page's commands and the output each must print."""
    return [(f"echo line {n}", f"line {n}") for n in range(1, count + 1)]


def byexample_page(page: list[tuple[str, str]]) -> str:
    """Markdown with one shell block per command, as a guide's page has."""
    return "".join(f"```shell\n$ {command}\n{output}\n```\n\n" for command, output in page)


def prysk_page(page: list[tuple[str, str]]) -> str:
    """A cram/prysk test: commands and outputs indented by two spaces."""
    return "".join(f"  $ {command}\n  {output}\n" for command, output in page)


def per_command(seconds: dict[int, float], size: int) -> float:
    """What each command beyond the first added: start-up cancels out (noise can not make it negative)."""
    return max(0.0, (seconds[size] - seconds[1]) / (size - 1))


def fastest(runs: list[dict[int, float]]) -> dict[int, float]:
    """Each page's fastest run: the one other work on the machine disturbed least."""
    return {size: min(run[size] for run in runs) for size in runs[0]}


def find_tool(name: str, tools: Path | None = None) -> str | None:
    """The tool's executable: in tools, next to this Python, or on PATH."""
    for folder in (tools, Path(sys.executable).parent):
        if folder is not None and (folder / name).is_file() and os.access(folder / name, os.X_OK):
            return str(folder / name)
    return shutil.which(name)


def tool_argv(name: str, executable: str) -> list[str]:
    if name == "byexample":
        return [executable, "-l", "shell", "--quiet", "--timeout", "60"]
    return [executable, "--shell", "bash", "--quiet"]


def version(executable: str) -> str:
    done = subprocess.run([executable, "--version"], capture_output=True, text=True)
    words = (done.stdout or done.stderr).split()
    numbers = [w for w in words if w[:1].isdigit()]
    return numbers[0] if numbers else "unknown"


def time_ours(page: list[tuple[str, str]], scratch: Path) -> float:
    """Seconds to run and check the page in a fresh PageShell (started by its first command)."""
    workdir = Path(tempfile.mkdtemp(dir=scratch))
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    start = time.perf_counter()
    with PageShell(workdir, workdir / ".shell", env) as shell:
        for command, output in page:
            outcome = shell.run(command, timeout=60)
            if outcome.status != 0 or outcome.output != output + "\n":
                raise BenchError(f"verify-tutorial: `{command}` gave {outcome.status}, {outcome.output!r}")
    return time.perf_counter() - start


def time_tool(argv: list[str], page: Path) -> float:
    """Seconds for the tool to run and check the page; it must pass."""
    start = time.perf_counter()
    done = subprocess.run([*argv, page.name], cwd=page.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        last = (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:] or ["no output"]
        raise BenchError(f"{Path(argv[0]).name} failed on {page.name} (exit {done.returncode}): {last[0]}")
    return seconds


def measure(
    sizes: tuple[int, ...] = SIZES,
    runs: int = RUNS,
    tools: Path | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> dict:
    """Every tool's per-command cost at each size, in milliseconds, with the raw timings."""
    found = {name: find_tool(name, tools) for name in TOOLS}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise BenchError(f"{' and '.join(missing)} not found: `pip install byexample prysk` here, or pass --tools DIR")
    executables = {name: path for name, path in found.items() if path is not None}
    figures: dict = {
        "sizes": list(sizes),
        "runs": runs,
        "tools": {OURS: {"version": "this tree", "how": HOW[OURS]}},
    }
    for name, path in executables.items():
        figures["tools"][name] = {"version": version(path), "how": HOW[name]}
    timings: dict[str, list[dict[int, float]]] = {name: [] for name in figures["tools"]}
    with tempfile.TemporaryDirectory(prefix="shell-cost-") as folder:
        scratch = Path(folder)
        pages = {size: commands(size) for size in (1, *sizes)}
        files: dict[str, dict[int, Path]] = {"byexample": {}, "prysk": {}}
        for size, page in pages.items():
            files["byexample"][size] = scratch / f"page-{size}.md"
            files["byexample"][size].write_text(byexample_page(page))
            files["prysk"][size] = scratch / f"page-{size}.t"
            files["prysk"][size].write_text(prysk_page(page))
        for run in range(runs + 1):  # the first only warms caches
            say(f"shell cost: {'warm-up' if run == 0 else f'run {run} of {runs}'}")
            for name in timings:  # the tools take turns, so a machine that slows down slows all
                seconds = {}
                for size, page in pages.items():
                    if name == OURS:
                        seconds[size] = time_ours(page, scratch)
                    else:
                        seconds[size] = time_tool(tool_argv(name, executables[name]), files[name][size])
                if run:
                    timings[name].append(seconds)
    for name, tool_runs in timings.items():
        tool = figures["tools"][name]
        tool["seconds"] = {str(size): [round(r[size], 4) for r in tool_runs] for size in (1, *sizes)}
        best = fastest(tool_runs)
        tool["per_command_ms"] = {str(size): round(per_command(best, size) * 1000, 4) for size in sizes}
    return figures


def cost(figures: dict, name: str, size: int) -> float:
    return figures["tools"][name]["per_command_ms"][str(size)]


def ratio(ours: float, theirs: float) -> str:
    if theirs <= 0:
        return "n/a"
    value = ours / theirs
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def milliseconds(value: float) -> str:
    return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms"


def claim(figures: dict) -> tuple[str, bool, str]:
    """The promise, as (claim, held, detail): at every size no dearer per command than byexample."""
    sizes = figures["sizes"]
    held = all(cost(figures, OURS, size) <= cost(figures, "byexample", size) for size in sizes)
    detail = ", ".join(
        f"{milliseconds(cost(figures, OURS, size))} vs {milliseconds(cost(figures, 'byexample', size))} "
        f"({size} commands)"
        for size in sizes
    )
    return "a page's shell costs no more per command than byexample's", held, detail


def table_rows(figures: dict) -> list[tuple[str, str, str, str]]:
    """Rows in the bench table's shape (label, theirs, ours, ours/theirs), one per tool and size."""
    rows = []
    for size in figures["sizes"]:
        ours = cost(figures, OURS, size)
        for name in TOOLS:
            theirs = cost(figures, name, size)
            label = f"shell per command, {size}-command page: vs {name}"
            rows.append((label, milliseconds(theirs), milliseconds(ours), ratio(ours, theirs)))
    return rows


def table(figures: dict) -> str:
    """One line per tool, one column per size, then ours as a ratio of each."""
    sizes = figures["sizes"]
    rows = [(f"per command, best of {figures['runs']} runs", *(f"{size} commands" for size in sizes))]
    for name, tool in figures["tools"].items():
        label = f"{name} {tool['version']} ({tool['how']})" if name != OURS else f"{name} ({tool['how']})"
        rows.append((label, *(milliseconds(cost(figures, name, size)) for size in sizes)))
    for name in TOOLS:
        rows.append((f"  {OURS} / {name}", *(ratio(cost(figures, OURS, s), cost(figures, name, s)) for s in sizes)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join([row[0].ljust(widths[0]), *(cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:]))])
        for row in rows
    )


def parse_sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if not sizes or sizes[0] < 2:
        raise argparse.ArgumentTypeError("sizes are command counts of 2 or more, like 50,500")
    return sizes


def arguments(prog: str, description: str, argv: list[str] | None) -> argparse.Namespace:
    """The options this bench and tool_cost share: runs, sizes, where the tools are, the JSON."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per page; the fastest counts ({RUNS})")
    parser.add_argument("--sizes", type=parse_sizes, default=SIZES, help="command counts per page (50,500)")
    parser.add_argument("--tools", type=Path, help="the folder holding byexample and prysk (a virtualenv's bin)")
    parser.add_argument("--output", type=Path, help="also write the figures there, as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments("python -m image_bench.shell_cost", __doc__.splitlines()[0], argv)
    try:
        figures = measure(args.sizes, args.runs, args.tools, say=lambda m: print(m, file=sys.stderr, flush=True))
    except BenchError as error:
        print(f"shell-cost: {error}", file=sys.stderr)
        return 2
    text, held, detail = claim(figures)
    figures["check"] = {"claim": text, "passed": held, "detail": detail}
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print()
    print(f"{'PASS' if held else 'FAIL'}  {text}: {detail}")
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
