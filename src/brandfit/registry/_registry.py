"""The on-disk model registry: ``root/<name>/<version>/`` folders, global aliases, one writer lock.

Layout::

    models/
      .lock                     registry-wide writer lock (filelock)
      .tmp/                     builds in progress; stale ones are ignored by readers and removed by gc
      _aliases/production.json  {"name", "version", "history", "updated_at", "format_version"}
      topic/_next_version       version counter: numbers are never reused, even after delete
      topic/3/                  artifacts + metadata.json + README.md + manifest.json

Readers take no lock: a version folder appears by one atomic rename once complete, an alias file is
replaced by an atomic rename, so a reader sees the old state or the new one. Writers (publish, alias,
rollback, delete, gc) serialise on ``.lock``. Nothing is ever unpickled; every file read here is JSON.
"""

from __future__ import annotations

import builtins
import getpass
import hashlib
import json
import importlib.metadata
import logging
import math
import os
import platform
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from brandfit._atomic import atomic_write_json, dump_json, fsync_dir
from brandfit.errors import (
    FormatVersionError,
    InputError,
    IntegrityError,
    LockTimeoutError,
    NotAFolderError,
    RollbackError,
    UnknownRefError,
)
from brandfit.registry._archive import DEFAULT_MAX_BYTES, export_folder, safe_extract
from brandfit.registry._manifest import (
    FORMAT_VERSION,
    MANIFEST,
    check_format_version,
    hash_file,
    read_json_file,
    verify_folder,
)
from brandfit.registry._names import (
    MAX_VERSION,
    parse_ref,
    validate_name,
    validate_relpath,
)
from brandfit.settings import ENV_REGISTRY, bundled_registry

__all__ = ["ModelRegistry", "ModelVersion"]

logger = logging.getLogger(__name__)

METADATA = "metadata.json"
CARD = "README.md"
ALIASES_DIR = "_aliases"
TMP_DIR = ".tmp"
LOCK_FILE = ".lock"
COUNTER = "_next_version"
HISTORY = "_history.jsonl"  # append-only log of alias changes: who, when, why (one JSON object a line)
MAX_ALIAS_HISTORY = 100
# keys the registry owns; a caller's value is replaced. created_at, libraries and git_commit are only
# filled in when missing, so an imported version keeps the provenance of where it was trained.
_REGISTRY_KEYS = ("format_version", "name", "version", "published_at")
_LIBRARIES = ("brandfit", "numpy", "scikit-learn", "skops", "sentence-transformers", "torch")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def read_metadata(folder: Path) -> dict[str, Any]:
    """``folder/metadata.json`` as a dict; ``FormatVersionError`` if a newer brandfit wrote it."""
    path = folder / METADATA
    data = read_json_file(path, what="the metadata")
    check_format_version(data.get("format_version"), path)
    return data


@dataclass(frozen=True)
class ModelVersion:
    """One published version: ``topic@3`` living in ``path``."""

    name: str
    version: int
    path: Path

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def metadata(self) -> dict[str, Any]:
        """The version's ``metadata.json`` (read on each access; JSON only)."""
        return read_metadata(self.path)


