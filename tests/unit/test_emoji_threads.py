"""The emoji name table is built once under a lock: threads converting their first emoji at the same moment (the
cue thread and the encoder's thread, a Ray actor, the server) all get the same words, in a fresh process."""

from __future__ import annotations

import json
import subprocess
import sys

from fakes import REPO

SCRIPT = r"""
import json, sys, threading
sys.path.insert(0, sys.argv[1])
from brandfit.text import normalize
texts = ["leg day 🔥🔥", "new lipstick 💄", "👩‍💻 coding", "🇧🇷 treino", "1️⃣ tip", "🏋️‍♀️ pr", "🥹", "☕ + 🐈"]
threads = int(sys.argv[2])
barrier = threading.Barrier(threads)
out = [None] * threads
def work(i):
    barrier.wait()
    out[i] = [normalize(t) for t in texts[i % len(texts):] + texts[:i % len(texts)]]
ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(sorted(set(x for o in out for x in o))))
"""


def _run(threads: int) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "src"), str(threads)], capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_first_emoji_conversions_racing_in_threads_agree_with_one_thread():
    alone = _run(1)
    assert "leg day fire" in alone and all("\U0001f525" not in t for t in alone)
    for _ in range(3):  # fresh processes: the race is on the very first conversion
        assert _run(8) == alone
