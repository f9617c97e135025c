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

Connecting to a cluster (``--ray-address`` / ``$RAY_ADDRESS``) is bounded: the address is checked before any work
(:func:`check_ray_address`: its form, the ``ray[client]`` extra for ``ray://``, and a TCP connection to its
host:port, which fails at once when nothing listens there), and ``ray.init`` itself is given
:data:`CONNECT_TIMEOUT_S` seconds (``$BRANDFIT_RAY_CONNECT_TIMEOUT``), since Ray keeps retrying an address that
accepts connections but does not answer for many minutes. Either failure is one :class:`RayConnectError` line.

Past the timeout, the thread running ``ray.init`` cannot be stopped; it is abandoned, and marked so: if it connects
later it calls ``ray.shutdown()`` at once (so a later :func:`~brandfit.tagging.tag_files` in the same Python process
never finds, uses and leaks that connection), and while it still runs a later Ray job in this process is refused
with a :class:`RayConnectError` (rather than racing it with a second ``ray.init``).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from typing import Any, Iterable

import pyarrow as pa

from brandfit.account import BrandTopic
from brandfit.errors import InputError, MissingExtraError
from brandfit.model import RelevanceModel
from brandfit.settings import env as _env
from brandfit.tagging._checkpoint import Checkpoint
from brandfit.tagging._input import ErrorLog, Item
from brandfit.tagging._local import PendingChunks, Progress, save_chunk

logger = logging.getLogger("brandfit.tagging")

__all__ = ["import_ray", "run_ray", "check_ray_address", "RayConnectError", "DEFAULT_LOCAL_CPUS", "CONNECT_TIMEOUT_S"]

DEFAULT_LOCAL_CPUS = 2
"""CPUs of the local Ray cluster started when no ``--ray-address`` / ``RAY_ADDRESS`` is given."""
INSTALL_HINT = "the Ray engine needs the optional extra: pip install 'brandfit[ray]'"
IN_FLIGHT_PER_ACTOR = 2
CONNECT_TIMEOUT_S = 60.0
"""Seconds ``ray.init`` may take to connect to a given cluster (``$BRANDFIT_RAY_CONNECT_TIMEOUT`` overrides)."""
PROBE_TIMEOUT_S = 10.0
"""Seconds the TCP check of the cluster's host:port may take."""


class RayConnectError(InputError):
    """The Ray cluster named by ``--ray-address`` / ``$RAY_ADDRESS`` cannot be used (bad form, unreachable, no
    answer in time, ``ray[client]`` missing); the CLI prints it as one line, exit 2."""


def _address_source(address: str | None) -> tuple[str | None, str]:
    if address:
        return address, "--ray-address"
    return _env("RAY_ADDRESS"), "RAY_ADDRESS"


def _connect_timeout() -> float:
    raw = _env("BRANDFIT_RAY_CONNECT_TIMEOUT")
    if raw is None:
        return CONNECT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise RayConnectError(f"BRANDFIT_RAY_CONNECT_TIMEOUT: expected a number of seconds > 0, got {raw!r}")
    return value


def _host_port(address: str) -> tuple[str, int]:
    """The host and port Ray would connect to for ``address`` (``host:port``, ``ray://host:port``)."""
    if address.startswith("ray://"):
        rest = address[len("ray://"):].split("/", 1)[0]
        host, sep, port = rest.rpartition(":")
        if not sep:
            host, port = rest, "10001"  # Ray Client's default port
    else:
        try:  # Ray's own parsing: "localhost" becomes this node's address, as ray.init does
            from ray._private.services import canonicalize_bootstrap_address

            address = canonicalize_bootstrap_address(address) or address
        except (ImportError, AttributeError):  # pragma: no cover - another Ray layout: parse it ourselves
            pass
        host, sep, port = address.rpartition(":")
        if not sep:
            raise ValueError(f"Invalid address format: {address}")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"Invalid address format: {address}")
    return host, int(port)


def check_ray_address(address: str | None) -> None:
    """Check the cluster address the Ray engine will use (``address``, else ``$RAY_ADDRESS``) before any work:
    its form, the ``ray[client]`` extra for ``ray://``, and that something listens at its host:port.
    :class:`RayConnectError` otherwise. No address, ``auto`` and ``local`` are not checked (Ray finds or starts a
    local cluster)."""
    address, where = _address_source(address)
    if not address or address in ("auto", "local"):
        return
    import_ray()
    if address.startswith("ray://"):
        try:
            from ray._private.utils import get_ray_client_dependency_error

            missing = get_ray_client_dependency_error()
        except (ImportError, AttributeError):  # pragma: no cover - another Ray layout: let ray.init say
            missing = None
        if missing is not None:
            raise RayConnectError(
                f"{where} {address}: a ray:// address needs Ray Client (pip install 'ray[client]'); or give the "
                "cluster's GCS address as host:port (default port 6379)")
    elif "://" in address:
        raise RayConnectError(f"{where} {address!r}: not a Ray address; expected host:port or ray://host:port")
    try:
        host, port = _host_port(address)
    except (ValueError, OSError) as exc:
        raise RayConnectError(f"{where} {address!r}: not a Ray address ({exc}); expected host:port, "
                              "ray://host:port, auto or local") from None
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = "no answer" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc) or type(exc).__name__)
        raise RayConnectError(f"cannot reach the Ray cluster at {address} ({where}): {host}:{port}: {reason}; "
                              "is the cluster running, and is the address right?") from None

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


