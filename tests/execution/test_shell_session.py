"""One long-lived bash per page: what a reader pasting into one terminal would see, and what it may not keep."""

import os
import signal

import pytest
from conftest import alive as _alive
from conftest import gone as _gone

from verify_tutorial.execution.shell import PageShell


@pytest.fixture
def shell(tmp_path):
    with PageShell(tmp_path, tmp_path / ".state", dict(os.environ)) as page_shell:
        yield page_shell


def _pid(shell: PageShell) -> int:
    return int(shell.run("echo $$", timeout=30).output)


def _state(shell: PageShell) -> list[str]:
    outcome = shell.run('pwd; echo "${NAME-unset}"; greet 2>/dev/null || echo no-greet; where', timeout=30)
    return outcome.output.splitlines()


def test_one_bash_serves_every_command(shell):
    first = _pid(shell)
    for _ in range(5):
        assert shell.run("true", timeout=30).status == 0
    assert _pid(shell) == first


def test_dollar_question_is_the_previous_commands_status(shell):
    assert shell.run("false", timeout=30).status == 1
    assert shell.run("echo $?", timeout=30).output == "1\n"
    assert shell.run("echo $?", timeout=30).output == "0\n"


def test_declarations_options_and_traps_carry_over(shell):
    setup = "declare -A M=([k]=v); declare -a A=(1 2); declare -i I=4; set -o pipefail; trap 'echo bye' USR1"
    assert shell.run(setup, timeout=30).status == 0
    outcome = shell.run('echo "${M[k]} ${A[1]} $((I + 1))"; false | true', timeout=30)
    assert (outcome.status, outcome.output) == (1, "v 2 5\n")
    assert shell.run("kill -USR1 $$", timeout=30).output == "bye\n"


def _set_up_state(shell, tmp_path):
    (tmp_path / "sub").mkdir()
    outcome = shell.run('cd sub; NAME=kept; greet() { echo "hi $NAME"; }; alias where=pwd', timeout=30)
    assert outcome.status == 0


