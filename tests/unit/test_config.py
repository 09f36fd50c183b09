"""The configuration's table of keys: unknown keys refused by name, rules and targets
read from it, the reference made from it."""

from __future__ import annotations

import re

import pytest

from verify_tutorial.checking.match import matches
from verify_tutorial.config import KEYS, load, reference_markdown
from verify_tutorial.errors import VerifyError
from verify_tutorial.parsing.pages import collect_page
from verify_tutorial.verifier import Verifier


def settings_file(tmp_path, text: str):
    path = tmp_path / "verify.toml"
    path.write_text('engine = "none"\n' + text)
    (tmp_path / "docs").mkdir(exist_ok=True)
    return path


def test_an_unknown_key_is_refused_with_the_closest_known_one(tmp_path):
    with pytest.raises(VerifyError, match=r"unknown key 'defualt_timeout'; did you mean default_timeout\?"):
        load(settings_file(tmp_path, "defualt_timeout = 1\n"))


def test_a_misspelt_engine_is_refused_not_taken_for_docker(tmp_path):
    path = tmp_path / "verify.toml"
    path.write_text('engine = "dokcer"\n')
    with pytest.raises(VerifyError, match=r"engine = 'dokcer': use one of docker, none"):
        load(path)


def test_a_projects_rules_normalize_its_output(tmp_path):
    path = settings_file(tmp_path, '[[rules]]\nname = "seed"\npattern = "seed \\\\d+"\nplaceholder = "seed <n>"\n')
    rules = load(path).rules
    assert matches(["seed 42"], ["seed 7"], rules) and not matches(["seed 42"], ["seed 7"])
    with pytest.raises(VerifyError, match="pattern is not a regular expression"):
        load(settings_file(tmp_path, '[[rules]]\nname = "x"\npattern = "("\nplaceholder = ""\n'))


def test_the_first_target_is_the_default_and_an_unknown_one_is_refused(tmp_path):
    path = settings_file(tmp_path, '[targets]\ncpu = "shows a CPU"\ngpu = "needs a GPU"\n')
    assert Verifier(load(path)).target == "cpu"
    with pytest.raises(VerifyError, match=r"--target tpu: not a target of .*; use one of cpu, gpu"):
        Verifier(load(path), target="tpu")
    with pytest.raises(VerifyError, match="--allow slurm: not a requirement"):
        Verifier(load(path), allow=["slurm"])


def test_the_reference_lists_every_key_with_its_default():
    table = reference_markdown()
    assert all(f"| `{key.name}` |" in table for key in KEYS)
    assert "| `default_timeout` | seconds | `300` |" in table


@pytest.mark.parametrize("placeholder", ["\\\\9", "C:\\\\path", "\\\\g<missing>"])
def test_a_rule_whose_placeholder_cannot_be_used_is_refused_at_load(tmp_path, placeholder):
    text = f'[[rules]]\nname = "x"\npattern = "(a)"\nplaceholder = "{placeholder}"\n'
    with pytest.raises(VerifyError, match="placeholder is not a replacement"):
        load(settings_file(tmp_path, text))


def test_a_rule_may_use_its_own_groups(tmp_path):
    text = '[[rules]]\nname = "x"\npattern = "(?P<n>a)(b)"\nplaceholder = "\\\\g<n>-\\\\2"\n'
    assert load(settings_file(tmp_path, text)).rules[0].apply("ab") == "a-b"


