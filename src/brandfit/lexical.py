"""Hashed word and character n-grams: what a sentence encoder smooths over (brand names, jargon, "brought to you by").

A text's lexical features (computed on the same normalised text the encoder sees):

- word 1- and 2-grams of its tokens (runs of 2+ word characters, lower-cased), and character 3- to 5-grams
  inside word boundaries (each whitespace-separated word padded with one space each side), as scikit-learn's
  ``TfidfVectorizer(analyzer="char_wb")`` cuts them;
- each n-gram hashed with CRC-32 into ``n_buckets`` buckets per kind (words first, then characters), so there is
  no vocabulary to store and nothing to unpickle;
- value = (1 + log count) x idf of the bucket; each kind L2-normalised, then the whole row.

A :class:`LexicalHead` holds the idf and one linear layer per task over those features. Only numpy is needed at
prediction time (no scipy, no scikit-learn).

>>> import numpy as np
>>> from brandfit.lexical import LexicalHead, featurize
>>> rows, cols, vals = featurize(["new lens day 📷", "leg day"], n_buckets=1024)
>>> sorted(set(rows.tolist())), bool(np.all(vals > 0))
([0, 1], True)
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["N_BUCKETS", "featurize", "similarity", "topic_match", "LexicalHead", "document_frequency", "idf_from",
           "to_csr", "fit_lexical_head", "mix_calibrated"]

N_BUCKETS = 1 << 17
"""Buckets per kind of n-gram (word / character) in shipped models."""
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _char_grams(word: str) -> list[str]:
    w = f" {word} "
    size = len(w)
    out: list[str] = []
    for n in (3, 4, 5):
        if size <= n:  # a short word counts once, whole
            out.append(w)
            break
        out.extend(w[i:i + n] for i in range(size - n + 1))
    return out


def _grams(text: str) -> tuple[list[str], list[str]]:
    """(word 1-2-grams, character 3-5-grams) of ``text``, as scikit-learn's analyzers cut them."""
    text = text.lower()
    words = _TOKEN.findall(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])], [g for w in text.split() for g in _char_grams(w)]


