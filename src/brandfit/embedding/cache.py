"""A persistent, shareable, bounded embedding cache: a text embedded once is never embedded again.

It also keeps each text's advertorial cues (a bit mask, under their own identity), so a re-tag that finds every
embedding cached does not run the spaCy cue matcher on them either.

One SQLite file (stdlib, WAL mode) maps ``(encoder identity, sha256 of the normalised text)`` to the float32
vector. ``brandfit tag`` uses it by default (``$BRANDFIT_CACHE_DB``, else ``~/.cache/brandfit/embeddings.sqlite``),
the Python API when asked (``cache=`` or ``$BRANDFIT_CACHE_DB``); see :func:`brandfit.settings.resolve_cache_db`.

>>> from brandfit.embedding.cache import EmbeddingCache
>>> cache = EmbeddingCache("/tmp/emb.sqlite")                       # doctest: +SKIP
>>> vecs = cache.encode(embedder, ["trail running shoes"])          # doctest: +SKIP

What makes it safe to share and to trust:

* **Identity.** Every vector is stored under its encoder's identity (:func:`encoder_identity`: model id, the
  packaged weights' hash, backend, the int8 recipe and the exact ONNX file's sha256, runtime library versions,
  the text-normalisation version). A row's key is ``sha256(text)`` xor a per-identity salt (rows themselves are
  appended in insertion order, so pages stay full and eviction frees whole pages), and the row
  holds the encoder id and the full text hash, both checked on every read: a vector of another encoder or
  another text is never returned, whatever the key collides with. Each vector carries a CRC32 of its bytes:
  one changed on disk is a miss (and is removed), never a wrong answer.
* **Concurrency.** WAL mode (readers never block, one writer at a time), ``busy_timeout``, and short write
  transactions (one ``INSERT`` batch per call), so several tag jobs and Ray actors can share one file. Each
  thread and each process (after a fork) gets its own connection.
* **Crashes.** A write is one SQLite transaction: a SIGKILL mid-write loses at most that batch; the file stays
  consistent (SQLite's WAL recovery on the next open).
* **Corrupt or foreign files.** A path that holds something else (a file that is not SQLite, an SQLite database
  without this cache's tables, a folder) is refused with :class:`~brandfit.errors.SettingsError` and left
  untouched: it is someone's data given as the cache by mistake. A brandfit cache of another schema version, or
  one SQLite reports malformed (on open or later), is moved aside to ``NAME.unusable`` with a warning and a fresh
  cache is made. A vector whose byte length does not match its
  encoder's dimension or its checksum counts as a miss.
* **Bounded.** ``max_bytes`` caps the vectors held (entries x (4 x dim + :data:`ENTRY_OVERHEAD`)); past it, the
  least recently used entries are evicted down to :data:`EVICT_TO` of the cap. "Used" is a timestamp refreshed
  on a hit when older than ``touch_after_s`` (default an hour), so re-reading a warm cache writes nothing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import threading
import time
import weakref
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from brandfit.errors import SettingsError

logger = logging.getLogger(__name__)

__all__ = [
    "EmbeddingCache", "CacheStats", "CachedEmbedder", "encoder_identity", "cue_identity", "normalization_version",
    "open_cache", "resolve_cache", "FORMAT", "SCHEMA_VERSION", "ENTRY_OVERHEAD",
]

FORMAT = "brandfit-embedding-cache"
SCHEMA_VERSION = 1
"""Bump when the tables change; a file of another schema version is moved aside and rebuilt."""
_SQLITE_MAGIC = b"SQLite format 3\x00"
APPLICATION_ID = 0x62666563  # "bfec" in the SQLite header: tells `file(1)` and us what this is
ENTRY_OVERHEAD = 64
"""Bytes counted per entry on top of its vector: key, text hash, timestamp, index entry."""
EVICT_TO = 0.9
DEFAULT_TOUCH_AFTER_S = 3600.0
DEFAULT_TIMEOUT_S = 60.0
_BATCH = 500  # keys per SELECT (SQLite's variable limit is 32766; smaller keeps statements cheap)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE encoders (id INTEGER PRIMARY KEY, identity TEXT NOT NULL UNIQUE, dim INTEGER NOT NULL,
                       created REAL NOT NULL);
CREATE TABLE vectors (id INTEGER PRIMARY KEY, key INTEGER NOT NULL UNIQUE, enc INTEGER NOT NULL, h BLOB NOT NULL,
                      vec BLOB NOT NULL, crc INTEGER NOT NULL, used REAL NOT NULL);
CREATE INDEX vectors_used ON vectors (used);
"""


