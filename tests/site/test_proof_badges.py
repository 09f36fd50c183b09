"""The docs' proof badges: which status a block gets, and a real Sphinx build that
shows a page as current, then as changed once its source is edited."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from proof import badge_line, badge_text, block_status, human_date, output_source, reading_order

from verify_tutorial.reporting.results import SCHEMA_VERSION, merge_documents

RESULTS = {"target": "cpu", "engine": "20.10.24", "date": "2026-11-29T10:00:00+00:00"}


def entry(status, reason=""):
    """A command as merge_results leaves it: with the run it came from."""
    return {"status": status, "reason": reason, "target": "cpu", "engine": "20.10.24", "date": RESULTS["date"]}


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "unverified"),
        (["passed", "passed"], "verified"),
        (["passed", "accepted"], "verified"),
        (["skipped", "skipped"], "skipped"),
        (["passed", "skipped"], "partial"),
        (["passed", "failed", "skipped"], "failed"),
    ],
)
def test_block_status(statuses, expected):
    assert block_status([entry(s) for s in statuses]) == expected


def test_badge_says_where_and_when_it_was_verified():
    text = badge_text("verified", [entry("passed")] * 2)
    assert text == "Verified: 2 commands ran and matched on CPU, Docker 20.10.24, 29 Nov 2026"


def test_skipped_badge_gives_the_reason_in_a_readers_words():
    text = badge_text("skipped", [entry("skipped", "needs a GPU machine (--target gpu)")])
    assert text == "Not run here: Needs a GPU machine. The output shown was not printed by a checked run."


def run(target, date, statuses, digest="d1"):
    run = {"target": target, "engine": "27.0", "date": date}
    commands = [{"page": "docs/p.md", "line": line, "status": st, "reason": "", **run} for line, st in statuses.items()]
    return {"version": SCHEMA_VERSION, **run, "summary": "...", "pages": {"docs/p.md": digest}, "commands": commands}


def test_merged_runs_show_a_gpu_pass_over_a_cpu_skip_and_a_failure_over_a_pass():
    cpu = run("cpu", "2026-11-29T10:00:00", {5: "skipped", 9: "passed", 12: "passed"}, digest="old")
    gpu = run("gpu", "2026-11-30T10:00:00", {5: "passed", 9: "failed", 12: "passed"}, digest="new")
    merged = merge_documents([gpu, cpu])
    by_line = {e["line"]: (e["status"], e["target"]) for e in merged["commands"]}
    assert by_line[5] == ("passed", "gpu")
    assert by_line[9] == ("failed", "gpu")
    assert merged["pages"]["docs/p.md"] == "new"  # the newest run's view of the page
    assert merged["target"] == "cpu + gpu"
    gpu_pass = [e for e in merged["commands"] if e["line"] == 5]
    assert badge_text("verified", gpu_pass).endswith("on GPU, Docker 27.0, 30 Nov 2026")


PAGE = "# A page\n\nSome text.\n\n```console\n$ echo hi\nhi\n```\n"
CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = ["myst_parser", "proof"]
proof_results = "results.json"
proof_root = ".."
"""


def build(site: Path) -> str:
    out = site / "_build"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(site), str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return (out / "page.html").read_text(encoding="utf-8")


def test_a_page_edited_after_verification_says_so(tmp_path):
    site = tmp_path / "docs"
    site.mkdir()
    (site / "conf.py").write_text(CONF.format(ext=str(ROOT / "docs" / "_ext")))
    (site / "index.md").write_text("# Index\n\n```{toctree}\npage\n```\n")
    (site / "page.md").write_text(PAGE)
    results = {
        "version": SCHEMA_VERSION,
        **RESULTS,
        "summary": "1 passed, 0 failed, 0 skipped",
        "pages": {"docs/page.md": hashlib.sha256(PAGE.encode()).hexdigest()},
        "commands": [
            {"page": "docs/page.md", "line": 6, "command": "echo hi", "status": "passed", "reason": "", **RESULTS}
        ],
    }
    (site / "results.json").write_text(json.dumps(results))

    html = build(site)
    assert "proof-page-current" in html and "proof-verified" in html

    (site / "page.md").write_text(PAGE + "\nAn edit.\n")
    html = build(site)  # incremental: the page is re-read because its source changed
    assert "proof-page-stale" in html and "changed after it was last checked" in html


