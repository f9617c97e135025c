"""The Ray engine: the same job, with the scoring spread over a pool of Ray actors, streaming.

How it runs:

1. this process (the driver) reads and checks the input exactly as the local engine does;
2. each chunk not yet checkpointed goes to one of ``concurrency`` :class:`_Tagger` actors as one Arrow table;
   at most ``2 x concurrency`` chunks are in flight, so memory stays flat however large the input (the
   reader is only pulled as fast as the actors tag);
3. each actor builds the model once from its files' bytes (:meth:`RelevanceModel.to_files`: workers need
   brandfit installed, not the registry) and scores with the same :class:`~brandfit.pipeline.Pipeline` as the
   local engine, so both engines give the same numbers;
4. each tagged chunk is written as one Parquet part into the same checkpoint the local engine uses, so a killed
   Ray job resumes with ``--resume`` (even with ``--engine local``), and the final output is written by the same
   atomic merge.

Ray is an optional extra, imported only here and only when the Ray engine runs.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable

import pyarrow as pa

from brandfit.account import BrandTopic
from brandfit.errors import MissingExtraError
from brandfit.model import RelevanceModel
from brandfit.settings import env as _env
from brandfit.tagging._checkpoint import Checkpoint
from brandfit.tagging._input import ErrorLog, Item
from brandfit.tagging._local import PendingChunks, Progress, save_chunk

logger = logging.getLogger("brandfit.tagging")

__all__ = ["import_ray", "run_ray", "DEFAULT_LOCAL_CPUS"]

DEFAULT_LOCAL_CPUS = 2
"""CPUs of the local Ray cluster started when no ``--ray-address`` / ``RAY_ADDRESS`` is given."""
INSTALL_HINT = "the Ray engine needs the optional extra: pip install 'brandfit[ray]'"
IN_FLIGHT_PER_ACTOR = 2

_STAGE_SCHEMA = pa.schema([("account", pa.string()), ("source_file", pa.string()), ("source_line", pa.int64())])


def import_ray() -> Any:
    """``ray``, or :class:`~brandfit.errors.MissingExtraError` with the install hint."""
    try:
        import ray
    except ImportError as exc:
        raise MissingExtraError(f"{INSTALL_HINT} ({exc})") from exc
    return ray


class _Tagger:
    """A Ray actor: builds the model once from its files, then tags one staged chunk per call."""

    def __init__(self, *, model_files: dict[str, bytes], model_version: str, backend: str,
                 brand: str | dict[str, Any], run_id: str, cache: Any = None) -> None:
        from brandfit.account import parse_brand_topic
        from brandfit.pipeline import Pipeline

        model = RelevanceModel.from_files(model_files, version=model_version, backend=backend)
        model.embedder  # load the encoder now, once per actor
        self.pipeline = Pipeline(model, cache=cache)  # the driver's cache, reopened here from its path
        self.brand = parse_brand_topic(brand)
        self.run_id = run_id

    def tag(self, chunk_id: int, batch: pa.Table) -> tuple[int, pa.Table]:
        from brandfit.account import Account
        from brandfit.tagging._local import score_items

        cols = batch.to_pydict()
        items = [Item(Account.from_input(json.loads(a)), src, line)
                 for a, src, line in zip(cols["account"], cols["source_file"], cols["source_line"])]
        return chunk_id, score_items(items, self.brand, self.pipeline, self.run_id)


def _stage(items: list[Item]) -> pa.Table:
    return pa.table({
        "account": [json.dumps(it.account.to_dict(), ensure_ascii=False) for it in items],
        "source_file": [it.source_file for it in items],
        "source_line": [it.source_line for it in items],
    }, schema=_STAGE_SCHEMA)


def _init_ray(ray: Any, address: str | None) -> bool:
    """Connect to ``address`` / ``$RAY_ADDRESS``, or start a local cluster. True if we started Ray here."""
    if ray.is_initialized():
        return False
    address = address or _env("RAY_ADDRESS")
    if address:
        logger.info("connecting to the Ray cluster at %s", address)
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
    else:
        logger.info("starting a local Ray cluster with %d CPUs", DEFAULT_LOCAL_CPUS)
        ray.init(num_cpus=DEFAULT_LOCAL_CPUS, include_dashboard=False, logging_level=logging.WARNING)
    return True


def _actor_count(ray: Any, concurrency: int | None) -> int:
    cpus = int(ray.cluster_resources().get("CPU", 1))
    if concurrency is None:
        return max(1, cpus)
    if concurrency > cpus:
        logger.warning("--ray-concurrency %d: the cluster has %d CPUs; actors beyond that wait for room",
                       concurrency, cpus)
    return max(1, concurrency)


def run_ray(
    chunks: Iterable[tuple[int, list[Item]]],
    ckpt: Checkpoint,
    *,
    model: RelevanceModel,
    brand: str | BrandTopic,
    errors: ErrorLog,
    progress: Progress,
    address: str | None = None,
    concurrency: int | None = None,
    cache: Any = None,
) -> int:
    """Tag every chunk not yet in the checkpoint on Ray; returns the number of chunks in the stream."""
    ray = import_ray()
    started = _init_ray(ray, address)
    try:
        n_actors = _actor_count(ray, concurrency)
        brand_arg: str | dict[str, Any] = brand if isinstance(brand, str) else {
            "name": brand.name, "description": brand.description, "examples": list(brand.examples)}
        files_ref = ray.put(model.to_files())
        actor_cls = ray.remote(num_cpus=1)(_Tagger)
        actors = [actor_cls.remote(model_files=files_ref, model_version=model.version, backend=model.backend,
                                   brand=brand_arg, run_id=ckpt.run_id, cache=cache) for _ in range(n_actors)]
        logger.info("tagging on Ray with %d actor(s)", n_actors)
        in_flight: dict[Any, int] = {}  # object ref -> number of accounts
        pending = PendingChunks(chunks, ckpt)
        for k, items in pending:
            while len(in_flight) >= IN_FLIGHT_PER_ACTOR * n_actors:
                _collect_one(ray, in_flight, ckpt, errors, progress)
            actor = actors[k % n_actors]
            in_flight[actor.tag.remote(k, _stage(items))] = len(items)
        while in_flight:
            _collect_one(ray, in_flight, ckpt, errors, progress)
        return pending.count
    finally:
        if started:
            ray.shutdown()


def _collect_one(ray: Any, in_flight: dict[Any, int], ckpt: Checkpoint, errors: ErrorLog, progress: Progress) -> None:
    """Wait for one chunk to come back, then checkpoint and count it."""
    done, _ = ray.wait(list(in_flight), num_returns=1)
    ref = done[0]
    expected = in_flight.pop(ref)
    k, table = ray.get(ref)
    if table.num_rows != expected:
        raise RuntimeError(f"Ray returned {table.num_rows} rows for chunk {k} of {expected} accounts; this is a bug")
    save_chunk(ckpt, k, table, errors, progress)
