"""What a console block is made of: commands, expected output, and options."""

from __future__ import annotations

import re
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
    env: dict[str, str] = field(default_factory=dict)  # set for this block's commands, restored after it


@dataclass(frozen=True)
class ShellStart:
    """How a page's shells start, from the project's and the page's defaults."""

    env: tuple[tuple[str, str], ...] = ()  # variables every shell of the page starts with
    cwd: str | None = None  # the folder, relative to the page's copy of the project, they start in


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    commands: list[Command]
    options: Options
    indent: str = ""  # what precedes each of the block's lines in the source: list indent, "> " of a quote
    shown_as: str = ""  # the page as messages name it; the path when empty
    source_sha256: str = ""  # digest of the page bytes the block was read from; "" when unknown
    start: ShellStart = ShellStart()  # the page's, the same for every block of it

    @property
    def is_session(self) -> bool:
        """False for a console block with no prompt at all: output shown alone, never run."""
        return bool(self.commands)

    @property
    def name(self) -> str:
        return self.shown_as or str(self.path)

    @property
    def where(self) -> str:
        return f"{self.name}:{self.line}"


# A prompt is "$ ", or a shell's "user@host:~/dir$ ", optionally after a host or venv
# label such as "(gpu-host) ". A project may configure others (a root "# ", say).
DEFAULT_PROMPTS = (r"\$ ", r"[\w.-]+@[\w.-]+:[^\s$#]*\$ ")
LABEL = r"[\w.-]+"


def prompt_pattern(prompts: tuple[str, ...] = DEFAULT_PROMPTS) -> re.Pattern[str]:
    """One pattern for a command line: an optional (label), one of the prompts, the command."""
    either = "|".join(f"(?:{p})" for p in prompts)
    return re.compile(rf"^(?:\((?P<label>{LABEL})\) )?(?:{either})(?P<command>.*)$")


@dataclass(frozen=True)
class Dialect:
    """What a project's pages may say, from its configuration: which fenced languages
    are console sessions, which requirement names blocks may give, what a prompt looks
    like, and the options every block starts from."""

    console_languages: frozenset[str] = frozenset({"console", "shell-session"})
    requirements: frozenset[str] | None = None  # None: any name (pages read without a configuration)
    prompt: re.Pattern[str] = field(default_factory=prompt_pattern)
    defaults: tuple[str, ...] = ()  # the project's default block options, as option words ("pty", "timeout=60")


PLAIN = Dialect()  # pages read without a project's configuration
