"""The labels every object a run creates carries: which run, from which process and clone."""

from __future__ import annotations

from ...execution.identity import RunIdentity

RUN = "verify-tutorial.run"
PID = "verify-tutorial.pid"
HOST = "verify-tutorial.host"
CLONE = "verify-tutorial.clone"
STARTED = "verify-tutorial.started"


def labels_for(identity: RunIdentity) -> dict[str, str]:
    return {
        RUN: identity.run_id,
        PID: str(identity.pid),
        HOST: identity.host,
        CLONE: identity.clone,
        STARTED: identity.started,
    }
