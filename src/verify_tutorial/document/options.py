"""Block options, written as comments the rendered page does not show.

In MyST, on the comment lines right above a console block:

    % verify: requires=gpu timeout=900
    % verify: setup="docker rm -f dp" stdin="c\\nq\\n"

Keys: requires (names the project's configuration declares; comma-separated), skip
(a reason), timeout (seconds per command), session (a named shell state on the
page), setup / teardown (hidden commands, repeatable), exit (expected status of
each command), stdin (scripted input, given through a pty), pty (a flag), role
(the configured role the block runs as, where no prompt label can say it).
"""

from __future__ import annotations

import math
import shlex
from dataclasses import replace
from pathlib import Path

from ..errors import UnknownOption
from .model import Options

MARKER = "verify:"
KEYS = ("requires", "skip", "timeout", "session", "setup", "teardown", "exit", "stdin", "pty", "role")


def parse_options(path: Path, comments: list[tuple[int, str]], requirements: frozenset[str] | None = None) -> Options:
    """Fold "verify:" comment lines (line number, text after '%') into Options.
    `requirements` is the vocabulary `requires=` may use (None: any name)."""
    options = Options()
    for line, text in comments:
        body = text.strip()
        if not body.startswith(MARKER):
            continue
        where = f"{path}:{line}"
        try:
            words = shlex.split(body[len(MARKER) :])
        except ValueError as error:
            raise UnknownOption(f"{where}: cannot read verify options ({error}); check the quotes") from None
        for word in words:
            options = _apply(options, where, word, requirements)
    return options


def _apply(options: Options, where: str, word: str, requirements: frozenset[str] | None) -> Options:
    key, has_value, value = word.partition("=")
    if key == "pty" and not has_value:
        return replace(options, pty=True)
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
    raise UnknownOption(f"{where}: unknown verify option '{key}'; known: {', '.join(KEYS)}")
