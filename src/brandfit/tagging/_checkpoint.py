"""The per-chunk checkpoint that makes a tagging job resumable after a crash or a ``kill -9``.

Layout, beside the output (``OUTPUT.parts/``)::

    state.json              settings, input fingerprints, run id, completed chunks (rewritten atomically)
    part-000000.parquet     the tagged rows of chunk 0 (written atomically before state.json names it)
    ...
    errors.jsonl            rows set aside so far in this run (re-derived on every run, then moved
                            to ``OUTPUT.errors.jsonl`` when the job completes)
    scratch/                on-disk tables of the input reader (rebuilt on every run)

A chunk counts as done only once ``state.json`` lists it, and ``state.json`` only lists chunks whose part
is already on disk, so a kill at any instant loses at most the chunk in flight. A part written after the
last ``state.json`` update is simply written again. While a job runs it holds an exclusive ``flock`` on
the folder, so two jobs cannot write the same output.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

from brandfit._atomic import atomic_path
from brandfit.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["Checkpoint", "fingerprint", "parts_dir_for", "STATE_FORMAT", "WriteError", "write_error", "error_kind",
           "retry_hint"]

STATE_FORMAT = 1
STATE_FILE = "state.json"
FINGERPRINT_BYTES = 1 << 20

_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_DENIED_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


def _full(exc: BaseException) -> bool:
    text = str(exc)
    return getattr(exc, "errno", None) in _FULL_ERRNOS or any(
        s in text for s in ("No space left", "Disk quota", "disk is full"))


def error_kind(exc: BaseException) -> str:
    """``"full"`` (no space left, a quota), ``"denied"`` (no permission, a read-only file system) or ``"other"``."""
    if _full(exc):
        return "full"
    if getattr(exc, "errno", None) in _DENIED_ERRNOS or "Read-only file system" in str(exc) \
            or "Permission denied" in str(exc):
        return "denied"
    return "other"


def retry_hint(kind: str, *, kept: bool) -> str:
    """What to do after a write failed with an error of ``kind`` (:func:`error_kind`): the fix that fits it, and
    ``--resume`` only when a checkpoint is ``kept`` (otherwise nothing was kept, and a plain run starts over)."""
    fix = {"full": "free some space", "denied": "make that folder writable",
           "other": "fix the cause"}.get(kind, "fix the cause")
    if kept:
        return f"the chunks already done are kept: {fix}, then run the same command again with --resume"
    return f"nothing was kept: {fix}, then run the same command again"


class WriteError(OSError):
    """An OS error (a full disk, a quota, an I/O error) while the job wrote its checkpoint or its output: one line
    naming the path and what to do (the CLI prints an ``OSError`` with a ``filename`` as one line, exit 1)."""

    def __init__(self, errno_: int | None, message: str, path: Path | str, *, hint: str = "",
                 kind: str = "other") -> None:
        super().__init__(errno_, message, str(path))
        self.head = message
        self.hint = hint
        self.kind = kind

    @property
    def message(self) -> str:
        return f"{self.head}; {self.hint}" if self.hint else self.head

    def checkpoint_gone(self) -> None:
        """Say what to do now that no checkpoint is left (the job removed an empty one): no ``--resume``."""
        self.hint = retry_hint(self.kind, kept=False)

    def __str__(self) -> str:
        return self.message


def write_error(exc: BaseException, path: Path | str, doing: str, then: str | None = None, *,
                kept: bool = True) -> WriteError:
    """:class:`WriteError` for ``exc`` (an ``OSError``, or SQLite's "database or disk is full") raised while
    ``doing`` (e.g. "writing the checkpoint") at ``path``; ``then`` says what to do next, by default the
    :func:`retry_hint` for the kind of error and whether the checkpoint is ``kept``."""
    if isinstance(exc, WriteError):
        return exc
    code = getattr(exc, "errno", None)
    kind = error_kind(exc)
    if code == errno.ENOSPC or "disk is full" in str(exc) or "No space left" in str(exc):
        code, what = errno.ENOSPC, "no space left on device"
    elif code == errno.EDQUOT or "Disk quota" in str(exc):
        code, what = errno.EDQUOT, "disk quota exceeded"
    else:
        what = getattr(exc, "strerror", None) or " ".join(str(exc).split()) or type(exc).__name__
    hint = then if then is not None else retry_hint(kind, kept=kept)
    return WriteError(code, f"{path}: {what} while {doing}", path, hint=hint, kind=kind)


_MISSING = object()


def parts_dir_for(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def fingerprint(path: Path) -> dict[str, Any]:
    """Identify an input file cheaply: absolute path, size, mtime and the SHA-256 of its first MiB."""
    st = path.stat()
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read(FINGERPRINT_BYTES))
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256_1mib": h.hexdigest()}


def _lock(folder: Path) -> int | None:
    """Hold an exclusive advisory lock on ``folder`` (released when the process exits, even on SIGKILL)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks on folders
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InputError(f"{folder}: another brandfit tag job is writing this output right now") from None
    return fd


def _describe_change(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> str:
    old_paths = [f["path"] for f in old]
    new_paths = [f["path"] for f in new]
    if old_paths != new_paths:
        gone = sorted(set(old_paths) - set(new_paths))
        added = sorted(set(new_paths) - set(old_paths))
        bits = [f"missing now: {', '.join(gone)}" if gone else "", f"new: {', '.join(added)}" if added else ""]
        return "the input files differ (" + "; ".join(b for b in bits if b) + ")" if any(bits) else \
            "the input files are listed in a different order"
    for o, n in zip(old, new):
        for key, label in (("size", "size"), ("sha256_1mib", "content"), ("mtime_ns", "modification time")):
            if o[key] != n[key]:
                return f"{n['path']} changed since the checkpoint ({label} differs)"
    return "the input differs"


class Checkpoint:
    """Completed chunks of one job. Open it with :meth:`open`; release it with :meth:`close`."""

    def __init__(self, folder: Path, state: dict[str, Any], lock_fd: int | None, *, fresh: bool = False) -> None:
        self.folder = folder
        self._state = state
        self._lock_fd = lock_fd
        self.fresh = fresh
        """Started by this run (not resumed): while it holds no completed chunk it records no work."""

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        output: Path,
        *,
        settings: Mapping[str, Any],
        inputs: Sequence[Mapping[str, Any]],
        resume: bool,
        overwrite: bool,
    ) -> "Checkpoint":
        """Start a job's checkpoint, or pick up an unfinished one with ``resume``.

        Raises ``ValueError`` with what to do when the output or an unfinished job is in the way,
        or when ``resume`` meets a checkpoint of different input or settings.
        """
        folder = parts_dir_for(output)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: exists and is not a folder; remove it")
        if folder.is_dir():
            lock_fd = _lock(folder)
            try:
                if resume:
                    state = cls._check_resumable(folder, settings, inputs)
                    logger.info("resuming run %s: %d chunk(s) already done", state["run_id"], len(state["completed"]))
                    return cls(folder, state, lock_fd)
                if not overwrite:
                    raise InputError(
                        f"{folder}: an earlier run of this job did not finish; pass --resume to continue it "
                        "or --overwrite to start over"
                    )
                logger.info("--overwrite: removing the unfinished run in %s", folder)
                shutil.rmtree(folder)
            except BaseException:
                if lock_fd is not None:
                    os.close(lock_fd)
                raise
            if lock_fd is not None:
                os.close(lock_fd)
        if output.exists() and not overwrite:
            hint = " and there is no unfinished run to resume" if resume else ""
            raise InputError(f"{output}: already exists{hint}; pass --overwrite to replace it")
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir()
        except FileExistsError:
            raise InputError(f"{folder}: another brandfit tag job just started on this output") from None
        lock_fd = _lock(folder)
        state = {
            "format": STATE_FORMAT,
            "run_id": uuid.uuid4().hex[:12],
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "settings": dict(settings),
            "inputs": [dict(f) for f in inputs],
            "completed": {},
        }
        ckpt = cls(folder, state, lock_fd, fresh=True)
        try:
            ckpt._save()
        except OSError as exc:  # no state.json, so nothing to resume: leave no folder that blocks the next run
            ckpt.remove()
            raise write_error(exc, folder / STATE_FILE, "starting the checkpoint", kept=False) from exc
        return ckpt

    @staticmethod
    def _check_resumable(folder: Path, settings: Mapping[str, Any], inputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        path = folder / STATE_FILE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: missing, so {folder} cannot be resumed; pass --overwrite to start over") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc.msg}); pass --overwrite to start over") from None
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise InputError(f"{path}: unknown checkpoint format; pass --overwrite to start over")
        old = state.get("settings", {})
        diffs = [f"{k}: {old[k]!r} then, {v!r} now" if k in old else
                 f"{k}: not recorded then (a run of an earlier brandfit), {v!r} now"
                 for k, v in settings.items() if old.get(k, _MISSING) != v]
        if diffs:
            raise InputError(
                f"--resume: the unfinished run in {folder} used other settings ({'; '.join(diffs)}); "
                "rerun with the same settings, or pass --overwrite to start over"
            )
        if state.get("inputs") != [dict(f) for f in inputs]:
            raise InputError(
                f"--resume: {_describe_change(state.get('inputs', []), inputs)}; the checkpoint in {folder} "
                "no longer matches the input. Pass --overwrite to start over"
            )
        state["completed"] = {str(k): int(v) for k, v in state.get("completed", {}).items()}
        return state

    # --- during the run ---------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return self._state["run_id"]

    @property
    def settings(self) -> dict[str, Any]:
        """The job's settings as recorded when it started (a copy): a resumed run reads its input with them."""
        return dict(self._state.get("settings", {}))

    @property
    def errors_path(self) -> Path:
        return self.folder / "errors.jsonl"

    @property
    def scratch(self) -> Path:
        return self.folder / "scratch"

    def reset_scratch(self) -> Path:
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        return self.scratch

    def part_path(self, chunk_id: int) -> Path:
        return self.folder / f"part-{chunk_id:06d}.parquet"

    def is_done(self, chunk_id: int) -> bool:
        return str(chunk_id) in self._state["completed"]

    def done_count(self, chunk_id: int) -> int:
        return self._state["completed"][str(chunk_id)]

    @property
    def accounts_done(self) -> int:
        return sum(self._state["completed"].values())

    def mark_done(self, chunk_id: int, n_accounts: int) -> None:
        """Record a chunk whose part is already on disk (atomic rewrite of ``state.json``)."""
        self._state["completed"][str(chunk_id)] = int(n_accounts)
        try:
            self._save()
        except OSError as exc:
            del self._state["completed"][str(chunk_id)]
            raise write_error(exc, self.folder / STATE_FILE, "saving the checkpoint") from exc

    def completed_parts(self, n_chunks: int) -> list[Path]:
        """Parts of chunks ``0..n_chunks-1``, checked to be all done and present."""
        parts = []
        for k in range(n_chunks):
            if not self.is_done(k):
                raise RuntimeError(f"chunk {k} was not tagged; this is a bug, please report it")
            p = self.part_path(k)
            if not p.is_file():
                raise InputError(f"{p}: checkpoint part missing; pass --overwrite to start over")
            parts.append(p)
        return parts

    def _save(self) -> None:
        """Rewrite ``state.json`` atomically: on any failure the previous one stays, naming only parts on disk."""
        with atomic_path(self.folder / STATE_FILE) as tmp:
            tmp.write_text(json.dumps(self._state, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # --- ending -----------------------------------------------------------------------------
    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def remove(self) -> None:
        """Delete the folder (the job is complete and its output in place)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.close()