def _crc(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8", "surrogatepass"))


@functools.lru_cache(maxsize=1 << 16)
def _word_buckets(word: str, n_buckets: int) -> tuple[int, ...]:
    """Character buckets of one whitespace-separated word (words repeat: cached)."""
    return tuple(n_buckets + _crc(g) % n_buckets for g in _char_grams(word))


def _hashes(texts: Sequence[str], n_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, bucket) of every n-gram occurrence; character buckets are offset by ``n_buckets``."""
    rows: list[int] = []
    cols: list[int] = []
    for r, text in enumerate(texts):
        text = text.lower()
        words = _TOKEN.findall(text)
        start = len(cols)
        cols.extend(_crc(w) % n_buckets for w in words)
        cols.extend(_crc(f"{a} {b}") % n_buckets for a, b in zip(words, words[1:]))
        for w in text.split():
            cols.extend(_word_buckets(w, n_buckets))
        rows.extend([r] * (len(cols) - start))
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _counts(texts: Sequence[str], n_buckets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = _hashes(texts, n_buckets)
    if not len(rows):
        return rows, cols, np.zeros(0)
    key, counts = np.unique(rows * (2 * n_buckets) + cols, return_counts=True)
    return key // (2 * n_buckets), key % (2 * n_buckets), counts.astype(np.float64)


def document_frequency(texts: Sequence[str], n_buckets: int = N_BUCKETS) -> tuple[np.ndarray, int]:
    """(texts containing each bucket, number of texts): what :func:`idf_from` needs."""
    _, cols, _ = _counts(texts, n_buckets)
    return np.bincount(cols, minlength=2 * n_buckets).astype(np.float64), len(texts)


def idf_from(df: np.ndarray, n: int) -> np.ndarray:
    """Smoothed idf, as scikit-learn computes it: ``ln((1 + n) / (1 + df)) + 1``."""
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def featurize(texts: Sequence[str], *, n_buckets: int = N_BUCKETS, idf: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows of the lexical features as ``(row, column, value)`` arrays (see the module docstring).

    ``idf`` (``2 * n_buckets`` values) weights the buckets; without it every bucket weighs 1.
    """
    rows, cols, counts = _counts(texts, n_buckets)
    vals = 1.0 + np.log(counts)
    if idf is not None:
        if idf.shape != (2 * n_buckets,):
            raise ValueError(f"idf: expected {2 * n_buckets} values, got {idf.shape}")
        vals = vals * idf[cols]
    n = len(texts)
    is_char = cols >= n_buckets
    for part in (~is_char, is_char):
        norm = np.sqrt(np.bincount(rows[part], weights=vals[part] ** 2, minlength=n))
        vals[part] /= np.where(norm > 0, norm, 1.0)[rows[part]]
    total = np.sqrt(np.bincount(rows, weights=vals ** 2, minlength=n))
    vals /= np.where(total > 0, total, 1.0)[rows]
    return rows, cols, vals


def similarity(texts: Sequence[str], phrases: Sequence[str], *, idf: np.ndarray,
               features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
               phrase_features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Cosine ``(len(texts), len(phrases))`` between the lexical features of already-normalised ``texts`` and
    ``phrases`` (word and character n-grams weighted by ``idf``, as :func:`featurize` cuts them): how many of a
    phrase's rarer words, or pieces of them ("climb" in "climbers"), a text shares. ``features`` /
    ``phrase_features``: the texts' / phrases' :func:`featurize` output with the same ``idf``, when the caller has
    it already. Pure numpy.

    >>> import numpy as np
    >>> idf = np.ones(2 * 4096, np.float32)
    >>> s = similarity(["rock climbing at the crag", "new lipstick shade"], ["climbing"], idf=idf)
    >>> bool(s[0, 0] > 0.3), float(s[1, 0])
    (True, 0.0)
    """
    n_buckets = idf.shape[0] // 2
    n, m = len(texts), len(phrases)
    if not n or not m:
        return np.zeros((n, m))
    rows, cols, vals = features if features is not None else featurize(texts, n_buckets=n_buckets, idf=idf)
    p_rows, p_cols, p_vals = (phrase_features if phrase_features is not None
                              else featurize(phrases, n_buckets=n_buckets, idf=idf))
    order = np.argsort(p_cols, kind="stable")
    p_rows, p_cols, p_vals = p_rows[order], p_cols[order], p_vals[order]
    # join each text n-gram with the phrase n-grams in the same bucket (a sorted lookup, no dense matrix)
    lo = np.searchsorted(p_cols, cols, side="left")
    count = np.searchsorted(p_cols, cols, side="right") - lo
    hit = count > 0
    rows, vals, lo, count = rows[hit], vals[hit], lo[hit], count[hit]
    which = np.repeat(np.arange(len(rows)), count)
    at = lo[which] + np.arange(len(which)) - np.repeat(np.cumsum(count) - count, count)
    return np.bincount(rows[which] * m + p_rows[at], weights=vals[which] * p_vals[at],
                       minlength=n * m).reshape(n, m)


def topic_match(texts: Sequence[str], phrases: Sequence[str], phrase_topic: Sequence[int], n_topics: int, *,
                idf: np.ndarray, features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                phrase_features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``(len(texts), n_topics)``: per topic, the highest :func:`similarity` between each text and that topic's
    description ``phrases`` (``phrase_topic[j]`` is phrase ``j``'s topic; 0 for a topic without phrases)."""
    sims = similarity(texts, phrases, idf=idf, features=features, phrase_features=phrase_features)
    topic = np.asarray(phrase_topic)
    out = np.zeros((len(texts), n_topics))
    for k in range(n_topics):
        cols = topic == k
        if cols.any() and len(texts):
            out[:, k] = sims[:, cols].max(axis=1)
    return out


def to_csr(texts: Sequence[str], *, n_buckets: int = N_BUCKETS, idf: np.ndarray | None = None):
    """The lexical features as a ``scipy.sparse.csr_matrix`` (training only: imports scipy)."""
    from scipy.sparse import csr_matrix

    rows, cols, vals = featurize(texts, n_buckets=n_buckets, idf=idf)
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), 2 * n_buckets))


