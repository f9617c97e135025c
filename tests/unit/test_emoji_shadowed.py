"""A user's own ``emoji.py`` beside their script hides the emoji package: a clear ImportError, never a hang and
never emoji silently written as themselves (which would change what every model reads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.parametrize(("own_file", "message"), [
    ("from brandfit.text import normalize\nprint(normalize('so good 🔥'))\n", "ran brandfit again"),
    ("VERSION = 'mine'\n", "not the emoji package that brandfit needs"),
])
def test_an_emoji_py_of_ones_own_is_named_not_hung_on_or_ignored(tmp_path: Path, own_file: str, message: str):
    (tmp_path / "emoji.py").write_text(own_file, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run([sys.executable, "-c", "from brandfit.text import normalize; print(normalize('🔥'))"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "ImportError" in run.stderr and message in run.stderr, run.stderr[-2000:]
    assert "emoji.py" in run.stderr.splitlines()[-1]  # the last line, the error itself, names the file to rename
