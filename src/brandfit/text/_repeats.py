"""Bounding a text's cost before anything scans it token by token.

spaCy's tokenizer strips prefixes and suffixes one character at a time and re-scans the rest, so a
"word" that is one long run of punctuation or emoji (``"!" * 5000``, ``"🔥" * 2000``) costs quadratic
time. :func:`squeeze_repeats` turns every run of the same character (digits excepted: ``1000000`` is a
number, and digit runs are cheap) longer than :data:`MAX_RUN` into :data:`MAX_RUN` copies; it is linear
and leaves ordinary text unchanged.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_RUN", "MAX_SCAN_CHARS", "squeeze_repeats"]

MAX_RUN: Final[int] = 4
MAX_SCAN_CHARS: Final[int] = 5000
"""Characters of a text read at all (the same limit as ``brandfit.account.MAX_INPUT_CHARS``)."""

_REPEAT_RE = re.compile(r"(\D)\1{%d,}" % MAX_RUN, re.DOTALL)


def _keep(m: re.Match[str]) -> str:
    return m.group(1) * MAX_RUN


def squeeze_repeats(text: str) -> str:
    """``text`` with each run of one non-digit character longer than :data:`MAX_RUN` cut to :data:`MAX_RUN`.

    >>> squeeze_repeats("wow!!!!!!!! 🔥🔥🔥🔥🔥🔥 1000000")
    'wow!!!! 🔥🔥🔥🔥 1000000'
    """
    return _REPEAT_RE.sub(_keep, text) if _REPEAT_RE.search(text) else text
