"""The interface a run's pages work against: an engine the commands reach, whose
objects the run owns and removes. The verifier knows engines only through it.

    engine = engine_for(name)(identity, hint)
    engine.check(env)                  # tools usable, before anything runs
    engine.open(wait=True, say=print)  # connect, take hold, reap dead runs
    engine.ensure_names_free(wanted)   # names the pages create, all at once
    env.update(engine.env())           # how the page's commands reach it
    ...                                # the page's commands
    engine.clean_up()                  # what this run created; nothing else
    engine.close()                     # let go of everything open() took
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Protocol

from ..execution.identity import RunIdentity

Say = Callable[[str], None]


class Engine(Protocol):
    name: ClassVar[str]  # as the configuration names it
    reservable: ClassVar[tuple[str, ...]]  # kinds of names [reserved] may list
    version: str  # as results name it

    def __init__(self, identity: RunIdentity, hint: str = "") -> None: ...

    @property
    def is_open(self) -> bool: ...

    def shell_env(self) -> dict[str, str]:
        """Variables every page's shell gets, whether or not the engine is open."""
        ...

    def account_env(self, home: Path, env: dict[str, str]) -> dict[str, str]:
        """Variables for a shell that runs as another account, whose home is `home`:
        what it needs of the verifier's own user's settings, copied into that home."""
        ...

    def check(self, env: dict[str, str]) -> None:
        """Raise a VerifyError if the tools the pages call cannot work here."""
        ...

    def open(self, wait: bool, say: Say) -> None: ...

    def env(self) -> dict[str, str]:
        """Variables the page's commands need to reach the engine (once open)."""
        ...

    def names_in(self, command: str) -> set[tuple[str, str]]:
        """(kind, name) of what a command would create under a name it chooses."""
        ...

    def ensure_names_free(self, wanted: dict[tuple[str, str], str]) -> None:
        """Refuse, every one at once, names the pages create that exist and are not the run's."""
        ...

    def clean_up(self) -> list[str]:
        """Remove what the run created so far; returns what, as words. Raises EngineLost."""
        ...

    def reachable(self) -> bool: ...

    def lost_words(self) -> str:
        """What to tell the user when the engine stops answering mid-run."""
        ...

    def collision(self, output: str) -> str | None:
        """ "container name dp" when output is the engine refusing a taken name."""
        ...

    def wants_terminal(self, command: str) -> bool:
        """Whether a command fails without a terminal (`docker exec -it`)."""
        ...

    def close(self) -> None: ...
