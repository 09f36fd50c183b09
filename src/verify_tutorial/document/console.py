"""Console-session syntax: prompts, continuation lines, here-docs, the "..." line."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

from ..errors import MalformedBlock
from .model import DEFAULT_PROMPTS, LABEL, Command, prompt_pattern

# The site's copy button strips the same prompts: docs/conf.py reads PROMPT_TEXT.
PROMPT_TEXT = rf"(?:\({LABEL}\) )?(?:{'|'.join(DEFAULT_PROMPTS)})"  # no capturing group: sphinx-copybutton adds its own
PROMPT = prompt_pattern()
# Wildcards: a line of just "..." stands for any lines, "..." within a line for any
# text; a line ending in " (re)" is a regular expression (checking/match.py).
ELLIPSIS = "..."
REGEX_MARK = " (re)"
# The line that stands, in a command's output, for what was too long to keep.
LEFT_OUT = re.compile(r"\.\.\. \[[\d,]+ lines \(.+\) left out\] \.\.\.")


def left_out_note(lines: int, size: str) -> str:
    return f"... [{lines:,} lines ({size}) left out] ..."


# What bash shows before each line of a here-doc typed at an interactive prompt (PS2).
HEREDOC_PROMPT = "> "
# Ends a shell word, for the delimiter of a here-doc.
_WORD_END = frozenset(" \t;&|<>()")


def split_console(path: Path, first_line: int, lines: list[str], prompt: re.Pattern[str] = PROMPT) -> list[Command]:
    """Split a console block's lines (starting at source line first_line) into commands.

    A block with no prompt at all is output shown on its own, not a session: no commands.
    """
    if not any(prompt.match(line) for line in lines):
        return []
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        match = prompt.match(lines[i])
        if match is None:
            if not commands and not lines[i].strip():  # blank lines before the first prompt
                i += 1
                continue
            if not commands:
                raise MalformedBlock(
                    f"{path}:{first_line + i}: console block output comes before its first prompt; "
                    "start the block with a command line such as '$ ls'"
                )
            commands[-1].expected.append(lines[i])
            i += 1
            continue
        start = i
        parts = [match["command"]]
        heredocs = heredoc_delimiters(parts[-1])
        while parts[-1].endswith("\\"):
            i += 1
            if i >= len(lines):
                raise MalformedBlock(
                    f"{path}:{first_line + start}: command ends with '\\' but the block ends; finish the continued line"
                )
            parts.append(lines[i])
            heredocs += heredoc_delimiters(parts[-1])
        # Bash reads here-doc bodies after the whole command line, in the order they were opened.
        for delimiter, strip_tabs in heredocs:
            i = _read_heredoc(path, first_line, lines, i, start, delimiter, strip_tabs, parts, prompt)
        # Lines after bash's '> ' (PS2) go on a command bash would not run yet: a loop,
        # an `if`, an open quote. Only then: an output line such as '> quoted' stays output.
        while i + 1 < len(lines) and _prefixed(lines[i + 1]) and unfinished("\n".join(parts)):
            i += 1
            parts.append(lines[i][len(HEREDOC_PROMPT) :])
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
    for command in commands:
        while command.expected and not command.expected[-1].strip():
            command.expected.pop()
        _check_wildcards(path, command)
    return commands


def _check_wildcards(path: Path, command: Command) -> None:
    """A ' (re)' line that is no regular expression is named here, not in the middle of a run."""
    for offset, line in enumerate(command.expected):
        if line.rstrip().endswith(REGEX_MARK):
            try:
                re.compile(line.rstrip()[: -len(REGEX_MARK)])
            except re.error as error:
                raise MalformedBlock(
                    f"{path}:{command.output_start + offset}: output line ending in '{REGEX_MARK}' is not a "
                    f"regular expression ({error}); fix it, or escape it to match literally"
                ) from None


def _read_heredoc(
    path: Path,
    first_line: int,
    lines: list[str],
    i: int,
    start: int,
    delimiter: str,
    strip_tabs: bool,
    parts: list[str],
    prompt: re.Pattern[str],
) -> int:
    """Append one here-doc's body and terminator (after lines[i]) to parts; the index of its terminator.

    The body is written either as bash shows it, each line after its '> ' prompt, or
    as the reader types it, bare. The first body line decides which; a bare body
    must end at its delimiter line before the next prompt."""
    prefixed = i + 1 < len(lines) and _prefixed(lines[i + 1])
    how = (
        f"write every body line after '{HEREDOC_PROMPT}', as bash shows it, ending with '> {delimiter}'"
        if prefixed
        else f"end the body with a line of just {delimiter}"
    )
    while True:
        i += 1
        if i >= len(lines) or (not prefixed and prompt.match(lines[i])):
            raise MalformedBlock(
                f"{path}:{first_line + start}: here-doc <<{delimiter} is never ended before the "
                f"{'block ends' if i >= len(lines) else 'next prompt'}; {how}"
            )
        line = lines[i]
        if not prefixed:
            text = line
        elif line.startswith(HEREDOC_PROMPT):
            text = line[len(HEREDOC_PROMPT) :]
        elif line == HEREDOC_PROMPT.rstrip():  # an empty body line, its trailing space trimmed by an editor
            text = ""
        else:
            raise MalformedBlock(f"{path}:{first_line + i}: here-doc <<{delimiter} line lacks the '> ' prompt; {how}")
        parts.append(text)
        if (text.lstrip("\t") if strip_tabs else text) == delimiter:
            return i


@functools.lru_cache(maxsize=256)
def unfinished(command: str) -> bool:
    """Whether bash, given this command line, would prompt for more (PS2): `bash -n`
    reads it without running it and stops at the end of the text mid-construct."""
    check = subprocess.run(["bash", "-n"], input=command + "\n", capture_output=True, text=True, check=False)
    return check.returncode != 0 and ("unexpected end of file" in check.stderr or "unexpected EOF" in check.stderr)


def _prefixed(line: str) -> bool:
    return line.startswith(HEREDOC_PROMPT) or line == HEREDOC_PROMPT.rstrip()


def heredoc_delimiters(line: str) -> list[tuple[str, bool]]:
    """The here-docs one command line opens, as (delimiter, strips leading tabs) for each '<<WORD' or '<<-WORD'.

    Quoted text, comments, arithmetic '((...))' and here-strings '<<<' open none.
    """
    found: list[tuple[str, bool]] = []
    quote = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "\\":
            i += 1
        elif char == "#" and (i == 0 or line[i - 1] in " \t;&|("):
            break
        elif line.startswith("((", i):
            end = line.find("))", i + 2)
            i = len(line) if end < 0 else end + 2
            continue
        elif line.startswith("<<<", i):
            i += 3
            continue
        elif line.startswith("<<", i):
            strip_tabs = line.startswith("<<-", i)
            i += 3 if strip_tabs else 2
            while i < len(line) and line[i] in " \t":
                i += 1
            word, i = _shell_word(line, i)
            if word:
                found.append((word, strip_tabs))
            continue
        i += 1
    return found


def _shell_word(line: str, i: int) -> tuple[str, int]:
    """The word starting at line[i] with its quotes removed, and the index after it."""
    word = []
    while i < len(line) and line[i] not in _WORD_END:
        char = line[i]
        if char in "'\"":
            end = line.find(char, i + 1)
            end = len(line) if end < 0 else end
            word.append(line[i + 1 : end])
            i = end + 1
        elif char == "\\" and i + 1 < len(line):
            word.append(line[i + 1])
            i += 2
        else:
            word.append(char)
            i += 1
    return "".join(word), i
