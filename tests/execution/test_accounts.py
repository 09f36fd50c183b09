"""A page's commands run as the role's account, not as the verifier's user."""

from __future__ import annotations

import os
import pwd
import tempfile
from pathlib import Path

import pytest

from verify_tutorial.document.model import Block, Command, Options
from verify_tutorial.errors import VerifyError
from verify_tutorial.execution.accounts import Account, accounts_for
from verify_tutorial.execution.page import PageRun, shell_environment

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching accounts needs root, as CI has")


def nobody() -> Account:
    try:
        return Account.named("nobody")
    except KeyError:
        pytest.skip("no account named nobody here")


def block(*commands: Command, **options: object) -> Block:
    return Block(Path("page.md"), 1, list(commands), Options(**options))  # type: ignore[arg-type]


def command(text: str, expected: list[str], label: str | None = None, line: int = 2) -> Command:
    return Command(line, text, label, expected, line + 1)


def page(tmp_path: Path, accounts: dict[str, Account] | None) -> PageRun:
    """A page run in a folder of /tmp's own, as the verifier makes them (pytest's
    tmp_path is root's alone: no other account could enter it)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "file.txt").write_text("mine\n")
    folder = Path(tempfile.mkdtemp(prefix="verify-tutorial-test-accounts-", dir="/tmp"))
    return PageRun(project, "page.md", shell_environment(), folder, accounts=accounts)


@as_root
def test_a_role_runs_as_its_account_with_its_own_files(tmp_path: Path) -> None:
    account = nobody()
    run = page(tmp_path, {"reader": account})
    try:
        step = command('id -un; echo "$USER"; stat -c %U file.txt; touch new.txt && stat -c %U new.txt', [])
        result = run.run_step(block(step), step, timeout=30, accept=True)
        name = pwd.getpwuid(account.uid).pw_name
        assert result.actual == [name, name, name, name]
        assert result.role == "reader" and result.user.startswith(f"{name} (uid {account.uid}")
    finally:
        run.close()


@as_root
def test_a_terminal_and_scripted_input_work_for_the_account(tmp_path: Path) -> None:
    run = page(tmp_path, {"reader": nobody()})
    try:
        step = command('read -r -p "name? " name && echo "hello $name"; id -u', [])
        result = run.run_step(block(step, stdin="ada\n"), step, timeout=30, accept=True)
        assert result.actual[-2:] == ["hello ada", str(nobody().uid)]
    finally:
        run.close()


@as_root
def test_a_labelled_prompt_runs_as_its_role_in_a_copy_of_its_own(tmp_path: Path) -> None:
    reader = nobody()
    run = page(tmp_path, {"workstation": reader, "cluster": reader})
    try:
        here = command("touch only-here.txt; pwd", [])
        there = command("ls only-here.txt 2>&1; pwd", [], label="cluster", line=5)
        first = run.run_step(block(here), here, timeout=30, accept=True)
        second = run.run_step(block(there), there, timeout=30, accept=True)
        assert "No such file or directory" in second.actual[0] and second.actual[1].endswith("/cluster/project")
        assert first.role == "workstation" and second.role == "cluster"
        assert run.role(there) == "cluster" and run.role(command("x", [], label="gpu-host")) == "workstation"
        assert first.actual[0].endswith("/workstation/project")
    finally:
        run.close()


def test_an_ordinary_user_runs_every_role_as_itself() -> None:
    if os.geteuid() == 0:
        me = Account.current()
        assert me.is_root
        return
    found = accounts_for({"workstation": "root-is-not-this", "cluster": "nor-this"})
    assert {a.uid for a in found.values()} == {os.geteuid()}


@as_root
def test_a_missing_account_is_one_line_that_says_how_to_make_it() -> None:
    with pytest.raises(VerifyError, match=r"no account 'no-such-reader' for the role cluster: create it \(useradd"):
        accounts_for({"cluster": "no-such-reader"})


@as_root
def test_root_is_refused_as_a_role() -> None:
    with pytest.raises(VerifyError, match="which is root; name an ordinary account"):
        accounts_for({"workstation": "root"})
