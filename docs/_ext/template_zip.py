"""The template as a download: docker-practice/ zipped at the start of every docs build.

The archive holds one top-level folder, ``docker-practice/``, with every file
of the template that git would consider part of it: tracked files, plus new
files not yet committed, minus what ``.gitignore`` excludes (byte-code caches
and the like). Without git (a source tarball), every file is taken except
byte-code caches, VCS folders and OS litter.

The archive is deterministic (sorted entries, fixed timestamps, modes reduced
to 644 or 755), so an unchanged template gives a byte-identical file, and the
file is replaced only when its bytes change, atomically (a temp file in the
same folder, fsync, rename): a build never sees half an archive, and Sphinx
sees no new modification time when nothing changed.

Pages link it with Sphinx's download role, by the path set in
``template_zip_target`` (relative to the configuration directory), e.g.
``{download}`docker-practice.zip <../build/template/docker-practice.zip>```.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Used only without git: what no reader needs in their copy of the template.
SKIPPED_DIRECTORIES = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"})
SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# The earliest time a zip entry can carry; any fixed value keeps builds identical.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def template_files(source: Path) -> list[str]:
    """The template's files, as POSIX paths relative to `source`, sorted."""
    listed = _git_files(source)
    if listed is None:
        listed = _walked_files(source)
    return sorted({name for name in listed if (source / name).is_file()})


def _git_files(source: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files, or None where git cannot say."""
    try:
        listing = subprocess.run(
            ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [name for name in listing.stdout.decode("utf-8").split("\0") if name]
    return names or None


def _walked_files(source: Path) -> list[str]:
    found = []
    for folder, directories, files in os.walk(source):
        directories[:] = [d for d in directories if d not in SKIPPED_DIRECTORIES]
        for name in files:
            if name in SKIPPED_NAMES or name.endswith(SKIPPED_SUFFIXES):
                continue
            found.append((Path(folder) / name).relative_to(source).as_posix())
    return found


def archive_bytes(source: Path) -> bytes:
    """The zip of `source`, the same bytes for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in template_files(source):
            path = source / name
            executable = path.stat().st_mode & stat.S_IXUSR
            entry = zipfile.ZipInfo(f"{source.name}/{name}", date_time=FIXED_TIME)
            entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so that unzip applies the modes above
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def write_if_changed(target: Path, data: bytes) -> bool:
    """Put `data` at `target` atomically, unless it holds those bytes already."""
    if target.is_file() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def on_builder_inited(app: Sphinx) -> None:
    source = Path(app.confdir, app.config.template_zip_source).resolve()
    target = Path(app.confdir, app.config.template_zip_target).resolve()
    if not (source / "Makefile").is_file():
        logger.warning("template_zip: no template at %s (template_zip_source)", source)
        return
    if write_if_changed(target, archive_bytes(source)):
        logger.info("template_zip: wrote %s", target)


def setup(app: Sphinx) -> dict:
    app.add_config_value("template_zip_source", "../docker-practice", "env")
    app.add_config_value("template_zip_target", "../build/template/docker-practice.zip", "env")
    app.connect("builder-inited", on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
