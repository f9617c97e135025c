"""Adaptive micro-batching: concurrent requests' accounts scored in one ``scorer.score(accounts, brand)`` call.

Each request hands its accounts to :meth:`MicroBatcher.score` and awaits its own results. One collector task
takes the oldest waiting request, gathers every other waiting request for the same scorer (the model snapshot
the request started on) and the same brand topic, up to ``max_batch`` accounts, and runs the call on a worker
thread (``run_in_executor``), so the event loop (health checks, new requests) is never blocked. While every
worker is busy the requests arriving meanwhile pile up into the next, larger batch.

Before a call the collector waits for company, at most ``max_delay`` (25 ms) once a worker is free:

- with :class:`Arrivals` (the server's HTTP edge announces every request from the moment its body is read until
  it reaches ``score``), until no announced request is still being validated: a lone client pays no wait, and
  requests that arrived together are scored together instead of being split by a timer;
- without (a batcher used on its own), until no request has arrived for ``max_wait`` seconds (5 ms), or the
  oldest request has waited ``max_delay``.

The server runs two calls at once by default (``workers``): while one call is in its Python stages (cues,
heads, scoring) the other keeps the embedder's cores busy.

No FastAPI and no model here: the scorer is anything with ``score(accounts, brand) -> list`` (one result per
account, in order), so the unit tier tests this with a fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Protocol, Sequence

__all__ = ["MicroBatcher", "Scorer", "BatchStats", "BatcherClosed", "Arrivals"]

logger = logging.getLogger(__name__)


class _Announcement:
    __slots__ = ("arrivals", "live")

    def __init__(self, arrivals: "Arrivals") -> None:
        self.arrivals, self.live = arrivals, True

    def end(self) -> None:
        if self.live:
            self.live = False
            self.arrivals._ended()


_ANNOUNCED: contextvars.ContextVar[_Announcement | None] = contextvars.ContextVar("brandfit_announced", default=None)


class Arrivals:
    """Requests on their way to the batcher: started to arrive (announced by the HTTP edge), not queued yet.

    The edge wraps each request that may score (a POST, once its body is read) in :meth:`announce`; ``count`` is
    how many are between then and their first :meth:`MicroBatcher.score` call (same task, so the same context),
    or their end when they never get there (a 422). Event-loop use only.

    >>> arrivals = Arrivals()
    >>> with arrivals.announce():
    ...     arrivals.count
    1
    >>> arrivals.count
    0
    """

    def __init__(self) -> None:
        self.count = 0
        self._listeners: list[Callable[[], None]] = []

    @contextlib.contextmanager
    def announce(self) -> Iterator[None]:
        note = _Announcement(self)
        self.count += 1
        token = _ANNOUNCED.set(note)
        try:
            yield
        finally:
            _ANNOUNCED.reset(token)
            note.end()

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _ended(self) -> None:
        self.count -= 1
        for listener in list(self._listeners):
            listener()


def _arrived() -> None:
    """End this request's announcement: its accounts are in the queue now (or it is not coming)."""
    note = _ANNOUNCED.get()
    if note is not None:
        note.end()


class BatcherClosed(RuntimeError):
    """The batcher was closed (the server is shutting down): nothing new is scored."""


class Scorer(Protocol):
    def score(self, accounts: Sequence[Any], brand: Any) -> list[Any]: ...


@dataclass
class _Pending:
    scorer: Scorer
    brand: Any
    key: tuple[int, Hashable]
    accounts: Sequence[Any]
    future: asyncio.Future
    queued_at: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class BatchStats:
    """What one scorer call covered (given to ``on_batch``, e.g. for the metrics)."""

    accounts: int
    """Items scored: accounts, or texts for a scorer of ``kind`` texts."""
    requests: int
    queue_wait: float
    """Seconds the oldest request of the batch waited before its call started."""
    seconds: float
    """Seconds the call took."""
    kind: str = "accounts"
    """What was scored: the scorer's ``kind`` attribute (``"texts"`` for /v1/texts), else ``"accounts"``."""


