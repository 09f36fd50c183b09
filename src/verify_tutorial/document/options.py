"""Block options, written as comments the rendered page does not show.

In MyST, on the comment lines right above a console block:

    % verify: requires=gpu timeout=900
    % verify: setup="docker rm -f dp" stdin="c\\nq\\n"

A page's own defaults for all its blocks go on a line of their own, anywhere:

    % verify-page: pty timeout=60 env=COLUMNS=80 cwd=examples

and the project's in its configuration ([defaults]). A block's options start
from the page's, which start from the project's. There, `env` and `cwd` say how
the page's shells start; in a block, `env=NAME=VALUE` holds for that block's
commands only.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from dataclasses import replace
from pathlib import Path

from ..errors import UnknownOption
from .model import Options, ShellStart

MARKER = "verify:"
PAGE_MARKER = "verify-page:"
# What each option does, for the reference in the docs and the error for an unknown one.
HELP = {
    "requires": "names the configuration declares (comma-separated): the block runs only where each is met",
    "skip": "a reason: the block is never run, and says so",
    "timeout": "seconds each command may take (default: the configuration's default_timeout)",
    "session": "a named shell on the page: blocks of one session share its state (default: main)",
    "setup": "a hidden command run before the block's first command (repeatable)",
    "teardown": "a hidden command run after the block's last command (repeatable)",
    "exit": "the exit status each command must end with (default 0)",
    "stdin": "text typed into a terminal (\\n for Enter); implies pty",
    "pty": "run in a terminal, as a reader's commands are; pty=false turns a default off",
    "role": "the configuration's role the block runs as, whatever its prompts' labels",
    "env": "NAME=VALUE (repeatable): set for the block's commands, or, as a default, for the page's shells",
    "cwd": "as a page or project default: the folder, in the page's copy of the project, shells start in",
}
KEYS = tuple(HELP)
PAGE_ONLY = frozenset({"cwd"})  # not a block's: a block changes folder in its own commands
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_options(
    path: Path,
    comments: list[tuple[int, str]],
    requirements: frozenset[str] | None = None,
    base: Options | None = None,
) -> Options:
    """Fold "verify:" comment lines (line number, text after '%') into Options,
    starting from `base` (the page's defaults). `requirements` is the vocabulary
    `requires=` may use (None: any name)."""
    options = Options() if base is None else replace(base, env={})
    words = _words(path, comments, MARKER)
    _given_once(words)
    for where, word in words:
        key = word.partition("=")[0]
        if key in PAGE_ONLY:
            raise UnknownOption(
                f"{where}: {key}= is a page or project default, not a block's; "
                f"put it on a '% {PAGE_MARKER}' line, or cd in the block's commands"
            )
        options = _apply(options, where, word, requirements)
    return options


def page_defaults(
    sources: list[tuple[str, list[str]]], requirements: frozenset[str] | None = None
) -> tuple[Options, ShellStart]:
    """The options a page's blocks start from, and how its shells start: from
    (where, option words) sources, the project's first, then the page's."""
    options, env, cwd = Options(), {}, None
    for where, words in sources:
        for word in words:
            key, _, value = word.partition("=")
            if key == "cwd":
                cwd = _relative_folder(where, value)
            elif key == "env":
                env.update(_variable(where, value))
            else:
                options = _apply(options, where, word, requirements)
    return options, ShellStart(env=tuple(env.items()), cwd=cwd)


def no_options_for_output(path: Path, comments: list[tuple[int, str]], has_commands: bool) -> None:
    """A block with no prompt is output shown alone and never runs: options above it
    (other than skip) mean its prompts were not recognized ('$echo', an unknown prompt)."""
    if has_commands:
        return
    for where, word in _words(path, comments, MARKER):
        if word.partition("=")[0] != "skip":
            raise UnknownOption(
                f"{where}: verify options above a block with no prompt, which never runs; "
                "start its command lines with a known prompt ('$ '; see prompts), or remove the options"
            )


def page_comment_words(path: Path, comments: list[tuple[int, str]]) -> list[tuple[str, list[str]]]:
    """The option words of a page's "verify-page:" comment lines, each with its file:line."""
    words = _words(path, comments, PAGE_MARKER)
    _given_once(words)
    return [(where, [word]) for where, word in words]


# Options that hold one value: a second one on the same block (or page) is a mistake,
# not an override, so it is named rather than silently winning.
SINGLE = frozenset({"skip", "timeout", "session", "exit", "stdin", "pty", "role", "cwd"})


def _given_once(words: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for where, word in words:
        key = word.partition("=")[0]
        if key in SINGLE and key in seen:
            raise UnknownOption(f"{where}: {key} is given twice (first at {seen[key]}); keep one")
        seen.setdefault(key, where)


def _words(path: Path, comments: list[tuple[int, str]], marker: str) -> list[tuple[str, str]]:
    found = []
    for line, text in comments:
        body = text.strip()
        if not body.startswith(marker):
            _misspelt(path, line, body)
            continue
        where = f"{path}:{line}"
        try:
            words = shlex.split(body[len(marker) :])
        except ValueError as error:
            raise UnknownOption(f"{where}: cannot read verify options ({error}); check the quotes") from None
        found += [(where, word) for word in words]
    return found


def _misspelt(path: Path, line: int, body: str) -> None:
    """A comment that starts with a near miss of a marker ("verfy:", "Verify:") would
    otherwise be a comment like any other, and its options silently not apply."""
    first = body.split(maxsplit=1)[0] if body else ""
    if first.lower() in (MARKER[:-1], PAGE_MARKER[:-1]):  # "% verify exit=3", "% verify : exit=3"
        raise UnknownOption(f"{path}:{line}: '{first}' lacks its colon; write '{first.lower()}:' right after it")
    if not first.endswith(":") or first.startswith("_") or first in (MARKER, PAGE_MARKER):
        return
    close = difflib.get_close_matches(first.lower(), (MARKER, PAGE_MARKER), n=1, cutoff=0.8)
    if close:
        raise UnknownOption(f"{path}:{line}: '{first}' is not a verify marker; did you mean '{close[0]}'?")


def _variable(where: str, value: str) -> dict[str, str]:
    name, has_value, setting = value.partition("=")
    if not has_value or not NAME.fullmatch(name):
        raise UnknownOption(f"{where}: env={value!r} is not NAME=VALUE; write one such as env=COLUMNS=80")
    return {name: setting}


def _relative_folder(where: str, value: str) -> str:
    if not value or value.startswith("/") or ".." in Path(value).parts:
        raise UnknownOption(
            f"{where}: cwd={value!r} must be a folder inside the project, relative to it, as in cwd=examples"
        )
    return value


def _apply(options: Options, where: str, word: str, requirements: frozenset[str] | None) -> Options:
    key, has_value, value = word.partition("=")
    if key == "pty" and not has_value:
        return replace(options, pty=True)
    if key == "pty" and value.lower() in ("true", "yes", "false", "no"):
        return replace(options, pty=value.lower() in ("true", "yes"))
    if key == "pty":
        raise UnknownOption(f"{where}: pty={value!r}: write pty, pty=true or pty=false")
    if key == "env" and has_value:
        variable = _variable(where, value)
        if set(variable) & set(options.env):
            raise UnknownOption(f"{where}: env={value!r} sets {next(iter(variable))} a second time; keep one")
        return replace(options, env={**options.env, **variable})
    if key not in KEYS:
        close = difflib.get_close_matches(key, KEYS, n=1)
        guess = f"did you mean {close[0]}? " if close else ""
        raise UnknownOption(f"{where}: unknown verify option '{key}'; {guess}known: {', '.join(KEYS)}")
    if not has_value:
        raise UnknownOption(f"{where}: verify option '{word}' needs a value, as in {word}=...")
    if key == "requires":
        wanted = frozenset(filter(None, value.split(",")))
        unknown = wanted - requirements if requirements is not None else frozenset()
        if unknown:
            raise UnknownOption(
                f"{where}: unknown requirement {', '.join(sorted(unknown))}; "
                + (
                    f"use one of {', '.join(sorted(requirements))}, or declare it in the configuration"
                    if requirements
                    else "the configuration declares none: add it to requirements (or [targets])"
                )
            )
        return replace(options, requires=options.requires | wanted)
    if key == "skip":
        return replace(options, skip=value or "skipped by the page")
    if key == "timeout":
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds <= 0:
            raise UnknownOption(
                f"{where}: verify option timeout={value!r} is not a positive number of seconds; "
                "write one such as timeout=300"
            )
        return replace(options, timeout=seconds)
    if key == "exit":
        if not (value.isascii() and value.isdigit() and int(value) <= 255):
            raise UnknownOption(
                f"{where}: verify option exit={value!r} is not an exit status; "
                "write a whole number 0 to 255, as in exit=1"
            )
        return replace(options, exit=int(value))
    if key == "session":
        return replace(options, session=value)
    if key == "role":
        return replace(options, role=value)
    if key == "setup":
        return replace(options, setup=[*options.setup, value])
    if key == "teardown":
        return replace(options, teardown=[*options.teardown, value])
    if key == "stdin":
        return replace(options, stdin=value.replace("\\n", "\n").replace("\\t", "\t"))
    raise UnknownOption(f"{where}: verify option '{key}' is not a block's; put it on a '% {PAGE_MARKER}' line")


def reference_markdown() -> str:
    """The block options as a Markdown table, for the docs (made from HELP, so it cannot drift)."""
    rows = ["| option | what it does |", "|---|---|"]
    for key, text in HELP.items():
        shown = "pty" if key == "pty" else f"{key}=..."
        rows.append(f"| `{shown}` | {text.replace('|', chr(92) + '|')} |")
    return "\n".join(rows)
