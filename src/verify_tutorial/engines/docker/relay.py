"""An HTTP relay on a unix socket, in front of an engine's own socket.

Every request goes on to the engine unchanged, except where the policy says
otherwise: it may refuse a request, read a small request body whole and rewrite
it, rewrite a request's target, and watch a response body as it streams past.
Streams pass through as they come. A hijacked connection (`docker run -it`,
`exec`, attach, BuildKit's session) becomes a plain two-way pipe once the
engine switches protocols. What the rules are is the policy's (policy.py);
this module knows only HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

# Bytes a request's start line and headers may take; beyond, the request is refused.
HEAD_LIMIT = 1024 * 1024
# Calls that may hand the connection over to a raw stream (attach, exec start).
_HIJACKING = ("/attach", "/start")


class Watch(Protocol):
    def feed(self, data: bytes) -> None: ...


@dataclass
class Request:
    method: str
    path: str  # the API path without its version prefix: /containers/create
    hijacked: bool = False
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    watch: Watch | None = None  # sees the body of a successful answer


class Policy(Protocol):
    """What the relay asks about each request."""

    def reads_body(self, request: Request) -> bool:
        """Whether to read this request's body whole (to check or rewrite it)."""
        ...

    async def refusal(self, request: Request, target: str, body: bytes | None) -> tuple[int, str] | None:
        """(status, message) to answer instead of the engine, or None to pass it on."""
        ...

    async def watch_for(self, request: Request, target: str, body: bytes | None) -> Watch | None: ...

    async def rewrite_body(self, request: Request, body: bytes) -> bytes: ...

    def rewrite_target(self, request: Request, target: str) -> str:
        """The target of a request whose body streams past unread."""
        ...


def _same_access(socket_path: Path, upstream: str) -> None:
    """Whoever may use the engine's socket may use the relay's, and no one else. Run
    by root, whose pages run as other accounts: the engine socket's group (docker)
    and mode. Run by anyone else, whose pages run as that user: that user alone."""
    if os.geteuid() != 0:
        os.chmod(socket_path, 0o600)
        return
    try:
        engine = os.stat(upstream)
    except OSError:  # not there (yet): each connection will say it is unreachable
        os.chmod(socket_path, 0o600)
        return
    os.chown(socket_path, -1, engine.st_gid)
    os.chmod(socket_path, stat.S_IMODE(engine.st_mode) & 0o770)
    socket_path.parent.chmod(0o711)  # enterable; what else is in it is root's alone (0600)


class Relay:
    """Serve `socket_path`, forwarding to the engine at `upstream` (a unix socket path)."""

    def __init__(self, socket_path: Path, upstream: str, policy: Policy):
        self.socket_path = socket_path
        self.upstream = upstream
        self.policy = policy
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="engine-relay", daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._failure: BaseException | None = None
        # asyncio keeps only weak references to tasks: a connection idle on one
        # side would otherwise be collected mid-stream, and its output lost.
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def docker_host(self) -> str:
        """The address clients are given (DOCKER_HOST's form)."""
        return f"unix://{self.socket_path}"

    def start(self) -> Relay:
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
            _same_access(self.socket_path, self.upstream)
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
        pending: asyncio.Queue[Request] = asyncio.Queue()  # requests sent, awaiting their response
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
        pending: asyncio.Queue[Request],
        client_w: asyncio.StreamWriter,
    ) -> None:
        """Client to engine: requests, rewritten where they create something, refused
        where they would remove or prune what is not the run's."""
        try:
            while (head := await _read_head(reader)) is not None:
                request_line, headers = head
                method, target, version = request_line.split(" ", 2)
                request = Request(method, _api_path(target))
                body = await _read_body(reader, headers) if self.policy.reads_body(request) else None
                refusal = await self.policy.refusal(request, target, body)
                if refusal is not None:
                    await _answer(client_w, *refusal)
                    continue
                request.watch = await self.policy.watch_for(request, target, body)
                await pending.put(request)
                if body is not None:
                    body = await self.policy.rewrite_body(request, body)
                    headers.set("Content-Length", str(len(body)))
                    headers.drop("transfer-encoding")
                    writer.write(_render(request_line, headers) + body)
                else:
                    target = self.policy.rewrite_target(request, target)
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
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pending: asyncio.Queue[Request]
    ) -> None:
        """Engine to client: responses as they stream; a protocol switch makes it raw."""
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while (head := await _read_head(reader)) is not None:
                status_line, headers = head
                writer.write(_render(status_line, headers))
                await writer.drain()
                request = pending.get_nowait() if not pending.empty() else Request("GET", "")
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


async def call(upstream: str, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    """One request of the proxy's own on a fresh connection; returns the status (0 if none)."""
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    try:
        reader, writer = await asyncio.open_unix_connection(upstream)
        writer.write(head.encode() + b"\r\n" + data)
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        return int(status_line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _api_path(target: str) -> str:
    """/v1.41/containers/create?name=x -> /containers/create"""
    path = unquote(urlsplit(target).path)
    if path.startswith("/v1."):
        path = "/" + path.split("/", 2)[2] if path.count("/") > 1 else "/"
    return path


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
    watch: Watch | None = None,
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


# Request bodies the policy reads whole (to check or rewrite them) are small JSON documents.
MAX_SMALL_BODY = 4 * 1024 * 1024


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
                raise ConnectionError("request body too large for the relay to read")
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_SMALL_BODY:
        raise ConnectionError("request body too large for the relay to read")
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
    body = b'{"message":"the engine behind verify-tutorial is not answering"}'
    writer.write(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
