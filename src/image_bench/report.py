"""Medians across runs, ratios, the checks the template promises, and the table."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from . import shell_cost, store, tool_cost
from .overhead import VerifyRun
from .recipes import EXTRA_DEPENDENCY
from .scenarios import SCENARIOS, RecipeRun

MAX_OF_FLOOR = 1.02
MAX_OF_SEED = 0.60
# Build times as a share of the seed-style recipe's, medians of the same runs.
MAX_TIME_OF_SEED = {"cold": 0.75, "one more dependency": 0.30}
MAX_OVERHEAD_SHARE = 0.10


@dataclass
class Check:
    claim: str
    passed: bool
    detail: str


def summarize_recipe(runs: list[RecipeRun]) -> dict:
    """One recipe's figures: each scenario's per-run values and their median."""
    summary: dict = {"size_bytes": int(median(r.size_bytes for r in runs)), "layers": runs[-1].layers, "builds": {}}
    for scenario in SCENARIOS:
        builds = [r.builds[scenario] for r in runs if scenario in r.builds]
        if not builds:
            continue
        fetched = [b.downloaded_bytes for b in builds if b.downloaded_bytes is not None]
        summary["builds"][scenario] = {
            "seconds": [round(b.seconds, 2) for b in builds],
            "median_seconds": round(median(b.seconds for b in builds), 2),
            "downloaded_bytes": fetched,
            "median_downloaded_bytes": int(median(fetched)) if fetched else None,
            "steps_run": [b.steps_run for b in builds],
            "pip_downloads": [b.pip_downloads for b in builds],
            "uv_prepared": [b.uv_prepared for b in builds],
            "uv_installed": [b.uv_installed for b in builds],
            "apt_downloads": [len(b.apt_downloads) for b in builds],
        }
    return summary


def summarize_floor(ours: list[RecipeRun]) -> dict:
    """The floor no recipe can go below: the interpreter's image plus the installed packages."""
    interpreter = int(median(r.interpreter_image_bytes for r in ours))
    packages = int(median(r.packages_bytes for r in ours))
    return {"interpreter_image_bytes": interpreter, "packages_bytes": packages, "floor_bytes": interpreter + packages}


def summarize_verify(runs: list[VerifyRun]) -> dict:
    wall = median(r.wall_seconds for r in runs)
    own = median(r.commands_seconds for r in runs)
    return {
        "wall_seconds": [round(r.wall_seconds, 2) for r in runs],
        "commands_seconds": [round(r.commands_seconds, 2) for r in runs],
        "median_wall_seconds": round(wall, 2),
        "median_commands_seconds": round(own, 2),
        "overhead_share": round((wall - own) / wall, 4),
        "summary": runs[-1].summary,
    }


def checks(cpu: dict, verify: dict | None) -> list[Check]:
    seed, ours, floor = cpu["seed-style"], cpu["ours"], cpu["floor"]["floor_bytes"]
    of_floor, of_seed = ours["size_bytes"] / floor, ours["size_bytes"] / seed["size_bytes"]
    found = [
        Check(f"CPU image <= {MAX_OF_FLOOR:.2f}x the floor", of_floor <= MAX_OF_FLOOR, f"{of_floor:.3f}x"),
        Check(f"CPU image <= {MAX_OF_SEED:.2f}x the seed-style recipe", of_seed <= MAX_OF_SEED, f"{of_seed:.2f}x"),
    ]
    builds, theirs = ours["builds"], seed["builds"]
    for scenario, most in MAX_TIME_OF_SEED.items():
        if scenario in builds:
            share = builds[scenario]["median_seconds"] / theirs[scenario]["median_seconds"]
            found.append(
                Check(
                    f"{scenario} build <= {most:.2f}x the seed-style recipe's time",
                    share <= most,
                    f"{share:.2f}x ({builds[scenario]['median_seconds']:.1f} s against "
                    f"{theirs[scenario]['median_seconds']:.1f} s)",
                )
            )
    if "source edit" in builds:
        steps = builds["source edit"]["steps_run"]
        found.append(Check("a source edit rebuilds nothing", not any(steps), f"steps run per run: {steps}"))
        added = builds["one more dependency"]
        found.append(
            Check(
                "adding one dependency fetches only it",
                fetched_only(added, EXTRA_DEPENDENCY.split("==")[0]),
                f"pip fetched {added['pip_downloads']}, uv fetched {added['uv_prepared']} package(s) and "
                f"installed {added['uv_installed']}, apt fetched {added['apt_downloads']}",
            )
        )
    if verify is not None:
        share = verify["overhead_share"]
        found.append(
            Check(
                f"harness overhead < {MAX_OVERHEAD_SHARE:.0%} of a warm verify run",
                share < MAX_OVERHEAD_SHARE,
                f"{share:.1%} of {verify['median_wall_seconds']:.1f} s",
            )
        )
    return found


