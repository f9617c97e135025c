"""One version as one ``.tar.gz`` file, and the careful way back in.

Export writes a reproducible archive (sorted members, fixed owner, mode and gzip timestamp) holding one
top-level folder ``<name>-<version>/``. Import never calls ``tarfile.extract*``: it streams the archive and
writes each member itself after checking it is a regular file or a folder with a safe relative name (no
absolute path, no ``..``, no links, devices or FIFOs, no duplicates), that it is one of the files a model
version consists of (:data:`ALLOWED_FILES`), and that the total size, the member count and every extended
(PAX / GNU long-name) header stay under small caps. The decompressed stream itself is counted too, so a
gzip bomb stops at the cap; nothing is written past it. The archive must be a regular file (not
``/dev/zero`` or a FIFO). The result lands in a fresh folder the caller owns, so nothing can be written
anywhere else.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import stat
import tarfile
import tempfile
from pathlib import Path

from zlib import error as zlib_error

from brandfit._atomic import _umask, fsync_dir
from brandfit.errors import InputError
from brandfit.registry._manifest import MANIFEST, iter_files
from brandfit.registry._names import validate_relpath

__all__ = ["ALLOWED_FILES", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_HEADER_BYTES", "DEFAULT_MAX_MEMBERS", "export_folder",
           "safe_extract"]

DEFAULT_MAX_BYTES = 64 * 1024**2  # uncompressed; the encoder is stored as a pointer, so heads stay small (~100 kB)
DEFAULT_MAX_MEMBERS = 64
DEFAULT_MAX_HEADER_BYTES = 64 * 1024  # one PAX / GNU long-name header
ALLOWED_FILES = frozenset({"manifest.json", "metadata.json", "model.json", "heads.npz", "README.md"})
"""The files a model version consists of; an archive holding anything else is refused."""
_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class _Refused(Exception):
    """Raised from inside tarfile's header parsing; turned into InputError by safe_extract."""


def _capped_tarinfo(max_header_bytes: int) -> type[tarfile.TarInfo]:
    class _CappedTarInfo(tarfile.TarInfo):
        def _proc_member(self, tarfile_):  # noqa: ANN001, ANN202 - tarfile's private hook
            if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                             tarfile.GNUTYPE_LONGLINK) and self.size > max_header_bytes:
                raise _Refused(f"an extended header of {self.size} bytes (at most {max_header_bytes})")
            if self.type == tarfile.GNUTYPE_SPARSE:
                raise _Refused(f"member {self.name!r} is a sparse file; only regular files are allowed")
            return super()._proc_member(tarfile_)

    return _CappedTarInfo


def export_folder(folder: Path, dest_file: Path, *, arcroot: str) -> Path:
    """Write every file of ``folder`` under ``arcroot/`` into ``dest_file`` (gzip tar), atomically."""
    dest_file = Path(dest_file)
    dest_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest_file.parent, prefix=f".{dest_file.name}.", suffix=".tmp")
    try:
        with contextlib.suppress(OSError):  # a filesystem without modes keeps mkstemp's; the export goes on
            os.chmod(tmp_name, 0o666 & ~_umask())  # mkstemp's 0600 would follow the archive; other outputs are 0644
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


def _open_tar_stream(counted: _CappedReader, archive: Path, max_header_bytes: int) -> tarfile.TarFile:
    """Open the (decompressed, capped) stream as a tar stream; ``InputError`` when it is not one."""
    try:
        return tarfile.open(fileobj=counted, mode="r|", tarinfo=_capped_tarinfo(max_header_bytes))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"refusing {archive}: not a tar archive or a .tar.gz ({exc})") from None
    except _Refused as exc:
        raise InputError(f"refusing {archive}: {exc}") from None


