"""Our MyST tokenizer is myst-parser's: the same tokens, lines and fences, over every
page of the guide and the test fixtures (myst-parser comes with the docs group)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from verify_tutorial.parsing.myst import MYST_EXTENSIONS, parser

mdit = pytest.importorskip("myst_parser.parsers.mdit", reason="myst-parser is not installed (the [sphinx] extra)")
config = pytest.importorskip("myst_parser.config.main")

PAGES = sorted([*(ROOT / "docs").rglob("*.md"), *FIXTURES.rglob("*.md")])
# Block structure the walk reads, plus constructs that nest blocks in other ways.
TRICKY = """\
---
title: front matter
---
% verify: pty
```console
$ ls
```

:::{note}
```console
$ echo nested
```
:::

Term
: ```console
  $ echo in a definition
  ```

[^1]: a footnote holding a block

    ```console
    $ echo footnote
    ```

| a | b |
|---|---|
| `$ x` | y |
"""


def tokens(md, text: str) -> list[tuple[str, list[int] | None, str, str, str]]:
    return [(t.type, t.map, t.info, t.content, t.markup) for t in md.parse(text)]


@pytest.fixture(scope="module")
def theirs():
    wanted = config.MdParserConfig(enable_extensions=set(MYST_EXTENSIONS))
    from markdown_it.renderer import RendererHTML

    return mdit.create_md_parser(wanted, RendererHTML)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_a_page_tokenizes_as_myst_parser_would(page, theirs):
    text = page.read_text(encoding="utf-8")
    assert tokens(parser(), text) == tokens(theirs, text)


def test_nested_and_unusual_blocks_tokenize_as_myst_parser_would(theirs):
    assert tokens(parser(), TRICKY) == tokens(theirs, TRICKY)