def test_a_pass_on_each_of_two_engines_names_both():
    old = {"version": SCHEMA_VERSION, "pages": {}, "summary": "2 passed, 0 failed, 0 skipped"}
    classic = {**old, "target": "cpu", "engine": "20.10.24", "date": "2026-11-29T10:00:00"}
    current = {**old, "target": "cpu", "engine": "28.5.2", "date": "2026-11-29T11:00:00"}
    for document in (classic, current):
        run_of = {k: document[k] for k in ("target", "engine", "date")}
        document["commands"] = [
            {"page": "docs/p.md", "line": line, "status": "passed", "reason": "", **run_of} for line in (5, 6)
        ]
    rerun = {**classic, "date": "2026-11-29T12:00:00"}
    rerun["commands"] = [{**e, "date": rerun["date"]} for e in classic["commands"]]
    merged = merge_documents([classic, current, rerun])
    assert sorted((e["line"], e["engine"], e["date"][11:13]) for e in merged["commands"]) == [
        (5, "20.10.24", "12"),
        (5, "28.5.2", "11"),
        (6, "20.10.24", "12"),
        (6, "28.5.2", "11"),
    ]  # a rerun on an engine replaces that engine's entry only
    assert merged["engine"] == "20.10.24 + 28.5.2"
    text = badge_text("verified", merged["commands"])
    assert text == (
        "Verified: 2 commands ran and matched on CPU, Docker 20.10.24, 29 Nov 2026; on CPU, Docker 28.5.2, 29 Nov 2026"
    )


def test_a_block_whose_run_was_cut_short_is_not_verified():
    assert block_status([entry("passed"), entry("passed")], commands=3) == "partial"
    assert block_status([entry("passed")] * 3, commands=3) == "verified"


def test_a_badge_names_the_tools_a_block_ran_with_in_reader_words():
    entry = {
        "page": "docs/cluster.md",
        "line": 20,
        "status": "passed",
        "reason": "",
        "target": "cpu",
        "engine": "20.10.24",
        "date": "2026-11-29T20:00:00+00:00",
        "tools": {
            "apptainer": "apptainer version 1.4.5; unprivileged, through user namespaces (no setuid)",
            "slurm": "slurm-wlm 22.05.8",
        },
    }
    text = badge_text("verified", [entry])
    assert text.endswith(
        "with Apptainer 1.4.5 (unprivileged, through user namespaces (no setuid)) and Slurm 22.05.8"
    ), text
    assert "apptainer version" not in text
    del entry["tools"]
    assert "with" not in badge_text("verified", [entry])


@pytest.mark.parametrize(
    ("user", "words"),
    [
        ("verify-reader (uid 1002; groups docker)", "as an ordinary user in the docker group"),
        ("verify-cluster (uid 1003)", "as an ordinary user without Docker access"),
        ("someone (uid 1000; groups sudo, dockerish)", "as an ordinary user without Docker access"),
        ("root (uid 0)", "as root"),
    ],
)
def test_the_badge_says_who_ran_it_without_the_host_s_account_name(user, words):
    entry = {"page": "docs/p.md", "line": 3, "status": "passed", "reason": "", "target": "cpu"}
    text = badge_text("verified", [{**entry, "engine": "28.5.2", "date": "2026-12-03T10:00:00+00:00", "user": user}])
    assert text.endswith(f"on CPU, Docker 28.5.2, 3 Dec 2026, {words}"), text
    assert user.split()[0] not in text or user.startswith("root ")


def test_the_badge_line_is_short_state_date_engines_user_count():
    base = {"page": "docs/p.md", "status": "passed", "reason": "", "target": "cpu"}
    entries = [
        {**base, "line": line, "engine": engine, "date": date, "user": "verify-reader (uid 1002; groups docker)"}
        for line in (3, 4, 5, 6)
        for engine, date in (("20.10.24", "2026-12-02T09:00:00+00:00"), ("28.5.2", "2026-12-03T10:00:00+00:00"))
    ]
    assert (
        badge_line("verified", entries)
        == "\u2713 Verified 3 Dec 2026 \u00b7 Docker 28.5 and 20.10 \u00b7 ordinary user \u00b7 4 commands"
    )


def test_a_skipped_badge_line_says_why_in_a_readers_words():
    line = badge_line("skipped", [entry("skipped", "needs a GPU machine (--target gpu)")])
    assert line == "\u2013 Not run: needs a GPU machine"


@pytest.mark.parametrize(
    ("iso", "shown"),
    [("2026-12-03T10:00:00+00:00", "3 Dec 2026"), ("2026-01-31", "31 Jan 2026"), ("soon", "soon"), ("", "?")],
)
def test_dates_read_as_a_person_writes_them(iso, shown):
    assert human_date(iso) == shown


def test_the_output_source_comes_from_the_comment_above_the_fence():
    page = ["Text.", "", "% verify: requires=gpu", "% output-from: an H100, 2 Dec 2026", "```console", "$ x"]
    assert output_source(page, fence_line=5) == "an H100, 2 Dec 2026"
    assert output_source(["% output-from: elsewhere", "Text.", "```console"], fence_line=3) == ""


def test_the_proof_page_follows_the_guide_s_reading_order():
    order = reading_order(ROOT / "docs" / "index.md")
    assert order[:3] == ["start", "why", "concepts"]
    assert order.index("example") < order.index("gpu-host") < order.index("advanced")
    assert order != sorted(order)
