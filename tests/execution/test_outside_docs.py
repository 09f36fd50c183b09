"""Docs written by another project, in the styles real docs use, verified with a
three-line configuration and no engine: one run lists every failure of every page,
leaves prompt-less blocks alone, and the CLI and plain pytest agree on every count.

The pages are tests/fixtures/outside/docs; each failure there is on purpose.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, gone

from verify_tutorial import errors

# The failures the pages hold, each by its message (the page's own line numbers).
KNOWN_FAILURES = [
    "docs/broken.md:4: console block output comes before its first prompt",
    "docs/cli.md:43: output differs from the page\n",
    "docs/reference.rst:23: exit status 2, expected 0",
]
CRLF_PAGE = '# Saved on Windows\r\n\r\n```console\r\n$ printf "a\\nb\\n"\r\na\r\nb\r\n```\r\n'


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    project = tmp_path / "outside"
    shutil.copytree(FIXTURES / "outside", project)
    (project / "docs" / "crlf.md").write_bytes(CRLF_PAGE.encode())  # a page saved with CRLF line ends
    return project


def run(folder: Path, *args: str, tool: str = "verify_tutorial") -> subprocess.CompletedProcess[str]:
    """The CLI (`python -m verify_tutorial`) or plain pytest, with no engine to be had."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"
    prefix = ["-m", "pytest", "-p", "no:cacheprovider"] if tool == "pytest" else ["-m", tool]
    return subprocess.run([sys.executable, *prefix, *args], cwd=folder, capture_output=True, text=True, env=env)


def start_sleeping_run(outside: Path, pid_file: Path, page: str, **popen) -> tuple[subprocess.Popen, int]:
    """The CLI on docs/slow.md, once its first command (which writes its pid) is running."""
    (outside / "docs" / "slow.md").write_text(page)
    process = subprocess.Popen(
        [sys.executable, "-m", "verify_tutorial", "docs/slow.md"], cwd=outside, start_new_session=True, **popen
    )
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return process, int(pid_file.read_text())


def summary(stdout: str) -> tuple[int, int, int]:
    found = re.search(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", stdout, re.M)
    assert found, stdout
    return int(found[1]), int(found[2]), int(found[3])


def pytest_counts(stdout: str) -> dict[str, int]:
    last = stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped)", last)}


def test_one_run_lists_every_failure_of_every_page(outside):
    result = run(outside, "--keep-going")
    out = result.stdout + result.stderr
    assert result.returncode == errors.MalformedBlock.exit_code, out  # a malformed page says so, whatever else
    for failure in KNOWN_FAILURES:
        assert failure in out
    assert summary(result.stdout) == (11, 3, 0)


def test_the_cli_counts_alike_whether_pytest_runs_the_pages_or_not(outside):
    itself = run(outside, "--keep-going")  # no engine, no pytest option: the CLI runs the pages itself
    through_pytest = run(outside, "--keep-going", "-ra")  # a pytest option: pytest runs them
    assert "test session starts" not in itself.stdout and "test session starts" in through_pytest.stdout
    assert itself.returncode == through_pytest.returncode == errors.MalformedBlock.exit_code
    assert summary(itself.stdout) == summary(through_pytest.stdout) == (11, 3, 0)
    assert pytest_counts(through_pytest.stdout) == {"failed": 3, "passed": 11}
    for failure in KNOWN_FAILURES:
        assert failure in itself.stdout + itself.stderr and failure in through_pytest.stdout + through_pytest.stderr


def test_prompt_less_blocks_are_left_alone(outside):
    out = run(outside).stdout
    assert "docs/cli.md:14  not a console session (no prompt): not run" in out
    assert "docs/reference.rst:15  not a console session (no prompt): not run" in out


def test_after_a_failure_the_rest_of_the_page_runs_marked_as_after_it(outside):
    page = outside / "docs" / "cli.md"
    page.write_text(page.read_text().replace("$ wc -l < notes.txt\n2\n", "$ wc -l < notes.txt\n5\n"))
    result = run(outside, "--keep-going", "docs/cli.md")
    assert "docs/cli.md:25: output differs from the page\n" in result.stdout
    later = "docs/cli.md:43: output differs from the page (after an earlier failure on this page, at docs/cli.md:25)"
    assert later in result.stdout
    document = json.loads((outside / "build" / "verify" / "results.json").read_text())
    after = {e["line"]: e.get("after_failure") for e in document["commands"]}
    assert after[25] is None and after[32] == after[43] == after[56] == "docs/cli.md:25"


def test_without_keep_going_the_rest_of_a_page_is_skipped_saying_why(outside):
    result = run(outside, "docs/cli.md")
    assert result.returncode == 1
    assert "docs/cli.md:45: not run: docs/cli.md:43 failed earlier on this page" in result.stdout
    assert summary(result.stdout) == (6, 1, 3)


