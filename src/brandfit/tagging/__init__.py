"""Batch tagging: score every account of a set of files against one brand topic, streaming and resumable.

>>> from brandfit.tagging import tag_files
>>> summary = tag_files("data/sample", "out/tags.parquet", "fitness")      # doctest: +SKIP
>>> summary.accounts_tagged, summary.rows_set_aside                          # doctest: +SKIP
(24, 0)

The job reads the input in a stream (:mod:`brandfit.tagging._input`), scores chunks of accounts with
:func:`brandfit.predict_relevance_batch` in this process (``engine="local"``) or on a Ray cluster
(``engine="ray"``), checkpoints every chunk (:mod:`brandfit.tagging._checkpoint`) and, once all are done,
writes the output atomically (:mod:`brandfit.tagging._output`). Rows that cannot be tagged are written to
``OUTPUT.errors.jsonl`` with their file, line and reason; nothing is dropped silently.
See ``docs/tagging.md``.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from brandfit.account import Account, BrandTopic, parse_brand_topic
from brandfit.data.readers import list_input_files, unread_entries
from brandfit.embedding.cache import EmbeddingCache, resolve_cache
from brandfit.errors import InputError
from brandfit.model import RelevanceModel, load_model
from brandfit.pipeline import Pipeline
from brandfit.scoring import Relevance
from brandfit.settings import DEFAULT_MODEL_REF
from brandfit.tagging._checkpoint import Checkpoint, WriteError, fingerprint, write_error
from brandfit.tagging._input import DEFAULT_MAX_POSTS, AccountReader, ErrorLog, Item
from brandfit.tagging._local import Progress, chunked, count_accounts, run_local
from brandfit.tagging._output import (
    FORMATS,
    RANK_SCHEMA,
    TopAccounts,
    ranked_table,
    relevance_table,
    replace_output_and_errors,
    resolve_format,
    stage_final,
    stale_temps,
    write_tables,
)

logger = logging.getLogger(__name__)

__all__ = ["tag_files", "read_accounts", "read_account_items", "write_shortlist", "check_output", "TagSummary",
           "ENGINES", "FORMATS", "DEFAULT_CHUNK_SIZE", "DEFAULT_MAX_POSTS", "errors_path_for"]

ENGINES = ("local", "ray")
_DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS)
DEFAULT_CHUNK_SIZE = 512


def read_accounts(inputs: list[str | Path], *,
                  max_posts: int = DEFAULT_MAX_POSTS) -> tuple[list[Account], list[dict[str, Any]]]:
    """The accounts of ``inputs`` (files or folders, either input shape) read exactly as :func:`tag_files` reads
    them, in memory, and the rows set aside, each ``{"source_file", "line", "account_id", "reason"}``, as
    ``tag_files`` writes them to its errors file: first one file-level record (``line`` and ``account_id`` null) for
    each entry of an input folder that is not read (another suffix, a subfolder, a broken link...), then the bad
    rows. An account with more than ``max_posts`` posts is set aside (0: no cap), as in :func:`tag_files`. For a
    shortlist (``brandfit rank``); for millions of accounts use :func:`tag_files`."""
    items, set_aside = read_account_items(inputs, max_posts=max_posts)
    return [item.account for item in items], set_aside


def read_account_items(inputs: list[str | Path], *,
                       max_posts: int = DEFAULT_MAX_POSTS) -> tuple[list[Item], list[dict[str, Any]]]:
    """As :func:`read_accounts`, each account with where it came from (``source_file``, ``source_line``: the file
    and line of its first row, as ``tag_files`` writes them)."""
    import io
    import json
    import tempfile

    files = [f for i in inputs for f in list_input_files(i)]
    buf = io.StringIO()
    errors = ErrorLog(buf)
    for i in inputs:  # what tag_files records first: the folder entries it does not read
        for path, reason in unread_entries(i):
            errors.add(str(path), None, None, reason)
    with tempfile.TemporaryDirectory(prefix="brandfit-read-") as scratch:
        reader = AccountReader(files, scratch=Path(scratch), errors=errors, max_posts=max_posts)
        try:
            items = list(reader)
        finally:
            reader.close()
    # split on "\n" only: a reason may hold U+2028 and the like, which json.dumps leaves unescaped
    return items, [json.loads(line) for line in buf.getvalue().split("\n") if line]


def write_shortlist(results: Sequence[Relevance], rank_scores: Sequence[float], sources: Sequence[tuple[str, int]],
                    output: str | Path, *, run_id: str | None = None) -> int:
    """Write a shortlist (``results`` best first, each with its ``rank_score`` and ``(source_file, source_line)``) to
    ``output`` with :func:`tag_files`' own writer, atomically: the same columns, order and encoding as ``tag_files``
    gives that format (from the suffix), with ``rank`` (1 = best) in front. Returns the row count. For
    ``brandfit rank -o``."""
    import uuid

    output = Path(output)
    table = relevance_table(results, run_id=run_id or uuid.uuid4().hex[:12], sources=sources)
    output.parent.mkdir(parents=True, exist_ok=True)
    return write_tables([ranked_table(table, rank_scores)], output, None, schema=RANK_SCHEMA)


def errors_path_for(output: str | Path) -> Path:
    """Where the rows set aside go: ``OUTPUT.errors.jsonl`` beside the output."""
    output = Path(output)
    return output.with_name(output.name + ".errors.jsonl")


@dataclass(frozen=True)
class TagSummary:
    """What a finished job did. ``accounts_per_second`` counts the accounts tagged in this run only."""

    output: Path
    errors_path: Path
    format: str
    accounts_tagged: int
    accounts_this_run: int
    rows_set_aside: int
    seconds: float
    run_id: str
    model_version: str
    brand_topic: str
    engine: str
    top: tuple[dict[str, Any], ...] = ()
    """The best accounts, ranked as :func:`brandfit.rank_accounts` does (``rank_score`` = score x (1 - promo_ratio)),
    best first, each with ``account_id``, ``handle``, ``score``, ``rank_score``, ``primary_topic``, ``consistency``,
    ``promo_ratio``, ``tier``; as many as ``tag_files(top=...)`` asked for."""
    cache_path: str | None = None
    """The embedding cache used (None: none)."""
    cache_hits: int | None = None
    """Texts whose embedding this run read from the cache, and those it computed (local engine only: Ray actors
    count their own)."""
    cache_misses: int | None = None

    @property
    def cache_hit_rate(self) -> float | None:
        if self.cache_hits is None or self.cache_misses is None or self.cache_hits + self.cache_misses == 0:
            return None
        return self.cache_hits / (self.cache_hits + self.cache_misses)

    @property
    def accounts_per_second(self) -> float:
        return self.accounts_this_run / self.seconds if self.seconds > 0 else 0.0

    @property
    def accounts_from_checkpoint(self) -> int:
        return self.accounts_tagged - self.accounts_this_run

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["output"], d["errors_path"] = str(self.output), str(self.errors_path)
        d["accounts_per_second"] = round(self.accounts_per_second, 3)
        d["cache_hit_rate"] = None if self.cache_hit_rate is None else round(self.cache_hit_rate, 4)
        d["top"] = [dict(r) for r in self.top]
        return d


def _brand_setting(brand: str | BrandTopic) -> str | dict[str, Any]:
    if isinstance(brand, str):
        return brand
    return {"name": brand.name, "description": brand.description, "examples": list(brand.examples)}


def _check_paths(input: Path, output: Path, files: list[Path]) -> None:
    """The output can never be the input: not one of the input files, not inside the input folder."""
    out = output.resolve()
    errors_out = errors_path_for(output).resolve()
    for f in files:
        if f.resolve() in (out, errors_out):
            raise InputError(f"{output}: the output would overwrite the input file {f}; write it elsewhere")
    if input.is_dir():
        root = input.resolve()
        if out.parent == root or root in out.parents:
            raise InputError(f"{output}: the output would land in the input folder {input} and be read as input by "
                             "the next run; write it elsewhere")
    if output.is_dir():
        raise InputError(f"{output}: is a folder; -o takes the path of the output file (.parquet, .jsonl or .csv)")
    parent = next((p for p in (out.parent, *out.parent.parents) if p.exists()), None)
    if parent is not None and not (parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)):
        raise InputError(f"{output}: cannot write there ({parent} is not a writable folder); write it elsewhere")


def check_output(inputs: list[str | Path], output: str | Path) -> list[Path]:
    """The input files of ``inputs`` (files or folders), after checking that ``output`` and its errors file are none
    of them, do not land in an input folder, and can be written (:class:`InputError` otherwise): the checks of
    :func:`tag_files`, for ``brandfit rank``'s shortlist too."""
    out = Path(output)
    all_files = []
    for i in inputs:
        files = list_input_files(i)
        _check_paths(Path(i), out, files)
        all_files.extend(files)
    return all_files


