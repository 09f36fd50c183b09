"""Results: counts, overhead, the page digests, and a results file merged per page."""

import hashlib
import json

from verify_tutorial.reporting.results import (
    SCHEMA_VERSION,
    Result,
    RunInfo,
    Status,
    overhead_line,
    page_digests,
    read_results,
    summary_line,
    write_results,
)


def result(status, duration=0.0, hidden=0.0, page="p.md", line=1):
    return Result(page, line, "true", Status(status), duration=duration, hidden_duration=hidden)


def test_summary_counts_accepted_as_passed():
    assert summary_line([result("passed"), result("accepted"), result("failed"), result("skipped")]) == (
        "2 passed, 1 failed, 1 skipped"
    )


def test_hidden_setup_is_not_harness_overhead():
    line = overhead_line([result("passed", duration=2.0, hidden=3.0)], wall=6.0)
    assert line.startswith("harness overhead: 1.0 s of 6.0 s wall (16.7%)")


def test_results_file_records_each_page_digest(tmp_path):
    (tmp_path / "p.md").write_text("$ true\n")
    write_results(tmp_path / "out.json", [result("passed")], RunInfo("cpu", "20.10"), wall=1.0, root=tmp_path)
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["version"] == SCHEMA_VERSION
    assert document["pages"] == {"p.md": hashlib.sha256(b"$ true\n").hexdigest()}
    (tmp_path / "p.md").write_text("$ false\n")  # an edit changes the digest the docs compare with
    assert page_digests([result("passed")], tmp_path)["p.md"] != document["pages"]["p.md"]


def test_a_partial_run_keeps_the_other_pages_with_their_own_run(tmp_path):
    for page in ("a.md", "b.md"):
        (tmp_path / page).write_text(f"{page}\n")
    out = tmp_path / "results.json"
    first = RunInfo("cpu", "20.10", date="2026-11-01T00:00:00+00:00")
    write_results(out, [result("passed", page="a.md"), result("failed", page="b.md")], first, 1.0, tmp_path)
    second = RunInfo("cpu", "28.5", date="2026-11-02T00:00:00+00:00")
    write_results(out, [result("passed", page="b.md", line=2)], second, 1.0, tmp_path)

    document = read_results(out)
    by_page = {(e["page"], e["line"]): e for e in document["commands"]}
    assert set(by_page) == {("a.md", 1), ("b.md", 1), ("b.md", 2)}  # b.md unchanged: its line 1 still holds
    assert by_page[("a.md", 1)]["date"].startswith("2026-11-01") and by_page[("a.md", 1)]["engine"] == "20.10"
    assert by_page[("b.md", 2)]["date"].startswith("2026-11-02") and by_page[("b.md", 2)]["engine"] == "28.5"
    assert set(document["pages"]) == {"a.md", "b.md"}


def test_a_file_of_another_schema_is_read_as_empty(tmp_path):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"commands": [{"page": "x"}]}))
    assert read_results(out)["commands"] == []
    out.write_text("{not json")
    assert read_results(out)["commands"] == []


def test_a_run_of_some_commands_keeps_the_pages_other_entries_while_the_page_is_unchanged(tmp_path):
    (tmp_path / "p.md").write_text("page\n")
    out = tmp_path / "results.json"
    write_results(out, [result("passed", line=1), result("passed", line=5)], RunInfo("cpu", "1"), 1.0, tmp_path)
    write_results(out, [result("failed", line=5)], RunInfo("cpu", "1"), 1.0, tmp_path)  # say, -k chose line 5
    assert {(e["line"], e["status"]) for e in read_results(out)["commands"]} == {(1, "passed"), (5, "failed")}

    (tmp_path / "p.md").write_text("page, edited\n")  # the line-1 entry no longer describes this page
    write_results(out, [result("passed", line=5)], RunInfo("cpu", "1"), 1.0, tmp_path)
    assert {(e["line"], e["status"]) for e in read_results(out)["commands"]} == {(5, "passed")}


def test_the_digest_recorded_is_the_one_the_run_read(tmp_path):
    (tmp_path / "p.md").write_text("edited during the run\n")
    out = tmp_path / "results.json"
    write_results(out, [result("passed")], RunInfo("cpu", "1"), 1.0, tmp_path, digests={"p.md": "as-read"})
    assert read_results(out)["pages"] == {"p.md": "as-read"}


def test_the_results_file_has_a_command_a_line_and_reads_back_whole(tmp_path):
    (tmp_path / "p.md").write_text("$ true\n")
    odd = Result("p.md", 2, 'echo "é\\u2028\\ud800"', Status.FAILED, expected=["a"], actual=["b\x1b[0m"])
    written = write_results(tmp_path / "out.json", [result("passed"), odd], RunInfo("cpu", "20.10"), 1.0, tmp_path)
    text = (tmp_path / "out.json").read_text(encoding="utf-8")
    assert json.loads(text) == json.loads(json.dumps(written))
    command_lines = [line for line in text.splitlines() if line.startswith('    {"page": ')]
    assert len(command_lines) == 2 and text.isascii()  # escaped, so odd output cannot break the file


def test_a_removed_page_and_a_changed_page_read_but_not_run_keep_no_old_results(tmp_path):
    for page in ("a.md", "b.md", "c.md"):
        (tmp_path / page).write_text(f"{page}\n")
    out = tmp_path / "results.json"
    ran = [result("passed", page=p) for p in ("a.md", "b.md", "c.md")]
    write_results(out, ran, RunInfo("cpu", "20.10"), 1.0, tmp_path)
    (tmp_path / "a.md").unlink()
    (tmp_path / "b.md").write_text("b.md, edited\n")  # read by the next run, then Ctrl-C before it ran
    edited = hashlib.sha256(b"b.md, edited\n").hexdigest()
    write_results(out, [], RunInfo("cpu", "20.10"), 1.0, tmp_path, digests={"b.md": edited})
    document = read_results(out)
    assert [e["page"] for e in document["commands"]] == ["c.md"]
    assert document["pages"]["b.md"] == edited and "a.md" not in document["pages"]
