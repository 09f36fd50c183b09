"""Sphinx configuration for the guide."""

from __future__ import annotations

import sys
from pathlib import Path

from verify_tutorial.blocks import PROMPT_TEXT
from verify_tutorial.collect import MYST_EXTENSIONS
from verify_tutorial.results import RESULTS_FILE
from verify_tutorial.settings import load as load_verify_settings

# Local extensions: proof badges from the verifier's results, charts from the bench,
# and the template as a zip for the download link on the start page.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# -- Project ----------------------------------------------------------------
project = "Containers for ML research"
author = "The docker-practice authors"
copyright = "2026, the docker-practice authors"

# -- General ----------------------------------------------------------------
extensions = [
    "myst_nb",  # MyST Markdown pages (and executable notebooks, cached)
    "sphinx_copybutton",
    "sphinx_design",  # tabs for CPU/GPU variants
    "proof",  # verification badges (docs/_ext/proof.py)
    "charts",  # size, rebuild and layer charts from the bench (docs/_ext/charts.py)
    "template_zip",  # docker-practice/ as build/template/docker-practice.zip (docs/_ext/template_zip.py)
]
exclude_patterns = ["_build", "_ext", "_data", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = list(MYST_EXTENSIONS)  # the verifier parses the pages with the same
myst_heading_anchors = 3

# -- MyST-NB: executed content is cached, and may not hang a build ----------
nb_execution_mode = "cache"
nb_execution_timeout = 120

# -- Copy button: commands only ---------------------------------------------
# Prompts ("$ ", "(gpu-host) $ ") are matched here and stripped; lines without
# one are output and left out, except continuation lines of a command ending
# in "\". Output spans (.go) are dropped before matching and the blank lines
# they leave are not copied. The group must not capture: sphinx-copybutton
# wraps this pattern in its own groups and reads the command from the second.
copybutton_prompt_text = PROMPT_TEXT  # the prompt the verifier reads commands by
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_copy_empty_lines = False
copybutton_line_continuation_character = "\\"
copybutton_exclude = ".linenos, .go"

# -- HTML -------------------------------------------------------------------
html_theme = "furo"
html_title = "Containers for ML research"
html_static_path = ["_static"]

# -- Proof on the page --------------------------------------------------------
# The verifier's latest results: this machine's run, the run on current Docker
# (`--results-dir build/verify-current`, as .ci/run does it), and a GPU
# runner's where one was fetched (the Pages workflow puts it in
# build/verify-gpu/). A command that passed on several engines names each.
# Pages are named relative to the repository.
_verify_results = load_verify_settings(Path(__file__).parent.parent / "conf" / "verify.toml").results_dir
proof_results = [
    str(_verify_results / RESULTS_FILE),
    "../build/verify-current/results.json",
    "../build/verify-gpu/results.json",
]
proof_root = ".."
html_favicon = "_static/favicon.svg"

# -- The template as a download ------------------------------------------------
# Zipped from docker-practice/ at every build; start.md links this path with {download}.
template_zip_source = "../docker-practice"
template_zip_target = "../build/template/docker-practice.zip"