class UnusableCacheError(Exception):
    """The file is not an embedding cache of this format and schema (or SQLite says it is malformed)."""


def _is_corruption(exc: BaseException) -> bool:
    """SQLite's "not a database" / "malformed" (and our own checks), as opposed to busy, full, I/O or permission
    errors (``OperationalError``), which say nothing against the file."""
    return isinstance(exc, UnusableCacheError) or (
        isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError))


# --- identity -------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def normalization_version() -> str:
    """The text-normalisation version: ``brandfit.text.NORMALIZATION_VERSION`` when the package defines one, else
    a hash of the normalisation sources (any change to them is a new version)."""
    import brandfit.text as text

    declared = getattr(text, "NORMALIZATION_VERSION", None)
    if declared is not None:
        return f"v{declared}"
    h = hashlib.sha256()
    root = Path(text.__file__).resolve().parent
    for name in ("_normalize.py", "_segment.py"):
        path = root / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"-")
    return "src-" + h.hexdigest()[:16]


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


@functools.lru_cache(maxsize=4)
def _torch_identity() -> str:
    from brandfit.embedding._torch import packaged_model_dir
    from brandfit.embedding.onnx_export import source_model_hash

    return (f"src={source_model_hash(packaged_model_dir())}|sentence-transformers={_dist_version('sentence-transformers')}"
            f"|torch={_dist_version('torch')}")


def _onnx_identity(model_path: Path) -> str:
    from brandfit.embedding.onnx_export import RECIPE, read_sidecar

    meta = read_sidecar(Path(model_path).with_suffix(".json"))
    return (f"src={meta.get('source_sha256')}|recipe={meta.get('recipe', RECIPE)}|onnx={meta.get('onnx_sha256')}"
            f"|onnxruntime={_dist_version('onnxruntime')}")


@functools.lru_cache(maxsize=1)
def cue_identity() -> str:
    """What cached cue masks were found with: the cue patterns and qualifiers (and the paid-disclosure check they
    read), the cleaning and tokenizer code, spaCy's version."""
    import brandfit.cue_phrases as cue_phrases
    import brandfit.cue_qualifiers as cue_qualifiers
    import brandfit.cues as cues
    import brandfit.disclosure as disclosure
    import brandfit.text as text

    h = hashlib.sha256()
    troot = Path(text.__file__).resolve().parent
    for path in (Path(cues.__file__).resolve(), Path(cue_phrases.__file__).resolve(),
                 Path(cue_qualifiers.__file__).resolve(), Path(disclosure.__file__).resolve(), troot / "_normalize.py",
                 troot / "_tokenizer.py", troot / "_repeats.py"):
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"-")
    if len(cues.CUES) > 24:  # masks are stored as one float32: exact up to 2**24
        raise RuntimeError(f"{len(cues.CUES)} cues do not fit the cache's one-float32 bit mask (at most 24)")
    return f"brandfit-cues|src-{h.hexdigest()[:16]}|spacy={_dist_version('spacy')}|n={len(cues.CUES)}"


_identities: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()
_identities_lock = threading.Lock()


