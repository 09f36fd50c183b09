"""Ctrl-C and SIGTERM: the first stops the run, the next cannot cut clean-up short.

A reader pressing Ctrl-C twice in a hurry must not be left with a running
`dp` container and a half-deleted temp dir. So the first press (or a CI
cancel's SIGTERM) interrupts the commands; one more press only says that
clean-up is under way; a third abandons it (the next run reaps what is left).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


class InterruptPolicy:
    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.interrupted = False
        self._cleaning = False
        self._extra_presses = 0
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @contextmanager
    def cleaning(self) -> Iterator[None]:
        """Clean-up inside this block survives one more press."""
        self._cleaning = True
        try:
            yield
        finally:
            self._cleaning = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.interrupted and not self._cleaning:
            self.interrupted = True
            raise KeyboardInterrupt
        self.interrupted = True
        self._extra_presses += 1
        if self._extra_presses == 1:
            self.say("\nverify-tutorial: cleaning up what this run created; press Ctrl-C once more to abandon it")
            return
        raise KeyboardInterrupt
