"""Graphviz pictures as <img> rather than sphinx.ext.graphviz's <object>.

Chromium paints an SVG document embedded with <object> on an opaque white
canvas when the page is in dark mode, so the transparent background the
pictures are drawn with is lost; an SVG shown as an image keeps it. The SVG is
drawn by sphinx.ext.graphviz's own render_dot, as before.
"""

from __future__ import annotations

from html import escape

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.graphviz import GraphvizError, graphviz, render_dot
from sphinx.util import logging

logger = logging.getLogger(__name__)


def visit_graphviz(self, node: graphviz) -> None:
    try:
        fname, _ = render_dot(self, node["code"], node["options"], "svg", "graphviz", node.get("filename"))
    except GraphvizError as error:
        logger.warning("dot code %r: %s", node["code"], error)
        raise nodes.SkipNode from error
    if fname is not None:
        alt = escape(node.get("alt", "a picture"), quote=True)
        classes = " ".join(["graphviz", *node.get("classes", [])])
        self.body.append(
            f'<div class="graphviz"><img src="{fname.as_posix()}" alt="{alt}" class="{classes}" /></div>\n'
        )
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.graphviz")
    app.add_node(graphviz, override=True, html=(visit_graphviz, None))
    app.add_css_file("pictures.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