def encoder_identity(embedder: Any) -> str:
    """What a cached vector was computed with; vectors are only ever returned to an identical identity.

    An embedder may define ``cache_identity`` (a string) itself; the packaged backends are identified by the model
    id, the weights' hash, the backend, for onnx the int8 recipe and the exported file's sha256, and the runtime
    library versions; every identity also carries the dimension and :func:`normalization_version`.
    """
    with _identities_lock:
        with contextlib.suppress(TypeError):
            got = _identities.get(embedder)
            if got is not None:
                return got
    from brandfit.embedding import MODEL_ID

    name = str(embedder.name)
    custom = getattr(embedder, "cache_identity", None)
    if custom is not None:
        base = f"{name}|{custom}"
    elif name.endswith("/onnx") and getattr(embedder, "model_path", None) is not None:
        base = f"{MODEL_ID}|backend=onnx|{_onnx_identity(embedder.model_path)}"
    elif name.endswith("/torch"):
        base = f"{MODEL_ID}|backend=torch|{_torch_identity()}"
    else:
        base = name
    identity = f"{base}|dim={int(embedder.dim)}|norm={normalization_version()}"
    with _identities_lock, contextlib.suppress(TypeError):
        _identities[embedder] = identity
    return identity


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _salt(identity: str) -> int:
    return int.from_bytes(hashlib.sha256(identity.encode()).digest()[:8], "big")


def _row_id(h: bytes, salt: int) -> int:
    u = int.from_bytes(h[:8], "big") ^ salt
    return u - (1 << 64) if u >= (1 << 63) else u


# --- the cache ------------------------------------------------------------------------------------------------
@dataclass
class CacheStats:
    """What :meth:`EmbeddingCache.stats` reports."""

    path: str
    entries: int
    bytes: int
    """Entries x (vector + :data:`ENTRY_OVERHEAD`): what the cap applies to."""
    max_bytes: int | None
    file_bytes: int
    """The database file plus its WAL on disk (``brandfit cache prune`` vacuums the slack away)."""
    encoders: list[dict[str, Any]] = field(default_factory=list)
    oldest_used: float | None = None
    newest_used: float | None = None
    hits: int = 0
    misses: int = 0
    """Lookups answered / not answered by this object since it was opened (this process only)."""

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


