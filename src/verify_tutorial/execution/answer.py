"""The answer of a short shell command: a check, a version."""

from __future__ import annotations

import subprocess
from pathlib import Path


def shell_answer(command: str, cwd: Path, env: dict[str, str] | None = None) -> str | None:
    """What a short shell command prints, or None when it fails or takes over a minute."""
    try:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (subprocess.TimeoutExpired, OSError):  # too slow, or no such folder to run in
        return None
    return done.stdout if done.returncode == 0 else None
