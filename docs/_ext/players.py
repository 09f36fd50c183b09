"""Recorded runs on the page: a verified block's badge opens on a player of its cast.

The verifier records each block's run as an asciinema cast (build/verify/casts/).
The player is asciinema-player, from sphinxcontrib-asciinema's own static files,
so the site serves it itself. Each cast shown is copied into the site
(_casts/PAGE/LINE.cast); players.js makes the player, and the player fetches
the cast, only when the reader opens the badge.

A verified block whose cast is missing gets no player, and a warning naming the
cast. So does the package's own `asciinema` directive given a file that is not
there: it would play a recording from asciinema.org instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from html import escape
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinxcontrib.asciinema.asciinema import Asciinema

logger = logging.getLogger(__name__)

SITE_FOLDER = "_casts"
RAN = ("passed", "accepted")


def note_cast_files(document: dict, results_file: Path) -> None:
    """Each entry's cast as a path of this machine (`cast_file`), before runs are merged
    and the results folder an entry came from is lost."""
    for entry in document.get("commands", ()):
        if entry.get("cast"):
            entry["cast_file"] = str(results_file.parent / entry["cast"])


def chosen_run(entries: list[dict]) -> dict | None:
    """The newest run of a block that passed: the one whose cast the page plays."""
    ran = [e for e in entries if e["status"] in RAN]
    return max(ran, key=lambda e: e.get("date", "")) if ran else None


_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
NARROWEST = 40  # columns: a short run is still shown in a terminal of a usual shape


def cast_facts(path: Path) -> tuple[float, float | None, int]:
    """How long the run really took (the last event's time), the idle limit it is played
    with, and the columns its widest line needs (at most the recorded width): a player
    that narrow shows the text at a readable size, on a phone too."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    events = [json.loads(line) for line in lines[1:]]
    text = _ESCAPES.sub("", "".join(event[2] for event in events if event[1] == "o"))
    widest = max((len(line) for line in re.split(r"\r?\n|\r", text)), default=0)
    columns = min(int(header.get("width", 80)), max(widest, NARROWEST))
    return (float(events[-1][0]) if events else 0.0), header.get("idle_time_limit"), columns


def real_time(seconds: float) -> str:
    if seconds < 0.1:
        return "under 0.1 s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def player(app: Sphinx, docname: str, entries: list[dict], where: tuple[str, int], said: str) -> str:
    """The player's HTML for a verified block's details, or "" (with a warning) when its cast is missing.
    `said`: the run in the reader's words (engine and date)."""
    run = chosen_run(entries)
    if run is None:
        return ""
    source = Path(run["cast_file"]) if run.get("cast_file") else None
    if source is None or not source.is_file():
        missing = source or f"the cast of {run['page']}:{run['line']} (its results name none)"
        logger.warning("proof: a verified block has no recorded run: %s is missing", missing, location=where)
        return ""
    duration, idle, columns = cast_facts(source)
    site_name = f"{SITE_FOLDER}/{run['cast'].removeprefix('casts/')}"
    app.env.proof_casts.setdefault(docname, {})[site_name] = str(source)
    url = "../" * docname.count("/") + site_name
    shortened = f"; waits over {idle:g} s are shortened in playback" if idle else ""
    return (
        f'<p class="proof-cast">The recorded run ({escape(said)}) took {real_time(duration)}{shortened}.</p>'
        f'<div class="proof-player" data-cast="{escape(url, quote=True)}" data-idle="{idle or ""}"'
        f' data-cols="{columns}"></div>'
    )


def refuse_remote_casts(app: Sphinx, doctree: nodes.document) -> None:
    """The package's directive plays an asciinema.org recording when its file is missing: never here."""
    for node in list(doctree.findall(Asciinema)):
        if node.get("type") != "local":
            logger.warning("asciinema: no cast file %s; the site plays only its own casts", node["id"], location=node)
            node.parent.remove(node)


def copy_casts(app: Sphinx, error: Exception | None) -> None:
    """Every cast a page plays, into the site; each written whole or not at all."""
    if error is not None or app.builder.format != "html":
        return
    for docname, casts in app.env.proof_casts.items():
        for site_name, source in casts.items():
            if not Path(source).is_file():  # gone since its page was read (a page not read again)
                logger.warning("proof: a verified block's recorded run %s is missing", source, location=docname)
                continue
            target = Path(app.outdir, site_name)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            os.close(handle)
            try:
                shutil.copyfile(source, temporary)
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise


def on_builder_inited(app: Sphinx) -> None:
    if not hasattr(app.env, "proof_casts"):
        app.env.proof_casts = {}


def on_purge_doc(app: Sphinx, env, docname: str) -> None:
    env.proof_casts.pop(docname, None)


def on_merge_info(app: Sphinx, env, docnames: set[str], other) -> None:
    for docname in docnames:
        if docname in other.proof_casts:
            env.proof_casts[docname] = other.proof_casts[docname]


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinxcontrib.asciinema")  # asciinema-player's JS and CSS, copied into _static
    app.connect("builder-inited", on_builder_inited)
    app.connect("env-purge-doc", on_purge_doc)
    app.connect("env-merge-info", on_merge_info)
    app.connect("doctree-read", refuse_remote_casts)
    app.connect("build-finished", copy_casts)
    app.add_js_file("players.js")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
