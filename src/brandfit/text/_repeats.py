"""Bounding a text's cost before anything scans it token by token.

spaCy's tokenizer strips prefixes and suffixes one character at a time and re-scans the rest, so a
"word" that is one long run of punctuation or emoji (``"!" * 5000``, ``"🔥" * 2000``, ``"!?" * 2500``) costs
quadratic time, and the normaliser spends a step per emoji of a ``"❤️" * 2000`` wall.
:func:`squeeze_repeats` bounds every run of characters that are neither letters, digits nor spaces
(punctuation, symbols, emoji, ``_``): a run of one such character longer than :data:`MAX_RUN` becomes
:data:`MAX_RUN` copies, and a run longer than :data:`MAX_SYMBOL_RUN` keeps its first :data:`MAX_SYMBOL_RUN`
characters. Letter and digit runs are cheap and keep their meaning (``1000000``; :func:`normalize` already cuts
elongations like ``soooooo`` to three). One linear regex pass; ordinary text comes back unchanged.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["MAX_RUN", "MAX_SCAN_CHARS", "MAX_SYMBOL_RUN", "TAIL_CHARS", "head_and_tail", "squeeze_repeats"]

MAX_RUN: Final[int] = 4
"""Longest run of one punctuation mark, symbol or emoji kept."""
MAX_SYMBOL_RUN: Final[int] = 16
"""Longest run of punctuation marks, symbols and emoji (no letter, digit or space) kept."""
MAX_SCAN_CHARS: Final[int] = 5000
"""Characters of a text read at all (the same limit as ``brandfit.account.MAX_INPUT_CHARS``)."""

TAIL_CHARS: Final[int] = 1000
"""Characters kept from the end of a text cut by :func:`head_and_tail`."""


def head_and_tail(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters; else its start and its last :data:`TAIL_CHARS` characters
    (at most a fifth of ``limit``) joined by a space, ``limit`` characters in all. A sponsor line, code or ``#ad``
    at the end of a long or padded caption is still read, and the cost stays bounded.

    >>> head_and_tail("a" * 20 + " #ad", 15)
    'aaaaaaaaaaa #ad'
    """
    if len(text) <= limit:
        return text
    tail = min(TAIL_CHARS, limit // 5)
    return text[:limit - tail - 1] + " " + text[len(text) - tail:]


# a leading character class lets the regex engine skip letters, digits and spaces fast; "_" is a word character,
# so its runs get a check of their own
_SYMBOLS_RE = re.compile(r"[^\w\s]{%d,}" % (MAX_RUN + 1))
_COARSE_RE = re.compile(r"[^\sa-zA-Z0-9]" * (MAX_RUN + 1))  # a cheap superset of _SYMBOLS_RE: ASCII classes are bitmaps
_SAME_RE = re.compile(r"(.)\1{%d,}" % MAX_RUN, re.DOTALL)
_UNDERSCORES = "_" * (MAX_RUN + 1)
_UNDERSCORE_RE = re.compile("_{%d,}" % (MAX_RUN + 1))


def _keep(m: re.Match[str]) -> str:
    return m.group(1) * MAX_RUN


def _bound(m: re.Match[str]) -> str:
    run = m.group()
    if len(run) > MAX_SYMBOL_RUN or _SAME_RE.search(run):
        run = _SAME_RE.sub(_keep, run[: MAX_SYMBOL_RUN * (MAX_RUN + 1)])[:MAX_SYMBOL_RUN]
    return run


def squeeze_repeats(text: str) -> str:
    """``text`` with its runs of punctuation, symbols and emoji bounded (see the module docstring).

    >>> squeeze_repeats("wow!!!!!!!! 🔥🔥🔥🔥🔥🔥 1000000 sooooo ______")
    'wow!!!! 🔥🔥🔥🔥 1000000 sooooo ____'
    >>> squeeze_repeats("!?" * 2500) == "!?" * 8
    True
    """
    if _COARSE_RE.search(text) and _SYMBOLS_RE.search(text):
        text = _SYMBOLS_RE.sub(_bound, text)
    if _UNDERSCORES in text:
        text = _UNDERSCORE_RE.sub("_" * MAX_RUN, text)
    return text
