"""One run's hold on the Docker engine: lock, reaper, proxy, names, clean-up.

session = EngineSession(settings.root)
session.open(wait=True, say=print)     # connect, lock, reap dead runs, start the proxy
session.ensure_names_free(wanted)      # every taken name at once, or NameTaken
env["DOCKER_HOST"] = session.docker_host
...                                    # the page's commands
session.clean_up(say)                  # what this run created; nothing else
session.close()                        # stop the proxy, release the lock
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from . import engine, ownership
from .enginelock import EngineLock
from .errors import EngineLost, EngineUnreachable, NameTaken
from .proxy import DockerProxy

# What a lost engine looks like from docker-py.
ENGINE_ERRORS = (requests.exceptions.ConnectionError, docker.errors.DockerException, OSError)


def upstream_socket() -> str:
    """The engine's unix socket, as the docker CLI would find it from DOCKER_HOST."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise EngineUnreachable(
            f"DOCKER_HOST={host}: only a local engine on a unix socket can be verified against; "
            "unset DOCKER_HOST or point it at unix:///path/to/docker.sock"
        )
    return host[len("unix://") :]


class Profile:
    """What a run's pages work against. This base is for pages of plain shell
    commands: nothing to connect to, own or clean up. EngineSession is Docker's."""

    version = "none"

    def __init__(self, clone: Path):
        self.identity = ownership.RunIdentity.new(clone)
        self._opened = False

    @property
    def is_open(self) -> bool:
        return self._opened

    def open(self, wait: bool, say: Callable[[str], None]) -> None:
        """Connect and take hold of what the pages need (here: end dead runs' services)."""
        ownership.reap_services(say)
        self._opened = True

    def env(self) -> dict[str, str]:
        """Variables the page's commands need to reach it."""
        return {}

    def ensure_names_free(self, wanted: dict[tuple[str, str], str]) -> None:
        """Refuse names the pages create that exist already."""

    def clean_up(self) -> list[str]:
        """Remove what the run created so far; returns what, as words."""
        return []

    def reachable(self) -> bool:
        return True

    def close(self) -> None:
        """Let go of everything open() took."""


def profile_for(engine: str, clone: Path) -> Profile:
    return EngineSession(clone) if engine == "docker" else Profile(clone)


class EngineSession(Profile):
    def __init__(self, clone: Path):
        super().__init__(clone)
        self.client: docker.DockerClient | None = None
        self.version = "unknown"
        self._lock: EngineLock | None = None
        self._proxy: DockerProxy | None = None
        self._proxy_dir: Path | None = None
        # Image names the pages create, checked free before the run: this run's to remove.
        # A build through buildx (every client from 23 on) talks BuildKit's gRPC, where
        # the proxy sees neither its tags nor a place for labels.
        self._image_names: set[str] = set()

    @property
    def is_open(self) -> bool:
        return self._proxy is not None

    def env(self) -> dict[str, str]:
        assert self._proxy is not None, "open() first"
        return {"DOCKER_HOST": self._proxy.docker_host}

    def open(self, wait: bool, say: Callable[[str], None]) -> None:
        if self.is_open:
            return
        upstream = upstream_socket()
        self.client = engine.connect()
        info = self.client.info()
        self.version = self.client.version().get("Version", "unknown")
        self._lock = EngineLock(info.get("ID") or upstream, self._holder())
        self._lock.acquire(wait, say)
        try:
            ownership.reap(self.client, say)
        except ENGINE_ERRORS as error:
            raise EngineLost(f"the engine stopped answering while starting ({_first_line(error)})") from None
        self._proxy_dir = self.identity.temp_dir("proxy")
        (self._proxy_dir / ownership.IDENTITY).write_text(
            f"{self.identity.run_id}\n{self.identity.describe()}\n", encoding="utf-8"
        )
        journal = self._proxy_dir / ownership.JOURNAL
        self._proxy = DockerProxy(self._proxy_dir / "docker.sock", upstream, self.identity.labels, journal).start()

    def ensure_names_free(self, wanted: dict[tuple[str, str], str]) -> None:
        """Refuse, listing every one at once, names the pages create that exist and are not ours."""
        assert self.client is not None
        taken = [(kind, name, where) for (kind, name), where in sorted(wanted.items()) if self._exists(kind, name)]
        if not taken:
            self._image_names = {name for kind, name in wanted if kind == "image"}
            self._claim_image_names()
            return
        listed = "; ".join(f"{kind} '{name}' ({where})" for kind, name, where in taken)
        commands = " && ".join(_removal_command(kind, name) for kind, name, _ in taken)
        raise NameTaken(
            f"the guide creates names that already exist and are not this run's: {listed}. "
            f"If they are yours to lose, remove them ({commands}), or rename them; then run again"
        )

    def clean_up(self) -> list[str]:
        """Remove what this run's commands created so far; returns what, as words.
        Raises EngineLost if the engine does not answer."""
        assert self.client is not None and self._proxy is not None
        recorded = self._proxy.recorded
        try:
            removed = ownership.remove_recorded(self.client, recorded, self.identity.run_id)
        except ENGINE_ERRORS as error:
            raise EngineLost(f"the engine stopped answering during clean-up ({_first_line(error)})") from None
        recorded.clear()
        self._claim_image_names()
        return removed

    def _claim_image_names(self) -> None:
        """The image names the pages create, checked free before the run, are the run's:
        noted as if a tag call had made them (in the journal too, for the reaper)."""
        if self._proxy is not None:
            for name in sorted(self._image_names - self._proxy.recorded.explicit_tags):
                self._proxy.recorded.note("explicit_tags", name)

    def reachable(self) -> bool:
        try:
            return self.client is not None and bool(self.client.ping())
        except ENGINE_ERRORS:
            return False

    def close(self) -> None:
        """Stop the proxy and let go of the engine. The journal stays if it still names
        objects (a clean-up that could not finish): the next run's reaper reads it."""
        if self._proxy is not None:
            self._proxy.stop()
            outstanding = self._proxy.recorded.outstanding()
            self._proxy = None
            if self._proxy_dir is not None and not outstanding:
                shutil.rmtree(self._proxy_dir, ignore_errors=True)
            self._proxy_dir = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _holder(self) -> dict[str, str]:
        i = self.identity
        return {"pid": str(i.pid), "clone": i.clone, "started": i.started, "run": i.run_id}

    def _exists(self, kind: str, name: str) -> bool:
        assert self.client is not None
        lookup = {
            "container": self.client.containers.get,
            "image": self.client.images.get,
            "network": self.client.networks.get,
            "volume": self.client.volumes.get,
        }[kind]
        try:
            lookup(name)
        except docker.errors.NotFound:
            return False
        return True


def _removal_command(kind: str, name: str) -> str:
    return {
        "container": f"docker rm --force {name}",
        "image": f"docker image rm {name}",
        "network": f"docker network rm {name}",
        "volume": f"docker volume rm {name}",
    }[kind]


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:160]
