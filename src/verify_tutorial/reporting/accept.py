"""Accept mode: write real output into the pages, only in expected-output regions.

Every page is planned and checked before any is written: each new output line
must leave the page's structure alone, and the new page must read back as the
same commands, each showing output that matches what really ran. Bytes outside
the replaced regions (line endings included) stay as they were, and a page is
replaced whole, atomically, so a crash leaves either the old page or the new.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import itertools
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ..checking.match import INLINE_ELLIPSIS, matches, wildcard
from ..checking.normalize import Rule
from ..document.console import ELLIPSIS, LEFT_OUT
from ..document.model import PLAIN, Block, Command, Dialect
from ..errors import MalformedBlock, UnsafeAccept
from ..parsing.pages import collect_page

Change = tuple[Block, Command, list[str]]  # a block, one of its commands, the command's real output

# A line that could close a fence: the block's own, or one around it such as a tab-item's ':::'.
FENCE_LINE = re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*$")

# The rename that makes a page's new bytes visible; a seam where tests inject a failure.
_replace = os.replace


class Written(NamedTuple):
    path: Path
    sha256: str  # hex digest of the bytes written, so a results file can name the page as it now is


def rewrite(
    changes: list[Change],
    show: Callable[[str], object] = print,
    dialect: Dialect = PLAIN,
    rules: tuple[Rule, ...] = (),
) -> list[Written]:
    """Write each command's real output into its page; show each page's diff before writing it.

    Raises UnsafeAccept, having written no page, when any change would alter a
    page's structure or the page changed on disk since it was read.
    """
    by_file: dict[Path, dict[int, Change]] = {}
    for change in changes:
        by_file.setdefault(change[0].path, {})[change[1].line] = change
    plans = [(path, *_plan(path, list(f.values()), dialect, rules)) for path, f in by_file.items()]
    written = []
    for path, old, new in plans:
        if new == old:
            continue
        show(_diff(path, old, new))
        _write(path, new)
        written.append(Written(path, hashlib.sha256(new).hexdigest()))
    return written


def check(change: Change, dialect: Dialect = PLAIN, rules: tuple[Rule, ...] = ()) -> None:
    """Raise UnsafeAccept now if this one command's output could not be written into
    its page, so the command counts as failed while it is reported, not after."""
    _plan(change[0].path, [change], dialect, rules)


def accepted_output(expected: list[str], actual: list[str], rules: tuple[Rule, ...] = ()) -> list[str]:
    """What accept mode writes for one command; it always matches `actual`."""
    return [line for line, _real in _accepted(expected, actual, rules)]


def _accepted(expected: list[str], actual: list[str], rules: tuple[Rule, ...]) -> list[tuple[str, bool]]:
    """The lines to write, each marked True when it comes from the real output.

    Expected output that still matches stays verbatim. Otherwise each '...'
    elision stays where its literal lines can still be found in the real output:
    the lines before the first and after the last '...' stay as many (kept where
    they still match, else the real ones), middle lines stay where they still
    occur in order, and the rest is the real output.
    """
    if matches(expected, actual, rules):
        return [(line, False) for line in expected]
    real = [(line, True) for line in actual]
    kept = _kept(expected, actual, rules)
    # Normalizing can depend on neighbouring lines, so check the whole; the real output always matches.
    return kept if kept and matches([line for line, _ in kept], actual, rules) else real


def _kept(expected: list[str], actual: list[str], rules: tuple[Rule, ...]) -> list[tuple[str, bool]]:
    """Expected output, its elisions kept and its stale lines made real; [] when they cannot be aligned."""
    marks = [i for i, line in enumerate(expected) if line.strip() == ELLIPSIS]
    if not marks:
        return (
            [_keep(*pair, rules) for pair in zip(expected, actual, strict=True)] if len(expected) == len(actual) else []
        )
    head, tail = marks[0], len(expected) - marks[-1] - 1
    end = len(actual) - tail  # where the tail starts in the real output
    if head >= end:
        return []
    kept = [_keep(want, got, rules) for want, got in zip(expected[:head], actual[:head], strict=True)]
    kept.append((expected[marks[0]], False))
    at = head
    for mark, next_mark in itertools.pairwise(marks):
        group = expected[mark + 1 : next_mark]
        found = _find(group, actual, at, end, rules)
        if found is not None:  # else the previous '...' covers these lines too
            kept += [(line, False) for line in group]
            kept.append((expected[next_mark], False))
            at = found + len(group)
    kept += [_keep(want, got, rules) for want, got in zip(expected[marks[-1] + 1 :], actual[end:], strict=True)]
    return kept


def _keep(want: str, got: str, rules: tuple[Rule, ...]) -> tuple[str, bool]:
    return (want, False) if matches([want], [got], rules) else (got, True)


def _find(group: list[str], actual: list[str], start: int, end: int, rules: tuple[Rule, ...]) -> int | None:
    """Where the lines of group first occur together in actual[start:end]."""
    for i in range(start, end - len(group) + 1):
        if matches(group, actual[i : i + len(group)], rules):
            return i
    return None


def _plan(path: Path, changes: list[Change], dialect: Dialect, rules: tuple[Rule, ...]) -> tuple[bytes, bytes]:
    """The page's bytes now and after the changes; raises UnsafeAccept before anything is written."""
    name = changes[0][0].name
    try:
        old = path.read_bytes()
    except OSError as error:
        raise UnsafeAccept(f"{name}: cannot read the page ({error.strerror}); was it moved during the run?") from None
    if not os.access(path.resolve(), os.W_OK):  # the rename would replace it all the same: refuse, as an editor would
        raise UnsafeAccept(f"{name}: the page is read-only for you; make it writable, or run without --accept")
    known = {block.source_sha256 for block, _, _ in changes} - {""}
    if known and known != {hashlib.sha256(old).hexdigest()}:
        raise UnsafeAccept(f"{name}: the page changed while it was verified; run with --accept again")
    lines = old.splitlines(keepends=True)  # bytes split only at \r\n, \r and \n, as markdown-it does
    # Bottom-up, so earlier line numbers stay valid.
    for block, command, actual in sorted(changes, key=lambda change: change[1].line, reverse=True):
        if matches(command.expected, actual, rules):
            continue
        replacement = _accepted(command.expected, actual, rules)
        for number, (line, real) in enumerate(replacement, start=1):
            problem = _unsafe(line, dialect) if real else None
            if problem:
                raise UnsafeAccept(
                    f"{block.name}:{command.line}: output line {number} {problem}: {line!r}; "
                    "nothing was written; edit this output by hand (a '...' line can stand for it)"
                )
        start = command.output_start - 1
        eol = _ending(lines[start - 1]) or b"\n"  # the command's last line; a closing fence follows it
        lines[start : start + len(command.expected)] = [
            (f"{block.indent}{line}" if line else block.indent.rstrip()).encode() + eol for line, _ in replacement
        ]
    new = b"".join(lines)
    _check_reads_back(path, name, old, new, changes, dialect, rules)
    return old, new


