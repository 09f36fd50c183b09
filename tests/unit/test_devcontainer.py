"""The template's editor files: devcontainer.json held to the keys of the Dev
Container reference it uses (tests/fixtures/devcontainer-keys.schema.json, ours:
the official schema can be neither fetched nor copied in here) and consistent with
the Makefile's folders and variables; launch.json mapping the project where the
containers mount it."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
from conftest import FIXTURES, ROOT

PROJECT = ROOT / "docker-practice"
SCHEMA = json.loads((FIXTURES / "devcontainer-keys.schema.json").read_text())
DEVCONTAINER = json.loads((PROJECT / ".devcontainer" / "devcontainer.json").read_text())
MAKEFILE = (PROJECT / "Makefile").read_text()


def schema_errors(config: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [error.message for error in validator.iter_errors(config)]


def test_the_schema_is_the_2019_09_draft_and_is_itself_valid():
    validator = jsonschema.validators.validator_for(SCHEMA)
    assert validator is jsonschema.Draft201909Validator
    validator.check_schema(SCHEMA)


def test_the_template_devcontainer_json_is_valid():
    assert schema_errors(DEVCONTAINER) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.update(workspacefolder=c.pop("workspaceFolder")),  # a misspelt key
        lambda c: c["mounts"][0].update(kind="bind"),  # a key a mount does not have
        lambda c: c.update(updateRemoteUserUID="yes"),  # a string for a boolean
        lambda c: c.pop("build"),  # neither an image nor a build nor compose
    ],
    ids=["misspelt-key", "unknown-mount-key", "wrong-type", "nothing-to-run"],
)
def test_the_schema_refuses_what_an_editor_would_refuse(change):
    broken = copy.deepcopy(DEVCONTAINER)
    change(broken)
    assert schema_errors(broken) != []


def test_it_builds_the_dockerfile_beside_it_on_the_image_make_builds():
    build = DEVCONTAINER["build"]
    dockerfile = (PROJECT / ".devcontainer" / build["dockerfile"]).read_text()
    assert (PROJECT / ".devcontainer" / build["context"]).resolve() == PROJECT.resolve()
    assert f"ARG BASE_IMAGE={build['args']['BASE_IMAGE']}\n" in dockerfile
    image_name = re.search(r"^IMAGE_NAME \?= (\S+)$", MAKEFILE, re.MULTILINE)[1]
    assert build["args"]["BASE_IMAGE"] == f"{image_name}_cpu:latest"
    assert "docker-build-cpu" in DEVCONTAINER["initializeCommand"].split()
    one_line = re.sub(r"\\\n\s*", "", dockerfile)  # continuation lines joined
    user = DEVCONTAINER["containerUser"]
    assert f'useradd --uid "$USER_UID" --gid "$USER_GID" --create-home --shell /bin/bash {user}' in one_line


def test_folders_and_cache_variables_match_the_makefile():
    mount_dir = re.search(r"^MOUNT_DIR  := (\S+)$", MAKEFILE, re.MULTILINE)[1]
    assert DEVCONTAINER["workspaceFolder"] == mount_dir
    assert f"target={mount_dir}," in DEVCONTAINER["workspaceMount"]
    # What docker-run-cpu binds (OUT at /results, CACHE at /cache), from the same folders.
    bound = {m["target"]: m["source"].removeprefix("${localWorkspaceFolder}") for m in DEVCONTAINER["mounts"]}
    assert bound == {"/results": "/results", "/cache": "/.cache"}
    assert "OUT        ?= $(CURDIR)/results" in MAKEFILE and "CACHE      ?= $(CURDIR)/.cache" in MAKEFILE
    assert "folders" in DEVCONTAINER["initializeCommand"].split()  # make creates them, as yours
    run_flags = MAKEFILE.split("RUN_FLAGS = ", 1)[1].split("\n\n", 1)[0]
    env = dict(re.findall(r"--env (\w+)=(\S+)", run_flags))
    assert DEVCONTAINER["containerEnv"] == env


def test_the_debugger_maps_the_project_to_where_the_containers_mount_it():
    launch = json.loads((PROJECT / ".vscode" / "launch.json").read_text())
    (attach,) = launch["configurations"]
    mount_dir = re.search(r"^MOUNT_DIR  := (\S+)$", MAKEFILE, re.MULTILINE)[1]
    assert attach["pathMappings"] == [{"localRoot": "${workspaceFolder}", "remoteRoot": mount_dir}]
    assert attach["connect"]["host"] == "127.0.0.1"
