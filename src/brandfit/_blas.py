"""numpy's BLAS kept to one thread around the heads' small matrix products.

The heads multiply a batch of embeddings (tens to hundreds of rows of 384) with small weight and description
matrices. OpenBLAS splits such products over all cores once they pass a size threshold (about two accounts'
texts), and its worker threads then spin for a while waiting for more work: on 2 cores they took CPU from the
onnx embedder's own workers. Measured with 2 accounts per ``predict_relevance_batch`` call (the size an HTTP
batch often has): 18-19 accounts/s with OpenBLAS free, 26-28 with this limit, the same rows either way.

The limit is process-wide while any thread is inside (OpenBLAS has no per-thread setting): the first thread in
sets one thread, the last one out puts back what was there. Torch's own BLAS (the torch embedder) is left alone.
Without ``threadpoolctl`` (a scikit-learn dependency, so normally present) this does nothing.

A long-running process of our own (``brandfit serve``) instead pins one thread for good
(:func:`pin_single_threaded_blas`): putting the threads back after every call wakes them, and between calls they
spun on a core the event loop needed. Measured with 16 HTTP clients sending 200 accounts: OpenBLAS's thread
took 1.2-1.7 s of CPU with the per-call limit, none when pinned.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

__all__ = ["single_threaded_blas", "pin_single_threaded_blas"]

_lock = threading.Lock()
_depth = 0
_restore: Any = None
_libs: Any = None


def _numpy_blas() -> Any:
    """threadpoolctl's controllers of the BLAS libraries numpy (not torch) uses; None without threadpoolctl."""
    global _libs
    if _libs is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            _libs = False
            return None
        import numpy  # noqa: F401  (its BLAS must be loaded to be found)

        blas = ThreadpoolController().select(user_api="blas")
        ours = [c for c in blas.lib_controllers if _is_numpys(str(c.filepath))]
        # a wheel's numpy ships its own OpenBLAS (numpy.libs/); elsewhere (conda) take any BLAS but torch's
        blas.lib_controllers = ours or [c for c in blas.lib_controllers if "torch" not in str(c.filepath)]
        _libs = blas
    return _libs or None


def _is_numpys(filepath: str) -> bool:
    from pathlib import PurePath

    return any(part.startswith("numpy") for part in PurePath(filepath).parts[:-1])


def _release() -> None:
    """threadpoolctl lets only one thread (the first to set a limit, while it lives) change a shared OpenBLAS
    pool's size and silently ignores the others; our changes are serialised by ``_lock``, so hand control back
    after each one, or a scoring thread's limit would be dropped while the thread that set the first one lives."""
    try:
        from threadpoolctl import OpenBLASController
    except ImportError:  # pragma: no cover - older threadpoolctl: no controlling-thread rule
        return
    OpenBLASController.clear_controlling_thread()  # only if this thread holds it


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """While inside, numpy's BLAS runs on one thread (process-wide; nested and concurrent use is fine)."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            libs = _numpy_blas()
            _restore = libs.limit(limits=1) if libs is not None and libs.lib_controllers else None
            _release()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _restore is not None:
                _restore.restore_original_limits()
                _restore = None
                _release()


def pin_single_threaded_blas() -> bool:
    """numpy's BLAS on one thread for the rest of the process (for processes that only serve brandfit); True if
    a BLAS library was found and limited. Later :func:`single_threaded_blas` calls leave it at one."""
    global _depth
    with _lock:
        libs = _numpy_blas()
        if libs is None or not libs.lib_controllers:
            return False
        libs.limit(limits=1)
        _release()
        _depth += 1  # held for good: no per-call restore (it woke OpenBLAS's threads between calls)
        return True
