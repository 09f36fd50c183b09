"""Engines by the name the configuration gives; each is imported only when chosen,
so a project without Docker never loads the Docker SDK."""

from __future__ import annotations

import importlib

from ..errors import VerifyError
from .base import Engine

# name -> "module:class", relative to this package
ENGINES = {"docker": ".docker.session:DockerEngine", "none": ".none:NoEngine"}


def engine_for(name: str) -> type[Engine]:
    module, _, cls = ENGINES[name].partition(":")
    try:
        engine: type[Engine] = getattr(importlib.import_module(module, __name__), cls)
    except ImportError as error:  # an extra not installed: say which
        raise VerifyError(
            f'engine = "{name}" needs {error.name or "a package"}, which is not installed: '
            f"install the verifier with its {name} extra (pip install '/path/to/verify-tutorial[{name}]', "
            f'as you installed it), or set engine = "none" for plain shell pages'
        ) from None
    return engine