def test_plain_pytest_counts_as_the_cli_does_and_runs_the_projects_own_tests(outside):
    (outside / "test_own.py").write_text("def test_the_projects_own():\n    assert True\n")
    cli = run(outside, "--keep-going", "docs")
    (outside / "build" / "verify" / "junit.xml").write_text("<old/>")
    plain = run(outside, "--verify-keep-going", ".", tool="pytest")
    assert summary(plain.stdout) == summary(cli.stdout) == (11, 3, 0)
    assert pytest_counts(plain.stdout) == {"failed": 3, "passed": 12}  # ours, and the project's own test
    assert "test_own.py ." in plain.stdout
    assert not (outside / "build" / "verify" / "junit.xml").exists()  # not this run's, so not left behind


def test_the_header_names_the_verifier_settings_not_a_stand_in(outside):
    out = run(outside, "-ra", "docs/crlf.md").stdout
    assert "verify-tutorial: pyproject.toml, pages in docs/, engine none" in out
    assert "configfile:" not in out and "/dev/null" not in out


@pytest.mark.parametrize("tool", ["verify_tutorial", "pytest"])
def test_a_misspelt_key_is_refused_by_name(outside, tool):
    config = outside / "pyproject.toml"
    config.write_text(config.read_text() + "defualt_timeout = 1\n")
    result = run(outside, *(["docs"] if tool == "pytest" else []), tool=tool)
    message = [line for line in (result.stdout + result.stderr).splitlines() if "defualt_timeout" in line]
    assert result.returncode != 0
    assert len(message) == 1 and "did you mean default_timeout?" in message[0]


@pytest.mark.parametrize("tool", ["verify_tutorial", "pytest"])
def test_a_missing_pages_folder_is_one_line(outside, tool):
    config = outside / "pyproject.toml"
    config.write_text(config.read_text().replace('pages = "docs"', 'pages = "doc"'))
    result = run(outside, tool=tool)
    out = result.stdout + result.stderr
    assert result.returncode not in (0, 5), out
    assert re.search(r"no pages at \S+/doc; check 'pages' in \S+pyproject\.toml", out), out


def test_accept_refusal_counts_the_same_for_pytest_and_the_verifier(outside):
    page = outside / "docs" / "fence.md"
    page.write_text("```console\n$ printf 'one\\n```\\n'\none\n```\n")
    before = page.read_bytes()
    result = run(outside, "--accept", "docs/fence.md")
    assert "output line 2 would close the fence" in result.stdout
    assert summary(result.stdout) == (0, 1, 0)
    plain = run(outside, "--verify-accept", "docs/fence.md", tool="pytest")
    assert summary(plain.stdout) == (0, 1, 0)
    assert pytest_counts(plain.stdout) == {"failed": 1}
    assert page.read_bytes() == before


def test_defaults_from_the_project_the_page_and_the_block(outside):
    config = outside / "pyproject.toml"
    config.write_text(
        config.read_text()
        + 'exclude = ["broken.md", "cli.md", "reference.rst", "crlf.md"]\n'
        + '[tool.verify-tutorial.defaults]\npty = true\ncwd = "work"\nenv = { COLOR = "blue" }\n'
    )
    (outside / "work").mkdir()
    (outside / "work" / "data.txt").write_text("x\n")
    (outside / "docs" / "defaults.md").write_text(
        "% verify-page: env=SIZE=large\n\n"
        "```console\n$ tty\n/dev/pts/\\d+ (re)\n$ test -t 0 && echo terminal\nterminal\n"
        '$ ls\ndata.txt\n$ echo "$COLOR $SIZE"\nblue large\n```\n\n'
        "% verify: pty=false env=COLOR=red\n"
        "```console\n$ test -t 0 || echo 'no terminal'\nno terminal\n$ echo \"$COLOR\"\nred\n```\n\n"
        '```console\n$ echo "$COLOR"\nblue\n```\n'
    )
    # Each page works in a copy of the whole folder, so cwd = "work" is there.
    config.write_text(config.read_text().replace('pages = "docs"', 'pages = "docs"\nproject = "."'))
    result = run(outside)
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary(result.stdout) == (7, 0, 0)


