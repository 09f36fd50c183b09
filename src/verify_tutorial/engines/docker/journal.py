"""What a run's commands created, as the engine answered them: kept in memory and
appended to a journal file as it happens, so the reaper knows a killed run's objects too."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .names import full_tag

JOURNAL = "created.journal"  # in the run's proxy folder
IDENTITY = "identity"  # beside it: the run's id, then who it was
# What a journal line may name. Tags are "repo:tag"; a build asked for `tags`,
# `docker tag`, `commit` or a pull that made it asked for `explicit_tags`.
KINDS = ("containers", "images", "networks", "volumes", "tags", "explicit_tags")


@dataclass
class Recorded:
    """What the run's commands created, as the engine answered them; appended to a
    journal as it happens, so the reaper knows a killed run's objects too."""

    journal: Path | None = None
    containers: set[str] = field(default_factory=set)  # ids and names
    images: set[str] = field(default_factory=set)  # ids (sha256:...)
    networks: set[str] = field(default_factory=set)  # ids and names
    volumes: set[str] = field(default_factory=set)  # names
    tags: set[str] = field(default_factory=set)  # repo:tag a build asked for
    explicit_tags: set[str] = field(default_factory=set)  # repo:tag made by `docker tag` or `commit`

    def note(self, kind: str, value: str) -> None:
        getattr(self, kind).add(value)
        if self.journal is not None:
            with self.journal.open("a", encoding="utf-8") as journal:
                journal.write(f"{kind} {value}\n")

    def outstanding(self) -> bool:
        """Whether it names objects no clean-up has dealt with yet."""
        return any(getattr(self, kind) for kind in ("containers", "images", "networks", "volumes", "tags"))

    def clear(self) -> None:
        """Forget what was cleaned up, so a later page cannot claim a reused name."""
        for kind in KINDS:
            getattr(self, kind).clear()
        if self.journal is not None:
            self.journal.write_text("", encoding="utf-8")

    @classmethod
    def read(cls, journal: Path) -> Recorded:
        recorded = cls()
        for line in journal.read_text(encoding="utf-8").splitlines():
            kind, _, value = line.partition(" ")
            if kind in KINDS and value:
                getattr(recorded, kind).add(value)
        return recorded

    def owns(self, kind: str, name: str) -> bool:
        """Whether a name or (short) id given to a delete call is one of ours."""
        if kind == "images":
            name = name.removeprefix("sha256:")
            ids = {i.removeprefix("sha256:") for i in self.images}
            return full_tag(name) in self.tags | self.explicit_tags or any(i.startswith(name) for i in ids)
        known: set[str] = getattr(self, kind)
        return name in known or (len(name) >= 4 and any(k.startswith(name) for k in known))
