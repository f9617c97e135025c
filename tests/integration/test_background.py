"""The shared background thread that finds cues while texts are embedded (brandfit/_background.py)."""

import os
import sys
import subprocess
import threading

import pytest

from brandfit._background import in_background


def test_returns_the_value_and_raises_the_error():
    assert in_background(sum, [1, 2, 3]).result(timeout=10) == 6
    with pytest.raises(ZeroDivisionError):
        in_background(lambda: 1 / 0).result(timeout=10)


def test_jobs_run_in_order_and_a_waiting_job_can_be_cancelled():
    gate = threading.Event()
    first = in_background(gate.wait, 10)
    second = in_background(lambda: "never")
    assert second.cancel()  # still queued behind the first
    gate.set()
    assert first.result(timeout=10) is True
    assert in_background(lambda: "after").result(timeout=10) == "after"


def test_works_from_threads_that_outlive_the_main_thread():
    # a ThreadPoolExecutor refuses work once the main thread has finished; the daemon worker must not
    code = (
        "import threading, time, sys\n"
        "from brandfit._background import in_background\n"
        "def late():\n"
        "    time.sleep(0.3)\n"
        "    print(in_background(sum, [1, 2]).result(timeout=10), flush=True)\n"
        "threading.Thread(target=late).start()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_its_own_worker():
    assert in_background(sum, [1]).result(timeout=10) == 1  # the parent's worker exists
    pid = os.fork()
    if pid == 0:  # child: the parent's thread did not come along
        ok = False
        try:
            ok = in_background(sum, [2, 3]).result(timeout=10) == 5
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
