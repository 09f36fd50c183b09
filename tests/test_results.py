"""The closing lines: counts, and overhead that counts hidden steps as the page's own time."""

import hashlib
import json

from verify_tutorial.results import overhead_line, page_digests, summary_line, write_results
from verify_tutorial.runner import Result


def result(status, duration=0.0, hidden=0.0):
    return Result("p.md", 1, "true", status, duration=duration, hidden_duration=hidden)


def test_summary_counts_accepted_as_passed():
    assert summary_line([result("passed"), result("accepted"), result("failed"), result("skipped")]) == (
        "2 passed, 1 failed, 1 skipped"
    )


def test_hidden_setup_is_not_harness_overhead():
    line = overhead_line([result("passed", duration=2.0, hidden=3.0)], wall=6.0)
    assert line.startswith("harness overhead: 1.0 s of 6.0 s wall (16.7%)")


def test_results_file_records_each_page_digest(tmp_path):
    (tmp_path / "p.md").write_text("$ true\n")
    write_results(tmp_path / "out.json", [result("passed")], "cpu", "20.10", wall=1.0, root=tmp_path)
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["pages"] == {"p.md": hashlib.sha256(b"$ true\n").hexdigest()}
    (tmp_path / "p.md").write_text("$ false\n")  # an edit changes the digest the docs compare with
    assert page_digests([result("passed")], tmp_path)["p.md"] != document["pages"]["p.md"]
