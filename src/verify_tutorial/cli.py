"""verify-tutorial: run the console sessions of a project's docs and check their output.

    verify-tutorial [--target NAME] [--accept] [--allow NAME] [--keep-going] [--results-dir DIR] [PYTEST ARGS...]

Checks what can be checked before anything runs (blocks well formed, the
engine reachable and its tools usable, the names the pages create free), each
failure a single line with its own exit status, then hands over to pytest, or,
with no engine and no pytest argument, runs the pages itself (runner.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from . import runner
from .config import RUN_OPTIONS, Settings, discover, load
from .errors import NoBlocks, NoSuchPage, VerifyError
from .parsing.pages import PAGE_SUFFIXES, find_pages
from .verifier import Verifier, keep_going, writable_folder

EXIT_INTERRUPTED = runner.EXIT_INTERRUPTED
# pytest's exit statuses, without importing it for a run that does not need it.
OK, TESTS_FAILED, INTERRUPTED, NO_TESTS_COLLECTED = 0, 1, 2, 5
AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
# The host's ways into pytest besides its settings file: set aside while we run.
HOST_PYTEST_VARIABLES = (AUTOLOAD, "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify-tutorial",
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="Other arguments go to pytest: pages, -k, -x, --junitxml. "
        'With engine = "none" and no such option, the pages run without pytest, and start faster.',
    )
    for option in RUN_OPTIONS:
        extra = option.argparse_extras()
        parser.add_argument(f"--{option.name}", action=option.action, help=option.help, **extra)
    parser.add_argument(
        "--verify-config",
        type=Path,
        metavar="FILE",
        help="settings file (default: conf/verify.toml, else pyproject.toml)",
    )
    ours, pytest_args = parser.parse_known_args(argv)
    try:
        settings = load(ours.verify_config or default_settings_file())
        if ours.results_dir:  # say, one folder per engine
            settings = dataclasses.replace(settings, results_dir=Path(ours.results_dir).resolve())
        verifier = Verifier(
            settings,
            ours.target,
            ours.allow,
            accept=ours.accept,
            wait=not ours.no_wait,
            keep_going=keep_going(ours.keep_going, ours.stop_at_first),
        )
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    try:
        pages = chosen_pages(settings, pytest_args)
        writable_folder(settings.results_dir)
        broken = verifier.preflight(pages, say=lambda line: print(line, file=sys.stderr))
        if runner.wanted(settings.engine, pytest_args):
            status = runner.run_pages(verifier, pages, say=lambda line: print(line, flush=True))
        else:
            status = run_pytest(pytest_arguments(settings, pytest_args), verifier)
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        verifier.close()  # the proxy stops and the engine lock is released, whatever happened
    if status in (INTERRUPTED, EXIT_INTERRUPTED):
        return EXIT_INTERRUPTED
    if broken and status in (OK, TESTS_FAILED, NO_TESTS_COLLECTED):
        return broken[0].exit_code  # a malformed page says so, whatever else failed
    if status == NO_TESTS_COLLECTED:  # say, -k chose no command
        return NoBlocks.exit_code
    return int(status)


def default_settings_file() -> Path:
    """The project's settings, found from here up (config.discover); none: the
    pyproject.toml here, whose load says what to add."""
    return discover(Path.cwd()) or Path("pyproject.toml")


def run_pytest(args: list[str], verifier: Verifier) -> int:
    """pytest with only our plugin: auto-loaded plugins (a reordering or parallel
    one would break the page's order-dependent shell) stay out."""
    import pytest  # here: half a second to import, and a run without it never pays that

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
        if Path(name).is_file() and settings.excluded(Path(name)):
            raise NoSuchPage(
                f"{name} is excluded by 'exclude' in {settings.relative(settings.source)}; remove it there"
            )
    if not named:
        return settings.all_pages()
    return sorted({page for name in named for page in _pages_in(Path(name)) if not settings.excluded(page)})


def _looks_like_page(arg: str) -> bool:
    return arg.endswith(PAGE_SUFFIXES) or "::" in arg or Path(arg).is_dir()


def _pages_in(path: Path) -> list[Path]:
    return [page.resolve() for page in find_pages(path)]


def pytest_arguments(settings: Settings, extra: list[str]) -> list[str]:
    """pytest's command line: our plugin, the user's extras, and the pages unless the
    extras name files themselves (a word such as `-k`'s value is no file). Our own
    options are not among them: the plugin gets the Verifier itself."""
    names_paths = any(Path(arg.split("::")[0]).exists() for arg in extra if not arg.startswith("-"))
    return [
        "-c", os.devnull,  # none of the host project's pytest settings (addopts, plugins, markers)
        "--noconftest",  # nor its conftest.py files
        "-p", "verify_tutorial.pytest_plugin",
        "-p", "no:cacheprovider",
        "-ra",  # list every skip with its reason
        "--rootdir", str(settings.root),
        "--junitxml", str(settings.results_dir / "junit.xml"),
        *extra,
        *([] if names_paths else [str(settings.pages)]),
    ]  # fmt: skip
