"""Charts drawn at build time from the bench's figures (`nox -s bench`), as inline SVG.

    {size-chart}       image sizes: the seed-style recipe (shown as "tutorial-style"), the template, the floor
    {rebuild-chart}    what each rebuild fetched, seed-style recipe vs the template

Captions and labels are read by readers, so they say "tutorial-style", never the
bench's own names.
    {layers-diagram}   the template image's layers under two running containers

Figures come from the newest of `bench_results` that exists: a fresh
build/bench/bench.json, else the snapshot committed in docs/_data/.
SVG text uses currentColor, so the charts follow the theme in dark mode.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from image_bench.report import size_text
from image_bench.store import measured_on

SEED_COLOUR, OURS_COLOUR, FLOOR_COLOUR = "#d9822b", "#2e7d32", "#8a8a8a"
FONT = 'font-family="system-ui, sans-serif" font-size="14" fill="currentColor"'


def load_bench(app: Sphinx) -> tuple[dict, str]:
    for candidate in app.config.bench_results:
        path = Path(app.confdir, candidate)
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8")), candidate
    return {}, ""


def svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def bars(rows: list[tuple[str, float, str, str]], title: str, longest: float = 0) -> str:
    """Horizontal bars: (label, value, colour, text shown after the bar). Each label sits
    above its bar, so the chart stays narrow and readable on a phone. `longest` is the
    value a full bar stands for: charts of one measure share it, so lengths compare."""
    width, bar_height, row_height = 480, 18, 46
    longest = longest or max(value for _, value, _, _ in rows) or 1
    # Room for the value after the longest bar: a fixed share, so charts given one
    # `longest` draw at one scale (about 8 px a character at 14 px: 24 characters).
    scale = (width - 8 * 24 - 12) / longest
    body = []
    for i, (label, value, colour, shown) in enumerate(rows):
        y = 6 + i * row_height
        length = max(value * scale, 1)
        body.append(f'<text x="0" y="{y + 14}" {FONT}>{escape(label)}</text>')
        body.append(f'<rect x="0" y="{y + 20}" width="{length:.1f}" height="{bar_height}" fill="{colour}" rx="3"/>')
        body.append(f'<text x="{length + 6:.1f}" y="{y + 34}" {FONT}>{escape(shown)}</text>')
    return svg(width, 12 + len(rows) * row_height, body, title)


class BenchDirective(SphinxDirective):
    def figures(self) -> tuple[dict, str]:
        figures, source = load_bench(self.env.app)
        for candidate in self.config.bench_results:
            self.env.note_dependency(str(Path(self.env.app.confdir, candidate).resolve()))
        return figures, source

    def chart(self, markup: str, caption: str) -> list[nodes.Node]:
        box = nodes.container(classes=["chart"])
        box += nodes.raw("", markup, format="html")
        box += nodes.paragraph(text=caption, classes=["chart-caption"])
        return [box]

    def missing(self) -> list[nodes.Node]:
        return [nodes.paragraph(text="No bench figures found: run nox -s bench to measure them.")]

    @staticmethod
    def provenance(figures: dict, source: str) -> str:
        """Said for readers: when and on what the figures were measured, the image store
        included ("Docker 28.5, containerd image store"); the file they came from is the
        maintainers' business (docs/testing.md says which it is)."""
        engine = figures.get("measured_on") or measured_on(figures.get("engine", "?"), figures.get("image_store"))
        date, runs = figures.get("date", "?")[:10], figures.get("runs", "?")
        return f"Measured on {date} with {engine}: the median of {runs} runs."


def size_charts(figures: dict) -> str:
    """One chart per target, on one scale: a bar's length is its size, whichever chart it is in."""
    targets = [t for t in ("cpu", "gpu") if t in figures]
    longest = max(max(figures[t]["ours"]["size_bytes"], figures[t]["seed-style"]["size_bytes"]) for t in targets)
    charts = []
    for target in targets:
        part = figures[target]
        ours, seed = part["ours"]["size_bytes"], part["seed-style"]["size_bytes"]
        floor = part["floor"]["floor_bytes"]
        name = target.upper()
        rows = [
            (f"{name}: tutorial-style", seed, SEED_COLOUR, size_text(seed)),
            (f"{name}: the template", ours, OURS_COLOUR, f"{size_text(ours)} ({ours / seed:.2f}x)"),
            (f"{name}: floor (OS, Python, packages)", floor, FLOOR_COLOUR, size_text(floor)),
        ]
        charts.append(bars(rows, f"{name} image sizes", longest))
    return "".join(charts)


