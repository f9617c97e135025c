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

import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from brandfit.account import BrandTopic, parse_brand_topic
from brandfit.data._read import list_input_files
from brandfit.model import HEADS_FILE, MODEL_FILE, RelevanceModel, default_registry_root, load_model
from brandfit.tagging._checkpoint import Checkpoint, fingerprint
from brandfit.tagging._input import AccountReader, ErrorLog
from brandfit.tagging._local import Progress, chunked, run_local
from brandfit.tagging._output import FORMATS, TopAccounts, move_into_place, resolve_format, write_final

logger = logging.getLogger(__name__)

__all__ = ["tag_files", "TagSummary", "ENGINES", "FORMATS", "DEFAULT_BACKEND", "DEFAULT_CHUNK_SIZE",
           "errors_path_for"]

ENGINES = ("local", "ray")
DEFAULT_CHUNK_SIZE = 512
DEFAULT_BACKEND = "onnx"
"""Batch tagging embeds with the int8 onnx backend unless told otherwise (``backend="torch"``, ``--backend torch``
or ``$BRANDFIT_BACKEND``): faster than torch on the same CPUs with half the memory, and, since its int8 graph
quantises every token on its own, scores that do not depend on chunking, engine or resumes (docs/onnx.md)."""


def resolve_backend(backend: str | None) -> str:
    """``backend``, else ``$BRANDFIT_BACKEND``, else :data:`DEFAULT_BACKEND`."""
    return backend or os.environ.get("BRANDFIT_BACKEND") or DEFAULT_BACKEND


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
        d["top"] = [dict(r) for r in self.top]
        return d


def _brand_setting(brand: str | BrandTopic) -> str | dict[str, Any]:
    if isinstance(brand, str):
        return brand
    return {"name": brand.name, "description": brand.description, "examples": list(brand.examples)}


def _model_files(model: RelevanceModel, registry: str | Path | None) -> dict[str, bytes]:
    """The files of a published model version, for Ray workers that cannot see the registry."""
    from brandfit.registry import ModelRegistry

    if "@" not in model.version:
        raise ValueError(f"model: the Ray engine needs a published model (a registry ref), got {model.version!r}")
    folder = ModelRegistry(registry if registry is not None else default_registry_root()).resolve(model.version)
    return {name: (folder / name).read_bytes() for name in (MODEL_FILE, HEADS_FILE)}


def tag_files(
    input: str | Path,
    output: str | Path,
    brand_topic: str | BrandTopic,
    *,
    model: str | RelevanceModel = "production",
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
) -> TagSummary:
    """Tag every account in ``input`` (a JSONL/CSV/Parquet file or a folder of them) for ``brand_topic``.

    ``model`` is a registry ref (loaded with ``backend``, default :data:`DEFAULT_BACKEND`, i.e. onnx) or a loaded
    :class:`~brandfit.RelevanceModel`, which keeps its own backend.

    Writes ``output`` (``format`` ``parquet``/``jsonl``/``csv``, default from the suffix, else Parquet) and
    ``OUTPUT.errors.jsonl``, both only once the whole job is done. Raises ``ValueError`` when the output or
    an unfinished run is in the way (``overwrite`` / ``resume`` say what to do), ``ImportError`` for the Ray
    engine without Ray. ``show_progress_bar=None`` shows a bar only on a terminal. The summary lists the
    ``top`` best accounts (see :attr:`TagSummary.top`).
    """
    t0 = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"engine: unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size: must be a positive integer, got {chunk_size!r}")
    if ray_concurrency is not None and (not isinstance(ray_concurrency, int) or ray_concurrency < 1):
        raise ValueError(f"ray_concurrency: must be a positive integer, got {ray_concurrency!r}")
    output = Path(output)
    fmt = resolve_format(format, output)
    files = list_input_files(input)
    if Path(input).is_dir() and output.parent.resolve() == Path(input).resolve():
        raise ValueError(f"{output}: the output would land in the input folder {input} and be read as input by "
                         "the next run; write it elsewhere")
    brand = parse_brand_topic(brand_topic)
    if engine == "ray":
        from brandfit.tagging._ray import import_ray

        import_ray()  # fail before any work if the extra is missing
    m = model if isinstance(model, RelevanceModel) else load_model(model, registry, backend=resolve_backend(backend))
    if m.backend == "onnx":
        from brandfit.embedding._export import ensure_model

        ensure_model()  # export once here (first use on this machine), not in every worker at the same time
    settings = {"brand_topic": _brand_setting(brand), "model_version": m.version, "backend": m.backend,
                "chunk_size": chunk_size}
    ckpt = Checkpoint.open(output, settings=settings, inputs=[fingerprint(f) for f in files],
                           resume=resume, overwrite=overwrite)
    try:
        already = ckpt.accounts_done
        progress = Progress(show_progress_bar=show_progress_bar, already_done=already)
        scratch = ckpt.reset_scratch()
        with open(ckpt.errors_path, "w", encoding="utf-8") as efh:
            errors = ErrorLog(efh)
            reader = AccountReader(files, scratch=scratch, errors=errors)
            try:
                chunks = chunked(reader, chunk_size)
                if engine == "local":
                    n_chunks = run_local(chunks, ckpt, model=m, brand=brand, errors=errors, progress=progress)
                else:
                    from brandfit.tagging._ray import run_ray

                    n_chunks = run_ray(chunks, ckpt, model_files=_model_files(m, registry), model_version=m.version,
                                       backend=m.backend, brand=brand, errors=errors, progress=progress,
                                       address=ray_address, concurrency=ray_concurrency)
            finally:
                reader.close()
                progress.close()
            n_errors = errors.count
        parts = ckpt.completed_parts(n_chunks)
        errors_path = errors_path_for(output)
        move_into_place(ckpt.errors_path, errors_path)
        best = TopAccounts(top)
        n_rows = write_final(parts, output, fmt, on_table=best)
        ckpt.remove()
    finally:
        ckpt.close()
    seconds = time.perf_counter() - t0
    summary = TagSummary(
        output=output, errors_path=errors_path, format=fmt, accounts_tagged=n_rows,
        accounts_this_run=n_rows - already, rows_set_aside=n_errors, seconds=seconds, run_id=ckpt.run_id,
        model_version=m.version, brand_topic=brand if isinstance(brand, str) else brand.name, engine=engine,
        top=tuple(best.result()),
    )
    logger.info("tagged %d accounts (%d in this run) in %.1f s, %.1f accounts/s; %d rows set aside",
                n_rows, summary.accounts_this_run, seconds, summary.accounts_per_second, n_errors)
    return summary
