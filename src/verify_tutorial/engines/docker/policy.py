"""Docker's rules for the relay: what a run's calls create is labelled and recorded,
and what would remove or reuse someone else's objects is refused.

The page's shell gets DOCKER_HOST pointing at the relay's socket. Calls that
create something (containers, networks, volumes, builds) get the run's labels,
and what the engine answers that it made is recorded in the journal. Whatever
makes the call (the docker CLI, `make`, a script, `docker compose`) is
attributed alike, and nobody else's objects carry our labels, so clean-up can
never take them. Deletes of what the run did not make, and prunes, are refused.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .journal import Recorded
from .names import API_KINDS, full_tag
from .relay import Relay, Request, Watch, call

# Calls whose JSON body takes a "Labels" object; their bodies are read whole.
_LABELLED_BODIES = ("/containers/create", "/networks/create", "/volumes/create")
# What a response says was created, by the call that asked (found anywhere in its body).
_CREATED = {
    "/containers/create": ("containers", re.compile(rb'"Id":\s*"([0-9a-f]{64})"')),
    "/networks/create": ("networks", re.compile(rb'"Id":\s*"([0-9a-f]{64})"')),
    "/volumes/create": ("volumes", re.compile(rb'"Name":\s*"([^"]+)"')),
    "/commit": ("images", re.compile(rb'"Id":\s*"(sha256:[0-9a-f]{64})"')),
    # BuildKit's result, `docker load` and `docker import` stream these.
    "/build": ("images", re.compile(rb'"ID":\s*"(sha256:[0-9a-f]{64})"')),
    "/images/load": ("images", re.compile(rb"Loaded image ID: (sha256:[0-9a-f]{64})")),
    "/images/create": ("images", re.compile(rb'"status":\s*"(sha256:[0-9a-f]{64})"')),
}
_PULLED = re.compile(rb'"status":\s*"Status: Downloaded newer image for ([^"\s]+:[^"\s/]+)"')


class _Watch:
    """Scans a response body as it streams past for what it says was created."""

    CARRY = 512  # bytes kept between pieces, so a match split across them is found

    def __init__(self, recorded: Recorded, kind: str, pattern: re.Pattern[bytes], also: str | None = None):
        self.recorded, self.kind, self.pattern = recorded, kind, pattern
        self.also = also  # a name given to the create call: ours only once the engine made it
        self.tail = b""

    def feed(self, data: bytes) -> None:
        window = self.tail + data
        for match in self.pattern.finditer(window):
            for value in (match.group(1).decode(), self.also):
                if value and value not in getattr(self.recorded, self.kind):
                    self.recorded.note(self.kind, value)
        self.tail = window[-self.CARRY :]


class DockerPolicy:
    def __init__(self, upstream: str, labels: dict[str, str], recorded: Recorded):
        self.upstream = upstream
        self.labels = labels
        self.recorded = recorded

    def reads_body(self, request: Request) -> bool:
        return request.method == "POST" and request.path.endswith(_LABELLED_BODIES)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> int:
        return await call(self.upstream, method, path, body)

    async def watch_for(self, request: Request, target: str, body: bytes | None) -> Watch | None:
        """What to look for in the answer to a call that creates something."""
        if request.method != "POST":
            return None
        query = dict(parse_qsl(urlsplit(target).query))
        if request.path.endswith("/images/create") and "fromImage" in query:
            # A pull makes a tag the run's only when that tag did not exist before it:
            # an updated tag stays its owner's. `pull --all-tags` (no tag) makes none ours.
            image, tag = query["fromImage"], query.get("tag", "")
            if not tag or await self._call("GET", f"/images/{quote(f'{image}:{tag}', safe='')}/json") != 404:
                return None
            return _Watch(self.recorded, "explicit_tags", _PULLED)
        for suffix, (kind, pattern) in _CREATED.items():
            if request.path.endswith(suffix):
                name = dict(parse_qsl(urlsplit(target).query)).get("name") if kind == "containers" else None
                if kind == "networks" and body:
                    with contextlib.suppress(ValueError, AttributeError):
                        name = json.loads(body).get("Name")
                return _Watch(self.recorded, kind, pattern, also=name)
        return None

    async def refusal(self, request: Request, target: str, body: bytes | None) -> tuple[int, str] | None:
        """A call that would remove or reuse what is not the run's: (status, message), else None."""
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and parts[-1] == "prune":
            return 403, "verify-tutorial: prune would remove objects that are not this run's; remove them by name"
        if request.method == "DELETE" and len(parts) >= 2 and parts[0] in API_KINDS:
            kind, name = parts[0], "/".join(parts[1:])  # an image's name may hold slashes
            if (kind == "images" or len(parts) == 2) and not self.recorded.owns(kind, name):
                return 403, f"verify-tutorial: {kind[:-1]} {name} was not made by this run, so it is not removed"
        if request.method == "POST" and request.path.endswith("/volumes/create") and body:
            with contextlib.suppress(ValueError, AttributeError):
                name = json.loads(body).get("Name")
                exists = name and await self._call("GET", f"/volumes/{quote(name)}") == 200
                if exists and name not in self.recorded.volumes:
                    return 409, f"verify-tutorial: volume {name} exists and is not this run's, so it is not used"
        return None

    async def rewrite_body(self, request: Request, body: bytes) -> bytes:
        """A create call's JSON gets the run's labels."""
        path = request.path
        try:
            config = json.loads(body or b"{}")
        except ValueError:
            return body  # not ours to judge: the engine will answer it
        if not isinstance(config, dict):
            return body
        config["Labels"] = {**(config.get("Labels") or {}), **self.labels}
        if path.endswith("/containers/create"):
            for name in _named_volumes(config):
                await self._create_volume_if_missing(name)
        return json.dumps(config).encode()

    async def _create_volume_if_missing(self, name: str) -> None:
        """`-v name:/path` would make the volume on the fly, unlabelled; make it first, labelled.
        A volume that exists already is left as it is: it is not ours."""
        missing = await self._call("GET", f"/volumes/{quote(name)}") == 404
        if missing and await self._call("POST", "/volumes/create", {"Name": name, "Labels": self.labels}) == 201:
            self.recorded.note("volumes", name)

    def rewrite_target(self, request: Request, target: str) -> str:
        """Record the tags a call creates; give builds and commits the run's labels."""
        if request.method != "POST":
            return target
        path = request.path
        parts = urlsplit(target)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if path.endswith("/build"):
            for key, value in query:
                if key == "t" and value:
                    self.recorded.note("tags", full_tag(value))
            labels = {}
            for key, value in query:
                if key == "labels" and value:
                    with contextlib.suppress(ValueError):
                        labels.update(json.loads(value))
            labels.update(self.labels)
            query = [(k, v) for k, v in query if k != "labels"] + [("labels", json.dumps(labels))]
        elif path.endswith("/commit") or (path.startswith("/images/") and path.endswith("/tag")):
            values = dict(query)
            if values.get("repo"):
                self.recorded.note("explicit_tags", full_tag(f"{values['repo']}:{values.get('tag') or 'latest'}"))
        else:
            return target
        return parts._replace(query=urlencode(query)).geturl()


def _named_volumes(config: dict[str, Any]) -> set[str]:
    host = config.get("HostConfig") or {}
    names = set()
    for bind in host.get("Binds") or ():
        source = bind.split(":", 1)[0]
        if ":" in bind and source and not source.startswith(("/", ".", "~")):
            names.add(source)
    for mount in host.get("Mounts") or ():
        if mount.get("Type") == "volume" and mount.get("Source"):
            names.add(mount["Source"])
    return names


class DockerProxy(Relay):
    """The relay with Docker's rules, recording into `journal`."""

    def start(self) -> DockerProxy:
        super().start()
        return self

    def __init__(self, socket_path: Path, upstream: str, labels: dict[str, str], journal: Path | None = None):
        self.recorded = Recorded(journal)
        super().__init__(socket_path, upstream, DockerPolicy(upstream, labels, self.recorded))
