"""What the README's two commands do before they run: provision what this host lacks.

As root on Debian or Ubuntu, each missing piece (a Docker engine, the base
image, the browser for the tests, Graphviz for the site's pictures) is made by its step of conf/provision.sh,
one line saying what and why. Elsewhere the session stops with one line
naming the command to run. With NO_PROVISION=1 nothing is checked.

The noxfile imports this module; the tests import it too, so it needs nothing
but the standard library. `missing` and `advice` decide, `probe` looks, and
`ensure` ties them together.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The images, tools, browsers and sockets provision.sh makes: conf/facts.py's, which
# provision.sh reads too. CHROMIUM names a browser directly.
from facts import (
    BASE_IMAGES,
    BROWSERS,
    CLUSTER_ACCOUNT,
    CLUSTER_TOOLS,
    CURRENT_SOCK,
    ENGINE_HOST,
    NEWCOMER_ACCOUNT,
    READER_ACCOUNT,
    ROOTLESS_ACCOUNT,
)

DEFAULT_HOSTS = ("", ENGINE_HOST, "unix:///run/docker.sock")  # DOCKER_HOST naming the first engine, or unset
CURRENT_HOST = f"unix://{CURRENT_SOCK}"  # provision.sh engine-current's
INSTALL_DOCKER = "https://docs.docker.com/engine/install/"
PROVISION = "bash conf/provision.sh"


class SetupError(Exception):
    """The one line the session stops with."""


@dataclass(frozen=True)
class Host:
    """What the probe saw."""

    root: bool
    apt: bool  # Debian or Ubuntu: provision.sh's apt-get steps work here
    engine: str  # the engine DOCKER_HOST names: "default", "current" (provision.sh's second one) or the address
    engine_problem: str | None  # None when the engine answers, else why not (one line)
    missing_images: tuple[str, ...] = ()  # only known once the engine answers
    browser: bool | None = None  # None when the session needs none
    cluster: str | None = None  # what the cluster and sharing pages lack here, if anything
    accounts: tuple[str, ...] = ()  # the accounts the pages' commands run as that root lacks
    dot: bool | None = None  # Graphviz's dot, which draws the site's pictures; None when the session builds no site


@dataclass(frozen=True)
class Step:
    command: str  # a step of conf/provision.sh
    why: str  # what is missing
    action: str  # what the step does about it


def missing(host: Host) -> list[Step]:
    """The provision.sh steps this host needs, in order. The base images are
    looked at only once an engine answers, so they come after the engine."""
    steps = []
    if host.engine_problem is not None:
        if host.engine == "current":
            why = f"current Docker is not answering on {CURRENT_HOST} ({host.engine_problem})"
            steps.append(Step("engine-current", why, "installing and starting it, with the base image"))
        else:
            why = f"no Docker engine reachable ({host.engine_problem})"
            steps.append(Step("engine", why, "installing and starting Debian's docker.io"))
    elif host.missing_images:
        # The current engine's step copies the images from the first engine.
        command = "engine-current" if host.engine == "current" else "images"
        plural = "s" if len(host.missing_images) > 1 else ""
        why = f"base image{plural} {', '.join(host.missing_images)} missing"
        steps.append(Step(command, why, "pulling each, else building it from Debian's packages"))
    if host.accounts:
        why = f"no account {', '.join(host.accounts)} for the pages' commands (never run as root)"
        steps.append(Step("accounts", why, "making the accounts the pages' commands run as"))
    if host.browser is False:
        steps.append(Step("browser", "no Chromium for the browser test", "installing Debian's chromium"))
    if host.dot is False:
        steps.append(Step("docs", "no Graphviz (dot) for the site's pictures", "installing Debian's graphviz"))
    # Without these the cluster page's blocks skip, saying why; a host
    # that can install them does, one that cannot goes on.
    if host.cluster and host.root and host.apt and host.engine_problem is None:
        action = "installing Slurm and munge from Debian, and Apptainer from Debian unstable, unprivileged"
        steps.append(Step("cluster", host.cluster, action))
    return steps


def can_provision(host: Host, step: Step) -> bool:
    # An engine at some other address, and its images, are not this host's to make.
    here = ("browser", "accounts", "docs")
    return host.root and host.apt and (step.command in here or host.engine in ("default", "current"))


def advice(host: Host, steps: list[Step]) -> str:
    """The one line a host that cannot provision itself stops with: what is missing, and the command."""
    first = steps[0]
    again = "then run this again (NO_PROVISION=1 skips this check)"
    if first.command == "engine" and host.engine not in ("default", "current"):
        return f"the engine DOCKER_HOST names ({host.engine}) does not answer: start it, or unset DOCKER_HOST"
    if first.command == "engine" and "permission denied" in first.why.lower():
        # The engine runs; installing another would not let this user reach it.
        return f"{first.why}: add yourself to the docker group (sudo usermod -aG docker $USER, log in again), {again}"
    if host.apt:
        # One command for everything missing; `all` is the engine and then the base image.
        words = ["all" if step.command == "engine" else step.command for step in steps]
        sudo = "" if host.root else "sudo "
        return f"{first.why}: run '{sudo}{PROVISION} {' '.join(words)}', {again}"
    if first.command == "engine":
        return f"{first.why}: install and start Docker ({INSTALL_DOCKER}), {again}"
    if first.command == "browser":
        return f"{first.why}: install Chromium or Chrome, or set CHROMIUM to its binary, {again}"
    if first.command == "docs":
        return f"{first.why}: install Graphviz (https://graphviz.org/download/), {again}"
    return f"{first.why}: run '{PROVISION} {first.command}', {again}"


def probe(docker: str | None, needs_browser: bool) -> Host:
    """Look at this host: a few calls of the docker client, well under a second when all is there.
    A session that needs the browser builds the site too, so it needs dot as well."""
    address = os.environ.get("DOCKER_HOST", "")
    engine = "default" if address in DEFAULT_HOSTS else "current" if address == CURRENT_HOST else address
    problem = engine_problem(docker)
    images: tuple[str, ...] = ()
    if problem is None and docker is not None:
        images = tuple(image for image in BASE_IMAGES if not _docker(docker, "image", "inspect", image)[0])
    browser = None
    if needs_browser:
        browser = browser_binary() is not None
    cluster = cluster_problem() if problem is None else None
    root = os.geteuid() == 0
    accounts = missing_accounts() if root else ()
    dot = has_dot() if needs_browser else None
    return Host(root, is_debian_like(), engine, problem, images, browser, cluster, accounts, dot)


def probe_docs() -> Host:
    """Look at this host for a session that only builds the site: no engine, only dot."""
    return Host(os.geteuid() == 0, is_debian_like(), "default", None, dot=has_dot())


def has_dot() -> bool:
    return shutil.which("dot") is not None


def missing_accounts() -> tuple[str, ...]:
    """The accounts conf/verify.toml's roles name that this host lacks (root runs the
    pages as them; anyone else runs them as themselves, and needs none)."""
    accounts = (READER_ACCOUNT, CLUSTER_ACCOUNT, NEWCOMER_ACCOUNT, ROOTLESS_ACCOUNT)
    return tuple(name for name in accounts if not _exists(name))


def _exists(account: str) -> bool:
    try:
        pwd.getpwnam(account)
    except KeyError:
        return False
    return True


def browser_binary() -> str | None:
    """Debian's Chromium (or a Chrome) already installed; `playwright install` is never needed."""
    return os.environ.get("CHROMIUM") or next((path for path in map(shutil.which, BROWSERS) if path), None)


