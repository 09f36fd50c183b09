"""The two recipes the bench compares, and the edits a researcher makes between builds.

Each recipe is built from a private copy of docker-practice, so nothing in the
reader's checkout is touched. Cache mounts get an id unique to one bench run:
a cold build then really starts empty, and the run's caches can be removed
afterwards without touching anyone else's.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

# Paths are relative to the repository root, which the bench is run from.
TEMPLATE = Path("docker-practice")
SEED_STYLE = Path("bench/seed-style.Dockerfile")

# Added by the "one more dependency" rebuild: small, pure Python, not in the lock.
EXTRA_DEPENDENCY = "six==1.17.0"
# Added by the "apt package changed" rebuild: small, not in either image.
EXTRA_APT_PACKAGE = "less"


@dataclass(frozen=True)
class Recipe:
    name: str
    dockerfile: Path  # its source, relative to the repository; copied into the context as `context_path`
    context_path: str
    apt_anchor: str  # the apt package list, found once in the Dockerfile
    keeps_dockerignore: bool  # the seed had none
    floor_stage: str | None = None  # a stage holding just the interpreter on the base
    build_args: tuple[str, ...] = ()  # for `docker build`


OURS = Recipe(
    name="ours",
    dockerfile=TEMPLATE / "build" / "Dockerfile.cpu",
    context_path="build/Dockerfile.cpu",
    apt_anchor="python3 ca-certificates",
    keeps_dockerignore=True,
    floor_stage="python",
)
SEED = Recipe(
    name="seed-style",
    dockerfile=SEED_STYLE,
    context_path="Dockerfile",
    apt_anchor="python3-pip",
    keeps_dockerignore=False,
)
# The GPU builds differ only in the lock: the template has its own Dockerfile
# for it, the seed-style recipe takes the lock as a build argument.
OURS_GPU = replace(OURS, dockerfile=TEMPLATE / "Dockerfile", context_path="Dockerfile")
SEED_GPU = replace(SEED, build_args=("--build-arg", "LOCK=build/requirements_gpu.txt"))
RECIPES = {"cpu": (SEED, OURS), "gpu": (SEED_GPU, OURS_GPU)}
# The CPU lock: the rebuild scenarios add a dependency to it.
LOCK = "build/requirements.txt"

MOUNT = re.compile(r"--mount=(\S+)")


def private_caches(dockerfile: str, namespace: str) -> str:
    """Give every cache mount an id in `namespace`: a numbered one where the mount
    has none (its target keeps it apart), its own id prefixed where it has one (the
    template's venv), so that no cache predates the bench run or outlives it."""
    counter = iter(range(1_000))

    def private(mount: re.Match) -> str:
        options = mount.group(1).split(",")
        if "type=cache" not in options:
            return mount.group(0)
        given = [o for o in options if o.startswith("id=")]
        rest = [o for o in options if not o.startswith("id=")]
        own = f"{namespace}-{given[0].removeprefix('id=')}" if given else f"{namespace}-{next(counter)}"
        return "--mount=" + ",".join([rest[0], f"id={own}", *rest[1:]])

    return MOUNT.sub(private, dockerfile)


def add_apt_package(dockerfile: str, recipe: Recipe, package: str = EXTRA_APT_PACKAGE) -> str:
    count = dockerfile.count(recipe.apt_anchor)
    if count != 1:
        raise ValueError(
            f"{recipe.dockerfile}: expected the apt list '{recipe.apt_anchor}' once, found it {count} times"
        )
    return dockerfile.replace(recipe.apt_anchor, f"{recipe.apt_anchor} {package}")


def prepare_context(recipe: Recipe, root: Path, destination: Path, namespace: str) -> Path:
    """A private copy of the template with the recipe's Dockerfile in place."""
    shutil.copytree(root / TEMPLATE, destination, ignore=shutil.ignore_patterns("wheelhouse", "__pycache__"))
    if not recipe.keeps_dockerignore:
        (destination / ".dockerignore").unlink(missing_ok=True)
    text = private_caches((root / recipe.dockerfile).read_text(encoding="utf-8"), namespace)
    (destination / recipe.context_path).write_text(text, encoding="utf-8")
    return destination


def edit_source(context: Path) -> None:
    with (context / "src" / "example.py").open("a", encoding="utf-8") as source:
        source.write("# edited by the bench\n")


def edit_apt(context: Path, recipe: Recipe) -> None:
    path = context / recipe.context_path
    path.write_text(add_apt_package(path.read_text(encoding="utf-8"), recipe), encoding="utf-8")