@dataclass(frozen=True)
class LexicalHead:
    """Linear layers over the lexical features: topic logits ``(n, 6)`` and a promo logit ``(n,)``."""

    idf: np.ndarray  # (2 * n_buckets,)
    topic_coef: np.ndarray  # (n_topics, 2 * n_buckets)
    topic_intercept: np.ndarray  # (n_topics,)
    promo_coef: np.ndarray  # (2 * n_buckets,)
    promo_intercept: float
    # optional: a promo layer fitted on captions alone (data/labeled), its logit added to the promo logit as it is
    # (``promo.caption_weight``, model format 9); None = no such layer
    caption_coef: np.ndarray | None = None  # (2 * n_buckets,)
    caption_intercept: float = 0.0
    # optional: a topic layer fitted on captions alone, its logits added to the log topic probabilities
    # (``topic.caption_weight``, model format 10); None = no such layer
    caption_topic_coef: np.ndarray | None = None  # (n_topics, 2 * n_buckets)
    caption_topic_intercept: np.ndarray | None = None  # (n_topics,)

    def __post_init__(self) -> None:
        if (self.caption_topic_coef is None) != (self.caption_topic_intercept is None):
            raise ValueError("LexicalHead: caption_topic_coef and caption_topic_intercept come together or not at all")

    @property
    def n_buckets(self) -> int:
        return self.idf.shape[0] // 2

    def features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`featurize` of already-normalised ``texts`` with this head's buckets and idf."""
        return featurize(texts, n_buckets=self.n_buckets, idf=self.idf)

    def logits(self, texts: Sequence[str], *, features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(topic logits ``(n, n_topics)``, promo logits ``(n,)``) of already-normalised ``texts`` (``features``:
        their :meth:`features`, when the caller has them already)."""
        rows, cols, vals = features if features is not None else self.features(texts)
        n = len(texts)
        topic = np.empty((n, self.topic_coef.shape[0]))
        for k in range(self.topic_coef.shape[0]):
            topic[:, k] = np.bincount(rows, weights=vals * self.topic_coef[k, cols], minlength=n)
        promo = np.bincount(rows, weights=vals * self.promo_coef[cols], minlength=n)
        return topic + self.topic_intercept, promo + float(self.promo_intercept)

    def caption_logits(self, texts: Sequence[str], *, features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
                       ) -> np.ndarray | None:
        """The caption layer's promo logits ``(n,)`` of already-normalised ``texts``, or None without the layer."""
        if self.caption_coef is None:
            return None
        rows, cols, vals = features if features is not None else self.features(texts)
        return np.bincount(rows, weights=vals * self.caption_coef[cols], minlength=len(texts)) \
            + float(self.caption_intercept)

    def caption_topic_logits(self, texts: Sequence[str], *,
                             features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray | None:
        """The topic caption layer's logits ``(n, n_topics)`` of already-normalised ``texts``, or None without it."""
        if self.caption_topic_coef is None or self.caption_topic_intercept is None:
            return None
        rows, cols, vals = features if features is not None else self.features(texts)
        n = len(texts)
        out = np.empty((n, self.caption_topic_coef.shape[0]))
        for k in range(self.caption_topic_coef.shape[0]):
            out[:, k] = np.bincount(rows, weights=vals * self.caption_topic_coef[k, cols], minlength=n)
        return out + self.caption_topic_intercept


def mix_calibrated(p: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature scaling of mixed topic probabilities: ``softmax(log(p) / temperature)``."""
    if temperature == 1.0:
        return p
    z = np.log(np.clip(p, 1e-12, None)) / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def check_shapes(idf: np.ndarray, topic_coef: np.ndarray, topic_intercept: np.ndarray, promo_coef: np.ndarray,
                 n_topics: int) -> str | None:
    """What is wrong with a lexical head's array shapes, or None."""
    width = idf.shape[0] if idf.ndim == 1 else -1
    if width <= 0 or width % 2 or not math.log2(width // 2).is_integer():
        return f"lex_idf: expected (2 * a power of two,), got {idf.shape}"
    if topic_coef.shape != (n_topics, width):
        return f"lex_topic_coef: expected ({n_topics}, {width}), got {topic_coef.shape}"
    if topic_intercept.shape != (n_topics,):
        return f"lex_topic_intercept: expected ({n_topics},), got {topic_intercept.shape}"
    if promo_coef.shape != (width,):
        return f"lex_promo_coef: expected ({width},), got {promo_coef.shape}"
    return None


def fit_lexical_head(texts: Sequence[str], *, idf_rows: np.ndarray, topic_rows: np.ndarray, y_topic: np.ndarray,
                     topic_weight: np.ndarray, promo_rows: np.ndarray, y_promo: np.ndarray,
                     promo_weight: np.ndarray, n_topics: int, n_buckets: int = N_BUCKETS, topic_c: float = 10.0,
                     promo_c: float = 10.0, seed: int = 0, caption_rows: np.ndarray | None = None,
                     y_caption: np.ndarray | None = None, caption_c: float = 10.0,
                     caption_topic_rows: np.ndarray | None = None, y_caption_topic: np.ndarray | None = None,
                     caption_topic_c: float = 10.0
                     ) -> tuple[LexicalHead, np.ndarray, np.ndarray, np.ndarray | None]:
    """Fit the lexical layers (training only: scikit-learn) on already-normalised ``texts``.

    The idf comes from the rows ``idf_rows``; the topic layer is a class-balanced multinomial logistic regression on
    ``topic_rows``, the promo layer a class-balanced binary one on ``promo_rows``, each with its sample weights.
    With ``caption_rows`` (and their labels ``y_caption``), a caption layer too: a class-balanced binary logistic
    regression (C ``caption_c``, unweighted) on those rows alone, over the same features; with ``caption_topic_rows``
    (and ``y_caption_topic``) a topic caption layer, a class-balanced multinomial one (C ``caption_topic_c``), whose
    logits for every text are then :meth:`LexicalHead.caption_topic_logits` (a topic it never saw gets 0).
    Returns the head and its (topic logits, promo logits, caption logits or None) for every text.
    """
    from sklearn.linear_model import LogisticRegression

    df, n = document_frequency([texts[i] for i in idf_rows], n_buckets)
    idf = idf_from(df, n)
    x = to_csr(texts, n_buckets=n_buckets, idf=idf)
    topic = LogisticRegression(C=topic_c, max_iter=3000, random_state=seed, class_weight="balanced")
    topic.fit(x[topic_rows], y_topic, sample_weight=topic_weight)
    topic_coef = np.zeros((n_topics, 2 * n_buckets), dtype=np.float32)
    topic_intercept = np.full(n_topics, -1e3, dtype=np.float32)  # a class never seen gets ~0 probability
    topic_coef[topic.classes_] = topic.coef_
    topic_intercept[topic.classes_] = topic.intercept_
    promo = LogisticRegression(C=promo_c, max_iter=3000, random_state=seed, class_weight="balanced")
    promo.fit(x[promo_rows], np.asarray(y_promo, dtype=int), sample_weight=promo_weight)
    caption_coef, caption_intercept, caption_logits = None, 0.0, None
    if caption_rows is not None and len(caption_rows):
        if y_caption is None or len(np.unique(y_caption)) < 2:
            raise ValueError("the caption layer needs promo and not-promo rows among caption_rows")
        cap = LogisticRegression(C=caption_c, max_iter=3000, random_state=seed, class_weight="balanced")
        cap.fit(x[caption_rows], np.asarray(y_caption, dtype=int))
        caption_coef, caption_intercept = cap.coef_[0].astype(np.float32), float(cap.intercept_[0])
    ct_coef = ct_intercept = None
    if caption_topic_rows is not None and len(caption_topic_rows):
        if y_caption_topic is None or len(np.unique(y_caption_topic)) < 3:
            raise ValueError("the topic caption layer needs at least three topics among caption_topic_rows")
        ct = LogisticRegression(C=caption_topic_c, max_iter=3000, random_state=seed, class_weight="balanced")
        ct.fit(x[caption_topic_rows], y_caption_topic)
        ct_coef = np.zeros((n_topics, 2 * n_buckets), dtype=np.float32)
        ct_intercept = np.zeros(n_topics, dtype=np.float32)  # a topic never seen: no evidence either way
        ct_coef[ct.classes_] = ct.coef_
        ct_intercept[ct.classes_] = ct.intercept_
    head = LexicalHead(idf=idf, topic_coef=topic_coef, topic_intercept=topic_intercept,
                       promo_coef=promo.coef_[0].astype(np.float32), promo_intercept=float(promo.intercept_[0]),
                       caption_coef=caption_coef, caption_intercept=caption_intercept,
                       caption_topic_coef=ct_coef, caption_topic_intercept=ct_intercept)
    topic_logits = np.asarray(x @ topic_coef.T.astype(np.float64)) + topic_intercept
    promo_logits = np.asarray(x @ head.promo_coef.astype(np.float64)).ravel() + head.promo_intercept
    if caption_coef is not None:
        caption_logits = np.asarray(x @ caption_coef.astype(np.float64)).ravel() + caption_intercept
    return head, topic_logits, promo_logits, caption_logits