def test_the_docker_engine_without_its_sdk_is_one_line_saying_what_to_install(monkeypatch):
    import sys

    from verify_tutorial.engines import engine_for

    monkeypatch.setitem(sys.modules, "docker", None)  # as if not installed
    for name in [m for m in sys.modules if m.startswith("verify_tutorial.engines.docker")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(
        VerifyError,
        match=r"install the verifier with its docker extra \(pip install '/path/to/verify-tutorial\[docker\]'",
    ):
        engine_for("docker")


def test_roles_name_accounts_and_a_bad_table_is_refused(tmp_path):
    path = settings_file(tmp_path, '[roles]\nworkstation = "reader"\ncluster = "researcher"\n')
    assert list(load(path).roles.items()) == [("workstation", "reader"), ("cluster", "researcher")]
    with pytest.raises(VerifyError, match=r'roles = .*give a table of role = "account"'):
        load(settings_file(tmp_path, '[roles]\nworkstation = "Not An Account"\n'))


def page_with(tmp_path, block: str):
    (tmp_path / "docs" / "page.md").write_text(f"# Page\n\n{block}")
    return tmp_path / "docs" / "page.md"


def test_a_block_s_unknown_role_stops_the_run_naming_its_line(tmp_path):
    path = settings_file(tmp_path, '[roles]\nworkstation = "nobody"\n')
    page = page_with(tmp_path, "% verify: role=clutser\n```console\n$ true\n```\n")
    verifier = Verifier(load(path))
    wanted = r"page.md:4: role=clutser is not a role of verify.toml; use one of workstation"
    with pytest.raises(VerifyError, match=wanted):
        verifier.preflight([page], say=print)


def test_a_block_with_a_role_is_skipped_where_the_run_cannot_switch_to_its_account(tmp_path, monkeypatch):
    path = settings_file(tmp_path, '[roles]\nworkstation = "nobody"\nnewcomer = "nobody"\n')
    page = page_with(tmp_path, "% verify: role=newcomer\n```console\n$ true\n```\n")
    verifier = Verifier(load(path))
    (block,) = verifier.blocks(page)
    monkeypatch.setattr(Verifier, "switches_accounts", property(lambda self: False))
    assert verifier.skip_reason(block) == (
        "runs as the newcomer role's own account (nobody), which only a run started as root can switch to"
    )
    monkeypatch.setattr(Verifier, "switches_accounts", property(lambda self: True))
    assert verifier.skip_reason(block) is None


def test_prompts_exclude_defaults_and_keep_going_are_checked_at_load(tmp_path):
    bad = {
        'prompts = ["("]': "prompts = ['(']: '(' is not a regular expression",
        'prompts = ["(#) "]': "must match some text and hold no groups",
        'exclude = ["/abs"]': "give a list of glob patterns relative to pages",
        "keep_going = 1": "keep_going = 1: give true or false",
        "[defaults]\ntimeout = 3": "the default timeout is default_timeout, a key of its own",
        "[defaults]\nptty = true": "unknown key 'ptty'; did you mean pty?",
        '[defaults]\ncwd = "/etc"': "cwd='/etc' must be a folder inside the project",
    }
    for text, message in bad.items():
        with pytest.raises(VerifyError, match=re.escape(message)):
            load(settings_file(tmp_path, text))


def test_a_configured_root_prompt_and_the_default_host_prompt(tmp_path):
    page = tmp_path / "docs" / "p.md"
    page.parent.mkdir()
    page.write_text("```console\nuser@box:~/src$ id -u\n0\n# whoami\nroot\n```\n")
    plain = load(settings_file(tmp_path, ""))
    (command,) = collect_page(page, dialect=plain.dialect)[0].commands
    assert (command.text, command.expected) == ("id -u", ["0", "# whoami", "root"])
    rooted = load(settings_file(tmp_path, 'prompts = ["\\\\$ ", "[\\\\w.-]+@[\\\\w.-]+:\\\\S*\\\\$ ", "# "]'))
    first, second = collect_page(page, dialect=rooted.dialect)[0].commands
    assert (first.text, first.expected, second.text, second.expected) == ("id -u", ["0"], "whoami", ["root"])


def test_excluded_pages_are_never_read(tmp_path):
    settings = load(settings_file(tmp_path, 'exclude = ["drafts/*"]'))
    (settings.pages / "drafts" / "deep").mkdir(parents=True)
    (settings.pages / "drafts" / "deep" / "x.md").write_text("not read")
    (settings.pages / "kept.md").write_text("read")
    assert [p.name for p in settings.all_pages()] == ["kept.md"]
