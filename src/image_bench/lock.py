"""A copy of the lock with one more dependency, every other pin unchanged."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import BenchError

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def pins(lock_text: str) -> dict[str, str]:
    return {name.lower().replace("_", "-"): version for name, version in PIN.findall(lock_text)}


def lock_with(lock: Path, requirement: str, python_version: str = "3.13") -> str:
    """Re-lock `lock`'s inputs plus `requirement` with uv, holding every existing pin."""
    uv = shutil.which("uv")
    if uv is None:
        raise BenchError("uv is not on PATH; run the bench through nox (bash conf/nox.sh -s bench), which provides it")
    old = lock.read_text(encoding="utf-8")
    inputs = lock.with_suffix(".in").read_text(encoding="utf-8") + f"\n{requirement}\n"
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in pins(old).items()), encoding="utf-8")
        compiled = subprocess.run(
            [
                uv,
                "pip",
                "compile",
                "-",
                "--constraint",
                str(constraints),
                "--generate-hashes",
                "--no-header",
                "--quiet",
                "--python-version",
                python_version,
                "--python-platform",
                "linux",
            ],
            input=inputs,
            capture_output=True,
            text=True,
        )
    if compiled.returncode != 0:
        raise BenchError(f"uv could not lock {lock.name} plus {requirement}: {compiled.stderr.strip()[:300]}")
    new = pins(compiled.stdout)
    changed = {n for n, v in pins(old).items() if new.get(n) != v}
    added = set(new) - set(pins(old))
    if changed or len(added) != 1:
        raise BenchError(f"adding {requirement} to {lock.name} changed {sorted(changed)} and added {sorted(added)}")
    return compiled.stdout
