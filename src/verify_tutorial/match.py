"""Compare the output a page shows with the output a command really printed."""

from __future__ import annotations

import difflib

from .blocks import ELLIPSIS
from .normalize import normalize_line


def matches(expected: list[str], actual: list[str]) -> bool:
    """True when the lines agree after normalizing; a '...' line stands for any lines."""
    want = [None if line.strip() == ELLIPSIS else normalize_line(line) for line in expected]
    got = [normalize_line(line) for line in actual]

    # reachable[j]: the expected lines so far can account for exactly got[:j].
    reachable = [True] + [False] * len(got)
    for pattern in want:
        if pattern is None:  # '...' elides any number of lines, none included
            for j in range(1, len(got) + 1):
                reachable[j] = reachable[j] or reachable[j - 1]
        else:
            reachable = [False] + [reachable[j] and got[j] == pattern for j in range(len(got))]
    return reachable[-1]


def unified_diff(expected: list[str], actual: list[str], where: str) -> str:
    lines = difflib.unified_diff(expected, actual, f"expected ({where})", "actual", lineterm="", n=3)
    return "\n".join(lines)


def accepted_output(expected: list[str], actual: list[str]) -> list[str]:
    """What accept mode writes: the real output, keeping a head/tail '...' elision.

    With no '...' the real output replaces the old. With one, the lines shown
    before and after it stay as many as before, now from the real output.
    """
    if matches(expected, actual):
        return expected
    marks = [i for i, line in enumerate(expected) if line.strip() == ELLIPSIS]
    if not marks:
        return list(actual)
    head, tail = marks[0], len(expected) - marks[-1] - 1
    if head + tail >= len(actual):
        return list(actual)
    return [*actual[:head], expected[marks[0]], *(actual[len(actual) - tail :] if tail else [])]
