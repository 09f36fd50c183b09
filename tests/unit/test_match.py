"""Matching: '...' elisions, whole-side normalizing, and diffs that show only real differences."""

import re

import pytest

from verify_tutorial.checking.match import matches, unified_diff
from verify_tutorial.checking.normalize import Rule, clean
from verify_tutorial.errors import MalformedBlock
from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting.accept import accepted_output

PAGE_IMAGES = [
    "REPOSITORY            TAG       IMAGE ID       CREATED         SIZE",
    "docker_practice_cpu   latest    0b41b87b6d2e   2 minutes ago   705MB",
]
REAL_IMAGES = [
    "REPOSITORY                TAG       IMAGE ID       CREATED          SIZE",
    "docker_practice_cpu       latest    3ee3cd6e8176   8 seconds ago    712.4MB",
]


def test_docker_images_table_matches_across_runs():
    assert matches(PAGE_IMAGES, REAL_IMAGES)


def test_a_different_tag_does_not_match():
    assert not matches(PAGE_IMAGES, [REAL_IMAGES[0], REAL_IMAGES[1].replace("latest", "v2    ")])


def test_docker_ps_uptime_and_ids():
    header = "CONTAINER ID   IMAGE                        COMMAND   CREATED          STATUS         PORTS     NAMES"
    page = [
        header,
        '0c4c95909fd0   docker_practice_cpu:latest   "bash"    2 minutes ago    Up 2 minutes             dp',
    ]
    real = [
        "CONTAINER ID   IMAGE                        COMMAND   CREATED                  "
        "STATUS                  PORTS     NAMES",
        '5e1f00c2a9b4   docker_practice_cpu:latest   "bash"    Less than a second ago   '
        "Up Less than a second             dp",
    ]
    assert matches(page, real)
    assert not matches(page, [real[0], real[1].replace("dp", "dq")])


def test_ellipsis_elides_any_lines_including_none():
    assert matches(["start", "...", "end"], ["start", "a", "b", "end"])
    assert matches(["start", "...", "end"], ["start", "end"])
    assert not matches(["start", "...", "end"], ["start", "a"])
    assert not matches(["only"], ["only", "extra"])
    assert matches(["..."], [])


def test_ellipsis_keeps_the_table_header_in_force():
    page = [PAGE_IMAGES[0], "...", PAGE_IMAGES[1]]
    real = [REAL_IMAGES[0], "other   latest    aaaaaaaaaaaa   3 days ago   1GB", REAL_IMAGES[1]]
    assert matches(page, real)


def test_a_real_line_of_dots_is_not_a_wildcard():
    assert not matches(["a"], ["..."])


def test_clean_strips_ansi_carriage_returns_and_trailing_space():
    assert clean("\x1b[1mbold\x1b[0m  \r\nprogress 10%\rprogress 100%\n\n") == ["bold", "progress 100%"]


def test_accept_keeps_head_and_tail_around_ellipsis():
    assert accepted_output(["a", "...", "z"], ["b", "c", "d", "e"]) == ["b", "...", "e"]
    assert accepted_output(["old"], ["new", "lines"]) == ["new", "lines"]
    assert accepted_output(["same"], ["same"]) == ["same"]


def _changes(diff: str) -> list[str]:
    return [line for line in diff.splitlines()[2:] if line[:1] in "-+"]


def test_diff_shows_normalized_matches_as_context():
    real = [REAL_IMAGES[0], REAL_IMAGES[1], "extra line"]
    diff = unified_diff(PAGE_IMAGES, real, "page.md:3")
    assert diff.startswith("--- expected (page.md:3)\n+++ actual")
    assert _changes(diff) == ["+extra line"]
    assert f" {REAL_IMAGES[1]}" in diff.splitlines()  # context shows the real line


def test_diff_points_at_the_one_line_that_differs():
    page = ["a", "...", "z", "x"]
    diff = unified_diff(page, ["a", "b", "c", "z", "y"], "page.md:1")
    assert _changes(diff) == ["-x", "+y"]  # the lines '...' stands for are context, not additions


def test_extra_rules_add_a_projects_own_normalizer():
    seed = Rule("seed", re.compile(r"seed \d+"), "seed <n>")
    assert not matches(["seed 42"], ["seed 7"])
    assert matches(["seed 42"], ["seed 7"], extra_rules=[seed])
    assert matches(["seed 42"], ["seed 7"], extra_rules=[Rule("seed", r"seed \d+", "seed <n>")])
    assert _changes(unified_diff(["seed 42", "a"], ["seed 7", "b"], "p", extra_rules=[seed])) == ["-a", "+b"]


# Wildcards written into the page: prysk's (re) and (glob) lines, and '...' inside a line.
WILDCARDS = [
    (["took ... s"], ["took 1.25 s"], True),
    (["took ... s"], ["took 1.25 min"], False),
    (["Downloaded ... in ..."], ["Downloaded 3 packages in 0.4s"], True),
    ([r"\d{4}-\d\d (re)"], ["2026-12"], True),
    ([r"\d{4}-\d\d (re)"], ["2026-12 and more"], False),  # the whole line must match
    (["report-*.txt (glob)"], ["report-2026.txt"], True),
    (["report-?.txt (glob)"], ["report-12.txt"], False),
    ([r"a\*b (glob)"], ["a*b"], True),
    ([r"a\*b (glob)"], ["aXb"], False),
    (["(re)"], ["(re)"], True),  # no space before it: a literal line
]


@pytest.mark.parametrize(("expected", "actual", "fits"), WILDCARDS)
def test_wildcards_in_a_line(expected, actual, fits):
    assert matches(expected, actual) is fits


def test_a_wildcard_line_that_fails_shows_as_the_page_writes_it():
    diff = unified_diff(["ok", r"\d+ files (re)"], ["ok", "many files"], "x.md:3")
    assert "-\\d+ files (re)" in diff and "+many files" in diff and " ok" in diff


def test_a_regex_line_that_is_no_regex_is_named_at_its_line(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("```console\n$ ls\nfine\n[unclosed (re)\n```\n")
    with pytest.raises(MalformedBlock, match=r"^p\.md:4: output line ending in ' \(re\)' is not a regular expression"):
        collect_page(page, "p.md")


def test_accept_keeps_a_wildcard_that_still_fits():
    assert accepted_output(["took ... s", "old"], ["took 3 s", "new"]) == ["took ... s", "new"]


def test_an_ellipsis_at_the_end_of_a_word_is_literal_and_elsewhere_a_wildcard():
    assert matches(["Downloaded ... in ..."], ["Downloaded 3 MB in 2 s"])
    assert matches(["... done"], ["step 3 done"])
    assert matches(["token=... :: /work"], ["token=ab12 :: /work"]) and matches(["http://...:80/"], ["http://h:80/"])
    assert matches(["a...b"], ["a-x-b"])
    assert not matches(["Connecting..."], ["Connecting... connection refused"])  # literal, as output writes it
    assert not matches(["Loading... done"], ["Loading... failed; done"])
    assert matches(["Connecting..."], ["Connecting..."])
