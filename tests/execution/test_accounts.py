"""A page's commands run as the role's account, not as the verifier's user."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from verify_tutorial.document.model import Block, Command, Options
from verify_tutorial.errors import VerifyError
from verify_tutorial.execution.accounts import Account, accounts_for, login_environment
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


# -- two real accounts (CI makes them: bash conf/provision.sh accounts) ----------


def two_accounts() -> dict[str, Account]:
    try:
        return {"workstation": Account.named("verify-reader"), "cluster": Account.named("verify-cluster")}
    except KeyError:
        pytest.skip("no accounts verify-reader and verify-cluster here (bash conf/provision.sh accounts)")


def reader_page(tmp_path: Path) -> PageRun:
    """As the verifier makes it: the accounts start from a login's environment, not ours."""
    run = page(tmp_path, two_accounts())
    inherited = {"PATH": os.environ["PATH"], "TMPDIR": "/root-only", "CI_TOKEN": "hunter2", "SSL_CERT_FILE": "/ca.crt"}
    run.reader_env = shell_environment(None, login_environment(inherited))
    return run


def ran(run: PageRun, text: str, label: str | None = None, **options: object) -> list[str]:
    step = command(text, [], label=label)
    return run.run_step(block(step, **options), step, timeout=30, accept=True).actual


@as_root
def test_roles_hand_files_over_only_through_the_shared_folder(tmp_path: Path) -> None:
    run = reader_page(tmp_path)
    try:
        ran(run, 'echo mine > mine.txt && install -m 644 mine.txt "$VERIFY_SHARED_DIR"/handed.txt')
        other = "../../workstation/project/mine.txt"
        seen = ran(run, f'cat "$VERIFY_SHARED_DIR"/handed.txt; cat {other} 2>&1; true', "cluster")
        assert seen == ["mine", "cat: ../../workstation/project/mine.txt: Permission denied"]
    finally:
        run.close()


@as_root
def test_one_role_cannot_read_another_s_saved_state_or_the_verifier_s_environment(tmp_path: Path) -> None:
    run = reader_page(tmp_path)
    try:
        assert ran(run, 'echo "${TMPDIR-unset} ${CI_TOKEN-unset} $SSL_CERT_FILE"') == ["unset unset /ca.crt"]
        ran(run, "export SECRET=hunter2; exit 3", exit=3)  # the shell saves its state, then reloads it
        assert ran(run, 'echo "$SECRET"') == ["hunter2"]
        state = f"{run.tmp}/.shell-workstation-main"
        found = ran(run, f"grep -rs hunter2 {run.tmp} | wc -l; ls {state} 2>&1; true", "cluster")
        assert found[0] == "0" and found[1:] == [f"ls: cannot open directory '{state}': Permission denied"]
    finally:
        run.close()


@as_root
def test_a_link_an_account_plants_never_makes_root_chown_or_write_elsewhere(tmp_path: Path) -> None:
    victim = Path(tempfile.mkdtemp(prefix="verify-tutorial-test-victim-", dir="/tmp"))
    (victim / "secret").write_text("root's\n")
    run = reader_page(tmp_path)
    try:
        ran(run, f"ln -s {victim} ../.shell-two; ln -s {victim} ../cluster; ln -s {victim}/secret own 2>&1; true")
        assert ran(run, "id -un", session="two") == ["verify-reader"]
        assert ran(run, "id -un", "cluster") == ["verify-cluster"]
        assert victim.stat().st_uid == 0 and (victim / "secret").stat().st_uid == 0
        assert (victim / "secret").read_text() == "root's\n"
    finally:
        run.close()
        shutil.rmtree(victim)
