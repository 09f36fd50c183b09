"""Pages: which files are pages, how they are searched for, and which parser reads each.

A page's bytes are read once; its blocks carry the digest of those bytes, so a
page edited while a run goes on does not read as verified.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib
from collections.abc import Callable
from pathlib import Path

from ..document.model import PLAIN, Block, Dialect
from ..errors import PageNotText

Parser = Callable[[Path, Path, str, Dialect], list[Block]]
# The page formats collected, by suffix: MyST Markdown and reStructuredText, each
# parser ("module:function") imported on first use: docutils costs a tenth of a second.
PARSERS: dict[str, str] = {".md": ".myst:collect_myst", ".rst": ".rst:collect_rst"}
PAGE_SUFFIXES = tuple(PARSERS)


def parser_for(path: Path) -> Parser:
    module, _, function = PARSERS.get(path.suffix, PARSERS[".md"]).partition(":")
    parse: Parser = getattr(importlib.import_module(module, __package__), function)
    return parse


# Folders never searched for pages: pytest's own default (norecursedirs), so that
# `pages = "."` finds what `pytest .` would, not the READMEs of a virtualenv's packages.
SKIPPED_FOLDERS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


def find_pages(path: Path) -> list[Path]:
    """The pages under a folder (or the file itself), in a stable order."""
    if path.is_dir():
        found = (p for suffix in PAGE_SUFFIXES for p in path.rglob(f"*{suffix}"))
        return sorted(p for p in found if not _in_skipped_folder(p.relative_to(path)))
    return [path]


def _in_skipped_folder(relative: Path) -> bool:
    return any(fnmatch.fnmatchcase(part, pattern) for part in relative.parts[:-1] for pattern in SKIPPED_FOLDERS)


def collect_page(
    path: Path,
    shown_as: str | None = None,
    data: bytes | None = None,
    dialect: Dialect = PLAIN,
) -> list[Block]:
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
    blocks = parser_for(path)(path, name, text, dialect)
    digest = hashlib.sha256(data).hexdigest()
    for block in blocks:
        block.shown_as = str(name)
        block.source_sha256 = digest
    return blocks
