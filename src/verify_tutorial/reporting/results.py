"""Results: one Result type, one status enum, one results-file schema.

The verifier writes the file; the docs' proof extension reads it through the
same functions, so both sides agree on its shape. A run of some pages updates
those pages' entries and keeps every other page's, each entry carrying the run
(target, engine, date) it came from.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
RESULTS_FILE = "results.json"  # inside the settings' results_dir


class Status(StrEnum):
    PASSED = "passed"
    ACCEPTED = "accepted"  # real output differed and was written into the page
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def counts_as(self) -> Status:
        return Status.PASSED if self is Status.ACCEPTED else self


@dataclass
class Result:
    page: str
    line: int
    command: str
    status: Status
    reason: str = ""
    duration: float = 0.0
    hidden_duration: float = 0.0  # the block's hidden setup/teardown run with this step
    exit_status: int | None = None
    tools: dict[str, str] = field(default_factory=dict)  # what ran it besides the engine: {"apptainer": "1.4.5 ..."}
    role: str = ""  # the configuration's role it ran as ("cluster"); "" where none is configured
    user: str = ""  # the account it ran as: "verify-reader (uid 1501; groups docker)"
    after_failure: str = ""  # the page's first failure (file:line), when this ran after it
    cast: str = ""  # its block's recorded run, relative to the results folder
    expected: list[str] = field(default_factory=list)
    actual: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunInfo:
    """Where and when a run happened; every entry it writes carries it."""

    target: str
    engine: str
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    host: str = field(default_factory=platform.node)


def summary_line(results: list[Result]) -> str:
    counts = Counter(r.status.counts_as for r in results)
    return f"{counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, {counts[Status.SKIPPED]} skipped"


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
    """The digest of each page as it is now (after any --accept rewrite)."""
    pages = sorted({r.page for r in results})
    return {page: page_digest(root / page) for page in pages if (root / page).is_file()}


RESULT_FIELDS = tuple(f.name for f in fields(Result))


def entry(result: Result, run: RunInfo) -> dict[str, Any]:
    # Shallow on purpose: asdict's deep copy was a tenth of a command's cost, and
    # the entry is only ever serialized.
    data = {name: getattr(result, name) for name in RESULT_FIELDS}
    data["status"] = str(result.status)
    if result.status is not Status.FAILED:  # expected/actual only where they explain a failure
        del data["expected"], data["actual"]
    if not result.tools:
        del data["tools"]
    for name in ("role", "user", "after_failure", "cast"):
        if not data[name]:
            del data[name]
    return {**data, "target": run.target, "engine": run.engine, "date": run.date}


def read_results(path: Path) -> dict[str, Any]:
    """A results file, or an empty document when there is none or it is of another schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return empty_document()
    if not isinstance(document, dict) or document.get("version") != SCHEMA_VERSION:
        return empty_document()
    return document


def empty_document() -> dict[str, Any]:
    return {"version": SCHEMA_VERSION, "pages": {}, "commands": []}


def write_results(
    path: Path,
    results: list[Result],
    run: RunInfo,
    wall: float,
    root: Path,
    digests: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Merge this run into the file at `path`, written whole or not at all; returns it.

    Commands this run ran replace their old entries. A page's other old entries (a
    run chose some of its commands, with -k) stay while the page is the one they
    were verified on; a changed page keeps only this run's, and a removed page
    nothing. `digests` gives each page's digest as the run read it (pages read but
    not run too, say after Ctrl-C); by default the page is read now."""
    read = digests or {}
    ran = {page: read.get(page) or digest for page, digest in page_digests(results, root).items()}
    ran.update({page: digest for page, digest in read.items() if page not in ran})  # read, none of it run
    ran_now = {(r.page, r.line) for r in results}
    old = read_results(path)
    kept = [
        e
        for e in old["commands"]
        if (e["page"], e["line"]) not in ran_now
        and old["pages"].get(e["page"]) == ran.get(e["page"], old["pages"].get(e["page"]))
        and (root / e["page"]).is_file()  # a page since removed keeps no results
    ]
    pages = {p: d for p, d in old["pages"].items() if p not in ran and (root / p).is_file()}
    document = {
        "version": SCHEMA_VERSION,
        **asdict(run),
        "wall_seconds": round(wall, 3),
        "commands_seconds": round(commands_time(results), 3),
        "summary": summary_line(results),
        "pages": {**pages, **ran},
        "commands": sorted(kept + [entry(r, run) for r in results], key=lambda e: (e["page"], e["line"])),
    }
    write_atomically(path, document_text(document))
    return document


def document_text(document: dict[str, Any]) -> str:
    """The results file's text: its keys a line each, and a command a line each.
    One line per entry reads and diffs as well as an indented tree, and lets json
    use its C encoder, which indent= turns off (pure Python, 0.05 ms a command)."""
    rows = []
    for key, value in document.items():
        if key == "commands" and value:
            listed = ",\n".join(f"    {json.dumps(item)}" for item in value)
            rows.append(f"  {json.dumps(key)}: [\n{listed}\n  ]")
        else:
            shown = json.dumps(value, indent=2).replace("\n", "\n  ")
            rows.append(f"  {json.dumps(key)}: {shown}")
    return "{\n" + ",\n".join(rows) + "\n}\n"


def write_atomically(path: Path, text: str, sync: bool = True) -> None:
    """Whole or not at all: a temporary file beside it, renamed over it. `sync=False`
    skips the fsync, for files a crash may lose but must never leave half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            if sync:
                os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


# When two results files (say a CPU and a GPU run) disagree about a command,
# a failure shows first, then a pass, then a skip. Runs that agree (a pass on
# each of two engines) are all kept, so a badge can name every one.
PRECEDENCE = {Status.FAILED: 0, Status.PASSED: 1, Status.ACCEPTED: 1, Status.SKIPPED: 2}


def merge_documents(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One document from several results files; each command keeps the run it came from,
    one entry per (target, engine) among the runs with its most telling status."""
    documents = [d for d in documents if d.get("commands")]
    if not documents:
        return empty_document()
    documents = sorted(documents, key=lambda d: d.get("date", ""))  # newest last
    chosen: dict[tuple[str, int], list[dict[str, Any]]] = {}
    pages: dict[str, str] = {}
    for document in documents:
        for item in document["commands"]:
            key = (item["page"], item["line"])
            held = chosen.get(key, [])
            rank = PRECEDENCE.get(Status(item["status"]), 3)
            held_rank = PRECEDENCE.get(Status(held[0]["status"]), 3) if held else 4
            if rank < held_rank:
                chosen[key] = [item]
            elif rank == held_rank:  # a newer run on the same target and engine replaces its own
                chosen[key] = [e for e in held if _run_of(e) != _run_of(item)] + [item]
        pages.update(document.get("pages", {}))  # the newest run's digest of a page wins
    newest = documents[-1]
    return {
        "version": SCHEMA_VERSION,
        "target": " + ".join(dict.fromkeys(d.get("target", "?") for d in documents)),
        "engine": " + ".join(dict.fromkeys(d.get("engine", "?") for d in documents)),
        "date": newest.get("date", "?"),
        "summary": "; ".join(
            f"{d.get('target', '?')}, Docker {d.get('engine', '?')}: {d.get('summary', '?')}" for d in documents
        ),
        "pages": pages,
        "commands": sorted((e for held in chosen.values() for e in held), key=lambda e: (e["page"], e["line"])),
    }


def _run_of(entry: dict[str, Any]) -> tuple[str, str]:
    return entry.get("target", "?"), entry.get("engine", "?")