def test_ctrl_c_twice_ends_the_run_with_130_and_leaves_no_process(outside, tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    process, sleeper = start_sleeping_run(
        outside,
        pid_file,
        f"```console\n$ sh -c 'echo $$ > {pid_file}; exec sleep 60'\n```\n\n```console\n$ echo never\nnever\n```\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    os.kill(process.pid, signal.SIGINT)
    os.kill(process.pid, signal.SIGINT)
    output = process.communicate(timeout=60)[0]
    assert process.returncode == 130, output
    assert gone(sleeper), "the command's process outlived the run"
    document = json.loads((outside / "build" / "verify" / "results.json").read_text())
    assert not [e for e in document["commands"] if e["command"] == "echo never"], "nothing runs after Ctrl-C"


def test_after_sigkill_the_next_run_ends_what_the_killed_one_left_running_and_its_folder(outside, tmp_path):
    pid_file = tmp_path / "sleeper.pid"
    page = f"```console\n$ sh -c 'echo $$ > {pid_file}; exec sleep 120'\n```\n"
    process, sleeper = start_sleeping_run(outside, pid_file, page, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folders = set(Path("/tmp").glob(f"verify-tutorial-*-{process.pid}-page-*"))
    process.kill()  # SIGKILL: nothing of the run cleans up
    process.wait()
    assert not gone(sleeper) and folders and all(f.is_dir() for f in folders)
    (outside / "docs" / "slow.md").write_text("```console\n$ echo again\nagain\n```\n")
    rerun = run(outside, "docs/slow.md")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "ended what an earlier run's page still ran" in rerun.stdout + rerun.stderr
    assert gone(sleeper) and not any(f.exists() for f in folders)


def test_each_block_is_recorded_as_a_cast_with_nothing_of_the_machine_in_it(outside):
    config = outside / "pyproject.toml"
    config.write_text(
        config.read_text() + 'casts = true\n[tool.verify-tutorial.defaults]\nenv = { API_TOKEN = "s3cr3t-value-42" }\n'
    )
    (outside / "docs" / "private.md").write_text(
        '% verify: setup="echo HIDDEN-SETUP-STEP"\n'
        '```console\n$ echo "on $(uname -n)."\non .* (re)\n'
        '$ pwd\n.* (re)\n$ echo "$HOME"\n.* (re)\n$ echo "$API_TOKEN"\n.* (re)\n'
        "$ ls -d /tmp/verify-tutorial-* | head -1\n.* (re)\n```\n"
    )
    for page in ("broken.md", "cli.md", "reference.rst", "crlf.md"):
        (outside / "docs" / page).unlink()
    result = run(outside)
    assert result.returncode == 0, result.stdout + result.stderr
    cast = outside / "build" / "verify" / "casts" / "docs" / "private.md" / "2.cast"
    header, *events = [json.loads(line) for line in cast.read_text().splitlines()]
    assert (header["version"], header["width"], header["title"]) == (2, 120, "docs/private.md:2")
    shown = "".join(text for _, kind, text in events if kind == "o")
    assert "$ pwd\r\n~/work\r\n" in shown and '$ echo "$HOME"\r\n~\r\n' in shown
    assert "<secret>" in shown and "on host." in shown
    assert "$ ls -d /tmp/verify-tutorial-* | head -1\r\n~\r\n" in shown  # the command as the page shows it
    for private in ("s3cr3t-value-42", "HIDDEN-SETUP-STEP", str(outside)):
        assert private not in cast.read_text(), private
    assert not re.search(r"/tmp/verify-tutorial-\d", cast.read_text())
    assert f"on {platform.node()}." not in shown
    assert [at for at, _, _ in events] == sorted(at for at, _, _ in events)  # real timings, in order
    document = json.loads((outside / "build" / "verify" / "results.json").read_text())
    assert {e["cast"] for e in document["commands"]} == {"casts/docs/private.md/2.cast"}


def only(outside: Path, name: str, text: str) -> None:
    """The project holds one page, this one."""
    for page in (outside / "docs").iterdir():
        page.unlink()
    (outside / "docs" / name).write_text(text)


def test_a_blocks_env_is_put_back_even_when_its_teardown_fails(outside):
    only(
        outside,
        "env.md",
        "```console\n$ export KEEP=1\n```\n\n"
        '% verify: env=KEEP=3 teardown=false\n```console\n$ echo "$KEEP"\n3\n```\n\n'
        '```console\n$ echo "${KEEP-unset}"\n1\n```\n',
    )
    result = run(outside, "--keep-going")
    assert "hidden teardown step failed" in result.stdout
    assert summary(result.stdout) == (2, 1, 0), result.stdout  # the teardown fails its block; the next sees KEEP=1


def test_secret_values_stay_out_of_reports_results_and_casts(outside):
    config = outside / "pyproject.toml"
    config.write_text(config.read_text() + "casts = true\n")
    only(
        outside, "s.md", '% verify: env=DEPLOY_TOKEN=blockval99\n```console\n$ echo "$DEPLOY_TOKEN $MY_TOKEN"\nx\n```\n'
    )
    env_run = subprocess.run(
        [sys.executable, "-m", "verify_tutorial"],
        cwd=outside,
        capture_output=True,
        text=True,
        env={**os.environ, "MY_TOKEN": "tok-abcdef123"},
    )
    assert env_run.returncode == 1 and "+<secret> <secret>" in env_run.stdout, env_run.stdout
    casts = list((outside / "build" / "verify").rglob("*.cast"))
    assert [c.name for c in casts] == ["2.cast"], casts  # recorded, so the check below reads one
    files = [outside / "build" / "verify" / "results.json", *casts]
    for text in [env_run.stdout, *(f.read_text() for f in files)]:
        assert "blockval99" not in text and "tok-abcdef123" not in text


def test_accept_refusal_is_exit_13_and_writes_only_the_safe_output(outside):
    only(outside, "r.md", '```console\n$ printf "a\\n$ rm -rf build\\n"\na\n```\n\n```console\n$ echo new\nold\n```\n')
    result = run(outside, "--accept")
    assert result.returncode == errors.MalformedBlock.exit_code, result.stdout
    assert "accept: rewrote 1 page(s); not the output of the 1 refused command(s)" in result.stdout
    assert (outside / "docs" / "r.md").read_text().endswith("$ echo new\nnew\n```\n")
    assert '$ printf "a\\n$ rm -rf build\\n"\na\n```' in (outside / "docs" / "r.md").read_text()


def test_an_excluded_page_named_on_the_command_line_is_refused_saying_why(outside):
    config = outside / "pyproject.toml"
    config.write_text(config.read_text() + 'exclude = ["cli.md"]\n')
    result = run(outside, "docs/cli.md")
    assert result.returncode == errors.NoSuchPage.exit_code
    assert "docs/cli.md is excluded by 'exclude' in pyproject.toml" in result.stderr


def test_the_projects_own_tests_alone_leave_the_verifiers_junit_alone(outside):
    (outside / "tests").mkdir()
    (outside / "tests" / "test_own.py").write_text("def test_own():\n    assert True\n")
    run(outside, "docs/crlf.md")
    junit = outside / "build" / "verify" / "junit.xml"
    assert junit.exists()
    run(outside, "tests", tool="pytest")
    assert junit.exists()


def test_casts_are_off_by_default_and_turning_them_off_removes_a_pages_old_ones(outside):
    only(outside, "c.md", "```console\n$ echo hi\nhi\n```\n")
    casts = outside / "build" / "verify" / "casts" / "docs" / "c.md"
    assert run(outside).returncode == 0 and not casts.exists()
    config = outside / "pyproject.toml"
    plain = config.read_text()
    config.write_text(plain + "casts = true\n")
    assert run(outside).returncode == 0 and (casts / "1.cast").is_file()
    entry = json.loads((outside / "build" / "verify" / "results.json").read_text())["commands"][0]
    assert entry["cast"] == "casts/docs/c.md/1.cast"
    config.write_text(plain)
    assert run(outside).returncode == 0 and not casts.exists()
    assert "cast" not in json.loads((outside / "build" / "verify" / "results.json").read_text())["commands"][0]


def test_a_timed_out_command_is_reported_as_killed(outside):
    only(outside, "t.md", "% verify: timeout=0.5\n```console\nuser@laptop:~$ sleep 30\n```\n")
    result = run(outside)
    assert result.returncode == 1, result.stdout
    assert "docs/t.md:3: timed out after 0.5 s" in result.stdout
    assert "no exit status (killed)" in result.stdout and "exit status None" not in result.stdout


def test_collect_only_under_pytest_writes_no_report(outside):
    assert run(outside, "--keep-going").returncode == 13
    reports = [outside / "build" / "verify" / name for name in ("results.json", "junit.xml")]
    before = [path.read_bytes() if path.exists() else None for path in reports]
    assert run(outside, "--co", "-q", "docs", tool="pytest").returncode == 0
    assert [path.read_bytes() if path.exists() else None for path in reports] == before


@pytest.mark.parametrize("tool", ["verify_tutorial", "pytest"])
def test_a_results_folder_that_is_a_file_is_one_line_before_any_command_runs(outside, tool):
    (outside / "build").write_text("not a folder\n")
    result = run(outside, *(["docs"] if tool == "pytest" else []), tool=tool)
    said = result.stdout + result.stderr
    assert result.returncode == errors.VerifyError.exit_code, said
    assert "cannot write results to" in said and "Traceback" not in said and " passed" not in said


def test_the_cli_finds_the_projects_settings_from_a_subfolder_and_before_an_unrelated_conf_file(outside):
    (outside / "conf").mkdir()
    (outside / "conf" / "verify.toml").write_text("something = 1\n")  # another tool's, say
    only(outside, "one.md", "```console\n$ echo one\none\n```\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    below = subprocess.run(
        [sys.executable, "-m", "verify_tutorial"], cwd=outside / "docs", capture_output=True, text=True, env=env
    )
    assert below.returncode == 0, below.stdout + below.stderr
    assert summary(below.stdout) == (1, 0, 0) and (outside / "build" / "verify" / "results.json").is_file()
