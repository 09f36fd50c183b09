"""Docker's names: the kinds of objects a run may own, how a tag is completed,
which names a command creates, how the engine says one is taken."""

from __future__ import annotations

import re
import shlex

# The kinds of objects a run owns, as the CLI names them; the API's paths are their plurals.
KINDS = ("container", "image", "network", "volume")
API_KINDS = frozenset(f"{kind}s" for kind in KINDS)
REMOVAL = {
    "container": "docker rm --force {}",
    "image": "docker image rm {}",
    "network": "docker network rm {}",
    "volume": "docker volume rm {}",
}


def full_tag(name: str) -> str:
    """An image reference with its tag: `app` is `app:latest`, and so is `localhost:5000/app`
    (a port is not a tag); a digest reference stays as it is."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def names_used(command: str) -> set[tuple[str, str]]:
    """(kind, name) of what a docker command would create under a name of its choosing."""
    try:
        words = shlex.split(command.replace("\\\n", " "), comments=True)
    except ValueError:
        return set()
    names: set[tuple[str, str]] = set()
    for i, word in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else None
        if word == "--name" and value and ("run" in words[:i] or "create" in words[:i]):
            names.add(("container", value))
        elif word.startswith("--name="):
            names.add(("container", word.split("=", 1)[1]))
        elif word == "tag" and i > 0 and words[i - 1] in ("docker", "image") and i + 2 < len(words):
            names.add(("image", full_tag(words[i + 2])))  # docker tag SOURCE TARGET
        elif word in ("--tag", "-t") and value and "build" in words[:i]:
            names.add(("image", full_tag(value)))
        elif word.startswith("--tag="):
            names.add(("image", full_tag(word.split("=", 1)[1])))
        elif word in ("network", "volume") and value == "create" and i + 2 < len(words):
            names.add((word, words[-1]))
    return names


# How the engine refuses a name that is taken (containers; networks and volumes differ).
_NAME_CONFLICT = re.compile(
    r'Conflict\. The (?P<kind>container) name "/(?P<name>[^"]+)" is already in use'
    r"|network with name (?P<network>\S+) already exists"
)


def name_collision(output: str) -> str | None:
    """ "container name dp" when a command's output is the engine refusing a taken name."""
    match = _NAME_CONFLICT.search(output)
    if match is None:
        return None
    if match["network"]:
        return f"network name {match['network']}"
    return f"container name {match['name']}"


def wants_terminal(command: str) -> bool:
    """`docker exec -it` / `docker run -it` fail without a terminal, as for a reader with none."""
    words = command.split()
    return (
        any(w in ("-it", "-ti", "--tty", "-t") for w in words)
        and any(w in ("exec", "run") for w in words)
        and not any(w in ("-d", "-dt", "-td", "--detach") for w in words)
    )
