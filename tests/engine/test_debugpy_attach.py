"""An editor attaches to debugpy in the template's editor image, as the guide says.

The test plays the editor: it starts the container the way docs/advanced.md does
(debugpy listening, waiting for a client, its port published on 127.0.0.1),
then speaks the Debug Adapter Protocol to it from the host with the attach
settings of the template's own .vscode/launch.json. It sets a breakpoint by the
host's path, stops there, reads a variable, continues, and the program runs to
its end: the container exits 0."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ROOT

PROJECT = ROOT / "docker-practice"
BREAK_AT = "    if not gpus:\n"  # the line the pdb section of advanced.md stops at too
PATIENCE = 120.0  # seconds to wait for an answer before calling the session hung


class DapClient:
    """Requests and messages of the Debug Adapter Protocol over one TCP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(PATIENCE)
        self.buffer = b""
        self.seq = 0
        self.events: list[dict] = []

    def send(self, command: str, **arguments: object) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
        data = body.encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        return self.seq

    def _read(self) -> dict:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = int(dict(line.split(b": ", 1) for line in header.split(b"\r\n"))[b"Content-Length"])
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(body)

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the debug adapter closed the connection")
        self.buffer += chunk

    def response(self, seq: int) -> dict:
        """The response to request `seq`, keeping the events that come before it."""
        while True:
            message = self._read()
            if message["type"] == "event":
                self.events.append(message)
            elif message["type"] == "response" and message["request_seq"] == seq:
                assert message["success"], message
                return message

    def event(self, name: str) -> dict:
        """The first event called `name`, whether it came already or comes next."""
        for index, seen in enumerate(self.events):
            if seen["event"] == name:
                return self.events.pop(index)
        while True:
            message = self._read()
            if message["type"] == "event" and message["event"] == name:
                return message
            if message["type"] == "event":
                self.events.append(message)

    def events_until_closed(self) -> list[dict]:
        """Every event still to come, up to the adapter closing the connection."""
        try:
            while True:
                message = self._read()
                if message["type"] == "event":
                    self.events.append(message)
        except ConnectionResetError:
            self.sock.close()
            return self.events

    def request(self, command: str, **arguments: object) -> dict:
        return self.response(self.send(command, **arguments))


def initialized_client(port: int) -> DapClient:
    """Connect and initialize. Until debugpy listens, Docker's port proxy accepts
    and then closes the connection, so a closed connection means: try again."""
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            client = DapClient(socket.create_connection(("127.0.0.1", port), timeout=PATIENCE))
            client.request(
                "initialize",
                clientID="vt-test",
                adapterID="debugpy",
                pathFormat="path",
                linesStartAt1=True,
                columnsStartAt1=True,
            )
            return client
        except (ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def attach_configuration(workspace: Path) -> dict:
    """The template's attach configuration, with ${workspaceFolder} as the editor fills it in."""
    launch = json.loads((PROJECT / ".vscode" / "launch.json").read_text())
    (config,) = [c for c in launch["configurations"] if c["request"] == "attach"]
    filled = json.dumps(config).replace("${workspaceFolder}", str(workspace))
    return json.loads(filled)


@pytest.fixture(scope="module")
def editor_image(tmp_path_factory):
    copy = tmp_path_factory.mktemp("template") / "docker-practice"
    shutil.copytree(PROJECT, copy)
    make = ["make", "-C", str(copy), f"IMAGE_NAME=vt_debugpy_{os.getpid()}"]
    subprocess.run([*make, "docker-build-editor"], check=True, capture_output=True)
    yield copy, f"vt_debugpy_{os.getpid()}_editor:latest"
    subprocess.run([*make, "clean"], capture_output=True)


@pytest.mark.docker
@pytest.mark.make
def test_an_editor_attaches_stops_at_a_breakpoint_and_the_program_runs_to_its_end(editor_image):
    copy, image = editor_image
    config = attach_configuration(copy)
    assert config["connect"] == {"host": "127.0.0.1", "port": 5678}
    name = f"vt_debugpy_{os.getpid()}"
    run_as = "4321:4321" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    subprocess.run(
        ["docker", "run", "--detach", "--name", name, "--user", run_as,
         "--volume", f"{copy}:/docker-practice", "--publish", "127.0.0.1::5678", image,
         "python", "-m", "debugpy", "--listen", "0.0.0.0:5678", "--wait-for-client", "src/example.py"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        published = subprocess.run(
            ["docker", "port", name, "5678/tcp"], check=True, capture_output=True, text=True
        ).stdout.split()[0]
        host, port = published.rsplit(":", 1)
        assert host == config["connect"]["host"]
        client = initialized_client(int(port))

        attach = client.send("attach", pathMappings=config["pathMappings"], justMyCode=config["justMyCode"])
        client.event("initialized")
        source = copy / "src" / "example.py"
        line = source.read_text().splitlines(keepends=True).index(BREAK_AT) + 1
        placed = client.request("setBreakpoints", source={"path": str(source)}, breakpoints=[{"line": line}])
        assert [b["verified"] for b in placed["body"]["breakpoints"]] == [True]
        client.request("configurationDone")
        client.response(attach)

        stopped = client.event("stopped")["body"]
        assert stopped["reason"] == "breakpoint"
        frames = client.request("stackTrace", threadId=stopped["threadId"])["body"]["stackFrames"]
        assert (frames[0]["source"]["path"], frames[0]["line"]) == (str(source), line)
        gpus = client.request("evaluate", expression="gpus", frameId=frames[0]["id"], context="watch")
        assert gpus["body"]["result"] == "[]"

        client.request("continue", threadId=stopped["threadId"])
        ended = client.events_until_closed()
        assert "terminated" in [e["event"] for e in ended], ended
        status = subprocess.run(["docker", "wait", name], check=True, capture_output=True, text=True)
        assert status.stdout.strip() == "0"
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
        assert "No CUDA GPU visible; computing on the CPU." in logs.stdout
    finally:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True)
