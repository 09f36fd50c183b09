"""Sphinx configuration for the guide."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from image_bench.report import size_text
from verify_tutorial.config import load as load_verify_settings
from verify_tutorial.document.console import PROMPT_TEXT
from verify_tutorial.parsing.myst import MYST_EXTENSIONS
from verify_tutorial.reporting.cast import IDLE_TIME_LIMIT
from verify_tutorial.reporting.results import RESULTS_FILE

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
    "config_reference",  # the verifier's configuration keys, from their declaration (docs/_ext/config_reference.py)
    "pictures",  # Graphviz pictures (the reader's path, Docker next to Apptainer) as SVG images (docs/_ext/pictures.py)
]

# -- Pictures: Graphviz, as SVG ---------------------------------------------------
# Without dot, sphinx.ext.graphviz only warns per picture; stop at once and say what to install.
if shutil.which("dot") is None:
    raise RuntimeError("the guide's pictures need Graphviz's dot: apt-get install graphviz (conf/provision.sh docs)")
graphviz_output_format = "svg"  # what pictures.py shows
# Transparent background, and colours that read on furo's light and dark themes alike:
# filled nodes with white text, edges and edge labels in a middle grey.
graphviz_dot_args = [
    "-Gbgcolor=transparent",
    "-Gfontname=sans-serif",
    "-Nfontname=sans-serif",
    "-Efontname=sans-serif",
    "-Nshape=box",
    "-Nstyle=rounded,filled",
    "-Nfillcolor=#2f6fb0",
    "-Nfontcolor=white",
    "-Ncolor=#2f6fb0",
    "-Ecolor=#8a8a8a",
    "-Efontcolor=#8a8a8a",
]
exclude_patterns = ["_build", "_ext", "_data", "Thumbs.db", ".DS_Store"]
# The verifier parses the pages with MYST_EXTENSIONS. The site adds `substitution`
# for the bench's figures in prose (below): it reads `{{ name }}` only in prose,
# never inside a fence, so both parsers find the same console blocks.
myst_enable_extensions = [*MYST_EXTENSIONS, "substitution"]
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
html_css_files = ["layout.css"]  # the in-page table of contents at 1280 px

# -- Proof on the page --------------------------------------------------------
# The verifier's latest results: this machine's run, the run on current Docker
# (conf/facts.py's CURRENT_RESULTS, the --results-dir .ci/run gives it), and a
# GPU runner's where one was fetched (GPU_RESULTS, where the Pages workflow puts
# it). A command that passed on several engines names each.
# Pages are named relative to the repository.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "conf"))
import facts  # noqa: E402  (conf/facts.py, on the path just added)

_verify_settings = load_verify_settings(Path(__file__).parent.parent / "conf" / "verify.toml")
proof_console_languages = sorted(_verify_settings.console_languages)
proof_results = [
    str(_verify_settings.results_dir / RESULTS_FILE),
    f"../{facts.CURRENT_RESULTS}/{RESULTS_FILE}",
    f"../{facts.GPU_RESULTS}/{RESULTS_FILE}",
]
proof_root = ".."
html_favicon = "_static/favicon.svg"

# -- The template as a download ------------------------------------------------
# Zipped from docker-practice/ at every build; start.md links this path with {download}.
template_zip_source = "../docker-practice"
template_zip_target = "../build/template/docker-practice.zip"

# -- The bench's figures in prose ----------------------------------------------
# Pages write `{{ cpu_image }}` and the like, never a measured number by hand.
# The figures come from the same file as the charts (docs/_ext/charts.py): a
# fresh build/bench/bench.json, else the snapshot committed in docs/_data/.
bench_results = ["../build/bench/bench.json", "_data/bench.json"]


def _bench_figures() -> dict:
    """The first of bench_results that exists; a part it lacks (the GPU figures of a
    run without --gpu) comes from the next file that has it."""
    paths = [Path(__file__).parent / candidate for candidate in bench_results]
    found = [json.loads(path.read_text(encoding="utf-8")) for path in paths if path.is_file()]
    if not found:
        raise FileNotFoundError(f"no bench figures: none of {bench_results} exists next to docs/conf.py")
    figures = dict(found[0])
    for older in found[1:]:
        for part in ("cpu", "gpu"):
            figures.setdefault(part, older.get(part))
    return figures


def _size(n: float) -> str:
    """Bytes in Docker's units (10^3), as the charts show them; gigabytes with two decimals."""
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else size_text(n)


