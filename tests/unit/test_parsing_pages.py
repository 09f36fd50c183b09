"""Reading a page never loses a byte or a line: unclosed fences, non-UTF-8 pages, here-docs, line breaks."""

import re
from pathlib import Path

import pytest

from verify_tutorial.document.console import heredoc_delimiters
from verify_tutorial.errors import MalformedBlock, PageNotText, UnknownOption
from verify_tutorial.parsing.pages import collect_page


def write(tmp_path: Path, data: str | bytes) -> Path:
    page = tmp_path / "page.md"
    page.write_bytes(data.encode() if isinstance(data, str) else data)
    return page


UNCLOSED = {
    "backticks": ("# T\n\n```console\n$ ls\nout\n\nProse after.\n", 3, "```"),
    "tildes": ("~~~~console\n$ ls\n", 1, "~~~~"),
    "colon-fence": ("Text.\n\n:::{note}\nbody\n", 3, ":::"),
    "inside-a-directive": (":::{note}\n```console\n$ ls\n:::\n\nProse.\n", 2, "```"),
    "in-a-list": ("1. Step:\n\n   ```console\n   $ ls\n\nProse.\n", 3, "```"),
    "not-console": ("```console\n$ ls\n```\n\n```python\nprint()\n", 5, "```"),
    "closing-too-short": ("````console\n$ ls\n```\n", 1, "````"),
    "opening-at-the-end": ("Prose.\n\n```", 3, "```"),
}


@pytest.mark.parametrize(("text", "line", "markup"), UNCLOSED.values(), ids=UNCLOSED.keys())
def test_unclosed_fence_names_its_opening_line(tmp_path, text, line, markup):
    with pytest.raises(MalformedBlock) as error:
        collect_page(write(tmp_path, text), shown_as="docs/x.md")
    assert str(error.value) == f"docs/x.md:{line}: fence opened here is never closed; close it with {markup}"


def test_closed_fences_pass(tmp_path):
    page = "```console\n$ ls\n```\n\n:::{note}\n~~~console\n$ pwd\n~~~~~\n:::\n\n```console\n$ id\n```"
    blocks = collect_page(write(tmp_path, page))
    assert [block.line for block in blocks] == [1, 6, 11]


def test_page_not_utf8(tmp_path):
    page = write(tmp_path, b"# T\n\ncaf\xe9\n")
    with pytest.raises(PageNotText) as error:
        collect_page(page, shown_as="docs/x.md")
    assert str(error.value) == "docs/x.md: not UTF-8 (byte 0xe9 at offset 8, line 3); save it as UTF-8"


def test_lines_split_only_at_line_breaks(tmp_path):
    # str.splitlines would also split at the form feed and U+2028, shifting every line after.
    page = "```console\n$ printf 'a\\fb'\na\x0cb\n$ echo x\nx\u2028y\n$ ls\n```\n"
    first, second, third = collect_page(write(tmp_path, page))[0].commands
    assert first.expected == ["a\x0cb"]
    assert (second.line, second.expected, third.line) == (4, ["x\u2028y"], 6)


def test_crlf_page_lines(tmp_path):
    block = collect_page(write(tmp_path, "# T\r\n\r\n```console\r\n$ ls\r\nout\r\n```\r\n"))[0]
    assert (block.line, block.commands[0].line, block.commands[0].expected) == (3, 4, ["out"])


def test_block_in_a_quote_knows_its_prefix(tmp_path):
    block = collect_page(write(tmp_path, "> ```console\n> $ ls\n> out\n> ```\n"))[0]
    assert block.indent == "> "
    assert block.commands[0].expected == ["out"]


HEREDOC_PAGE = """\
```console
$ cat <<'EOF' > notes.txt
> $ not a prompt
>
> ...
> EOF
$ wc -l < notes.txt
3
$ cat <<-END | tr a-z A-Z
> \tindented
> \tEND
INDENTED
$ cat <<A; cat <<"B" \\
  | sort
> a
> A
> b
> B
a
b
```
"""


def test_heredoc_body_joins_the_command(tmp_path):
    write_notes, count, indented, two = collect_page(write(tmp_path, HEREDOC_PAGE))[0].commands
    assert write_notes.text == "cat <<'EOF' > notes.txt\n$ not a prompt\n\n...\nEOF"
    assert (write_notes.expected, write_notes.output_start) == ([], 7)
    assert (count.line, count.expected) == (7, ["3"])
    assert indented.text == "cat <<-END | tr a-z A-Z\n\tindented\n\tEND"
    assert (indented.expected, indented.output_start) == (["INDENTED"], 12)
    assert two.text == 'cat <<A; cat <<"B" \\\n  | sort\na\nA\nb\nB'
    assert (two.line, two.expected, two.output_start) == (13, ["a", "b"], 19)


BAD_HEREDOCS = {
    "no-terminator": ("```console\n$ cat <<EOF\n> hello\n```\n", 2, "is never ended before the block ends; write"),
    "terminator-without-prompt": ("```console\n$ ls\n$ cat <<EOF\n> hi\nEOF\n```\n", 5, "line lacks the '> ' prompt"),
    "bare-runs-into-a-prompt": (
        "```console\n$ cat <<EOF\nhello\n$ ls\n```\n",
        2,
        "is never ended before the next prompt; end the body with a line of just EOF",
    ),
}


@pytest.mark.parametrize(("text", "line", "why"), BAD_HEREDOCS.values(), ids=BAD_HEREDOCS.keys())
def test_heredoc_that_cannot_be_read(tmp_path, text, line, why):
    with pytest.raises(MalformedBlock, match=rf"^page\.md:{line}: here-doc <<EOF {re.escape(why)}") as e:
        collect_page(write(tmp_path, text), shown_as="page.md")
    assert "\n" not in str(e.value)


