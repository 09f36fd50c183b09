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
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from verify_tutorial.document.model import Dialect
from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.reporting import results
from verify_tutorial.reporting.results import Status, page_digest

logger = logging.getLogger(__name__)


def load_results(app: Sphinx) -> dict:
    """Every results file that exists (say, a CPU and a GPU run), merged into one."""
    paths = app.config.proof_results
    documents = []
    for name in [paths] if isinstance(paths, str) else paths:
        path = Path(app.confdir, name).resolve()
        if path.is_file():
            documents.append(results.read_results(path))
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


def badge_text(status: str, entries: list[dict]) -> str:
    """The badge's words, for a reader; each entry names its run, as merge_documents leaves it."""
    runs = sorted({(e["target"], e["engine"], e["date"][:10]) for e in entries})
    when = "; ".join(f"on {target.upper()}, Docker {engine}, {date}" for target, engine, date in runs)
    tools = sorted({reader_tool(name, text) for e in entries for name, text in (e.get("tools") or {}).items()})
    if tools:
        when += ", with " + " and ".join(tools)
    users = sorted({reader_user(e["user"]) for e in entries if e.get("user")} - {""})
    if users:
        when += ", " + " and ".join(users)
    # A command passed on two engines has an entry for each; count it once.
    n = len({(e["page"], e["line"]) for e in entries if "line" in e}) or len(entries)
    count = f"{n} command{'s' if n != 1 else ''}"
    reasons = "; ".join(
        sorted({reader_reason(e["reason"]) for e in entries if e["status"] == Status.SKIPPED and e["reason"]})
    )
    return {
        "verified": f"Verified: {count} ran and matched {when}",
        "failed": f"Failed when last checked {when}: the output differed; see the list of every command",
        "skipped": f"Not run here: {reasons}",
        "partial": f"Partly verified {when}. " + (f"Not run here: {reasons}" if reasons else "Not every command ran"),
        "unverified": "Not checked in this build",
    }[status]


def badge(status: str, text: str) -> nodes.container:
    box = nodes.container(classes=["proof", f"proof-{status}"])
    box += nodes.paragraph(text=text)
    return box


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
    counts: Counter[str] = Counter()
    for node in list(doctree.findall(nodes.literal_block)):
        if node.get("language") not in dialect(app).console_languages:
            continue
        block = by_fence.get(node.line)  # MyST gives a fenced block the line of its opening fence
        lines = {c.line for c in block.commands} if block else set()
        mine = [e for e in entries if e["line"] in lines]
        status = block_status(mine, len(lines) or None)
        counts[status] += 1
        node.parent.insert(node.parent.index(node) + 1, badge(status, badge_text(status, mine)))
    if counts:
        page_note(doctree, page, page_digest(source), counts, found)


def page_note(doctree: nodes.document, page: str, current: str, counts: Counter, found: dict) -> None:
    """One line under the page title that agrees with the badges below it."""
    recorded = found.get("pages", {}).get(page)
    date = found.get("date", "?")[:10]
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


class ProofSummary(SphinxDirective):
    """A table of every command the verifier knows about, with its status."""

    def run(self) -> list[nodes.Node]:
        found = self.env.proof_results
        commands = found.get("commands", [])
        if not commands:
            return [nodes.paragraph(text="No check results in this build: see the page on how this guide is tested.")]
        ran_as = Counter(reader_user(e["user"]) for e in commands if e.get("user"))
        who = "; ".join(f"{n} {words}" for words, n in sorted(ran_as.items()) if words)
        intro = nodes.paragraph(
            text=f"Last run: {found['date']} on {found['target']}, Docker {found['engine']}: {found['summary']}."
            + (f" Commands run: {who}." if who else "")
        )
        table = nodes.table(classes=["proof-summary"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (18, 50, 10, 22):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self.row(["Where", "Command", "Status", "Why / time / target"], header=True)
        body = nodes.tbody()
        group += body
        for entry in commands:
            detail = entry["reason"] if entry["status"] == "skipped" else f"{entry.get('duration', 0):.1f} s"
            detail += f" ({entry.get('target', '?')}, Docker {entry.get('engine', '?')})"
            if entry.get("user"):
                detail += f", {reader_user(entry['user'])}"
            body += self.row([f"{entry['page']}:{entry['line']}", entry["command"], entry["status"], detail])
        return [intro, table]

    @staticmethod
    def row(cells: list[str], header: bool = False) -> nodes.row:
        row = nodes.row()
        for i, text in enumerate(cells):
            entry = nodes.entry()
            entry += nodes.paragraph("", "", nodes.literal(text=text) if i == 1 and not header else nodes.Text(text))
            row += entry
        return row


def setup(app: Sphinx) -> dict:
    app.add_config_value("proof_results", ["../build/verify/results.json"], "env", types=(str, list))
    app.add_config_value("proof_root", "..", "env")  # the verifier names pages relative to this
    app.add_config_value("proof_console_languages", [], "env")  # empty: the verifier's default
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("doctree-read", on_doctree_read)
    app.add_directive("proof-summary", ProofSummary)
    app.add_css_file("proof.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
