"""The names prior: a text that names a known brand, product, athlete or game leans to that name's vertical.

Normalisation 4 and later follow every name of its tables (:mod:`brandfit.text._names`) with a gloss in plain
words ("kipchoge (marathon runner)"), which the encoder reads among the text's other words. The tables also say
which vertical each name belongs to, and from ``relevance@81`` (``topic.names_prior``, model format 18) a model
adds that directly: ``weight`` is added to the log probability of each vertical the text names at least once
(presence, not a count: a list of five football clubs is not five times the evidence), after every other part
of the topic mix, so "madden 26 (video game) franchise mode, drafted a qb" leans to ``other`` and "vollering
(womens cyclist) on the mur" to ``sports_outdoor``. A text that names nothing is unchanged; one that names
two verticals gains both.

Names are read in :func:`brandfit.text.names_text`: the text normalised the same way, but with each emoji written
as a mark instead of its words and no gloss. The glossing step reads the text with emoji as words, where "weekend
in manchester 🇬🇧" reads "manchester united kingdom" and "shipping is free 🔥" "free fire"; the prior counts no name
made of the words of emoji, and a name glued to an emoji ("iPad Pro🖤") still counts. An alias that is also an
everyday phrase (``topic.names_prior_skip``, :data:`PHRASE_ALIASES` by default) is never matched: "breaking bad
habits", "a rare beauty of a morning", "epic games of padel" (a shorter alias, or a later mention, still is). These
rules are version :data:`RULES` (``names_prior_rules`` in a model's config): a model whose rules are newer than
this code's is refused.

The weight (1.0) was chosen by leave-one-source-out evaluation (docs/quality.md, "The vertical of a name").

>>> import numpy as np
>>> from brandfit.text import normalize
>>> raw = ["madden 26 franchise mode, drafted a qb", "hill repeats in the fog", "weekend in Manchester 🇬🇧"]
>>> norm = [normalize(t) for t in raw]
>>> [[n.written for n in found] for found in name_matches(raw, norm, version=5)]
[['madden 26'], [], []]
>>> p = np.array([[0.65, 0.0, 0.0, 0.0, 0.05, 0.3], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0, 0.0, 0.9]])
>>> with_names_prior(p, raw, norm, 1.0, version=5).round(2).tolist()
[[0.43, 0.0, 0.0, 0.0, 0.03, 0.54], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0, 0.0, 0.9]]
"""

from __future__ import annotations

from typing import Collection, Sequence

import numpy as np

from brandfit.text import NORMALIZATION_VERSION, KnownName, known_names, names_text
from brandfit.topics import TOPICS

__all__ = ["MAX_NAMES_PRIOR", "FIRST_VERSION", "PHRASE_ALIASES", "RULES", "add_prior", "check_skip", "name_matches",
           "name_presence", "presence", "with_names_prior"]

MAX_NAMES_PRIOR = 10.0
"""The largest ``topic.names_prior`` a config or a stored model may give."""
FIRST_VERSION = 4
"""The first normalisation version that knows names: a model trained on older text has no names to read."""
PHRASE_ALIASES: tuple[str, ...] = ("big bash", "breaking bad", "epic games", "hello molly", "monster energy",
                                   "motel rocks", "rare beauty", "soft pinch", "the last of us")
"""Aliases of the names tables that are also everyday phrases ("a big bash for dad's 60th", "breaking bad habits"):
glossed, but not counted by the prior (``topic.names_prior_skip``; a model stores the list it was trained with)."""
MAX_SKIP = 1000
RULES = 1
"""The version of the rules above: where names are read and what is skipped (a model stores the version it was
trained with as ``names_prior_rules``)."""


