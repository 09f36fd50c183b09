"""A page's shell: real bash, state carried over, timeouts that kill everything."""

import os
import time

import pytest

from verify_tutorial.shell import PageShell


@pytest.fixture
def shell(tmp_path):
    return PageShell(tmp_path, tmp_path / ".state", dict(os.environ))


def test_directory_variables_functions_and_aliases_carry_over(shell, tmp_path):
    (tmp_path / "sub").mkdir()
    assert shell.run("cd sub && NAME=world && export SHOUT=1", timeout=10).status == 0
    assert shell.run('greet() { echo "hi $1"; }; alias where=pwd', timeout=10).status == 0
    outcome = shell.run('greet "$NAME"; where; echo "$SHOUT"', timeout=10)
    assert outcome.output.splitlines() == ["hi world", str(tmp_path / "sub"), "1"]


def test_exit_status_is_reported(shell):
    assert shell.run("false", timeout=10).status == 1
    assert shell.run("exit 7", timeout=10).status == 7


def test_stdin_is_empty(shell):
    outcome = shell.run("cat; echo done", timeout=10)
    assert outcome.output == "done\n"


def test_timeout_kills_the_whole_process_group(shell, tmp_path):
    pidfile = tmp_path / "child.pid"
    outcome = shell.run(f"sleep 300 & echo $! > {pidfile}; sleep 300", timeout=1)
    assert outcome.timed_out and outcome.status is None
    child = int(pidfile.read_text())
    for _ in range(50):  # the kernel reaps asynchronously
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)


def test_scripted_input_through_a_terminal(shell):
    outcome = shell.run(
        "python3 -c 'import sys; print(sys.stdin.isatty()); print(input(\"name? \").upper())'",
        timeout=20,
        stdin="ada\n",
    )
    lines = outcome.output.replace("\r", "").splitlines()
    assert lines[0] == "True"
    assert lines[-1] == "ADA"
    assert "name? ada" in lines


def test_input_waits_for_the_prompt_after_slow_work(shell):
    # Like pdb's `continue` into a slow import: a silent second after a complete
    # line is work, not a prompt, so the next line must not be typed into it.
    script = "a = input('> '); print('working'); import time; time.sleep(1.5); b = input('> '); print(a + b)"
    outcome = shell.run(f'python3 -c "{script}"', timeout=20, stdin="x\ny\n")
    lines = outcome.output.replace("\r", "").splitlines()
    assert lines == ["> x", "working", "> y", "xy"]


def test_input_is_typed_blind_when_no_prompt_ever_comes(shell):
    # `cat` waits silently with no prompt: after the longer pause the line is typed anyway.
    outcome = shell.run("head -n 1", timeout=20, stdin="hello\n")
    assert outcome.output.replace("\r", "").splitlines() == ["hello", "hello"]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
