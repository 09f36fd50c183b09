"""Accept mode never loses a byte: atomic writes, kept line endings, refused unsafe output, kept elisions."""

import hashlib
import os
import random
import stat
from pathlib import Path

import pytest

from verify_tutorial.checking.match import matches
from verify_tutorial.errors import UnsafeAccept
from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting import accept
from verify_tutorial.reporting.accept import Written, accepted_output, rewrite

PAGE = b"# T\n\n```console\n$ echo new\nold\n```\n"


def page_at(tmp_path: Path, data: bytes, name: str = "page.md") -> Path:
    page = tmp_path / name
    page.write_bytes(data)
    return page


def change(page: Path, actual: list[str], command: int = 0, block: int = 0, shown_as: str | None = None):
    found = collect_page(page, shown_as=shown_as)[block]
    return (found, found.commands[command], actual)


def test_returns_each_written_page_with_its_digest(tmp_path):
    page = page_at(tmp_path, PAGE)
    page.chmod(0o640)
    shown = []
    written = rewrite([change(page, ["new"])], show=shown.append)
    data = page.read_bytes()
    assert data == PAGE.replace(b"old", b"new")
    assert written == [Written(page, hashlib.sha256(data).hexdigest())]
    assert stat.S_IMODE(page.stat().st_mode) == 0o640
    assert shown[0].startswith("---")
    assert sorted(os.listdir(tmp_path)) == ["page.md"]


def test_failed_rename_leaves_the_page_whole(tmp_path, monkeypatch):
    page = page_at(tmp_path, PAGE)

    def crash(source, target):
        raise OSError("killed between writing and renaming")

    monkeypatch.setattr(accept, "_replace", crash)
    with pytest.raises(OSError, match="killed"):
        rewrite([change(page, ["new"])], show=lambda text: None)
    assert page.read_bytes() == PAGE
    assert os.listdir(tmp_path) == ["page.md"]


def test_symlinked_page_stays_a_link(tmp_path):
    real = page_at(tmp_path, PAGE, "real.md")
    link = tmp_path / "link.md"
    link.symlink_to(real.name)
    rewrite([change(link, ["new"])], show=lambda text: None)
    assert link.is_symlink()
    assert real.read_bytes() == PAGE.replace(b"old", b"new")


def test_bytes_outside_the_output_stay(tmp_path):
    # CRLF lines, a lone CR, a U+2028 and a form feed in prose, no newline at the end.
    data = (
        b"# T\r\n\r\ncaf\xc3\xa9 \xe2\x80\xa8 line\r\nform\x0cfeed\n\n"
        b"```console\r\n$ echo new\r\nold\r\n$ echo same\r\nsame\r\n```\r\n\r\nlast\rline"
    )
    page = page_at(tmp_path, data)
    blocks = collect_page(page)
    rewrite(
        [(blocks[0], blocks[0].commands[0], ["new", "", "two"]), (blocks[0], blocks[0].commands[1], ["same"])],
        show=lambda text: None,
    )
    assert page.read_bytes() == data.replace(b"old\r\n", b"new\r\n\r\ntwo\r\n")


def test_output_in_a_list_and_a_quote_keeps_its_prefix(tmp_path):
    data = b"- step\n\n  ```console\n  $ ls\n  old\n  ```\n\n> ```console\n> $ ls\n> old\n> ```\n"
    page = page_at(tmp_path, data)
    listed, quoted = collect_page(page)
    rewrite(
        [(listed, listed.commands[0], ["a", "", "b"]), (quoted, quoted.commands[0], ["a", "", "b"])],
        show=lambda text: None,
    )
    assert page.read_bytes() == data.replace(b"  old\n", b"  a\n\n  b\n").replace(b"> old\n", b"> a\n>\n> b\n")
    again = collect_page(page)
    assert [block.commands[0].expected for block in again] == [["a", "", "b"], ["a", "", "b"]]


def test_empty_output_removes_the_old(tmp_path):
    page = page_at(tmp_path, PAGE)
    rewrite([change(page, [])], show=lambda text: None)
    assert page.read_bytes() == b"# T\n\n```console\n$ echo new\n```\n"


UNSAFE = {
    "prompt": (["ok", "$ rm -rf /"], 2, "would read as a command after a prompt"),
    "labelled-prompt": (["(host) $ ls"], 1, "would read as a command after a prompt"),
    "backtick-fence": (["ok", "```"], 2, "would close the fence"),
    "tilde-fence": (["  ~~~~  "], 1, "would close the fence"),
    "colon-fence": ([":::"], 1, "would close the fence"),
    "ellipsis": (["a", " ... "], 2, "would read as a '...' wildcard"),
    "inline-ellipsis": (["Loading ... done"], 1, "would read as a '...' wildcard inside the line"),
    "left-out": (["1", "... [1,979,036 lines (14.8 MB) left out] ...", "2"], 2, "stands for output too long"),
}


