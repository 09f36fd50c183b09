"""What a console block is made of: commands, expected output, and options."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    line: int  # 1-based line of the prompt in the source file
    text: str  # the command, continuation lines and here-docs joined with newlines
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
    role: str | None = None  # the configuration's role every command runs as, whatever its prompt's label


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    commands: list[Command]
    options: Options
    indent: str = ""  # what precedes each of the block's lines in the source: list indent, "> " of a quote
    shown_as: str = ""  # the page as messages name it; the path when empty
    source_sha256: str = ""  # digest of the page bytes the block was read from; "" when unknown

    @property
    def name(self) -> str:
        return self.shown_as or str(self.path)

    @property
    def where(self) -> str:
        return f"{self.name}:{self.line}"


@dataclass(frozen=True)
class Dialect:
    """What a project's pages may say, from its configuration: which fenced languages
    are console sessions, and which requirement names blocks may give."""

    console_languages: frozenset[str] = frozenset({"console", "shell-session"})
    requirements: frozenset[str] | None = None  # None: any name (pages read without a configuration)


PLAIN = Dialect()  # pages read without a project's configuration
