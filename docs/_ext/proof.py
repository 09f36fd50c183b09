"""Proof on the page: each console block says whether its commands were verified.

Reads the verifier's results file (build/verify/results.json). Next to every
console block it puts a badge (verified, with target, engine and date; or
skipped, with the reason; or failed; or not verified yet), at the top of each
page a line saying whether the page changed since it was verified, and the
`{proof-summary}` directive lists every command with its status.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from html import escape
from pathlib import Path

import players
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from verify_tutorial.document.model import Dialect
from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting import results
from verify_tutorial.reporting.results import PRECEDENCE, Status, page_digest

logger = logging.getLogger(__name__)


def load_results(app: Sphinx) -> dict:
    """Every results file that exists (say, a CPU and a GPU run), merged into one."""
    paths = app.config.proof_results
    documents = []
    for name in [paths] if isinstance(paths, str) else paths:
        path = Path(app.confdir, name).resolve()
        if path.is_file():
            document = results.read_results(path)
            players.note_cast_files(document, path)
            documents.append(document)
        else:
            logger.info("proof: no verifier results at %s", path)
    return results.merge_documents(documents)


def repo_page(app: Sphinx, source: Path) -> str:
    """The page as the verifier names it: relative to the repository root."""
    return source.resolve().relative_to(Path(app.confdir, app.config.proof_root).resolve()).as_posix()


def on_builder_inited(app: Sphinx) -> None:
    app.env.proof_results = load_results(app)


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    """New results change every page's badges, even where no page changed."""
    digest = hashlib.sha256(json.dumps(env.proof_results, sort_keys=True).encode()).hexdigest()
    if getattr(env, "proof_digest", None) == digest:
        return []
    env.proof_digest = digest
    return sorted(env.found_docs)


def block_status(entries: list[dict], commands: int | None = None) -> str:
    """A block's status from its commands' entries; a block of which some commands
    have no entry (a run cut short) is at most partly verified."""
    if not entries:
        return "unverified"
    statuses = {Status(e["status"]).counts_as for e in entries}
    if Status.FAILED in statuses:
        return "failed"
    if statuses == {Status.PASSED}:
        return "verified" if commands is None or len(entries) >= commands else "partial"
    if statuses == {Status.SKIPPED}:
        return "skipped"
    return "partial"


# Flags in a skip reason ("(--target gpu)") are for whoever runs the checks, not for readers.
_FLAGS = re.compile(r"\s*\(--[^)]*\)")


def reader_reason(reason: str) -> str:
    text = _FLAGS.sub("", reason).strip()
    return text[:1].upper() + text[1:]


# How the results name a tool ("apptainer version 1.4.5; run in a container ...") -> reader words.
_TOOL_NAMES = {"apptainer": "Apptainer", "slurm": "Slurm", "registry": "the distribution registry"}


def reader_tool(name: str, text: str) -> str:
    version, _, how = text.partition("; ")
    number = re.search(r"\d+(?:\.\d+)+", version)
    words = f"{_TOOL_NAMES.get(name, name)} {number[0] if number else version}".strip()
    return f"{words} ({how})" if how else words


def reader_user(user: str) -> str:
    """How the results name an account ("verify-reader (uid 1002; groups docker)") -> reader
    words: who the reader was when the command ran. The account's own name is the host's."""
    found = re.search(r"\(uid (\d+)(?:; groups ([^)]*))?\)", user)
    if not found:
        return ""
    if found[1] == "0":
        return "as root"
    if "docker" in (found[2] or "").split(", "):
        return "as an ordinary user in the docker group"
    return "as an ordinary user without Docker access"


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def human_date(iso: str) -> str:
    """ "2026-12-03T10:00:00+00:00" -> "3 Dec 2026"; anything else as it is."""
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    if not found or not 1 <= int(found[2]) <= 12:
        return iso or "?"
    return f"{int(found[3])} {_MONTHS[int(found[2]) - 1]} {found[1]}"


def short_engine(version: str) -> str:
    """ "28.5.2" -> "28.5": the release a reader recognises."""
    return ".".join(version.split(".")[:2])


def short_user(user: str) -> str:
    words = reader_user(user)
    return {"as root": "root", "as an ordinary user in the docker group": "ordinary user"}.get(
        words, "user without Docker access" if words else ""
    )


def _and(words: list[str]) -> str:
    return " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]


