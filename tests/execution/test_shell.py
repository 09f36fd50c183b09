"""A page's shell: real bash, state carried over, timeouts that kill everything."""

import os
import re
import time

import pytest
from conftest import alive as _alive
from conftest import gone as _gone

from verify_tutorial.execution.shell import HEAD_BYTES, TAIL_BYTES, PageShell


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


@pytest.mark.parametrize("use_pty", [False, True])
def test_background_jobs_are_killed_when_their_command_ends(shell, tmp_path, use_pty):
    pidfile = tmp_path / "job.pid"
    for _ in range(20):
        outcome = shell.run(f"sleep 30 >/dev/null & echo $! > {pidfile}", timeout=30, use_pty=use_pty)
        assert outcome.status == 0
        assert _gone(int(pidfile.read_text()))


def test_a_background_job_holding_the_output_does_not_hold_the_command(shell, tmp_path):
    pidfile = tmp_path / "job.pid"
    outcome = shell.run(f"sleep 30 & echo $! > {pidfile}; echo started", timeout=60)
    assert (outcome.status, outcome.output, outcome.timed_out) == (0, "started\n", False)
    assert _gone(int(pidfile.read_text()))


def test_state_is_saved_by_a_command_that_starts_a_background_job(shell, tmp_path):
    (tmp_path / "sub").mkdir()
    assert shell.run("cd sub; NAME=kept; f() { echo func; }; sleep 30 >/dev/null &", timeout=30).status == 0
    outcome = shell.run('echo "$NAME"; f; pwd', timeout=30)
    assert outcome.output.splitlines() == ["kept", "func", str(tmp_path / "sub")]


def test_a_prompt_with_nothing_to_type_is_reported_as_waiting_for_input(shell):
    outcome = shell.run("read -p 'name? ' x; echo $x", timeout=60, use_pty=True)
    assert outcome.waiting_for_input
    assert not outcome.timed_out and outcome.status is None
    assert outcome.output.endswith("name? ")


def test_a_prompt_after_the_scripted_input_is_reported_as_waiting_for_input(shell):
    script = "print(input('a? ')); print(input('b? '))"
    outcome = shell.run(f'python3 -c "{script}"', timeout=60, stdin="one\n")
    assert outcome.waiting_for_input and not outcome.timed_out
    assert outcome.output.replace("\r", "").splitlines()[-1] == "b? "


def test_a_slow_command_at_an_unfinished_line_is_not_waiting_for_input(shell):
    outcome = shell.run("echo start; printf 'working... '; sleep 4; echo end", timeout=60, use_pty=True)
    assert (outcome.status, outcome.waiting_for_input, outcome.timed_out) == (0, False, False)
    assert outcome.output.replace("\r", "").splitlines() == ["start", "working... end"]


def test_a_network_wait_at_an_unfinished_line_is_not_waiting_for_input(shell):
    script = (
        "import socket; a, b = socket.socketpair(); a.settimeout(4); print('fetching... ', end='', flush=True)\n"
        "try: a.recv(1)\nexcept TimeoutError: print('no answer')"
    )
    outcome = shell.run(f'python3 -c "{script}"', timeout=60, use_pty=True)
    assert (outcome.status, outcome.waiting_for_input) == (0, False)
    assert outcome.output.replace("\r", "") == "fetching... no answer\n"


def test_huge_output_keeps_its_start_and_end_and_counts_what_is_left_out(shell):
    shown = []
    outcome = shell.run(
        "head -c 50000000 /dev/zero | tr '\\0' 'x' | fold -w 100; echo; echo last",
        timeout=300,
        on_output=shown.append,
    )
    assert outcome.status == 0
    assert len(outcome.output) < HEAD_BYTES + TAIL_BYTES + 200
    lines = outcome.output.splitlines()
    assert lines[-1] == "last"
    notes = [line for line in lines if line.startswith("... [")]
    assert len(notes) == 1
    match = re.fullmatch(r"\.\.\. \[([\d,]+) lines \(([\d.]+) MB\) left out\] \.\.\.", notes[0])
    assert match, notes[0]
    kept = [line for line in lines[:-1] if line != notes[0]]
    assert set(kept) == {"x" * 100}  # whole lines on both sides of the note
    assert int(match[1].replace(",", "")) + len(kept) == 500_000
    assert abs(float(match[2]) - (500_000 - len(kept)) * 101 / 1e6) < 0.1
    streamed = "".join(shown)
    assert len(streamed) < HEAD_BYTES + 200 and streamed.count("left out") + streamed.count("kept") == 1


def test_output_just_over_the_head_is_kept_whole(shell):
    outcome = shell.run(f"seq 1 {HEAD_BYTES // 4}", timeout=60)
    assert outcome.output.splitlines() == [str(n) for n in range(1, HEAD_BYTES // 4 + 1)]
