"""Recorded runs: each block's commands and output, with their real timings, as an
asciinema cast (format v2: a JSON header line, then one `[seconds, "o", text]`
line per piece of output), so a reader can watch what the verifier saw.

Only what the page shows is recorded: the prompt, each command and its output;
hidden setup and teardown stay out. Nothing of the machine goes in: every line
is scrubbed of the host's name, the run's temporary folders (shown as `~`, the
reader's home) and the values of variables whose names say they are secret.
Output is kept a line at a time, each at the moment its line ended, so a secret
split across two reads of the terminal is still found whole.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CAST_VERSION = 2
IDLE_TIME_LIMIT = 2.0  # seconds: longer waits are shortened in playback; the page gives the real time
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|CREDENTIAL", re.IGNORECASE)
SECRET_SHOWN = "<secret>"
HOST_SHOWN = "host"


@dataclass
class Scrubber:
    """What never goes into a cast, and what it becomes."""

    replacements: list[tuple[str, str]] = field(default_factory=list)
    patterns: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    @classmethod
    def for_page(cls, env: dict[str, str], folders: list[tuple[Path, str]], temp_prefix: str = "") -> Scrubber:
        """Secrets from the page's environment, the host's names, the page's folders
        (deepest first, so a home inside the page's folder becomes `~`, not `~/home`),
        and any other folder of the run's (`temp_prefix`: the start of their paths)."""
        pairs = cls.for_secrets(env).replacements + [(str(path), shown) for path, shown in folders]
        patterns = [(re.compile(re.escape(temp_prefix) + r"[^/\s'\"]*"), "~")] if temp_prefix else []
        # The host's names as whole words only: a short one ("vm") is also part of other words.
        node = platform.node()
        for name in sorted({node, node.split(".")[0]} - {""}, key=len, reverse=True):
            patterns.append((re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])"), HOST_SHOWN))
        # Longest first: a folder before the folder that holds it, a full host name before its first part.
        return cls(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True), patterns)

    @classmethod
    def for_secrets(cls, env: dict[str, str]) -> Scrubber:
        """Only the values of variables whose names say they are secret."""
        pairs = [(value, SECRET_SHOWN) for name, value in env.items() if SECRET_NAME.search(name) and len(value) >= 4]
        return cls(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))

    def __call__(self, text: str) -> str:
        for secret, shown in self.replacements:
            text = text.replace(secret, shown)
        for pattern, shown in self.patterns:
            text = pattern.sub(shown, text)
        return text


class CastRecorder:
    """One block's cast, built as its commands run."""

    def __init__(self, scrub: Scrubber, width: int = 120):
        self.scrub = scrub
        self.width = width
        self.events: list[tuple[float, str]] = []
        self._zero: float | None = None
        self._pending = ""  # output since the last line end

    def _now(self) -> float:
        now = time.monotonic()
        if self._zero is None:
            self._zero = now
        return round(now - self._zero, 3)

    def command(self, text: str, prompt: str = "$ ") -> None:
        """The prompt and the command, as the page shows them (the page is public already)."""
        shown = "\r\n> ".join(text.split("\n"))
        self.events.append((self._now(), f"{prompt}{shown}\r\n"))

    def output(self, text: str) -> None:
        """A piece of output as it arrived; kept once its line ends."""
        self._pending += text.replace("\r\n", "\n")
        *lines, self._pending = self._pending.split("\n")
        if lines:
            at = self._now()
            self.events.append((at, "".join(f"{self.scrub(line)}\r\n" for line in lines)))

    def finish_command(self) -> None:
        if self._pending:
            self.events.append((self._now(), self.scrub(self._pending) + "\r\n"))
            self._pending = ""

    def text(self, title: str) -> str:
        """The cast file: its header, then its events."""
        rows = sum(text.count("\n") for _, text in self.events)
        header = {
            "version": CAST_VERSION,
            "width": self.width,
            "height": max(5, min(rows + 1, 30)),
            "idle_time_limit": IDLE_TIME_LIMIT,
            "title": title,
            "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"},
        }
        lines = [json.dumps(header)] + [json.dumps([at, "o", text]) for at, text in self.events]
        return "\n".join(lines) + "\n"

    @property
    def duration(self) -> float:
        return self.events[-1][0] if self.events else 0.0


def cast_name(page: str, line: int) -> str:
    """A block's cast, relative to the results folder: casts/<page>/<line>.cast."""
    return f"casts/{page}/{line}.cast"


def cast_path(results_dir: Path, page: str, line: int) -> Path:
    return results_dir / cast_name(page, line)


def write_casts(results_dir: Path, page: str, casts: dict[int, CastRecorder]) -> list[Path]:
    """The page's casts, as one folder that replaces the page's older one whole: every
    cast there comes from this run, and a run killed while writing leaves the old folder.
    (One rename for the page, not one per cast: a page can hold hundreds of blocks.)"""
    folder = results_dir / "casts" / page
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.new-"))
    try:
        fresh.chmod(0o755)
        written = []
        for line, recorder in sorted(casts.items()):
            if recorder.events:
                # Plain open, not Path.write_text: a cast is written per block, and
                # pathlib's layers were a third of that cost.
                with open(os.path.join(fresh, f"{line}.cast"), "w", encoding="utf-8") as file:
                    file.write(recorder.text(f"{page}:{line}"))
                written.append(folder / f"{line}.cast")
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        if folder.is_dir():
            folder.rename(old)
        fresh.rename(folder)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return written


def remove_casts(results_dir: Path, page: str) -> None:
    """A page's casts from an earlier run that recorded them: stale once casts are off."""
    folder = results_dir / "casts" / page
    if folder.is_dir():
        shutil.rmtree(folder)
