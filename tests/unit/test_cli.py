"""How the CLI hands over to pytest: the pages are collected unless files are named."""

import json
import os
import shutil

from conftest import FIXTURES, ROOT, run_verifier

from verify_tutorial.cli import pytest_arguments
from verify_tutorial.config import load
from verify_tutorial.errors import VerifyError


def arguments(*extra):
    settings = load(ROOT / "conf" / "verify.toml")
    return settings, pytest_arguments(settings, list(extra))


def test_pages_are_collected_when_only_options_are_given():
    settings, args = arguments("-k", "example", "-x")
    assert args[-1] == str(settings.pages)
    assert args[-4:-1] == ["-k", "example", "-x"]
    assert args[:2] == ["-c", os.devnull]  # the host project's pytest settings stay out
    assert not [arg for arg in args if arg.startswith("--verify")]  # the plugin gets the Verifier itself


def test_a_named_page_replaces_the_pages_folder():
    settings, args = arguments(str(ROOT / "docs" / "example.md"))
    assert args[-1] == str(ROOT / "docs" / "example.md")
    assert str(settings.pages) not in args


def test_missing_settings_file_is_one_line(tmp_path):
    result = run_verifier(tmp_path / "missing.toml")
    assert result.returncode == VerifyError.exit_code
    assert result.stderr.startswith("verify-tutorial: no settings file at ")
    assert result.stderr.count("\n") == 1


def test_results_dir_on_the_command_line_replaces_the_settings_one(tmp_path):
    """One results folder per engine: a run names its own, and the settings' stays untouched."""
    project = tmp_path / "external"
    shutil.copytree(FIXTURES / "external", project)
    elsewhere = tmp_path / "verify-current"
    result = run_verifier(project / "pyproject.toml", "--results-dir", str(elsewhere))
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((elsewhere / "results.json").read_text())
    assert document["summary"] == "7 passed, 0 failed, 0 skipped"
    assert (elsewhere / "junit.xml").is_file()
    assert not (project / "build" / "verify").exists()
