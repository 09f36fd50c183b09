"""A Docker API proxy that labels what a run's commands create.

The page's shell gets DOCKER_HOST pointing at a socket of ours; every request
goes on to the real engine unchanged, except the calls that create something:
containers, networks, volumes and builds get the run's labels, and the tags a
build, commit or tag call names are recorded. Whatever makes the call (the
docker CLI, `make`, a script, `docker compose`) is attributed alike, and
nobody else's objects carry our labels, so clean-up can never take them.

Streams pass through as they come. A hijacked connection (`docker run -it`,
`exec`, attach, BuildKit's session) becomes a plain two-way pipe once the
engine switches protocols.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

# Bytes a request's start line and headers may take; beyond, the request is refused.
HEAD_LIMIT = 1024 * 1024
# Calls whose JSON body takes a "Labels" object.
_LABELLED_BODIES = ("/containers/create", "/networks/create", "/volumes/create")
# Calls that may hand the connection over to a raw stream (attach, exec start).
_HIJACKING = ("/attach", "/start")


@dataclass
class _Request:
    method: str
    path: str
    hijacked: bool = False
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    watch: _Watch | None = None  # for calls that create something


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
        for kind in _KINDS:
            getattr(self, kind).clear()
        if self.journal is not None:
            self.journal.write_text("", encoding="utf-8")

    @classmethod
    def read(cls, journal: Path) -> Recorded:
        recorded = cls()
        for line in journal.read_text(encoding="utf-8").splitlines():
            kind, _, value = line.partition(" ")
            if kind in _KINDS and value:
                getattr(recorded, kind).add(value)
        return recorded

    def owns(self, kind: str, name: str) -> bool:
        """Whether a name or (short) id given to a delete call is one of ours."""
        if kind == "images":
            name = name.removeprefix("sha256:")
            ids = {i.removeprefix("sha256:") for i in self.images}
            return _full_tag(name) in self.tags | self.explicit_tags or any(i.startswith(name) for i in ids)
        known: set[str] = getattr(self, kind)
        return name in known or (len(name) >= 4 and any(k.startswith(name) for k in known))


_KINDS = ("containers", "images", "networks", "volumes", "tags", "explicit_tags")
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
_DELETABLE = {"containers", "images", "networks", "volumes"}
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


class DockerProxy:
    """Serve `socket_path`, forwarding to the engine at `upstream` (a unix socket path)."""

    def __init__(self, socket_path: Path, upstream: str, labels: dict[str, str], journal: Path | None = None):
        self.socket_path = socket_path
        self.upstream = upstream
        self.labels = labels
        self.recorded = Recorded(journal)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="docker-proxy", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._failure: BaseException | None = None
        # asyncio keeps only weak references to tasks: a connection idle on one
        # side would otherwise be collected mid-stream, and its output lost.
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def docker_host(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> DockerProxy:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_unix_server(self._client, path=str(self.socket_path), limit=HEAD_LIMIT)
            )
        except OSError as error:
            self._failure = error
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        # Stopped: no new connections, and every open one ends here, not in a closed loop.
        self._server.close()
        tasks = asyncio.all_tasks(self._loop)
        for task in tasks:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        self._loop.close()

    def _keep(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _client(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        this = asyncio.current_task()
        if this is not None:
            self._keep(this)
        try:
            engine_r, engine_w = await asyncio.open_unix_connection(self.upstream)
        except OSError:
            await _answer_unreachable(client_w)
            return
        pending: asyncio.Queue[_Request] = asyncio.Queue()  # requests sent, awaiting their response
        upward = self._keep(asyncio.ensure_future(self._requests(client_r, engine_w, pending, client_w)))
        downward = self._keep(asyncio.ensure_future(self._responses(engine_r, client_w, pending)))
        try:
            await asyncio.wait({upward, downward})
        except asyncio.CancelledError:
            pass  # the proxy is stopping: end quietly (asyncio would log a cancelled connection)
        finally:
            for task in (upward, downward):
                task.cancel()
            for writer in (engine_w, client_w):
                with contextlib.suppress(Exception):
                    writer.close()

    async def _requests(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pending: asyncio.Queue[_Request],
        client_w: asyncio.StreamWriter,
    ) -> None:
        """Client to engine: requests, rewritten where they create something, refused
        where they would remove or prune what is not the run's."""
        try:
            while (head := await _read_head(reader)) is not None:
                request_line, headers = head
                method, target, version = request_line.split(" ", 2)
                request = _Request(method, _api_path(target))
                body = await _read_body(reader, headers) if method == "POST" and _is_small_json(request.path) else None
                refusal = await self._refusal(request, target, body)
                if refusal is not None:
                    await _answer(client_w, *refusal)
                    continue
                request.watch = await self._watch_for(request, target, body)
                await pending.put(request)
                if body is not None:
                    if request.path.endswith(_LABELLED_BODIES):
                        body = await self._label_body(request.path, body)
                    headers.set("Content-Length", str(len(body)))
                    headers.drop("transfer-encoding")
                    writer.write(_render(request_line, headers) + body)
                else:
                    if method == "POST":
                        target = self._note_target(request.path, target)
                    writer.write(_render(f"{method} {target} {version}", headers))
                    await _copy_body(reader, writer, headers)
                await writer.drain()
                if "upgrade" in headers.get("connection", "").lower() or request.path.endswith(_HIJACKING):
                    # Wait for the answer: a protocol switch turns this connection into a raw pipe.
                    await request.answered.wait()
                    if request.hijacked:
                        await _pipe(reader, writer)  # a raw stream now: bytes pass as they are
                        return
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()  # nothing the proxy could not read goes on unread
            return
        if writer.can_write_eof():
            writer.write_eof()  # the client is done sending

    async def _responses(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pending: asyncio.Queue[_Request]
    ) -> None:
        """Engine to client: responses as they stream; a protocol switch makes it raw."""
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while (head := await _read_head(reader)) is not None:
                status_line, headers = head
                writer.write(_render(status_line, headers))
                await writer.drain()
                request = pending.get_nowait() if not pending.empty() else _Request("GET", "")
                status = status_line.split(" ", 2)[1]
                content_type = headers.get("content-type", "")
                request.hijacked = status == "101" or "vnd.docker." in content_type
                request.answered.set()
                if request.hijacked:
                    break
                if request.method != "HEAD" and status not in ("204", "304"):
                    watch = request.watch if status.startswith("2") else None
                    await _copy_body(reader, writer, headers, response=True, watch=watch)
        await _pipe(reader, writer)

    async def _watch_for(self, request: _Request, target: str, body: bytes | None) -> _Watch | None:
        """What to look for in the answer to a call that creates something."""
        if request.method != "POST":
            return None
        query = dict(parse_qsl(urlsplit(target).query))
        if request.path.endswith("/images/create") and "fromImage" in query:
            # A pull makes a tag the run's only when that tag did not exist before it:
            # an updated tag stays its owner's. `pull --all-tags` (no tag) makes none ours.
            image, tag = query["fromImage"], query.get("tag", "")
            if not tag or await self._engine_call("GET", f"/images/{quote(f'{image}:{tag}', safe='')}/json") != 404:
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

    async def _refusal(self, request: _Request, target: str, body: bytes | None) -> tuple[int, str] | None:
        """A call that would remove or reuse what is not the run's: (status, message), else None."""
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and parts[-1] == "prune":
            return 403, "verify-tutorial: prune would remove objects that are not this run's; remove them by name"
        if request.method == "DELETE" and len(parts) >= 2 and parts[0] in _DELETABLE:
            kind, name = parts[0], "/".join(parts[1:])  # an image's name may hold slashes
            if (kind == "images" or len(parts) == 2) and not self.recorded.owns(kind, name):
                return 403, f"verify-tutorial: {kind[:-1]} {name} was not made by this run, so it is not removed"
        if request.method == "POST" and request.path.endswith("/volumes/create") and body:
            with contextlib.suppress(ValueError, AttributeError):
                name = json.loads(body).get("Name")
                exists = name and await self._engine_call("GET", f"/volumes/{quote(name)}") == 200
                if exists and name not in self.recorded.volumes:
                    return 409, f"verify-tutorial: volume {name} exists and is not this run's, so it is not used"
        return None

    async def _label_body(self, path: str, body: bytes) -> bytes:
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
        missing = await self._engine_call("GET", f"/volumes/{quote(name)}") == 404
        if missing and await self._engine_call("POST", "/volumes/create", {"Name": name, "Labels": self.labels}) == 201:
            self.recorded.note("volumes", name)

    async def _engine_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> int:
        """One request of the proxy's own on a fresh connection; returns the status (0 if none)."""
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        try:
            reader, writer = await asyncio.open_unix_connection(self.upstream)
            writer.write(head.encode() + b"\r\n" + data)
            await writer.drain()
            status_line = await reader.readline()
            writer.close()
            return int(status_line.split()[1])
        except (OSError, ValueError, IndexError):
            return 0

    def _note_target(self, path: str, target: str) -> str:
        """Record the tags a call creates; give builds and commits the run's labels."""
        parts = urlsplit(target)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if path.endswith("/build"):
            for key, value in query:
                if key == "t" and value:
                    self.recorded.note("tags", _full_tag(value))
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
                self.recorded.note("explicit_tags", _full_tag(f"{values['repo']}:{values.get('tag') or 'latest'}"))
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


