"""No engine: pages of plain shell commands. Nothing to connect to or own; only the
folders of earlier runs that were killed outright to clean up."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ..execution.identity import RunIdentity, dead_temp_dirs, remove_dead_folder
from .base import Say


class NoEngine:
    name: ClassVar[str] = "none"
    reservable: ClassVar[tuple[str, ...]] = ()

    def __init__(self, identity: RunIdentity, hint: str = ""):
        self.identity = identity
        self.version = "none"
        self._opened = False

    @property
    def is_open(self) -> bool:
        return self._opened

    def shell_env(self) -> dict[str, str]:
        return {}

    def check(self, env: dict[str, str]) -> None:
        return None

    def open(self, wait: bool, say: Say) -> None:
        """Remove the folders of runs whose process is gone (killed outright); their
        services and commands were ended before this (services.reap)."""
        for path in dead_temp_dirs():
            remove_dead_folder(path, say)
        self._opened = True

    def env(self) -> dict[str, str]:
        return {}

    def names_in(self, command: str) -> set[tuple[str, str]]:
        return set()

    def ensure_names_free(self, wanted: dict[tuple[str, str], str]) -> None:
        return None

    def clean_up(self) -> list[str]:
        return []

    def reachable(self) -> bool:
        return True

    def lost_words(self) -> str:
        return "the shell stopped answering"

    def account_env(self, home: Path, env: dict[str, str]) -> dict[str, str]:
        return {}

    def collision(self, output: str) -> str | None:
        return None

    def wants_terminal(self, command: str) -> bool:
        return False

    def close(self) -> None:
        self._opened = False
