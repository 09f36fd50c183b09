"""Who runs a page's commands: the reader's account for each role, not the verifier's.

A project's configuration names a role per machine its pages show
(`[roles] workstation = "verify-reader"`, `cluster = "verify-cluster"`). A
prompt labelled with a role's name (`(cluster) $`) runs as that role, any other
prompt as the first role. Started as root, the verifier runs each role as its
account (never as root, which no reader is); started as an ordinary user, it
can become no one else, so every role runs as that user, and the results say so.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import VerifyError


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    groups: tuple[str, ...]  # its supplementary groups, by name, as `id -Gn` lists them after the primary one
    group_ids: tuple[int, ...]

    @classmethod
    def named(cls, name: str) -> Account:
        entry = pwd.getpwnam(name)
        members = [g for g in grp.getgrall() if name in g.gr_mem and g.gr_gid != entry.pw_gid]
        return cls(
            name=name,
            uid=entry.pw_uid,
            gid=entry.pw_gid,
            groups=tuple(g.gr_name for g in members),
            group_ids=tuple(g.gr_gid for g in members),
        )

    @classmethod
    def current(cls) -> Account:
        uid, gid = os.geteuid(), os.getegid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:  # a uid with no entry (a container run with --user N)
            name = str(uid)
        ids = tuple(g for g in os.getgroups() if g != gid)
        return cls(name, uid, gid, tuple(_group_name(g) for g in ids), ids)

    @property
    def is_root(self) -> bool:
        return self.uid == 0

    def describe(self) -> str:
        """As results and badges name it: "verify-reader (uid 1501; groups docker, sudo)"."""
        groups = f"; groups {', '.join(self.groups)}" if self.groups else ""
        return f"{self.name} (uid {self.uid}{groups})"

    def give(self, path: Path) -> None:
        """Make a file or folder the verifier made (and all in it) this account's."""
        if not is_someone_else(self):
            return
        if path.is_symlink():  # never: it could point anywhere
            raise VerifyError(f"{path} is a symbolic link; the verifier gives an account only what it made")
        os.lchown(path, self.uid, self.gid)
        for folder, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(folder, name), self.uid, self.gid)

    def environment(self) -> dict[str, str]:
        """What a login gives the shell: who it is."""
        return {"USER": self.name, "LOGNAME": self.name}

    def afresh(self) -> Account:
        """The account as it is now: its groups may have changed since the run began
        (a page that adds it to one, or a run killed before it took it back)."""
        try:
            return Account.named(self.name) if self.name != str(self.uid) else self
        except KeyError:
            return self


# What of the verifier's own environment another account's shell gets: what a login
# on that machine would give it (the locale, the CA bundle, the proxy), never the
# verifier's user's own (TMPDIR, XDG_RUNTIME_DIR, SUDO_*, Kerberos tickets, tokens).
LOGIN_VARIABLES = re.compile(
    r"PATH|TERM|LANG|LC_\w+|TZ|SSL_CERT_(?:FILE|DIR)|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|PIP_CERT"
    r"|NODE_EXTRA_CA_CERTS|(?i:(?:https?|ftp|all|no)_proxy)"
)


def login_environment(environ: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environ.items() if LOGIN_VARIABLES.fullmatch(name)}


def is_someone_else(account: Account | None) -> bool:
    """Whether a shell for `account` runs as another user than this process: only root
    can switch, and a root run never runs pages as root (accounts_for refuses it)."""
    return account is not None and os.geteuid() == 0 and account.uid != 0


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def accounts_for(roles: dict[str, str], hint: str = "") -> dict[str, Account]:
    """Each role's account, as this process can run it: the configured one when
    started as root, else this process's own user for every role."""
    me = Account.current()
    if not me.is_root or not roles:
        return {role: me for role in roles}
    found = {}
    for role, name in roles.items():
        try:
            account = Account.named(name)
        except KeyError:
            how = f"; {hint}" if hint else ""
            raise VerifyError(
                f"no account {name!r} for the role {role}: create it (useradd --create-home {name}){how}"
            ) from None
        if account.is_root:
            raise VerifyError(f"the role {role} names {name!r}, which is root; name an ordinary account")
        found[role] = account
    return found
