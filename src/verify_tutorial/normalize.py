"""Typed normalizers: what varies from run to run, rewritten the same way on both sides.

The page shows real-looking output ("3 minutes ago", "705MB", an image ID);
the real run prints other values of the same kind. Each rule turns a value
of one kind into a placeholder, so only the kind has to match.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")

_UNIT = r"(?:second|minute|hour|day|week|month|year)s?"
_AMOUNT = r"(?:\d+|an?|About an?|About \d+|Less than an?)"

# Order matters: digests before bare IDs, ages before sizes.
RULES: list[tuple[str, re.Pattern[str], str]] = [
    # BuildKit numbers its steps in the order they start, which caching changes.
    ("buildkit-step", re.compile(r"^#\d+ "), "#N "),
    ("digest", re.compile(r"\bsha256:[0-9a-f]{64}\b"), "<digest>"),
    ("long-id", re.compile(r"\b[0-9a-f]{64}\b"), "<id>"),
    ("short-id", re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{12}\b"), "<id>"),
    (
        "timestamp",
        re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?(?: [A-Z]{3,4})?"),
        "<time>",
    ),
    ("age", re.compile(rf"\b{_AMOUNT} {_UNIT} ago\b"), "<age>"),
    ("uptime", re.compile(rf"\bUp {_AMOUNT} {_UNIT}\b"), "Up <age>"),
    ("exited", re.compile(rf"\bExited \((\d+)\) {_AMOUNT} {_UNIT} ago\b"), r"Exited (\1) <age>"),
    ("size", re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:[kKMGT]i?B|B|[KMGT](?=\s|$))"), "<size>"),
    ("seconds", re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:ms|s)\b"), "<secs>"),
]
# Column alignment in `docker ps` / `docker images` depends on the widest value.
COLUMN_GAP = re.compile(r" {2,}")


def clean(text: str) -> list[str]:
    """Lines as a terminal would show them: no ANSI codes, CRs or trailing spaces."""
    text = ANSI.sub("", text).replace("\r\n", "\n")
    lines = []
    for line in text.split("\n"):
        if "\r" in line:  # progress bars redraw a line; keep what remains visible
            line = line.rsplit("\r", 1)[-1] or line.rstrip("\r")
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def normalize_line(line: str) -> str:
    for _name, pattern, placeholder in RULES:
        line = pattern.sub(placeholder, line)
    return COLUMN_GAP.sub("  ", line).strip()
