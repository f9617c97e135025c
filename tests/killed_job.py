"""Start ``brandfit tag`` in a child process that sleeps after every checkpointed chunk, and SIGKILL it once it has
checkpointed ``chunks`` of them: what the resume tests start from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from brandfit.tagging._checkpoint import parts_dir_for

_CHILD = ("import sys, time; from brandfit.tagging._checkpoint import Checkpoint; mark = Checkpoint.mark_done\n"
          "def slow(self, *a, **k):\n    mark(self, *a, **k); time.sleep(0.5)\n"
          "Checkpoint.mark_done = slow\n"
          "from brandfit.cli import main; sys.exit(main(sys.argv[1:]))")


def kill_after_chunks(args: list[str], out: Path, chunks: int, *, timeout: float = 120) -> Path:
    """Run ``brandfit *args -o out``, SIGKILL it after ``chunks`` checkpointed chunks; returns its state.json."""
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, *args, "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = parts_dir_for(out) / "state.json"
    deadline = time.monotonic() + timeout
    done = 0
    try:
        while done < chunks:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, f"the job did not checkpoint {chunks} chunks in time"
            time.sleep(0.05)
            try:
                done = len(json.loads(state.read_text())["completed"])
            except (FileNotFoundError, json.JSONDecodeError):
                pass
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return state
