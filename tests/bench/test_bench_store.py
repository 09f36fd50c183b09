"""Which engine and image store the bench measured on, and image sizes read from
`docker save` that mean the same on both stores. The inputs are real outputs,
recorded on this project's two engines (tests/fixtures/store/):

- info-*.json: `docker info --format '{{json .}}'`, the fields that matter kept.
- save-*.tar: `docker save benchstore-tiny:1`, the image of the Dockerfile there
  (a layer with a 3,000-byte file, a hard link to it, a symlink and 41 small
  files; an ENV; a layer with one 6-byte file), built on each engine. Classic's
  `docker history` gave 3317, 0 and 6 bytes; the containerd store's gave 184320,
  0 and 12288 (4 kB blocks), and its `docker image inspect` Size 3267 (gzip).
"""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from conftest import ROOT

from image_bench.report import table
from image_bench.store import describe, image_store, measured_on, read_saved

FIXTURES = ROOT / "tests" / "fixtures" / "store"
CLASSIC_HISTORY = [3317, 0, 6]  # what Docker 20.10 itself reports, base first


def info(name: str) -> dict:
    return json.loads((FIXTURES / f"info-{name}.json").read_text())


def test_the_store_is_read_from_the_engines_own_info():
    assert image_store(info("classic")) == "classic"
    assert image_store(info("containerd")) == "containerd"


def test_the_containerd_field_alone_does_not_mean_the_containerd_store():
    # Docker 28 with the classic store still runs containers through containerd.
    classic_on_28 = {**info("containerd"), "Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]]}
    assert image_store(classic_on_28) == "classic"


def test_what_bench_json_records_and_readers_see():
    assert describe(info("classic")) == {
        "engine": "20.10.24+dfsg1",
        "image_store": "classic",
        "storage_driver": "overlay2",
        "measured_on": "Docker 20.10, classic image store",
    }
    assert describe(info("containerd"))["measured_on"] == "Docker 28.5, containerd image store"
    assert describe(info("containerd"))["storage_driver"] == "overlayfs"


def test_a_snapshot_without_a_store_names_one_only_where_the_engine_had_one():
    assert measured_on("20.10.24+dfsg1", None) == "Docker 20.10, classic image store"
    assert measured_on("28.5.2", None) == "Docker 28.5"


@pytest.mark.parametrize("archive", ["save-classic-20.10.tar", "save-containerd-28.5.tar"])
def test_layer_sizes_are_the_classic_stores_figures_on_both_engines(archive):
    found = read_saved((FIXTURES / archive).read_bytes())
    assert [layer["bytes"] for layer in found] == CLASSIC_HISTORY  # the hard-linked file counted once
    assert [layer["created_by"] for layer in found] == [
        "COPY /tree/ / # buildkit",
        "ENV BENCHSTORE=1",
        "COPY /tree/data/sub/hello.txt /second/hello.txt # buildkit",
    ]


def _tar(entries: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in entries.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        for name, target in (links or {}).items():
            member = tarfile.TarInfo(name)
            member.type, member.linkname = tarfile.SYMTYPE, target
            tar.addfile(member)
    return buffer.getvalue()


def test_a_repeated_layer_saved_as_a_symlink_counts_in_each_place():
    layer = _tar({"big": b"x" * 700, "wh/.wh.gone": b""})
    config = {"history": [{"created_by": "RUN one"}, {"created_by": "RUN two"}]}
    manifest = [{"Config": "c.json", "Layers": ["a/layer.tar", "b/layer.tar"]}]
    archive = _tar(
        {"a/layer.tar": layer, "c.json": json.dumps(config).encode(), "manifest.json": json.dumps(manifest).encode()},
        {"b/layer.tar": "../a/layer.tar"},
    )
    assert [layer["bytes"] for layer in read_saved(archive)] == [700, 700]


def test_the_table_says_what_the_figures_were_measured_on():
    text = table({"engine": "28.5.2+dfsg4", "image_store": "containerd", "storage_driver": "overlayfs"})
    assert text.splitlines()[0].startswith("measured on Docker 28.5, containerd image store")
