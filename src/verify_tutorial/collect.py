"""Find console blocks in MyST pages with myst-parser's own tokenizer
(reStructuredText pages go to collect_rst).

Tokens carry source line maps, so every command keeps its exact file:line.
Directives that hold Markdown (tab-set, note, ...) are parsed again with the
line offset of their body, the way the docutils renderer nests them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from .blocks import Block, split_console
from .collect_rst import collect_rst
from .errors import MalformedBlock, PageNotText, UnknownOption
from .options import MARKER, parse_options

CONSOLE_LANGUAGES = frozenset({"console", "shell-session"})
PAGE_SUFFIXES = (".md", ".rst")  # the page formats collected: MyST and reStructuredText
CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode"})
# Directives whose body is not Markdown, so never holds a console block.
OPAQUE_DIRECTIVES = frozenset({"literalinclude", "math", "raw", "mermaid", "graphviz", "csv-table"})
DIRECTIVE = re.compile(r"^\{(?P<name>[\w:-]+)\}\s*(?P<argument>.*)$")
OPTION_LINE = re.compile(r"^\s*:[\w-]+:")
# The line breaks markdown-it counts lines by (str.splitlines also splits at \f, \x85, ...).
LINE_BREAK = re.compile(r"\r\n?|\n")


# The MyST syntax extensions the pages use; docs/conf.py reads this, so the site
# and the verifier parse the pages alike.
MYST_EXTENSIONS = ("colon_fence", "deflist")


@cache
def _parser() -> MarkdownIt:
    config = MdParserConfig(enable_extensions=set(MYST_EXTENSIONS))
    return create_md_parser(config, RendererHTML)


def collect_page(path: Path, shown_as: str | None = None, data: bytes | None = None) -> list[Block]:
    """Every console block of one page, in source order.

    Errors name the page as `shown_as` (say, relative to the repository) when given.
    `data` is the page's bytes when the caller already holds them.
    """
    name = Path(shown_as or path)
    data = path.read_bytes() if data is None else data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise PageNotText(
            f"{name}: not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}, line {line}); save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark would hide a fence on the first line
    if path.suffix == ".rst":
        blocks = collect_rst(path, name, text, CONSOLE_LANGUAGES)
    else:
        blocks = list(_collect(path, name, text, 0, LINE_BREAK.split(text)))
    digest = hashlib.sha256(data).hexdigest()
    for block in blocks:
        block.shown_as = str(name)
        block.source_sha256 = digest
    return blocks


def _collect(path: Path, name: Path, text: str, offset: int, source_lines: list[str]) -> Iterator[Block]:
    comments: list[tuple[int, str]] = []
    for token in _parser().parse(text):
        if token.type == "myst_line_comment" and token.map is not None:
            first = offset + token.map[0] + 1
            # One token can span several consecutive '%' lines.
            for i, line in enumerate(_lines(token.content)):
                comments.append((first + i, line))
            continue
        if token.type not in ("fence", "colon_fence") or token.map is None:
            _no_pending_options(name, comments)
            comments = []
            continue
        body = _lines(token.content)
        if len(body) == token.map[1] - token.map[0] - 1:
            # markdown-it ran the fence to the end of the page (or list item): no closing line in its span.
            raise MalformedBlock(
                f"{name}:{offset + token.map[0] + 1}: fence opened here is never closed; close it with {token.markup}"
            )
        language, directive = _language(token.info)
        body_start = offset + token.map[0] + 1  # 0-based line index of the body's first line
        if language in CONSOLE_LANGUAGES:
            skipped = _skip_directive_options(body) if directive else 0
            lines = body[skipped:]
            first = body_start + skipped + 1
            yield Block(
                path=path,
                line=offset + token.map[0] + 1,
                commands=split_console(name, first, lines),
                options=parse_options(name, comments),
                indent=_prefix_of(source_lines, first - 1, lines[0] if lines else ""),
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


def _lines(content: str) -> list[str]:
    """A token's lines; markdown-it has already turned every line break into \\n."""
    lines = content.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _prefix_of(source_lines: list[str], index: int, content: str) -> str:
    """What precedes a block line's content in the source: a list's indent, a quote's '> '."""
    if index >= len(source_lines):
        return ""
    line = source_lines[index]
    if content and line.endswith(content):
        return line[: len(line) - len(content)]
    return line[: len(line) - len(line.lstrip())]


def _no_pending_options(path: Path, comments: list[tuple[int, str]]) -> None:
    """Options must sit right above a console block; anywhere else they are a mistake."""
    for line, text in comments:
        if text.strip().startswith(MARKER):
            raise UnknownOption(
                f"{path}:{line}: verify options are not followed by a console block; move them just above one"
            )
