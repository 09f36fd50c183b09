"""Recorded runs on the built page (docs/_ext/players.py): a verified block's badge
holds a player of its cast, the cast is copied into the site, and nothing is ever
played from another host. Real Sphinx builds of a one-page site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from players import cast_facts, chosen_run, real_time

from verify_tutorial.reporting.cast import CastRecorder, Scrubber
from verify_tutorial.reporting.results import SCHEMA_VERSION

RUN = {"target": "cpu", "engine": "28.5.2", "date": "2026-12-03T10:00:00+00:00"}
PAGE = "# A page\n\n```console\n$ echo hi\nhi\n```\n"
CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_parser", "proof"]
proof_results = "results/results.json"
proof_root = ".."
"""
CAST = "casts/docs/page.md/3.cast"


def recorded(wait: float = 0.0) -> str:
    recorder = CastRecorder(Scrubber())
    recorder.command("echo hi")
    recorder.output("hi\n")
    recorder.events.append((wait, "done\r\n"))  # a run that really took `wait` seconds
    return recorder.text("docs/page.md:3")


def site(tmp_path: Path, cast: str | None, page: str = PAGE) -> Path:
    docs = tmp_path / "docs"
    (docs / "results").mkdir(parents=True)
    (docs / "conf.py").write_text(CONF.format(ext=str(ROOT / "docs" / "_ext")))
    (docs / "index.md").write_text("# Index\n\n```{toctree}\npage\n```\n")
    (docs / "page.md").write_text(page)
    entry = {"page": "docs/page.md", "line": 4, "command": "echo hi", "status": "passed", "reason": "", **RUN}
    entry["cast"] = CAST
    results = {"version": SCHEMA_VERSION, **RUN, "summary": "1 passed", "pages": {}, "commands": [entry]}
    (docs / "results" / "results.json").write_text(json.dumps(results))
    if cast is not None:
        (docs / "results" / CAST).parent.mkdir(parents=True)
        (docs / "results" / CAST).write_text(cast)
    return docs


def build(docs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(docs), str(docs / "_build")],
        capture_output=True, text=True,
    )  # fmt: skip


def built(docs: Path) -> str:
    """Every HTML, JS and CSS file of the built site, as one text."""
    files = [p for p in (docs / "_build").rglob("*") if p.suffix in (".html", ".js", ".css")]
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)


def test_a_verified_block_plays_its_cast_from_the_site(tmp_path):
    docs = site(tmp_path, recorded(wait=75.0))
    done = build(docs)
    assert done.returncode == 0, done.stderr
    html = (docs / "_build" / "page.html").read_text()
    assert '<div class="proof-player" data-cast="_casts/docs/page.md/3.cast" data-idle="2.0"' in html
    assert "The recorded run (Docker 28.5, 3 Dec 2026) took 1 min 15 s; waits over 2 s are shortened" in html
    assert (docs / "_build" / "_casts" / "docs" / "page.md" / "3.cast").read_text() == recorded(wait=75.0)
    assert (docs / "_build" / "_static" / "asciinema-player_3.12.1.js").is_file()  # the player, served here
    assert "asciinema.org" not in built(docs)


def test_a_verified_block_whose_cast_is_missing_fails_the_build_naming_it(tmp_path):
    docs = site(tmp_path, cast=None)
    done = build(docs)
    assert done.returncode != 0
    assert f"page.md:3: WARNING: proof: a verified block has no recorded run: {docs / 'results' / CAST} is missing" in (
        done.stderr
    )
    # Without -W, the page has no player and nothing fetched from elsewhere.
    loose = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(docs), str(docs / "_loose")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert loose.returncode == 0, loose.stderr
    html = (docs / "_loose" / "page.html").read_text()
    assert "proof-verified" in html and "proof-player" not in html and "asciinema.org" not in html


def test_the_packages_directive_never_falls_back_to_asciinema_org(tmp_path):
    page = PAGE + "\n```{asciinema} no-such.cast\n```\n"
    docs = site(tmp_path, recorded(), page=page)
    done = build(docs)
    assert done.returncode != 0
    assert "asciinema: no cast file no-such.cast; the site plays only its own casts" in done.stderr
    loose = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(docs), str(docs / "_loose")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert loose.returncode == 0, loose.stderr
    assert "asciinema.org" not in (docs / "_loose" / "page.html").read_text()


def test_the_cast_played_is_the_newest_run_that_passed():
    older = {"status": "passed", "date": "2026-12-01", "cast_file": "a"}
    newer = {"status": "passed", "date": "2026-12-03", "cast_file": "b"}
    failed = {"status": "failed", "date": "2026-12-04", "cast_file": "c"}
    assert chosen_run([older, failed, newer]) is newer
    assert chosen_run([failed]) is None


def test_a_players_columns_are_its_widest_line_within_the_recorded_width(tmp_path):
    cast = tmp_path / "run.cast"
    recorder = CastRecorder(Scrubber(), width=120)
    recorder.command("echo")
    recorder.output("\x1b[1m" + "x" * 70 + "\x1b[0m\n")  # escapes take no column
    cast.write_text(recorder.text("t"))
    assert cast_facts(cast)[2] == 70
    recorder.output("y" * 200 + "\n")
    cast.write_text(recorder.text("t"))
    assert cast_facts(cast)[2] == 120


@pytest.mark.parametrize(("seconds", "shown"), [(0.004, "under 0.1 s"), (3.04, "3.0 s"), (75.2, "1 min 15 s")])
def test_the_real_time_reads_as_a_person_says_it(seconds, shown):
    assert real_time(seconds) == shown


def test_a_cast_removed_after_its_page_was_read_is_named_not_a_crash(tmp_path):
    docs = site(tmp_path, recorded())
    assert build(docs).returncode == 0
    (docs / "results" / CAST).unlink()  # the results are the same, so the page is not read again
    done = build(docs)
    assert done.returncode != 0
    assert f"proof: a verified block's recorded run {docs / 'results' / CAST} is missing" in done.stderr
    assert "Traceback" not in done.stderr
