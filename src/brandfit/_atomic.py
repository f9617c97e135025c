"""Crash-safe file writes, shared by the registry, the batch-tagging job and the onnx cache: a reader sees the old
content or the new one, never a mix.

The recipe: write a temporary file in the target's own folder (same filesystem, so the rename is atomic),
give it the usual mode (``mkstemp`` makes 0600; the finished file gets 0666 minus the umask), flush and
``fsync`` it, ``os.replace`` it over the target, then ``fsync`` the folder so the rename itself survives a
power cut.

Every temporary file is named ``.NAME.XXXXXXXX.tmp`` beside its target ``NAME`` (``XXXXXXXX``: the 8 characters
``mkstemp`` draws), made by :func:`new_temp_path` alone; :func:`temp_name_pattern` matches exactly that name, so
a job can find the temporary files an interrupted write of its own target left (and nobody else's).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

__all__ = ["sha256_file", "fsync_file", "atomic_path", "atomic_write_bytes", "atomic_write_json", "atomic_write_text",
           "dump_json", "fsync_dir", "new_temp_path", "temp_name_pattern"]


_READ_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_READ_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    """Flush a finished file's bytes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (creations, renames, deletions) durable. A no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # Windows cannot open a directory; NTFS journals the metadata itself
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_temp_path(target: Path) -> Path:
    """A new, empty temporary file beside ``target`` (same folder, so same filesystem): ``.NAME.XXXXXXXX.tmp``,
    with the usual mode (``mkstemp`` makes 0600; this gives 0666 minus the umask, as the finished file gets)."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        os.chmod(tmp_path, 0o666 & ~_umask())
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return tmp_path


def temp_name_pattern(target: Path) -> re.Pattern[str]:
    """Matches (``fullmatch``) exactly the names :func:`new_temp_path` gives for ``target``: ``.NAME.`` + the 8
    characters ``mkstemp`` draws (``[a-z0-9_]``) + ``.tmp``. Another target's temporary file (``NAME.errors.jsonl``'s)
    never matches."""
    return re.compile(r"\." + re.escape(Path(target).name) + r"\.[a-z0-9_]{8}\.tmp")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` to write; on success it is fsync-ed and renamed over ``target``."""
    target = Path(target)
    tmp_path = new_temp_path(target)
    try:
        yield tmp_path
        fsync_file(tmp_path)
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dump_json(obj: Any) -> str:
    """The one JSON dialect the registry writes: sorted keys, indented, strict (no NaN), trailing newline."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, dump_json(obj))