def _check_args(engine: str, chunk_size: int, ray_concurrency: int | None, top: int) -> None:
    if engine not in ENGINES:
        raise InputError(f"engine: unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    for name, value, low in (("chunk_size", chunk_size, 1), ("top", top, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InputError(f"{name}: must be an integer >= {low}, got {value!r}")
    if ray_concurrency is not None and (isinstance(ray_concurrency, bool) or not isinstance(ray_concurrency, int)
                                        or ray_concurrency < 1):
        raise InputError(f"ray_concurrency: must be a positive integer, got {ray_concurrency!r}")


def _prepare_model(model: str | RelevanceModel, registry: str | Path | None, backend: str | None) -> RelevanceModel:
    m = model if isinstance(model, RelevanceModel) else load_model(model, registry, backend=backend)
    if isinstance(model, RelevanceModel) and backend is not None and backend != model.backend:
        m = model.with_backend(backend)
    if m.backend == "onnx" and not m.embedder_loaded:
        from brandfit.embedding.onnx_export import ensure_model

        ensure_model()  # export once here (first use on this machine), not in every worker at the same time
    return m


def _run(files: list[Path], ckpt: Checkpoint, model: RelevanceModel, brand: str | BrandTopic, *, engine: str,
         chunk_size: int, already: int, show_progress_bar: bool | None, ray_address: str | None,
         ray_concurrency: int | None, cache: EmbeddingCache | None = None,
         unread: Sequence[tuple[Path, str]] = ()) -> tuple[int, int]:
    """Read, tag and checkpoint every chunk; returns (number of chunks, rows set aside). An OS error writing the
    checkpoint (a full disk) is one :class:`~brandfit.tagging._checkpoint.WriteError` naming the path."""
    try:
        return _run_chunks(files, ckpt, model, brand, engine=engine, chunk_size=chunk_size, already=already,
                           show_progress_bar=show_progress_bar, ray_address=ray_address,
                           ray_concurrency=ray_concurrency, cache=cache, unread=unread)
    except OSError as exc:
        if isinstance(exc, WriteError) or not _disk_trouble(exc):
            raise  # already one line, or not about writing (an input that vanished...): as it is
        raise write_error(exc, ckpt.folder, "writing the checkpoint") from exc
    except sqlite3.OperationalError as exc:  # the reader's scratch tables, in the checkpoint folder
        if "full" not in str(exc) and "I/O" not in str(exc):
            raise
        raise write_error(exc, ckpt.scratch, "writing the checkpoint") from exc


def _disk_trouble(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk is full, over quota, read-only or failing."""
    return getattr(exc, "errno", None) in _DISK_ERRNOS or any(
        s in str(exc) for s in ("No space left", "Disk quota", "disk is full", "Read-only file system"))


def _run_chunks(files, ckpt, model, brand, *, engine, chunk_size, already, show_progress_bar, ray_address,
                ray_concurrency, cache, unread):
    progress = Progress(show_progress_bar=show_progress_bar, already_done=already,
                        total=lambda: count_accounts(files))
    scratch = ckpt.reset_scratch()
    with open(ckpt.errors_path, "w", encoding="utf-8") as efh:
        errors = ErrorLog(efh)
        for path, reason in unread:  # files and folders the reader skips: one file-level record each
            errors.add(str(path), None, None, reason)
        # the cap the job started with, as its checkpoint recorded it (a resume is refused when it differs)
        reader = AccountReader(files, scratch=scratch, errors=errors,
                               max_posts=ckpt.settings.get("max_posts", DEFAULT_MAX_POSTS))
        try:
            chunks = chunked(reader, chunk_size)
            if engine == "local":
                n_chunks = run_local(chunks, ckpt, pipeline=Pipeline(model, cache=cache), brand=brand,
                                     errors=errors, progress=progress)
            else:
                from brandfit.tagging._ray import run_ray

                n_chunks = run_ray(chunks, ckpt, model=model, brand=brand, errors=errors, progress=progress,
                                   address=ray_address, concurrency=ray_concurrency, cache=cache)
        finally:
            reader.close()
            progress.close()
        return n_chunks, errors.count


def tag_files(
    input: str | Path,
    output: str | Path,
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = DEFAULT_MODEL_REF,
    registry: str | Path | None = None,
    backend: str | None = None,
    engine: str = "local",
    format: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    resume: bool = False,
    overwrite: bool = False,
    ray_address: str | None = None,
    ray_concurrency: int | None = None,
    show_progress_bar: bool | None = None,
    top: int = 10,
    cache: bool | str | Path | EmbeddingCache | None = None,
    max_posts: int = DEFAULT_MAX_POSTS,
) -> TagSummary:
    """Tag every account in ``input`` (a JSONL/CSV/Parquet file or a folder of them) for ``brand_topic``.

    ``model`` is a registry ref or a loaded :class:`~brandfit.RelevanceModel`; ``backend`` defaults to
    :func:`brandfit.settings.resolve_backend`, the same as every other entry point.

    Writes ``output`` (``format`` ``parquet``/``jsonl``/``csv``, default from the suffix, else Parquet) and
    ``OUTPUT.errors.jsonl``, both only once the whole job is done. Raises ``ValueError`` when the output or
    an unfinished run is in the way (``overwrite`` / ``resume`` say what to do), ``ImportError`` for the Ray
    engine without Ray. ``show_progress_bar=None`` shows a bar only on a terminal. The summary lists the
    ``top`` best accounts (see :attr:`TagSummary.top`).

    ``cache``: the persistent embedding cache (:mod:`brandfit.embedding.cache`), on by default for tagging:
    ``None`` uses ``$BRANDFIT_CACHE_DB`` (a path, or ``off``), else
    ``${XDG_CACHE_HOME:-~/.cache}/brandfit/embeddings.sqlite``; ``False`` turns it off; a path or an
    :class:`~brandfit.embedding.cache.EmbeddingCache` picks one. Texts embedded by an earlier job (any job sharing
    the file, either engine) are not embedded again; the scores are the same either way.

    ``max_posts`` (default :data:`DEFAULT_MAX_POSTS`; 0: no cap): an account with more posts is set aside, one
    record in the errors file naming the account, the count and ``--max-posts``; never cut short. Part of the
    settings a ``resume`` must match.
    """
    t0 = time.perf_counter()
    if isinstance(max_posts, bool) or not isinstance(max_posts, int) or max_posts < 0:
        raise InputError(f"max_posts: must be an integer >= 0 (0: no limit), got {max_posts!r}")
    input, output, fmt, files, brand = _preflight(input, output, format, brand_topic, engine=engine,
                                                  chunk_size=chunk_size, ray_concurrency=ray_concurrency, top=top,
                                                  ray_address=ray_address)
    unread = unread_entries(input)
    m = _prepare_model(model, registry, backend)
    emb_cache = resolve_cache(cache, default_on=True)
    ckpt = _open_checkpoint(output, files, m, brand, chunk_size=chunk_size, resume=resume, overwrite=overwrite,
                            max_posts=max_posts)
    hits0, misses0 = (emb_cache.hits, emb_cache.misses) if emb_cache is not None else (0, 0)
    already, n_rows, n_errors, errors_path, best = _run_and_finish(
        files, ckpt, m, brand, output, fmt, engine=engine, chunk_size=chunk_size, show_progress_bar=show_progress_bar,
        ray_address=ray_address, ray_concurrency=ray_concurrency, emb_cache=emb_cache, top=top, unread=unread)
    seconds = time.perf_counter() - t0
    summary = _summary(output, errors_path, fmt, n_rows=n_rows, already=already, n_errors=n_errors,
                       seconds=seconds, run_id=ckpt.run_id, m=m, brand=brand, engine=engine, best=best,
                       emb_cache=emb_cache, hits0=hits0, misses0=misses0)
    logger.info("tagged %d accounts (%d in this run) in %.1f s, %.1f accounts/s; %d rows set aside",
                n_rows, summary.accounts_this_run, seconds, summary.accounts_per_second, n_errors)
    return summary


def _preflight(input, output, format, brand_topic, *, engine, chunk_size, ray_concurrency, top, ray_address=None):
    """Validate ``tag_files``' arguments and paths before any work; return ``(input, output, fmt, files, brand)``."""
    _check_args(engine, chunk_size, ray_concurrency, top)
    input, output = Path(input), Path(output)
    fmt = resolve_format(format, output)
    files = list_input_files(input)
    _check_paths(input, output, files)
    brand = parse_brand_topic(brand_topic)
    if engine == "ray":
        from brandfit.tagging._ray import check_ray_address, import_ray

        import_ray()  # fail before any work if the extra is missing
        check_ray_address(ray_address)  # ... or the cluster's address is malformed or nothing listens there
    return input, output, fmt, files, brand


def _open_checkpoint(output, files, m, brand, *, chunk_size, resume, overwrite,
                     max_posts=DEFAULT_MAX_POSTS) -> Checkpoint:
    """Open (or resume) the checkpoint of a ``tag_files`` job, keyed by its settings and input fingerprints."""
    settings = {"brand_topic": _brand_setting(brand), "model_version": m.version, "backend": m.backend,
                "chunk_size": chunk_size, "max_posts": max_posts}
    ckpt = Checkpoint.open(output, settings=settings, inputs=[fingerprint(f) for f in files],
                           resume=resume, overwrite=overwrite)
    if resume or overwrite:  # the checkpoint's lock is held: no other job is writing this output right now
        _remove_stale_temps(output)
    return ckpt


def _remove_stale_temps(output: Path) -> None:
    """Remove the temporary files (``.NAME.XXXXXXXX.tmp``) an interrupted final write of ``output`` left beside it;
    nothing else."""
    for tmp in stale_temps(output):
        try:
            tmp.unlink()
            logger.info("removed %s, left by an interrupted run", tmp)
        except OSError as exc:
            logger.warning("could not remove %s, left by an interrupted run: %s", tmp, exc)


def _run_and_finish(files, ckpt, m, brand, output, fmt, *, engine, chunk_size, show_progress_bar, ray_address,
                    ray_concurrency, emb_cache, top, unread=()):
    """Tag the chunks not yet done, then write the final output and errors file and remove the checkpoint.

    The output is written in full to a temporary file beside it first; only then are the errors file and the
    output renamed into place, back to back (:func:`~brandfit.tagging._output.replace_output_and_errors`), and
    only then is the checkpoint removed. Returns ``(already, n_rows, n_errors, errors_path, best)``; the
    checkpoint is closed either way, and removed when this run started it and recorded no chunk (nothing to resume).
    """
    staged = None
    try:
        already = ckpt.accounts_done
        n_chunks, n_errors = _run(files, ckpt, m, brand, engine=engine, chunk_size=chunk_size, already=already,
                                  show_progress_bar=show_progress_bar, ray_address=ray_address,
                                  ray_concurrency=ray_concurrency, cache=emb_cache, unread=unread)
        errors_path = errors_path_for(output)
        best = TopAccounts(top)
        parts = ckpt.completed_parts(n_chunks)
        try:
            staged, n_rows = stage_final(parts, output, fmt, on_table=best)
            replace_output_and_errors(staged, output, ckpt.errors_path, errors_path)
        except OSError as exc:
            raise write_error(exc, output, "writing the output") from exc
        staged = None
        ckpt.remove()
    except BaseException as exc:
        if staged is not None:
            staged.unlink(missing_ok=True)
        if ckpt.fresh and ckpt.accounts_done == 0:  # nothing done: leave nothing that blocks the next plain run
            ckpt.remove()
            if isinstance(exc, WriteError):
                exc.checkpoint_gone()  # no checkpoint left to --resume: say so
        raise
    finally:
        ckpt.close()
    return already, n_rows, n_errors, errors_path, best


def _summary(output, errors_path, fmt, *, n_rows, already, n_errors, seconds, run_id, m, brand, engine, best,
             emb_cache, hits0, misses0) -> TagSummary:
    """The :class:`TagSummary` of a finished ``tag_files`` job."""
    return TagSummary(
        output=output, errors_path=errors_path, format=fmt, accounts_tagged=n_rows,
        accounts_this_run=n_rows - already, rows_set_aside=n_errors, seconds=seconds, run_id=run_id,
        model_version=m.version, brand_topic=brand if isinstance(brand, str) else brand.name, engine=engine,
        top=tuple(best.result()),
        cache_path=None if emb_cache is None else str(emb_cache.path),
        cache_hits=None if emb_cache is None or engine != "local" else emb_cache.hits - hits0,
        cache_misses=None if emb_cache is None or engine != "local" else emb_cache.misses - misses0,
    )
