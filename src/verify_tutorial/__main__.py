"""verify-tutorial: run the guide's console sessions against a real Docker engine.

    python -m verify_tutorial [--target cpu|gpu] [--accept] [--allow registry] [PYTEST ARGS...]

Checks what can be checked before anything runs (blocks well formed, engine
reachable, BuildKit usable, the names the guide creates free), each failure a
single line with its own exit status, then hands over to pytest.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

from .collect import PAGE_SUFFIXES
from .engine_session import EngineSession
from .errors import NoBlocks, NoSuchPage, VerifyError
from .options import ALLOWABLE
from .preflight import preflight
from .settings import Settings, load

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify-tutorial", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--allow", action="append", default=[], choices=ALLOWABLE)
    parser.add_argument("--accept", action="store_true")
    parser.add_argument("--no-wait", action="store_true", help="refuse at once if another run holds the engine")
    parser.add_argument("--verify-config", default="conf/verify.toml")
    ours, pytest_args = parser.parse_known_args(argv)
    try:
        settings = load(Path(ours.verify_config))
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    session = EngineSession(settings.root)
    try:
        pages = chosen_pages(settings, pytest_args)
        unreadable = preflight(settings, session, pages, ours.target, ours.allow, wait=not ours.no_wait)
        settings.results_dir.mkdir(parents=True, exist_ok=True)
        status = pytest.main(pytest_arguments(settings, ours, pytest_args), plugins=[session])
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        session.close()  # the proxy stops and the engine lock is released, whatever happened
    if status == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if status == pytest.ExitCode.NO_TESTS_COLLECTED:  # say, -k chose no command
        return NoBlocks.exit_code
    if status == pytest.ExitCode.OK and unreadable:
        return unreadable[0].exit_code
    return int(status)


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


def pytest_arguments(settings, ours: argparse.Namespace, extra: list[str]) -> list[str]:
    """pytest's command line: our plugin and options, the user's extras, and the pages
    unless the extras name files themselves (a word such as `-k`'s value is no file)."""
    names_paths = any(Path(arg.split("::")[0]).exists() for arg in extra if not arg.startswith("-"))
    return [
        "-p", "verify_tutorial.plugin",
        "-p", "no:cacheprovider",
        "-ra",  # list every skip with its reason
        "--rootdir", str(settings.root),
        "--junitxml", str(settings.results_dir / "junit.xml"),
        "--target", ours.target,
        "--verify-config", ours.verify_config,
        *[f"--allow={capability}" for capability in ours.allow],
        *(["--accept"] if ours.accept else []),
        *(["--no-wait"] if ours.no_wait else []),
        *extra,
        *([] if names_paths else [str(settings.pages)]),
    ]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
