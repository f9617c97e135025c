"""The names prior: a text that names a known brand, product, athlete or game leans to that name's vertical.

Normalisation 4 and later follow every name of its tables (:mod:`brandfit.text._names`) with a gloss in plain
words ("kipchoge (marathon runner)"), which the encoder reads among the text's other words. The tables also say
which vertical each name belongs to, and from ``relevance@79`` (``topic.names_prior``, model format 18) a model
adds that directly: ``weight`` is added to the log probability of each vertical the text names at least once
(presence, not a count: a list of five football clubs is not five times the evidence), after every other part
of the topic mix, so "madden 26 (video game) franchise mode, drafted a qb" leans to ``other`` and "vollering
(womens cyclist) on the mur" to ``sports_outdoor``. A text that names nothing is unchanged; one that names
two verticals gains both.

The weight (1.0) was chosen by leave-one-source-out evaluation (docs/quality.md, "The vertical of a name").

>>> import numpy as np
>>> from brandfit.text import normalize
>>> texts = [normalize("madden 26 franchise mode, drafted a qb"), "hill repeats in the fog"]
>>> name_presence(texts, version=5).tolist()
[[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]
>>> p = np.array([[0.65, 0.0, 0.0, 0.0, 0.05, 0.3], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0]])
>>> with_names_prior(p, texts, 1.0, version=5).round(2).tolist()
[[0.43, 0.0, 0.0, 0.0, 0.03, 0.54], [0.9, 0.0, 0.1, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from brandfit.text import NORMALIZATION_VERSION, named_verticals
from brandfit.topics import TOPICS

__all__ = ["MAX_NAMES_PRIOR", "FIRST_VERSION", "name_presence", "with_names_prior"]

MAX_NAMES_PRIOR = 10.0
"""The largest ``topic.names_prior`` a config or a stored model may give."""
FIRST_VERSION = 4
"""The first normalisation version that knows names: a model trained on older text has no names to read."""


def name_presence(texts: Sequence[str], *, version: int = NORMALIZATION_VERSION) -> np.ndarray:
    """``(n, len(TOPICS))``: 1.0 where a text names something of that vertical in the tables normalisation
    ``version`` reads, else 0. ``texts`` are normalised texts (what the model embeds); the glosses in them name
    nothing themselves. All zeros for a version before :data:`FIRST_VERSION`."""
    out = np.zeros((len(texts), len(TOPICS)))
    if version < FIRST_VERSION:
        return out
    column = {t: i for i, t in enumerate(TOPICS)}
    for i, text in enumerate(texts):
        for vertical in named_verticals(text, version):
            out[i, column[vertical]] = 1.0
    return out


def with_names_prior(p: np.ndarray, texts: Sequence[str], weight: float, *,
                     version: int = NORMALIZATION_VERSION) -> np.ndarray:
    """``softmax(log p + weight x name_presence(texts))``, row by row; ``p`` unchanged (the same array) when
    ``weight`` is 0, the version knows no names or no text names anything."""
    if weight <= 0 or version < FIRST_VERSION or not len(texts):
        return p
    if len(texts) != len(p):
        raise ValueError(f"with_names_prior: {len(texts)} texts for {len(p)} rows of probabilities")
    has = name_presence(texts, version=version)
    rows = has.any(axis=1)
    if not rows.any():
        return p
    out = np.array(p, dtype=np.float64, copy=True)
    z = np.log(np.clip(out[rows], 1e-12, None)) + weight * has[rows]
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out[rows] = e / e.sum(axis=1, keepdims=True)
    return out
