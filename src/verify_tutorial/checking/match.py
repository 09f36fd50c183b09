"""Compare the output a page shows with the output a command really printed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..document.console import ELLIPSIS
from .normalize import Rule, normalize_lines, same

# An expected line left unmatched costs more than an extra real line, so that among
# equally short diffs the one that matches the page's lines (not '...') is shown.
MISSING = 2


def matches(expected: list[str], actual: list[str], extra_rules: Iterable[Rule] = ()) -> bool:
    """True when the lines agree after normalizing; a '...' line stands for any lines."""
    return bool(_costs(expected, actual, extra_rules)[0][-1][-1] == 0)


def unified_diff(expected: list[str], actual: list[str], where: str, extra_rules: Iterable[Rule] = ()) -> str:
    """A diff in which lines that match after normalizing are context, so the real difference stands out.

    Context lines show the actual output; lines a '...' stands for show as context too.
    """
    cost, want, got = _costs(expected, actual, extra_rules)
    shown: list[str] = []  # the expected side as displayed: matched lines replaced by the real ones
    i, j = len(want), len(got)
    while i or j:
        wild = i and expected[i - 1].strip() == ELLIPSIS
        if wild and j and cost[i][j] == cost[i][j - 1]:  # '...' stands for this real line
            shown.append(actual[j - 1])
            j -= 1
        elif wild:
            i -= 1
        elif i and j and cost[i][j] == cost[i - 1][j - 1] and same(want[i - 1], got[j - 1]):
            shown.append(actual[j - 1])
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + MISSING:
            shown.append(expected[i - 1])
            i -= 1
        else:
            j -= 1  # a real line the page lacks: only on the actual side
    lines = difflib.unified_diff(shown[::-1], actual, f"expected ({where})", "actual", lineterm="", n=3)
    return "\n".join(lines)


def _costs(
    expected: list[str], actual: list[str], extra_rules: Iterable[Rule]
) -> tuple[list[list[int]], list[str], list[str]]:
    """cost[i][j]: the cost of unmatched lines when expected[:i] accounts for actual[:j].

    Each side is normalized once, as a whole, so a table's header types the rows below it.
    """
    rules = list(extra_rules)
    want, got = normalize_lines(expected, rules), normalize_lines(actual, rules)
    cost = [list(range(len(got) + 1))]
    for i, pattern in enumerate(want):
        if expected[i].strip() == ELLIPSIS:  # '...' elides any number of lines, none included
            row = [cost[i][0]]
            for j in range(len(got)):
                row.append(min(cost[i][j + 1], row[j]))
        else:
            row = [cost[i][0] + MISSING]
            for j, line in enumerate(got):
                best = min(cost[i][j + 1] + MISSING, row[j] + 1)
                row.append(cost[i][j] if cost[i][j] < best and same(pattern, line) else best)
        cost.append(row)
    return cost, want, got
