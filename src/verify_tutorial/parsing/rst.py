"""Find console blocks in reStructuredText pages with docutils' own parser.

    .. verify: requires=gpu timeout=900
    .. code-block:: console

       $ nvidia-smi --query-gpu=name --format=csv,noheader

A page's own defaults for all its blocks: a `.. verify-page: pty timeout=60`
comment anywhere on it.

docutils finds the `code-block` (or `code`, `sourcecode`) directives, wherever
they nest (lists, admonitions), and tells each its exact content lines. The
verify options are the comment lines right above the directive, as in MyST.
Every other directive and role is left to Sphinx: unknown ones here are only
noise, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import frontend, utils
from docutils.parsers import rst
from docutils.parsers.rst import Directive, directives

from ..document.console import split_console
from ..document.model import Block, Dialect
from ..document.options import MARKER, PAGE_MARKER, page_comment_words, page_defaults, parse_options

CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
# Sphinx's options for those; their values do not matter here, only that they parse.
CODE_OPTIONS = ("linenos", "caption", "name", "emphasize-lines", "dedent", "lineno-start", "force", "class")


@dataclass
class _Found:
    line: int  # 1-based line of the directive
    language: str
    first: int  # 1-based line of the first content line
    content: list[str]


def collect_rst(path: Path, name: Path, text: str, dialect: Dialect) -> list[Block]:
    source_lines = text.splitlines()
    page_lines = [(i + 1, line.strip()[3:]) for i, line in enumerate(source_lines) if _is_page_comment(line)]
    base, start = page_defaults(
        [("the configuration's [defaults]", list(dialect.defaults)), *page_comment_words(name, page_lines)],
        dialect.requirements,
    )
    blocks = []
    for found in _code_directives(text):
        if found.language not in dialect.console_languages:
            continue
        first_source = source_lines[found.first - 1] if found.content else ""
        indent = first_source[: len(first_source) - len(first_source.lstrip())]
        blocks.append(
            Block(
                path=path,
                line=found.line,
                commands=split_console(name, found.first, found.content, dialect.prompt),
                options=parse_options(name, _options_above(source_lines, found.line), dialect.requirements, base),
                indent=indent,
                start=start,
            )
        )
    return blocks


def _code_directives(text: str) -> list[_Found]:
    found: list[_Found] = []

    class Recorder(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec: ClassVar = dict.fromkeys(CODE_OPTIONS, directives.unchanged)

        def run(self) -> list[Any]:
            content = list(self.content)
            # Options and the blank line after them come before content_offset.
            found.append(_Found(self.lineno, (self.arguments or [""])[0], self.content_offset + 1, content))
            return []

    parser = rst.Parser()
    settings = frontend.get_default_settings(rst.Parser)
    settings.report_level = 5  # unknown Sphinx directives and roles: not ours to report
    settings.halt_level = 5
    settings.file_insertion_enabled = False
    document = utils.new_document("<page>", settings)
    registry: dict[str, Any] = directives._directives  # type: ignore[attr-defined]  # docutils' own table
    saved = {name: registry.get(name) for name in CODE_DIRECTIVES}
    for name in CODE_DIRECTIVES:
        directives.register_directive(name, Recorder)
    try:
        parser.parse(text, document)
    finally:
        for name, previous in saved.items():
            if previous is None:
                registry.pop(name, None)
            else:
                registry[name] = previous
    return found


def _is_page_comment(line: str) -> bool:
    """A `.. verify-page: ...` comment: the page's defaults, wherever it stands."""
    return line.strip().startswith(f".. {PAGE_MARKER}")


def _options_above(source_lines: list[str], directive_line: int) -> list[tuple[int, str]]:
    """The `.. verify:` comment lines right above a directive, as (line, text after '..')."""
    comments: list[tuple[int, str]] = []
    index = directive_line - 2  # 0-based index of the line above
    while index >= 0:
        stripped = source_lines[index].strip()
        if not stripped.startswith(".. ") or MARKER not in stripped:
            break
        comments.insert(0, (index + 1, stripped[3:]))
        index -= 1
    return comments
