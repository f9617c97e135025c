"""One background thread for CPU work that can overlap the embedder (the spaCy cue matcher).

The onnx embedder keeps every core busy with onnxruntime runs that release the GIL, and waits; the torch
embedder's intra-op threads do the same. Finding cues (spaCy tokenizer + matchers, pure CPU under the GIL) used
to start only after embedding finished, leaving a core idle for ~10% of a tagging job. Submitting it here first
lets it run while the embedder works.

The worker is a daemon thread fed by a queue (not a ``ThreadPoolExecutor``, which refuses work once the main
thread has finished and keeps the interpreter from exiting until its queue drains). It is made on first use,
and again in a forked child, which inherits no threads.
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Callable, TypeVar

T = TypeVar("T")

__all__ = ["in_background"]

_lock = threading.Lock()
_jobs: "queue.SimpleQueue[tuple[Future, Callable, tuple]] | None" = None
_pid = -1


def _work(jobs: "queue.SimpleQueue[tuple[Future, Callable, tuple]]") -> None:
    while True:
        future, fn, args = jobs.get()
        if not future.set_running_or_notify_cancel():
            continue  # cancelled before it started
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever calls .result()
            future.set_exception(exc)


def _reset_after_fork() -> None:
    global _lock, _jobs, _pid
    _lock, _jobs, _pid = threading.Lock(), None, -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def in_background(fn: Callable[..., T], *args: object) -> "Future[T]":
    """Run ``fn(*args)`` on the shared background thread; ``.result()`` returns its value or raises its error.

    Jobs run one at a time, in the order given. ``.cancel()`` drops a job that has not started yet.
    """
    global _jobs, _pid
    with _lock:
        if _jobs is None or _pid != os.getpid():
            _jobs = queue.SimpleQueue()
            _pid = os.getpid()
            threading.Thread(target=_work, args=(_jobs,), name="brandfit-background", daemon=True).start()
        future: Future[T] = Future()
        _jobs.put((future, fn, args))
        return future
