"""A sentence of the guide that sends the reader to "line N of `FILE`" names the
line's text too ("line 38 of `src/example.py`, `if not gpus:`"), and that text
must be on that line of the template's file: an edit that moves the line fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS, TEMPLATE = ROOT / "docs", ROOT / "docker-practice"

# "line 38 of `src/example.py`", then, after a comma or a colon, the line's text in backticks.
REFERENCE = re.compile(r"line (\d+) of `([^`]+)`(?:[,:]\s*`([^`]+)`)?", re.IGNORECASE)


def wrong_references(text: str, template: Path) -> list[str]:
    """Each reference in text that names no fragment, a missing file, or a line without the fragment."""
    problems = []
    for number, name, fragment in REFERENCE.findall(" ".join(text.split())):
        path = template / name
        if not fragment:
            problems.append(f"line {number} of {name}: name the line's text too, in backticks")
        elif not path.is_file():
            problems.append(f"line {number} of {name}: no such file in the template")
        else:
            lines = path.read_text(encoding="utf-8").splitlines()
            n = int(number)
            if not 1 <= n <= len(lines) or fragment not in lines[n - 1]:
                holders = [i + 1 for i, line in enumerate(lines) if fragment in line]
                problems.append(f"line {number} of {name} is not `{fragment}` (that is on line {holders})")
    return problems


def test_every_line_reference_in_the_guide_points_at_its_line():
    pages = sorted(DOCS.glob("*.md"))
    found = [(page.name, problem) for page in pages for problem in wrong_references(page.read_text("utf-8"), TEMPLATE)]
    assert found == []
    assert any(REFERENCE.search(page.read_text("utf-8")) for page in pages)  # the check has something to check


@pytest.mark.parametrize(
    "sentence",
    [
        "the example decides (line 37 of `src/example.py`, `if not gpus:`)",  # one line off
        "see line 38 of `src/example.py`",  # no text to check it by
        "line 38 of `src/missing.py`, `if not gpus:`",
    ],
)
def test_a_wrong_reference_is_reported(sentence):
    assert wrong_references(sentence, TEMPLATE) != []


def test_the_right_reference_passes():
    assert wrong_references("(line 38 of `src/example.py`, `if not gpus:`)", TEMPLATE) == []
