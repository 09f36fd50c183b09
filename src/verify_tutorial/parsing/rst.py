"""Find console blocks in reStructuredText pages with docutils' own parser.

    .. verify: requires=gpu timeout=900
    .. code-block:: console

       $ nvidia-smi --query-gpu=name --format=csv,noheader

A page's own defaults for all its blocks: a `.. verify-page: pty timeout=60`
comment anywhere on it.

docutils finds the `code-block` (or `code`, `sourcecode`) directives, wherever
they nest (lists, admonitions, and directives it does not know, such as
Sphinx's `only` or sphinx-design's `tab-set`, whose content is read as the
page's), and tells each its exact content lines. The verify options are the
comment lines right above the directive (a blank line between is allowed), as
in MyST. Every other directive and role is left to Sphinx: unknown ones here
are only noise, never an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import frontend, nodes, utils
from docutils.parsers import rst
from docutils.parsers.rst import Directive, directives

from ..document.console import split_console
from ..document.model import Block, Dialect
from ..document.options import MARKER, no_options_for_output, page_comment_words, page_defaults, parse_options
from ..errors import UnknownOption

CODE_DIRECTIVES = ("code-block", "code", "sourcecode")
# Sphinx's options for those; their values do not matter here, only that they parse.
DIRECTIVE = re.compile(r"[\w.:+-]+::")  # '.. name::' starts a directive, not a comment


class _AnyOption(dict[str, Any]):
    """An option table that takes every option: Sphinx's and its extensions' (":substitutions:")
    are not ours to know, and their values do not matter here."""

    def __getitem__(self, name: str) -> Any:
        return directives.unchanged

    def __contains__(self, name: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


class _Container(Directive):
    """Any directive docutils does not know (Sphinx's `only`, `tab-set`, `dropdown`,
    `versionadded`...): its content is read as the page's own, so blocks in it are found."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar = _AnyOption()

    def run(self) -> list[Any]:
        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


@dataclass
class _Found:
    line: int  # 1-based line of the directive
    language: str
    first: int  # 1-based line of the first content line
    content: list[str]


def collect_rst(path: Path, name: Path, text: str, dialect: Dialect) -> list[Block]:
    source_lines = text.splitlines()
    comments = _comments(source_lines)
    # Every comment is looked at, so that a near miss of a marker (".. verfy:") is named.
    base, start = page_defaults(
        [("the configuration's [defaults]", list(dialect.defaults)), *page_comment_words(name, comments)],
        dialect.requirements,
    )
    blocks = []
    used: set[int] = set()
    for found in _code_directives(text):
        if found.language not in dialect.console_languages:
            continue
        first_source = source_lines[found.first - 1] if found.content else ""
        indent = first_source[: len(first_source) - len(first_source.lstrip())]
        above = _options_above(source_lines, found.line)
        used.update(line for line, _ in above)
        commands = split_console(name, found.first, found.content, dialect.prompt)
        no_options_for_output(name, above, bool(commands))
        blocks.append(
            Block(
                path=path,
                line=found.line,
                commands=commands,
                options=parse_options(name, above, dialect.requirements, base),
                indent=indent,
                start=start,
            )
        )
    for line, body in comments:
        if body.strip().startswith(MARKER) and line not in used:
            raise UnknownOption(
                f"{name}:{line}: verify options are not followed by a console block; move them just above one"
            )
    return blocks


def _comments(source_lines: list[str]) -> list[tuple[int, str]]:
    """Each comment's first line, as (line, text after '..'): not a directive ('name::'),
    a target ('_'), a footnote or citation ('['), or a substitution ('|')."""
    found = []
    for i, line in enumerate(source_lines):
        stripped = line.strip()
        if stripped.startswith(".. ") and not DIRECTIVE.match(stripped[3:]) and stripped[3:4] not in ("_", "[", "|"):
            found.append((i + 1, stripped[3:]))
    return found


def _code_directives(text: str) -> list[_Found]:
    found: list[_Found] = []

    class Recorder(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec: ClassVar = _AnyOption()

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
    lookup = directives.directive

    def known_or_container(name: str, language: Any, document: Any) -> tuple[Any, list[Any]]:
        found_class, messages = lookup(name, language, document)
        return (found_class or _Container), messages

    directives.directive = known_or_container  # type: ignore[assignment]  # the same call, never None
    try:
        parser.parse(text, document)
    finally:
        directives.directive = lookup
        for name, previous in saved.items():
            if previous is None:
                registry.pop(name, None)
            else:
                registry[name] = previous
    return found


def _options_above(source_lines: list[str], directive_line: int) -> list[tuple[int, str]]:
    """The `.. verify:` comment lines right above a directive, as (line, text after '..')."""
    comments: list[tuple[int, str]] = []
    index = directive_line - 2  # 0-based index of the line above
    while index >= 0 and not source_lines[index].strip() and not comments:
        index -= 1  # the blank line reStructuredText asks for between a comment and a directive
    while index >= 0:
        stripped = source_lines[index].strip()
        if not stripped.startswith(f".. {MARKER}"):
            break
        comments.insert(0, (index + 1, stripped[3:]))
        index -= 1
    return comments