@pytest.mark.parametrize(("actual", "number", "why"), UNSAFE.values(), ids=UNSAFE.keys())
def test_unsafe_output_writes_no_page(tmp_path, actual, number, why):
    safe = page_at(tmp_path, PAGE, "a.md")
    unsafe = page_at(tmp_path, PAGE, "b.md")
    with pytest.raises(UnsafeAccept, match=rf"^docs/b\.md:4: output line {number} {why}"):
        rewrite([change(safe, ["new"]), change(unsafe, actual, shown_as="docs/b.md")], show=lambda text: None)
    assert safe.read_bytes() == unsafe.read_bytes() == PAGE


def test_output_that_would_not_read_back_is_refused(tmp_path):
    page = page_at(tmp_path, PAGE)
    with pytest.raises(UnsafeAccept, match=r"page\.md:4: the output would not read back"):
        rewrite([change(page, ["nul\x00byte"], shown_as="page.md")], show=lambda text: None)
    assert page.read_bytes() == PAGE


def test_page_changed_during_the_run_is_not_written(tmp_path):
    page = page_at(tmp_path, PAGE)
    pending = change(page, ["new"])
    page.write_bytes(b"An edit.\n" + PAGE)
    with pytest.raises(UnsafeAccept, match="changed while it was verified"):
        rewrite([pending], show=lambda text: None)
    assert page.read_bytes() == b"An edit.\n" + PAGE


def test_harmless_lines_are_written(tmp_path):
    lines = ["```bash", "> quoted", "$HOME", "~~", ":: x", "\t$ tab", "Loading...", "Loading... done"]
    page = page_at(tmp_path, PAGE)
    rewrite([change(page, lines)], show=lambda text: None)
    assert collect_page(page)[0].commands[0].expected == lines


ELISIONS = [
    # Still matches: kept verbatim, though the normalized values differ.
    (["Up 3 minutes", "..."], ["Up 5 minutes", "x"], ["Up 3 minutes", "..."]),
    # A middle elision whose literal line is still there stays.
    (["a", "...", "middle", "...", "z"], ["b", "1", "middle", "2", "y"], ["b", "...", "middle", "...", "y"]),
    # One that is gone merges into the elision before it.
    (["a", "...", "gone", "...", "z"], ["a", "1", "2", "y"], ["a", "...", "y"]),
    (["a", "...", "m", "...", "n", "...", "z"], ["a", "n", "m", "z", "q"], ["a", "...", "m", "...", "q"]),
    # Head and tail lines that still match stay as written.
    (["made 3 minutes ago", "...", "ok"], ["made 9 minutes ago", "x", "fail"], ["made 3 minutes ago", "...", "fail"]),
    (["same", "old"], ["same", "new"], ["same", "new"]),
    # No room for the elision: the real output.
    (["a", "...", "b", "c"], ["x", "y"], ["x", "y"]),
    (["old"], ["new", "more"], ["new", "more"]),
]


@pytest.mark.parametrize(("expected", "actual", "written"), ELISIONS)
def test_elisions_that_still_match_are_kept(expected, actual, written):
    assert accepted_output(expected, actual) == written
    assert matches(written, actual)


def test_accepted_output_always_matches():
    rng = random.Random(7)
    words = ["a", "b", "c", "...", "", "3 minutes ago"]
    for _ in range(3000):
        expected = rng.choices(words, k=rng.randrange(7))
        actual = rng.choices(words[:3] + words[4:], k=rng.randrange(7))
        assert matches(accepted_output(expected, actual), actual), (expected, actual)


def test_middle_elision_written_into_the_page(tmp_path):
    data = b"```console\n$ make\nstart\n...\nstep 2\n...\ndone\n```\n"
    page = page_at(tmp_path, data)
    actual = ["begin", "step 1", "step 2", "step 3", "finished"]
    rewrite([change(page, actual)], show=lambda text: None)
    assert page.read_bytes() == b"```console\n$ make\nbegin\n...\nstep 2\n...\nfinished\n```\n"
    assert matches(collect_page(page)[0].commands[0].expected, actual)


def test_output_after_a_heredoc(tmp_path):
    data = b"```console\r\n$ cat <<EOF\r\n> hi\r\n> EOF\r\nold\r\n```\r\n"
    page = page_at(tmp_path, data)
    rewrite([change(page, ["hi"])], show=lambda text: None)
    assert page.read_bytes() == data.replace(b"old", b"hi")
    assert collect_page(page)[0].commands[0].text == "cat <<EOF\nhi\nEOF"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any page; the check is for everyone else")
def test_a_read_only_page_is_refused_not_replaced(tmp_path):
    page = page_at(tmp_path, PAGE)
    page.chmod(0o444)
    with pytest.raises(UnsafeAccept, match=r"page\.md: the page is read-only for you"):
        rewrite([change(page, ["new"], shown_as="page.md")], show=lambda text: None)
    assert page.read_bytes() == PAGE and stat.S_IMODE(page.stat().st_mode) == 0o444


def test_a_page_the_user_may_not_write_is_refused_whoever_runs_the_tests(tmp_path, monkeypatch):
    page = page_at(tmp_path, PAGE)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == page.resolve() else real_access(path, mode)
    )
    with pytest.raises(UnsafeAccept, match=r"page\.md: the page is read-only for you"):
        rewrite([change(page, ["new"], shown_as="page.md")], show=lambda text: None)
    assert page.read_bytes() == PAGE