def _accept_member(member: tarfile.TarInfo, parts: tuple[str, ...], archive: Path,
                   seen: set[tuple[str, ...]]) -> bool:
    """Whether to extract ``member`` (False for a folder); ``InputError`` when it is not an allowed file or appears
    twice. Adds ``parts`` to ``seen``."""
    if member.isdir():
        return False  # folders are created on demand for the files inside them
    if not member.isfile() or member.issparse():
        raise InputError(
            f"refusing {archive}: member {member.name!r} is {_member_kind(member)}; "
            "only regular files are allowed"
        )
    if parts[-1] not in ALLOWED_FILES or len(parts) > 2:
        raise InputError(
            f"refusing {archive}: member {member.name!r} is not a file of a model version (only "
            f"{', '.join(sorted(ALLOWED_FILES))}, at the top or in one folder)"
        )
    if parts in seen:
        raise InputError(f"refusing {archive}: member {member.name!r} appears twice")
    seen.add(parts)
    return True


def safe_extract(
    archive: Path,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> tuple[Path, str]:
    """Extract ``archive`` into the new folder ``dest``; return (the version folder inside it, archive sha256).

    The version folder is ``dest`` itself when ``manifest.json`` sits at the top of the archive, or the one
    top-level folder holding it. Raises ``ValueError`` on any unsafe or malformed member.
    """
    archive = Path(archive)
    raw = _open_regular(archive)
    dest.mkdir()
    digest = hashlib.sha256()
    total = 0
    seen: set[tuple[str, ...]] = set()
    # the decompressed stream may hold the members' data plus, per member, a header, one extended header
    # and padding; past that it is a bomb
    stream_cap = max_bytes + max_members * (3 * 512 + 2 * max_header_bytes) + 20 * 512
    with raw:
        hashing = _HashingReader(raw, digest)
        magic = raw.read(2)
        digest.update(magic)
        head = _Prefixed(magic, hashing)
        plain = gzip.GzipFile(fileobj=head, mode="rb") if magic == _GZIP_MAGIC else head
        counted = _CappedReader(plain, stream_cap, archive)
        with _open_tar_stream(counted, archive, max_header_bytes) as tar:
            try:
                for count, member in enumerate(tar, start=1):
                    if count > max_members:
                        raise InputError(f"refusing {archive}: more than {max_members} members")
                    parts = _member_parts(member, archive)
                    if parts is None:
                        continue
                    if not _accept_member(member, parts, archive, seen):
                        continue
                    total += member.size
                    if total > max_bytes:
                        raise InputError(
                            f"refusing {archive}: more than {max_bytes} bytes once extracted (raise max_bytes "
                            "if this model really is that large)"
                        )
                    _write_member(tar, member, dest, parts, archive)
            except (tarfile.TarError, OSError, EOFError, zlib_error) as exc:
                raise InputError(f"refusing {archive}: corrupt or truncated archive ({exc})") from None
            except _Refused as exc:
                raise InputError(f"refusing {archive}: {exc}") from None
        while hashing.read(_CHUNK):  # trailing padding still belongs to the file's hash
            pass
    return _version_root(dest, archive), digest.hexdigest()


def _open_regular(archive: Path):  # noqa: ANN202 - a binary file object
    """Open ``archive`` for reading, refusing anything but a regular file (``/dev/zero``, a FIFO, a folder)
    without blocking on it."""
    try:
        fd = os.open(archive, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise InputError(f"refusing {archive}: no such file") from None
    except OSError as exc:
        raise InputError(f"refusing {archive}: can't open it ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
            raise InputError(f"refusing {archive}: it is {kind}; a model archive must be a regular .tar.gz file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class _Prefixed:
    """``prefix`` then the rest of ``raw`` (the magic bytes were read to choose the decompressor)."""

    def __init__(self, prefix: bytes, raw) -> None:  # noqa: ANN001 - private helper
        self._prefix = prefix
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size is None or size < 0:
                data, self._prefix = self._prefix + self._raw.read(), b""
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            if len(data) < size:
                data += self._raw.read(size - len(data))
            return data
        return self._raw.read(size)


class _CappedReader:
    """Counts the decompressed bytes tarfile reads and stops the stream once they pass ``cap``."""

    def __init__(self, raw, cap: int, archive: Path) -> None:  # noqa: ANN001 - private helper
        self._raw = raw
        self._cap = cap
        self._archive = archive
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._cap - self.read_bytes + 1
        data = self._raw.read(min(size, self._cap - self.read_bytes + 1))
        self.read_bytes += len(data)
        if self.read_bytes > self._cap:
            raise _Refused(f"more than {self._cap} bytes once decompressed")
        return data


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
