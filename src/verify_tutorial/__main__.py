"""verify-tutorial: run the guide's console sessions against a real Docker engine.

    python -m verify_tutorial [--target cpu|gpu] [--accept] [--allow registry] [--results-dir DIR] [PYTEST ARGS...]

Checks what can be checked before anything runs (blocks well formed, engine
reachable, BuildKit usable, the names the guide creates free), each failure a
single line with its own exit status, then hands over to pytest.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
from pathlib import Path

import pytest

from .collect import PAGE_SUFFIXES
from .errors import NoBlocks, NoSuchPage, VerifyError
from .options import ALLOWABLE
from .run import Verifier
from .settings import DEFAULT_FILE, Settings, load

EXIT_INTERRUPTED = 130
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
# The host's ways into pytest besides its settings file: set aside while we run.
HOST_PYTEST_VARIABLES = (AUTOLOAD, "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify-tutorial", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--allow", action="append", default=[], choices=ALLOWABLE)
    parser.add_argument("--accept", action="store_true")
    parser.add_argument("--no-wait", action="store_true", help="refuse at once if another run holds the engine")
    parser.add_argument(
        "--verify-config", type=Path, help="settings file (default: conf/verify.toml, else pyproject.toml)"
    )
    parser.add_argument(
        "--results-dir", type=Path, help="where results.json and junit.xml go (default: the settings' results_dir)"
    )
    ours, pytest_args = parser.parse_known_args(argv)
    try:
        settings = load(ours.verify_config or default_settings_file())
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    if ours.results_dir:  # say, one folder per engine
        settings = dataclasses.replace(settings, results_dir=ours.results_dir.resolve())
    verifier = Verifier(settings, ours.target, ours.allow, accept=ours.accept, wait=not ours.no_wait)
    try:
        pages = chosen_pages(settings, pytest_args)
        writable_folder(settings.results_dir)
        unreadable = verifier.preflight(pages, say=lambda line: print(line, file=sys.stderr))
        status = run_pytest(pytest_arguments(settings, pytest_args), verifier)
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        verifier.close()  # the proxy stops and the engine lock is released, whatever happened
    if status == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if status in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) and unreadable:
        return unreadable[0].exit_code
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:  # say, -k chose no command
        return NoBlocks.exit_code
    return int(status)


def writable_folder(folder: Path) -> None:
    """Make the results folder, and prove it takes a file, before any page runs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        raise VerifyError(
            f"cannot write results to {folder} ({error.strerror}); give --results-dir a folder you can write"
        ) from None


def default_settings_file() -> Path:
    """This repository's conf/verify.toml where it exists, else the project's pyproject.toml."""
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else Path("pyproject.toml")


def run_pytest(args: list[str], verifier: Verifier) -> int:
    """pytest with only our plugin: auto-loaded plugins (a reordering or parallel
    one would break the page's order-dependent shell) stay out."""
    saved = {name: os.environ.pop(name) for name in HOST_PYTEST_VARIABLES if name in os.environ}
    os.environ[AUTOLOAD] = "1"
    try:
        return int(pytest.main(args, plugins=[verifier]))
    finally:
        os.environ.pop(AUTOLOAD, None)
        os.environ.update(saved)


def chosen_pages(settings: Settings, extra: list[str]) -> list[Path]:
    """The pages named among pytest's arguments (each must exist), else every page."""
    named = [arg.split("::")[0] for arg in extra if not arg.startswith("-") and _looks_like_page(arg)]
    for name in named:
        if not Path(name).exists():
            raise NoSuchPage(f"no page {name}; name a file under {settings.relative(settings.pages)}/")
    if not named:
        return settings.all_pages()
    return sorted({page for name in named for page in _pages_in(Path(name))})


def _looks_like_page(arg: str) -> bool:
    return arg.endswith(PAGE_SUFFIXES) or "::" in arg or Path(arg).is_dir()


def _pages_in(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for suffix in PAGE_SUFFIXES for p in path.rglob(f"*{suffix}"))
    return [path.resolve()]


def pytest_arguments(settings: Settings, extra: list[str]) -> list[str]:
    """pytest's command line: our plugin, the user's extras, and the pages unless the
    extras name files themselves (a word such as `-k`'s value is no file). Our own
    options are not among them: the plugin gets the Verifier itself."""
    names_paths = any(Path(arg.split("::")[0]).exists() for arg in extra if not arg.startswith("-"))
    return [
        "-c", os.devnull,  # none of the host project's pytest settings (addopts, plugins, markers)
        "--noconftest",  # nor its conftest.py files
        "-p", "verify_tutorial.plugin",
        "-p", "no:cacheprovider",
        "-ra",  # list every skip with its reason
        "--rootdir", str(settings.root),
        "--junitxml", str(settings.results_dir / "junit.xml"),
        *extra,
        *([] if names_paths else [str(settings.pages)]),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
