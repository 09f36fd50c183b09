"""Casts: what a recorded block holds, and what it never shows."""

from __future__ import annotations

import json
import platform
from pathlib import Path

from verify_tutorial.reporting.cast import CastRecorder, Scrubber, write_casts


def test_a_secret_cut_across_two_reads_is_still_scrubbed():
    cast = CastRecorder(Scrubber.for_page({"REGISTRY_TOKEN": "abcdef123456"}, []))
    cast.command("docker login")
    cast.output("token: abcdef")
    cast.output("123456\nok")
    cast.finish_command()
    text = "".join(piece for _, piece in cast.events)
    assert "abcdef" not in text and "token: <secret>\r\n" in text and text.endswith("ok\r\n")


def test_folders_become_home_deepest_first_and_the_host_only_as_a_word():
    scrub = Scrubber.for_page({}, [(Path("/tmp/run/page"), "~"), (Path("/tmp/run/page/home"), "~")], "/tmp/run-")
    assert scrub("/tmp/run/page/home/.cache and /tmp/run/page/docker-practice") == "~/.cache and ~/docker-practice"
    assert scrub("service at /tmp/run-42-registry-x/conf") == "service at ~/conf"
    host = platform.node()
    assert scrub(f"built on {host}.") == "built on host."
    assert scrub(f"x{host}y") == f"x{host}y"  # inside another word, it is that word's


def test_variables_not_named_as_secrets_stay():
    scrub = Scrubber.for_page({"COLUMNS": "120", "GITHUB_TOKEN": "ghp_x1y2z3"}, [])
    assert scrub("120 ghp_x1y2z3") == "120 <secret>"


def test_a_page_cast_is_its_header_then_timed_events_and_old_casts_go(tmp_path):
    old = tmp_path / "casts" / "docs" / "a.md" / "99.cast"
    old.parent.mkdir(parents=True)
    old.write_text("stale")
    cast = CastRecorder(Scrubber(), width=80)
    cast.command("printf 'a\\nb\\n'\necho c")
    cast.output("a\r\nb\r\n")
    cast.finish_command()
    (written,) = write_casts(tmp_path, "docs/a.md", {3: cast, 9: CastRecorder(Scrubber())})
    assert written == tmp_path / "casts" / "docs" / "a.md" / "3.cast" and not old.exists()
    header, first, second = (json.loads(line) for line in written.read_text().splitlines())
    assert (header["version"], header["width"], header["idle_time_limit"]) == (2, 80, 2.0)
    assert first[1:] == ["o", "$ printf 'a\\nb\\n'\r\n> echo c\r\n"] and second[1:] == ["o", "a\r\nb\r\n"]
