"""conf/host_setup.py: which provision.sh steps a host needs, what is said, and when the session stops.
Every host here is a fake; nothing is installed, started or stopped."""

from __future__ import annotations

import pytest
from facts import BASE_IMAGES, DEBIAN_IMAGE
from host_setup import Host, SetupError, advice, ensure, is_debian_like, missing

DOWN = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
READY = Host(root=True, apt=True, engine="default", engine_problem=None, browser=True)
FRESH = Host(root=True, apt=True, engine="default", engine_problem=DOWN, browser=False)


@pytest.fixture(autouse=True)
def _provisioning_on(monkeypatch):
    monkeypatch.delenv("NO_PROVISION", raising=False)


class FakeHost:
    """A host whose state changes as provision.sh steps run on it."""

    def __init__(self, host: Host, fixes: dict[str, dict] | None = None):
        self.host, self.fixes, self.ran, self.said = host, fixes or {}, [], []

    def look(self) -> Host:
        return self.host

    def run(self, step: str) -> None:
        self.ran.append(step)
        self.host = Host(**{**vars(self.host), **self.fixes.get(step, {})})


def test_a_ready_host_needs_nothing_and_is_not_touched():
    fake = FakeHost(READY)
    ensure(fake.look, fake.said.append, fake.run)
    assert (fake.ran, fake.said) == ([], [])


def test_verify_tutorial_does_not_ask_for_a_browser():
    assert missing(Host(True, True, "default", None, browser=None)) == []


def test_a_fresh_root_debian_host_gets_engine_then_image_then_browser_each_said_once():
    fake = FakeHost(
        FRESH,
        {
            "engine": {"engine_problem": None, "missing_images": BASE_IMAGES},  # images are seen once it answers
            "images": {"missing_images": ()},
            "browser": {"browser": True},
        },
    )
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["engine", "images", "browser"]
    assert fake.said == [
        f"no Docker engine reachable ({DOWN}): installing and starting Debian's docker.io "
        "(bash conf/provision.sh engine)",
        f"base images {', '.join(BASE_IMAGES)} missing: pulling each, else building it from Debian's packages "
        "(bash conf/provision.sh images)",
        "no Chromium for the browser test: installing Debian's chromium (bash conf/provision.sh browser)",
    ]


def test_only_what_is_missing_is_provisioned():
    fake = FakeHost(Host(True, True, "default", None, (DEBIAN_IMAGE,), True), {"images": {"missing_images": ()}})
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["images"]


def test_the_current_engine_is_provisioned_by_its_own_step():
    host = Host(True, True, "current", "connect: no such file or directory", browser=None)
    assert [s.command for s in missing(host)] == ["engine-current"]
    # ...and its base image too: that step copies it from the first engine.
    assert [s.command for s in missing(Host(True, True, "current", None, BASE_IMAGES))] == ["engine-current"]


def test_a_step_that_does_not_fix_what_it_should_stops_the_session():
    fake = FakeHost(FRESH, {"engine": {}})  # dockerd would not start, say
    with pytest.raises(SetupError, match=r"even after 'bash conf/provision\.sh engine'; see its output above$"):
        ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["engine"]


def test_not_root_on_debian_stops_with_the_one_sudo_command_for_everything_missing():
    fake = FakeHost(Host(False, True, "default", DOWN, browser=False))
    with pytest.raises(SetupError) as stopped:
        ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == []
    line = str(stopped.value)
    assert "\n" not in line
    assert line == (
        f"no Docker engine reachable ({DOWN}): run 'sudo bash conf/provision.sh all browser', "
        "then run this again (NO_PROVISION=1 skips this check)"
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (Host(False, True, "default", None, BASE_IMAGES), r"run 'sudo bash conf/provision\.sh images'"),
        (Host(False, True, "current", DOWN), r"run 'sudo bash conf/provision\.sh engine-current'"),
        (
            Host(False, False, "default", DOWN),
            r"install and start Docker \(https://docs\.docker\.com/engine/install/\)",
        ),
        (Host(True, False, "default", None, BASE_IMAGES), r"run 'bash conf/provision\.sh images'"),
        (
            Host(True, False, "default", None, (), False),
            r"^no Chromium .*: install Chromium or Chrome, or set CHROMIUM",
        ),
        (
            Host(True, True, "tcp://10.0.0.5:2375", DOWN),
            r"DOCKER_HOST names \(tcp://10\.0\.0\.5:2375\) does not answer",
        ),
        (
            Host(False, True, "default", "permission denied while trying to connect to the Docker daemon socket"),
            r"add yourself to the docker group",
        ),
    ],
    ids=[
        "images-not-root",
        "current-not-root",
        "not-debian",
        "not-debian-root",
        "browser-elsewhere",
        "remote-engine",
        "socket-permission",
    ],
)
def test_hosts_that_cannot_provision_themselves_get_one_line_naming_what_to_do(host, expected):
    fake = FakeHost(host)
    with pytest.raises(SetupError, match=expected) as stopped:
        ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == [] and "\n" not in str(stopped.value)
    assert str(stopped.value) == advice(host, missing(host))


