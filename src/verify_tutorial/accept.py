"""Accept mode: write real output into the pages, only in expected-output regions."""

from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path

from .blocks import Block, Command
from .match import accepted_output


def rewrite(changes: list[tuple[Block, Command, list[str]]], show=print) -> list[Path]:
    """Apply (block, command, actual lines) to their files; show each file's diff first."""
    by_file: dict[Path, list[tuple[Block, Command, list[str]]]] = defaultdict(list)
    for change in changes:
        by_file[change[0].path].append(change)
    written = []
    for path, file_changes in by_file.items():
        old = path.read_text(encoding="utf-8").splitlines(keepends=True)
        new = list(old)
        # Bottom-up, so earlier line numbers stay valid.
        for block, command, actual in sorted(file_changes, key=lambda c: c[1].line, reverse=True):
            replacement = accepted_output(command.expected, actual)
            start = command.output_start - 1
            new[start : start + len(command.expected)] = [
                f"{block.indent}{line}\n" if line else "\n" for line in replacement
            ]
        if new != old:
            show("".join(difflib.unified_diff(old, new, str(path), f"{path} (accepted)")))
            path.write_text("".join(new), encoding="utf-8")
            written.append(path)
    return written
