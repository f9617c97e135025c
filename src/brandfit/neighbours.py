"""Our own labelled texts as neighbours: a text's topic as the labels of the texts of ``data/labeled`` closest to it.

The linear heads see every source at once and draw one boundary through all of them; a nearest-neighbour vote is
local: a yoga question about knee pain finds the yoga questions we wrote, not the cycling threads the heads learned
"knee pain" from. From ``relevance@44`` (``topic.neighbours``) the model stores the embeddings and topic labels of
the training rows of ``data/labeled`` (never of the public corpora, whose text is not ours to ship) and mixes their
vote into the final topic probabilities geometrically (:func:`brandfit.features.geometric_mix`), after the mix's
temperature. Chosen by leave-one-source-out (docs/quality.md, "Our texts as neighbours").

Pure numpy; the vote of a row is ``sum over its k most similar stored texts of exp((cos - best cos) / temperature)``
per label, plus a small floor so no topic gets probability 0.

>>> import numpy as np
>>> idx = NeighbourIndex(np.eye(3, 4, dtype=np.float16), np.array([0, 2, 2]))
>>> idx.proba(np.array([[0, 1, 0.2, 0]], np.float32), k=2, temperature=0.05).round(3)[0].tolist()
[0.001, 0.001, 0.995, 0.001, 0.001, 0.001]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brandfit.topics import TOPICS

__all__ = ["NeighbourIndex", "NEIGHBOUR_FLOOR", "NORM_TOLERANCE", "MAX_NEIGHBOURS", "check_settings", "capped_rows"]

NORM_TOLERANCE = 1e-2
"""How far from 1 a stored row's L2 norm may be (float16 rounding is ~1e-3)."""
NEIGHBOUR_FLOOR = 1e-3
"""Added to every label's vote before normalising (the leave-one-source-out harness used the same)."""
MAX_NEIGHBOURS = 10_000
"""At most this many texts are stored (a seeded sample of the rest): the model file stays far below the loader's size
limit, and the vote's cost (one product with every stored text) stays a few percent of the encoder's."""
_BLOCK = 256  # rows scored at once: bounds the similarity matrix (and its top-k indices) to _BLOCK x len(index)


def _number(value: Any, name: str, low: float, high: float, *, open_low: bool = False,
            open_high: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and (
        (low < value if open_low else low <= value) and (value < high if open_high else value <= high))
    if not ok:
        interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name}: expected a number in {interval}, got {value!r}")


def check_settings(share: Any, k: Any, temperature: Any) -> None:
    """``topic.neighbours`` in [0, 1), ``topic.neighbours_k`` an integer in [1, 10000], ``topic.neighbours_temperature``
    in (0, 10]; ValueError naming the field otherwise.

    >>> check_settings(0.25, 100, 0.02)
    >>> check_settings(1.0, 100, 0.02)
    Traceback (most recent call last):
    ...
    ValueError: topic.neighbours: expected a number in [0, 1), got 1.0
    """
    _number(share, "topic.neighbours", 0.0, 1.0, open_high=True)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 10_000:
        raise ValueError(f"topic.neighbours_k: expected an integer in [1, 10000], got {k!r}")
    _number(temperature, "topic.neighbours_temperature", 0.0, 10.0, open_low=True)


def capped_rows(rows: np.ndarray, *, cap: int = MAX_NEIGHBOURS, seed: int = 0) -> np.ndarray:
    """``rows`` (indices) as they are when there are at most ``cap``, else a seeded sample of ``cap`` of them, in order.

    >>> capped_rows(np.arange(5), cap=3, seed=1).tolist() == sorted(capped_rows(np.arange(5), cap=3, seed=1).tolist())
    True
    """
    rows = np.asarray(rows)
    if len(rows) <= cap:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=cap, replace=False))


class NeighbourIndex:
    """L2-normalised embeddings (stored as float16) of labelled texts and their topic ids (``TOPICS`` order)."""

    def __init__(self, embeddings: np.ndarray, labels: np.ndarray) -> None:
        emb = np.asarray(embeddings)
        lab = np.asarray(labels)
        if emb.ndim != 2 or lab.ndim != 1 or len(emb) != len(lab):
            raise ValueError(f"neighbour index: expected (n, d) embeddings and n labels, got shapes {emb.shape} "
                             f"and {lab.shape}")
        if len(emb) == 0:
            raise ValueError("neighbour index: no texts")
        if not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0 or lab.max() >= len(TOPICS):
            raise ValueError(f"neighbour index: labels must be topic ids in [0, {len(TOPICS)})")
        if emb.dtype.kind not in "fiu":
            raise ValueError(f"neighbour index: embeddings must be numbers, got dtype {emb.dtype}")
        with np.errstate(over="ignore"):
            stored = emb.astype(np.float16)
        if not np.isfinite(stored).all():
            raise ValueError("neighbour index: embeddings must be finite (as float16)")
        norms = np.linalg.norm(stored.astype(np.float32), axis=1)
        if np.abs(norms - 1.0).max() > NORM_TOLERANCE:
            raise ValueError("neighbour index: embeddings must be L2-normalised rows (norms "
                             f"{norms.min():.3g}-{norms.max():.3g})")
        self.embeddings = stored
        self.labels = lab.astype(np.int8)
        self._emb32 = self.embeddings.astype(np.float32)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def unit_rows(self) -> np.ndarray:
        """The stored embeddings as float32 (read-only; the float16 rows widened once, at load)."""
        view = self._emb32.view()
        view.flags.writeable = False
        return view

    def proba(self, emb: np.ndarray, *, k: int, temperature: float) -> np.ndarray:
        """``(n, 6)`` topic probabilities of ``emb`` (n L2-normalised rows) from their ``k`` nearest stored texts."""
        emb = np.asarray(emb, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[1] != self._emb32.shape[1]:
            raise ValueError(f"neighbour index: expected (n, {self._emb32.shape[1]}) embeddings, got {emb.shape}")
        if k < 1 or temperature <= 0:
            raise ValueError(f"neighbour index: k must be >= 1 and temperature > 0, got {k} and {temperature}")
        k = min(int(k), len(self))
        out = np.empty((len(emb), len(TOPICS)), dtype=np.float64)
        for start in range(0, len(emb), _BLOCK):
            sims = emb[start:start + _BLOCK] @ self._emb32.T
            n, m = sims.shape
            idx = np.argpartition(sims, m - k, axis=1)[:, m - k:] if k < m else np.broadcast_to(np.arange(m), sims.shape)
            near = np.take_along_axis(sims, idx, axis=1).astype(np.float64)
            weight = np.exp((near - near.max(axis=1, keepdims=True)) / temperature)
            cells = (np.arange(n)[:, None] * len(TOPICS) + self.labels[idx]).ravel()  # (row, label) of every vote
            votes = np.bincount(cells, weights=weight.ravel(), minlength=n * len(TOPICS)).reshape(n, len(TOPICS))
            votes += NEIGHBOUR_FLOOR
            out[start:start + len(sims)] = votes / votes.sum(axis=1, keepdims=True)
        return out
