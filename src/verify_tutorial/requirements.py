"""Which blocks run here: what a block requires against what this run offers."""

from __future__ import annotations

from pathlib import Path

from .document.model import Options
from .execution.answer import shell_answer


def capabilities(target: str | None, allowed: list[str], detect: dict[str, str], cwd: Path) -> set[str]:
    """What blocks may require here: the target, what --allow grants, what the
    configuration's detect commands find."""
    found = {name for name, command in detect.items() if shell_answer(command, cwd) is not None}
    return {*([target] if target else []), *allowed, *found}


def skip_reason(
    options: Options,
    available: set[str],
    hints: dict[str, str] | None = None,
    targets: dict[str, str] | None = None,
) -> str | None:
    """Why a block with these options does not run here, or None when it does.
    `hints` says, per requirement, how to meet it where --allow is not the way;
    `targets` what a block needing each target shows."""
    if options.skip:
        return options.skip
    missing = sorted(options.requires - available)
    for name in missing:
        if name in (targets or {}):
            return f"{(targets or {})[name]} (--target {name})"
    if missing:
        how = (hints or {}).get(missing[0], f"--allow {missing[0]}")
        return f"needs {', '.join(missing)} ({how})"
    return None
