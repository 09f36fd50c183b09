"""The bench's pure parts: log parsing, Dockerfile edits, lock pins, the checks and the table."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from image_bench.builds import Log, parse_log
from image_bench.lock import pins
from image_bench.recipes import OURS, OURS_GPU, SEED, add_apt_package, private_caches
from image_bench.report import checks, fetched_only, table

BUILDKIT_LOG = """\
#1 [internal] load build definition from Dockerfile.cpu
#1 DONE 0.0s
#5 [python 2/3] RUN rm -f /etc/apt/apt.conf.d/docker-clean
#5 CACHED
#6 [python 3/3] RUN --mount=type=cache,target=/var/cache/apt apt-get update
#6 0.512 Get:1 http://deb.debian.org/debian trixie InRelease [140 kB]
#6 1.020 Get:7 http://deb.debian.org/debian trixie/main amd64 less amd64 668-1 [161 kB]
#6 DONE 3.1s
#8 [builder 2/2] RUN --mount=type=cache,target=/root/.cache/pip python3 -m venv /opt/venv
#8 2.001 Collecting six==1.17.0
#8 2.002   Downloading six-1.17.0-py2.py3-none-any.whl.metadata (1.7 kB)
#8 2.101   Downloading six-1.17.0-py2.py3-none-any.whl (11 kB)
#8 2.200 Using cached jax-0.12.0.1-py3-none-any.whl (2.9 MB)
#8 DONE 9.0s
#9 [stage-2 1/1] COPY --from=builder /opt/venv /opt/venv
#9 CACHED
"""

# The template's builder after one more dependency: uv names no small download,
# but counts what it had to fetch and lists what it installed.
UV_LOG = """\
#10 [builder 1/1] RUN --mount=type=cache,target=/root/.cache/uv uv venv --allow-existing /opt/venv
#10 0.616 Creating virtual environment at: /opt/venv
#10 0.979 Resolved 7 packages in 362ms
#10 1.006 Prepared 1 package in 26ms
#10 1.100 Uninstalled 1 package in 101ms
#10 1.102 Installed 1 package in 2ms
#10 1.250 Bytecode compiled 1505 files in 141ms
#10 1.251  - pip==25.1.1
#10 1.252  + six==1.17.0
#10 1.300 Resolved 1 package in 1ms
#10 1.350 Installed 1 package in 49ms
#10 1.351  + pip==25.1.1
#10 DONE 3.4s
#11 [stage-3 1/2] COPY --from=builder /venv /opt/venv
#11 DONE 2.5s
"""


def test_parse_log_counts_steps_that_ran_and_what_they_fetched():
    log = parse_log(BUILDKIT_LOG)
    assert log.steps_run == 2  # #6 and #8; #5 and #9 were cached, #1 is internal
    assert log.pip_downloads == ["six-1.17.0-py2.py3-none-any.whl"]  # not the metadata, not the cached jax
    assert log.apt_downloads == ["less"]  # not the index
    assert (log.uv_prepared, log.uv_installed) == (0, [])


def test_parse_log_reads_what_uv_fetched_and_installed():
    log = parse_log(UV_LOG)
    assert log.steps_run == 2
    assert log.uv_prepared == 1
    assert log.uv_installed == ["six", "pip"]  # not the uninstalled pip
    assert log.pip_downloads == [] and log.apt_downloads == []


def test_parse_log_of_a_fully_cached_build():
    cached = "#5 [python 2/3] RUN true\n#5 CACHED\n#6 [stage-2 1/1] COPY a b\n#6 CACHED\n"
    assert parse_log(cached) == Log(0, [], [], 0, [])


def test_private_caches_gives_each_mount_an_id_in_the_namespace():
    text = (
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
        "    --mount=type=cache,target=/var/lib/apt/lists true\n"
        "RUN --mount=type=cache,id=mine,target=/x \\\n"
        "    --mount=type=cache,target=/y,id=late \\\n"
        "    --mount=type=bind,source=a,target=/a true\n"
    )
    out = private_caches(text, "ns")
    assert "--mount=type=cache,id=ns-0,target=/var/cache/apt,sharing=locked" in out
    assert "--mount=type=cache,id=ns-1,target=/var/lib/apt/lists" in out
    assert "--mount=type=cache,id=ns-mine,target=/x" in out  # a given id is made private too
    assert "--mount=type=cache,id=ns-late,target=/y " in out
    assert "--mount=type=bind,source=a,target=/a" in out  # not a cache: untouched


def test_private_caches_reaches_every_cache_mount_of_the_real_dockerfiles():
    for recipe in (OURS, SEED, OURS_GPU):
        out = private_caches((ROOT / recipe.dockerfile).read_text(), "ns")
        mounts = re.findall(r"--mount=(\S+)", out)
        caches = [m for m in mounts if "type=cache" in m]
        assert caches and all(re.search(r"(^|,)id=ns-", m) for m in caches), caches
        assert all(m.count("id=") == 1 for m in caches)


def test_add_apt_package_to_the_real_dockerfiles():
    for recipe in (OURS, SEED):
        text = (ROOT / recipe.dockerfile).read_text()
        assert add_apt_package(text, recipe).count(f"{recipe.apt_anchor} less") == 1


def test_add_apt_package_refuses_an_ambiguous_anchor():
    with pytest.raises(ValueError, match="found it 2 times"):
        add_apt_package("python3-pip\npython3-pip\n", SEED)


def test_pins_reads_a_hashed_lock():
    lock = "jax==0.12.0.1 \\\n    --hash=sha256:abc\n    # via -r requirements.in\nml-dtypes==0.6.0 \\\n"
    assert pins(lock) == {"jax": "0.12.0.1", "ml-dtypes": "0.6.0"}


def _scenario(seconds, steps=0, wheels=(), prepared=0, installed=()):
    return {
        "seconds": [seconds],
        "median_seconds": seconds,
        "downloaded_bytes": [10],
        "median_downloaded_bytes": 10,
        "steps_run": [steps],
        "pip_downloads": [list(wheels)],
        "uv_prepared": [prepared],
        "uv_installed": [list(installed)],
        "apt_downloads": [0],
    }


def _figures(
    ours_size=690,
    seed_size=1300,
    edit_steps=0,
    prepared=1,
    installed=("six", "pip"),
    cold=20.0,
    added=8.0,
    overhead=0.05,
):
    seed_builds = {
        "cold": _scenario(30.0, 3, ["a.whl", "b.whl"]),
        "source edit": _scenario(0.1),
        "one more dependency": _scenario(30.0, 3, ["a.whl", "b.whl", "six.whl"]),
        "apt package changed": _scenario(30.0, 2, ["a.whl", "b.whl", "six.whl"]),
    }
    our_builds = {
        "cold": _scenario(cold, 5, prepared=7, installed=["jax", "pip"]),
        "source edit": _scenario(0.1, edit_steps),
        "one more dependency": _scenario(added, 2, prepared=prepared, installed=installed),
        "apt package changed": _scenario(10.0, 4, installed=["pip"]),
    }
    return {
        "cpu": {
            "seed-style": {"size_bytes": seed_size, "builds": seed_builds},
            "ours": {"size_bytes": ours_size, "builds": our_builds},
            "floor": {"interpreter_image_bytes": 100, "packages_bytes": 580, "floor_bytes": 680},
        },
        "verify": {
            "median_wall_seconds": 30.0,
            "median_commands_seconds": 28.5,
            "overhead_share": overhead,
            "wall_seconds": [30.0],
            "commands_seconds": [28.5],
            "summary": "1 passed",
        },
    }


def test_checks_pass_for_a_lean_template():
    figures = _figures()
    assert all(c.passed for c in checks(figures["cpu"], figures["verify"]))


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"ours_size": 700}, "the floor"),  # 700 / 680 = 1.029
        ({"seed_size": 1000}, "<= 0.60x the seed-style recipe"),
        ({"cold": 23.0}, "cold build"),  # 23 / 30 = 0.77
        ({"added": 9.5}, "one more dependency build"),  # 9.5 / 30 = 0.32
        ({"edit_steps": 1}, "source edit"),
        ({"prepared": 2}, "only it"),  # uv had to fetch a second package
        ({"installed": ("pip",)}, "only it"),  # what uv fetched was not the new dependency
        ({"overhead": 0.2}, "overhead"),
    ],
)
def test_each_check_fails_on_its_own_defect(change, failing):
    figures = _figures(**change)
    failed = [c.claim for c in checks(figures["cpu"], figures["verify"]) if not c.passed]
    assert len(failed) == 1 and failing in failed[0], failed


def test_the_time_checks_hold_at_their_limits():
    figures = _figures(cold=22.5, added=9.0)  # exactly 0.75x and 0.30x of 30 s
    assert all(c.passed for c in checks(figures["cpu"], figures["verify"]))


def test_a_recipe_that_installs_with_pip_passes_when_pip_fetched_only_the_new_wheel():
    only_six = {"pip_downloads": [["six-1.17.0-py3-none-any.whl"]], "uv_prepared": [0], "uv_installed": [[]],
                "apt_downloads": [0]}  # fmt: skip
    assert fetched_only(only_six, "six")
    assert not fetched_only({**only_six, "pip_downloads": [["six.whl", "numpy.whl"]]}, "six")
    assert not fetched_only({**only_six, "apt_downloads": [1]}, "six")


def test_table_shows_ratios():
    text = table(_figures())
    assert "CPU image size" in text and "0.53" in text  # 690 / 1300
    assert "ours/floor 1.01" in text  # 690 / 680
    assert "0.67" in text  # cold: 20 / 30
    assert "overhead 5.0%" in text
