"""Each exit status means one thing, sits outside pytest's 0 to 5, and the README's
table lists it; the causes that need no engine are checked here from their cause."""

from __future__ import annotations

import re

from conftest import ROOT, run_verifier

from verify_tutorial import errors

CAUSES = [
    errors.VerifyError,
    errors.NoSuchPage,
    errors.NoBlocks,
    errors.MalformedBlock,
    errors.EngineUnreachable,
    errors.BuildKitMissing,
    errors.NameTaken,
    errors.EngineBusy,
    errors.EngineLost,
    errors.ServiceFailed,
]


def test_statuses_are_distinct_and_clear_of_pytests_own():
    codes = [cause.exit_code for cause in CAUSES]
    assert len(set(codes)) == len(codes)
    assert all(code > 5 for code in codes)


def test_the_readme_table_lists_every_status():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", readme, re.M)}
    assert {cause.exit_code for cause in CAUSES} | {0, 1, 130} <= listed


def test_a_missing_page(tiny_site):
    result = run_verifier(tiny_site / "verify.toml", "docs/nowhere.md")
    assert result.returncode == errors.NoSuchPage.exit_code, result.stdout + result.stderr
    assert result.stderr == "verify-tutorial: no page docs/nowhere.md; name a file under docs/\n"


def test_pages_without_console_blocks(tiny_site):
    (tiny_site / "docs" / "page.md").write_text("# Only prose\n\nNothing to run.\n")
    result = run_verifier(tiny_site / "verify.toml")
    assert result.returncode == errors.NoBlocks.exit_code, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "no console blocks" in result.stderr


def test_bad_settings(tmp_path):
    (tmp_path / "verify.toml").write_text("pages = [unclosed\n")
    result = run_verifier(tmp_path / "verify.toml")
    assert result.returncode == errors.VerifyError.exit_code
    assert "not valid TOML" in result.stderr and result.stderr.count("\n") == 1


def test_a_results_folder_that_cannot_be_written_is_one_line_before_anything_runs(tiny_site):
    result = run_verifier(tiny_site / "verify.toml", "--results-dir", "/proc/verify-results")
    assert result.returncode == errors.VerifyError.exit_code, result.stdout + result.stderr
    assert result.stderr.startswith("verify-tutorial: cannot write results to /proc/verify-results")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
