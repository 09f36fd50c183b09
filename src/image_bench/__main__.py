"""image-bench: build the seed-style recipe and the template's side by side, and measure.

    python -m image_bench [--runs N] [--gpu] [--no-verify] [--output PATH]

Every figure is the median of N runs; the two recipes alternate within each
run, so a machine that slows down mid-bench slows both. Exits 1 when a claim
the template makes (see report.checks) does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from verify_tutorial.config import load
from verify_tutorial.engines.docker.client import check_buildkit, connect
from verify_tutorial.errors import VerifyError
from verify_tutorial.verifier import Verifier

from . import caches, gpu_image, shell_cost, store, tool_cost
from .errors import BenchError
from .lock import lock_with
from .overhead import verify_once
from .recipes import EXTRA_DEPENDENCY, LOCK, RECIPES, SEED_STYLE, TEMPLATE
from .report import Check, checks, summarize_floor, summarize_recipe, summarize_verify, table
from .scenarios import Workspace, run_recipe

STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f} s] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="image-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--gpu", action="store_true", help="also build the GPU images once (about 7 GB to download)")
    parser.add_argument("--no-verify", action="store_true", help="skip timing verify-tutorial")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository (default: the current folder)")
    parser.add_argument("--output", type=Path, help="where the JSON goes (default: ROOT/build/bench/bench.json)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.root = args.root.resolve()
    if not (args.root / TEMPLATE).is_dir() or not (args.root / SEED_STYLE).is_file():
        parser.error(f"{args.root} is not the repository: run from its root, or pass --root")
    args.output = args.output or args.root / "build" / "bench" / "bench.json"
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    try:
        docker = check_buildkit(env)
        engine = connect()
        if not args.no_verify:  # fail now, not after the builds, if the guide's names are taken
            check_guide_names(args.root / "conf" / "verify.toml")
        figures = measure(args, docker, env, engine)
    except (BenchError, VerifyError) as error:
        print(f"image-bench: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("image-bench: interrupted; what it built is removed", file=sys.stderr)
        return 130
    found = checks(figures["cpu"], figures.get("verify"))
    if "gpu" in figures:  # what a machine without a GPU can prove of the GPU image
        found += gpu_image.checks(figures["gpu"]["image_check"])
    if "shell" in figures:  # the verifier's own cost per command, beside byexample's and prysk's
        found.append(Check(*shell_cost.claim(figures["shell"])))
    if "tool" in figures:  # the whole verifier as an adopter runs it: start-up and per command
        found += [Check(*claim) for claim in tool_cost.claims(figures["tool"])]
    figures["checks"] = [vars(c) for c in found]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print()
    for check in found:
        print(f"{'PASS' if check.passed else 'FAIL'}  {check.claim}: {check.detail}")
    print(f"\nfigures written to {args.output}")
    return 0 if all(c.passed for c in found) else 1


def check_guide_names(verify_config: Path) -> None:
    """Stop now, not after the builds, if a name the guide creates is taken.
    The engine is let go at once: the bench's own verify runs take it later."""
    verifier = Verifier(load(verify_config))
    try:
        verifier.preflight(None, say)
    finally:
        verifier.close()


def measure(args: argparse.Namespace, docker: str, env: dict[str, str], engine) -> dict:
    figures: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # engine, image_store, storage_driver, measured_on: what the sizes were measured on
        **store.describe(engine.info()),
        "host": platform.node(),
        "runs": args.runs,
        "extra_dependency": EXTRA_DEPENDENCY,
    }
    with tempfile.TemporaryDirectory(prefix="image-bench-") as scratch:
        ws = Workspace(
            docker, env, args.root, Path(scratch), secrets.token_hex(4), engine, caches.cache_records(engine)
        )
        try:
            for target in ("cpu", "gpu") if args.gpu else ("cpu",):
                figures[target] = measure_target(ws, target, args.runs if target == "cpu" else 1)
        finally:
            freed = ws.clean()
            say(f"removed the bench's images and build cache ({freed / 1e6:,.0f} MB)")
    if not args.no_verify:
        runs = []
        for run in range(args.runs + 1):  # the first only warms the caches
            say(f"verify-tutorial, {'warm-up' if run == 0 else f'run {run}'}")
            runs.append(verify_once(args.root, env))
            say(f"  {runs[-1].wall_seconds:.1f} s wall, commands {runs[-1].commands_seconds:.1f} s")
        figures["verify"] = summarize_verify(runs[1:])
        figures["shell"] = shell_cost.measure(runs=args.runs, say=say)
        figures["tool"] = tool_cost.measure(runs=args.runs, say=say)
    return figures


def measure_target(ws: Workspace, target: str, runs: int) -> dict:
    # Rebuild scenarios only for CPU: the GPU recipe differs only in its lock.
    plus_one = lock_with(ws.root / TEMPLATE / LOCK, EXTRA_DEPENDENCY) if target == "cpu" else None
    results: dict[str, list] = {recipe.name: [] for recipe in RECIPES[target]}
    image_check = None
    for run in range(1, runs + 1):
        for recipe in RECIPES[target]:
            results[recipe.name].append(run_recipe(ws, recipe, target, run, plus_one, say))
        if target == "gpu" and image_check is None:  # before clean() removes the image
            say("ours (gpu): is JAX's CUDA plugin found, and does example.py --require-gpu exit 3?")
            image_check = gpu_image.probe(ws.docker, results["ours"][-1].image, ws.root / TEMPLATE, ws.env)
        say(f"run {run} done; removed its images and build cache ({ws.clean() / 1e6:,.0f} MB)")
    summary = {name: summarize_recipe(recipe_runs) for name, recipe_runs in results.items()}
    extra = {"image_check": image_check} if image_check is not None else {}
    return {**summary, "runs": runs, "floor": summarize_floor(results["ours"]), **extra}


if __name__ == "__main__":
    sys.exit(main())
