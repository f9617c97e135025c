"""One background thread for CPU work that can overlap the embedder (the spaCy cue matcher).

The onnx embedder keeps every core busy with onnxruntime runs that release the GIL, and waits; the torch
embedder's intra-op threads do the same. Finding cues (spaCy tokenizer + matchers, pure CPU under the GIL) used
to start only after embedding finished, leaving a core idle for ~10% of a tagging job. Submitting it here first
lets it run while the embedder works.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")

__all__ = ["in_background"]

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1


def in_background(fn: Callable[..., T], *args: object) -> "Future[T]":
    """Run ``fn(*args)`` on the shared background thread; ``.result()`` returns its value or raises its error.

    The thread is made on first use and again in a forked child (which inherits no threads).
    """
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="brandfit-background")
            _pool_pid = os.getpid()
        return _pool.submit(fn, *args)
