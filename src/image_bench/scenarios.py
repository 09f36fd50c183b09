"""One bench run of one recipe: a cold build, then the rebuilds a researcher causes all day."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import caches
from .builds import Build, docker_build, image_size, layers, packages_bytes
from .recipes import LOCK, Recipe, edit_apt, edit_source, prepare_context

SCENARIOS = ("cold", "source edit", "one more dependency", "apt package changed")


@dataclass
class RecipeRun:
    recipe: str
    image: str
    size_bytes: int = 0
    interpreter_image_bytes: int | None = None  # the base plus Python: the floor without packages
    packages_bytes: int | None = None  # the locked packages as installed
    builds: dict[str, Build] = field(default_factory=dict)
    layers: list[dict] = field(default_factory=list)


@dataclass
class Workspace:
    """Where one bench invocation builds, and what it must remove afterwards."""

    docker: str
    env: dict[str, str]
    root: Path  # the repository
    scratch: Path
    nonce: str
    engine: object  # docker.DockerClient, for the build-cache records
    cache_before: set[str] = field(default_factory=set)
    images: list[str] = field(default_factory=list)

    def tag(self, recipe: str, target: str, run: int, suffix: str = "") -> str:
        name = f"image-bench-{recipe}-{target}-{run}{suffix}:{self.nonce}"
        self.images.append(name)
        return name

    def clean(self) -> int:
        """Remove the images and build cache made so far; returns the cache bytes freed.
        Done after every run too, so no run can hit the layer cache of an earlier one."""
        if self.images:
            subprocess.run([self.docker, "image", "rm", "--force", *self.images], capture_output=True, env=self.env)
            self.images.clear()
        return caches.remove_new(self.engine, self.cache_before)


def run_recipe(ws: Workspace, recipe: Recipe, target: str, run: int, plus_one_lock: str | None, say) -> RecipeRun:
    """Cold build, then (when `plus_one_lock` is given) the three rebuilds in order."""
    namespace = f"image-bench-{ws.nonce}-{recipe.name}-{target}-{run}"
    context = prepare_context(recipe, ws.root, ws.scratch / namespace, namespace)
    result = RecipeRun(recipe.name, ws.tag(recipe.name, target, run))

    def build(scenario: str, *extra: str) -> None:
        say(f"{recipe.name} ({target}, run {run}): {scenario} build")
        # Each build keeps its own tag, so no build leaves an untagged image behind.
        tag = result.image if scenario == "cold" else ws.tag(recipe.name, target, run, "-" + scenario.replace(" ", "-"))
        done = docker_build(ws.docker, context, recipe.context_path, tag, ws.env, *recipe.build_args, *extra)
        result.builds[scenario] = done
        fetched = "" if done.downloaded_bytes is None else f", {done.downloaded_bytes / 1e6:.1f} MB fetched"
        say(f"  {done.seconds:.1f} s, {done.steps_run} steps ran{fetched}")

    build("cold", "--no-cache")
    result.layers = layers(ws.docker, result.image, ws.env)  # one docker save gives both
    result.size_bytes = sum(layer["bytes"] for layer in result.layers)
    if recipe.floor_stage:
        stage = ws.tag(recipe.name, target, run, f"-{recipe.floor_stage}")
        docker_build(ws.docker, context, recipe.context_path, stage, ws.env, "--target", recipe.floor_stage)
        result.interpreter_image_bytes = image_size(ws.docker, stage, ws.env)
        result.packages_bytes = packages_bytes(ws.docker, result.image, ws.env)
    if plus_one_lock is None:
        return result
    edit_source(context)
    build("source edit")
    (context / LOCK).write_text(plus_one_lock, encoding="utf-8")
    build("one more dependency")
    edit_apt(context, recipe)
    build("apt package changed")
    return result