def _is_dir(path: Path) -> bool:
    """A real folder, not a link to one: the registry never follows links it did not make."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _is_version_folder_name(entry: str) -> bool:
    return entry.isascii() and entry.isdigit() and not entry.startswith("0") and int(entry) <= MAX_VERSION


def _jsonable(value: Any, where: str) -> Any:
    """A JSON-safe copy of ``value``: numpy scalars and arrays become numbers and lists, NaN becomes null."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        logger.warning("metadata %s is %r; stored as null (JSON has no NaN or infinity)", where, value)
        return None
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"metadata {where} has a non-string key {key!r}; JSON keys must be strings")
            out[key] = _jsonable(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):  # numpy scalar or array, without importing it
        return _jsonable(value.tolist(), where)
    raise InputError(
        f"metadata {where} is a {type(value).__name__}, which JSON cannot hold; pass str, int, float, bool, "
        "None, lists or dicts"
    )


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in _LIBRARIES:  # importlib.metadata only: importing torch just to read its version costs seconds
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _git_commit() -> str | None:
    """The commit of the working directory's git checkout, with ``+dirty`` when its files differ from that commit
    (changed, staged or new files outside ``.gitignore``: code or data the commit alone cannot give back, as in ``git
    describe --dirty``); ``None`` outside a checkout or without git."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
        commit = done.stdout.strip()
        if done.returncode != 0 or not commit:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + "+dirty" if status.returncode == 0 and status.stdout.strip() else commit


def _flatten(metrics: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(metrics, dict):
        return {prefix: metrics} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _generated_card(meta: Mapping[str, Any]) -> str:
    ref = f"{meta['name']}@{meta['version']}"
    lines = [f"# {ref}", "", f"Published {meta['published_at']} (created {meta.get('created_at')}).", ""]
    for key, title in (("description", None), ("intended_use", "Intended use"), ("limitations", "Limitations")):
        if meta.get(key):
            lines += ([f"## {title}", ""] if title else []) + [str(meta[key]), ""]
    metrics = _flatten(meta.get("metrics") or {})
    if metrics:
        lines += ["## Metrics", "", "| metric | value |", "| --- | --- |"]
        lines += [f"| {key} | {value} |" for key, value in sorted(metrics.items())] + [""]
    facts = [
        ("Backend", meta.get("backend")),
        ("Labels", ", ".join(map(str, meta["labels"])) if isinstance(meta.get("labels"), list) else meta.get("labels")),
        ("Embedding model", meta.get("embedding_model") or meta.get("embedding")),
        ("Embedding dimension", meta.get("embedding_dim")),
        ("Dataset hash", meta.get("dataset_hash")),
        ("Git commit", meta.get("git_commit")),
        ("Libraries", ", ".join(f"{k} {v}" for k, v in sorted((meta.get("libraries") or {}).items()))),
    ]
    lines += ["## Provenance", ""] + [f"- {label}: {value}" for label, value in facts if value not in (None, "")]
    if meta.get("config") is not None:
        lines += ["", "## Training config", "", "```json", dump_json(meta["config"]).rstrip(), "```"]
    return "\n".join(lines) + "\n"


def _write_durable(path: Path, data: bytes) -> str:
    """Write a new file, fsync it, and return its sha256."""
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return hash_file(path)


def _copy_and_hash(src: Path, dst: Path) -> str:
    """Copy one regular file (refusing a link swapped in since it was listed), fsync, return its sha256."""
    digest = hashlib.sha256()
    fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise InputError(f"{src} is not a regular file; a model holds regular files only")
        with open(dst, "xb") as writer:
            while chunk := reader.read(1024 * 1024):
                digest.update(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
    return digest.hexdigest()


def _collect_source(source: Path) -> dict[str, Path]:
    """Every file under ``source`` as ``{relpath: path}``; links, special files and odd names are refused."""
    if not _is_dir(source):
        raise NotAFolderError(f"{source}: the model source must be an existing folder (not a link to one)")
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(source, followlinks=False):
        for entry in sorted(dirnames + filenames):
            path = Path(dirpath) / entry
            relpath = path.relative_to(source).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise InputError(f"{path} is a symbolic link; copy the file itself into the model folder")
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode):
                raise InputError(f"{path} is not a regular file (device, FIFO or socket)")
            validate_relpath(relpath)
            files[relpath] = path
    for reserved in (MANIFEST, METADATA):
        if reserved in files:
            raise InputError(f"{source / reserved}: {reserved} is written by the registry; remove it from the source")
    return files


def _copy_tree(files: Mapping[str, Path], build: Path) -> tuple[dict[str, str], set[Path]]:
    """Copy ``files`` (relpath -> source file) under ``build``; return their hashes and the folders made."""
    hashes = {}
    folders = {build}
    for relpath, src in files.items():
        dst = build.joinpath(*relpath.split("/"))
        dst.parent.mkdir(parents=True, exist_ok=True)
        folders.add(dst.parent)
        hashes[relpath] = _copy_and_hash(src, dst)
    return hashes, folders


def _finish_build(build: Path, full: dict[str, Any], card: str | None, hashes: dict[str, str],
                  folders: set[Path]) -> None:
    """Write the metadata, the card (generated when ``None``) and the manifest into ``build``, durably.

    Adds the metadata and card hashes to ``hashes``.
    """
    hashes[METADATA] = _write_durable(build / METADATA, dump_json(full).encode("utf-8"))
    card_text = card if card is not None else _generated_card(full)
    hashes[CARD] = _write_durable(build / CARD, card_text.encode("utf-8"))
    manifest = {"format_version": FORMAT_VERSION, "files": dict(sorted(hashes.items()))}
    _write_durable(build / MANIFEST, dump_json(manifest).encode("utf-8"))
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        fsync_dir(folder)


class ModelRegistry:
    """Versioned models on disk. See the module docstring for the layout and the concurrency model.

    Example::

        reg = ModelRegistry("models")
        reg.publish("topic", "out/model", metadata={"metrics": {"f1": 0.91}}, aliases=["staging"])
        reg.promote("staging")       # production -> topic@1, after verifying it
        reg.resolve("production")    # Path('.../models/topic/1')
    """

    def __init__(
        self,
        root: str | os.PathLike[str] = "models",
        *,
        lock_timeout: float = 120.0,
        max_archive_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.root = Path(root).absolute()
        self.lock_timeout = lock_timeout
        self.max_archive_bytes = max_archive_bytes

    def __repr__(self) -> str:
        return f"ModelRegistry({str(self.root)!r})"

    # ----------------------------------------------------------------------------------------- paths, locks

    @property
    def _aliases_dir(self) -> Path:
        return self.root / ALIASES_DIR

    @property
    def _tmp_dir(self) -> Path:
        return self.root / TMP_DIR

    def _version_dir(self, name: str, version: int) -> Path:
        return self.root / name / str(version)

    def _check_writable(self) -> None:
        """Refuse to write into the read-only registry bundled with brandfit (before anything is created there)."""
        if self.root.resolve() == bundled_registry().resolve():
            raise InputError(f"{self.root} is the read-only registry bundled with brandfit; write to a registry of "
                             f"your own (--registry PATH or ${ENV_REGISTRY})")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._check_writable()
        self.root.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock, Timeout  # writers only: loading a model needs no lock

        lock = FileLock(self.root / LOCK_FILE, timeout=self.lock_timeout)
        try:
            lock.acquire()
        except Timeout:
            raise LockTimeoutError(
                f"the registry {self.root} stayed locked by another writer for {self.lock_timeout:g} s "
                f"({self.root / LOCK_FILE}); try again when it finishes"
            ) from None
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def _scratch(self, kind: str) -> Iterator[Path]:
        """A fresh folder in ``root/.tmp`` held by a lock of its own, so gc can tell live from stale (never in the
        bundled registry: nothing is created inside the package)."""
        self._check_writable()
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        token = f"{kind}-{os.getpid()}-{secrets.token_hex(6)}"
        lock_path = self._tmp_dir / f"{token}.lock"
        from filelock import FileLock

        lock = FileLock(lock_path, timeout=0)
        lock.acquire()  # before the folder exists, so gc never sees it unlocked
        path = self._tmp_dir / token
        try:
            path.mkdir()
            yield path
        finally:
            # gone already when it was renamed into place; a leftover is removed by gc
            shutil.rmtree(path, ignore_errors=True)
            lock.release()
            lock_path.unlink(missing_ok=True)

    # --------------------------------------------------------------------------------------------- reading

    def _names(self) -> builtins.list[str]:
        if not _is_dir(self.root):
            return []
        names = []
        for entry in sorted(os.listdir(self.root)):
            try:
                validate_name(entry)
            except ValueError:
                continue  # .tmp, _aliases, .lock and anything foreign
            if _is_dir(self.root / entry):
                names.append(entry)
        return names

    def _versions(self, name: str) -> builtins.list[int]:
        folder = self.root / name
        if not _is_dir(folder):
            return []
        found = [int(e) for e in os.listdir(folder) if _is_version_folder_name(e) and _is_dir(folder / e)]
        return sorted(found)

    def list(self) -> builtins.list[ModelVersion]:
        """Every published version, sorted by name then version."""
        return [ModelVersion(n, v, self._version_dir(n, v)) for n in self._names() for v in self._versions(n)]

    def _read_alias(self, alias: str) -> dict[str, Any] | None:
        path = self._aliases_dir / f"{alias}.json"
        if not os.path.lexists(path):
            return None
        data = read_json_file(path, what="the alias file")
        check_format_version(data.get("format_version", 1), path)
        name, version, history = data.get("name"), data.get("version"), data.get("history", [])
        try:
            validate_name(name)
            if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION:
                raise InputError(f"bad version {version!r}")
            if not isinstance(history, builtins.list):
                raise InputError("history is not a list")
            for item in history:
                parsed = parse_ref(item)
                if parsed.name is None or parsed.version is None:
                    raise InputError(f"history entry {item!r} is not name@version")
        except (ValueError, TypeError) as exc:
            raise IntegrityError(f"{path}: the alias file is malformed ({exc})") from None
        return data

    def _alias_names(self) -> builtins.list[str]:
        """The names of the alias files (leftovers of an interrupted atomic write, which start with '.', skipped)."""
        if not _is_dir(self._aliases_dir):
            return []
        names = []
        for entry in sorted(os.listdir(self._aliases_dir)):
            stem, dot, ext = entry.rpartition(".")
            if ext != "json" or not dot:
                continue
            try:
                validate_name(stem)
            except ValueError:
                continue
            names.append(stem)
        return names

    def check_aliases(self) -> dict[str, str | None]:
        """Read every alias file: ``{alias: None}`` when it is sound, ``{alias: reason}`` when it is unreadable,
        malformed, from a newer brandfit, or points at a version that does not exist."""
        out: dict[str, str | None] = {}
        for stem in self._alias_names():
            try:
                data = self._read_alias(stem)
            except (IntegrityError, FormatVersionError) as exc:
                out[stem] = str(exc)
                continue
            if data is None:
                continue
            if not _is_dir(self._version_dir(data["name"], data["version"])):
                out[stem] = (f"{self._aliases_dir / (stem + '.json')}: points at {data['name']}@{data['version']}, "
                             "which does not exist")
            else:
                out[stem] = None
        return out

    def aliases(self) -> dict[str, str]:
        """``{alias: "name@version"}`` for every alias."""
        out = {}
        for stem in self._alias_names():
            data = self._read_alias(stem)
            if data is not None:
                out[stem] = f"{data['name']}@{data['version']}"
        return out

    def _aliases_for(self, mv: ModelVersion) -> builtins.list[str]:
        return [alias for alias, target in self.aliases().items() if target == mv.ref]

    def _inventory(self) -> str:
        """What exists, for error messages."""
        models = []
        for name in self._names():
            versions = self._versions(name)
            if versions:
                shown = ", ".join(map(str, versions[-8:]))
                more = f"{len(versions) - 8} older, " if len(versions) > 8 else ""
                models.append(f"{name} (versions {more}{shown})")
        aliases = [f"{alias} -> {target}" for alias, target in self.aliases().items()]
        if not models and not aliases:
            if not self.root.exists():
                return (f"nothing: the registry folder {self.root} does not exist (check --registry or "
                        "$BRANDFIT_REGISTRY)")
            return f"nothing: the registry {self.root} is empty; publish a model first"
        return (
            f"models in {self.root}: {'; '.join(models) or 'none'}. "
            f"Aliases: {', '.join(aliases) or 'none'}. Refs look like production, topic@3, topic or latest"
        )

    def _unknown(self, message: str) -> UnknownRefError:
        inventory = self._inventory()
        return UnknownRefError(f"{message}. Known: {inventory.removeprefix('nothing: ')}"
                               if not inventory.startswith("nothing: ") else f"{message}: {inventory[9:]}")

    def resolve(self, ref: str) -> Path:
        """The folder of the version ``ref`` names (see :mod:`brandfit.registry._names` for the grammar)."""
        return self.resolve_version(ref).path

    def resolve_version(self, ref: str) -> ModelVersion:
        """``ref`` as a :class:`ModelVersion`; ``ValueError`` if malformed, ``UnknownRefError`` if missing."""
        parsed = parse_ref(ref)
        if parsed.name is None:
            return self._latest_overall()
        if parsed.bare:
            alias = self._read_alias(parsed.name)
            if alias is not None:
                name, version = alias["name"], alias["version"]
                if version not in self._versions(name):
                    raise self._unknown(f"alias {parsed.name!r} points to {name}@{version}, which does not exist")
                return ModelVersion(name, version, self._version_dir(name, version))
        versions = self._versions(parsed.name)
        if not versions:
            if _is_dir(self.root / parsed.name):
                raise self._unknown(f"model {parsed.name!r} has no versions left (all were deleted)")
            what = "model or alias" if parsed.bare else "model"
            raise self._unknown(f"unknown {what} {parsed.name!r}")
        version = versions[-1] if parsed.version is None else parsed.version
        if version not in versions:
            raise self._unknown(f"{parsed.name}@{version} does not exist")
        return ModelVersion(parsed.name, version, self._version_dir(parsed.name, version))

    def _latest_overall(self) -> ModelVersion:
        newest = []
        for name in self._names():
            versions = self._versions(name)
            if versions:
                mv = ModelVersion(name, versions[-1], self._version_dir(name, versions[-1]))
                meta = mv.metadata
                stamp = str(meta.get("published_at") or meta.get("created_at") or "")
                newest.append((stamp, name, mv.version, mv))
        if not newest:
            raise self._unknown("'latest' needs at least one published version")
        return max(newest, key=lambda item: item[:3])[3]

    def show(self, ref: str) -> dict[str, Any]:
        """The version's metadata plus ``ref``, ``path`` and the ``aliases`` pointing to it."""
        mv = self.resolve_version(ref)
        return {**mv.metadata, "ref": mv.ref, "path": str(mv.path), "aliases": self._aliases_for(mv)}

    def compare(self, ref_a: str, ref_b: str) -> dict[str, Any]:
        """Metrics side by side: ``{"a": ref, "b": ref, "metrics": {"f1.macro": {"a", "b", "delta"}}}``.

        Nested metric dicts are flattened with dotted keys; ``delta`` is ``b - a`` when both are numbers.
        """
        a, b = self.resolve_version(ref_a), self.resolve_version(ref_b)
        flat_a, flat_b = _flatten(a.metadata.get("metrics") or {}), _flatten(b.metadata.get("metrics") or {})
        rows = {}
        for key in sorted(flat_a.keys() | flat_b.keys()):
            va, vb = flat_a.get(key), flat_b.get(key)
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (va, vb))
            rows[key] = {"a": va, "b": vb, "delta": (vb - va) if numeric else None}
        return {"a": a.ref, "b": b.ref, "metrics": rows}

    def verify(self, ref: str) -> None:
        """Re-hash every file of ``ref`` against its manifest; ``IntegrityError`` naming the file on mismatch."""
        self.read_verified(ref)

    def read_verified(self, ref: str, names: Sequence[str] = ()) -> tuple[ModelVersion, dict[str, bytes]]:
        """Verify ``ref`` as :meth:`verify` does and return the bytes of the files in ``names``, read once: what
        was hashed is what the caller loads."""
        mv = self.resolve_version(ref)
        kept = verify_folder(mv.path, keep=tuple(names))
        meta = mv.metadata
        if meta.get("name") != mv.name or meta.get("version") != mv.version:
            raise IntegrityError(
                f"{mv.path / METADATA}: says {meta.get('name')}@{meta.get('version')} but lives in {mv.ref}; "
                "move versions between registries with export/import, not by copying folders"
            )
        return mv, kept

    # --------------------------------------------------------------------------------------------- writing

    def _check_namespace(self, name: str | None, aliases: Sequence[str]) -> None:
        """Model names and aliases share one namespace, so a bare ref can never mean two things."""
        if name is not None and self._read_alias(name) is not None:
            raise InputError(f"{name!r} is already an alias; model names and aliases must differ")
        for alias in aliases:
            if alias == name or _is_dir(self.root / alias):
                raise InputError(f"{alias!r} is a model name; model names and aliases must differ")

    def _allocate_version(self, name: str) -> int:
        """The next version number of ``name``, recorded before use so it is never handed out twice."""
        folder = self.root / name
        if not _is_dir(folder):
            folder.mkdir()
            fsync_dir(self.root)
        counter = folder / COUNTER
        recorded = 1
        if os.path.lexists(counter):
            data = read_json_file(counter, what="the version counter")
            recorded = data.get("next")
            if not isinstance(recorded, int) or isinstance(recorded, bool) or recorded < 1:
                raise IntegrityError(f"{counter}: the version counter is malformed; fix or delete it")
        version = max([recorded, *(v + 1 for v in self._versions(name))])
        if version > MAX_VERSION:
            raise InputError(f"model {name!r} ran out of version numbers")
        atomic_write_json(counter, {"format_version": FORMAT_VERSION, "next": version + 1})
        return version

    def publish(
        self,
        name: str,
        source: str | os.PathLike[str],
        *,
        metadata: Mapping[str, Any],
        card: str | None = None,
        aliases: Sequence[str] = (),
    ) -> ModelVersion:
        """Copy every file under ``source`` into a new version of ``name`` and return it.

        ``metadata`` is kept as given (metrics, config, dataset_hash, embedding model and dim, labels,
        backend, ...) plus name, version, published_at and, unless given, created_at, library versions
        and the git commit. ``card`` is the README.md; without it the source's README.md is used, else one
        is generated. A killed process leaves no new version or a complete one.
        """
        name = validate_name(name)
        aliases = list(dict.fromkeys(validate_name(alias, kind="alias") for alias in aliases))
        if not isinstance(metadata, Mapping):
            raise InputError(f"metadata must be a dict, got {type(metadata).__name__}")
        meta = _jsonable(dict(metadata), "")
        source = Path(source)
        if _is_dir(source) and self.root.resolve().is_relative_to(source.resolve()):
            raise InputError(f"the registry {self.root} is inside the source folder {source}; publish a model folder")
        files = _collect_source(source)
        if CARD in files:
            if card is not None:
                raise InputError(f"{source / CARD} exists and card= was given too; pass only one")
            card = files.pop(CARD).read_text(encoding="utf-8")
        self._check_namespace(name, aliases)  # fail fast; checked again under the lock
        meta.setdefault("created_at", _now())
        meta.setdefault("libraries", _library_versions())
        meta.setdefault("git_commit", _git_commit())

        with self._scratch("publish") as build:
            hashes, folders = _copy_tree(files, build)
            with self._locked():
                self._check_namespace(name, aliases)
                version = self._allocate_version(name)
                full = {**meta, "format_version": FORMAT_VERSION, "name": name, "version": version,
                        "published_at": _now()}
                _finish_build(build, full, card, hashes, folders)
                target = self._version_dir(name, version)
                os.rename(build, target)  # the moment the version appears, complete
                fsync_dir(target.parent)
                mv = ModelVersion(name, version, target)
                for alias in aliases:
                    self._write_alias(alias, mv)
        logger.info("published %s (%d files) in %s", mv.ref, len(hashes) + 1, self.root)
        return mv

    def _write_alias(self, alias: str, mv: ModelVersion) -> None:
        current = self._read_alias(alias)
        history: builtins.list[str] = builtins.list(current.get("history", [])) if current else []
        if current is not None:
            previous = f"{current['name']}@{current['version']}"
            if previous == mv.ref:
                return
            history = (history + [previous])[-MAX_ALIAS_HISTORY:]
        self._store_alias(alias, mv, history)

    def _store_alias(self, alias: str, mv: ModelVersion, history: builtins.list[str]) -> None:
        if not _is_dir(self._aliases_dir):
            self._aliases_dir.mkdir(parents=True)
            fsync_dir(self.root)
        record = {"format_version": FORMAT_VERSION, "name": mv.name, "version": mv.version,
                  "history": history, "updated_at": _now()}
        atomic_write_json(self._aliases_dir / f"{alias}.json", record)

    def set_alias(self, alias: str, ref: str, *, event: str = "alias",
                  details: Mapping[str, Any] | None = None) -> ModelVersion:
        """Point ``alias`` at ``ref`` (after verifying it); the old target goes to the alias history."""
        alias = validate_name(alias, kind="alias")
        self._check_namespace(None, [alias])
        checked = self.resolve_version(ref)
        self.verify(checked.ref)  # hashing outside the lock: versions never change once published
        with self._locked():
            self._check_namespace(None, [alias])
            mv = self.resolve_version(ref)  # again: a ref like "staging" may have moved meanwhile
            if mv != checked:
                self.verify(mv.ref)
            previous = self.aliases().get(alias)
            self._write_alias(alias, mv)
            if previous != mv.ref:
                self._log_event({"event": event, "alias": alias, "ref": mv.ref, "previous": previous, **(details or {})})
        logger.info("alias %s -> %s", alias, mv.ref)
        return mv

    def promote(self, ref: str, alias: str = "production", *, details: Mapping[str, Any] | None = None) -> ModelVersion:
        """``set_alias(alias, ref)``: promote a version (or what another alias points to) to ``production``.
        ``details`` (e.g. ``{"forced": True, "reason": "..."}``) are recorded in the registry history."""
        return self.set_alias(alias, ref, event="promote", details=details)

    def delete_alias(self, alias: str) -> str:
        """Remove ``alias``; return the ref it pointed to. The versions stay."""
        alias = validate_name(alias, kind="alias")
        with self._locked():
            current = self._read_alias(alias)
            if current is None:
                raise self._unknown(f"unknown alias {alias!r}")
            ref = f"{current['name']}@{current['version']}"
            (self._aliases_dir / f"{alias}.json").unlink()
            fsync_dir(self._aliases_dir)
            self._log_event({"event": "alias-deleted", "alias": alias, "ref": ref})
        logger.info("deleted alias %s (was %s)", alias, ref)
        return ref

    def _log_event(self, event: Mapping[str, Any]) -> None:
        """Append one record to ``root/_history.jsonl`` (the caller holds the lock)."""
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no login name (some containers)
            who = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
        record = {"when": _now(), "who": who, **_jsonable(dict(event), "event")}
        with open(self.root / HISTORY, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def history(self, ref: str | None = None) -> builtins.list[dict[str, Any]]:
        """The alias changes recorded in the registry, oldest first; only those involving ``ref`` if given."""
        path = self.root / HISTORY
        if not path.is_file():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn last line of a killed writer
            if isinstance(record, dict) and (ref is None or ref in (record.get("ref"), record.get("previous"))):
                out.append(record)
        return out

    def rollback(self, alias: str = "production") -> ModelVersion:
        """Point ``alias`` back at the version it pointed to before the last change."""
        alias = validate_name(alias, kind="alias")
        with self._locked():
            current = self._read_alias(alias)
            if current is None:
                raise self._unknown(f"unknown alias {alias!r}")
            history = builtins.list(current.get("history", []))
            if not history:
                raise RollbackError(
                    f"alias {alias!r} -> {current['name']}@{current['version']} has no earlier target to roll back "
                    f"to (it was rolled back as far as its history goes, or never moved); point it at a version "
                    f"explicitly (brandfit models alias {alias} REF)"
                )
            previous = history[-1]
            try:
                mv = self.resolve_version(previous)
            except UnknownRefError:
                raise RollbackError(
                    f"cannot roll {alias!r} back to {previous}: that version was deleted; point it at a version "
                    f"explicitly (brandfit models alias {alias} REF)"
                ) from None
            verify_folder(mv.path)
            self._store_alias(alias, mv, history[:-1])
            self._log_event({"event": "rollback", "alias": alias, "ref": mv.ref,
                             "previous": f"{current['name']}@{current['version']}"})
        logger.info("rolled %s back to %s", alias, mv.ref)
        return mv

    def _discard(self, folder: Path) -> None:
        """Remove a version: one rename out of sight, then a slow delete nobody can observe half done."""
        with self._scratch("delete") as scratch:
            os.rename(folder, scratch / "version")
            fsync_dir(folder.parent)

    def delete(self, ref: str) -> ModelVersion:
        """Delete one version; refused while an alias points to it. Its number is never reused."""
        parse_ref(ref)
        with self._locked():
            mv = self.resolve_version(ref)
            pointing = self._aliases_for(mv)
            if pointing:
                which = f"alias {pointing[0]!r} points" if len(pointing) == 1 else (
                    f"aliases {', '.join(map(repr, pointing))} point")
                raise InputError(
                    f"refusing to delete {mv.ref}: {which} to it; "
                    f"point it elsewhere first (brandfit models alias {pointing[0]} REF)"
                )
            self._discard(mv.path)
        logger.info("deleted %s", mv.ref)
        return mv

    def gc(self, dry_run: bool = False, keep: int = 3) -> builtins.list[Path]:
        """Remove stale temporary builds and old versions; return what was (or, dry run, would be) removed.

        A version is kept when an alias points to it, when it is an alias's rollback target, or when it is
        among the newest ``keep`` of its model.
        """
        if not isinstance(keep, int) or keep < 0:
            raise InputError(f"keep must be a non-negative integer, got {keep!r}")
        removed: builtins.list[Path] = []
        with nullcontext() if dry_run else self._locked():
            removed += self._gc_scratch(dry_run)
            removed += self._gc_partial_writes(dry_run)
            protected = set(self.aliases().values())
            for alias in self.aliases():
                history = (self._read_alias(alias) or {}).get("history") or []
                protected.update(history[-1:])
            for name in self._names():
                versions = self._versions(name)
                for version in versions[: max(len(versions) - keep, 0)]:
                    if f"{name}@{version}" in protected:
                        continue
                    folder = self._version_dir(name, version)
                    if not dry_run:
                        self._discard(folder)
                    removed.append(folder)
        logger.info("gc %s %d paths", "would remove" if dry_run else "removed", len(removed))
        return removed

    def _gc_scratch(self, dry_run: bool) -> builtins.list[Path]:
        from filelock import FileLock, Timeout

        if not _is_dir(self._tmp_dir):
            return []
        removed = []
        for entry in sorted(os.listdir(self._tmp_dir)):
            path = self._tmp_dir / entry
            token = entry[: -len(".lock")] if entry.endswith(".lock") else entry
            lock_path = self._tmp_dir / f"{token}.lock"
            if entry.endswith(".lock") and os.path.lexists(self._tmp_dir / token):
                continue  # handled together with its folder
            # an owner takes its lock before making its folder and drops it after removing it, so a
            # folder without a lock file is stale, and one whose lock we can take is too
            lock = FileLock(lock_path, timeout=0) if os.path.lexists(lock_path) else nullcontext()
            try:
                with lock:
                    removed.append(path)
                    if not dry_run:
                        if _is_dir(path):
                            shutil.rmtree(path)
                        else:
                            path.unlink(missing_ok=True)
            except Timeout:
                continue  # a live build, import or delete owns it
            if not dry_run:
                lock_path.unlink(missing_ok=True)
        return removed

    def _gc_partial_writes(self, dry_run: bool) -> builtins.list[Path]:
        """Temporary files of atomic writes a killed writer left behind (writers hold the lock while writing)."""
        folders = [self._aliases_dir] + [self.root / name for name in self._names()]
        stale = [
            folder / entry
            for folder in folders
            if _is_dir(folder)
            for entry in sorted(os.listdir(folder))
            if entry.startswith(".") and entry.endswith(".tmp")
        ]
        if not dry_run:
            for path in stale:
                path.unlink(missing_ok=True)
        return stale

    # ----------------------------------------------------------------------------------- export / import

    def export(self, ref: str, dest_file: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the verified version ``ref`` to one ``.tar.gz`` (into a folder if ``dest_file`` is one); an existing
        archive is replaced only with ``overwrite`` (else :class:`~brandfit.errors.OutputExistsError`)."""
        mv = self.resolve_version(ref)
        self.verify(mv.ref)
        dest = Path(dest_file)
        if dest.is_dir():
            dest = dest / f"{mv.name}-{mv.version}.tar.gz"
        if dest.exists() and not overwrite:
            from brandfit.errors import OutputExistsError

            raise OutputExistsError(f"{dest}: already exists; pass --overwrite (overwrite=True) to replace it")
        export_folder(mv.path, dest, arcroot=f"{mv.name}-{mv.version}")
        logger.info("exported %s to %s", mv.ref, dest)
        return dest

    def import_archive(self, file: str | os.PathLike[str], name: str | None = None) -> ModelVersion:
        """Publish the version inside an exported archive as a NEW version (of ``name`` or its own name).

        Every member is checked before it is written (see :mod:`brandfit.registry._archive`) and the
        manifest is verified before anything is published. The original ref, the archive's sha256 and
        the import time are recorded under ``imported_from``.
        """
        file = Path(file)
        if name is not None:
            validate_name(name)
        with self._scratch("import") as scratch:
            folder, archive_sha = safe_extract(file, scratch / "x", max_bytes=self.max_archive_bytes)
            verify_folder(folder)
            meta = read_metadata(folder)
            origin = f"{meta.get('name')}@{meta.get('version')}"
            target = validate_name(name if name is not None else meta.get("name"))
            card_path = folder / CARD
            card = card_path.read_text(encoding="utf-8") if card_path.is_file() else None
            for own in (MANIFEST, METADATA, CARD):
                (folder / own).unlink(missing_ok=True)
            kept = {key: value for key, value in meta.items() if key not in _REGISTRY_KEYS}
            kept["imported_from"] = {"ref": origin, "archive": file.name, "archive_sha256": archive_sha,
                                     "imported_at": _now()}
            mv = self.publish(target, folder, metadata=kept, card=card)
        logger.info("imported %s from %s as %s", origin, file, mv.ref)
        return mv
