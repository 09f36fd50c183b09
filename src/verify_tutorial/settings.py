"""Settings from conf/verify.toml, with paths resolved against the repository."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .collect import PAGE_SUFFIXES
from .errors import VerifyError

DEFAULT_FILE = Path("conf/verify.toml")


@dataclass(frozen=True)
class Settings:
    root: Path
    source: Path  # the settings file itself
    pages: Path
    project: Path
    results_dir: Path
    default_timeout: float = 300.0
    reserved: dict[str, list[str]] = field(default_factory=dict)

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


def load(path: Path = DEFAULT_FILE) -> Settings:
    path = path.resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerifyError(
            f"no settings file at {path}; pass --verify-config, or run from the repository root"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise VerifyError(f"{path}: not valid TOML ({error}); fix the file") from None
    # Paths in the file are relative to "root", itself relative to the file.
    root = (path.parent / data.get("root", ".")).resolve()
    return Settings(
        root=root,
        source=path,
        pages=root / data.get("pages", "docs"),
        project=root / data.get("project", "docker-practice"),
        results_dir=root / data.get("results_dir", "build/verify"),
        default_timeout=float(data.get("default_timeout", 300)),
        reserved={kind: list(names) for kind, names in data.get("reserved", {}).items()},
    )