_connect_lock = threading.Lock()
_abandoned: dict[str, Any] = {}
"""The ``ray.init`` thread given up on after its timeout (``thread``, ``address``), while it may still run."""


def _init_ray(ray: Any, address: str | None) -> bool:
    """Connect to ``address`` / ``$RAY_ADDRESS``, or start a local cluster. True if we started Ray here.

    A given address is checked first (:func:`check_ray_address`) and ``ray.init`` runs in a helper thread given
    :data:`CONNECT_TIMEOUT_S`: any failure, or no connection in time, is a :class:`RayConnectError`. While a
    ``ray.init`` abandoned after its timeout still runs in this process, this refuses (:class:`RayConnectError`)."""
    _refuse_while_abandoned()
    if ray.is_initialized():
        return False
    address, where = _address_source(address)
    if address:
        check_ray_address(address)
        timeout = _connect_timeout()
        logger.info("connecting to the Ray cluster at %s (giving up after %.0f s)", address, timeout)
        _init_bounded(ray, address, where, timeout)
    else:
        logger.info("starting a local Ray cluster with %d CPUs", DEFAULT_LOCAL_CPUS)
        ray.init(num_cpus=DEFAULT_LOCAL_CPUS, include_dashboard=False, logging_level=logging.WARNING)
    return True


def _refuse_while_abandoned() -> None:
    with _connect_lock:
        thread = _abandoned.get("thread")
        if thread is None:
            return
        if not thread.is_alive():
            _abandoned.clear()
            return
        address = _abandoned.get("address")
    raise RayConnectError(f"an earlier connection to the Ray cluster at {address} timed out in this Python process and "
                          "Ray is still retrying it (it is shut down as soon as it connects); start a new process, "
                          "or try again later")


class _QuietThreadWarning(logging.Filter):
    """Hide Ray's "SIGTERM handler is not set ... not the main thread" warning: the helper thread is ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "not the main thread" not in record.getMessage()


def _init_bounded(ray: Any, address: str, where: str, timeout: float) -> None:
    """``ray.init(address=...)`` in a helper thread, given ``timeout`` seconds. Past it, the thread is abandoned
    (recorded in :data:`_abandoned`): should its ``ray.init`` still succeed, it calls ``ray.shutdown()`` itself, so
    nobody in this process is left with a connection that nobody shuts down."""
    state: dict[str, Any] = {}  # "error" / "connected" (set by the thread), "abandoned" (set here): under the lock
    quiet = _QuietThreadWarning()
    ray_logger = logging.getLogger("ray._private.worker")

    def connect() -> None:
        try:
            ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            with _connect_lock:
                state["error"] = exc
                late = state.get("abandoned", False)
        else:
            with _connect_lock:
                state["connected"] = True
                late = state.get("abandoned", False)
            if late:  # connected after the caller gave up: nobody would ever shut this connection down
                logger.info("the abandoned connection to the Ray cluster at %s came through late; shutting it down",
                            address)
                try:
                    ray.shutdown()
                except Exception as exc:  # noqa: BLE001 - a daemon thread: log, never raise
                    logger.warning("could not shut down the late Ray connection to %s: %s", address, exc)
        if late:
            ray_logger.removeFilter(quiet)  # the caller left it on while this thread ran

    ray_logger.addFilter(quiet)
    thread = threading.Thread(target=connect, name="brandfit-ray-connect", daemon=True)
    try:
        thread.start()
        thread.join(timeout)
    except BaseException:  # Ctrl-C while waiting: the connection, made or to come, is not ours to keep
        if not _abandon(thread, address, state):
            thread.join()
            ray_logger.removeFilter(quiet)
            if state.get("connected"):
                ray.shutdown()
        raise
    if _abandon(thread, address, state):  # Ray is still retrying; the thread shuts down a late connection itself
        raise RayConnectError(f"cannot reach the Ray cluster at {address} ({where}): no connection within "
                              f"{timeout:.0f} s (BRANDFIT_RAY_CONNECT_TIMEOUT); is it a Ray cluster's GCS address, "
                              "and is the cluster running?")
    thread.join()  # done, or just returning
    ray_logger.removeFilter(quiet)
    exc = state.get("error")
    if exc is not None:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise exc
        raise RayConnectError(f"cannot connect to the Ray cluster at {address} ({where}): "
                              f"{' '.join(str(exc).split())[:300] or type(exc).__name__}") from exc


def _abandon(thread: threading.Thread, address: str, state: dict[str, Any]) -> bool:
    """Give up on ``thread``'s ``ray.init`` unless it already ended; True if abandoned (then recorded in
    :data:`_abandoned`, and the thread shuts down a connection it makes later)."""
    with _connect_lock:
        if "error" in state or "connected" in state:
            return False
        state["abandoned"] = True
        _abandoned.update(thread=thread, address=address)
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
