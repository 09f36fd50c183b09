"""The guide's own console blocks under the typed normalizers, without an engine."""

from pathlib import Path

import pytest
from conftest import ROOT

from verify_tutorial.checking.match import matches
from verify_tutorial.parsing.pages import collect_page

COMMANDS = [
    pytest.param(command, id=f"{page.name}:{command.line}")
    for page in sorted((ROOT / "docs").glob("*.md"))
    for block in collect_page(page, str(Path("docs") / page.name))
    for command in block.commands
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_console_block_matches_itself(command):
    assert matches(command.expected, command.expected)


def _one_line(command: str) -> str:
    """The command as bash reads it: continuation lines joined, spacing collapsed."""
    return " ".join(command.replace("\\\n", " ").split())


def _expected(text: str) -> list[str]:
    """The shown output of the guide's command that is `text`, however it is wrapped."""
    found = [c.values[0].expected for c in COMMANDS if _one_line(c.values[0].text) == text]
    assert found, f"no command {text!r} in the guide any more: update this test"
    return found[0]


def test_the_guides_varying_outputs_match_another_run():
    """What a second real run prints for the blocks whose values vary."""
    assert matches(
        _expected(
            "docker images --format 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}'"
            " docker_practice_cpu"
        ),
        [
            "REPOSITORY            TAG       IMAGE ID       CREATED",
            "docker_practice_cpu   latest    9a1b2c3d4e5f   About a minute ago",
        ],
    )
    assert matches(
        _expected(
            'docker run --detach --tty --name dp --user "$(id -u):$(id -g)" --volume "$PWD":/docker-practice'
            " docker_practice_cpu:latest"
        ),
        ["9a1b2c3d4e5f" * 5 + "9a1b"],
    )
    assert matches(
        _expected("docker build --file build/Dockerfile.cpu --tag docker_practice_cpu:latest ."),
        [
            '#0 building with "default" instance using docker driver',
            "",
            "#1 [internal] load build definition from Dockerfile.cpu",
            "#1 DONE 0.1s",
            "#14 exporting to image",
            "#14 exporting layers 4.2s done",
            "#14 writing image sha256:" + "9a1b2c3d" * 8 + " done",
            "#14 naming to docker.io/library/docker_practice_cpu:latest done",
            "#14 DONE 4.3s",
        ],
    )
    assert matches(
        _expected(
            "docker run --rm docker_practice_cpu:latest"
            " du --summarize --si --apparent-size /opt/venv /usr/lib/python3.13"
        ),
        ["549M\t/opt/venv", "27M\t/usr/lib/python3.13"],
    )
