"""Errors a user can fix, each with its own exit status and a one-line message.

The statuses sit above pytest's own (0 to 5), so each means one thing:
0 passed, 1 a command failed, 130 interrupted, and from 10 up the causes below.
"""


class VerifyError(Exception):
    """Base: the message is one line that says what is wrong and what to do."""

    exit_code = 10  # bad settings


class NoSuchPage(VerifyError):
    exit_code = 11


class NoBlocks(VerifyError):
    """The pages chosen hold no console block at all."""

    exit_code = 12


class MalformedBlock(VerifyError):
    exit_code = 13


class UnknownOption(MalformedBlock):
    """An option the verifier does not know, or a value it cannot use: a malformed block too."""


class PageNotText(MalformedBlock):
    """A page that is not UTF-8: named, and the other pages still run."""


class UnsafeAccept(MalformedBlock):
    """Real output that would change the page's structure if written into it."""


class EngineUnreachable(VerifyError):
    exit_code = 14


class BuildKitMissing(VerifyError):
    exit_code = 15


class NameTaken(VerifyError):
    """A name the guide creates belongs to something not ours, before or during a run."""

    exit_code = 16


class EngineBusy(VerifyError):
    """Another verify run holds this engine and we were told not to wait."""

    exit_code = 17


class EngineLost(VerifyError):
    """The engine stopped answering in the middle of a run."""

    exit_code = 18


class ServiceFailed(VerifyError):
    """A service some page needs (a registry, a batch system) did not start."""

    exit_code = 19
