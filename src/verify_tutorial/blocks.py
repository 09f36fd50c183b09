"""What a console block is made of: commands, expected output, and options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MalformedBlock

# A prompt is "$ ", optionally after a host or venv label such as "(gpu-host) ".
PROMPT = re.compile(r"^(?:\((?P<label>[^)\s]+)\) )?\$ (?P<command>.*)$")
# The one visible wildcard: a line of just "..." stands for any lines.
ELLIPSIS = "..."


@dataclass
class Command:
    line: int  # 1-based line of the prompt in the source file
    text: str  # the command, continuation lines joined with newlines
    label: str | None  # "(gpu-host)" label without parentheses, if any
    expected: list[str]  # expected output lines, as the page shows them
    output_start: int  # 1-based line of the first output line (or where it would go)


@dataclass
class Options:
    requires: frozenset[str] = frozenset()
    skip: str | None = None
    timeout: float | None = None  # seconds per command; None: the configured default
    session: str = "main"
    setup: list[str] = field(default_factory=list)
    teardown: list[str] = field(default_factory=list)
    exit: int = 0
    stdin: str | None = None  # scripted input; implies a pty, as for "-it"
    pty: bool = False


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    commands: list[Command]
    options: Options
    indent: str = ""  # indentation of the block's lines in the source

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def split_console(path: Path, first_line: int, lines: list[str]) -> list[Command]:
    """Split a console block's lines (starting at source line first_line) into commands."""
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        match = PROMPT.match(lines[i])
        if match is None:
            if not commands:
                raise MalformedBlock(
                    f"{path}:{first_line + i}: console block output comes before any '$ ' prompt; "
                    "start the block with a command line such as '$ ls'"
                )
            commands[-1].expected.append(lines[i])
            i += 1
            continue
        start = i
        parts = [match["command"]]
        while parts[-1].endswith("\\"):
            i += 1
            if i >= len(lines):
                raise MalformedBlock(
                    f"{path}:{first_line + start}: command ends with '\\' but the block ends; finish the continued line"
                )
            parts.append(lines[i])
        i += 1
        commands.append(
            Command(
                line=first_line + start,
                text="\n".join(parts),
                label=match["label"],
                expected=[],
                output_start=first_line + i,
            )
        )
    if not commands:
        raise MalformedBlock(f"{path}:{first_line}: console block has no '$ ' command line")
    for command in commands:
        while command.expected and not command.expected[-1].strip():
            command.expected.pop()
    return commands
