"""Errors a user can fix, each with its own exit status and a one-line message."""


class VerifyError(Exception):
    """Base: the message is one line that says what is wrong and what to do."""

    exit_code = 2


class MalformedBlock(VerifyError):
    exit_code = 3


class UnknownOption(MalformedBlock):
    """An option the verifier does not know: a malformed block too."""


class EngineUnreachable(VerifyError):
    exit_code = 4


class BuildKitMissing(VerifyError):
    exit_code = 5


class NameTaken(VerifyError):
    exit_code = 6