class SizeChart(BenchDirective):
    def run(self) -> list[nodes.Node]:
        figures, source = self.figures()
        if "cpu" not in figures:
            return self.missing()
        gpu_runs = figures.get("gpu", {}).get("runs")
        note = f" The GPU figures are from {gpu_runs} run." if gpu_runs == 1 else ""
        return self.chart(size_charts(figures), self.provenance(figures, source) + note)


class RebuildChart(BenchDirective):
    def run(self) -> list[nodes.Node]:
        figures, source = self.figures()
        if "cpu" not in figures:
            return self.missing()
        seed, ours = figures["cpu"]["seed-style"]["builds"], figures["cpu"]["ours"]["builds"]
        rows = []
        for scenario in ours:
            for name, builds, colour in (("tutorial-style", seed, SEED_COLOUR), ("template", ours, OURS_COLOUR)):
                fetched = builds[scenario]["median_downloaded_bytes"] or 0
                seconds = builds[scenario]["median_seconds"]
                rows.append((f"{scenario}, {name}", fetched, colour, f"{size_text(fetched)} in {seconds:.1f} s"))
        return self.chart(bars(rows, "Bytes fetched by each build"), self.provenance(figures, source))


def short_instruction(created_by: str) -> str:
    text = created_by.replace("/bin/sh -c ", "").replace("#(nop) ", "").replace(" # buildkit", "")
    if text.startswith("RUN |"):  # "RUN |1 ARG=value cmd": the build args come first
        text = "RUN " + text.split(" ", 2)[-1]
    text = re.sub(r"^RUN (?:[A-Z_]+=\S+ )+", "RUN ", text)  # and environment assignments
    return text if len(text) <= 50 else text[:47] + "..."


class LayersDiagram(BenchDirective):
    def run(self) -> list[nodes.Node]:
        figures, source = self.figures()
        layers = figures.get("cpu", {}).get("ours", {}).get("layers")
        if not layers:
            return self.missing()
        sized = [layer for layer in layers if layer["bytes"] > 0]
        metadata = len(layers) - len(sized)
        width, left, stack_width = 720, 40, 400
        heights = [max(24, min(110, (layer["bytes"] / 1e6) ** 0.5 * 4)) for layer in sized]
        top = 120
        body = []
        # Two containers: each its own thin writable layer over the same image.
        for i, name in enumerate(("container dp", "container tb")):
            x = left + i * (stack_width // 2 + 10)
            w = stack_width // 2 - 10
            body.append(
                f'<rect x="{x}" y="20" width="{w}" height="34" fill="none" stroke="{OURS_COLOUR}" '
                f'stroke-dasharray="5 3" stroke-width="2" rx="4"/>'
            )
            body.append(f'<text x="{x + w / 2}" y="42" text-anchor="middle" {FONT}>{name}: writable layer</text>')
            body.append(
                f'<line x1="{x + w / 2}" y1="54" x2="{x + w / 2}" y2="{top - 6}" stroke="currentColor" '
                f'stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
        body.insert(
            0,
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>',
        )
        y = top
        for layer, height in zip(reversed(sized), reversed(heights), strict=True):  # newest on top
            body.append(
                f'<rect x="{left}" y="{y:.1f}" width="{stack_width}" height="{height:.1f}" '
                f'fill="{FLOOR_COLOUR}" fill-opacity="0.25" stroke="currentColor" stroke-width="1"/>'
            )
            label = "base image (debian slim)" if layer is sized[0] else short_instruction(layer["created_by"])
            baseline = y + height / 2 + 5  # text centred in its layer
            body.append(f'<text x="{left + 10}" y="{baseline:.1f}" {FONT}>{escape(label)}</text>')
            body.append(
                f'<text x="{left + stack_width + 10}" y="{baseline:.1f}" {FONT}>{size_text(layer["bytes"])}</text>'
            )
            y += height
        caption = (
            "image docker_practice_cpu: read-only layers, stored once and shared by every container",
            f"(plus {metadata} steps that change only metadata: ARG, ENV, WORKDIR, CMD)",
        )
        for i, line in enumerate(caption):
            body.append(f'<text x="{left}" y="{y + 22 + 18 * i:.1f}" {FONT}>{line}</text>')
        markup = svg(width, int(y + 58), body, "Image layers under two running containers")
        return self.chart(markup, self.provenance(figures, source))


def setup(app: Sphinx) -> dict:
    app.add_config_value("bench_results", ["../build/bench/bench.json", "_data/bench.json"], "env")
    app.add_directive("size-chart", SizeChart)
    app.add_directive("rebuild-chart", RebuildChart)
    app.add_directive("layers-diagram", LayersDiagram)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
