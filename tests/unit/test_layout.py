"""The package's layout holds: imports run one way, from the entry points down to
the document model, and nothing outside engines/docker/ reaches Docker (or Sphinx)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, ROOT

PACKAGE = ROOT / "src" / "verify_tutorial"
# Lowest first: a module may import its own layer and the ones before it, never one after.
LAYERS = (
    "errors",
    "interrupts",
    "document",
    "parsing",
    "checking",
    "reporting",
    "execution",
    "services",
    "engines",
    "requirements",
    "config",
    "verifier",
    "runner",
    "cli",
    "pytest_plugin",
    "__main__",
)
# What only an engine's own folder (or an extra) may import.
OUTSIDE_THE_CORE = ("docker", "requests", "sphinx", "myst_parser", "verify_tutorial.engines.docker")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved."""
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            found.add(stem)
            found |= {f"{stem}.{alias.name}" for alias in node.names}  # `from . import x` names a module
    return found


def layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "verify_tutorial" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "docker" not in p.relative_to(PACKAGE).parts]


def test_every_module_belongs_to_a_layer():
    modules = [module_name(p) for p in PACKAGE.rglob("*.py") if p != PACKAGE / "__init__.py"]
    assert [m for m in modules if layer(m) is None] == []


def test_imports_run_one_way():
    upward = []
    for path in PACKAGE.rglob("*.py"):
        own = layer(module_name(path))
        for imported in imports_of(path):
            theirs = layer(imported)
            if own is not None and theirs is not None and theirs > own:
                upward.append(f"{module_name(path)} imports {imported}")
    assert upward == []


def test_the_core_imports_nothing_of_docker_or_sphinx():
    reaching = [
        f"{module_name(path)} imports {imported}"
        for path in core_files()
        for imported in imports_of(path)
        if any(imported == name or imported.startswith(f"{name}.") for name in OUTSIDE_THE_CORE)
    ]
    assert reaching == []


def test_a_run_without_an_engine_loads_no_docker_and_no_sphinx():
    # A shell-only project, run as far as the first page's preflight, in a fresh interpreter.
    script = f"""
import json, sys
from pathlib import Path
from verify_tutorial import cli, pytest_plugin
from verify_tutorial.config import load
from verify_tutorial.verifier import Verifier
verifier = Verifier(load(Path({str(FIXTURES / "external" / "pyproject.toml")!r})))
verifier.preflight(None, say=lambda line: None)
verifier.close()
print(json.dumps(sorted(sys.modules)))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "verify_tutorial.engines.none" in loaded  # the run did choose its engine
    assert [m for m in loaded if m.split(".")[0] in ("docker", "requests", "sphinx", "myst_parser")] == []
    assert [m for m in loaded if m.startswith("verify_tutorial.engines.docker")] == []