def _api_path(target: str) -> str:
    """/v1.41/containers/create?name=x -> /containers/create"""
    path = unquote(urlsplit(target).path)
    if path.startswith("/v1."):
        path = "/" + path.split("/", 2)[2] if path.count("/") > 1 else "/"
    return path


def _full_tag(tag: str) -> str:
    last = tag.rsplit("/", 1)[-1]
    return tag if ":" in last or "@" in last else f"{tag}:latest"


class Headers(list[tuple[str, str]]):
    """Header lines in order, repeats kept (BuildKit's session sends one header many times)."""

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self if k.lower() == name), default)

    def has(self, name: str) -> bool:
        return any(k.lower() == name for k, _ in self)

    def drop(self, name: str) -> None:
        self[:] = [(k, v) for k, v in self if k.lower() != name]

    def set(self, name: str, value: str) -> None:
        self[:] = [(k, v) for k, v in self if k.lower() != name.lower()] + [(name, value)]


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, Headers] | None:
    """The start line and headers of one HTTP message; None at a clean EOF."""
    try:
        data = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise ConnectionError("request head over the proxy's limit") from None
    lines = data.decode("latin-1").split("\r\n")
    headers = Headers()
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return lines[0], headers


def _render(start_line: str, headers: Headers) -> bytes:
    text = start_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"
    return text.encode("latin-1")