def cluster_problem() -> str | None:
    """What the cluster page needs and this host lacks, in words; None when nothing."""
    lacking = [tool for tool in CLUSTER_TOOLS if shutil.which(tool) is None]
    if lacking:
        return f"no {', '.join(lacking)} for the cluster page"
    # The wrapper earlier provisioning installed ran Apptainer in a container (it names
    # its image, verify-apptainer); provision.sh cluster replaces it by the native one.
    with open(shutil.which("apptainer") or os.devnull, "rb") as found:
        if b"verify-apptainer" in found.read(4096):
            return f"the apptainer at {shutil.which('apptainer')} is the old wrapper that ran it in a container"
    return None


def engine_problem(docker: str | None) -> str | None:
    if docker is None:
        return "no docker client"
    answered, error = _docker(docker, "version", "--format", "{{.Server.Version}}")
    if answered:
        return None
    # The client's last line says why: the daemon is not running, permission denied, ...
    # without the URL of the request that failed.
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    return re.split(r': (?:Get|Head|Post) "', lines[-1])[0][:160] if lines else "docker version failed"


def _docker(docker: str, *args: str) -> tuple[bool, str]:
    try:
        done = subprocess.run([docker, *args], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False, f"docker {args[0]} did not answer within 30 s"
    return done.returncode == 0, done.stderr


def is_debian_like(os_release: Path = Path("/etc/os-release")) -> bool:
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    names = {word for key in ("ID", "ID_LIKE") for word in fields.get(key, "").strip("\"'").split()}
    return bool(names & {"debian", "ubuntu"}) and shutil.which("apt-get") is not None


def run_step(command: str) -> None:
    done = subprocess.run(["bash", str(Path(__file__).with_name("provision.sh")), command])
    if done.returncode != 0:
        raise SetupError(f"'{PROVISION} {command}' failed (exit {done.returncode}); its last lines are above")


def ensure(
    look: Callable[[], Host],
    say: Callable[[str], None],
    run: Callable[[str], None] = run_step,
) -> None:
    """Run the steps `look` shows missing, one at a time, looking again after each;
    stop with a SetupError where this host cannot provision itself, or a step
    did not make what it should."""
    if os.environ.get("NO_PROVISION") == "1":
        return
    ran: set[str] = set()
    while steps := missing(host := look()):
        step = steps[0]
        if not can_provision(host, step):
            raise SetupError(advice(host, steps))
        if step.command in ran:
            raise SetupError(f"{step.why}, even after '{PROVISION} {step.command}'; see its output above")
        say(f"{step.why}: {step.action} ({PROVISION} {step.command})")
        run(step.command)
        ran.add(step.command)
