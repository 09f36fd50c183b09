"""The guide's own console blocks under the typed normalizers, without an engine."""

from pathlib import Path

import pytest
from conftest import ROOT

from verify_tutorial.collect import collect_page
from verify_tutorial.match import matches

COMMANDS = [
    pytest.param(command, id=f"{page.name}:{command.line}")
    for page in sorted((ROOT / "docs").glob("*.md"))
    for block in collect_page(page, str(Path("docs") / page.name))
    for command in block.commands
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_console_block_matches_itself(command):
    assert matches(command.expected, command.expected)


def _expected(text: str) -> list[str]:
    return next(c.values[0].expected for c in COMMANDS if c.values[0].text == text)


def test_the_guides_varying_outputs_match_another_run():
    """What a second real run prints for the blocks whose values vary."""
    assert matches(
        _expected("docker images docker_practice_cpu"),
        [
            "REPOSITORY            TAG       IMAGE ID       CREATED          SIZE",
            "docker_practice_cpu   latest    9a1b2c3d4e5f   12 seconds ago   664MB",
        ],
    )
    assert matches(
        _expected("docker ps --filter name=dp"),
        [
            "CONTAINER ID   IMAGE                        COMMAND   CREATED                  "
            "STATUS                  PORTS     NAMES",
            '9a1b2c3d4e5f   docker_practice_cpu:latest   "bash"    Less than a second ago   '
            "Up Less than a second             dp",
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
        _expected("docker run --rm docker_practice_cpu:latest du -sh /opt/venv /usr/lib/python3.13"),
        ["536M\t/opt/venv", "29M\t/usr/lib/python3.13"],
    )