def _above(ours: float, floor: float) -> str:
    return f"{(ours / floor - 1) * 100:.1f}%"


def _bench_substitutions(figures: dict) -> dict[str, str]:
    cpu, gpu = figures["cpu"], figures["gpu"]
    ours, seed = cpu["ours"], cpu["seed-style"]
    builds, seed_builds = ours["builds"], seed["builds"]
    base = ours["layers"][0]["bytes"]  # the base image's one layer

    def venv(part: dict) -> int:
        return next(layer["bytes"] for layer in part["layers"] if "/opt/venv" in layer["created_by"])

    def seed_layer(words: str) -> int:
        return next(layer["bytes"] for layer in seed["layers"] if words in layer["created_by"])

    def seconds(build: dict) -> str:
        return f"{build['median_seconds']:.1f} s"

    def times(ours_build: dict, seed_build: dict) -> str:
        return f"{ours_build['median_seconds'] / seed_build['median_seconds']:.2f}"

    return {
        "bench_date": figures["date"][:10],
        "base_image": _size(base),
        "interpreter": _size(cpu["floor"]["interpreter_image_bytes"] - base),
        "cpu_image": _size(ours["size_bytes"]),
        "cpu_venv": _size(venv(ours)),
        "cpu_packages": _size(cpu["floor"]["packages_bytes"]),
        "cpu_floor": _size(cpu["floor"]["floor_bytes"]),
        "cpu_above_floor": _above(ours["size_bytes"], cpu["floor"]["floor_bytes"]),
        "tutorial_cpu_image": _size(seed["size_bytes"]),
        "tutorial_apt_layer": _size(seed_layer("apt-get install")),
        "tutorial_pip_layer": _size(seed_layer("pip install")),
        "gpu_image": _size(gpu["ours"]["size_bytes"]),
        "gpu_venv": _size(venv(gpu["ours"])),
        "gpu_above_floor": _above(gpu["ours"]["size_bytes"], gpu["floor"]["floor_bytes"]),
        "tutorial_gpu_image": _size(gpu["seed-style"]["size_bytes"]),
        "gpu_cold_fetched": _size(gpu["ours"]["builds"]["cold"]["median_downloaded_bytes"]),
        "cpu_cold_fetched": _size(builds["cold"]["median_downloaded_bytes"]),
        "cold_time": seconds(builds["cold"]),
        "tutorial_cold_time": seconds(seed_builds["cold"]),
        "cold_time_ratio": times(builds["cold"], seed_builds["cold"]),
        "dep_time": seconds(builds["one more dependency"]),
        "tutorial_dep_time": seconds(seed_builds["one more dependency"]),
        "dep_time_ratio": times(builds["one more dependency"], seed_builds["one more dependency"]),
        "dep_fetched": _size(builds["one more dependency"]["median_downloaded_bytes"]),
        "apt_fetched": _size(builds["apt package changed"]["median_downloaded_bytes"]),
        "tutorial_fetched": _size(seed_builds["one more dependency"]["median_downloaded_bytes"]),
    }


myst_substitutions = _bench_substitutions(_bench_figures())
# The pause a recorded run's playback cuts short (proof.md says it): the casts' idle limit.
myst_substitutions["cast_idle_limit"] = f"{IDLE_TIME_LIMIT:g} seconds"