class EmbeddingCache:
    """A persistent ``(encoder identity, normalised text) -> float32 vector`` store; see the module doc.

    Thread-safe and process-safe; pickles as its path and settings (a Ray actor reopens the file).
    ``clock`` (seconds) is for tests.
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int | None = None,
                 touch_after_s: float = DEFAULT_TOUCH_AFTER_S, timeout_s: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], float] = time.time) -> None:
        if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0):
            from brandfit.errors import InputError

            raise InputError(f"max_bytes: must be a non-negative integer or None, got {max_bytes!r}")
        self.path = Path(path).expanduser()
        self.max_bytes = max_bytes
        self.touch_after_s = float(touch_after_s)
        self.timeout_s = float(timeout_s)
        self._clock = clock
        self._slots: dict[int, list[Any]] = {}  # thread id -> [connection, generation, inode], this process's
        self._pid = os.getpid()
        _live.add(self)
        self._lock = threading.Lock()  # guards the counters and the encoder-id map
        self._enc_ids: dict[str, int] = {}
        self._generation = 0  # bumped when the file is rebuilt: connections of an older generation are dropped
        self.hits = 0
        self.misses = 0
        self._conn()  # open (create, check, or rebuild) now: problems surface at construction

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r}, max_bytes={self.max_bytes})"

    def __reduce__(self):
        return (_reopen, (str(self.path), self.max_bytes, self.touch_after_s, self.timeout_s))

    # --- connections ----------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._pid != os.getpid():
            _forget_inherited(self)
        slot = self._slots.get(threading.get_ident())
        if slot is not None and slot[0] is not None and slot[1] == self._generation:
            return slot[0]
        if slot is not None and slot[0] is not None:
            with contextlib.suppress(sqlite3.Error):
                slot[0].close()
        conn, inode = self._open_checked()
        self._slots[threading.get_ident()] = [conn, self._generation, inode]
        return conn

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=self.timeout_s, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
        return conn

    def _inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except FileNotFoundError:
            return None

    def _open_checked(self) -> tuple[sqlite3.Connection, int | None]:
        seen = self._inode()
        try:
            conn = self._try_open()
        except (UnusableCacheError, sqlite3.DatabaseError) as exc:
            if not _is_corruption(exc):
                raise  # locked for longer than the timeout, disk full, no permission: not the file's fault
            self._rebuild(exc, seen)
            conn = self._try_open()
        return conn, self._inode()

    def _refuse_foreign(self) -> None:
        """Raise :class:`~brandfit.errors.SettingsError` when the path holds something that is not SQLite (an empty
        or missing file is a new cache): it is never renamed or replaced."""
        if self.path.is_dir():
            raise SettingsError(f"cache: {self.path} is a folder; give the path of a cache file (it is created)")
        if self.path.exists() and not self.path.is_file():
            raise SettingsError(f"cache: {self.path} is not a regular file (a FIFO, device or socket)")
        try:
            with open(self.path, "rb") as f:
                head = f.read(16)
        except FileNotFoundError:
            return
        if head and head != _SQLITE_MAGIC:
            raise SettingsError(f"cache: {self.path} exists and is not a brandfit embedding cache (not an SQLite "
                                "file); refusing to replace it. Give a new path (it is created) or a cache file")

    def _try_open(self) -> sqlite3.Connection:
        self._refuse_foreign()
        conn = self._connect()
        try:
            # read before any pragma writes: another program's database must be left exactly as it is
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables:
                self._check_meta(conn, tables)
            # A new file only (no-op later): 8 KiB pages hold five 384-d vectors, 4 KiB ones two at 78% fill.
            conn.execute("PRAGMA page_size = 8192")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self._switch_to_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after a crash, fast commits
            conn.execute("PRAGMA journal_size_limit = 33554432")  # the WAL shrinks back to 32 MiB after a checkpoint
            if not tables:
                self._create(conn)
            return conn
        except BaseException:
            conn.close()
            raise

    def _switch_to_wal(self, conn: sqlite3.Connection) -> None:
        """WAL mode, once per file: under the rebuild's file lock, retried while another process holds the file
        (the switch needs it alone, and SQLite reports "database is locked" at once rather than wait)."""
        from filelock import FileLock

        with FileLock(str(self.path) + ".lock", timeout=self.timeout_s):
            deadline = time.monotonic() + self.timeout_s
            while True:
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)

    def _create(self, conn: sqlite3.Connection) -> None:
        self._write(conn, self._create_tables)

    def _create_tables(self, conn: sqlite3.Connection) -> None:
        """Inside the write transaction: make the schema, unless another process created it meanwhile."""
        if conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]:
            self._check_meta(conn, {r[0] for r in conn.execute("SELECT name FROM sqlite_master")})
            return
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for stmt in _SCHEMA.strip().split(";"):
            if stmt.strip():
                conn.execute(stmt)
        from brandfit import __version__

        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
            ("format", FORMAT), ("schema_version", str(SCHEMA_VERSION)), ("entries", "0"), ("bytes", "0"),
            ("created_by", f"brandfit {__version__}"), ("created_at", str(self._clock())),
        ])

    @staticmethod
    def _check_meta(conn: sqlite3.Connection, tables: set[str]) -> None:
        if not {"meta", "encoders", "vectors"} <= tables:  # another program's database: not ours to replace
            raise SettingsError(f"cache: {conn.execute('PRAGMA database_list').fetchone()[2]} is an SQLite database "
                                f"but not a brandfit embedding cache (tables: {', '.join(sorted(tables))}); refusing "
                                "to replace it. Give a new path (it is created) or a cache file")
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise UnusableCacheError(f"not a brandfit embedding cache (format {meta.get('format')!r})")
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise UnusableCacheError(f"schema version {meta.get('schema_version')!r}, expected {SCHEMA_VERSION}")

    def _rebuild(self, why: BaseException, seen_inode: int | None) -> None:
        """Move the unusable file aside (``NAME.unusable``, replacing an older one) and start an empty cache;
        under a file lock, and only if another process has not already replaced the file we found unusable."""
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=self.timeout_s):
            if self._inode() != seen_inode:  # rebuilt by another process (or thread) while we waited
                with self._lock:
                    self._enc_ids.clear()
                    self._generation += 1
                return
            aside = self.path.with_name(self.path.name + ".unusable")
            logger.warning("embedding cache %s is unusable (%s); moved it to %s and started an empty cache",
                           self.path, why, aside)
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, aside)
            for suffix in ("-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(str(self.path) + suffix)
            with self._lock:
                self._enc_ids.clear()
                self._generation += 1

    @contextlib.contextmanager
    def _recovering(self) -> Iterator[None]:
        """Around an operation: a malformed database (found mid-use) is rebuilt, and the operation reported as
        not done (a lookup misses, a store is dropped) rather than failing the job."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):  # busy past the timeout, disk full, I/O error: skip, keep the file
                logger.warning("embedding cache %s: %s; continuing without it for this batch", self.path, exc)
                return
            slot = self._slots.pop(threading.get_ident(), None)
            if slot is not None and slot[0] is not None:
                with contextlib.suppress(sqlite3.Error):
                    if slot[0].in_transaction:
                        slot[0].execute("ROLLBACK")
                    slot[0].close()
            self._rebuild(exc, None if slot is None else slot[2])

    def close(self) -> None:
        """Close this object's connections (it reopens on next use)."""
        if self._pid != os.getpid():
            _forget_inherited(self)
        slots, self._slots = self._slots, {}
        for slot in slots.values():
            with contextlib.suppress(sqlite3.Error):
                slot[0].close()

    # --- encoders -------------------------------------------------------------------------------------------
    def _encoder_id(self, conn: sqlite3.Connection, identity: str, dim: int) -> int:
        key = f"{self._generation}\0{identity}"
        got = self._enc_ids.get(key)
        if got is not None:
            return got
        row = conn.execute("SELECT id, dim FROM encoders WHERE identity = ?", (identity,)).fetchone()
        if row is None:
            self._write(conn, lambda c: c.execute("INSERT OR IGNORE INTO encoders (identity, dim, created) "
                                                  "VALUES (?, ?, ?)", (identity, dim, self._clock())))
            row = conn.execute("SELECT id, dim FROM encoders WHERE identity = ?", (identity,)).fetchone()
        if int(row[1]) != dim:
            raise UnusableCacheError(f"encoder {identity[:60]}... recorded with dim {row[1]}, now {dim}")
        with self._lock:
            self._enc_ids[key] = int(row[0])
        return int(row[0])

    # --- lookups and stores ---------------------------------------------------------------------------------
    def get(self, identity: str, dim: int, texts: Sequence[str], *, count: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``(vectors, found)``: a ``(len(texts), dim)`` float32 array (zeros where missing) and a bool mask.
        ``count``: add to :attr:`hits` / :attr:`misses` (embedding lookups do, cue lookups do not)."""
        out = np.zeros((len(texts), dim), np.float32)
        found = np.zeros(len(texts), bool)
        if not texts:
            return out, found
        hashes = [text_hash(t) for t in texts]
        salt = _salt(identity)
        ids = [_row_id(h, salt) for h in hashes]
        want = dim * 4
        stale: list[int] = []
        damaged: list[int] = []
        with self._recovering():
            conn = self._conn()
            enc = self._encoder_id(conn, identity, dim)
            pos: dict[int, list[int]] = {}
            for i, rid in enumerate(ids):
                pos.setdefault(rid, []).append(i)
            keys = list(pos)
            now = self._clock()
            for b in range(0, len(keys), _BATCH):
                chunk = keys[b:b + _BATCH]
                q = f"SELECT key, enc, h, vec, crc, used FROM vectors WHERE key IN ({','.join('?' * len(chunk))})"
                for rid, r_enc, r_h, vec, crc, used in conn.execute(q, chunk):
                    r_h = bytes(r_h)
                    rows = [i for i in pos[rid] if hashes[i] == r_h]
                    if r_enc != enc or not rows:
                        continue  # another encoder's or another text's entry: a miss
                    if len(vec) != want or zlib.crc32(vec) != crc:
                        damaged.append(rid)  # bytes changed on disk: a miss, and the entry goes
                        continue
                    v = np.frombuffer(vec, dtype="<f4")
                    for i in rows:
                        out[i] = v
                        found[i] = True
                    if used < now - self.touch_after_s:
                        stale.append(rid)
            if stale:
                self._write(conn, lambda c: c.executemany("UPDATE vectors SET used = ? WHERE key = ?",
                                                          [(now, rid) for rid in stale]))
            if damaged:
                logger.warning("embedding cache %s: %d entries fail their checksum; ignored and removed (run "
                               "`brandfit cache stats --check`)", self.path, len(damaged))
                self._write(conn, lambda c: self._delete_ids(c, damaged))
        n_hit = int(found.sum())
        if not count:
            return out, found
        with self._lock:
            self.hits += n_hit
            self.misses += len(texts) - n_hit
        return out, found

    def put(self, identity: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` (one row per text) under ``identity``; entries already there are kept."""
        vectors = np.ascontiguousarray(vectors, dtype="<f4")
        if vectors.ndim != 2 or len(vectors) != len(texts):
            from brandfit.errors import InputError

            raise InputError(f"vectors: expected {len(texts)} rows, got shape {vectors.shape}")
        if not texts:
            return
        dim = vectors.shape[1]
        salt = _salt(identity)
        with self._recovering():
            conn = self._conn()
            enc = self._encoder_id(conn, identity, dim)
            now = self._clock()
            rows = {}
            for t, v in zip(texts, vectors):
                h = text_hash(t)
                b = v.tobytes()
                key = _row_id(h, salt)
                rows[key] = (key, enc, h, b, zlib.crc32(b), now)
            entry = dim * 4 + ENTRY_OVERHEAD

            def insert(c: sqlite3.Connection) -> None:
                cur = c.executemany("INSERT OR IGNORE INTO vectors (key, enc, h, vec, crc, used) VALUES (?, ?, ?, ?, ?, ?)",
                                    list(rows.values()))
                added = max(cur.rowcount, 0)
                if added:
                    c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'entries'", (added,))
                    c.execute("UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'bytes'",
                              (added * entry,))
                if self.max_bytes is not None:
                    self._evict(c, self.max_bytes)

            self._write(conn, insert)

    def encode(self, embedder: Any, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        """``embedder.encode(texts)``, answering from the cache what it holds and storing what it did not."""
        texts = list(texts)
        identity = encoder_identity(embedder)
        dim = int(embedder.dim)
        out, found = self.get(identity, dim, texts)
        if found.all():
            return out
        miss = np.flatnonzero(~found)
        todo = [texts[i] for i in miss]
        vecs = np.asarray(embedder.encode(todo, show_progress_bar=show_progress_bar), dtype=np.float32)
        out[miss] = vecs
        self.put(identity, todo, vecs)
        return out

    def find_cues(self, find: Callable[[list[str]], list[list[str]]], texts: Sequence[str]) -> list[list[str]]:
        """``find(texts)`` (:func:`brandfit.cues.find_cues`), answering from the cache what it holds: each text's cue
        names, stored as a bit mask in :data:`brandfit.cues.CUES` order under :func:`cue_identity`."""
        from brandfit.cues import CUES

        texts = list(texts)
        names = list(CUES)
        identity = cue_identity()
        got, found = self.get(identity, 1, texts, count=False)
        out: list[list[str] | None] = [None] * len(texts)
        for i in np.flatnonzero(found):
            bits = int(got[i, 0])
            out[i] = [n for k, n in enumerate(names) if bits >> k & 1]
        miss = np.flatnonzero(~found)
        if len(miss):
            todo = [texts[i] for i in miss]
            fresh = find(todo)
            index = {n: k for k, n in enumerate(names)}
            masks = np.array([[float(sum(1 << index[n] for n in f))] for f in fresh], np.float32)
            for i, f in zip(miss, fresh):
                out[i] = list(f)
            self.put(identity, todo, masks)
        return out  # type: ignore[return-value]

    # --- bounds and maintenance -----------------------------------------------------------------------------
    def _write(self, conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
            conn.execute("COMMIT")
            return result
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _delete_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
        n = freed = 0
        for b in range(0, len(ids), _BATCH):
            chunk = list(ids[b:b + _BATCH])
            marks = ",".join("?" * len(chunk))
            c, f = conn.execute(f"SELECT count(*), coalesce(sum(length(vec)), 0) FROM vectors WHERE key IN ({marks})",
                                chunk).fetchone()
            conn.execute(f"DELETE FROM vectors WHERE key IN ({marks})", chunk)
            n, freed = n + c, freed + f
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) - ? WHERE key = 'entries'", (n,))
        conn.execute("UPDATE meta SET value = max(CAST(value AS INTEGER) - ?, 0) WHERE key = 'bytes'",
                     (freed + n * ENTRY_OVERHEAD,))
        return n

    @staticmethod
    def _counters(conn: sqlite3.Connection) -> tuple[int, int]:
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('entries', 'bytes')").fetchall())
        return int(meta.get("entries", 0)), int(meta.get("bytes", 0))

    def _evict(self, conn: sqlite3.Connection, max_bytes: int, *, target: float = EVICT_TO) -> int:
        """Inside a write transaction: drop least recently used entries until the total is under ``max_bytes``
        (down to ``target`` x ``max_bytes``, so eviction does not run on every store)."""
        entries, size = self._counters(conn)
        if size <= max_bytes or entries == 0:
            return 0
        goal = int(max_bytes * target)
        per_entry = max(size / entries, 1.0)
        k = min(entries, int(np.ceil((size - goal) / per_entry)))
        n, freed = conn.execute(
            f"SELECT count(*), coalesce(sum(length(vec)), 0) FROM "
            f"(SELECT vec FROM vectors ORDER BY used, id LIMIT {k})").fetchone()
        conn.execute(f"DELETE FROM vectors WHERE id IN (SELECT id FROM vectors ORDER BY used, id LIMIT {k})")
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) - ? WHERE key = 'entries'", (n,))
        conn.execute("UPDATE meta SET value = max(CAST(value AS INTEGER) - ?, 0) WHERE key = 'bytes'",
                     (freed + n * ENTRY_OVERHEAD,))
        logger.info("embedding cache %s: evicted %d least recently used entries (cap %s MiB)",
                    self.path, n, f"{max_bytes / (1 << 20):.3g}")  # 0.5, not 0
        return int(n)

    def prune(self, *, max_bytes: int | None = None, older_than_s: float | None = None,
              vacuum: bool = True) -> int:
        """Drop entries unused for ``older_than_s`` seconds, then the least recently used ones until the total fits
        ``max_bytes`` (default: this cache's cap) exactly; ``vacuum`` gives the freed space back to the disk.
        Returns the number of entries removed."""
        conn = self._conn()
        removed = 0
        cap = self.max_bytes if max_bytes is None else max_bytes

        def work(c: sqlite3.Connection) -> None:
            nonlocal removed
            if older_than_s is not None:
                cutoff = self._clock() - older_than_s
                n, freed = c.execute("SELECT count(*), coalesce(sum(length(vec)), 0) FROM vectors "
                                     "WHERE used < ?", (cutoff,)).fetchone()
                c.execute("DELETE FROM vectors WHERE used < ?", (cutoff,))
                c.execute("UPDATE meta SET value = CAST(value AS INTEGER) - ? WHERE key = 'entries'", (n,))
                c.execute("UPDATE meta SET value = max(CAST(value AS INTEGER) - ?, 0) WHERE key = 'bytes'",
                          (freed + n * ENTRY_OVERHEAD,))
                removed += int(n)
            if cap is not None:
                removed += self._evict(c, cap, target=1.0)

        self._write(conn, work)
        if vacuum:
            self.vacuum()
        return removed

    def clear(self) -> int:
        """Remove every entry (of every encoder); returns how many there were."""
        conn = self._conn()

        def work(c: sqlite3.Connection) -> int:
            n = c.execute("SELECT count(*) FROM vectors").fetchone()[0]
            c.execute("DELETE FROM vectors")
            c.execute("DELETE FROM encoders")
            c.execute("UPDATE meta SET value = '0' WHERE key IN ('entries', 'bytes')")
            return int(n)

        n = self._write(conn, work)
        with self._lock:
            self._enc_ids.clear()
            self._generation += 1  # encoder ids are gone: every thread re-reads them
        self.vacuum()
        return n

    def vacuum(self) -> None:
        conn = self._conn()
        conn.execute("VACUUM")
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def stats(self) -> CacheStats:
        conn = self._conn()
        entries, size = self._counters(conn)
        encoders = [
            {"identity": ident, "dim": dim, "entries": n}
            for ident, dim, n in conn.execute(
                "SELECT e.identity, e.dim, count(v.id) FROM encoders e LEFT JOIN vectors v ON v.enc = e.id "
                "GROUP BY e.id ORDER BY e.id")
        ]
        oldest, newest = conn.execute("SELECT min(used), max(used) FROM vectors").fetchone()
        file_bytes = sum(os.path.getsize(p) for p in (str(self.path), str(self.path) + "-wal") if os.path.exists(p))
        return CacheStats(path=str(self.path), entries=entries, bytes=size, max_bytes=self.max_bytes,
                          file_bytes=file_bytes, encoders=encoders, oldest_used=oldest, newest_used=newest,
                          hits=self.hits, misses=self.misses)

    def check(self) -> str:
        """SQLite's full integrity check: ``"ok"`` or the first problem found."""
        return str(self._conn().execute("PRAGMA integrity_check(1)").fetchone()[0])


# A forked child must never close a connection it inherited: closing any descriptor of the file drops every POSIX
# lock the child holds on it, including its own connections' (SQLite's "fork" caveat), which lets another process
# reset the WAL under them and lose commits. So inherited connections are kept referenced, unused, until exit.
_live: "weakref.WeakSet[EmbeddingCache]" = weakref.WeakSet()
_inherited: list[Any] = []


def _forget_inherited(cache: EmbeddingCache) -> None:
    _inherited.append(cache._slots)
    cache._slots = {}
    cache._pid = os.getpid()


def _after_fork_in_child() -> None:
    for cache in list(_live):
        _forget_inherited(cache)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _reopen(path: str, max_bytes: int | None, touch_after_s: float, timeout_s: float) -> EmbeddingCache:
    return open_cache(path, max_bytes=max_bytes, touch_after_s=touch_after_s, timeout_s=timeout_s)


_open: dict[tuple, EmbeddingCache] = {}
_open_lock = threading.Lock()


def open_cache(path: str | os.PathLike[str], *, max_bytes: int | None = None,
               touch_after_s: float = DEFAULT_TOUCH_AFTER_S, timeout_s: float = DEFAULT_TIMEOUT_S) -> EmbeddingCache:
    """The process-wide :class:`EmbeddingCache` of ``path`` with these settings, opened (and checked) once."""
    key = (str(Path(path).expanduser().resolve()), max_bytes, touch_after_s, timeout_s)
    with _open_lock:
        cache = _open.get(key)
        if cache is None:
            cache = _open[key] = EmbeddingCache(path, max_bytes=max_bytes, touch_after_s=touch_after_s,
                                                timeout_s=timeout_s)
        return cache



def resolve_cache(cache: Any = None, *, default_on: bool) -> EmbeddingCache | None:
    """The cache an entry point uses: ``cache`` as given to it (an :class:`EmbeddingCache`, a path, ``True``,
    ``False``, or ``None``) resolved by :func:`brandfit.settings.resolve_cache_db`, capped by
    :func:`brandfit.settings.cache_max_bytes`, opened once per process."""
    if isinstance(cache, EmbeddingCache):
        return cache
    from brandfit.settings import cache_max_bytes, resolve_cache_db

    path = resolve_cache_db(cache, default_on=default_on)
    if path is None:
        return None
    try:
        return open_cache(path, max_bytes=cache_max_bytes())
    except (OSError, sqlite3.Error, SettingsError) as exc:
        if cache is not None and cache is not True:
            raise  # a cache the caller named: say why it cannot be used
        logger.warning("embedding cache %s cannot be opened (%s); running without it", path, exc)
        return None


class CachedEmbedder:
    """An :class:`~brandfit.embedding.Embedder` that answers from an :class:`EmbeddingCache` first (for tools that
    hold an embedder rather than a model, e.g. ``training/compare_designs.py``)."""

    def __init__(self, inner: Any, cache: EmbeddingCache | str | os.PathLike[str]) -> None:
        self.inner = inner
        self.cache = cache if isinstance(cache, EmbeddingCache) else open_cache(cache)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def cache_identity(self) -> str:
        return encoder_identity(self.inner)

    def encode(self, texts: Sequence[str], *, show_progress_bar: bool | None = None) -> np.ndarray:
        return self.cache.encode(self.inner, texts, show_progress_bar=show_progress_bar)
