"""Which engine and image store the bench measured on, and image sizes that mean
the same thing on both stores.

Why sizes are not taken from the engine: each store reports something else.

- Classic store (overlay2): `docker image inspect`'s Size and `docker history`
  add up the apparent sizes of the files in each layer's diff (a hard-linked
  file once, directories not at all).
- containerd store: `docker image inspect`'s Size is the layers' compressed
  content, and `docker history` gives each snapshot's disk usage in 4 kB
  blocks, directories included. A layer of 5,000 ten-byte files is 49 kB on
  the classic store and 20.6 MB there.

So the bench reads the layers themselves (`docker save`, which both engines
have) and adds up the files in each one as the classic store does. On the
classic store that is the engine's own figure, byte for byte; on the containerd
store it is the same quantity: what the image's unpacked layers hold.
"""

from __future__ import annotations

import gzip
import io
import json
import posixpath
import re
import tarfile
from typing import IO

from .errors import BenchError

CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter."


def image_store(info: dict) -> str:
    """'containerd' or 'classic', from the engine's `docker info` (the API's /info).
    With the containerd store on, the daemon names its snapshotter in DriverStatus
    (`driver-type: io.containerd.snapshotter.v1`); the Driver alone is ambiguous
    (both stores have an overlay, btrfs and zfs driver), and the Containerd field
    is there on engines that use containerd only to run containers."""
    for pair in info.get("DriverStatus") or ():
        if len(pair) == 2 and pair[0] == "driver-type" and str(pair[1]).startswith(CONTAINERD_SNAPSHOTTER):
            return "containerd"
    return "classic"


def describe(info: dict) -> dict:
    """What bench.json records about the engine the figures were measured on."""
    version = str(info.get("ServerVersion") or "unknown")
    store = image_store(info)
    return {
        "engine": version,
        "image_store": store,
        "storage_driver": info.get("Driver") or "unknown",
        "measured_on": measured_on(version, store),
    }


def measured_on(version: str, store: str | None) -> str:
    """For readers: 'Docker 20.10, classic image store'. A snapshot written before
    the bench recorded its store has none: an engine before 24.0 had only the classic
    store, so that one is named; for a later one only the engine is."""
    short = re.match(r"(\d+)\.\d+", version)
    engine = f"Docker {short.group() if short else version}"
    if store is None and short and int(short.group(1)) < 24:  # the containerd store came with 24.0
        store = "classic"
    return f"{engine}, {store} image store" if store else engine


def layer_sizes(saved: IO[bytes]) -> list[dict]:
    """The image's layers, base first, from a `docker save` stream: the instruction
    that made each and the bytes its files hold unpacked. Steps that made no layer
    (ENV, WORKDIR, CMD) are listed with 0 bytes, as `docker history` lists them.

    Both archive layouts are read: Docker 20.10's (`<id>/layer.tar`, a repeated
    layer saved as a symlink to the first) and the OCI one of newer engines
    (`blobs/sha256/<digest>`, compressed on the containerd store)."""
    sizes: dict[str, int] = {}
    documents: dict[str, bytes] = {}
    links: dict[str, str] = {}
    with tarfile.open(fileobj=saved, mode="r|") as archive:
        for member in archive:
            if member.issym() or member.islnk():
                # a hard link names its target from the root, a symlink from its own folder
                folder = "" if member.islnk() else posixpath.dirname(member.name)
                links[member.name] = posixpath.normpath(posixpath.join(folder, member.linkname))
                continue
            if not member.isreg():
                continue
            content = archive.extractfile(member)
            head = content.peek(512)[:512]
            if head[:1] in (b"{", b"["):  # manifest.json, the config, OCI indexes
                documents[member.name] = content.read()
            else:
                found = _layer_bytes(content, head)
                if found is not None:
                    sizes[member.name] = found
    manifest = json.loads(_document(documents, links, "manifest.json"))
    if len(manifest) != 1:
        raise BenchError(f"docker save wrote {len(manifest)} images; one was asked for")
    config = json.loads(_document(documents, links, manifest[0]["Config"]))
    layer_bytes = [_resolve(sizes, links, path) for path in manifest[0]["Layers"]]
    return _with_history(layer_bytes, config.get("history") or [])


def _document(documents: dict[str, bytes], links: dict[str, str], name: str) -> bytes:
    found = _resolve(documents, links, name)
    if found is None:
        raise BenchError(f"docker save wrote no {name}")
    return found


def _resolve(found: dict, links: dict[str, str], name: str):
    for _ in range(8):  # a link to a link, at most a few deep
        if name in found:
            return found[name]
        if name not in links:
            break
        name = links[name]
    raise BenchError(f"docker save's archive lacks {name}")


def _layer_bytes(content: IO[bytes], head: bytes) -> int | None:
    """The bytes a layer's files hold, counted as the classic store counts a layer it
    unpacks (the size of each tar entry): regular files; a hard link's entry carries
    no data, so its file counts once; symlinks, directories and whiteouts add
    nothing. None when the member is no layer."""
    if head[:2] == b"\x1f\x8b":
        stream: IO[bytes] = gzip.GzipFile(fileobj=content)
    elif head[:4] == b"\x28\xb5\x2f\xfd":
        stream = _zstd(content)
    elif head[257:262] == b"ustar" or (len(head) == 512 and not head.strip(b"\0")):  # an empty layer is zeros
        stream = content
    else:
        return None
    total = 0
    with tarfile.open(fileobj=stream, mode="r|") as layer:
        for entry in layer:
            if entry.isreg():
                total += entry.size
    return total


def _zstd(content: IO[bytes]) -> IO[bytes]:
    try:
        from compression import zstd  # Python 3.14 on
    except ImportError:
        raise BenchError("a layer is compressed with zstd, which this Python cannot read (3.14 can)") from None
    return zstd.ZstdFile(content)


def _with_history(layer_bytes: list[int], history: list[dict]) -> list[dict]:
    made_layers = [step for step in history if not step.get("empty_layer")]
    if len(made_layers) != len(layer_bytes):  # a history that does not match the layers: name none
        return [{"bytes": size, "created_by": ""} for size in layer_bytes]
    sizes = iter(layer_bytes)
    return [
        {
            "bytes": 0 if step.get("empty_layer") else next(sizes),
            "created_by": " ".join(step.get("created_by", "").split())[:160],
        }
        for step in history
    ]


def read_saved(data: bytes) -> list[dict]:
    """layer_sizes over an archive held in memory (the tests' recorded ones)."""
    return layer_sizes(io.BytesIO(data))