async def _copy_body(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    headers: Headers,
    response: bool = False,
    watch: _Watch | None = None,
) -> None:
    """One message body: by length, by chunks, or (a closing response with neither) to EOF;
    `watch` sees the body's bytes as they pass."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    line = await reader.readuntil(b"\r\n")
                    writer.write(line)
                    if line == b"\r\n":
                        break
                await writer.drain()
                return
            piece = await reader.readexactly(size + 2)
            if watch is not None:
                watch.feed(piece[:-2])
            writer.write(piece)
            await writer.drain()
    elif headers.has("content-length"):
        left = int(headers.get("content-length"))
        while left:
            chunk = await reader.read(min(left, 65536))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", left)
            if watch is not None:
                watch.feed(chunk)
            writer.write(chunk)
            left -= len(chunk)
            await writer.drain()
    elif response and headers.get("connection", "").lower() == "close":
        await _pipe(reader, writer)


# Bodies read whole so they can be checked or labelled: small JSON documents.
_SMALL_JSON = _LABELLED_BODIES
MAX_SMALL_BODY = 4 * 1024 * 1024


def _is_small_json(path: str) -> bool:
    return path.endswith(_SMALL_JSON)


async def _read_body(reader: asyncio.StreamReader, headers: Headers) -> bytes:
    """A whole request body, sent with a length or in chunks."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return bytes(body)
            body += (await reader.readexactly(size + 2))[:-2]
            if len(body) > MAX_SMALL_BODY:
                raise ConnectionError("request body too large for a create call")
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_SMALL_BODY:
        raise ConnectionError("request body too large for a create call")
    return await reader.readexactly(length)


async def _answer(writer: asyncio.StreamWriter, status: int, message: str) -> None:
    """Answer the client ourselves, as the engine would answer an error."""
    body = json.dumps({"message": message}).encode()
    reason = {403: "Forbidden", 409: "Conflict", 431: "Request Header Fields Too Large"}.get(status, "Error")
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


async def _answer_unreachable(writer: asyncio.StreamWriter) -> None:
    body = b'{"message":"the Docker engine behind verify-tutorial is not answering"}'
    writer.write(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
