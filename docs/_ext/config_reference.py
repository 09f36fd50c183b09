"""The verifier's configuration keys and block options as tables, made from their own
declarations (verify_tutorial.config.KEYS, verify_tutorial.document.options.HELP), so
the pages cannot drift from the code.

    ```{verify-config-reference}
    ```

    ```{verify-options-reference}
    ```
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from verify_tutorial.config import reference_markdown
from verify_tutorial.document import options


class ConfigReference(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return list(self.parse_text_to_nodes(reference_markdown()))


class OptionsReference(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        return list(self.parse_text_to_nodes(options.reference_markdown()))


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_directive("verify-config-reference", ConfigReference)
    app.add_directive("verify-options-reference", OptionsReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
