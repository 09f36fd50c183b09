"""Engines by the name the configuration gives; each is imported only when chosen,
so a project without Docker never loads the Docker SDK."""

from __future__ import annotations

import importlib

from .base import Engine

# name -> "module:class", relative to this package
ENGINES = {"docker": ".docker.session:DockerEngine", "none": ".none:NoEngine"}


def engine_for(name: str) -> type[Engine]:
    module, _, cls = ENGINES[name].partition(":")
    engine: type[Engine] = getattr(importlib.import_module(module, __name__), cls)
    return engine