def command_count(entries: list[dict]) -> int:
    # A command passed on two engines has an entry for each; count it once.
    return len({(e["page"], e["line"]) for e in entries if "line" in e}) or len(entries)


_MARK = {"verified": "\u2713", "failed": "\u2717", "partial": "\u25d0", "skipped": "\u2013", "unverified": "?"}
_WORD = {"verified": "Verified", "failed": "Failed", "partial": "Partly verified", "skipped": "Not run"}


def badge_line(status: str, entries: list[dict]) -> str:
    """The one line a reader takes in at a glance: state, date, engines, user, count."""
    if status == "unverified":
        return "? Not checked in this build"
    reasons = sorted({reader_reason(e["reason"]) for e in entries if e["status"] == Status.SKIPPED and e["reason"]})
    if status == "skipped":
        return f"{_MARK[status]} Not run: " + ("; ".join(r[:1].lower() + r[1:] for r in reasons) or "skipped")
    ran = [e for e in entries if e["status"] != Status.SKIPPED] or entries
    dates = sorted({e["date"][:10] for e in ran if e.get("date")})
    engines = sorted({short_engine(e["engine"]) for e in ran if e.get("engine")}, key=_version_key, reverse=True)
    users = sorted({short_user(e["user"]) for e in ran if e.get("user")} - {""})
    n = command_count(entries)
    parts = [f"{_MARK[status]} {_WORD[status]} {human_date(dates[-1]) if dates else ''}".rstrip()]
    if engines:
        parts.append("Docker " + _and(engines))
    if users:
        parts.append(_and(users))
    parts.append(f"{n} command{'s' if n != 1 else ''}")
    return " \u00b7 ".join(parts)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def badge_text(status: str, entries: list[dict]) -> str:
    """The badge's details, for a reader who opens it; each entry names its run, as merge_documents leaves it."""
    runs = sorted({(e["target"], e["engine"], human_date(e["date"])) for e in entries})
    when = "; ".join(f"on {target.upper()}, Docker {engine}, {date}" for target, engine, date in runs)
    tools = sorted({reader_tool(name, text) for e in entries for name, text in (e.get("tools") or {}).items()})
    if tools:
        when += ", with " + " and ".join(tools)
    users = sorted({reader_user(e["user"]) for e in entries if e.get("user")} - {""})
    if users:
        when += ", " + " and ".join(users)
    n = command_count(entries)
    count = f"{n} command{'s' if n != 1 else ''}"
    reasons = "; ".join(
        sorted({reader_reason(e["reason"]) for e in entries if e["status"] == Status.SKIPPED and e["reason"]})
    )
    return {
        "verified": f"Verified: {count} ran and matched {when}",
        "failed": f"Failed when last checked {when}: the output differed; see the list of every command",
        "skipped": f"Not run here: {reasons}. The output shown was not printed by a checked run.",
        "partial": f"Partly verified {when}. " + (f"Not run here: {reasons}" if reasons else "Not every command ran"),
        "unverified": "Not checked in this build",
    }[status]


def badge(status: str, text: str, details: str = "", source: str = "", player: str = "") -> nodes.container:
    """A short line; where there is more to say, it opens on click (<details>), with the
    block's recorded run where there is one (`player`: its HTML)."""
    box = nodes.container(classes=["proof", f"proof-{status}"])
    if not details and not source:
        box += nodes.paragraph(text=text)
        return box
    more = f"<p>{escape(details)}</p>" if details else ""
    if source:
        more += f'<p class="proof-source">Output shown: {escape(source)}</p>'
    more += player
    box += nodes.raw("", f"<details><summary>{escape(text)}</summary>{more}</details>", format="html")
    return box


# A MyST comment right above a block (among its `% verify:` lines) says where the
# output of a block that is not run came from: `% output-from: an H100 run, 2 Dec 2026`.
_SOURCE = re.compile(r"^%\s*output-from:\s*(.+?)\s*$")


def output_source(lines: list[str], fence_line: int) -> str:
    """The `% output-from:` comment among the comment lines just above the fence (1-based line)."""
    i = fence_line - 2
    while i >= 0 and lines[i].lstrip().startswith("%"):
        found = _SOURCE.match(lines[i].strip())
        if found:
            return found[1]
        i -= 1
    return ""


