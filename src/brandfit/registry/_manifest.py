"""The sha256 manifest of a model version and the check that the folder still matches it.

``manifest.json`` is ``{"format_version": 1, "files": {relpath: sha256}}`` and covers every file of the
version except itself. :func:`verify_folder` refuses missing files, extra files, links and anything that
is not a regular file, and hash mismatches, naming the file. The manifest gives integrity (corruption,
truncation, a swapped head file), not authenticity: whoever can rewrite the folder can rewrite the manifest.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

from brandfit._atomic import sha256_file as hash_file
from brandfit._safejson import JSONLimitError, loads_bounded
from brandfit.errors import FormatVersionError, IntegrityError
from brandfit.registry._names import validate_relpath

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "SUPPORTED_FORMAT_VERSION",
    "check_format_version",
    "hash_file",
    "iter_files",
    "read_json_file",
    "read_manifest",
    "verify_folder",
]

FORMAT_VERSION = 1  # what this brandfit writes
SUPPORTED_FORMAT_VERSION = 1  # the newest it can read
MANIFEST = "manifest.json"
MAX_JSON_BYTES = 16 * 1024 * 1024  # manifests, metadata and aliases are small; refuse to parse a huge file
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def check_format_version(value: Any, where: Path) -> None:
    """Raise ``FormatVersionError`` if ``where`` was written by a newer brandfit, ``IntegrityError`` if nonsense."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise IntegrityError(f"{where}: 'format_version' is missing or not a positive integer ({value!r})")
    if value > SUPPORTED_FORMAT_VERSION:
        raise FormatVersionError(
            f"{where} was written by a newer brandfit (format {value} > {SUPPORTED_FORMAT_VERSION}); upgrade brandfit"
        )


def read_json_file(path: Path, *, what: str) -> dict[str, Any]:
    """Read a small JSON object written by the registry; any problem is an ``IntegrityError`` naming the file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise IntegrityError(f"{path}: {what} is missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise IntegrityError(f"{path}: {what} is not a regular file (link or special file)")
    if info.st_size > MAX_JSON_BYTES:
        raise IntegrityError(f"{path}: {what} is implausibly large ({info.st_size} bytes)")
    try:
        data = loads_bounded(path.read_bytes())  # depth and integer-length limits; never RecursionError
    except JSONLimitError as exc:
        raise IntegrityError(f"{path}: {what} is unreadable or tampered with ({exc})") from None
    except OSError as exc:
        raise IntegrityError(f"{path}: {what} can't be read ({exc})") from None
    if not isinstance(data, dict):
        raise IntegrityError(f"{path}: {what} is not a JSON object")
    return data


def read_manifest(folder: Path) -> dict[str, str]:
    """Return ``{relpath: sha256}`` from ``folder/manifest.json`` after checking its shape and format version."""
    path = folder / MANIFEST
    data = read_json_file(path, what="the manifest")
    check_format_version(data.get("format_version"), path)
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise IntegrityError(f"{path}: the manifest has no 'files' table")
    for relpath, digest in files.items():
        try:
            validate_relpath(relpath)
        except ValueError as exc:
            raise IntegrityError(f"{path}: tampered manifest: {exc}") from None
        if relpath == MANIFEST:
            raise IntegrityError(f"{path}: tampered manifest: it lists itself")
        if not isinstance(digest, str) or _SHA256_RE.fullmatch(digest) is None:
            raise IntegrityError(f"{path}: tampered manifest: the sha256 of {relpath!r} is malformed ({digest!r})")
    return dict(files)


def iter_files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` as ``{posix relpath: path}``; raise ``IntegrityError`` on links or specials."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        for entry in sorted(dirnames + filenames):
            path = base / entry
            relpath = path.relative_to(folder).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                raise IntegrityError(f"{path}: {relpath!r} is {kind}; a model version holds regular files only")
            found[relpath] = path
    return found


def verify_folder(folder: Path, *, keep: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Re-hash every file of a version folder against its manifest; raise ``IntegrityError`` naming the file.

    Returns the bytes of the files named in ``keep``, read once: the bytes that were hashed are the bytes a
    caller then uses (no window between the check and the use).
    """
    expected = read_manifest(folder)
    actual = iter_files(folder)
    actual.pop(MANIFEST, None)
    missing = sorted(expected.keys() - actual.keys())
    if missing:
        raise IntegrityError(f"{folder / missing[0]}: listed in the manifest but missing")
    extra = sorted(actual.keys() - expected.keys())
    if extra:
        raise IntegrityError(f"{folder / extra[0]}: not in the manifest (an extra file was added)")
    absent = sorted(set(keep) - expected.keys())
    if absent:
        raise IntegrityError(f"{folder / absent[0]}: not in the manifest, and a model needs it")
    kept: dict[str, bytes] = {}
    for relpath in sorted(expected):
        if relpath in keep:
            data = actual[relpath].read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            kept[relpath] = data
        else:
            digest = hash_file(actual[relpath])
        if digest != expected[relpath]:
            raise IntegrityError(
                f"{folder / relpath}: sha256 mismatch (manifest {expected[relpath][:12]}..., file {digest[:12]}...); "
                "the file is corrupted or was modified"
            )
    return kept