def test_heredoc_body_as_a_reader_types_it(tmp_path):
    """Bare body lines, as docs write them: the first line decides, the delimiter ends it."""
    page = "```console\n$ cat <<EOF | tr a-z A-Z\nhello\nEOF\nHELLO\n$ echo next\nnext\n```\n"
    first, second = collect_page(write(tmp_path, page))[0].commands
    assert first.text == "cat <<EOF | tr a-z A-Z\nhello\nEOF"
    assert (first.expected, first.output_start) == (["HELLO"], 5)
    assert (second.line, second.expected) == (6, ["next"])


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("cat <<EOF", [("EOF", False)]),
        ("cat <<- 'E O'", [("E O", True)]),
        ('cat <<"EOF">out', [("EOF", False)]),
        ("cat <<\\EOF", [("EOF", False)]),
        ("cat <<A <<B", [("A", False), ("B", False)]),
        ("echo $((1 << 2)) '<<x' \"<<y\"", []),
        ("cat <<< word", []),
        ("echo hi # cat <<EOF", []),
    ],
)
def test_heredoc_delimiters(line, found):
    assert heredoc_delimiters(line) == found


def test_not_a_heredoc_leaves_output_alone(tmp_path):
    page = "```console\n$ echo $((1 << 2)) '<<EOF'\n4 <<EOF\n$ cat <<< hi\nhi\n```\n"
    first, second = collect_page(write(tmp_path, page))[0].commands
    assert (first.expected, second.expected) == (["4 <<EOF"], ["hi"])


def test_rst_console_blocks_keep_their_lines_and_options(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\n.. verify: timeout=5\n.. code-block:: console\n\n   $ echo hi\n   hi\n\n"
        "- item\n\n  .. code-block:: console\n     :caption: nested\n\n     $ true\n\n"
        ".. code-block:: python\n\n   print(1)\n\n.. unknown-sphinx-directive:: x\n"
    )
    first, nested = collect_page(page)
    assert (first.line, first.options.timeout, first.indent) == (5, 5.0, "   ")
    assert [(c.line, c.text, c.expected, c.output_start) for c in first.commands] == [(7, "echo hi", ["hi"], 8)]
    assert (nested.line, nested.commands[0].line, nested.indent) == (12, 15, "     ")


def rst(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.rst"
    page.write_text(text)
    return page


def test_rst_blocks_inside_directives_docutils_does_not_know_are_found(tmp_path):
    body = ".. code-block:: console\n   :substitutions:\n\n   $ echo {n}\n   {n}\n"
    nested = "".join(
        f".. {name}\n\n" + "".join(f"   {line}\n" if line else "\n" for line in body.format(n=i).splitlines()) + "\n"
        for i, name in enumerate(["only:: html", "dropdown:: More", "versionadded:: 2.0", "tab-item:: Linux"])
    )
    blocks = collect_page(rst(tmp_path, "T\n=\n\n.. tab-set::\n\n   .. tab-item:: A\n\n      Text.\n\n" + nested))
    assert [b.commands[0].expected for b in blocks] == [["0"], ["1"], ["2"], ["3"]]


def test_rst_options_may_stand_a_blank_line_above_their_block(tmp_path):
    (block,) = collect_page(rst(tmp_path, ".. verify: exit=3\n\n.. code-block:: console\n\n   $ (exit 3)\n"))
    assert block.options.exit == 3


def test_rst_options_above_no_console_block_are_refused(tmp_path):
    page = rst(tmp_path, "P.\n\n.. verify: exit=3\n\nProse.\n\n.. code-block:: console\n\n   $ true\n")
    with pytest.raises(UnknownOption, match=r"page\.rst:3: verify options are not followed by a console block"):
        collect_page(page)


def test_a_misspelt_rst_marker_is_refused_like_a_myst_one(tmp_path):
    page = rst(tmp_path, ".. Verify: exit=3\n\n.. code-block:: console\n\n   $ (exit 3)\n")
    with pytest.raises(UnknownOption, match=r"page\.rst:1: 'Verify:' is not a verify marker; did you mean 'verify:'"):
        collect_page(page)
    assert collect_page(rst(tmp_path, ".. _verify:\n\n.. note: a comment\n\n.. code-block:: console\n\n   $ true\n"))


def test_pages_in_the_folders_pytest_skips_are_not_searched(tmp_path):
    from verify_tutorial.parsing.pages import find_pages

    for page in ("a.md", "sub/b.rst", ".venv/lib/README.md", "node_modules/x/README.md", "build/c.md", "venv/d.md"):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("text\n")
    assert [p.relative_to(tmp_path).as_posix() for p in find_pages(tmp_path)] == ["a.md", "sub/b.rst"]


@pytest.mark.parametrize("suffix", [".md", ".rst"])
def test_options_above_a_block_with_no_prompt_say_it_never_runs(tmp_path, suffix):
    myst = "% verify: timeout=5 exit=2\n```console\n$echo hi\nhi\n```\n"
    rest = ".. verify: timeout=5 exit=2\n.. code-block:: console\n\n   $echo hi\n   hi\n"
    page = tmp_path / f"page{suffix}"
    page.write_text(myst if suffix == ".md" else rest)
    with pytest.raises(UnknownOption, match=r":1: verify options above a block with no prompt, which never runs"):
        collect_page(page)
    page.write_text(page.read_text().replace("timeout=5 exit=2", 'skip="output only"'))
    assert collect_page(page)[0].commands == []
