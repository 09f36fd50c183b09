"""The engine lock on its own: who holds it is named, a dead holder frees it, and a
process never waits on itself."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from verify_tutorial.engines.docker.lock import EngineLock
from verify_tutorial.errors import EngineBusy

HOLD = """
import sys, time
from verify_tutorial.engines.docker.lock import EngineLock
EngineLock(sys.argv[1], {"pid": sys.argv[2], "clone": "/elsewhere", "started": "noon"}).acquire(True, print)
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def engine_id():
    return f"test-{uuid.uuid4().hex}"


def test_a_busy_engine_is_refused_naming_its_holder_and_freed_when_the_holder_dies(engine_id):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, engine_id, "4242"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(EngineBusy, match=r"pid 4242, clone /elsewhere, since noon"):
            EngineLock(engine_id, {"pid": str(os.getpid())}).acquire(wait=False, say=print)
    finally:
        holder.kill()  # like SIGKILL of a run: the kernel drops its lock
        holder.wait()
    lock = EngineLock(engine_id, {"pid": str(os.getpid())})
    lock.acquire(wait=False, say=print)
    lock.release()
    lock.path.unlink()


def test_a_process_never_waits_on_itself(engine_id):
    first = EngineLock(engine_id, {"pid": str(os.getpid())})
    first.acquire(wait=True, say=print)
    try:
        with pytest.raises(EngineBusy, match="already holds the engine"):
            EngineLock(engine_id, {"pid": str(os.getpid())}).acquire(wait=True, say=print)
    finally:
        first.release()
        first.path.unlink()
