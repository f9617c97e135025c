"""One version as one ``.tar.gz`` file, and the careful way back in.

Export writes a reproducible archive (sorted members, fixed owner, mode and gzip timestamp) holding one
top-level folder ``<name>-<version>/``. Import never calls ``tarfile.extract*``: it streams the archive and
writes each member itself after checking it is a regular file or a folder with a safe relative name (no
absolute path, no ``..``, no links, devices or FIFOs, no duplicates) and that the total size and member
count stay under a cap. The result lands in a fresh folder the caller owns, so nothing can be written
anywhere else.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import tempfile
from pathlib import Path

from brandfit._atomic import fsync_dir
from brandfit.errors import InputError
from brandfit.registry._manifest import MANIFEST, iter_files
from brandfit.registry._names import validate_relpath

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_MEMBERS", "export_folder", "safe_extract"]

DEFAULT_MAX_BYTES = 4 * 1024**3  # uncompressed; the encoder is stored as a pointer, so heads stay small
DEFAULT_MAX_MEMBERS = 10_000
_CHUNK = 1024 * 1024


def export_folder(folder: Path, dest_file: Path, *, arcroot: str) -> Path:
    """Write every file of ``folder`` under ``arcroot/`` into ``dest_file`` (gzip tar), atomically."""
    dest_file = Path(dest_file)
    dest_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest_file.parent, prefix=f".{dest_file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                    for relpath, path in sorted(iter_files(folder).items()):
                        info = tarfile.TarInfo(f"{arcroot}/{relpath}")
                        info.size = path.stat().st_size
                        info.mode = 0o644
                        info.mtime = 0
                        with open(path, "rb") as handle:
                            tar.addfile(info, handle)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp_name, dest_file)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    fsync_dir(dest_file.parent)
    return dest_file


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "a symbolic link"
    if member.islnk():
        return "a hard link"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    if member.issparse():
        return "a sparse file"
    return f"of tar type {member.type!r}"


def _member_parts(member: tarfile.TarInfo, archive: Path) -> tuple[str, ...] | None:
    """Safe path parts of a member, ``None`` for the archive's own ``.`` folder; ``ValueError`` if unsafe."""
    name = member.name
    if member.isdir():
        name = name.rstrip("/")
    if name.startswith("./"):
        name = name[2:]
    if member.isdir() and name in ("", "."):
        return None
    try:
        return validate_relpath(name, what="archive member")
    except ValueError as exc:
        raise InputError(f"refusing {archive}: {exc}") from None


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> tuple[Path, str]:
    """Extract ``archive`` into the new folder ``dest``; return (the version folder inside it, archive sha256).

    The version folder is ``dest`` itself when ``manifest.json`` sits at the top of the archive, or the one
    top-level folder holding it. Raises ``ValueError`` on any unsafe or malformed member.
    """
    archive = Path(archive)
    dest.mkdir()
    digest = hashlib.sha256()
    total = 0
    seen: set[tuple[str, ...]] = set()
    with open(archive, "rb") as raw:
        hashing = _HashingReader(raw, digest)
        try:
            tar = tarfile.open(fileobj=hashing, mode="r|*")  # noqa: SIM115 - closed below
        except tarfile.TarError as exc:
            raise InputError(f"refusing {archive}: not a tar archive ({exc})") from None
        with tar:
            try:
                for count, member in enumerate(tar, start=1):
                    if count > max_members:
                        raise InputError(f"refusing {archive}: more than {max_members} members")
                    parts = _member_parts(member, archive)
                    if parts is None:
                        continue
                    if member.isdir():
                        continue  # folders are created on demand for the files inside them
                    if not member.isfile() or member.issparse():
                        raise InputError(
                            f"refusing {archive}: member {member.name!r} is {_member_kind(member)}; "
                            "only regular files are allowed"
                        )
                    if parts in seen:
                        raise InputError(f"refusing {archive}: member {member.name!r} appears twice")
                    seen.add(parts)
                    total += member.size
                    if total > max_bytes:
                        raise InputError(
                            f"refusing {archive}: more than {max_bytes} bytes once extracted (raise max_bytes "
                            "if this model really is that large)"
                        )
                    _write_member(tar, member, dest, parts, archive)
            except tarfile.TarError as exc:
                raise InputError(f"refusing {archive}: corrupt or truncated archive ({exc})") from None
        while hashing.read(_CHUNK):  # trailing padding still belongs to the file's hash
            pass
    return _version_root(dest, archive), digest.hexdigest()


class _HashingReader:
    """A read-only file object that hashes everything read through it (tarfile streams need only ``read``)."""

    def __init__(self, raw, digest) -> None:  # noqa: ANN001 - private helper
        self._raw = raw
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._digest.update(data)
        return data


def _write_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, parts: tuple[str, ...], archive: Path
) -> None:
    target = dest.joinpath(*parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(target, flags, 0o644)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InputError(f"refusing {archive}: member {member.name!r} clashes with another member ({exc})") from None
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - isfile() members always have data
        os.close(fd)
        raise InputError(f"refusing {archive}: member {member.name!r} has no data")
    with os.fdopen(fd, "wb") as out, source:
        remaining = member.size
        while remaining:
            chunk = source.read(min(_CHUNK, remaining))
            if not chunk:
                raise InputError(f"refusing {archive}: member {member.name!r} is truncated")
            out.write(chunk)
            remaining -= len(chunk)


def _version_root(dest: Path, archive: Path) -> Path:
    if (dest / MANIFEST).is_file():
        return dest
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / MANIFEST).is_file():
        return entries[0]
    raise InputError(
        f"refusing {archive}: not a brandfit model archive (expected {MANIFEST} at the top or in one top-level "
        "folder; make archives with `brandfit models export`)"
    )
