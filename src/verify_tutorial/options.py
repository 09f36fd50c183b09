"""Block options, written as comments the rendered page does not show.

In MyST, on the comment lines right above a console block:

    % verify: requires=gpu timeout=900
    % verify: setup="docker rm -f dp" stdin="c\\nq\\n"

Keys: requires (gpu, apptainer, registry, slurm, network; comma-separated), skip
(a reason), timeout (seconds per command), session (a named shell state on the
page), setup / teardown (hidden commands, repeatable), exit (expected status of
each command), stdin (scripted input, given through a pty), pty (a flag).
"""

from __future__ import annotations

import math
import shlex
import shutil
from dataclasses import replace
from pathlib import Path

from .blocks import Options
from .errors import UnknownOption

MARKER = "verify:"
KNOWN_REQUIREMENTS = frozenset({"cpu", "gpu", "apptainer", "registry", "slurm", "network"})
# What --allow may grant; "cpu" and "gpu" come only from --target (a block that
# shows what a machine without a GPU sees says requires=cpu).
ALLOWABLE = tuple(sorted(KNOWN_REQUIREMENTS - {"cpu", "gpu"}))


def parse_options(path: Path, comments: list[tuple[int, str]]) -> Options:
    """Fold "verify:" comment lines (line number, text after '%') into Options."""
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
            options = _apply(options, where, word)
    return options


def _apply(options: Options, where: str, word: str) -> Options:
    key, has_value, value = word.partition("=")
    if key == "pty" and not has_value:
        return replace(options, pty=True)
    if not has_value:
        raise UnknownOption(f"{where}: verify option '{word}' needs a value, as in {word}=...")
    if key == "requires":
        wanted = frozenset(filter(None, value.split(",")))
        unknown = wanted - KNOWN_REQUIREMENTS
        if unknown:
            raise UnknownOption(
                f"{where}: unknown requirement {', '.join(sorted(unknown))}; "
                f"use one of {', '.join(sorted(KNOWN_REQUIREMENTS))}"
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
    if key == "setup":
        return replace(options, setup=[*options.setup, value])
    if key == "teardown":
        return replace(options, teardown=[*options.teardown, value])
    if key == "stdin":
        return replace(options, stdin=value.replace("\\n", "\n").replace("\\t", "\t"))
    raise UnknownOption(
        f"{where}: unknown verify option '{key}'; "
        "known: requires, skip, timeout, session, setup, teardown, exit, stdin, pty"
    )


def capabilities(target: str, allowed: list[str]) -> set[str]:
    """What blocks may require here: the target, what --allow grants, what is installed."""
    found = {"apptainer"} if shutil.which("apptainer") else set()
    return {target, *allowed, *found}


def skip_reason(options: Options, available: set[str], hints: dict[str, str] | None = None) -> str | None:
    """Why a block with these options does not run here, or None when it does.
    `hints` says, per requirement, how to meet it where --allow is not the way."""
    if options.skip:
        return options.skip
    missing = sorted(options.requires - available)
    if "cpu" in missing:
        return "shows a machine without a GPU (--target cpu)"
    if "gpu" in missing:
        return "needs a GPU machine (--target gpu)"
    if missing:
        how = (hints or {}).get(missing[0], f"--allow {missing[0]}")
        return f"needs {', '.join(missing)} ({how})"
    return None