def test_with_an_engine_elsewhere_root_still_installs_the_browser_here():
    fake = FakeHost(Host(True, True, "tcp://10.0.0.5:2375", None, (), False), {"browser": {"browser": True}})
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["browser"]


def test_no_provision_skips_the_check(monkeypatch):
    monkeypatch.setenv("NO_PROVISION", "1")
    fake = FakeHost(FRESH)
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == []


@pytest.mark.parametrize(
    ("os_release", "expected"),
    [
        ('ID=debian\nVERSION_ID="12"\n', True),
        ("ID=ubuntu\nID_LIKE=debian\n", True),
        ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', True),
        ('ID=fedora\nID_LIKE="rhel centos"\n', False),
        (None, False),  # no /etc/os-release: macOS, say
    ],
)
def test_debian_or_ubuntu_is_read_from_os_release(tmp_path, monkeypatch, os_release, expected):
    monkeypatch.setattr("host_setup.shutil.which", lambda name: f"/usr/bin/{name}")
    path = tmp_path / "os-release"
    if os_release is not None:
        path.write_text(os_release, encoding="utf-8")
    assert is_debian_like(path) is expected


def test_the_cluster_tools_are_provisioned_as_root_once_the_engine_answers():
    lacking = "no apptainer, slurmctld for the cluster page"
    fake = FakeHost(Host(True, True, "default", None, browser=True, cluster=lacking), {"cluster": {"cluster": None}})
    said = []
    ensure(fake.look, said.append, fake.run)
    assert fake.ran == ["cluster"]
    assert said == [
        f"{lacking}: installing Slurm and munge from Debian, and Apptainer from Debian unstable, unprivileged"
        " (bash conf/provision.sh cluster)"
    ]


def test_a_host_that_cannot_install_the_cluster_tools_goes_on_without_them():
    lacking = "no apptainer for the cluster page"
    assert missing(Host(False, True, "default", None, cluster=lacking)) == []
    assert missing(Host(True, False, "default", None, cluster=lacking)) == []
    assert [s.command for s in missing(Host(True, True, "default", DOWN, cluster=lacking))] == ["engine"]


def test_root_without_the_pages_accounts_makes_them_before_the_browser():
    host = Host(True, True, "default", None, browser=False, accounts=("verify-reader", "verify-cluster"))
    fake = FakeHost(host, {"accounts": {"accounts": ()}, "browser": {"browser": True}})
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["accounts", "browser"]
    assert fake.said[0].startswith("no account verify-reader, verify-cluster for the pages' commands")


def test_the_accounts_the_configuration_names_are_the_ones_provisioning_makes():
    import tomllib

    from conftest import ROOT
    from facts import CLUSTER_ACCOUNT, NEWCOMER_ACCOUNT, READER_ACCOUNT, ROOTLESS_ACCOUNT

    roles = tomllib.loads((ROOT / "conf" / "verify.toml").read_text(encoding="utf-8"))["roles"]
    assert sorted(roles.values()) == sorted((READER_ACCOUNT, CLUSTER_ACCOUNT, NEWCOMER_ACCOUNT, ROOTLESS_ACCOUNT))


def test_a_site_build_without_dot_installs_graphviz_and_nothing_else():
    # What probe_docs sees: no engine looked at, only dot.
    fake = FakeHost(Host(True, True, "default", None, dot=False), {"docs": {"dot": True}})
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["docs"]
    assert fake.said == [
        "no Graphviz (dot) for the site's pictures: installing Debian's graphviz (bash conf/provision.sh docs)"
    ]


def test_the_browser_test_host_gets_graphviz_after_the_browser():
    fake = FakeHost(
        Host(True, True, "default", None, browser=False, dot=False),
        {"browser": {"browser": True}, "docs": {"dot": True}},
    )
    ensure(fake.look, fake.said.append, fake.run)
    assert fake.ran == ["browser", "docs"]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (Host(False, True, "default", None, dot=False), "run 'sudo bash conf/provision.sh docs'"),
        (Host(True, False, "default", None, dot=False), "install Graphviz (https://graphviz.org/download/)"),
    ],
    ids=["debian-not-root", "not-debian"],
)
def test_a_host_that_cannot_install_graphviz_is_told_how(host, expected):
    with pytest.raises(SetupError, match=r"^no Graphviz \(dot\) for the site's pictures: ") as raised:
        ensure(lambda: host, lambda _: None, lambda _: pytest.fail("nothing may run"))
    assert expected in str(raised.value)


def test_probe_docs_looks_for_dot_only(monkeypatch):
    import host_setup

    monkeypatch.setattr(host_setup, "engine_problem", lambda _: pytest.fail("a site build needs no engine"))
    monkeypatch.setattr(host_setup.shutil, "which", lambda name: None if name == "dot" else f"/usr/bin/{name}")
    host = host_setup.probe_docs()
    assert host.dot is False and host.browser is None and host.engine_problem is None
    assert [step.command for step in missing(host)] == ["docs"]
