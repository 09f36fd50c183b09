"""The names, paths and images the provisioning and the site share, each written once: here.

Python imports them (conf/host_setup.py, docs/conf.py). Bash reads them as shell
assignments that this module prints, arrays as bash arrays:

    eval "$(python3 conf/facts.py)"

The settings provision.sh has always let a caller change (OVERRIDABLE below)
are printed with the caller's environment variable of the same name where it is
set and not empty, a list split at whitespace: `BASE_IMAGES="a:1 b:2" bash
conf/provision.sh images`. Importing the module gives the defaults only.

Standard library only, and nothing but constants and `main`: the noxfile, the
tests and the docs build import it, and a fresh host runs it before anything
is installed.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

# -- Base images ---------------------------------------------------------------
DEBIAN_IMAGE = "debian:trixie-slim"  # the guide's base; built by debootstrap where no registry answers
REGISTRY_IMAGE = "registry:3"  # the registry page's; built FROM DEBIAN_IMAGE where none can be pulled
BASE_IMAGES = (DEBIAN_IMAGE, REGISTRY_IMAGE)  # what `provision.sh images` makes, in this order
DEBIAN_MIRROR = "http://deb.debian.org/debian"  # the archive debootstrap and the unstable suite come from
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"  # trusted by pip in a base image built here

# -- The first engine: Debian 12's docker.io ------------------------------------
ENGINE_HOST = "unix:///var/run/docker.sock"  # its address (dockerd's default socket)
DOCKERD_LOG = "/tmp/dockerd.log"  # its log, where provision.sh starts it

# -- Current Docker: Debian unstable's, containerd image store, beside the first --
CURRENT_SUITE = "sid"  # the Debian suite it (and Apptainer) comes from
CURRENT_PACKAGES = ("docker.io", "docker-cli", "docker-buildx", "containerd")  # fetched and unpacked, not installed
CURRENT_PREFIX = "/opt/docker-current"  # where they are unpacked (apt would replace Debian 12's libc)
CURRENT_DATA = "/var/lib/docker-current"  # its data root
CURRENT_EXEC = "/run/docker-current"  # its exec root; its pid file is this with .pid added
CURRENT_SOCK = "/run/docker-current.sock"  # its socket (DOCKER_HOST=unix://CURRENT_SOCK)
CURRENT_BRIDGE = "docker-current"  # its bridge; the first engine's docker0 is left alone
CURRENT_CIDR = "172.29.0.1/16"  # the bridge's address and network
CURRENT_LOG = "/tmp/dockerd-current.log"  # its log
CURRENT_CONFIG_COPY = "docker-current"  # under ~/.config: the client config of a user who cannot write its own

# -- The verifier's results from other runs than this host's first engine's --------
# (this host's own run goes where conf/verify.toml's results_dir says)
CURRENT_RESULTS = "build/verify-current"  # the guide verified on current Docker (.ci/run's --results-dir)
GPU_RESULTS = "build/verify-gpu"  # a GPU runner's, where the Pages workflow downloads them

# -- The cluster page ------------------------------------------------------------
# What `provision.sh cluster` installs (Debian 12's Slurm and munge, the registry service's
# tools, Charliecloud), each with the command that shows it is there: one table, read twice.
_cluster_package_commands = (
    ("slurm-wlm", "slurmctld"),
    ("munge", "munged"),
    ("docker-registry", "docker-registry"),
    ("apache2-utils", "htpasswd"),
    ("skopeo", "skopeo"),
    ("curl", "curl"),
    ("charliecloud-runtime", "ch-run"),
    ("charliecloud-builders", "ch-convert"),
)
CLUSTER_PACKAGES = tuple(package for package, _ in _cluster_package_commands)
CLUSTER_COMMANDS = tuple(command for _, command in _cluster_package_commands)  # in CLUSTER_PACKAGES' order
# What the cluster page runs; missing ones make it skip.
CLUSTER_TOOLS = ("apptainer", *CLUSTER_COMMANDS)
# Apptainer: unstable's (Debian 12's libc is too old for it), unpacked beside the system
# with its own libc by conf/apptainer.sh, run unprivileged (user namespaces, no setuid).
APPTAINER_PREFIX = "/opt/apptainer-native"  # where it is unpacked; PREFIX/bin/apptainer runs it
APPTAINER_PACKAGES = ("apptainer", "libc6", "libseccomp2", "libsqlite3-0")  # from CURRENT_SUITE, unpacked there
# Debian 12's, installed: the helpers it runs (without gocryptfs, every command says
# "INFO: gocryptfs not found"), and what unpacks and patches it.
APPTAINER_HOST_PACKAGES = (
    *("squashfuse", "fuse2fs", "fuse-overlayfs", "squashfs-tools", "fuse3", "e2fsprogs", "uidmap", "gocryptfs"),
    *("patchelf", "gcc", "libc6-dev", "ca-certificates", "debian-archive-keyring"),
)
APPTAINER_LINK = "/usr/local/bin/apptainer"  # the symlink to it that puts `apptainer` on PATH

# -- Who runs the guide's commands (conf/verify.toml's [roles] names them) -----------
READER_ACCOUNT = "verify-reader"  # a workstation user: in the docker group, with sudo
CLUSTER_ACCOUNT = "verify-cluster"  # a cluster user: no Docker access, no sudo; Apptainer unprivileged
NEWCOMER_ACCOUNT = "verify-newcomer"  # a workstation user not yet in the docker group, with sudo
ROOTLESS_ACCOUNT = "verify-rootless"  # a workstation user with rootless Docker of its own: no docker group, no sudo
# sudo for the reader; newuidmap for --fakeroot and rootless tools; rootlesskit and
# slirp4netns for the rootless account's dockerd-rootless.sh (conf/services/rootless-docker.sh)
ACCOUNT_PACKAGES = ("sudo", "uidmap", "rootlesskit", "slirp4netns")

# -- The browser test -------------------------------------------------------------
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")  # looked for in this order

# The settings a caller may set in the environment of provision.sh (and main).
OVERRIDABLE = frozenset(
    {
        "BASE_IMAGES",
        "DEBIAN_MIRROR",
        "HOST_CA_BUNDLE",
        "DOCKERD_LOG",
        "CURRENT_SUITE",
        "CURRENT_PREFIX",
        "CURRENT_DATA",
        "CURRENT_EXEC",
        "CURRENT_SOCK",
        "CURRENT_BRIDGE",
        "CURRENT_CIDR",
        "CURRENT_LOG",
        "APPTAINER_PREFIX",
        "APPTAINER_LINK",
    }
)


def shell(environ: Mapping[str, str] = os.environ) -> str:
    """Every fact as a bash assignment, one a line: NAME=value, or NAME=(a b) for a list."""
    lines = []
    for name, default in globals().items():
        if not name.isupper() or not isinstance(default, (str, tuple)):
            continue
        value: str | tuple[str, ...] = default
        if name in OVERRIDABLE and environ.get(name):
            value = environ[name] if isinstance(default, str) else tuple(environ[name].split())
        if isinstance(value, str):
            lines.append(f"{name}={shlex.quote(value)}")
        else:
            lines.append(f"{name}=({' '.join(map(shlex.quote, value))})")
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(shell())


if __name__ == "__main__":
    main()
