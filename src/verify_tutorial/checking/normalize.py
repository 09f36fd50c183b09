"""Typed normalizers: a value that varies from run to run is normalized only where its type is known.

The page shows real-looking output ("3 minutes ago", "705MB", an image ID);
the real run prints other values of the same kind. A value is rewritten only
where its kind is certain: a cell of a docker table's ID, CREATED, STATUS or
SIZE column, a BuildKit progress line, a digest, a duration after words that
say it is one. Everything else, indentation included, is content: a 12-hex
git commit in prose, "timeout 300s", "4GB" in a sentence must match exactly.

Sizes in a docker table's size column or in a `du`-style or lone size line
are compared within SIZE_TOLERANCE, in the same unit: image sizes drift a
little between builds, but 4GB never matches 512GB, nor 0 B 9 B.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..document.console import ELLIPSIS

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


@dataclass(frozen=True)
class Rule:
    """One normalizer: every match of `pattern` in a line becomes `placeholder` (re.sub syntax)."""

    name: str
    pattern: str | re.Pattern[str]
    placeholder: str

    def apply(self, line: str) -> str:
        if isinstance(self.pattern, re.Pattern):  # compiled once: skip re's cache lookup on every line
            return self.pattern.sub(self.placeholder, line)
        return re.sub(self.pattern, self.placeholder, line)


_UNIT = r"(?:second|minute|hour|day|week|month|year)s?"
_AMOUNT = r"(?:\d+|an?|About an?|About \d+|Less than an?)"
AGE = rf"{_AMOUNT} {_UNIT}"
TIMESTAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?: ?(?:Z|[+-]\d\d:?\d\d))?(?: [A-Z]{3,4})?"
SIZE = r"(?<![\w.])(\d+(?:\.\d+)?) ?([kKMGTPE]i?B|B|[KMGTPE]\b)"
DURATION = r"(?:\d+h)?(?:\d+m(?!s))?\d+(?:\.\d+)?\s?(?:ms|µs|us|s|sec|seconds?|min|minutes?)\b"
ID = r"(?:sha256:)?(?:[0-9a-f]{64}|[0-9a-f]{12})"

# Rules for any line. Order matters: digests before bare 64-hex IDs.
RULES: list[Rule] = [
    Rule("digest", re.compile(r"\bsha256:[0-9a-f]{64}\b"), "<digest>"),
    Rule("long-id", re.compile(r"\b[0-9a-f]{64}\b"), "<id>"),
    # A push's last line: the manifest's size in bytes differs between image stores.
    Rule("manifest-size", re.compile(r"(: digest: <digest> size: )\d+$"), r"\1<bytes>"),  # `docker run -d` prints one
    # A 12-hex word is an ID only where the words before it say so; elsewhere (a git commit) it is content.
    Rule(
        "short-id",
        re.compile(
            r"((?:\bSuccessfully built|\bwriting image|\bRunning in|\b[Cc]ontainer|\b[Ii]mage|--->) +)[0-9a-f]{12}\b"
        ),
        r"\1<id>",
    ),
    Rule("layer-id", re.compile(r"^[0-9a-f]{12}(?=: )"), "<id>"),  # a pull's "3ee3cd6e8176: Pull complete"
    Rule("timestamp", re.compile(rf"\b{TIMESTAMP}"), "<time>"),
    Rule("age", re.compile(rf"\b{AGE} ago\b"), "<age>"),
    Rule("uptime", re.compile(rf"\bUp {AGE}\b"), "Up <age>"),
    # Durations only after words saying the run took them (uv, pytest, unittest, "took 3s").
    Rule(
        "duration",
        re.compile(
            r"(\b(?:(?:[Ff]inished|[Cc]ompleted|[Dd]one|[Bb]uilt|[Rr]esolved \d+ packages?|[Pp]repared \d+ packages?"
            r"|[Ii]nstalled \d+ packages?|[Uu]ninstalled \d+ packages?|[Aa]udited \d+ packages?|Ran \d+ tests?"
            rf"|passed|failed|skipped|warnings?|errors?) in|[Tt]ook) |^\[\+\] Building ){DURATION}"
        ),
        r"\1<secs>",
    ),
]

# BuildKit plain progress: "#12 ..." lines. The step number follows the order steps
# start, which caching changes; timings and transfer progress vary with the machine.
BUILDKIT_STEP = re.compile(r"^#\d+ ")
BUILDKIT_LOG = re.compile(r"^#N \d+\.\d+ ")  # "#8 0.345 Reading package lists..." (output of a RUN)
BUILDKIT_TIMING = [
    Rule("done", re.compile(r" DONE \d+(?:\.\d+)?s$"), " DONE <secs>"),
    # BuildKit prints a step's time before "done" only when it took long enough to
    # measure: "naming to ...:latest 0.0s done" one run, "...:latest done" the next.
    Rule("time-then-done", re.compile(r" \d+(?:\.\d+)?s done$"), " done"),
    Rule("time-done", re.compile(r" \d+(?:\.\d+)?s$"), " <secs>"),
]
PROGRESS = re.compile(rf"{SIZE} / {SIZE}")  # "1.2MB / 3.4MB": so far / total

# A docker table header: two or more upper-case column names, 2+ spaces apart.
FIELD = re.compile(r"\S+(?: \S+)*")
HEADER_NAME = re.compile(r"[A-Z][A-Z ]*(?:\([A-Z]+\))?")  # squeue: "NODELIST(REASON)"
SIZE_TOLERANCE = 0.10
TOLERANT = re.compile(r"<~(\d+(?:\.\d+)?)([^>]*)>")  # a size compared with tolerance, as kept in a line
DU_LINE = re.compile(r"^(\d+(?:\.\d+)?)([KMGTPE])(?=\t)")  # `du -h`: "533M<TAB>/opt/venv" (a unit, always)
LONE_SIZE = re.compile(rf"^{SIZE}$")  # `docker image inspect -f '{{.Size}}' | numfmt ...`-like


def clean(text: str) -> list[str]:
    """Lines as a terminal would show them: no ANSI codes, CRs or trailing spaces."""
    text = ANSI.sub("", text).replace("\r\n", "\n")
    lines = []
    for line in text.split("\n"):
        if "\r" in line:  # progress bars redraw a line; keep what remains visible
            line = line.rsplit("\r", 1)[-1] or line.rstrip("\r")
        lines.append(line.rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


def normalize_lines(lines: Sequence[str], extra_rules: Iterable[Rule] = ()) -> list[str]:
    """Each line normalized, with the context of the lines before it (a table's header).

    A '...' line stays '...'. Lines keep their indentation; trailing spaces go
    (they do not show on a page). Extra rules run on every line after the built-in ones.
    """
    extra = list(extra_rules)
    out: list[str] = []
    columns: list[tuple[int, str]] | None = None  # the current docker table's (start, name)
    right_aligned = False  # whether the current table's header is indented
    for line in lines:
        line = line.rstrip()
        if line.strip() == ELLIPSIS:
            out.append(ELLIPSIS)
            continue
        if not line or (line[0].isspace() and not right_aligned):
            # A blank line ends a table, and so does an indented one: docker's rows start
            # at column 0. Right-aligned tables (squeue's) indent header and rows alike.
            columns = None
        header = _header(line)
        if header:
            columns = header
            right_aligned = line[0].isspace()
            line = "  ".join(name for _, name in header)
        elif columns:
            line = _row(line, columns)
        elif BUILDKIT_STEP.match(line):
            line = _buildkit(line)
        else:
            line = _sized(line)
        for rule in (*RULES, *extra):
            line = rule.apply(line)
        out.append(line)
    return out


def same(want: str, got: str) -> bool:
    """Normalized lines agree: equal text, and tolerant sizes within SIZE_TOLERANCE in the same unit."""
    if want == got:
        return True
    a, b = TOLERANT.split(want), TOLERANT.split(got)
    if len(a) != len(b) or a[::3] != b[::3] or a[2::3] != b[2::3]:  # text between, then units
        return False
    return all(abs(float(y) - float(x)) <= SIZE_TOLERANCE * float(x) for x, y in zip(a[1::3], b[1::3], strict=True))


def _tolerant(match: re.Match[str]) -> str:
    return f"<~{match[1]}{match[2]}>"


def _header(line: str) -> list[tuple[int, str]] | None:
    fields = [(m.start(), m[0]) for m in FIELD.finditer(line)]
    if len(fields) < 2 or not all(HEADER_NAME.fullmatch(name) for _, name in fields):
        return None
    names = {name for _, name in fields}
    if not any(_column_type(name, names) for name in names):
        return None
    return fields


def _column_type(name: str, header_names: set[str]) -> str | None:
    if name == "ID" or name.endswith(" ID") or name == "IMAGE":  # `docker history` lists IDs as IMAGE
        return "id"
    if name.startswith("CREATED") and name != "CREATED BY":
        return "age"
    if name == "STATUS":
        return "status"
    words = {word for other in header_names for word in other.split()}  # "JOBID PARTITION" is one field
    if name == "TIME" and {"JOBID", "PID"} & words:  # squeue, ps: how long it has run so far
        return "elapsed"
    if "SIZE" in name or name in ("RECLAIMABLE", "DISK USAGE"):
        return "size"
    return None


def _row(line: str, columns: list[tuple[int, str]]) -> str:
    """A table row as its cells, each normalized by its column's type, two spaces apart."""
    cells = [""] * len(columns)
    for m in FIELD.finditer(line):  # a field belongs to the last column starting at or before it
        k = max(i for i, (start, _) in enumerate(columns) if start <= m.start() or i == 0)
        cells[k] = f"{cells[k]}  {m[0]}" if cells[k] else m[0]
    names = {name for _, name in columns}
    cells_typed = (_cell(cell, _column_type(name, names)) for cell, (_, name) in zip(cells, columns, strict=True))
    return "  ".join(cells_typed).rstrip()


def _cell(cell: str, kind: str | None) -> str:
    if kind == "id" and re.fullmatch(ID, cell):
        return "<id>"
    if kind == "age" and re.fullmatch(rf"{AGE} ago|{TIMESTAMP}", cell):
        return "<age>"
    if kind == "status":  # "Up 2 minutes (healthy)", "Exited (1) 3 seconds ago": the code stays
        return re.sub(rf"\b{AGE}(?: ago)?\b", "<age>", cell)
    if kind == "elapsed" and re.fullmatch(r"(?:\d+-)?\d+(?::\d\d){1,2}", cell):  # "0:01", "1-02:03:04"
        return "<elapsed>"
    if kind == "size":  # "662MB", "0B (virtual 662MB)", "11.6GB (70%)"
        return re.sub(r"\(\d+%\)", "(<pct>)", re.sub(SIZE, _tolerant, cell))
    return cell


def _buildkit(line: str) -> str:
    line = BUILDKIT_STEP.sub("#N ", line)
    if BUILDKIT_LOG.match(line):  # a RUN's output: only its time stamp varies, the text is content
        return BUILDKIT_LOG.sub("#N <secs> ", line)
    if line.startswith("#N ["):  # a step's title: "[2/5] RUN sleep 300s" is the Dockerfile's text
        return line
    line = PROGRESS.sub(lambda m: f"<size> / <~{m[3]}{m[4]}>", line)  # so far varies; the total is a size
    for rule in BUILDKIT_TIMING:
        line = rule.apply(line)
    return line


def _sized(line: str) -> str:
    """Lines that are sizes by their shape: `du -h` lines and a line that is one size."""
    line = DU_LINE.sub(_tolerant, line)
    return LONE_SIZE.sub(_tolerant, line)
