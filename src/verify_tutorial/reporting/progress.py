"""A long command's output, streamed to the terminal once it has run a while."""

from __future__ import annotations

import time
from collections.abc import Callable

STREAM_AFTER = 3.0  # seconds; shorter commands print nothing while they run


class Progress:
    def __init__(self, say: Callable[[str], None], where: str):
        self.say = say
        self.where = where
        self.start = time.monotonic()
        self.pending = ""
        self.streaming = False

    def feed(self, text: str) -> None:
        self.pending += text
        if not self.streaming and time.monotonic() - self.start < STREAM_AFTER:
            return
        if not self.streaming:
            self.streaming = True
            self.say(f"\n{self.where}: still running, output so far:")
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            self.say(f"  | {line.rstrip()[:200]}")

    def done(self) -> None:
        if self.streaming:
            self.say(f"{self.where}: finished after {time.monotonic() - self.start:.0f} s")
