"""An account's Docker client configuration: the plugins' folder, never the logins."""

from __future__ import annotations

import json

from verify_tutorial.engines.docker.session import DockerEngine
from verify_tutorial.execution.identity import RunIdentity


def test_an_account_gets_where_plugins_are_but_none_of_the_logins(tmp_path):
    mine = tmp_path / "root-docker"
    mine.mkdir()
    (mine / "config.json").write_text(
        json.dumps(
            {
                "auths": {"registry.example": {"auth": "c2VjcmV0"}},
                "credsStore": "desktop",
                "credHelpers": {"gcr.io": "gcloud"},
                "cliPluginsExtraDirs": ["/opt/docker-current/usr/libexec/docker/cli-plugins"],
                "aliases": {"builder": "buildx"},
            }
        )
    )
    home = tmp_path / "home"
    home.mkdir()
    engine = DockerEngine(RunIdentity.new(tmp_path))
    env = engine.account_env(home, {"DOCKER_CONFIG": str(mine)})
    assert env == {"DOCKER_CONFIG": str(home / ".docker")}
    copied = json.loads((home / ".docker" / "config.json").read_text())
    assert copied == {
        "cliPluginsExtraDirs": ["/opt/docker-current/usr/libexec/docker/cli-plugins"],
        "aliases": {"builder": "buildx"},
    }
    assert "c2VjcmV0" not in (home / ".docker" / "config.json").read_text()


def test_no_configuration_of_the_verifier_s_own_means_none_for_the_account(tmp_path):
    engine = DockerEngine(RunIdentity.new(tmp_path))
    assert engine.account_env(tmp_path, {}) == {}
    unreadable = tmp_path / "nothing-here"
    assert engine.account_env(tmp_path, {"DOCKER_CONFIG": str(unreadable)}) == {
        "DOCKER_CONFIG": str(tmp_path / ".docker")
    }
    assert json.loads((tmp_path / ".docker" / "config.json").read_text()) == {}


def test_a_client_configuration_set_in_the_environment_reaches_another_account_s_copy(tmp_path, monkeypatch):
    """Another account's shell starts from a login's environment, without the verifier's
    DOCKER_CONFIG (current Docker's, naming buildx): the engine's variables carry it."""
    from verify_tutorial.execution.accounts import login_environment
    from verify_tutorial.execution.page import shell_environment

    mine = tmp_path / "client"
    mine.mkdir()
    (mine / "config.json").write_text('{"cliPluginsExtraDirs": ["/opt/plugins"]}')
    monkeypatch.setenv("DOCKER_CONFIG", str(mine))
    engine = DockerEngine(RunIdentity.new(tmp_path))
    reader = shell_environment(engine.shell_env(), login_environment({"PATH": "/usr/bin"}))
    assert reader["DOCKER_CONFIG"] == str(mine)
    home = tmp_path / "home"
    home.mkdir()
    copied = engine.account_env(home, reader)
    assert json.loads((home / ".docker" / "config.json").read_text()) == {"cliPluginsExtraDirs": ["/opt/plugins"]}
    assert copied == {"DOCKER_CONFIG": str(home / ".docker")}
