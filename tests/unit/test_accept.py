"""Accept mode rewrites only expected-output regions."""

from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting.accept import rewrite

PAGE = """\
# Page

Prose stays.

```console
$ echo new
old
$ printf 'a\\nb\\nc\\n'
a
...
c
```

- In a list:

  ```console
  $ echo indented
  stale
  ```
"""


def test_rewrite_touches_only_output(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    first, listed = collect_page(page)
    shown = []
    rewrite(
        [
            (first, first.commands[0], ["new"]),
            (first, first.commands[1], ["x", "y", "z", "w"]),
            (listed, listed.commands[0], ["indented"]),
        ],
        show=shown.append,
    )
    text = page.read_text()
    assert text == (
        PAGE.replace("$ echo new\nold", "$ echo new\nnew")
        .replace("a\n...\nc\n", "x\n...\nw\n")
        .replace("  stale\n", "  indented\n")
    )
    assert shown and shown[0].startswith("---")
