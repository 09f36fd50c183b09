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

from . import engine
from .collect import collect_page
from .errors import VerifyError
from .options import ALLOWABLE, capabilities, skip_reason
from .runner import shell_environment
from .settings import load

EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verify-tutorial", description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--allow", action="append", default=[], choices=ALLOWABLE)
    parser.add_argument("--accept", action="store_true")
    parser.add_argument("--verify-config", default="conf/verify.toml")
    ours, pytest_args = parser.parse_known_args(argv)
    try:
        settings = preflight(ours)
    except VerifyError as error:
        print(f"verify-tutorial: {error}", file=sys.stderr)
        return error.exit_code
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    args = pytest_arguments(settings, ours, pytest_args)
    status = pytest.main(args)
    if status == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    return int(status)


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
        *extra,
        *([] if names_paths else [str(settings.pages)]),
    ]  # fmt: skip


def preflight(options: argparse.Namespace):
    settings = load(Path(options.verify_config))
    if not settings.pages.is_dir():
        raise VerifyError(f"no pages at {settings.pages}; check 'pages' in {options.verify_config}")
    pages = sorted(settings.pages.rglob("*.md"))
    blocks = [block for page in pages for block in collect_page(page, shown_as=settings.relative(page))]
    available = capabilities(options.target, options.allow)
    runnable = [b for b in blocks if skip_reason(b.options, available) is None]
    if not runnable:
        return settings
    client = engine.connect()
    engine.check_buildkit(shell_environment())
    wanted: dict[tuple[str, str], str] = {}
    for kind, names in settings.reserved.items():
        for name in names:
            wanted[(kind, name)] = f"{options.verify_config} [reserved]"
    for block in runnable:
        for command in block.commands:
            for name in engine.names_used(command.text):
                wanted.setdefault(name, f"{settings.relative(block.path)}:{command.line}")
    engine.ensure_names_free(client, wanted)
    return settings


if __name__ == "__main__":
    sys.exit(main())