def fetched_only(build: dict, wanted: str) -> bool:
    """In every run, one package was fetched and it is `wanted`: pip's one download,
    or the one package uv had to fetch while it installed `wanted`; apt fetched nothing."""
    for wheels, prepared, installed, debs in zip(
        build["pip_downloads"], build["uv_prepared"], build["uv_installed"], build["apt_downloads"], strict=True
    ):
        by_pip = len(wheels) == 1 and wheels[0].startswith(wanted) and prepared == 0
        by_uv = not wheels and prepared == 1 and wanted in installed
        if not (by_pip or by_uv) or debs:
            return False
    return True


def size_text(n: float | None) -> str:
    """Bytes for people, as the table and the site's charts show them (MB are 10^6 bytes, as Docker's)."""
    if n is None:
        return "n/a"
    if n >= 10e6:
        return f"{n / 1e6:,.0f} MB"
    if n >= 1e5:
        return f"{n / 1e6:.2f} MB"
    return f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n:.0f} B"


def _ratio(ours: float | None, seed: float | None) -> str:
    return f"{ours / seed:.2f}" if ours is not None and seed else "-"


def _seconds(n: float) -> str:
    return f"{n:.1f} s"


def _compared(label: str, theirs, ours, show) -> tuple[str, str, str, str]:
    """A table row: the seed-style figure, ours, and ours as a share of it."""
    return (label, show(theirs), show(ours), _ratio(ours, theirs))


def table(figures: dict) -> str:
    rows = [("", "seed-style", "ours", "ours/seed")]
    for target in ("cpu", "gpu"):
        if target not in figures:
            continue
        seed, ours, floor = figures[target]["seed-style"], figures[target]["ours"], figures[target]["floor"]
        label = target.upper()
        rows.append(_compared(f"{label} image size", seed["size_bytes"], ours["size_bytes"], size_text))
        of_floor = f"ours/floor {ours['size_bytes'] / floor['floor_bytes']:.2f}"
        rows.append((f"{label} floor (base+python+packages)", "", size_text(floor["floor_bytes"]), of_floor))
        for scenario, built in ours["builds"].items():
            theirs = seed["builds"][scenario]
            rows.append(_compared(f"{label} {scenario}: time (median)", theirs["median_seconds"],
                                  built["median_seconds"], _seconds))  # fmt: skip
            rows.append(_compared(f"{label} {scenario}: fetched", theirs["median_downloaded_bytes"],
                                  built["median_downloaded_bytes"], size_text))  # fmt: skip
            steps = ["/".join(map(str, b["steps_run"])) for b in (theirs, built)]
            rows.append((f"{label} {scenario}: steps run", *steps, ""))
    verify = figures.get("verify")
    if verify:
        rows.append(("verify-tutorial warm wall (median)", "", _seconds(verify["median_wall_seconds"]), ""))
        rows.append(("  its commands' own time", "", _seconds(verify["median_commands_seconds"]),
                     f"overhead {verify['overhead_share']:.1%}"))  # fmt: skip
    if figures.get("shell"):  # here the left column is the other tool's, named in the label
        rows += shell_cost.table_rows(figures["shell"])
    if figures.get("tool"):
        rows += tool_cost.table_rows(figures["tool"])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}" for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    if "engine" in figures:
        lines.insert(0, measured_on_line(figures))
    return "\n".join(lines)


def measured_on_line(figures: dict) -> str:
    """Which engine and image store the figures come from: sizes are the files in the
    image's unpacked layers on either store, but a reader comparing runs should know."""
    engine = figures["engine"]
    said = figures.get("measured_on") or store.measured_on(engine, figures.get("image_store"))
    driver = f", storage driver {figures['storage_driver']}" if figures.get("storage_driver") else ""
    return f"measured on {said} ({engine}{driver}); sizes: the files in the image's unpacked layers"