def dialect(app: Sphinx) -> Dialect:
    """The pages' console languages as the verifier's configuration gives them."""
    languages = app.config.proof_console_languages
    return Dialect(frozenset(languages)) if languages else Dialect()


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    found = app.env.proof_results
    source = Path(app.env.doc2path(app.env.docname))
    page = repo_page(app, source)
    entries = [e for e in found.get("commands", ()) if e["page"] == page]
    try:
        blocks = collect_page(source, shown_as=page, dialect=dialect(app))
    except Exception as error:  # the verifier reports malformed blocks itself; keep the build going
        logger.warning("proof: %s", error, location=app.env.docname)
        return
    by_fence = {b.line: b for b in blocks}
    text_lines = source.read_text(encoding="utf-8").splitlines()
    counts: Counter[str] = Counter()
    for node in list(doctree.findall(nodes.literal_block)):
        if node.get("language") not in dialect(app).console_languages:
            continue
        block = by_fence.get(node.line)  # MyST gives a fenced block the line of its opening fence
        lines = {c.line for c in block.commands} if block else set()
        mine = [e for e in entries if e["line"] in lines]
        status = block_status(mine, len(lines) or None)
        counts[status] += 1
        origin = output_source(text_lines, node.line) if status == "skipped" and node.line else ""
        if status == "skipped":
            node["classes"].append("proof-output-" + status)  # not run: styled apart from verified output
        details = "" if status == "unverified" else badge_text(status, mine)
        shown = ""
        if status in ("verified", "partial"):
            shown = players.player(app, app.env.docname, mine, (app.env.docname, node.line), recorded_run(mine))
        line = badge_line(status, mine)
        node.parent.insert(node.parent.index(node) + 1, badge(status, line, details, origin, shown))
    if counts:
        page_note(doctree, page, page_digest(source), counts, found)


def recorded_run(entries: list[dict]) -> str:
    """The run a block's player plays, in a reader's words: "Docker 28.5, 3 Dec 2026"."""
    run = players.chosen_run(entries)
    if run is None:
        return ""
    return f"Docker {short_engine(run.get('engine', '?'))}, {human_date(run.get('date', ''))}"


def page_note(doctree: nodes.document, page: str, current: str, counts: Counter, found: dict) -> None:
    """One line under the page title that agrees with the badges below it."""
    recorded = found.get("pages", {}).get(page)
    date = human_date(found.get("date", ""))
    ran, skipped, failed = counts["verified"] + counts["partial"], counts["skipped"], counts["failed"]
    if not found.get("commands"):
        text, status = ("No check results in this build: see the page on how this guide is tested.", "unverified")
    elif recorded is None:
        text, status = ("This page was not part of the last check.", "unverified")
    elif recorded != current:
        text = f"This page changed after it was last checked ({date}); the notes under its commands are older."
        status = "stale"
    elif failed:
        text, status = (f"Checked on {date}: {failed} of its console blocks failed.", "stale")
    else:
        text = f"Checked on {date}: {_blocks(ran)} ran and matched"
        text += f"; {_blocks(skipped)} not run here (see the note under each)." if skipped else "."
        status = "current"
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    title = next(iter(section.findall(nodes.title)), None)
    section.insert(section.index(title) + 1 if title is not None else 0, badge(f"page-{status}", text))


def _blocks(n: int) -> str:
    return f"{n} console block{'s' if n != 1 else ''}"


def reading_order(index: Path) -> list[str]:
    """The pages in the order of index.md's toctrees: the guide's reading order."""
    names, inside = [], False
    for line in index.read_text(encoding="utf-8").splitlines():
        if line.startswith("```{toctree}"):
            inside = True
        elif inside and line.startswith("```"):
            inside = False
        elif inside and line.strip() and not line.startswith(":"):
            names.append(line.strip())
    return names


def entry_state(entry: dict) -> str:
    return {"passed": "verified", "accepted": "verified"}.get(entry["status"], entry["status"])


