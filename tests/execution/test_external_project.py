"""The verifier as another project would use it: only pytest's entry point and a
[tool.verify-tutorial] table, plain shell pages in MyST and reStructuredText, no
engine. And a project that installs the package without configuring it sees nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

from conftest import FIXTURES


def pytest_in(folder, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # proof that no engine is used
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
    )


def test_an_external_project_verifies_through_the_entry_point_alone(tmp_path):
    project = tmp_path / "external"
    shutil.copytree(FIXTURES / "external", project)
    result = pytest_in(project, "docs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docs/guide.md:5  2 command(s)  run" in result.stdout
    assert "docs/howto.rst:8  2 command(s)  run" in result.stdout
    assert "7 passed, 0 failed, 0 skipped" in result.stdout
    document = json.loads((project / "build" / "verify" / "results.json").read_text())
    assert {e["page"] for e in document["commands"]} == {"docs/guide.md", "docs/howto.rst"}
    assert document["engine"] == "none"


def test_a_failure_in_an_rst_page_names_its_line(tmp_path):
    project = tmp_path / "external"
    shutil.copytree(FIXTURES / "external", project)
    page = project / "docs" / "howto.rst"
    page.write_text(page.read_text().replace("hello, rst", "hello, RST"))
    result = pytest_in(project, "docs")
    assert result.returncode == 1
    assert "docs/howto.rst:12: output differs from the page" in result.stdout


def test_without_configuration_the_plugin_is_inert(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "plain"\nversion = "0"\n')
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("```console\n$ false\n```\n")
    # What the process inherits: an ignored SIGINT stays ignored across exec (a
    # background job's), else Python installs its own. Unconfigured, the plugin changes neither.
    inherited = "signal.SIG_IGN" if signal.getsignal(signal.SIGINT) is signal.SIG_IGN else "signal.default_int_handler"
    (tmp_path / "test_plain.py").write_text(
        "import signal\n\n"
        "def test_signals_are_untouched():\n"
        f"    assert signal.getsignal(signal.SIGINT) is {inherited}\n"
        "    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL\n"
    )
    result = pytest_in(tmp_path, ".")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    ours = [line for line in result.stdout.splitlines() if "verify" in line.lower() and not line.startswith("plugins:")]
    assert not ours and "console" not in result.stdout
    assert not (tmp_path / "build").exists()
