"""Collecting console blocks from real MyST source, with exact lines."""

from pathlib import Path

import pytest

from verify_tutorial.document.console import split_console
from verify_tutorial.document.model import Dialect
from verify_tutorial.errors import MalformedBlock, UnknownOption
from verify_tutorial.parsing.pages import collect_page

PAGE = """\
# Title

Some prose with `inline code`.

% verify: timeout=30 requires=gpu
% verify: setup="docker rm -f dp"
```console
$ echo one \\
    two
one two
(gpu-host) $ nvidia-smi -L
GPU 0: NVIDIA H100
```

```python
print("not a console block")
```

::::{tab-set}
:::{tab-item} CPU
```{code-block} console
:caption: inside tabs
$ make docker-build-cpu
...
```
:::
::::

1. A step in a list:

   ```console
   $ pwd
   /docker-practice
   ```
"""


def write(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    return page


def test_blocks_commands_and_lines(tmp_path):
    blocks = collect_page(write(tmp_path, PAGE))
    assert [b.line for b in blocks] == [7, 21, 31]
    first = blocks[0]
    assert [c.line for c in first.commands] == [8, 11]
    assert first.commands[0].text == "echo one \\\n    two"
    assert first.commands[0].expected == ["one two"]
    assert first.commands[1].label == "gpu-host"
    assert first.commands[1].expected == ["GPU 0: NVIDIA H100"]


def test_options_from_comments(tmp_path):
    options = collect_page(write(tmp_path, PAGE))[0].options
    assert options.timeout == 30
    assert options.requires == {"gpu"}
    assert options.setup == ["docker rm -f dp"]
    assert collect_page(write(tmp_path, PAGE))[1].options.requires == frozenset()


def test_nested_directive_and_list_indent(tmp_path):
    blocks = collect_page(write(tmp_path, PAGE))
    tabs, listed = blocks[1], blocks[2]
    assert tabs.commands[0].line == 23  # the :caption: line is skipped, not counted as output
    assert tabs.commands[0].expected == ["..."]
    assert listed.indent == "   "
    assert listed.commands[0].output_start == 33


BAD_PAGES = {
    "output-before-prompt": (
        "# T\n\n```console\nhello\n$ ls\n```\n",
        MalformedBlock,
        r"page\.md:4: console block output comes before",
    ),
    "unknown-option": (
        "# T\n\n% verify: retries=3\n```console\n$ ls\n```\n",
        UnknownOption,
        r"page\.md:3: unknown verify option 'retries'",
    ),
    "unknown-requirement": (
        "% verify: requires=tpu\n```console\n$ ls\n```\n",
        UnknownOption,
        r"page\.md:1: unknown requirement tpu",
    ),
    "options-not-above-a-block": (
        "% verify: skip=why\n\nA paragraph.\n",
        UnknownOption,
        r"page\.md:1: verify options are not followed by a console block",
    ),
}


@pytest.mark.parametrize(("text", "error", "message"), BAD_PAGES.values(), ids=BAD_PAGES.keys())
def test_bad_page_names_file_and_line(tmp_path, text, error, message):
    with pytest.raises(error, match=message):
        collect_page(write(tmp_path, text), dialect=Dialect(requirements=frozenset({"cpu", "gpu"})))


def test_dangling_continuation(tmp_path):
    with pytest.raises(MalformedBlock, match=r"x\.md:5: command ends with"):
        split_console(Path("x.md"), 5, ["$ ls \\"])


def test_lines_after_bashs_continuation_prompt_belong_to_an_unfinished_command():
    lines = ["$ for i in 1 2; do", ">   echo $i", "> done", "1", "2", "$ echo 'a", "> b'", "a", "b"]
    loop, quote = split_console(Path("x.md"), 1, lines)
    assert loop.text == "for i in 1 2; do\n  echo $i\ndone" and loop.expected == ["1", "2"]
    assert quote.text == "echo 'a\nb'" and quote.expected == ["a", "b"] and quote.output_start == 8


def test_a_finished_command_keeps_output_that_starts_with_the_continuation_prompt():
    (command,) = split_console(Path("x.md"), 1, ["$ printf '> quoted\\n'", "> quoted"])
    assert command.expected == ["> quoted"]


def test_blank_lines_before_the_first_prompt_are_not_output():
    (command,) = split_console(Path("x.md"), 1, ["", "  ", "$ echo hi", "hi"])
    assert (command.line, command.expected) == (3, ["hi"])