class ProofSummary(SphinxDirective):
    """A summary (per engine, per role), then one table of every command, page by page
    in reading order, its header written once."""

    def run(self) -> list[nodes.Node]:
        found = self.env.proof_results
        commands = found.get("commands", [])
        if not commands:
            return [nodes.paragraph(text="No check results in this build: see the page on how this guide is tested.")]
        index = Path(self.env.srcdir, "index.md")
        self.env.note_dependency(str(index))
        order = reading_order(index) if index.is_file() else []
        intro = nodes.paragraph(
            text=f"Last run {human_date(found.get('date', ''))}, on Docker "
            + _and([short_engine(v) for v in found.get("engine", "?").split(" + ")])
            + "."
        )
        return [intro, self.summary(commands), self.table(commands, order)]

    def summary(self, commands: list[dict]) -> nodes.table:
        """Commands verified, skipped and failed: in all, on each engine, and for each role."""
        groups: dict[str, Counter[str]] = {"All commands": Counter()}
        for e in commands:
            state = entry_state(e)
            groups.setdefault(f"Docker {short_engine(e.get('engine', '?'))}", Counter())[state] += 1
            if e.get("user"):  # a command not run ran as nobody
                groups.setdefault(f"As {short_user(e['user'])}", Counter())[state] += 1
        once = {
            (e["page"], e["line"]): e
            for e in sorted(commands, key=lambda e: PRECEDENCE.get(Status(e["status"]), 3), reverse=True)
        }
        for e in once.values():
            groups["All commands"][entry_state(e)] += 1
        columns = ["", "Verified", "Skipped", "Failed"]
        rows = [[name, *(str(c[k]) for k in ("verified", "skipped", "failed"))] for name, c in groups.items()]
        return self.grid(columns, rows, [40, 20, 20, 20], "proof-totals")

    def table(self, commands: list[dict], order: list[str]) -> nodes.table:
        by_page: dict[str, list[dict]] = {}
        for e in commands:
            by_page.setdefault(e["page"], []).append(e)
        rank = {f"docs/{name}.md": i for i, name in enumerate(order)}
        pages = sorted(by_page, key=lambda p: (rank.get(p, len(rank)), p))
        table, body = self.frame(["Line", "Command", "Result"], [10, 62, 28], "proof-summary")
        for page in pages:
            heading = nodes.row(classes=["proof-page-row"])
            cell = nodes.entry(morecols=2)
            cell += nodes.paragraph(text=page.removeprefix("docs/"))
            heading += cell
            body += heading
            lines: dict[int, list[dict]] = {}
            for e in by_page[page]:
                lines.setdefault(e["line"], []).append(e)
            for line, entries in sorted(lines.items()):
                row = nodes.row()
                for i, text in enumerate((str(line), entries[0]["command"], self.result(entries))):
                    entry = nodes.entry()
                    entry += nodes.paragraph("", "", nodes.literal(text=text) if i == 1 else nodes.Text(text))
                    row += entry
                body += row
        return table

    @staticmethod
    def result(entries: list[dict]) -> str:
        skipped = [e for e in entries if e["status"] == Status.SKIPPED]
        if len(skipped) == len(entries):
            return "not run: " + (reader_reason(skipped[0]["reason"]) or "skipped").lower()
        runs = [e for e in entries if e["status"] != Status.SKIPPED]
        engines = _and(sorted({short_engine(e.get("engine", "?")) for e in runs}, key=_version_key, reverse=True))
        state = "failed" if any(e["status"] == Status.FAILED for e in runs) else "verified"
        dates = sorted(e.get("date", "")[:10] for e in runs)
        return f"{state} {human_date(dates[-1])}, Docker {engines}"

    def grid(self, columns: list[str], rows: list[list[str]], widths: list[int], cls: str) -> nodes.table:
        table, body = self.frame(columns, widths, cls)
        for cells in rows:
            body += text_row(cells)
        return table

    @staticmethod
    def frame(columns: list[str], widths: list[int], cls: str) -> tuple[nodes.table, nodes.tbody]:
        table = nodes.table(classes=[cls])
        group = nodes.tgroup(cols=len(columns))
        table += group
        for width in widths:
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += text_row(columns)
        body = nodes.tbody()
        group += body
        return table, body


def setup(app: Sphinx) -> dict:
    app.add_config_value("proof_results", ["../build/verify/results.json"], "env", types=(str, list))
    app.add_config_value("proof_root", "..", "env")  # the verifier names pages relative to this
    app.add_config_value("proof_console_languages", [], "env")  # empty: the verifier's default
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("doctree-read", on_doctree_read)
    app.add_directive("proof-summary", ProofSummary)
    app.setup_extension("players")  # each verified block's recorded run (docs/_ext/players.py)
    app.add_css_file("proof.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}


def text_row(cells: list[str]) -> nodes.row:
    """A table row of plain-text cells."""
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row
