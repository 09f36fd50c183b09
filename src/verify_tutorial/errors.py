"""Errors a user can fix, each with its own exit status and a one-line message."""


class VerifyError(Exception):
    """Base: the message is one line that says what is wrong and what to do."""

    exit_code = 2


class MalformedBlock(VerifyError):
    exit_code = 3


class UnknownOption(MalformedBlock):
    """An option the verifier does not know, or a value it cannot use: a malformed block too."""


class PageNotText(MalformedBlock):
    """A page that is not UTF-8: named, and the other pages still run."""


class UnsafeAccept(MalformedBlock):
    """Real output that would change the page's structure if written into it."""


class EngineUnreachable(VerifyError):
    exit_code = 4


class BuildKitMissing(VerifyError):
    exit_code = 5


class NameTaken(VerifyError):
    """A name the guide creates belongs to something not ours, before or during a run."""

    exit_code = 6


class EngineBusy(VerifyError):
    """Another verify run holds this engine and we were told not to wait."""

    exit_code = 7


class EngineLost(VerifyError):
    """The engine stopped answering in the middle of a run."""

    exit_code = 8
