"""numpy's BLAS kept to one thread around the heads (brandfit._blas), and the onnx batch cut (no idle core)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from brandfit._blas import single_threaded_blas
from brandfit.embedding._onnx import _balanced

threadpoolctl = pytest.importorskip("threadpoolctl")


def _numpy_blas_threads() -> list[int]:
    import numpy  # noqa: F401  (its BLAS must be loaded to be seen)

    from brandfit._blas import _is_numpys

    return [i["num_threads"] for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas" and _is_numpys(i["filepath"])]


def test_one_thread_inside_and_the_old_count_back_after_nested_and_concurrent_use():
    before = _numpy_blas_threads()
    if not before:
        pytest.skip("numpy's BLAS is not visible to threadpoolctl here")
    with single_threaded_blas():
        assert set(_numpy_blas_threads()) == {1}
        with single_threaded_blas():
            assert set(_numpy_blas_threads()) == {1}
        assert set(_numpy_blas_threads()) == {1}  # the inner exit must not restore while the outer is inside
    assert _numpy_blas_threads() == before


def test_the_limit_holds_from_other_threads_and_overlapping_ones_restore_once():
    """threadpoolctl lets only one thread change a shared OpenBLAS pool; the limit must still apply when it is
    entered from worker threads (the server scores on them), after the main thread used it, and when threads
    overlap (A in, B in, A out, B out) the count must come back."""
    import threading

    before = _numpy_blas_threads()
    if not before:
        pytest.skip("numpy's BLAS is not visible to threadpoolctl here")
    with single_threaded_blas():  # the main thread first: it must not keep control afterwards
        pass
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, set[int]] = {}

    def a():
        with single_threaded_blas():
            seen["a"] = set(_numpy_blas_threads())
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with single_threaded_blas():
            b_in.set()
            a_out.wait(10)
            seen["b after a left"] = set(_numpy_blas_threads())

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert seen == {"a": {1}, "b after a left": {1}}
    assert _numpy_blas_threads() == before



def test_pinned_for_good_in_a_serving_process():
    """``pin_single_threaded_blas`` (``brandfit serve`` calls it at startup, on its main thread) leaves one thread
    for the rest of the process, and the per-call limit from a scoring thread then keeps it at one."""
    code = (
        "import threading, numpy, threadpoolctl\n"
        "from brandfit._blas import pin_single_threaded_blas, single_threaded_blas\n"
        "from brandfit._blas import _is_numpys\n"
        "def n(): return sorted({i['num_threads'] for i in threadpoolctl.threadpool_info()\n"
        "                        if i['user_api'] == 'blas' and _is_numpys(i['filepath'])})\n"
        "print(pin_single_threaded_blas(), n())\n"
        "def score():\n"
        "    with single_threaded_blas(): pass\n"
        "t = threading.Thread(target=score); t.start(); t.join()\n"
        "print(n())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    if lines[0].startswith("False"):
        pytest.skip("numpy's BLAS is not visible to threadpoolctl here")
    assert lines[:2] == ["True [1]", "[1]"], out.stdout


def test_the_limit_is_lifted_when_the_body_raises():
    before = _numpy_blas_threads()
    with pytest.raises(KeyError), single_threaded_blas():
        raise KeyError("x")
    assert _numpy_blas_threads() == before


@pytest.mark.parametrize("n", [0, 1, 2, 7, 13, 26, 52, 64, 65, 156, 1000, 4096])
@pytest.mark.parametrize("workers", [1, 2, 3, 4])
def test_onnx_batches_come_in_whole_rounds_of_near_equal_size(n, workers):
    size = _balanced(n, 32, workers)
    if n == 0:
        assert size == 32
        return
    assert 1 <= size <= 32
    batches = -(-n // size)
    full = [size] * (n // size) + ([n % size] if n % size else [])
    assert sum(full) == n and len(full) == batches
    if n >= workers:
        assert batches % workers == 0 or max(full) - min(full) <= 1 or size == 1, (n, workers, size)
    assert max(full) - min(full) <= max(1, batches)  # no near-empty last batch beside full ones
