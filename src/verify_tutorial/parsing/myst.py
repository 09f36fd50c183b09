"""Find console blocks in MyST pages with the tokenizer MyST itself uses.

myst-parser builds its parser from markdown-it-py and mdit-py-plugins; this
module builds the same one from the same two packages (the rules that decide
where blocks start and end: CommonMark, tables, front matter, MyST's own
blocks and roles, footnotes, and the extensions the pages enable), so reading
pages needs neither myst-parser nor Sphinx. A test compares the two parsers'
tokens over every page of the guide.

Tokens carry source line maps, so every command keeps its exact file:line.
Directives that hold Markdown (tab-set, note, ...) are parsed again with the
line offset of their body, the way the docutils renderer nests them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_block import make_fence_rule
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from ..document.console import split_console
from ..document.model import Block, Dialect, Options, ShellStart
from ..document.options import MARKER, no_options_for_output, page_comment_words, page_defaults, parse_options
from ..errors import MalformedBlock, UnknownOption

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
def parser() -> MarkdownIt:
    """MyST's block structure, as myst_parser.parsers.mdit.create_md_parser makes it
    for MYST_EXTENSIONS (the rules that only change inline rendering are left out)."""
    md = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(front_matter_plugin)
        .use(myst_block_plugin)
        .use(myst_role_plugin)
        .use(footnote_plugin, inline=False, move_to_end=False, always_match_refs=True)
    )
    if "colon_fence" in MYST_EXTENSIONS:
        colon_fence = make_fence_rule(markers=(":",), token_type="colon_fence", exact_match=False)
        alternatives = ["paragraph", "reference", "blockquote", "list", "footnote_def"]
        md.block.ruler.before("fence", "colon_fence", colon_fence, {"alt": alternatives})
    if "deflist" in MYST_EXTENSIONS:
        md.use(deflist_plugin)
    return md


def collect_myst(path: Path, name: Path, text: str, dialect: Dialect) -> list[Block]:
    """Every console block of one MyST page, in source order."""
    tokens = parser().parse(text)
    page_words = page_comment_words(name, [c for token in tokens for c in _comment_lines(token, 0)])
    base, start = page_defaults(
        [("the configuration's [defaults]", list(dialect.defaults)), *page_words], dialect.requirements
    )
    return list(_collect(path, name, text, 0, LINE_BREAK.split(text), dialect, (base, start), tokens))


def _comment_lines(token: Token, offset: int) -> list[tuple[int, str]]:
    """A '%' comment token's lines with their 1-based line numbers (one token can span several lines)."""
    if token.type != "myst_line_comment" or token.map is None:
        return []
    first = offset + token.map[0] + 1
    return [(first + i, line) for i, line in enumerate(_lines(token.content))]


def _collect(
    path: Path,
    name: Path,
    text: str,
    offset: int,
    source_lines: list[str],
    dialect: Dialect,
    defaults: tuple[Options, ShellStart],
    tokens: list[Token] | None = None,
) -> Iterator[Block]:
    comments: list[tuple[int, str]] = []
    for token in parser().parse(text) if tokens is None else tokens:
        if token.type == "myst_line_comment" and token.map is not None:
            comments += _comment_lines(token, offset)
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
        if language in dialect.console_languages:
            skipped = _skip_directive_options(body) if directive else 0
            lines = body[skipped:]
            first = body_start + skipped + 1
            commands = split_console(name, first, lines, dialect.prompt)
            no_options_for_output(name, comments, bool(commands))
            yield Block(
                path=path,
                line=offset + token.map[0] + 1,
                commands=commands,
                options=parse_options(name, comments, dialect.requirements, defaults[0]),
                indent=_prefix_of(source_lines, first - 1, lines[0] if lines else ""),
                start=defaults[1],
            )
        elif directive and directive not in CODE_DIRECTIVES | OPAQUE_DIRECTIVES:
            skipped = _skip_directive_options(body)
            nested = "\n" * skipped + "\n".join(body[skipped:]) + "\n"
            yield from _collect(path, name, nested, body_start, source_lines, dialect, defaults)
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