def test_exit_reports_its_status_and_the_next_command_keeps_the_state(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    first = _pid(shell)
    outcome = shell.run("echo leaving; exit 3", timeout=30)
    assert (outcome.status, outcome.output) == (3, "leaving\n")
    assert shell.run("echo $?", timeout=30).output == "3\n"
    sub = str(tmp_path / "sub")
    assert _state(shell) == [sub, "kept", "hi kept", sub]
    assert _pid(shell) == first  # the same process, which replaced itself


def test_a_failure_under_set_e_ends_its_command_and_set_e_stays(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    outcome = shell.run("set -e; NAME=changed; false; echo not reached", timeout=30)
    assert (outcome.status, outcome.output) == (1, "")
    outcome = shell.run('echo "$NAME $-"', timeout=30)
    assert outcome.output.split()[0] == "changed" and "e" in outcome.output.split()[1]
    assert shell.run("false; echo not reached either", timeout=30).output == ""
    assert shell.run("set +e; false; echo reached", timeout=30).output == "reached\n"


def test_an_unset_variable_under_set_u_ends_its_command(shell):
    outcome = shell.run("set -u; echo $NOT_SET_ANYWHERE; echo not reached", timeout=30)
    assert outcome.status == 1
    assert outcome.output == "bash: NOT_SET_ANYWHERE: unbound variable\n"
    assert shell.run("set +u; echo fine", timeout=30).output == "fine\n"


def test_exec_ends_the_shell_and_the_next_command_starts_fresh(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    assert shell.run("exec sh -c 'exit 4'", timeout=30).status == 4
    assert _state(shell) == [str(tmp_path), "unset", "no-greet", "bash: where: command not found"]


def test_messages_read_as_in_a_terminal(shell):
    outcome = shell.run("no-such-command-here\ncd /no/such/place", timeout=30)
    assert outcome.output.splitlines() == [
        "bash: no-such-command-here: command not found",
        "bash: cd: /no/such/place: No such file or directory",
    ]
    assert shell.run('echo "unclosed', timeout=30).status == 2
    assert shell.run("echo still here", timeout=30).output == "still here\n"


def test_each_command_runs_in_process_groups_of_its_own(shell):
    shells_group = "cut -d' ' -f5 /proc/$$/stat"
    own_group = "cut -d' ' -f5 /proc/self/stat"
    first = shell.run(f"{shells_group}; {own_group}", timeout=30).output.split()
    second = shell.run(own_group, timeout=30).output.split()
    assert first[0] != first[1]  # the command's job is not in the shell's group
    assert second[0] not in first  # nor in the previous command's


def test_a_timeout_in_a_builtin_loop_keeps_the_shell_and_the_state_reached(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    first = _pid(shell)
    outcome = shell.run("NAME=reached; while :; do :; done", timeout=1)
    assert outcome.timed_out and outcome.status is None
    assert _state(shell)[1] == "reached"
    assert _pid(shell) == first


def test_a_timeout_kills_the_command_and_the_shell_carries_on(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    pidfile = tmp_path / "sleep.pid"
    outcome = shell.run(f"echo started; sleep 300 & echo $! > {pidfile}; wait", timeout=1)
    assert outcome.timed_out and outcome.output == "started\n"
    assert _gone(int(pidfile.read_text()))
    sub = str(tmp_path / "sub")
    assert _state(shell) == [sub, "kept", "hi kept", sub]


def test_waiting_at_a_builtin_prompt_keeps_the_state(shell, tmp_path):
    _set_up_state(shell, tmp_path)
    outcome = shell.run("read -p 'name? ' ANSWER", timeout=60, use_pty=True)
    assert outcome.waiting_for_input
    assert _state(shell)[:2] == [str(tmp_path / "sub"), "kept"]


def test_exit_in_a_terminal_command_keeps_term(tmp_path):
    with PageShell(tmp_path, tmp_path / ".state", {**os.environ, "TERM": "xterm"}) as shell:
        outcome = shell.run('echo "$TERM"; exit 2', timeout=30, use_pty=True)
        assert (outcome.status, outcome.output.strip()) == (2, "dumb")
        assert shell.run('echo "$TERM"', timeout=30).output == "xterm\n"


@pytest.mark.parametrize(
    "command",
    [
        "(sleep 30 >/dev/null & echo $! > {pidfile})",  # its job ended; the sleep was left behind
        "x=$(sleep 30 >/dev/null & echo $!); echo $x > {pidfile}",  # in the shell's own group
        "set +m; sleep 30 >/dev/null & echo $! > {pidfile}; set -m",  # without job control
        "nohup sleep 30 >/dev/null 2>&1 & echo $! > {pidfile}",
    ],
)
def test_what_a_command_leaves_running_is_killed(shell, tmp_path, command):
    pidfile = tmp_path / "left.pid"
    outcome = shell.run(command.format(pidfile=pidfile), timeout=30)
    assert outcome.status == 0
    assert _gone(int(pidfile.read_text()))
    assert shell.run("jobs; echo next", timeout=30).output == "next\n"


def test_a_process_that_left_the_session_keeps_running(shell, tmp_path):
    pidfile = tmp_path / "daemon.pid"
    command = f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 30' </dev/null >/dev/null 2>&1 &"
    assert shell.run(f"{command} sleep 0.5", timeout=30).status == 0
    pid = int(pidfile.read_text())
    try:
        assert shell.run("true", timeout=30).status == 0
        assert _alive(pid)
    finally:
        os.kill(pid, signal.SIGKILL)


def test_close_ends_the_shell_and_its_session(tmp_path):
    shell = PageShell(tmp_path, tmp_path / ".state", dict(os.environ))
    pid = _pid(shell)
    shell.close()
    assert _gone(pid)
    assert _pid(shell) != pid  # a later command starts a fresh one


def test_sessions_are_separate_shells(tmp_path):
    with (
        PageShell(tmp_path, tmp_path / ".one", dict(os.environ)) as one,
        PageShell(tmp_path, tmp_path / ".two", dict(os.environ)) as two,
    ):
        one.run("NAME=one", timeout=30)
        assert two.run('echo "${NAME-unset}"', timeout=30).output == "unset\n"
        assert _pid(one) != _pid(two)


def test_the_previous_directory_survives_an_exit(shell, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert shell.run("cd a; cd ../b; exit 1", timeout=30).status == 1
    assert shell.run("cd - >/dev/null; pwd", timeout=30).output == f"{tmp_path / 'a'}\n"
