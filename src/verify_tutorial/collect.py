"""Find console blocks in MyST pages with myst-parser's own tokenizer.

Tokens carry source line maps, so every command keeps its exact file:line.
Directives that hold Markdown (tab-set, note, ...) are parsed again with the
line offset of their body, the way the docutils renderer nests them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from .blocks import Block, split_console
from .errors import UnknownOption
from .options import MARKER, parse_options

CONSOLE_LANGUAGES = frozenset({"console", "shell-session"})
CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})
# Directives whose body is not Markdown, so never holds a console block.
OPAQUE_DIRECTIVES = frozenset({"literalinclude", "math", "raw", "mermaid", "graphviz", "csv-table"})
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*)$")
OPTION_LINE = re.compile(r"^\s*:[\w-]+:")


@cache
def _parser():
    config = MdParserConfig(enable_extensions={"colon_fence", "deflist", "dollarmath"})
    return create_md_parser(config, RendererHTML)


def collect_page(path: Path, shown_as: str | None = None) -> list[Block]:
    """Every console block of one page, in source order.

    Errors name the page as `shown_as` (say, relative to the repository) when given.
    """
    text = path.read_text(encoding="utf-8")
    source_lines = text.splitlines()
    return list(_collect(path, Path(shown_as or path), text, 0, source_lines))


def _collect(path: Path, name: Path, text: str, offset: int, source_lines: list[str]):
    comments: list[tuple[int, str]] = []
    for token in _parser().parse(text):
        if token.type == "myst_line_comment":
            first = offset + token.map[0] + 1
            # One token can span several consecutive '%' lines.
            for i, line in enumerate(token.content.splitlines()):
                comments.append((first + i, line))
            continue
        if token.type not in ("fence", "colon_fence") or token.map is None:
            _no_pending_options(name, comments)
            comments = []
            continue
        language, directive = _language(token.info)
        body_start = offset + token.map[0] + 1  # 0-based line index of the body's first line
        body = token.content.splitlines()
        if language in CONSOLE_LANGUAGES:
            skipped = _skip_directive_options(body) if directive else 0
            lines = body[skipped:]
            first = body_start + skipped + 1
            yield Block(
                path=path,
                line=offset + token.map[0] + 1,
                commands=split_console(name, first, lines),
                options=parse_options(name, comments),
                indent=_indent_of(source_lines, first - 1),
            )
        elif directive and directive not in CODE_DIRECTIVES | OPAQUE_DIRECTIVES:
            skipped = _skip_directive_options(body)
            nested = "\n" * skipped + "\n".join(body[skipped:]) + "\n"
            yield from _collect(path, name, nested, body_start, source_lines)
        else:
            _no_pending_options(name, comments)
        comments = []
    _no_pending_options(name, comments)


def _language(info: str) -> tuple[str, str | None]:
    """(language, directive name or None) from a fence's info string."""
    info = info.strip()
    match = DIRECTIVE.match(info)
    if match is None:
        return (info.split() or [""])[0], None
    name = match["name"]
    language = match["argument"].split()[0] if name in CODE_DIRECTIVES and match["argument"] else ""
    return language, name


def _skip_directive_options(body: list[str]) -> int:
    """How many leading lines of a directive body are its ':key: value' options."""
    if body and body[0].strip() == "---":  # YAML option block
        for i, line in enumerate(body[1:], start=1):
            if line.strip() == "---":
                return i + 1
    count = 0
    while count < len(body) and OPTION_LINE.match(body[count]):
        count += 1
    return count


def _indent_of(source_lines: list[str], index: int) -> str:
    if index >= len(source_lines):
        return ""
    line = source_lines[index]
    return line[: len(line) - len(line.lstrip())]


def _no_pending_options(path: Path, comments: list[tuple[int, str]]) -> None:
    """Options must sit right above a console block; anywhere else they are a mistake."""
    for line, text in comments:
        if text.strip().startswith(MARKER):
            raise UnknownOption(
                f"{path}:{line}: verify options are not followed by a console block; move them just above one"
            )
