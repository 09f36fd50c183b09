"""Option values the verifier cannot use are refused with the line, not run."""

from pathlib import Path

import pytest

from verify_tutorial.document.options import page_comment_words, page_defaults, parse_options
from verify_tutorial.errors import UnknownOption


def options(text: str):
    return parse_options(Path("docs/x.md"), [(4, f" verify: {text}")])


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "abc", ""])
def test_timeout_must_be_positive_and_finite(value):
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: verify option timeout=.* positive number of seconds"):
        options(f"timeout={value}")


@pytest.mark.parametrize("value", ["-1", "256", "1.5", "abc", "+3", ""])
def test_exit_must_be_a_status(value):
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: verify option exit=.* whole number 0 to 255"):
        options(f"exit={value}")


def test_good_values():
    assert options("timeout=0.5").timeout == 0.5
    assert options("timeout=1e3").timeout == 1000
    assert options("exit=255").exit == 255
    assert options("exit=0").exit == 0
    assert options("role=newcomer").role == "newcomer" and options("exit=0").role is None


def test_a_cpu_only_block_runs_on_cpu_and_is_skipped_on_gpu():
    from verify_tutorial.config import load
    from verify_tutorial.document.model import Options
    from verify_tutorial.requirements import skip_reason

    targets = load().targets  # the guide's, from conf/verify.toml
    options = Options(requires=frozenset({"cpu"}))
    assert skip_reason(options, {"cpu"}, targets=targets) is None
    assert skip_reason(options, {"gpu"}, targets=targets) == "shows a machine without a GPU (--target cpu)"


def test_pty_can_be_turned_off_and_takes_only_a_truth_value():
    assert options("pty").pty and not options("pty=false").pty and options("pty=yes").pty
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: pty='maybe': write pty, pty=true or pty=false"):
        options("pty=maybe")


def test_env_is_name_equals_value_and_repeatable():
    assert options("env=A=1 env=B=two=2").env == {"A": "1", "B": "two=2"}
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: env='1A=x' is not NAME=VALUE"):
        options("env=1A=x")


def test_cwd_belongs_to_a_page_not_a_block():
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: cwd= is a page or project default"):
        options("cwd=src")


def test_a_misspelt_option_gets_the_closest_known_one():
    with pytest.raises(UnknownOption, match=r"unknown verify option 'timout'; did you mean timeout\?"):
        options("timout=3")


def test_a_block_starts_from_the_page_defaults_and_overrides_them():
    base, start = page_defaults(
        [("conf", ["pty", "timeout=9", "env=A=project"]), ("docs/x.md:1", ["env=A=page", "cwd=work", "pty=false"])]
    )
    assert (base.pty, base.timeout, start.env, start.cwd) == (False, 9.0, (("A", "page"),), "work")
    block = parse_options(Path("docs/x.md"), [(4, " verify: pty timeout=2")], base=base)
    assert (block.pty, block.timeout) == (True, 2.0)
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:1: cwd='\.\./up' must be a folder inside the project"):
        page_defaults([("docs/x.md:1", ["cwd=../up"])])


def test_an_option_that_holds_one_value_given_twice_is_named_not_overridden():
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:5: timeout is given twice \(first at docs/x\.md:4\)"):
        parse_options(Path("docs/x.md"), [(4, " verify: timeout=1"), (5, " verify: exit=0 timeout=2")])
    assert options("setup=a setup=b env=A=1 env=B=2").setup == ["a", "b"]  # repeatable ones stay so
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:9: pty is given twice"):
        page_comment_words(Path("docs/x.md"), [(2, " verify-page: pty"), (9, " verify-page: pty=false")])


@pytest.mark.parametrize(
    ("comment", "meant"),
    [(" verfy: pty", "verify:"), (" Verify: pty", "verify:"), (" verify-pages: pty", "verify-page:")],
)
def test_a_misspelt_marker_is_refused_saying_which_it_looks_like(comment, meant):
    with pytest.raises(UnknownOption, match=rf"^docs/x\.md:4: '\S+' is not a verify marker; did you mean '{meant}'"):
        parse_options(Path("docs/x.md"), [(4, comment)])


@pytest.mark.parametrize("comment", [" verified by hand on 3 Dec", " Note: this needs a GPU", " _verify:", " TODO:"])
def test_other_comments_are_left_alone(comment):
    assert parse_options(Path("docs/x.md"), [(4, comment)]) == parse_options(Path("docs/x.md"), [])


@pytest.mark.parametrize("comment", [" verify exit=3", " verify : exit=3", " verify-page pty", " Verify exit=3"])
def test_a_marker_without_its_colon_is_refused(comment):
    with pytest.raises(UnknownOption, match=r"^docs/x\.md:4: '\S+' lacks its colon"):
        parse_options(Path("docs/x.md"), [(4, comment)])


def test_a_misspelt_flag_is_unknown_not_short_of_a_value():
    with pytest.raises(UnknownOption, match=r"unknown verify option 'ptty'; did you mean pty\?"):
        options("ptty")


def test_one_variable_set_twice_in_a_block_is_named():
    with pytest.raises(UnknownOption, match=r"env='A=2' sets A a second time"):
        options("env=A=1 env=A=2")