def _unsafe(line: str, dialect: Dialect) -> str | None:
    """Why a real output line would change the page's structure, or None."""
    if "\n" in line or "\r" in line:
        return "holds a line break"
    try:
        line.encode()
    except UnicodeEncodeError:
        return "is not text that UTF-8 can hold"
    if dialect.prompt.match(line):
        return "would read as a command after a prompt"
    if FENCE_LINE.match(line):
        return "would close the fence"
    if LEFT_OUT.fullmatch(line):
        return "stands for output too long to keep, so the page cannot show it (shorten it: | tail, | head)"
    if line.strip() == ELLIPSIS:
        return "would read as a '...' wildcard"
    if INLINE_ELLIPSIS.search(line):
        return "would read as a '...' wildcard inside the line"
    if wildcard(line) is not None:
        return "would read as a wildcard, by its ending"
    return None


def _ending(line: bytes) -> bytes:
    return line[len(line.rstrip(b"\r\n")) :]


def _check_reads_back(
    path: Path, name: str, old: bytes, new: bytes, changes: list[Change], dialect: Dialect, rules: tuple[Rule, ...]
) -> None:
    """The new page must hold the same commands, now showing output that matches the real one."""
    try:
        before = [command for block in collect_page(path, name, old, dialect) for command in block.commands]
        after = [command for block in collect_page(path, name, new, dialect) for command in block.commands]
    except MalformedBlock as error:
        raise UnsafeAccept(f"{error} (in the accepted page); nothing was written") from None
    if [command.text for command in before] != [command.text for command in after]:
        raise UnsafeAccept(f"{name}: the accepted output would change the page's commands; nothing was written")
    index = {command.line: i for i, command in enumerate(before)}
    for _block, command, actual in changes:
        if command.line not in index or not matches(after[index[command.line]].expected, actual, rules):
            raise UnsafeAccept(
                f"{name}:{command.line}: the output would not read back as it ran; "
                "nothing was written; edit this output by hand"
            )


def _diff(path: Path, old: bytes, new: bytes) -> str:
    def lines(data: bytes) -> list[str]:
        return [line.decode("utf-8", "replace").rstrip("\r\n") for line in data.splitlines(keepends=True)]

    return "\n".join(difflib.unified_diff(lines(old), lines(new), str(path), f"{path} (accepted)", lineterm=""))


def _write(path: Path, data: bytes) -> None:
    """Replace the page atomically: a temporary file beside it, synced, then renamed over it."""
    target = path.resolve()  # through a symlink, to the page itself
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".accept", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, mode)
        _replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    # The rename itself survives a power cut only once the directory is synced.
    with contextlib.suppress(OSError):
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