class MicroBatcher:
    """Gather concurrent ``score`` calls into few scorer calls; see the module docstring.

    ``max_batch`` bounds the accounts of one call (one request larger than that is split into several calls);
    ``max_delay`` (default ``5 x max_wait``) bounds each wait for company; ``arrivals`` (from the HTTP edge) says
    which requests to wait for, and without it ``max_wait`` (seconds) is the gap without a new request that ends
    the wait; ``workers`` scorer calls run at once on the ``executor`` (a thread pool of that size by default).
    """

    def __init__(self, *, max_batch: int = 256, max_wait: float = 0.005, max_delay: float | None = None,
                 workers: int = 1, arrivals: Arrivals | None = None,
                 executor: Executor | None = None, on_batch: Callable[[BatchStats], None] | None = None) -> None:
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch: must be a positive integer, got {max_batch!r}")
        if not 0 <= max_wait <= 10:
            raise ValueError(f"max_wait: must be in [0, 10] seconds, got {max_wait!r}")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers: must be a positive integer, got {workers!r}")
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.max_delay = 5 * max_wait if max_delay is None else max(max_delay, max_wait)
        self._last_arrival = 0.0
        self.workers = workers
        self._own_executor = executor is None
        self.executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="brandfit-score")
        self.on_batch = on_batch
        self.arrivals = arrivals
        if arrivals is not None:
            arrivals.subscribe(self._poke)
        self._queue: deque[_Pending] = deque()
        self._wakeup: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._collector: asyncio.Task | None = None
        self._running: set[asyncio.Task] = set()
        self._closed = False

    # ------------------------------------------------------------------------------------------- public

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queued_accounts(self) -> int:
        return sum(len(p.accounts) for p in self._queue)

    async def score(self, scorer: Scorer, accounts: Sequence[Any], brand: Any) -> list[Any]:
        """``scorer.score(accounts, brand)``, possibly merged with other callers' accounts; results in order."""
        if self._closed:
            raise BatcherClosed("the batcher is closed")
        accounts = list(accounts)
        if not accounts:
            _arrived()
            return []
        self._start()
        loop = asyncio.get_running_loop()
        key = (id(scorer), _brand_key(brand))
        # a request larger than max_batch goes as several parts, each possibly merged with others
        parts = [accounts[i:i + self.max_batch] for i in range(0, len(accounts), self.max_batch)]
        futures = []
        for part in parts:
            fut = loop.create_future()
            self._queue.append(_Pending(scorer, brand, key, part, fut))
            futures.append(fut)
        assert self._wakeup is not None
        self._last_arrival = time.perf_counter()
        self._wakeup.set()
        _arrived()
        try:
            results = await asyncio.gather(*futures)
        except BaseException:
            for fut in futures:
                fut.cancel()  # the caller went away: its queued parts are skipped
            raise
        return [r for part in results for r in part]

    async def close(self) -> None:
        """Finish everything queued and running, then stop (and shut down the executor the batcher made)."""
        self._closed = True
        if self.arrivals is not None:
            self.arrivals.unsubscribe(self._poke)
        if self._collector is not None:
            assert self._wakeup is not None
            self._wakeup.set()
            await self._collector
            self._collector = None
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        if self._own_executor:
            self.executor.shutdown(wait=True)

    # ------------------------------------------------------------------------------------------ internals

    def _poke(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _start(self) -> None:
        if self._collector is None:
            self._wakeup = asyncio.Event()
            self._slots = asyncio.Semaphore(self.workers)
            self._collector = asyncio.get_running_loop().create_task(self._collect(), name="brandfit-batcher")

    async def _collect(self) -> None:
        assert self._wakeup is not None and self._slots is not None
        while True:
            self._drop_cancelled()
            if not self._queue:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._slots.acquire()  # wait for a free worker: requests keep queueing meanwhile
            try:
                await self._wait_for_company()
                batch = self._take()
            except BaseException:
                self._slots.release()
                raise
            if not batch:
                self._slots.release()
                continue
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _wait_for_company(self) -> None:
        """Until the batch is full, or (with :class:`Arrivals`) no announced request is still on its way, or
        ``max_delay`` has passed since the wait began; without Arrivals, until ``max_wait`` passes with no new
        request or the oldest has waited ``max_delay``."""
        assert self._wakeup is not None
        began = time.perf_counter()
        while not self._closed and self._queue:
            oldest = self._queue[0]
            if self._fill(oldest.key) >= self.max_batch:
                return
            if self.arrivals is not None:
                if self.arrivals.count <= 0:
                    return
                deadline = began + self.max_delay
            else:
                deadline = min(oldest.queued_at + self.max_delay, self._last_arrival + self.max_wait)
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except asyncio.TimeoutError:
                return

    def _fill(self, key: tuple[int, Hashable]) -> int:
        return sum(len(p.accounts) for p in self._queue if p.key == key and not p.future.done())

    def _drop_cancelled(self) -> None:
        if any(p.future.done() for p in self._queue):
            self._queue = deque(p for p in self._queue if not p.future.done())

    def _take(self) -> list[_Pending]:
        """The oldest request and the other queued ones for the same scorer and brand, up to max_batch accounts."""
        self._drop_cancelled()
        if not self._queue:
            return []
        key = self._queue[0].key
        batch: list[_Pending] = []
        kept: deque[_Pending] = deque()
        n = 0
        for p in self._queue:
            if p.key == key and (not batch or n + len(p.accounts) <= self.max_batch):
                batch.append(p)
                n += len(p.accounts)
            else:
                kept.append(p)
        self._queue = kept
        return batch

    async def _run(self, batch: list[_Pending]) -> None:
        assert self._slots is not None
        try:
            accounts = [a for p in batch for a in p.accounts]
            scorer, brand = batch[0].scorer, batch[0].brand
            started = time.perf_counter()
            loop = asyncio.get_running_loop()
            try:
                results = await loop.run_in_executor(self.executor, scorer.score, accounts, brand)
                if len(results) != len(accounts):
                    raise RuntimeError(f"the scorer returned {len(results)} results for {len(accounts)} accounts")
            except Exception as exc:  # every waiter of this batch gets the error
                logger.exception("scoring a batch of %d accounts failed", len(accounts))
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                return
            seconds = time.perf_counter() - started
            start = 0
            for p in batch:
                end = start + len(p.accounts)
                if not p.future.done():
                    p.future.set_result(results[start:end])
                start = end
            if self.on_batch is not None:
                try:
                    self.on_batch(BatchStats(len(accounts), len(batch), started - batch[0].queued_at, seconds,
                                            getattr(scorer, "kind", "accounts")))
                except Exception:  # metrics must never break scoring
                    logger.exception("on_batch failed")
        finally:
            self._slots.release()


def _brand_key(brand: Any) -> Hashable:
    try:
        hash(brand)
        return (type(brand).__name__, brand)
    except TypeError:
        return (type(brand).__name__, id(brand))
