"""Docker as a run's engine: lock, reaper, proxy, names, clean-up (the Engine
interface of engines/base.py).

open() connects, takes the engine's lock, reaps what dead runs left and starts
the relay; the page's commands reach the engine through the relay only, so what
they create is recorded and labelled as the run's.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import docker
import docker.errors
import requests.exceptions

from ...errors import EngineLost, EngineUnreachable, NameTaken
from ...execution.identity import RunIdentity
from . import client, names, removal
from .journal import IDENTITY, JOURNAL
from .labels import labels_for
from .lock import EngineLock
from .policy import DockerProxy

# What an account's client configuration takes from the verifier's: how the client
# finds its plugins and what it calls them; never logins or credential helpers.
CLIENT_SETTINGS = ("cliPluginsExtraDirs", "aliases", "features")

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


class DockerEngine:
    name: ClassVar[str] = "docker"
    reservable: ClassVar[tuple[str, ...]] = names.KINDS

    def __init__(self, identity: RunIdentity, hint: str = ""):
        self.identity = identity
        self.hint = hint  # how this project provisions an engine, for the one-line errors
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

    def shell_env(self) -> dict[str, str]:
        env = {
            "DOCKER_BUILDKIT": "1",  # for Docker clients before 23; later ones always use BuildKit
            "BUILDKIT_PROGRESS": "plain",  # line-by-line build logs, streamable and readable
        }
        # The docker CLI finds its plugins (buildx) and contexts in the user's config;
        # keep pointing there, since HOME becomes the page's own.
        # (Said here even where the environment sets it, so that a shell run as another
        # account, which starts from a login's environment, gets its copy: account_env.)
        user_config = Path(os.environ.get("HOME", "~")).expanduser() / ".docker"
        if os.environ.get("DOCKER_CONFIG"):
            env["DOCKER_CONFIG"] = os.environ["DOCKER_CONFIG"]
        elif user_config.is_dir():
            env["DOCKER_CONFIG"] = str(user_config)
        return env

    def account_env(self, home: Path, env: dict[str, str]) -> dict[str, str]:
        # Where the client finds its plugins (buildx), as a configuration in the
        # account's home: the verifier's own folder may be unreadable to it (root's
        # home), buildx writes its state beside the configuration, and nothing
        # else of it (registry logins!) is the account's to see.
        if "DOCKER_CONFIG" not in env:
            return {}
        source, config = Path(env["DOCKER_CONFIG"]), home / ".docker"
        config.mkdir(exist_ok=True)
        try:
            settings = json.loads((source / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            settings = {}
        kept = {key: settings[key] for key in CLIENT_SETTINGS if isinstance(settings, dict) and key in settings}
        (config / "config.json").write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
        plugins = source / "cli-plugins"
        if plugins.is_dir() and all(folder.stat().st_mode & 0o001 for folder in (plugins, *plugins.parents)):
            (config / "cli-plugins").symlink_to(plugins)  # only where the account can enter it
        return {"DOCKER_CONFIG": str(config)}

    def check(self, env: dict[str, str]) -> None:
        client.check_buildkit(env, self.hint)

    def names_in(self, command: str) -> set[tuple[str, str]]:
        return names.names_used(command)

    def lost_words(self) -> str:
        return "the Docker engine stopped answering; start it again and rerun"

    def collision(self, output: str) -> str | None:
        return names.name_collision(output)

    def wants_terminal(self, command: str) -> bool:
        return names.wants_terminal(command)

    def open(self, wait: bool, say: Callable[[str], None]) -> None:
        if self.is_open:
            return
        upstream = upstream_socket()
        self.client = client.connect(self.hint)
        info = self.client.info()
        self.version = self.client.version().get("Version", "unknown")
        self._lock = EngineLock(info.get("ID") or upstream, self._holder())
        self._lock.acquire(wait, say)
        try:
            removal.reap(self.client, say)
        except ENGINE_ERRORS as error:
            raise EngineLost(f"the engine stopped answering while starting ({_first_line(error)})") from None
        self._proxy_dir = self.identity.temp_dir("proxy")
        # The run's alone (the folder is enterable, for the relay's socket in it).
        (self._proxy_dir / IDENTITY).touch(mode=0o600)
        (self._proxy_dir / IDENTITY).write_text(
            f"{self.identity.run_id}\n{self.identity.describe()}\n", encoding="utf-8"
        )
        journal = self._proxy_dir / JOURNAL
        journal.touch(mode=0o600)
        labels = labels_for(self.identity)
        self._proxy = DockerProxy(self._proxy_dir / "docker.sock", upstream, labels, journal).start()

    def ensure_names_free(self, wanted: dict[tuple[str, str], str]) -> None:
        """Refuse, listing every one at once, names the pages create that exist and are not ours."""
        assert self.client is not None
        taken = [(kind, name, where) for (kind, name), where in sorted(wanted.items()) if self._exists(kind, name)]
        if not taken:
            self._image_names = {name for kind, name in wanted if kind == "image"}
            self._claim_image_names()
            return
        listed = "; ".join(f"{kind} '{name}' ({where})" for kind, name, where in taken)
        commands = " && ".join(names.REMOVAL[kind].format(name) for kind, name, _ in taken)
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
            removed = removal.remove_recorded(self.client, recorded, self.identity.run_id)
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


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:160]
