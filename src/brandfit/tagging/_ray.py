"""The Ray engine: the same job, with the scoring spread over a pool of Ray actors.

How it runs:

1. this process (the driver) reads and checks the input exactly as the local engine does, and puts every
   chunk not yet checkpointed into the Ray object store as one Arrow block (``ray.data.from_arrow_refs``);
2. ``map_batches`` sends each block to a :class:`_Tagger` actor from a pool of ``concurrency`` actors; each
   actor loads the model once in ``__init__`` (the model files travel with the task, so workers need
   brandfit installed but no access to the registry);
3. the tagged rows stream back and are written as one Parquet part per chunk into the same checkpoint the
   local engine uses, so a killed Ray job resumes with ``--resume`` (even with ``--engine local``), and the
   final output is written by the same atomic merge.

Ray is an optional extra, imported only here and only when the Ray engine runs.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.compute as pc

from brandfit.account import BrandTopic
from brandfit.tagging._checkpoint import Checkpoint
from brandfit.tagging._input import ErrorLog, Item, account_to_mapping
from brandfit.tagging._local import Progress, check_skipped

logger = logging.getLogger("brandfit.tagging")

__all__ = ["import_ray", "run_ray", "DEFAULT_LOCAL_CPUS"]

DEFAULT_LOCAL_CPUS = 2
"""CPUs of the local Ray cluster started when no ``--ray-address`` / ``RAY_ADDRESS`` is given."""
INSTALL_HINT = "the Ray engine needs the optional extra: pip install 'brandfit[ray]'"

_STAGE_SCHEMA = pa.schema([("chunk_id", pa.int64()), ("seq", pa.int64()), ("account", pa.string()),
                           ("source_file", pa.string()), ("source_line", pa.int64())])


def import_ray() -> Any:
    """``ray`` with Ray Data, or ``ImportError`` with the install hint."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from exc
    return ray


class _Tagger:
    """A Ray actor: loads the model once, then tags one block of staged accounts per call."""

    def __init__(self, *, model_files: dict[str, bytes], model_version: str, backend: str,
                 brand: str | dict[str, Any], run_id: str) -> None:
        import tempfile

        from brandfit.account import parse_brand_topic
        from brandfit.model import RelevanceModel

        with tempfile.TemporaryDirectory(prefix="brandfit-model-") as tmp:
            for name, data in model_files.items():
                Path(tmp, name).write_bytes(data)
            self.model = RelevanceModel.from_folder(tmp, version=model_version, backend=backend)
        self.model.embedder  # load the encoder now, once per actor
        self.brand = parse_brand_topic(brand)
        self.run_id = run_id

    def __call__(self, batch: pa.Table) -> pa.Table:
        from brandfit.account import Account
        from brandfit.tagging._local import score_items

        cols = batch.to_pydict()
        items = [Item(Account.from_input(json.loads(a)), src, line)
                 for a, src, line in zip(cols["account"], cols["source_file"], cols["source_line"])]
        table = score_items(items, self.brand, self.model, self.run_id)
        return table.append_column("chunk_id", pa.array(cols["chunk_id"], pa.int64())) \
                    .append_column("seq", pa.array(cols["seq"], pa.int64()))


def _init_ray(ray: Any, address: str | None) -> bool:
    """Connect to ``address`` / ``$RAY_ADDRESS``, or start a local cluster. True if we started Ray here."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        logger.info("connecting to the Ray cluster at %s", address)
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    else:
        logger.info("starting a local Ray cluster with %d CPUs", DEFAULT_LOCAL_CPUS)
        ray.init(num_cpus=DEFAULT_LOCAL_CPUS, include_dashboard=False, logging_level=logging.WARNING)
    return True


def run_ray(
    chunks: Iterable[tuple[int, list[Item]]],
    ckpt: Checkpoint,
    *,
    model_files: dict[str, bytes],
    model_version: str,
    backend: str,
    brand: str | BrandTopic,
    errors: ErrorLog,
    progress: Progress,
    address: str | None = None,
    concurrency: int | None = None,
) -> int:
    """Tag every chunk not yet in the checkpoint on Ray; returns the number of chunks in the stream."""
    ray = import_ray()
    started = _init_ray(ray, address)
    ctx = ray.data.DataContext.get_current()
    bars = ctx.enable_progress_bars
    ctx.enable_progress_bars = False  # our own progress report counts accounts
    try:
        refs = []
        expected: dict[int, int] = {}
        n_chunks = 0
        seq = 0
        for k, items in chunks:
            n_chunks = k + 1
            if ckpt.is_done(k):
                check_skipped(ckpt, k, items)
                seq += len(items)
                continue
            table = pa.table({
                "chunk_id": [k] * len(items),
                "seq": list(range(seq, seq + len(items))),
                "account": [json.dumps(account_to_mapping(it.account), ensure_ascii=False) for it in items],
                "source_file": [it.source_file for it in items],
                "source_line": [it.source_line for it in items],
            }, schema=_STAGE_SCHEMA)
            seq += len(items)
            refs.append(ray.put(table))
            expected[k] = len(items)
        errors.flush()
        if not refs:
            return n_chunks
        cpus = int(ray.cluster_resources().get("CPU", 1))
        if concurrency is None:
            concurrency = max(1, cpus)
        elif concurrency > cpus:
            logger.warning("--ray-concurrency %d: the cluster has %d CPUs; actors beyond that wait for room",
                           concurrency, cpus)
        concurrency = max(1, min(concurrency, len(refs)))
        logger.info("tagging %d chunk(s) on Ray with %d actor(s)", len(refs), concurrency)
        brand_arg: str | dict[str, Any] = brand if isinstance(brand, str) else {
            "name": brand.name, "description": brand.description, "examples": list(brand.examples)}
        ds = ray.data.from_arrow_refs(refs).map_batches(
            _Tagger,
            batch_size=None,  # one block = one chunk, embedded in one pass as the local engine does
            batch_format="pyarrow",
            concurrency=concurrency,
            num_cpus=1,
            fn_constructor_kwargs={"model_files": model_files, "model_version": model_version, "backend": backend,
                                   "brand": brand_arg, "run_id": ckpt.run_id},
        )
        pending: dict[int, list[pa.Table]] = {}
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            for k in sorted(set(batch.column("chunk_id").to_pylist())):
                rows = batch.filter(pc.equal(batch.column("chunk_id"), k))
                pending.setdefault(k, []).append(rows)
                got = sum(t.num_rows for t in pending[k])
                if got > expected[k]:
                    raise RuntimeError(f"Ray returned {got} rows for chunk {k} of {expected[k]} accounts")
                if got == expected[k]:
                    _write_chunk(ckpt, k, pending.pop(k))
                    progress.update(expected[k], set_aside=errors.count)
        if pending:
            raise RuntimeError(f"Ray returned incomplete chunks {sorted(pending)}; rerun with --resume")
        return n_chunks
    finally:
        ctx.enable_progress_bars = bars
        if started:
            ray.shutdown()


def _write_chunk(ckpt: Checkpoint, k: int, tables: list[pa.Table]) -> None:
    from brandfit.tagging._output import SCHEMA, write_part

    table = pa.concat_tables(tables).sort_by("seq").select(list(SCHEMA.names))
    write_part(ckpt.part_path(k), table.cast(SCHEMA))
    ckpt.mark_done(k, table.num_rows)
