"""Normalizers and matching: what varies is ignored, what matters is not."""

from verify_tutorial.match import accepted_output, matches
from verify_tutorial.normalize import clean, normalize_line

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
    page = ['0c4c95909fd0   docker_practice_cpu:latest   "bash"   2 minutes ago   Up 2 minutes             dp']
    real = ['5e1f00c2a9b4   docker_practice_cpu:latest   "bash"   Less than a second ago   Up Less than a second   dp']
    assert matches(page, real)


def test_words_made_of_hex_letters_are_not_ids():
    assert normalize_line("added decade") == "added decade"
    assert normalize_line("id 3ee3cd6e8176 here") == "id <id> here"


def test_ellipsis_elides_any_lines_including_none():
    assert matches(["start", "...", "end"], ["start", "a", "b", "end"])
    assert matches(["start", "...", "end"], ["start", "end"])
    assert not matches(["start", "...", "end"], ["start", "a"])
    assert not matches(["only"], ["only", "extra"])


def test_clean_strips_ansi_carriage_returns_and_trailing_space():
    assert clean("\x1b[1mbold\x1b[0m  \r\nprogress 10%\rprogress 100%\n\n") == ["bold", "progress 100%"]


def test_accept_keeps_head_and_tail_around_ellipsis():
    assert accepted_output(["a", "...", "z"], ["b", "c", "d", "e"]) == ["b", "...", "e"]
    assert accepted_output(["old"], ["new", "lines"]) == ["new", "lines"]
    assert accepted_output(["same"], ["same"]) == ["same"]
