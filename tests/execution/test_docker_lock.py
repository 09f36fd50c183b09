"""The engine lock on its own: who holds it is named, a dead holder frees it, and a
process never waits on itself."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

import verify_tutorial
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


# -- several users of one engine: root, and members of the docker group ---------

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="running as other users needs root, as CI has")

# Another user's run, with nothing but the standard library and the package copied
# where that user can read it (pytest's own folders are root's alone).
OTHER_USER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from verify_tutorial.engines.docker.lock import EngineLock
from verify_tutorial.errors import EngineBusy
lock = EngineLock(sys.argv[2], {"pid": sys.argv[3], "clone": "/home/other", "started": "noon"})
try:
    lock.acquire(wait=sys.argv[4] == "wait", say=print)
except EngineBusy as error:
    print("busy:", error, flush=True)
    sys.exit(17)
print("held", flush=True)
time.sleep(float(sys.argv[5]))
lock.release()
print("released", flush=True)
"""


@pytest.fixture
def readable_package():
    folder = Path(tempfile.mkdtemp(prefix="verify-tutorial-test-lock-", dir="/tmp"))
    folder.chmod(0o755)
    shutil.copytree(Path(verify_tutorial.__file__).parent, folder / "verify_tutorial")
    yield folder
    shutil.rmtree(folder)


def other_user(package, engine_id, mode, hold=0.0, user="nobody"):
    python = shutil.which("python3", path="/usr/bin:/bin")
    return subprocess.Popen(
        [python, "-c", OTHER_USER, str(package), engine_id, "777", mode, str(hold)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        user=user,
        cwd="/",
    )


@as_root
def test_root_and_another_user_take_turns_on_one_lock_either_way_round(engine_id, readable_package):
    mine = EngineLock(engine_id, {"pid": str(os.getpid()), "clone": "/root/clone", "started": "dawn"})
    mine.acquire(wait=False, say=print)  # root makes the lock file
    refused = other_user(readable_package, engine_id, "no-wait")
    out, _ = refused.communicate(timeout=60)
    assert refused.returncode == 17 and out.startswith(f"busy: another verify run holds this engine (pid {os.getpid()}")
    waiting = other_user(readable_package, engine_id, "wait", hold=0.5)  # waits for root, then holds
    assert waiting.stdout.readline().startswith("waiting: another verify run holds this engine")
    mine.release()
    assert waiting.stdout.readline() == "held\n"
    with pytest.raises(EngineBusy, match=r"pid 777, clone /home/other"):
        EngineLock(engine_id, {"pid": str(os.getpid())}).acquire(wait=False, say=print)
    mine.acquire(wait=True, say=print)  # waits for the other user's release
    assert waiting.wait(timeout=60) == 0 and "Traceback" not in waiting.stdout.read()
    mine.release()
    assert stat.S_IMODE(mine.path.stat().st_mode) == 0o666
    mine.path.unlink()


@as_root
def test_a_read_only_lock_an_older_version_made_still_locks(engine_id, readable_package):
    path = EngineLock(engine_id, {}).path
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))  # root's, 0644: what runs before this one made
    try:
        holder = other_user(readable_package, engine_id, "no-wait", hold=30)
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(EngineBusy, match="another verify run holds this engine"):
            EngineLock(engine_id, {"pid": str(os.getpid())}).acquire(wait=False, say=print)
        holder.kill()
        holder.wait()
    finally:
        path.unlink()


@as_root
def test_an_ordinary_user_s_reaper_leaves_a_dead_root_run_s_folder_to_root(monkeypatch):
    from verify_tutorial.engines.docker import removal
    from verify_tutorial.engines.docker.journal import IDENTITY, JOURNAL
    from verify_tutorial.execution.procfs import pid_namespace

    ended = subprocess.Popen(["true"])
    ended.wait()  # a pid whose process is gone: its run is dead
    folder = Path(tempfile.mkdtemp(prefix=f"verify-tutorial-{pid_namespace()}-{ended.pid}-proxy-", dir="/tmp"))
    (folder / JOURNAL).write_text("containers " + "a" * 64 + "\n")
    (folder / IDENTITY).write_text("run1\npid 1, clone /root/clone\n")
    said: list[str] = []
    found = removal.dead_temp_dirs()
    assert folder in found
    monkeypatch.setattr(removal, "dead_temp_dirs", lambda: [folder])  # none of the host's other leftovers
    os.seteuid(65534)  # nobody: root's 0700 folder is closed to it
    try:
        removal.reap(None, said.append)  # no engine call is made for a folder it cannot read
    finally:
        os.seteuid(0)
    try:
        assert folder.is_dir() and (folder / JOURNAL).is_file()
        assert not [line for line in said if str(folder) in line]
    finally:
        shutil.rmtree(folder)