def check_skip(value: object, field: str = "topic.names_prior_skip") -> tuple[str, ...]:
    """The aliases the prior skips, checked: at most :data:`MAX_SKIP` lower-case strings of 1 to 100 characters
    (``ValueError`` naming ``field`` otherwise).

    >>> check_skip(["big bash"])
    ('big bash',)
    >>> check_skip(["Big Bash"])
    Traceback (most recent call last):
    ...
    ValueError: topic.names_prior_skip: expected at most 1000 lower-case aliases of 1 to 100 characters, got 'Big Bash'
    """
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) > MAX_SKIP:
        raise ValueError(f"{field}: expected a list of at most {MAX_SKIP} aliases, got {type(value).__name__}")
    for alias in value:
        if not isinstance(alias, str) or not 0 < len(alias) <= 100 or alias != alias.lower() or alias != alias.strip():
            raise ValueError(f"{field}: expected at most {MAX_SKIP} lower-case aliases of 1 to 100 characters, "
                             f"got {alias!r}")
    return tuple(value)


def name_matches(raw: Sequence[str], norm: Sequence[str], *, version: int = NORMALIZATION_VERSION,
                 skip: Collection[str] = PHRASE_ALIASES) -> list[list[KnownName]]:
    """The known names each text names, as the prior counts them (the module doc), in order. ``raw`` are the texts
    as given, ``norm`` the same texts normalised with ``version`` (what the model embeds): a text whose normalised
    form names nothing names nothing here either, and is not read again. No names for a version before
    :data:`FIRST_VERSION`."""
    if len(raw) != len(norm):
        raise ValueError(f"name_matches: {len(raw)} texts and {len(norm)} normalised texts")
    if version < FIRST_VERSION:
        return [[] for _ in norm]
    skip = frozenset(skip)
    return [known_names(names_text(given, version), version, skip=skip) if known_names(text, version) else []
            for text, given in zip(norm, raw)]


def presence(matches: Sequence[Sequence[KnownName]]) -> np.ndarray:
    """``(n, len(TOPICS))``: 1.0 where a text's matches (:func:`name_matches`) name that vertical, else 0."""
    out = np.zeros((len(matches), len(TOPICS)))
    column = {t: i for i, t in enumerate(TOPICS)}
    for i, found in enumerate(matches):
        for name in found:
            out[i, column[name.vertical]] = 1.0
    return out


def name_presence(raw: Sequence[str], norm: Sequence[str], *, version: int = NORMALIZATION_VERSION,
                  skip: Collection[str] = PHRASE_ALIASES) -> np.ndarray:
    """:func:`presence` of :func:`name_matches` (the same arguments): all zeros for a version before
    :data:`FIRST_VERSION`."""
    return presence(name_matches(raw, norm, version=version, skip=skip))


def add_prior(p: np.ndarray, has: np.ndarray, weight: float) -> np.ndarray:
    """``softmax(log p + weight x has)`` on the rows ``has`` marks; ``p`` itself when none is marked or the weight
    is 0."""
    rows = has.any(axis=1) if len(has) else np.zeros(0, bool)
    if weight <= 0 or not rows.any():
        return p
    out = np.array(p, dtype=np.float64, copy=True)
    z = np.log(np.clip(out[rows], 1e-12, None)) + weight * has[rows]
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out[rows] = e / e.sum(axis=1, keepdims=True)
    return out


def with_names_prior(p: np.ndarray, raw: Sequence[str], norm: Sequence[str], weight: float, *,
                     version: int = NORMALIZATION_VERSION, skip: Collection[str] = PHRASE_ALIASES) -> np.ndarray:
    """``softmax(log p + weight x name_presence(raw, norm))``, row by row; ``p`` unchanged (the same array) when
    ``weight`` is 0, the version knows no names or no text names anything."""
    if len(raw) != len(p) or len(norm) != len(p):
        raise ValueError(f"with_names_prior: {len(raw)} texts and {len(norm)} normalised texts for {len(p)} rows "
                         "of probabilities")
    if weight <= 0 or version < FIRST_VERSION or not len(p):
        return p
    return add_prior(p, name_presence(raw, norm, version=version, skip=skip), weight)
