"""What can be checked before anything runs, each failure one line with its own exit status:
blocks well formed, BuildKit usable, the engine reachable and ours (lock, reaper),
and the names the pages create free."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from . import engine
from .collect import collect_page
from .engine_session import Profile
from .errors import NoBlocks, PageNotText
from .options import capabilities, skip_reason
from .runner import shell_environment
from .settings import Settings


def preflight(
    settings: Settings,
    session: Profile,
    pages: Iterable[Path] | None = None,
    target: str = "cpu",
    allow: Iterable[str] = (),
    wait: bool = True,
) -> list[PageNotText]:
    """Check what can be checked before anything runs; open the engine session when
    some block will run. Returns the pages that could not be read (each already
    reported in one line); every other problem raises."""
    unreadable: list[PageNotText] = []
    blocks = []
    for page in settings.all_pages() if pages is None else pages:
        try:
            blocks += collect_page(page, shown_as=settings.relative(page))
        except PageNotText as error:
            print(f"verify-tutorial: {error}; its blocks are not run, the other pages are", file=sys.stderr)
            unreadable.append(error)
    if not blocks and not unreadable:
        raise NoBlocks(
            f"no console blocks in the pages chosen ({settings.relative(settings.pages)}/); nothing to verify"
        )
    available = capabilities(target, list(allow))
    runnable = [b for b in blocks if skip_reason(b.options, available) is None]
    if not runnable:
        return unreadable
    if settings.engine != "docker":
        return unreadable
    engine.check_buildkit(shell_environment())
    session.open(wait=wait, say=lambda line: print(f"verify-tutorial: {line}", file=sys.stderr))
    wanted: dict[tuple[str, str], str] = {}
    for kind, names in settings.reserved.items():
        for name in names:
            wanted[(kind, name)] = f"{settings.relative(settings.source)} [reserved]"
    for block in runnable:
        for command in block.commands:
            for name in engine.names_used(command.text):
                wanted.setdefault(name, f"{settings.relative(block.path)}:{command.line}")
    session.ensure_names_free(wanted)
    return unreadable
