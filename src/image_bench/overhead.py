"""verify-tutorial's warm wall time next to its commands' own time."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BenchError

RESULTS = Path("build/verify/results.json")


@dataclass
class VerifyRun:
    wall_seconds: float  # measured from outside: interpreter start-up and collection included
    commands_seconds: float
    summary: str


def verify_once(root: Path, env: dict[str, str]) -> VerifyRun:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "verify_tutorial", "-q"], cwd=root, env=env, capture_output=True, text=True
    )
    wall = time.monotonic() - start
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise BenchError(f"verify-tutorial failed (exit {done.returncode}): {last[0]}; run it alone to see why")
    results = json.loads((root / RESULTS).read_text(encoding="utf-8"))
    return VerifyRun(wall, results["commands_seconds"], results["summary"])
