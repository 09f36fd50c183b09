"""The results file the docs build reads, and the closing summary line."""

from __future__ import annotations

import hashlib
import json
import platform
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from .runner import Result


def summary_line(results: list[Result]) -> str:
    counts = Counter("passed" if r.status == "accepted" else r.status for r in results)
    return f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"


def commands_time(results: list[Result]) -> float:
    """Time spent in the page's own commands, hidden setup and teardown included."""
    return sum(r.duration + r.hidden_duration for r in results)


def overhead_line(results: list[Result], wall: float) -> str:
    own = commands_time(results)
    share = (wall - own) / wall if wall > 0 else 0.0
    return f"harness overhead: {wall - own:.1f} s of {wall:.1f} s wall ({share:.1%}); commands' own time {own:.1f} s"


def page_digest(path: Path) -> str:
    """What identifies a page's version: the docs compare it with the one verified."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def page_digests(results: list[Result], root: Path) -> dict[str, str]:
    """The digest of each page as verified, so the docs can tell a page edited since."""
    pages = sorted({r.page for r in results})
    return {page: page_digest(root / page) for page in pages if (root / page).is_file()}


def write_results(path: Path, results: list[Result], target: str, engine: str, wall: float, root: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = []
    for result in results:
        entry = asdict(result)
        if result.status != "failed":  # expected/actual only where they explain a failure
            entry.pop("expected")
            entry.pop("actual")
        entries.append(entry)
    document = {
        "target": target,
        "engine": engine,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "wall_seconds": round(wall, 3),
        "commands_seconds": round(commands_time(results), 3),
        "summary": summary_line(results),
        "pages": page_digests(results, root),
        "commands": entries,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
