"""Settings: `[tool.verify-tutorial]` in a project's pyproject.toml, or a file of
their own (this repository's conf/verify.toml), with paths resolved against the
project's root.

    [tool.verify-tutorial]
    pages = "docs"              # pages whose console blocks run (.md and .rst)
    project = "example"         # copied fresh for each page; omit for an empty folder
    engine = "none"             # "docker" (the default) or "none" for plain shell pages
    results_dir = "build/verify"
    default_timeout = 300       # seconds a command may run

    [tool.verify-tutorial.services.slurm]      # started for pages that require it
    start = "bash services/slurm.sh"
    check = "command -v slurmctld"

    [tool.verify-tutorial.versions]            # named in the results of blocks that require it
    apptainer = "apptainer --version"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .collect import PAGE_SUFFIXES
from .errors import VerifyError
from .options import ALLOWABLE, KNOWN_REQUIREMENTS
from .services import Service

DEFAULT_FILE = Path("conf/verify.toml")
TABLE = "verify-tutorial"  # [tool.verify-tutorial] in pyproject.toml
ENGINES = ("docker", "none")
RESERVABLE = ("container", "image", "network", "volume")  # kinds of names [reserved] may list


@dataclass(frozen=True)
class Settings:
    root: Path
    source: Path  # the settings file itself
    pages: Path
    project: Path | None  # None: each page starts in an empty folder
    results_dir: Path
    engine: str = "docker"
    default_timeout: float = 300.0
    reserved: dict[str, list[str]] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)  # by the requirement each satisfies
    versions: dict[str, str] = field(default_factory=dict)  # requirement -> command printing what meets it

    def all_pages(self) -> list[Path]:
        """Every page under `pages`, in a stable order."""
        if not self.pages.is_dir():
            raise VerifyError(f"no pages at {self.pages}; check 'pages' in {self.source}")
        return sorted(p for suffix in PAGE_SUFFIXES for p in self.pages.rglob(f"*{suffix}"))

    def relative(self, path: Path) -> str:
        """How reports name a file: relative to the repository when inside it."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def find(start: Path) -> Path | None:
    """The pyproject.toml at `start` if it configures the verifier; else None (stay inert)."""
    candidate = start / "pyproject.toml"
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return candidate if TABLE in data.get("tool", {}) else None


def load(path: Path = DEFAULT_FILE) -> Settings:
    """Settings from a settings file, or from a pyproject.toml's [tool.verify-tutorial]."""
    path = path.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(f"no settings file at {path}; pass --verify-config, or run from the project's root") from None
    except tomllib.TOMLDecodeError as error:
        raise VerifyError(f"{path}: not valid TOML ({error}); fix the file") from None
    if path.name == "pyproject.toml":
        if TABLE not in data.get("tool", {}):
            raise VerifyError(f"{path} has no [tool.{TABLE}] table; add one (see the verifier's README)")
        data = data["tool"][TABLE]
    engine = data.get("engine", "docker")
    if engine not in ENGINES:
        raise VerifyError(f"{path}: engine = {engine!r}; use one of {', '.join(ENGINES)}")
    timeout = data.get("default_timeout", 300)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < float("inf"):
        raise VerifyError(f"{path}: default_timeout = {timeout!r}; give a positive number of seconds")
    reserved = data.get("reserved", {})
    unknown = sorted(set(reserved) - set(RESERVABLE))
    if unknown:
        raise VerifyError(f"{path}: [reserved] {', '.join(unknown)}: use {', '.join(RESERVABLE)}")
    services_table, versions = data.get("services", {}), data.get("versions", {})
    if not isinstance(services_table, dict) or not all(isinstance(v, dict) for v in services_table.values()):
        raise VerifyError(f'{path}: services is a table of tables: [services.NAME] with start = "..."')
    services = _services(path, services_table)
    if (
        not isinstance(versions, dict)
        or not all(isinstance(v, str) and v.strip() for v in versions.values())
        or not set(versions) <= KNOWN_REQUIREMENTS
    ):
        example = 'apptainer = "apptainer --version"'
        raise VerifyError(f"{path}: [versions] maps a requirement to a command, as in {example}")
    # Paths in the file are relative to "root", itself relative to the file.
    root = (path.parent / data.get("root", ".")).resolve()
    project = data.get("project", "docker-practice" if engine == "docker" else None)
    return Settings(
        root=root,
        source=path,
        pages=root / data.get("pages", "docs"),
        project=root / project if project else None,
        results_dir=root / data.get("results_dir", "build/verify"),
        engine=engine,
        default_timeout=float(timeout),
        reserved={kind: list(names) for kind, names in reserved.items()},
        services=services,
        versions=dict(versions),
    )


def _services(path: Path, table: dict[str, dict[str, object]]) -> dict[str, Service]:
    """[services.NAME] tables: NAME is a requirement blocks give; start is required."""
    services = {}
    for name, entry in table.items():
        if name not in ALLOWABLE:
            known = ", ".join(ALLOWABLE)
            raise VerifyError(f"{path}: [services.{name}]: name it after the requirement it meets ({known})")
        start, check = entry.get("start"), entry.get("check")
        if not isinstance(start, str) or not start.strip():
            raise VerifyError(f'{path}: [services.{name}] needs start = "command that starts it"')
        unknown = sorted(set(entry) - {"start", "check"})
        if unknown:
            raise VerifyError(f"{path}: [services.{name}]: unknown key {', '.join(unknown)}; use start and check")
        if check is not None and (not isinstance(check, str) or not check.strip()):
            raise VerifyError(f'{path}: [services.{name}] check must be a command, as in check = "command -v X"')
        services[name] = Service(name=name, start=start, check=check)
    return services
