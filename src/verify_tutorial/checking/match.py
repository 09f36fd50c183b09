"""Compare the output a page shows with the output a command really printed.

Besides literal lines (compared after normalizing), a page may write wildcards:

- a line of just `...` stands for any lines, none included;
- `...` inside a line stands for any text there: `Downloaded ... in ...`,
  `token=...`; but not at the end of a word, right after a letter or digit
  (`Connecting...`, `Loading... done`), where real output often has one;
- a line ending in ` (re)` is a regular expression the whole real line matches;
- a line ending in ` (glob)` is a pattern where `*` is any text and `?` one
  character (`\\*` and `\\?` are themselves).

The last two follow prysk (and Mercurial's tests before it), and a failed
diff shows them as the page writes them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from ..document.console import ELLIPSIS, REGEX_MARK
from .normalize import Rule, normalize_lines, same

GLOB_MARK = " (glob)"
# In-line '...' is a wildcard, except where prose and programs put a literal one: at
# the end of a word ("Connecting...", "Connecting... refused"), after a letter or digit.
INLINE_ELLIPSIS = re.compile(r"(?<![A-Za-z0-9])\.\.\.|\.\.\.(?=\S)")
Fits = Callable[[int], bool]  # whether an expected line fits the real line at an index

# An expected line left unmatched costs more than an extra real line, so that among
# equally short diffs the one that matches the page's lines (not '...') is shown.
MISSING = 2


def matches(expected: list[str], actual: list[str], extra_rules: Iterable[Rule] = ()) -> bool:
    """True when the lines agree after normalizing; a '...' line stands for any lines."""
    if expected == actual:  # the page shows what ran, byte for byte: nothing to normalize
        return True
    return bool(_costs(expected, actual, extra_rules)[0][-1][-1] == 0)


def unified_diff(expected: list[str], actual: list[str], where: str, extra_rules: Iterable[Rule] = ()) -> str:
    """A diff in which lines that match after normalizing are context, so the real difference stands out.

    Context lines show the actual output; lines a '...' stands for show as context too.
    """
    cost, fits = _costs(expected, actual, extra_rules)
    shown: list[str] = []  # the expected side as displayed: matched lines replaced by the real ones
    i, j = len(expected), len(actual)
    while i or j:
        wild = i and expected[i - 1].strip() == ELLIPSIS
        if wild and j and cost[i][j] == cost[i][j - 1]:  # '...' stands for this real line
            shown.append(actual[j - 1])
            j -= 1
        elif wild:
            i -= 1
        elif i and j and cost[i][j] == cost[i - 1][j - 1] and fits[i - 1](j - 1):
            shown.append(actual[j - 1])
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + MISSING:
            shown.append(expected[i - 1])
            i -= 1
        else:
            j -= 1  # a real line the page lacks: only on the actual side
    lines = difflib.unified_diff(shown[::-1], actual, f"expected ({where})", "actual", lineterm="", n=3)
    return "\n".join(lines)


def _costs(expected: list[str], actual: list[str], extra_rules: Iterable[Rule]) -> tuple[list[list[int]], list[Fits]]:
    """cost[i][j]: the cost of unmatched lines when expected[:i] accounts for actual[:j];
    and, for each expected line, whether it fits a real one.

    Each side is normalized once, as a whole, so a table's header types the rows below it.
    """
    rules = list(extra_rules)
    want, got = normalize_lines(expected, rules), normalize_lines(actual, rules)
    fits = [_fits(raw, normalized, actual, got) for raw, normalized in zip(expected, want, strict=True)]
    cost = [list(range(len(got) + 1))]
    for i in range(len(want)):
        if expected[i].strip() == ELLIPSIS:  # '...' elides any number of lines, none included
            row = [cost[i][0]]
            for j in range(len(got)):
                row.append(min(cost[i][j + 1], row[j]))
        else:
            row = [cost[i][0] + MISSING]
            for j in range(len(got)):
                best = min(cost[i][j + 1] + MISSING, row[j] + 1)
                row.append(cost[i][j] if cost[i][j] < best and fits[i](j) else best)
        cost.append(row)
    return cost, fits


def wildcard(line: str) -> re.Pattern[str] | None:
    """The pattern a ` (re)` or ` (glob)` line stands for, or None for any other line.
    Raises re.error for a bad regular expression."""
    if line.endswith(REGEX_MARK):
        return re.compile(line[: -len(REGEX_MARK)])
    if line.endswith(GLOB_MARK):
        parts = re.split(r"(\\[*?]|[*?])", line[: -len(GLOB_MARK)])
        glob = {"*": ".*", "?": "."}
        return re.compile("".join(glob.get(part, re.escape(part[-1:] if part[:1] == "\\" else part)) for part in parts))
    return None


def _fits(raw: str, normalized: str, actual: list[str], got: list[str]) -> Fits:
    """How one expected line is matched: as its wildcard against the real line, with
    in-line '...' against the normalized one, or literally after normalizing."""
    pattern = wildcard(raw.rstrip())
    if pattern is not None:
        return lambda j: pattern.fullmatch(actual[j].rstrip()) is not None
    if INLINE_ELLIPSIS.search(raw) or INLINE_ELLIPSIS.search(normalized):
        # Both as written and normalized: normalizing may rewrite what the '...' stands for.
        written, typed = _pieces(raw.rstrip()), _pieces(normalized)
        return lambda j: bool(written.fullmatch(actual[j].rstrip()) or typed.fullmatch(got[j]))
    return lambda j: same(normalized, got[j])


def _pieces(line: str) -> re.Pattern[str]:
    return re.compile(".*?".join(map(re.escape, INLINE_ELLIPSIS.split(line))))
