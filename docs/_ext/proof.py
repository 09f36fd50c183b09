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
from collections import Counter
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from verify_tutorial.collect import collect_page
from verify_tutorial.results import page_digest

logger = logging.getLogger(__name__)
CONSOLE = {"console", "shell-session"}


def load_results(app: Sphinx) -> dict:
    """Every results file that exists (say, a CPU and a GPU run), merged into one."""
    paths = app.config.proof_results
    documents = []
    for name in [paths] if isinstance(paths, str) else paths:
        path = Path(app.confdir, name).resolve()
        if path.is_file():
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        else:
            logger.info("proof: no verifier results at %s", path)
    return merge_results(documents)


# When runs disagree about a command, a failure shows first, then a pass, then a skip.
PRECEDENCE = {"failed": 0, "passed": 1, "accepted": 1, "skipped": 2}


def merge_results(documents: list[dict]) -> dict:
    """One results document from several runs; each command keeps the run it came from."""
    if not documents:
        return {}
    documents = sorted(documents, key=lambda d: d.get("date", ""))  # newest last
    chosen: dict[tuple[str, int], dict] = {}
    pages: dict[str, str] = {}
    for document in documents:
        run = {key: document.get(key, "?") for key in ("target", "engine", "date")}
        for entry in document.get("commands", ()):
            key = (entry["page"], entry["line"])
            candidate = {**entry, **run}
            held = chosen.get(key)
            if held is None or PRECEDENCE.get(candidate["status"], 3) <= PRECEDENCE.get(held["status"], 3):
                chosen[key] = candidate
        pages.update(document.get("pages", {}))  # the newest run's digest of a page wins
    newest = documents[-1]
    return {
        "target": " + ".join(d.get("target", "?") for d in documents),
        "engine": newest.get("engine", "?"),
        "date": newest.get("date", "?"),
        "summary": "; ".join(f"{d.get('target', '?')}: {d.get('summary', '?')}" for d in documents),
        "pages": pages,
        "commands": sorted(chosen.values(), key=lambda e: (e["page"], e["line"])),
    }


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


def block_status(entries: list[dict]) -> str:
    if not entries:
        return "unverified"
    statuses = {e["status"] for e in entries}
    if "failed" in statuses:
        return "failed"
    if statuses <= {"passed", "accepted"}:
        return "verified"
    if statuses == {"skipped"}:
        return "skipped"
    return "partial"


def badge_text(status: str, entries: list[dict]) -> str:
    """The badge's words; each entry names its run, as merge_results leaves it."""
    runs = sorted({(e["target"], e["engine"], e["date"][:10]) for e in entries})
    when = "; ".join(f"on {target}, Docker {engine}, {date}" for target, engine, date in runs)
    count = f"{len(entries)} command{'s' if len(entries) != 1 else ''}"
    reasons = "; ".join(sorted({e["reason"] for e in entries if e["status"] == "skipped" and e["reason"]}))
    return {
        "verified": f"Verified: {count} ran and matched {when}",
        "failed": f"Failed verification {when}: see the summary page",
        "skipped": f"Not run {when}: {reasons}",
        "partial": f"Partly verified {when}; not run: {reasons}",
        "unverified": "Not verified yet: the verifier has no result for this block",
    }[status]


def badge(status: str, text: str) -> nodes.container:
    box = nodes.container(classes=["proof", f"proof-{status}"])
    box += nodes.paragraph(text=text)
    return box


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    results = app.env.proof_results
    source = Path(app.env.doc2path(app.env.docname))
    page = repo_page(app, source)
    entries = [e for e in results.get("commands", ()) if e["page"] == page]
    try:
        blocks = collect_page(source, shown_as=page)
    except Exception as error:  # the verifier reports malformed blocks itself; keep the build going
        logger.warning("proof: %s", error, location=app.env.docname)
        return
    by_fence = {b.line: b for b in blocks}
    counts: Counter[str] = Counter()
    for node in list(doctree.findall(nodes.literal_block)):
        if node.get("language") not in CONSOLE:
            continue
        block = by_fence.get(node.line)  # MyST gives a fenced block the line of its opening fence
        lines = {c.line for c in block.commands} if block else set()
        mine = [e for e in entries if e["line"] in lines]
        status = block_status(mine)
        counts[status] += 1
        node.parent.insert(node.parent.index(node) + 1, badge(status, badge_text(status, mine)))
    if counts:
        page_note(doctree, page, page_digest(source), counts, results)


def page_note(doctree: nodes.document, page: str, current: str, counts: Counter, results: dict) -> None:
    recorded = results.get("pages", {}).get(page)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    if not results:
        text, status = (
            f"Console blocks on this page: {summary}. No verifier results were found for this build.",
            "unverified",
        )
    elif recorded is None:
        text, status = (
            f"This page was not part of the last verification ({results.get('date', '?')[:10]}).",
            "unverified",
        )
    elif recorded != current:
        text = (
            f"This page changed after its last verification ({results['date'][:10]}); "
            f"the badges below describe the earlier version. Blocks: {summary}."
        )
        status = "stale"
    else:
        text = f"Every console block on this page was checked by the verifier on {results['date'][:10]}: {summary}."
        status = "current"
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    title = next(iter(section.findall(nodes.title)), None)
    section.insert(section.index(title) + 1 if title is not None else 0, badge(f"page-{status}", text))


class ProofSummary(SphinxDirective):
    """A table of every command the verifier knows about, with its status."""

    def run(self) -> list[nodes.Node]:
        results = self.env.proof_results
        commands = results.get("commands", [])
        if not commands:
            return [nodes.paragraph(text="No verifier results were found for this build: run nox -s verify-tutorial.")]
        intro = nodes.paragraph(
            text=f"Last run: {results['date']} on {results['target']}, "
            f"Docker {results['engine']}: {results['summary']}."
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
            detail += f" ({entry.get('target', '?')})"
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
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("doctree-read", on_doctree_read)
    app.add_directive("proof-summary", ProofSummary)
    app.add_css_file("proof.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
