"""Sphinx configuration for the guide."""

from __future__ import annotations

# -- Project ----------------------------------------------------------------
project = "Containers for ML research"
author = "The docker-practice authors"
copyright = "2026, the docker-practice authors"

# -- General ----------------------------------------------------------------
extensions = [
    "myst_nb",  # MyST Markdown pages (and executable notebooks, cached)
    "sphinx_copybutton",
    "sphinx_design",  # tabs for CPU/GPU variants
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- MyST-NB: executed content is cached, and may not hang a build ----------
nb_execution_mode = "cache"
nb_execution_timeout = 120

# -- Copy button: commands only ---------------------------------------------
# Strip "$ " and "(gpu-host) $ " prompts; lines without a prompt are output
# and are left out, except continuation lines of a command ending in "\".
copybutton_prompt_text = r"^(\([\w.-]+\) )?\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_line_continuation_character = "\\"
copybutton_exclude = ".linenos, .gp, .go"

# -- HTML -------------------------------------------------------------------
html_theme = "furo"
html_title = "Containers for ML research"
html_static_path = ["_static"]
