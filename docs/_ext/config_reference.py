"""The verifier's configuration keys as a table, made from the configuration's own
declaration (verify_tutorial.config.KEYS), so the page cannot drift from the code.

    ```{verify-config-reference}
    ```
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from verify_tutorial.config import reference_markdown


class ConfigReference(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return list(self.parse_text_to_nodes(reference_markdown()))


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_directive("verify-config-reference", ConfigReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
