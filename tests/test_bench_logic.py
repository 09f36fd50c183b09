"""The bench's pure parts: log parsing, Dockerfile edits, lock pins, the checks and the table."""

from __future__ import annotations

import pytest
from conftest import ROOT

from image_bench.builds import parse_log
from image_bench.lock import pins
from image_bench.recipes import OURS, SEED, add_apt_package, private_caches
from image_bench.report import checks, table

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


def test_parse_log_counts_steps_that_ran_and_what_they_fetched():
    steps_run, wheels, debs = parse_log(BUILDKIT_LOG)
    assert steps_run == 2  # #6 and #8; #5 and #9 were cached, #1 is internal
    assert wheels == ["six-1.17.0-py2.py3-none-any.whl"]  # not the metadata, not the cached jax
    assert debs == ["less"]  # not the index


def test_parse_log_of_a_fully_cached_build():
    cached = "#5 [python 2/3] RUN true\n#5 CACHED\n#6 [stage-2 1/1] COPY a b\n#6 CACHED\n"
    assert parse_log(cached) == (0, [], [])


def test_private_caches_gives_each_mount_its_own_id_and_keeps_given_ids():
    text = (
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
        "    --mount=type=cache,target=/var/lib/apt/lists true\n"
        "RUN --mount=type=cache,id=mine,target=/x true\n"
    )
    out = private_caches(text, "ns")
    assert "--mount=type=cache,id=ns-0,target=/var/cache/apt" in out
    assert "--mount=type=cache,id=ns-1,target=/var/lib/apt/lists" in out
    assert "--mount=type=cache,id=mine,target=/x" in out


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


def _figures(ours_size=700, seed_size=1300, edit_steps=0, wheels=("six-1.17.0-py3-none-any.whl",), overhead=0.05):
    def builds(steps, fetched_wheels):
        scenario = {
            "seconds": [1.0],
            "median_seconds": 1.0,
            "downloaded_bytes": [10],
            "median_downloaded_bytes": 10,
            "steps_run": [steps],
            "pip_downloads": [list(fetched_wheels)],
            "apt_downloads": [0],
        }
        return {
            "cold": scenario,
            "source edit": {**scenario, "steps_run": [edit_steps]},
            "one more dependency": scenario,
            "apt package changed": scenario,
        }

    return {
        "cpu": {
            "seed-style": {"size_bytes": seed_size, "builds": builds(3, ["a.whl", "b.whl"])},
            "ours": {"size_bytes": ours_size, "builds": builds(0, wheels)},
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
        ({"ours_size": 760}, "the floor"),
        ({"seed_size": 1000}, "seed-style"),
        ({"edit_steps": 1}, "source edit"),
        ({"wheels": ("six.whl", "numpy.whl")}, "only it"),
        ({"overhead": 0.2}, "overhead"),
    ],
)
def test_each_check_fails_on_its_own_defect(change, failing):
    figures = _figures(**change)
    failed = [c.claim for c in checks(figures["cpu"], figures["verify"]) if not c.passed]
    assert len(failed) == 1 and failing in failed[0]


def test_table_shows_ratios():
    text = table(_figures())
    assert "CPU image size" in text and "0.54" in text  # 700 / 1300
    assert "ours/floor 1.03" in text  # 700 / 680
    assert "overhead 5.0%" in text
